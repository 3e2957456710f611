//! Data events as watchers see them (see [`crate::Connector::watch`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::Entry;

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataEventKind {
    /// The key was created or replaced.
    Put,
    /// The key was deleted (explicitly, or by its owner's `close` for an ephemeral key).
    Delete,
    /// An ephemeral key went with its session when the session's lease ran out.
    Expired,
}

/// One change of one key, JSON
/// `{"path","kind","value","version","revision","resync"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataEvent {
    /// The key's path (persistent path or ephemeral key name).
    pub path: String,
    /// What happened.
    pub kind: DataEventKind,
    /// The new value for a put; `null` for a delete or expiry.
    pub value: Value,
    /// The key's version after a put (1 on create, +1 per write); the version it had for a
    /// delete or expiry.
    pub version: u64,
    /// The group's data revision of this change: one counter for persistent and ephemeral
    /// data, growing with every change, never going back (also across Redis data loss).
    pub revision: u64,
    /// True when history was lost (trimmed, or Redis lost its data): the event is part of
    /// the difference between what the watcher knew and a fresh snapshot; each path comes
    /// once, all with the snapshot's revision. Applied like ordinary events, they give the
    /// true state.
    pub resync: bool,
}

/// What a watch starts from: the matching keys (sorted by path) at `revision`, JSON
/// `{"revision":N,"entries":[{"path","value","version"}, ...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DataSnapshot {
    /// The group's data revision the entries are current at.
    pub revision: u64,
    /// The matching keys with their values and versions, sorted by path.
    pub entries: Vec<Entry>,
}
