//! The session's background loop: renews the lease in one round trip, reaps expired
//! sessions right at their deadline, tracks the connection state and replaces a lost
//! session (re-registering members and ephemeral data, never locks). No error stops it.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::connector::{new_session_id, Beat, Inner};
use crate::error::{Error, Result};
use crate::session::state::ConnectionState;

/// Grace added after another session's deadline before reaping it, so the reap script sees
/// the deadline as passed on the server clock.
const REAP_MARGIN: Duration = Duration::from_millis(5);
/// How soon a failed heartbeat is retried (at most; never later than the heartbeat period).
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(250);

/// Runs until the connector is closed (close aborts this task) or dropped.
pub(crate) async fn run(inner: Weak<Inner>, first: Beat) {
    let heartbeat = match inner.upgrade() {
        Some(inner) => inner.config.heartbeat(),
        None => return,
    };
    let mut schedule = Schedule::after_success(heartbeat, Instant::now(), first);
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if let Some(hint) = strong.notices.take_reap_hint() {
            schedule.reap_at = Some(schedule.reap_at.map_or(hint, |at| at.min(hint)) + REAP_MARGIN);
        }
        let lease_until = {
            let session = strong.session();
            (!session.lost).then_some(session.lease_until)
        };
        let wake = schedule.wake_at(lease_until);
        tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => {
                schedule = beat(&strong, heartbeat).await;
            }
            // A new session announced its deadline: fold it into the schedule.
            _ = strong.notices.reap_hint_changed() => {}
            // A call found the session gone: find out now rather than at the next beat.
            _ = strong.beat_now.notified() => {
                schedule = beat(&strong, heartbeat).await;
            }
        }
    }
}

struct Schedule {
    next_beat: Instant,
    reap_at: Option<Instant>,
}

impl Schedule {
    fn after_success(heartbeat: Duration, sent: Instant, beat: Beat) -> Self {
        let reap_at = (beat.next_deadline_ms >= 0).then(|| {
            let wait_ms = (beat.next_deadline_ms - beat.server_now_ms).max(0) as u64;
            Instant::now() + Duration::from_millis(wait_ms) + REAP_MARGIN
        });
        Schedule {
            next_beat: sent + heartbeat,
            reap_at,
        }
    }

    fn after_failure(heartbeat: Duration) -> Self {
        Schedule {
            next_beat: Instant::now() + heartbeat.min(RETRY_AFTER_FAILURE),
            reap_at: None,
        }
    }

    /// The next wake-up: the next renewal, the next reap, or the local end of the lease
    /// (so LOST is reported on time even while Redis does not answer).
    fn wake_at(&self, lease_until: Option<Instant>) -> Instant {
        [Some(self.next_beat), self.reap_at, lease_until]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.next_beat)
    }
}

#[tracing::instrument(name = "heartbeat", skip_all, fields(group = inner.config.group.as_str()))]
async fn beat(inner: &Arc<Inner>, heartbeat: Duration) -> Schedule {
    let (sid, lost, lease_until) = {
        let session = inner.session();
        (
            session.id.clone(),
            !Inner::lease_valid(&session),
            session.lease_until,
        )
    };
    if lost {
        inner.mark_lost();
        return match replace_session(inner, &sid).await {
            Ok((sent, beat)) => {
                tracing::info!(
                    "RECONNECTED with a new session: members and ephemeral data re-registered, locks not"
                );
                inner.publish_state(ConnectionState::Reconnected);
                Schedule::after_success(heartbeat, sent, beat)
            }
            Err(err) => {
                tracing::debug!(error = %err, "new session not established yet");
                Schedule::after_failure(heartbeat)
            }
        };
    }
    let sent = Instant::now();
    // The call races the local end of the lease: LOST is declared on time even while a
    // renewal hangs (its reply would come too late to count anyway).
    let call = tokio::select! {
        call = tokio::time::timeout(heartbeat, inner.heartbeat_call(&sid, false)) => call,
        _ = tokio::time::sleep_until(lease_until.into()) => {
            inner.mark_lost();
            return Schedule { next_beat: Instant::now(), reap_at: None };
        }
    };
    match call {
        Ok(Ok(beat)) if beat.alive => {
            let resumed = {
                let mut session = inner.session();
                if session.id == sid {
                    session.lease_until = sent + inner.config.local_lease();
                }
                inner.state.current() == ConnectionState::Suspended
            };
            if resumed {
                tracing::info!("RECONNECTED: the session's lease was renewed in time");
                inner.publish_state(ConnectionState::Reconnected);
            }
            Schedule::after_success(heartbeat, sent, beat)
        }
        Ok(Ok(_expired)) => {
            // Redis says the session is gone (reaped, or Redis lost its data).
            inner.mark_lost();
            Schedule {
                next_beat: Instant::now(),
                reap_at: None,
            }
        }
        Ok(Err(err)) => suspended(inner, heartbeat, &err),
        Err(_elapsed) => suspended(inner, heartbeat, &Error::Timeout("heartbeat".into())),
    }
}

fn suspended(inner: &Inner, heartbeat: Duration, err: &Error) -> Schedule {
    if inner.state.current() == ConnectionState::Connected {
        tracing::warn!(error = %err, "heartbeat failed: SUSPENDED, held locks may be at risk");
        inner.publish_state(ConnectionState::Suspended);
    }
    Schedule::after_failure(heartbeat)
}

/// Ends the old session (if Redis still has it), registers a new one and re-establishes
/// the memberships and ephemeral data recorded under the old one. Locks are not re-taken.
#[tracing::instrument(
    name = "restore_session",
    skip_all,
    fields(group = inner.config.group.as_str())
)]
async fn replace_session(inner: &Arc<Inner>, old_sid: &str) -> Result<(Instant, Beat)> {
    inner
        .run::<i64>(&inner.scripts.close, &[old_sid, "expired"])
        .await?;
    let sid = new_session_id();
    let sent = Instant::now();
    let beat = inner.heartbeat_call(&sid, true).await?;
    if !beat.alive {
        return Err(Error::protocol("Redis refused to register a new session"));
    }
    let (memberships, ephemerals) = {
        let mut session = inner.session();
        session.id = sid.clone();
        session.lease_until = sent + inner.config.local_lease();
        // Stays lost until everything is re-registered: a failure below replaces this
        // session again on the next beat.
        session.held.clear();
        (session.memberships.clone(), session.ephemerals.clone())
    };
    for (id, spec) in memberships {
        if let Err(err) = inner.register_member(&sid, &id, &spec.payload).await {
            tracing::warn!(member = %id, error = %err, "could not re-register member");
            if !matches!(err, Error::Connection(_) | Error::Timeout(_)) {
                inner.session().memberships.remove(&id);
                note_failure(inner, "member", &id, &err);
            } else {
                return Err(err);
            }
        }
    }
    for (key, value) in ephemerals {
        if let Err(err) = inner.set_ephemeral_raw(&sid, &key, &value).await {
            tracing::warn!(key = %key, error = %err, "could not re-create ephemeral key");
            if !matches!(err, Error::Connection(_) | Error::Timeout(_)) {
                inner.session().ephemerals.remove(&key);
                note_failure(inner, "ephemeral", &key, &err);
            } else {
                return Err(err);
            }
        }
    }
    inner.session().lost = false;
    Ok((sent, beat))
}

fn note_failure(inner: &Inner, kind: &str, name: &str, err: &Error) {
    inner
        .restore_failures
        .lock()
        .unwrap()
        .push(crate::membership::member::RestoreFailure {
            kind: kind.to_string(),
            name: name.to_string(),
            error: err.to_string(),
        });
}
