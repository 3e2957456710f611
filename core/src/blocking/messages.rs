//! The blocking twins of the message and topic calls (see `crate::messages`).

use std::time::Duration;

use serde_json::Value;

use crate::blocking::{Connector, Subscription};
use crate::error::Result;
use crate::messages::{Message, TopicBatch, TopicInfo};
use crate::transport::runtime;

impl Connector {
    /// See [`crate::Connector::topic_send`].
    pub fn topic_send(&self, topic: &str, messages: &[Value]) -> Result<Vec<u64>> {
        runtime::block_on(self.inner.topic_send(topic, messages))?
    }

    /// See [`crate::Connector::topic_read`].
    pub fn topic_read(
        &self,
        topic: &str,
        from_index: u64,
        max_count: usize,
        wait: Option<Duration>,
    ) -> Result<TopicBatch> {
        runtime::block_on(self.inner.topic_read(topic, from_index, max_count, wait))?
    }

    /// See [`crate::Connector::topic_info`].
    pub fn topic_info(&self, topic: &str) -> Result<TopicInfo> {
        runtime::block_on(self.inner.topic_info(topic))?
    }

    /// See [`crate::Connector::topic_set_retention`].
    pub fn topic_set_retention(&self, topic: &str, max_len: u64, max_age: Duration) -> Result<u64> {
        runtime::block_on(self.inner.topic_set_retention(topic, max_len, max_age))?
    }

    /// See [`crate::Connector::topic_consume`].
    pub fn topic_consume(
        &self,
        topic: &str,
        group: &str,
        max_count: usize,
        wait: Option<Duration>,
    ) -> Result<Vec<crate::TopicMessage>> {
        runtime::block_on(self.inner.topic_consume(topic, group, max_count, wait))?
    }

    /// See [`crate::Connector::topic_ack`].
    pub fn topic_ack(&self, topic: &str, group: &str, indexes: &[u64]) -> Result<Vec<bool>> {
        runtime::block_on(self.inner.topic_ack(topic, group, indexes))?
    }

    /// See [`crate::Connector::send`].
    pub fn send(&self, member_id: &str, payload: &Value) -> Result<()> {
        runtime::block_on(self.inner.send(member_id, payload))?
    }

    /// See [`crate::Connector::broadcast`].
    pub fn broadcast(&self, payload: &Value, sub_group: Option<&str>) -> Result<u64> {
        runtime::block_on(self.inner.broadcast(payload, sub_group))?
    }

    /// See [`crate::Connector::request`].
    pub fn request(&self, member_id: &str, payload: &Value, timeout: Duration) -> Result<Value> {
        runtime::block_on(self.inner.request(member_id, payload, timeout))?
    }

    /// See [`crate::Connector::reply`].
    pub fn reply(&self, request: &Message, payload: &Value) -> Result<()> {
        runtime::block_on(self.inner.reply(request, payload))?
    }

    /// Listens to a member's messages, pull style (see [`crate::Connector::listen`]).
    pub fn listen(&self, member_id: Option<&str>) -> Result<Subscription<Message>> {
        Ok(Subscription::from_async(runtime::block_on(
            self.inner.listen(member_id),
        )??))
    }
}
