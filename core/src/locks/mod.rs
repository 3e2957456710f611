//! Locks: exclusive or re-entrant, held for as long as the holder's session lives, each
//! acquisition returning a fencing token that only grows per lock name. Taking a lock is
//! in [`acquire`], giving it back in [`release`], asking Redis who holds one in [`holder`].

mod acquire;
mod holder;
mod queue;
mod release;

pub use holder::{LockHolder, LockStatus};

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::connector::Connector;
use crate::error::Result;
use crate::names::check_name;

/// A new id for one lock request or release, unique in this process and so within any
/// session (lock.lua: a request whose reply was lost is followed up by its id).
pub(crate) fn attempt_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed).to_string()
}

impl Connector {
    /// Takes the exclusive lock `name` as this connector's member id without waiting.
    /// Returns the fencing token, or `None` when it is held, by anyone (this member too:
    /// the lock is not re-entrant).
    pub async fn lock(&self, name: &str) -> Result<Option<u64>> {
        self.acquire(None, name, false, Duration::ZERO).await
    }

    /// [`Connector::lock`] on behalf of `member` (the seed API's `lock(c, member, key)`).
    pub async fn lock_as(&self, member: &str, name: &str) -> Result<Option<u64>> {
        self.acquire(Some(member), name, false, Duration::ZERO)
            .await
    }

    /// Takes `name` re-entrantly: a holder taking it again adds a hold (same token);
    /// [`Connector::release`] removes one, and the lock is freed at zero.
    pub async fn reentrant_lock(&self, name: &str) -> Result<Option<u64>> {
        self.acquire(None, name, true, Duration::ZERO).await
    }

    /// [`Connector::reentrant_lock`] on behalf of `member`.
    pub async fn reentrant_lock_as(&self, member: &str, name: &str) -> Result<Option<u64>> {
        self.acquire(Some(member), name, true, Duration::ZERO).await
    }

    /// Takes the exclusive lock `name`, waiting up to `wait` for it. Waiters are served in
    /// arrival order (fair): a release hands the lock to the oldest live waiter and wakes
    /// that one alone (pub/sub), with the holder's lease deadline as the fallback wake-up.
    pub async fn try_lock(&self, name: &str, wait: Duration) -> Result<Option<u64>> {
        self.acquire(None, name, false, wait).await
    }

    /// Releases one hold of `name` taken as this connector's member id. Returns false when
    /// this member (of this session) does not hold it.
    pub async fn release(&self, name: &str) -> Result<bool> {
        self.release_as_inner(name, None).await
    }

    /// [`Connector::release`] on behalf of `member`.
    pub async fn release_as(&self, member: &str, name: &str) -> Result<bool> {
        self.release_as_inner(name, Some(member)).await
    }

    /// Whether this connector holds `name` and its lease is still good, answered locally
    /// without I/O. False from the moment the lease may have run out (LOST), and after
    /// close. Fails with [`crate::Error::InvalidArgument`] for a name no lock can have, as every
    /// call does.
    pub fn is_held(&self, name: &str) -> Result<bool> {
        Ok(self.held_token(name)?.is_some())
    }

    /// The fencing token of `name` if this connector holds it (see [`Connector::is_held`]).
    pub fn held_token(&self, name: &str) -> Result<Option<u64>> {
        check_name("lock name", name)?;
        let record = self.inner.record();
        if !record.lease_valid() {
            return Ok(None);
        }
        Ok(record.held.get(name).map(|held| held.token))
    }
}
