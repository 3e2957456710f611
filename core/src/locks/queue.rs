//! A waiting lock call's footprint in Redis: its entry in the lock's FIFO queue and a hold
//! a release may hand it, which must not outlive the wait. When the wait ends without the
//! lock (timeout, error, the call dropped), the entry leaves and a hold handed over in the
//! meantime goes to the next waiter (lock_unwait, or lock_abandon when a request of this
//! wait may still be on its way: then the wait id is given up, so that request does
//! nothing when it arrives).

use crate::locks::release::Cleanup;
use crate::session::record::HeldLock;
use crate::session::Session;

pub(super) struct WaitEntry<'a> {
    session: &'a Session,
    pub name: &'a str,
    pub owner: &'a str,
    /// "<listener>:<n>": the connector's pub/sub listener and a number (Notices).
    pub wait: &'a str,
    /// The session a request of this wait was last sent under (None: nothing to undo).
    sid: Option<String>,
    /// Whether any request of this wait was sent (it may be in the queue).
    sent: bool,
    /// Whether a request of this wait went unanswered (it may still arrive).
    in_doubt: bool,
}

impl<'a> WaitEntry<'a> {
    pub fn new(session: &'a Session, name: &'a str, owner: &'a str, wait: &'a str) -> Self {
        WaitEntry {
            session,
            name,
            owner,
            wait,
            sid: None,
            sent: false,
            in_doubt: false,
        }
    }

    /// A request of this wait is about to be sent under session `sid`. Returns whether an
    /// earlier one was (so the wait may be queued already, and lock.lua looks for it
    /// before it queues it: a wait keeps its place).
    pub fn sent_as(&mut self, sid: &str) -> bool {
        if self.sid.as_deref() != Some(sid) {
            self.sid = Some(sid.to_string());
        }
        std::mem::replace(&mut self.sent, true)
    }

    /// A request of this wait got no answer.
    pub fn in_doubt(&mut self) {
        self.in_doubt = true;
    }

    /// The lock was taken on an attempt: nothing of the wait is left in Redis.
    pub fn done(&mut self) {
        self.sid = None;
    }

    /// A release handed the lock to this wait, as session `sid`, with `token` (its
    /// notice): the lock is ours if that session is still this connector's and its lease is
    /// good. Otherwise that hold is given back in the background and None returned (the
    /// caller asks Redis again, as its current session).
    pub fn accept_hand_off(&mut self, token: u64, sid: &str) -> Option<u64> {
        let mut record = self.session.record();
        if record.id == sid && record.lease_valid() {
            record
                .held
                .insert(self.name.to_string(), HeldLock { token, holds: 1 });
            drop(record);
            self.sid = None;
            return Some(token);
        }
        drop(record);
        let token = token.to_string();
        self.session.clean_up_in_background(
            sid,
            self.name,
            Cleanup::Release {
                owner: self.owner,
                token: &token,
            },
        );
        None
    }

    /// Leaves the queue (see the module comment); from the background when Redis does not
    /// answer.
    pub async fn leave(mut self) {
        let Some(sid) = self.sid.take() else { return };
        let scripts = &self.session.scripts;
        let script = if self.in_doubt {
            &scripts.lock_abandon
        } else {
            &scripts.lock_unwait
        };
        let args = [sid.as_str(), self.name, self.owner, self.wait];
        if self.session.run::<Vec<i64>>(script, &args).await.is_err() {
            self.abandon_in_background(&sid);
        }
    }

    fn abandon_in_background(&self, sid: &str) {
        self.session.clean_up_in_background(
            sid,
            self.name,
            Cleanup::Abandon {
                owner: self.owner,
                attempts: self.wait,
            },
        );
    }
}

impl Drop for WaitEntry<'_> {
    /// The waiting call was dropped (cancelled) mid-wait, perhaps with a request in flight.
    fn drop(&mut self) {
        if let Some(sid) = self.sid.take() {
            self.abandon_in_background(&sid);
        }
    }
}
