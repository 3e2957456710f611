//! The records of an assignment topic (docs/PROTOCOL.md, "Controlled assignments"): the
//! leader's persistent record of who owns what, and each participant's ephemeral record of
//! what it holds (its acknowledgement).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One id in the leader's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Slot {
    /// Who owns it now; `None` while unassigned or being revoked.
    pub owner: Option<String>,
    /// The id's fencing token: grows with each assignment of the id.
    pub token: u64,
    /// The previous owner, while it has not acknowledged the revocation (and its session
    /// lives): nobody else gets the id meanwhile.
    pub revoking: Option<String>,
    /// The epoch of the record that started the revocation: it ends only with an
    /// acknowledgement of that epoch or later, so a record still in flight to the old owner
    /// (one that gave it the id) cannot hand the id back to it after the leader moved it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revoked_at: u64,
    /// The incarnation (see [`Held::incarnation`]) of `owner`, or of `revoking`: a process
    /// that took the member id over from an ended session is another owner, whose tokens
    /// must be larger. 0 in records from before this field: any incarnation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub incarnation: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `assign/<topic>/state`: written by the leader only, with compare-and-set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    /// +1 on every change.
    pub epoch: u64,
    pub ids: BTreeMap<String, Slot>,
}

impl Record {
    /// The ids `member` owns, with their tokens, whatever its incarnation.
    #[cfg(test)]
    pub fn share(&self, member: &str) -> BTreeMap<String, u64> {
        self.share_of(member, 0)
    }

    /// The ids the `incarnation` of `member` owns (0: any), with their tokens.
    pub fn share_of(&self, member: &str, incarnation: u64) -> BTreeMap<String, u64> {
        self.ids
            .iter()
            .filter(|(_, slot)| slot.owner.as_deref() == Some(member))
            .filter(|(_, slot)| same_incarnation(slot.incarnation, incarnation))
            .map(|(id, slot)| (id.clone(), slot.token))
            .collect()
    }
}

/// `assign/<topic>/held/<member>`: what a participant holds (ephemeral: it goes with the
/// participant's session, which is how the leader learns it ended).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Held {
    /// The record epoch the participant last applied.
    pub epoch: u64,
    pub ids: BTreeSet<String>,
    /// Random, chosen by each [`crate::Assignment`] (kept across its reconnects): tells a
    /// process that restarted with the same member id from the one before it.
    #[serde(default)]
    pub incarnation: u64,
}

/// Whether two incarnations are the same participant (0 stands for any).
pub(crate) fn same_incarnation(a: u64, b: u64) -> bool {
    a == 0 || b == 0 || a == b
}

pub(crate) fn record_path(topic: &str) -> String {
    format!("assign/{topic}/state")
}

pub(crate) fn held_prefix(topic: &str) -> String {
    format!("assign/{topic}/held/")
}

pub(crate) fn leadership_name(topic: &str) -> String {
    format!("assign/{topic}")
}
