//! Durable consumer groups on a topic: each message goes to one consumer of the group,
//! which acknowledges it. The consumer is the connector's session: when a session ends
//! (close, crash, freeze past its lease) its unacknowledged messages are given to the next
//! consumer that asks, whatever their idle time, and its own late acks are refused, so a
//! message is acknowledged once, by a consumer that held its lease (docs/PROTOCOL.md,
//! "Consumer groups").

use std::time::{Duration, Instant};

use redis::streams::StreamId;
use redis::Value as RedisValue;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::messages::topic::{batch, MAX_READ_COUNT};
use crate::messages::TopicMessage;
use crate::names::check_name;

/// How long one blocking group read waits before the consumer asks again for messages of
/// consumers whose session ended meanwhile.
const CONSUME_SLICE: Duration = Duration::from_millis(500);

/// One entry `{id, {field, value, ...}}` of a script's reply as a stream entry.
fn entry(value: RedisValue) -> Result<StreamId> {
    let (id, fields): (String, Vec<(String, RedisValue)>) = redis::from_redis_value(value)
        .map_err(|e| Error::protocol(format!("bad consumer group entry: {e}")))?;
    Ok(StreamId {
        id,
        map: fields.into_iter().collect(),
        ..Default::default()
    })
}

impl Connector {
    /// Takes up to `max_count` messages of `topic` for this connector in consumer group
    /// `group` (created at the topic's first message on first use): first the
    /// unacknowledged messages of consumers whose session ended, then new ones. With
    /// `wait`, waits up to that long for one. Acknowledge each with
    /// [`Connector::topic_ack`] once processed; a message not acknowledged is given to
    /// another consumer only when this connector's session ends.
    #[tracing::instrument(name = "topic_consume", skip_all, fields(group = self.group(), topic = topic))]
    pub async fn topic_consume(
        &self,
        topic: &str,
        group: &str,
        max_count: usize,
        wait: Option<Duration>,
    ) -> Result<Vec<TopicMessage>> {
        self.inner.check_open()?;
        check_name("topic", topic)?;
        check_name("consumer group", group)?;
        if max_count == 0 || max_count > MAX_READ_COUNT {
            return Err(Error::InvalidArgument(format!(
                "max_count must be 1..={MAX_READ_COUNT}, not {max_count}"
            )));
        }
        self.inner.start_topic_trimmer();
        let deadline = Instant::now() + wait.unwrap_or_default();
        let mut reader = None;
        loop {
            let taken = self.take(topic, group, max_count).await?;
            if !taken.is_empty() {
                if let Some(conn) = reader {
                    self.inner.return_reader(conn);
                }
                return Ok(taken);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                if let Some(conn) = reader {
                    self.inner.return_reader(conn);
                }
                return Ok(Vec::new());
            }
            let mut conn = match reader.take() {
                Some(conn) => conn,
                None => self.inner.borrow_reader().await?,
            };
            let sid = self.session_id();
            let mut read = redis::cmd("XREADGROUP");
            read.arg("GROUP")
                .arg(group)
                .arg(&sid)
                .arg("COUNT")
                .arg(max_count)
                .arg("BLOCK")
                .arg(left.min(CONSUME_SLICE).as_millis().max(1) as u64)
                .arg("STREAMS")
                .arg(self.inner.keys.topic(topic))
                .arg(">");
            let entries = self.inner.read_stream(&mut conn, &read).await?;
            if !entries.is_empty() {
                self.inner.return_reader(conn);
                return Ok(batch(entries, topic, 0)?.messages);
            }
            reader = Some(conn);
        }
    }

    async fn take(&self, topic: &str, group: &str, max_count: usize) -> Result<Vec<TopicMessage>> {
        let sid = self.session_id();
        let count = max_count.to_string();
        let reply: Vec<RedisValue> = self
            .inner
            .run(
                &self.inner.scripts.topic_take,
                &[topic, group, &sid, &count],
            )
            .await?;
        let entries = reply.into_iter().map(entry).collect::<Result<Vec<_>>>()?;
        Ok(batch(entries, topic, 0)?.messages)
    }

    /// Acknowledges the messages at `indexes` of `topic` in consumer group `group`; one
    /// answer per index: `true` when this connector's live session held it and it is now
    /// acknowledged, `false` when it was not this session's to acknowledge (its session
    /// ended and the message went, or goes, to another consumer; or it was acknowledged
    /// already). Work done for a `false` must be discarded: another consumer does it.
    #[tracing::instrument(name = "topic_ack", skip_all, fields(group = self.group(), topic = topic))]
    pub async fn topic_ack(&self, topic: &str, group: &str, indexes: &[u64]) -> Result<Vec<bool>> {
        self.inner.check_open()?;
        check_name("topic", topic)?;
        check_name("consumer group", group)?;
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let sid = self.session_id();
        let texts: Vec<String> = indexes.iter().map(u64::to_string).collect();
        let mut args: Vec<&str> = vec![topic, group, &sid];
        args.extend(texts.iter().map(String::as_str));
        let acked: Vec<i64> = self.inner.run(&self.inner.scripts.topic_ack, &args).await?;
        Ok(acked.into_iter().map(|n| n == 1).collect())
    }
}
