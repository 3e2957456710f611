//! Messages between members and the durable topic log (docs/PROTOCOL.md, "Messages" and
//! "Topics"; the guide docs/MESSAGES.md says which to use when).
//!
//! - [`topic`]: a topic is a Redis stream under the group's hash tag. Batch send in one
//!   round trip, read from an index (waiting for new messages when asked), first and last
//!   index, retention by length or age on a timer. Indexes only grow, across Redis data loss
//!   too.
//! - [`consumer`]: durable consumer groups on a topic, whose consumers are sessions: the
//!   work of a session that ended moves to another consumer at once, and its late acks are
//!   refused.
//! - [`send`]: messages to live members (one member, every member of the group or of a
//!   sub-group, request/reply). Each goes to the recipient's inbox, a stream that lives as
//!   long as the member: an unknown or dead recipient is an error at send time.
//! - [`inbox`]: reading a member's inbox as a [`Subscription<Message>`], through the
//!   generic follower (so a reconnect resumes where it was, and a lost inbox is noticed).
//! - [`readers`]: the connections that blocking reads (wait for a topic, wait for a reply)
//!   borrow, one per waiting call, never the shared one.
//!
//! [`Subscription<Message>`]: crate::Subscription

pub(crate) mod consumer;
pub(crate) mod inbox;
pub(crate) mod readers;
pub(crate) mod retention;
pub(crate) mod send;
pub(crate) mod topic;

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a connector keeps for messages and topics.
#[derive(Default)]
pub(crate) struct Local {
    /// Idle connections for blocking reads.
    pub readers: readers::Readers,
    /// Whether the topic retention timer runs.
    pub trimmer: AtomicBool,
    /// Per member inbox incarnation: the counter and stream id of the last message a
    /// listener of this connector was given, so a later listener does not get it again.
    pub delivered: Arc<Mutex<HashMap<String, (u64, String)>>>,
}

/// What kind of message arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// Sent to this member alone ([`crate::Connector::send`]).
    Send,
    /// Sent to every live member of the group or a sub-group ([`crate::Connector::broadcast`]).
    Broadcast,
    /// A request: answer it with [`crate::Connector::reply`].
    Request,
}

/// One message delivered to a member. JSON shape:
/// `{"to":"m1","from":"m2","session":"<sid>","kind":"send"|"broadcast"|"request",
///   "payload":<json>,"request_id":"<id>"|null,"id":"<stream id>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The member it was delivered to.
    pub to: String,
    /// The sender's member id (its connector's configured member id).
    pub from: String,
    /// The sender's session.
    pub session: String,
    /// Send, broadcast or request.
    pub kind: MessageKind,
    /// The payload (JSON).
    pub payload: Value,
    /// For a request: the id to reply to.
    pub request_id: Option<String>,
    /// Its id in the recipient's inbox (grows in delivery order).
    pub id: String,
}

/// What a message subscription starts from: the member whose inbox it reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxSnapshot {
    /// The member whose messages are delivered.
    pub member_id: String,
}

impl Message {
    /// Whether it expects a [`crate::Connector::reply`].
    pub fn is_request(&self) -> bool {
        self.kind == MessageKind::Request
    }
}

impl crate::subscription::Event for Message {
    type Snapshot = InboxSnapshot;
}

/// A subscription to one member's messages.
pub type MessageSubscription = crate::Subscription<Message>;

pub use topic::{TopicBatch, TopicInfo, TopicMessage};
