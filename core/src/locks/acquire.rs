//! Taking a lock: one attempt, or waiting in the lock's FIFO queue until a release hands
//! it over (one notice, to this waiter alone, see [`super::queue`]), with the holder's lease
//! deadline as the fallback wake-up, through SUSPENDED, LOST and Redis restarts.

use std::pin::pin;
use std::time::{Duration, Instant};

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::locks::attempt_id;
use crate::locks::queue::WaitEntry;
use crate::locks::release::{is_ambiguous, Cleanup};
use crate::names::check_name;
use crate::session::record::HeldLock;
use crate::session::state::ConnectionState;
use crate::session::Session;

/// How long a lock waiter pauses at least after a failed attempt before it tries again.
const PAUSE_AFTER_ERROR: Duration = Duration::from_millis(100);

/// Extra wait after a holder's lease deadline before retrying, so the server sees it passed.
const DEADLINE_MARGIN: Duration = Duration::from_millis(5);

pub(super) enum Attempt {
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

impl Connector {
    /// The general form: `member` (the configured member id when `None`), re-entrant or
    /// not, waiting up to `wait`. Returns the fencing token, or `None` when not acquired.
    #[tracing::instrument(
        name = "lock",
        skip_all,
        fields(group = self.group(), lock = name, member = self.member_or_own(member), reentrant = reentrant, wait_ms = wait.as_millis() as u64)
    )]
    pub async fn acquire(
        &self,
        member: Option<&str>,
        name: &str,
        reentrant: bool,
        wait: Duration,
    ) -> Result<Option<u64>> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let owner = member.unwrap_or(&self.inner.config.member_id);
        check_name("member id", owner)?;
        if wait.is_zero() {
            return match self
                .inner
                .attempt_lock(name, owner, reentrant, None)
                .await?
            {
                Attempt::Acquired { token } => Ok(Some(token)),
                Attempt::Busy { .. } => Ok(None),
                Attempt::InDoubt => Err(self.inner.refusal_in_doubt()),
            };
        }
        let deadline = Instant::now() + wait;
        let (wait_id, slot) = self.inner.notices.register_waiter().await;
        let mut entry = WaitEntry::new(&self.inner, name, owner, &wait_id);
        let result = self
            .inner
            .wait_for_lock(&mut entry, reentrant, &slot, deadline)
            .await;
        self.inner.notices.unregister_waiter(&wait_id);
        if !matches!(result, Ok(Some(_))) {
            // Out of the queue, and a hold handed over meanwhile given back.
            entry.leave().await;
        }
        result
    }
}

impl Session {
    /// Waits in the queue of `entry`'s lock until it is handed over (the token comes with
    /// the notice on `slot`), or taken on an attempt, or `deadline` passes.
    async fn wait_for_lock(
        &self,
        entry: &mut WaitEntry<'_>,
        reentrant: bool,
        slot: &crate::transport::notices::WaitSlot,
        deadline: Instant,
    ) -> Result<Option<u64>> {
        let (name, owner) = (entry.name, entry.owner);
        loop {
            let attempt = match self
                .attempt_lock(name, owner, reentrant, Some(&mut *entry))
                .await
            {
                Ok(attempt) => attempt,
                // Redis restarted, the session was replaced, a heartbeat failed: with time
                // left, wait for a usable session and go on as that session.
                Err(err) if self.outlast(&err, deadline).await => continue,
                Err(err) => return Err(err),
            };
            let retry_after = match attempt {
                Attempt::Acquired { token } => {
                    entry.done();
                    return Ok(Some(token));
                }
                Attempt::Busy { retry_after } => retry_after,
                Attempt::InDoubt if self.wait_until_usable(None, deadline).await => continue,
                Attempt::InDoubt => return Err(self.refusal_in_doubt()),
            };
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            // A notice that came while the attempt was in flight left a permit: no wait.
            let nap = retry_after.min(deadline - now);
            let _ = tokio::time::timeout(nap, slot.notify.notified()).await;
            self.check_open()?;
            if let Some((token, sid)) = slot.take_hand_off() {
                // With grants waiting for replicas, the next attempt reports the hold
                // handed over (and writes, so that its WAIT covers the hand-off).
                if self.config.wait_replicas().is_none() {
                    if let Some(token) = entry.accept_hand_off(token, &sid) {
                        return Ok(Some(token));
                    }
                }
            }
            // Woken at the holder's deadline, by a lost pub/sub connection, or handed the
            // lock under a session that is gone: ask Redis (a hold handed to this wait is
            // reported as acquired).
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }
}

impl Session {
    /// One lock request. With `entry` (a waiting caller), a busy lock queues its wait id,
    /// and a hold handed to it is reported as acquired.
    pub(super) async fn attempt_lock(
        &self,
        name: &str,
        owner: &str,
        reentrant: bool,
        mut entry: Option<&mut WaitEntry<'_>>,
    ) -> Result<Attempt> {
        let sid = {
            let session = self.record();
            if !session.lease_valid() || self.state.current() == ConnectionState::Suspended {
                return Ok(Attempt::InDoubt);
            }
            session.id.clone()
        };
        // lock.lua's packed arguments: the known epoch and lease as one, the flags and the
        // wait id as one, this attempt's id and those it gives up on as one (every FCALL
        // argument costs Redis time).
        let known = {
            let (epoch, max_lease) = self.epoch_args();
            format!("{epoch} {max_lease}")
        };
        let (wait, sent_before) = match entry.as_mut() {
            Some(entry) => {
                // Sent under this session: from now on it may queue the wait or be handed
                // a hold.
                let sent_before = entry.sent_as(&sid);
                (entry.wait.to_string(), sent_before)
            }
            None => (String::new(), false),
        };
        // A 'q' after the reentrant flag: an earlier request of this wait was sent and may
        // have queued it, so lock.lua looks for it first (without: it queues it at once).
        let how = |again: bool| {
            let flags = match (reentrant, again || sent_before) {
                (false, false) => "0",
                (true, false) => "1",
                (false, true) => "0q",
                (true, true) => "1q",
            };
            if wait.is_empty() {
                flags.to_string()
            } else {
                format!("{flags} {wait}")
            }
        };
        let args = |attempts: &str, again: bool| {
            [
                sid.clone(),
                name.to_string(),
                owner.to_string(),
                how(again),
                known.clone(),
                attempts.to_string(),
            ]
        };
        let first = attempt_id();
        let (reply, acked) = match self
            .run_lock(&args(&first, false).each_ref().map(String::as_str))
            .await
        {
            // The reply was lost, not necessarily the request: a second attempt gives the
            // first up (it can no longer take the lock when it arrives) and reports the
            // hold the first took, if it did.
            Err(err) if is_ambiguous(&err) => {
                let second = attempt_id();
                let attempts = format!("{second} {first}");
                match self
                    .run_lock(&args(&attempts, true).each_ref().map(String::as_str))
                    .await
                {
                    Ok(reply) => reply,
                    Err(again) => {
                        // Still unknown whether Redis applied either: make sure neither
                        // leaves a hold behind (nor, when the wait ends, a queue entry).
                        if let Some(entry) = entry {
                            entry.in_doubt();
                        }
                        self.clean_up_in_background(
                            &sid,
                            name,
                            Cleanup::Abandon {
                                owner,
                                attempts: &format!("{first} {second}"),
                            },
                        );
                        return Err(again);
                    }
                }
            }
            other => other?,
        };
        match reply.0.as_slice() {
            [1, token, _] if acked.is_some_and(|acked| acked < self.wanted_replicas()) => Err(self
                .give_back_unreplicated(&sid, name, owner, *token, acked.unwrap_or(0))
                .await),
            [1, token, holds] => {
                let mut session = self.record();
                if session.id != sid || !session.lease_valid() {
                    // Granted to a session that is gone by now: it is not ours to use.
                    drop(session);
                    let token = token.to_string();
                    self.clean_up_in_background(
                        &sid,
                        name,
                        Cleanup::Release {
                            owner,
                            token: &token,
                        },
                    );
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
            [3, grants_from, now] => {
                self.note_grace(name, *grants_from, *now);
                Ok(Attempt::Busy {
                    retry_after: Duration::from_millis((grants_from - now).max(0) as u64)
                        + DEADLINE_MARGIN,
                })
            }
            // {2} (this attempt given up on) cannot come back to the caller that sent it.
            other => Err(Error::protocol(format!("lock reply {other:?}"))),
        }
    }
}

impl Session {
    /// Runs the lock script, followed by `WAIT` when grants wait for replicas: the reply
    /// and, then, how many replicas acknowledged.
    async fn run_lock(&self, args: &[&str]) -> Result<(LockReply, Option<i64>)> {
        match self.config.wait_replicas() {
            None => Ok((self.run(&self.scripts.lock, args).await?, None)),
            Some(wait) => {
                let (reply, acked) = self.run_then_wait(&self.scripts.lock, args, wait).await?;
                Ok((reply, Some(acked)))
            }
        }
    }

    fn wanted_replicas(&self) -> i64 {
        self.config
            .wait_replicas()
            .map_or(0, |w| i64::from(w.replicas))
    }

    /// A grant (fencing token `token`) that fewer replicas than asked for acknowledged in
    /// time: given back at once (one hold, so a re-entry leaves the holds before it), and
    /// the caller told so. If the release itself fails, the background frees the hold.
    async fn give_back_unreplicated(
        &self,
        sid: &str,
        name: &str,
        owner: &str,
        token: i64,
        acked: i64,
    ) -> Error {
        let token = token.to_string();
        let id = attempt_id();
        let args = [sid, name, owner, token.as_str(), id.as_str()];
        if self.run::<i64>(&self.scripts.release, &args).await.is_err() {
            self.clean_up_in_background(
                sid,
                name,
                Cleanup::Release {
                    owner,
                    token: &token,
                },
            );
        }
        let wait = self.config.wait_replicas().expect("only when waiting");
        Error::Timeout(format!(
            "lock {name} was granted but {} of {} replicas acknowledged it within {} ms; \
             it was given back, so it is not held",
            acked.max(0),
            wait.replicas,
            wait.timeout.as_millis()
        ))
    }

    /// Why nothing is granted while the lease is not good: in doubt (SUSPENDED: it may yet
    /// be renewed) or run out on the local clock (LOST: it is gone).
    fn refusal_in_doubt(&self) -> Error {
        if self.record().lease_valid() {
            Error::LeaseInDoubt(
                "a heartbeat failed (SUSPENDED): no lock is granted until the lease is renewed \
                 or replaced"
                    .into(),
            )
        } else {
            Error::SessionExpired(
                "the session's lease ran out (LOST): no lock is granted until the session is \
                 replaced"
                    .into(),
            )
        }
    }

    /// A lock not granted because grants wait out a restart grace: says so, once per
    /// grace (every binding forwards the library's log records), since the lock looks free
    /// (`lock_holder` finds no holder) and the state is CONNECTED.
    fn note_grace(&self, name: &str, grants_from: i64, now: i64) {
        let mut logged = self.grace_logged.lock().unwrap();
        if *logged == grants_from {
            return;
        }
        *logged = grants_from;
        tracing::warn!(
            lock = name,
            grants_from_ms = grants_from,
            wait_ms = grants_from - now,
            "no lock is granted for {} ms more (until server time {grants_from} ms): Redis lost \
             or rolled back the group's state, and holders from before may still trust their \
             leases (see lock_status and docs/SAFETY.md)",
            grants_from - now
        );
    }

    /// After a failed attempt by a caller willing to wait until `deadline`: waits until
    /// the session is usable again (renewed or replaced) and returns true, or returns false
    /// when `err` is not worth waiting out or time ran out.
    async fn outlast(&self, err: &Error, deadline: Instant) -> bool {
        // A failure while the connection stays usable (a grant no replica acknowledged in
        // time, a slow reply) must not retry past the caller's deadline.
        if Instant::now() >= deadline {
            return false;
        }
        if !matches!(
            err,
            Error::SessionExpired(_) | Error::Connection(_) | Error::Timeout(_)
        ) {
            return false;
        }
        // A session Redis no longer has must be replaced before anything can succeed.
        let gone = matches!(err, Error::SessionExpired(_)).then(|| self.record().id.clone());
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
                let session = self.record();
                session.lease_valid()
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
}

/// lock.lua's reply as `{kind, ...}`. Its two commonest outcomes come as one integer (an
/// integer reply costs Redis less than an array): a new hold taken by the attempt as the
/// bare token, read here as `{1, token, 1}`, and a busy lock as -1 - d, d being the
/// milliseconds until the caller may try again, read as `{0, d, 0}`. Every other outcome
/// comes as that array.
pub(super) struct LockReply(Vec<i64>);

impl redis::FromRedisValue for LockReply {
    fn from_redis_value(value: redis::Value) -> std::result::Result<Self, redis::ParsingError> {
        match value {
            redis::Value::Int(token) if token > 0 => Ok(LockReply(vec![1, token, 1])),
            redis::Value::Int(busy) if busy < 0 => Ok(LockReply(vec![0, -1 - busy, 0])),
            other => Ok(LockReply(Vec::<i64>::from_redis_value(other)?)),
        }
    }
}
