//! The current session as this connector knows it: its id, its lease on the local clock,
//! and what was registered under it.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::Value;

use crate::session::state::ConnectionState;
use crate::session::Session;

/// One held lock as this connector knows it.
#[derive(Debug, Clone)]
pub(crate) struct HeldLock {
    pub token: u64,
    pub holds: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct MemberSpec {
    /// The payload it last set.
    pub payload: Value,
    /// The online flag it last set.
    pub online: bool,
}

/// What this connector registered under its current session, kept so a new session can
/// re-establish it (Curator's PersistentNode behaviour).
#[derive(Debug)]
pub(crate) struct Record {
    pub id: String,
    /// Local monotonic end of the lease: when the last successful renewal was sent plus the
    /// session timeout.
    pub lease_until: Instant,
    /// Set once the lease is known to be gone; the next contact starts a new session.
    pub lost: bool,
    pub held: HashMap<String, HeldLock>,
    pub memberships: BTreeMap<String, MemberSpec>,
    pub ephemerals: BTreeMap<String, String>,
}

pub(crate) fn new_session_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Record {
    /// A fresh session with a new id, its lease not yet granted.
    pub fn new() -> Self {
        Record {
            id: new_session_id(),
            lease_until: Instant::now(),
            lost: false,
            held: HashMap::new(),
            memberships: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
        }
    }

    /// Whether the lease is still good on the local clock.
    pub fn lease_valid(&self) -> bool {
        !self.lost && Instant::now() < self.lease_until
    }
}

impl Session {
    /// Records that the lease is gone: locks are dropped locally and listeners told LOST.
    pub fn mark_lost(&self) {
        let newly_lost = {
            let mut record = self.record();
            record.held.clear();
            !std::mem::replace(&mut record.lost, true)
        };
        if newly_lost && !self.closed.load(Ordering::SeqCst) {
            tracing::warn!("the session's lease ran out: LOST, every held lock is gone");
            self.publish_state(ConnectionState::Lost);
        }
    }
}
