//! Members and membership events as callers see them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// One live member of the group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The member id (`<hostname>-<pid>` by default).
    pub id: String,
    /// The sub-groups it belongs to.
    pub sub_groups: Vec<String>,
    /// Its payload (small JSON document), `null` when none.
    #[serde(default)]
    pub payload: Value,
    /// When it joined: Redis server time, milliseconds since the Unix epoch.
    pub joined_at: u64,
    /// The session that holds it (changes when its connector re-registers).
    pub session: String,
    /// Whether it is online: a member sets itself offline without leaving
    /// ([`crate::Connector::set_online`]), e.g. to take no work while it drains. `true` for
    /// a record without the field (written by an older connector).
    #[serde(default = "online_by_default")]
    pub online: bool,
}

fn online_by_default() -> bool {
    true
}

/// Why a member left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaveReason {
    /// It called leave or its connector closed.
    Left,
    /// Its session's lease ran out (crash, freeze, partition).
    Expired,
    /// The subscriber lost track (trimmed history or Redis lost its data) and found the
    /// member gone when it compared a fresh snapshot with what it knew.
    Resync,
}

impl LeaveReason {
    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "left" => LeaveReason::Left,
            "expired" => LeaveReason::Expired,
            _ => LeaveReason::Resync,
        }
    }
}

/// One change of the group's membership, in the seed's shape
/// `{joined_members, left_members}` plus updates, the leave reason and the position.
///
/// A resync event (history was lost: trimmed, or Redis lost its data) carries the
/// difference between what the subscriber knew and a fresh snapshot, each member id in at
/// most one list: `left_members` gone (reason `resync`), `joined_members` new,
/// `updated_members` changed (also a member back under a new session).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembershipEvent {
    /// Members that joined.
    pub joined_members: Vec<Member>,
    /// Members that left (their last known record).
    pub left_members: Vec<Member>,
    /// Members whose sub-groups or payload changed.
    pub updated_members: Vec<Member>,
    /// Why `left_members` left; `None` when nobody left.
    pub reason: Option<LeaveReason>,
    /// The group's view counter after this change; for a resync, the fresh snapshot's.
    pub view: u64,
    /// Stream position of the change (`<ms>-<seq>`); for a resync, the fresh snapshot's
    /// (`0-0` while the group's event stream is empty, as right after Redis restarted
    /// empty).
    pub position: String,
}

impl MembershipEvent {
    /// An event with no changes yet, at `view` and stream `position`.
    pub(crate) fn empty(view: u64, position: String) -> Self {
        MembershipEvent {
            joined_members: vec![],
            left_members: vec![],
            updated_members: vec![],
            reason: None,
            view,
            position,
        }
    }

    /// Whether it carries no change at all.
    pub fn is_empty(&self) -> bool {
        self.joined_members.is_empty()
            && self.left_members.is_empty()
            && self.updated_members.is_empty()
    }
}

pub(crate) fn parse_member(record: &str) -> Result<Member> {
    serde_json::from_str(record)
        .map_err(|e| Error::protocol(format!("bad member record {record:?}: {e}")))
}

/// The members among `records` that parse. A record this library cannot read (written by
/// a foreign or broken client) is skipped with a warning: it must not hide everyone else.
pub(crate) fn parse_members<'a>(records: impl IntoIterator<Item = &'a String>) -> Vec<Member> {
    records
        .into_iter()
        .filter_map(|record| match parse_member(record) {
            Ok(member) => Some(member),
            Err(err) => {
                tracing::warn!(error = %err, "skipping a member record");
                None
            }
        })
        .collect()
}
