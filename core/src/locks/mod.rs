//! Locks: exclusive or re-entrant, held for as long as the holder's session lives, each
//! acquisition returning a fencing token that only grows per lock name.

use std::pin::pin;
use std::time::{Duration, Instant};

use crate::connector::{Connector, HeldLock, Inner};
use crate::error::{Error, Result};
use crate::names::check_name;
use crate::session::state::ConnectionState;
use crate::transport::runtime;

/// How long a lock waiter pauses at least after a failed attempt before it tries again.
const PAUSE_AFTER_ERROR: Duration = Duration::from_millis(100);
/// Background release attempts after an ambiguous failure, at most.
const BACKGROUND_RELEASE_TRIES: u32 = 50;

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
    /// After an attempt whose reply was lost: a hold of this owner and session is the
    /// earlier attempt's, reported as acquired rather than added to.
    Reconcile,
}

impl Mode {
    fn as_arg(self) -> &'static str {
        match self {
            Mode::Try => "try",
            Mode::JoinWait => "join-wait",
            Mode::Waiting => "waiting",
            Mode::Reconcile => "reconcile",
        }
    }
}

enum Attempt {
    Acquired {
        token: u64,
    },
    Busy {
        retry_after: Duration,
    },
    /// Not sent: the lease is in doubt (SUSPENDED, or run out locally), so nothing may be
    /// granted now. Unlike a session Redis no longer has, it can come back as it is.
    InDoubt,
}

fn lease_in_doubt() -> Error {
    Error::SessionExpired(
        "the session's lease is in doubt (a heartbeat failed or the lease ran out): no lock \
         is granted until it is renewed or replaced"
            .into(),
    )
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
    #[tracing::instrument(
        name = "lock",
        skip_all,
        fields(group = self.group(), lock = name, member = self.member_or_own(member), reentrant = reentrant, wait_ms = wait.as_millis() as u64)
    )]
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
            .await
        {
            Ok(Attempt::Acquired { token }) => return Ok(Some(token)),
            Ok(Attempt::Busy { .. }) if wait.is_zero() => return Ok(None),
            Ok(Attempt::Busy { .. }) => {}
            Ok(Attempt::InDoubt)
                if wait.is_zero() || !self.inner.wait_until_usable(None, deadline).await =>
            {
                return Err(lease_in_doubt())
            }
            Ok(Attempt::InDoubt) => {}
            Err(err) if wait.is_zero() || !self.inner.outlast(&err, deadline).await => {
                return Err(err)
            }
            Err(_) => {}
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
                let attempt = match self.inner.attempt_lock(name, owner, reentrant, mode).await {
                    Ok(attempt) => attempt,
                    // Redis restarted, the session was replaced, a heartbeat failed: with
                    // time left, wait for a usable session and go on as that session.
                    Err(err) if self.inner.outlast(&err, deadline).await => {
                        counted = false;
                        continue;
                    }
                    Err(err) => return Err(err),
                };
                let retry_after = match attempt {
                    Attempt::Acquired { token } => {
                        counted = false;
                        return Ok(Some(token));
                    }
                    Attempt::Busy { retry_after } => retry_after,
                    Attempt::InDoubt if self.inner.wait_until_usable(None, deadline).await => {
                        continue
                    }
                    Attempt::InDoubt => return Err(lease_in_doubt()),
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

    /// Frees `name` whoever holds it, as an operator would for a holder known to be stuck
    /// (Redisson's `forceUnlock`), and returns who held it, or None when nobody did.
    ///
    /// The holder is not told: its connector still reports the lock held until it releases
    /// it (that release then returns false) or its session ends. The lock keeps its last
    /// fencing token, so the next holder's token is larger and a resource that checks
    /// tokens (docs/SAFETY.md) refuses the old holder's writes. Waiters are woken.
    #[tracing::instrument(name = "force_release", skip_all, fields(group = self.group(), lock = name))]
    pub async fn force_release(&self, name: &str) -> Result<Option<LockHolder>> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let reply: Vec<redis::Value> = self
            .inner
            .run(&self.inner.scripts.lock_force_release, &[name])
            .await?;
        let text = |value: &redis::Value| -> Result<String> {
            redis::from_redis_value(value.clone())
                .map_err(|e| Error::protocol(format!("force_release reply: {e}")))
        };
        match reply.as_slice() {
            [flag] if text(flag)? == "0" => Ok(None),
            [_, member, session, token] => Ok(Some(LockHolder {
                member: text(member)?,
                session: text(session)?,
                token: text(token)?
                    .parse()
                    .map_err(|e| Error::protocol(format!("force_release token: {e}")))?,
            })),
            other => Err(Error::protocol(format!("force_release reply: {other:?}"))),
        }
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

    #[tracing::instrument(
        name = "release",
        skip_all,
        fields(group = self.group(), lock = name, member = self.member_or_own(member))
    )]
    async fn release_as_inner(&self, name: &str, member: Option<&str>) -> Result<bool> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let owner = member.unwrap_or(&self.inner.config.member_id);
        check_name("member id", owner)?;
        let sid = self.inner.session().id.clone();
        let args = [sid.as_str(), name, owner, "0"];
        let release = || {
            self.inner
                .run::<Vec<i64>>(&self.inner.scripts.release, &args)
        };
        let (reply, retried) = match release().await {
            Err(err) if is_ambiguous(&err) => match release().await {
                Ok(reply) => (reply, true),
                Err(again) => {
                    self.inner.session().held.remove(name);
                    self.inner.release_in_background(&sid, name, owner);
                    return Err(again);
                }
            },
            other => (other?, false),
        };
        match reply.as_slice() {
            // The first call was applied; only its reply was lost.
            [0] if retried => {
                self.inner.session().held.remove(name);
                Ok(true)
            }
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
        let sid = {
            let session = self.session();
            if !Inner::lease_valid(&session) || self.state.current() == ConnectionState::Suspended {
                return Ok(Attempt::InDoubt);
            }
            session.id.clone()
        };
        let flag = if reentrant { "1" } else { "0" };
        let (known, max_lease) = self.epoch_args();
        let call = |mode: Mode| {
            let args = [
                sid.as_str(),
                name,
                owner,
                flag,
                mode.as_arg(),
                known.as_str(),
                max_lease.as_str(),
            ];
            async move { self.run::<Vec<i64>>(&self.scripts.lock, &args).await }
        };
        let reply = match call(mode).await {
            Err(err) if is_ambiguous(&err) => match call(Mode::Reconcile).await {
                Ok(reply) => reply,
                Err(again) => {
                    // Still unknown whether Redis applied it: make sure it ends up free.
                    self.release_in_background(&sid, name, owner);
                    return Err(again);
                }
            },
            other => other?,
        };
        match reply.as_slice() {
            [1, token, holds] => {
                let mut session = self.session();
                if session.id != sid || !Inner::lease_valid(&session) {
                    // Granted to a session that is gone by now: it is not ours to use.
                    drop(session);
                    self.release_in_background(&sid, name, owner);
                    return Err(Error::SessionExpired(
                        "the lease ran out while the lock was being taken".into(),
                    ));
                }
                session.held.insert(
                    name.to_string(),
                    HeldLock {
                        token: *token as u64,
                        holds: *holds as u64,
                    },
                );
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

/// A failure after which Redis may or may not have applied the call.
fn is_ambiguous(err: &Error) -> bool {
    matches!(err, Error::Timeout(_) | Error::Connection(_))
}

impl Inner {
    /// After a failed attempt by a caller willing to wait until `deadline`: waits until
    /// the session is usable again (renewed or replaced) and returns true, or returns false
    /// when `err` is not worth waiting out or time ran out.
    async fn outlast(&self, err: &Error, deadline: Instant) -> bool {
        if !matches!(
            err,
            Error::SessionExpired(_) | Error::Connection(_) | Error::Timeout(_)
        ) {
            return false;
        }
        // A session Redis no longer has must be replaced before anything can succeed.
        let gone = matches!(err, Error::SessionExpired(_)).then(|| self.session().id.clone());
        if gone.is_some() {
            self.beat_now.notify_one();
        }
        self.wait_until_usable(gone, deadline).await
    }

    /// Waits until the lease is good and the state CONNECTED (and, with `replacing`, the
    /// session is no longer that one) and returns true, or returns false once `deadline`
    /// passes or the connector closes.
    async fn wait_until_usable(&self, replacing: Option<String>, deadline: Instant) -> bool {
        tokio::time::sleep(
            PAUSE_AFTER_ERROR.min(deadline.saturating_duration_since(Instant::now())),
        )
        .await;
        loop {
            if self.check_open().is_err() {
                return false;
            }
            let mut changed = pin!(self.state.changed());
            changed.as_mut().enable();
            let usable = {
                let session = self.session();
                Inner::lease_valid(&session)
                    && self.state.current() == ConnectionState::Connected
                    && replacing.as_ref().map_or(true, |old| session.id != *old)
            };
            if usable {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            // The lease may also come back without a state change (renewed in time).
            let nap = (deadline - now).min(Duration::from_millis(250));
            let _ = tokio::time::timeout(nap, changed).await;
        }
    }

    /// Releases `name` held by `owner` under `sid` from the background, retrying while
    /// Redis does not answer, so a lock taken by a call whose reply was lost is never left
    /// orphaned under a live session. Stops once the session is no longer this connector's
    /// (ending a session frees its locks anyway).
    fn release_in_background(&self, sid: &str, name: &str, owner: &str) {
        let Some(inner) = self.myself() else { return };
        let (sid, name, owner) = (sid.to_string(), name.to_string(), owner.to_string());
        runtime::handle().spawn(async move {
            let mut pause = Duration::from_millis(100);
            for _ in 0..BACKGROUND_RELEASE_TRIES {
                if inner.closed.load(std::sync::atomic::Ordering::SeqCst)
                    || inner.session().id != sid
                {
                    return;
                }
                let reply = inner
                    .run::<Vec<i64>>(&inner.scripts.release, &[&sid, &name, &owner, "1"])
                    .await;
                if reply.is_ok() {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            tracing::warn!(lock = %name, "could not release a lock after a lost reply");
        });
    }
}

/// Who held a lock: the member id the hold was taken as, its session, and the fencing
/// token of the hold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LockHolder {
    pub member: String,
    pub session: String,
    pub token: u64,
}
