//! The session's background loop: renews the lease in one round trip, reaps expired
//! sessions right at their deadline, tracks the connection state and replaces a lost
//! session (see `restore.rs`). No error stops it.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::session::renewal::Beat;
use crate::session::restore::replace_session;
use crate::session::state::ConnectionState;
use crate::session::Session;
use crate::transport::runtime;

/// Grace added after another session's deadline before reaping it, so the reap script sees
/// the deadline as passed on the server clock.
const REAP_MARGIN: Duration = Duration::from_millis(5);
/// How soon a failed heartbeat is retried (at most; never later than the heartbeat period).
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(250);

/// Registers the session in Redis and starts its heartbeat loop.
pub(crate) async fn start(session: &Arc<Session>) -> Result<()> {
    let sid = session.record().id.clone();
    let (sent, beat) = session.register(&sid).await?;
    session.record().lease_until = sent + session.config.local_lease();
    let task = runtime::handle().spawn(run(Arc::downgrade(session), beat));
    session.tasks.lock().unwrap().push(task.abort_handle());
    Ok(())
}

/// Runs until the connector is closed (close aborts this task) or dropped.
async fn run(inner: Weak<Session>, first: Beat) {
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
            let record = strong.record();
            (!record.lost).then_some(record.lease_until)
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
async fn beat(inner: &Arc<Session>, heartbeat: Duration) -> Schedule {
    let (sid, lost, lease_until) = {
        let record = inner.record();
        (record.id.clone(), !record.lease_valid(), record.lease_until)
    };
    if lost {
        inner.mark_lost();
        return match replace_session(inner, &sid).await {
            Ok((sent, beat)) => {
                tracing::info!(
                    "RECONNECTED with a new session: members and ephemeral keys re-registered; \
                     locks were lost with the old session and are not re-taken"
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
                let mut record = inner.record();
                if record.id == sid {
                    record.lease_until = sent + inner.config.local_lease();
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

fn suspended(inner: &Session, heartbeat: Duration, err: &Error) -> Schedule {
    if inner.state.current() == ConnectionState::Connected {
        tracing::warn!(error = %err, "heartbeat failed: SUSPENDED, held locks may be at risk");
        inner.publish_state(ConnectionState::Suspended);
    }
    Schedule::after_failure(heartbeat)
}
