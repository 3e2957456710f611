//! The topic log: durable, ordered messages under an index that only grows. A topic is the
//! stream `gr:{g}:topic:<name>` with entry ids `<index>-0` (docs/PROTOCOL.md, "Topics").

use std::time::{Duration, Instant};

use redis::streams::{StreamId, StreamRangeReply};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::connector::Connector;
use crate::data::{decode, encode};
use crate::error::{Error, Result};
use crate::messages::readers::WAIT_SLICE;
use crate::names::check_name;
use crate::subscription::follower::field;

/// Most messages one read returns.
pub const MAX_READ_COUNT: usize = 10_000;

/// One message of a topic. JSON shape: `{"index":N,"payload":<json>,"time":ms}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicMessage {
    /// Its index: larger than every index before it in the topic.
    pub index: u64,
    /// The message (JSON).
    pub payload: Value,
    /// When Redis appended it (server time, ms since the Unix epoch).
    pub time: u64,
}

/// What [`Connector::topic_read`] returns: the messages in index order and the index to
/// read from next. JSON shape: `{"messages":[...],"next_index":N}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicBatch {
    /// The messages, oldest first; the first may be above the index asked for, when the
    /// messages before it were trimmed.
    pub messages: Vec<TopicMessage>,
    /// Where the next read starts: one past the last message returned, or the index asked
    /// for when there was nothing.
    pub next_index: u64,
}

/// A topic's extent. JSON shape: `{"first_index":N|null,"last_index":N|null,"length":N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicInfo {
    /// The first index still held; `None` when the topic holds no message.
    pub first_index: Option<u64>,
    /// The last index ever given; `None` when nothing was ever sent (or Redis lost it).
    pub last_index: Option<u64>,
    /// How many messages it holds.
    pub length: u64,
}

fn some(n: u64) -> Option<u64> {
    (n > 0).then_some(n)
}

fn message(entry: &StreamId, topic: &str) -> Result<TopicMessage> {
    let index = entry
        .id
        .split_once('-')
        .and_then(|(ms, _)| ms.parse().ok())
        .ok_or_else(|| Error::protocol(format!("topic {topic:?}: bad entry id {}", entry.id)))?;
    Ok(TopicMessage {
        index,
        payload: decode(topic, &field(entry, "m")?)?,
        time: field(entry, "t")?.parse().unwrap_or(0),
    })
}

pub(crate) fn batch(entries: Vec<StreamId>, topic: &str, from_index: u64) -> Result<TopicBatch> {
    let messages = entries
        .iter()
        .map(|entry| message(entry, topic))
        .collect::<Result<Vec<_>>>()?;
    let next_index = messages.last().map_or(from_index, |m| m.index + 1);
    Ok(TopicBatch {
        messages,
        next_index,
    })
}

impl Connector {
    /// Appends `messages` to `topic` in one round trip and returns their indexes (in
    /// order, consecutive). Indexes only grow, also when Redis lost the topic: the next
    /// index is then above every index given before (docs/PROTOCOL.md, "Topics").
    #[tracing::instrument(name = "topic_send", skip_all, fields(group = self.group(), topic = topic))]
    pub async fn topic_send(&self, topic: &str, messages: &[Value]) -> Result<Vec<u64>> {
        self.inner.check_open()?;
        check_name("topic", topic)?;
        self.inner.start_topic_trimmer();
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let texts = messages.iter().map(encode).collect::<Result<Vec<_>>>()?;
        let mut args: Vec<&str> = Vec::with_capacity(texts.len() + 1);
        args.push(topic);
        args.extend(texts.iter().map(String::as_str));
        let (first, last): (u64, u64) = self
            .inner
            .run(&self.inner.scripts.topic_send, &args)
            .await?;
        if last + 1 - first != messages.len() as u64 {
            return Err(Error::protocol(format!(
                "topic {topic:?}: {} messages sent, indexes {first}..={last}",
                messages.len()
            )));
        }
        Ok((first..=last).collect())
    }

    /// Reads up to `max_count` messages of `topic` from `from_index` on. A `from_index`
    /// whose messages were trimmed reads from the first one still held (the batch says
    /// where it starts). With `wait`, a read that finds nothing waits up to that long for
    /// the next message (XREAD BLOCK on a connection of its own, no polling); the batch is
    /// empty when the time ran out.
    #[tracing::instrument(name = "topic_read", skip_all, fields(group = self.group(), topic = topic))]
    pub async fn topic_read(
        &self,
        topic: &str,
        from_index: u64,
        max_count: usize,
        wait: Option<Duration>,
    ) -> Result<TopicBatch> {
        self.inner.check_open()?;
        check_name("topic", topic)?;
        if max_count == 0 || max_count > MAX_READ_COUNT {
            return Err(Error::InvalidArgument(format!(
                "max_count must be 1..={MAX_READ_COUNT}, not {max_count}"
            )));
        }
        self.inner.start_topic_trimmer();
        let key = self.inner.keys.topic(topic);
        let mut range = redis::cmd("XRANGE");
        range
            .arg(&key)
            .arg(format!("{from_index}-0"))
            .arg("+")
            .arg("COUNT")
            .arg(max_count);
        let reply: StreamRangeReply = self.inner.query(&range).await?;
        let found = batch(reply.ids, topic, from_index)?;
        match wait {
            Some(wait) if found.messages.is_empty() && !wait.is_zero() => {
                self.wait_for_topic(&key, topic, from_index, max_count, wait)
                    .await
            }
            _ => Ok(found),
        }
    }

    async fn wait_for_topic(
        &self,
        key: &str,
        topic: &str,
        from_index: u64,
        max_count: usize,
        wait: Duration,
    ) -> Result<TopicBatch> {
        // Entries are `<index>-0`: everything after `<from - 1>-0` is at `from` or above.
        let after = format!("{}-0", from_index.saturating_sub(1));
        let deadline = Instant::now() + wait;
        let mut conn = self.inner.borrow_reader().await?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.inner.return_reader(conn);
                return batch(Vec::new(), topic, from_index);
            }
            self.inner.check_open()?;
            let block = left.min(WAIT_SLICE).as_millis().max(1) as u64;
            let mut read = redis::cmd("XREAD");
            read.arg("COUNT")
                .arg(max_count)
                .arg("BLOCK")
                .arg(block)
                .arg("STREAMS")
                .arg(key)
                .arg(&after);
            let entries = self.inner.read_stream(&mut conn, &read).await?;
            if !entries.is_empty() {
                self.inner.return_reader(conn);
                return batch(entries, topic, from_index);
            }
        }
    }

    /// The first index `topic` still holds, the last it ever gave, and its length.
    pub async fn topic_info(&self, topic: &str) -> Result<TopicInfo> {
        self.inner.check_open()?;
        check_name("topic", topic)?;
        let (first, last, length): (u64, u64, u64) = self
            .inner
            .run_idempotent(&self.inner.scripts.topic_info, &[topic])
            .await?;
        Ok(TopicInfo {
            first_index: some(first),
            last_index: some(last),
            length,
        })
    }

    /// Sets how much of `topic` is kept: at most `max_len` messages (0: no limit) and none
    /// older than `max_age` (zero: no limit). Applied at once, on every send (length, to
    /// within Redis's approximate trimming) and by every connector's trim timer (both
    /// limits, exactly). Returns how many messages were removed now.
    pub async fn topic_set_retention(
        &self,
        topic: &str,
        max_len: u64,
        max_age: Duration,
    ) -> Result<u64> {
        self.inner.check_open()?;
        check_name("topic", topic)?;
        let (len, age) = (max_len.to_string(), max_age.as_millis().to_string());
        let removed = self
            .inner
            .run_idempotent(&self.inner.scripts.topic_retain, &[topic, &len, &age])
            .await?;
        self.inner.start_topic_trimmer();
        Ok(removed)
    }

    /// Applies every topic's retention now (the trim timer's work). Returns how many
    /// messages were removed.
    pub async fn topic_trim(&self) -> Result<u64> {
        self.inner.check_open()?;
        self.inner
            .run_idempotent(&self.inner.scripts.topic_trim, &[])
            .await
    }
}
