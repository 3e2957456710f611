//! Locks: exclusive or re-entrant, held for as long as the holder's session lives, each
//! acquisition returning a fencing token that only grows per lock name.

use std::pin::pin;
use std::time::{Duration, Instant};

use crate::connector::{Connector, HeldLock, Inner};
use crate::error::{Error, Result};
use crate::names::check_name;

/// Extra wait after a holder's lease deadline before retrying, so the server sees it passed.
const DEADLINE_MARGIN: Duration = Duration::from_millis(5);

/// How a lock attempt relates to waiting (see lock.lua).
#[derive(Clone, Copy)]
enum Mode {
    /// A plain attempt.
    Try,
    /// A waiter's first attempt: if busy, count this caller among the waiters.
    JoinWait,
    /// A counted waiter's attempt: on success, uncount.
    Waiting,
}

impl Mode {
    fn as_arg(self) -> &'static str {
        match self {
            Mode::Try => "try",
            Mode::JoinWait => "join-wait",
            Mode::Waiting => "waiting",
        }
    }
}

enum Attempt {
    Acquired { token: u64 },
    Busy { retry_after: Duration },
}

impl Connector {
    /// Takes the exclusive lock `name` as this connector's member id without waiting.
    /// Returns the fencing token, or `None` when it is held, by anyone (this member too:
    /// the lock is not re-entrant).
    pub async fn lock(&self, name: &str) -> Result<Option<u64>> {
        self.acquire(name, None, false, Duration::ZERO).await
    }

    /// [`Connector::lock`] on behalf of `member` (the seed API's `lock(c, member, key)`).
    pub async fn lock_as(&self, member: &str, name: &str) -> Result<Option<u64>> {
        self.acquire(name, Some(member), false, Duration::ZERO)
            .await
    }

    /// Takes `name` re-entrantly: a holder taking it again adds a hold (same token);
    /// [`Connector::release`] removes one, and the lock is freed at zero.
    pub async fn reentrant_lock(&self, name: &str) -> Result<Option<u64>> {
        self.acquire(name, None, true, Duration::ZERO).await
    }

    /// [`Connector::reentrant_lock`] on behalf of `member`.
    pub async fn reentrant_lock_as(&self, member: &str, name: &str) -> Result<Option<u64>> {
        self.acquire(name, Some(member), true, Duration::ZERO).await
    }

    /// Takes the exclusive lock `name`, waiting up to `wait` for it. Waiting wakes on the
    /// holder's release (pub/sub) or, as a fallback, at the holder's lease deadline.
    pub async fn try_lock(&self, name: &str, wait: Duration) -> Result<Option<u64>> {
        self.acquire(name, None, false, wait).await
    }

    /// The general form: `member` (the configured member id when `None`), re-entrant or
    /// not, waiting up to `wait`. Returns the fencing token, or `None` when not acquired.
    pub async fn acquire(
        &self,
        name: &str,
        member: Option<&str>,
        reentrant: bool,
        wait: Duration,
    ) -> Result<Option<u64>> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let owner = member.unwrap_or(&self.inner.config.member_id);
        check_name("member id", owner)?;
        let deadline = Instant::now() + wait;
        match self
            .inner
            .attempt_lock(name, owner, reentrant, Mode::Try)
            .await?
        {
            Attempt::Acquired { token } => return Ok(Some(token)),
            Attempt::Busy { .. } if wait.is_zero() => return Ok(None),
            Attempt::Busy { .. } => {}
        }
        let notify = self.inner.notices.register_waiter(name).await;
        // Whether Redis counts us among the lock's waiters (so its release publishes).
        let mut counted = false;
        let result = async {
            loop {
                let mut notified = pin!(notify.notified());
                notified.as_mut().enable();
                let mode = if counted {
                    Mode::Waiting
                } else {
                    Mode::JoinWait
                };
                let attempt = self
                    .inner
                    .attempt_lock(name, owner, reentrant, mode)
                    .await?;
                let retry_after = match attempt {
                    Attempt::Acquired { token } => {
                        counted = false;
                        return Ok(Some(token));
                    }
                    Attempt::Busy { retry_after } => retry_after,
                };
                counted = true;
                let now = Instant::now();
                if now >= deadline {
                    return Ok(None);
                }
                let nap = retry_after.min(deadline - now);
                let _ = tokio::time::timeout(nap, notified).await;
                self.inner.check_open()?;
            }
        }
        .await;
        self.inner.notices.unregister_waiter(name, notify);
        if counted {
            // Best effort: a stale count only costs an unneeded publish on release.
            let _ = self
                .inner
                .run::<i64>(&self.inner.scripts.lock_unwait, &[name])
                .await;
        }
        result
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

    async fn release_as_inner(&self, name: &str, member: Option<&str>) -> Result<bool> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let owner = member.unwrap_or(&self.inner.config.member_id);
        check_name("member id", owner)?;
        let sid = self.inner.session().id.clone();
        let reply: Vec<i64> = self
            .inner
            .run(&self.inner.scripts.release, &[&sid, name, owner])
            .await?;
        match reply.as_slice() {
            [1, remaining] => {
                let mut session = self.inner.session();
                if *remaining == 0 {
                    session.held.remove(name);
                } else if let Some(held) = session.held.get_mut(name) {
                    held.holds = *remaining as u64;
                }
                Ok(true)
            }
            [0] => Ok(false),
            other => Err(Error::protocol(format!("release reply {other:?}"))),
        }
    }

    /// Whether this connector holds `name` and its lease is still good, answered locally
    /// without I/O. False from the moment the lease may have run out (LOST).
    pub fn is_held(&self, name: &str) -> bool {
        self.held_token(name).is_some()
    }

    /// The fencing token of `name` if this connector holds it (see [`Connector::is_held`]).
    pub fn held_token(&self, name: &str) -> Option<u64> {
        let session = self.inner.session();
        if !Inner::lease_valid(&session) {
            return None;
        }
        session.held.get(name).map(|held| held.token)
    }
}

impl Inner {
    async fn attempt_lock(
        &self,
        name: &str,
        owner: &str,
        reentrant: bool,
        mode: Mode,
    ) -> Result<Attempt> {
        let sid = self.session().id.clone();
        let reentrant = if reentrant { "1" } else { "0" };
        let reply: Vec<i64> = self
            .run(
                &self.scripts.lock,
                &[&sid, name, owner, reentrant, mode.as_arg()],
            )
            .await?;
        match reply.as_slice() {
            [1, token, holds] => {
                let mut session = self.session();
                if session.id == sid {
                    session.held.insert(
                        name.to_string(),
                        HeldLock {
                            token: *token as u64,
                            holds: *holds as u64,
                        },
                    );
                }
                Ok(Attempt::Acquired {
                    token: *token as u64,
                })
            }
            [0, holder_deadline, now] => Ok(Attempt::Busy {
                retry_after: Duration::from_millis((holder_deadline - now).max(0) as u64)
                    + DEADLINE_MARGIN,
            }),
            other => Err(Error::protocol(format!("lock reply {other:?}"))),
        }
    }
}
