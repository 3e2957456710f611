//! Messages to live members and the durable topic log (see the core's `messages` module
//! and docs/MESSAGES.md). Messages, payloads and batches cross as JSON text.

use std::time::Duration;

use grcore::{Error, Message, Value};

use crate::bridge::bridge_fns;
use crate::bridge::values::{Json, Open};
use crate::subscription::{gr_subscription, NewSubscription};

/// The JSON array of messages `topic_send` takes.
fn messages(batch: Value) -> grcore::Result<Vec<Value>> {
    match batch {
        Value::Array(messages) => Ok(messages),
        _ => Err(Error::InvalidArgument(
            "messages must be a JSON array".into(),
        )),
    }
}

/// The JSON array of indexes `topic_ack` takes.
fn indexes(list: Value) -> grcore::Result<Vec<u64>> {
    serde_json::from_value(list)
        .map_err(|_| Error::InvalidArgument("indexes must be a JSON array of integers".into()))
}

fn count(max_count: u64) -> usize {
    usize::try_from(max_count).unwrap_or(usize::MAX)
}

bridge_fns! {
    /// Appends the messages of the JSON array `messages_json` to `topic` in one round trip;
    /// `*indexes_json_out` receives their indexes as a JSON array (consecutive, larger than
    /// every index the topic gave before, also after Redis lost its data).
    /// Ownership: free `*indexes_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (bad topic name, not an array),
    /// GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_topic_send, out = indexes_json_out)]
    #[jni]
    fn topic_send(conn: Open, topic: String, messages_json: Value) -> Json<Vec<u64>> {
        Ok(Json(conn.topic_send(&topic, &messages(messages_json)?)?))
    }

    /// Reads up to `max_count` (1..10000) messages of `topic` from `from_index` on into
    /// `*batch_json_out`: {"messages":[{"index":N,"payload":<json>,"time":ms},...],
    /// "next_index":N}. A trimmed `from_index` reads from the first message held. With
    /// `wait_ms` > 0, a read that finds nothing waits up to that long for a message (0 or
    /// negative: no wait); the batch is empty when the time ran out.
    /// Ownership: free `*batch_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_topic_read, out = batch_json_out)]
    #[jni]
    fn topic_read(conn: Open, topic: String, from_index: u64, max_count: u64, wait_ms: Option<Duration>) -> Json<grcore::TopicBatch> {
        Ok(Json(conn.topic_read(&topic, from_index, count(max_count), wait_ms)?))
    }

    /// Writes {"first_index":N|null,"last_index":N|null,"length":N} of `topic` to
    /// `*info_json_out`.
    /// Ownership: free `*info_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_topic_info, out = info_json_out)]
    #[jni]
    fn topic_info(conn: Open, topic: String) -> Json<grcore::TopicInfo> {
        Ok(Json(conn.topic_info(&topic)?))
    }

    /// Keeps at most `max_len` messages of `topic` (0: no limit) and none older than
    /// `max_age_ms` (0: no limit), applied now and every second by the connectors using
    /// topics; `*removed_out` (may be NULL) receives how many were removed now.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_topic_set_retention, optional_out = removed_out)]
    #[jni]
    fn topic_set_retention(conn: Open, topic: String, max_len: u64, max_age_ms: Duration) -> u64 {
        conn.topic_set_retention(&topic, max_len, max_age_ms)
    }

    /// Takes up to `max_count` messages of `topic` for this connector's session in the
    /// consumer group `group` into `*messages_json_out` (a JSON array of
    /// {"index","payload","time"}): first the unacknowledged messages of consumers whose
    /// session ended, then new ones; with `wait_ms` > 0 waits up to that long for one.
    /// Acknowledge each with `gr_topic_ack` once processed.
    /// Ownership: free `*messages_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
    /// GR_SESSION_EXPIRED (this connector's session was lost; it makes a new one).
    #[c(gr_topic_consume, out = messages_json_out)]
    #[jni]
    fn topic_consume(conn: Open, topic: String, group: String, max_count: u64, wait_ms: Option<Duration>) -> Json<Vec<grcore::TopicMessage>> {
        Ok(Json(conn.topic_consume(&topic, &group, count(max_count), wait_ms)?))
    }

    /// Acknowledges the messages whose indexes are in the JSON array `indexes_json`;
    /// `*acked_json_out` receives one JSON boolean per index: true when this connector's
    /// live session held it and it is now acknowledged, false when it was not this
    /// session's (its session ended and another consumer has it: drop that work).
    /// Ownership: free `*acked_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_topic_ack, out = acked_json_out)]
    #[jni]
    fn topic_ack(conn: Open, topic: String, group: String, indexes_json: Value) -> Json<Vec<bool>> {
        Ok(Json(conn.topic_ack(&topic, &group, &indexes(indexes_json)?)?))
    }

    /// Sends the JSON `payload_json` to the live member `member_id`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (also: the member is not in the group
    /// or its lease ran out; the message names it), GR_INVALID_JSON, GR_CLOSED,
    /// GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_send)]
    #[jni]
    fn send(conn: Open, member_id: String, payload_json: Value) -> () {
        conn.send(&member_id, &payload_json)
    }

    /// Sends the JSON `payload_json` to every live member of the group, or of `sub_group`
    /// (NULL: all); `*recipients_out` (may be NULL) receives how many it went to.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_INVALID_JSON, GR_CLOSED,
    /// GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_broadcast, optional_out = recipients_out)]
    #[jni]
    fn broadcast(conn: Open, payload_json: Value, sub_group: Option<String>) -> u64 {
        conn.broadcast(&payload_json, sub_group.as_deref())
    }

    /// Sends the JSON `payload_json` as a request to the live member `member_id` and waits
    /// up to `timeout_ms` for its reply (JSON) in `*reply_json_out`.
    /// Ownership: free `*reply_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (also: no such live member),
    /// GR_INVALID_JSON, GR_TIMEOUT (no reply in time), GR_CLOSED, GR_CONNECTION.
    #[c(gr_request, out = reply_json_out)]
    #[jni]
    fn request(conn: Open, member_id: String, payload_json: Value, timeout_ms: Duration) -> Json<Value> {
        Ok(Json(conn.request(&member_id, &payload_json, timeout_ms)?))
    }

    /// Answers the request `request_json` (the message as a listener received it) with the
    /// JSON `payload_json`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not a request), GR_INVALID_JSON,
    /// GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_reply)]
    #[jni]
    fn reply(conn: Open, request_json: Value, payload_json: Value) -> () {
        let request: Message = serde_json::from_value(request_json)
            .map_err(|e| Error::InvalidArgument(format!("not a message: {e}")))?;
        conn.reply(&request, &payload_json)
    }

    /// Subscribes to the messages of `member_id` (NULL: the connector's member id), a
    /// member this connector joined. The snapshot is {"member_id":"..."}; each event is
    /// {"to","from","session","kind":"send"|"broadcast"|"request","payload":<json>,
    /// "request_id":"..."|null,"id":"<stream id>"}, in send order per sender, each once,
    /// across a broken connection within the lease. The first listener also gets what was
    /// sent before it started; a later one starts after what an earlier one was given.
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not a live member), GR_CLOSED,
    /// GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_listen, out = subscription_out)]
    #[jni]
    fn listen(conn: Open, member_id: Option<String>) -> NewSubscription {
        gr_subscription::open(conn.listen(member_id.as_deref()))
    }
}
