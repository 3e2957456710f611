//! Leader election: [`Connector::elect`] campaigns for leadership of a name and returns a
//! [`Leadership`] handle at once; the campaign runs in the background until resigned.
//!
//! A campaign is a wait for the lock `leader/<name>` ([`Connector::try_lock`]); the term is
//! that lock's fencing token, which only grows (also across Redis data loss), so a resource
//! that checks tokens can refuse an old leader. At most one session holds the lock, so at
//! most one live session leads. A leader that dies or freezes is replaced as its lock is:
//! at its lease deadline, when a live connector reaps it and the waiters are woken.
//!
//! Connection states (Curator's LeaderLatch model):
//! - SUSPENDED: the lease is in doubt; a leader reports [`LeaderEvent::Unsure`] and
//!   [`Leadership::is_leader`] is false until the lease is renewed (then `Leader` again,
//!   same token) or runs out.
//! - LOST: the lease ran out on the local clock, before anyone else can take the lock
//!   (docs/SAFETY.md); the leader reports [`LeaderEvent::Follower`] and campaigns again
//!   once a new session is up (a new term, a larger token, if it wins).
//! - CLOSED: the leadership ends with `Follower`, and its subscriptions end.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::names::check_name;
use crate::recipes::{leader_lock, leader_record_prefix, SharedConnector};
use crate::session::state::ConnectionState;
use crate::subscription::{Event, Subscription};
use crate::transport::runtime;

/// How long one campaign attempt waits for the lock before asking again (the wait wakes at
/// the leader's release or lease deadline anyway; this only bounds one call).
const CAMPAIGN_WAIT: Duration = Duration::from_secs(60);

/// Pause after a failed campaign attempt (Redis unreachable, session being replaced).
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Where a campaign stands, as an event and as a query. Serializes as
/// `{"state":"LEADER","token":N}`, `{"state":"UNSURE","token":N}`, `{"state":"FOLLOWER"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LeaderEvent {
    /// This connector leads; `token` is the term's fencing token.
    Leader { token: u64 },
    /// It led with `token`, but the lease is in doubt (SUSPENDED): act as not leading until
    /// `Leader` comes back.
    Unsure { token: u64 },
    /// Not leading (campaigning, lost, resigned or closed).
    Follower,
}

impl Event for LeaderEvent {
    /// The state when the subscription started.
    type Snapshot = LeaderEvent;
}

/// What the handle and its campaign share.
struct Shared {
    connector: SharedConnector,
    name: String,
    lock: String,
    /// The current state and the subscribers told of every change.
    status: Mutex<(LeaderEvent, Vec<mpsc::UnboundedSender<LeaderEvent>>)>,
    stop: watch::Sender<bool>,
}

impl Shared {
    fn set(&self, event: LeaderEvent) {
        let mut status = self.status.lock().unwrap();
        if status.0 != event {
            status.0 = event;
            status.1.retain(|listener| listener.send(event).is_ok());
        }
    }

    /// Ends the leadership: `Follower`, and every subscription ends.
    fn finish(&self) {
        self.set(LeaderEvent::Follower);
        self.status.lock().unwrap().1.clear();
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    fn record_key(&self, token: u64) -> String {
        format!("{}{token}", leader_record_prefix(&self.name))
    }
}

/// A campaign for leadership of one name ([`Connector::elect`]). [`Leadership::is_leader`]
/// answers locally; [`Leadership::subscribe`] delivers every change of state. Dropping it
/// resigns in the background; [`Leadership::resign`] waits for that.
pub struct Leadership {
    shared: Arc<Shared>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Connector {
    /// Campaigns for leadership of `name` as this connector's member id and returns at
    /// once; the campaign goes on in the background (through SUSPENDED, LOST and Redis
    /// restarts) until the handle is resigned or dropped, or the connector closes. Run one
    /// campaign per name per connector: a second one waits behind the first.
    pub async fn elect(&self, name: &str) -> Result<Leadership> {
        self.inner.check_open()?;
        check_name("leader name", name)?;
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            connector: SharedConnector::new(self),
            name: name.to_string(),
            lock: leader_lock(name),
            status: Mutex::new((LeaderEvent::Follower, Vec::new())),
            stop,
        });
        // Subscribed before the first attempt, so no change after it is missed.
        let states = self.subscribe_state();
        let task = runtime::handle().spawn(campaign(Arc::clone(&shared), states));
        Ok(Leadership {
            shared,
            task: Mutex::new(Some(task)),
        })
    }
}

impl Leadership {
    /// The name campaigned for.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Whether this connector leads now, answered locally: the term is held, the lease is
    /// good and the connection is not SUSPENDED. False from the moment the lease may have
    /// run out, even before the LOST event is delivered.
    pub fn is_leader(&self) -> bool {
        self.token().is_some()
    }

    /// The term's fencing token while [`Leadership::is_leader`], else `None`.
    pub fn token(&self) -> Option<u64> {
        let LeaderEvent::Leader { token } = self.status() else {
            return None;
        };
        let connector = &self.shared.connector;
        let held = connector.held_token(&self.shared.lock).ok().flatten();
        (held == Some(token) && connector.state() != ConnectionState::Suspended).then_some(token)
    }

    /// The last state reported (see [`Leadership::is_leader`] for the local answer).
    pub fn status(&self) -> LeaderEvent {
        self.shared.status.lock().unwrap().0
    }

    /// Every change of state from now on; the snapshot is the state now. It ends after the
    /// final `Follower` once resigned or closed.
    pub fn subscribe(&self) -> Subscription<LeaderEvent> {
        let (sender, events) = mpsc::unbounded_channel();
        let now = {
            let mut status = self.shared.status.lock().unwrap();
            if !self.shared.stopped() && !self.shared.connector.is_closed() {
                status.1.push(sender);
            }
            status.0
        };
        // The subscription's own task only keeps it cancellable; the campaign feeds it.
        let (relay, received) = mpsc::unbounded_channel();
        let task = runtime::handle().spawn(async move {
            let mut events = events;
            while let Some(event) = events.recv().await {
                if relay.send(event).is_err() {
                    return;
                }
            }
        });
        Subscription::new(now, received, task.abort_handle())
    }

    /// Stops campaigning and gives leadership up now: the lock is released (a successor is
    /// elected without waiting for a lease to run out) and the term's record deleted.
    /// Idempotent.
    pub async fn resign(&self) -> Result<()> {
        self.shared.stop.send_replace(true);
        let task = self.task.lock().unwrap().take();
        if let Some(task) = task {
            task.await
                .map_err(|e| Error::protocol(format!("leader campaign task: {e}")))?;
        }
        Ok(())
    }
}

impl Drop for Leadership {
    fn drop(&mut self) {
        // The campaign sees the flag, releases and ends on its own.
        self.shared.stop.send_replace(true);
    }
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("name", &self.shared.name)
            .field("status", &self.status())
            .finish()
    }
}

/// The background campaign: wait for the lock, lead while it is held, campaign again after
/// LOST, give everything up when stopped.
async fn campaign(shared: Arc<Shared>, mut states: Subscription<ConnectionState>) {
    let mut stop = shared.stop.subscribe();
    let connector = &shared.connector;
    // The ephemeral record of the current term, while there is one.
    let mut record: Option<String> = None;
    'campaign: while !shared.stopped() {
        let attempt = tokio::select! {
            biased;
            _ = stop.wait_for(|stopped| *stopped) => break,
            attempt = connector.try_lock(&shared.lock, CAMPAIGN_WAIT) => attempt,
        };
        let token = match attempt {
            Ok(Some(token)) => token,
            Ok(None) => continue,
            Err(Error::Closed) => break,
            Err(err) => {
                tracing::debug!(leader = %shared.name, error = %err, "campaign attempt failed; trying again");
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
        };
        // Changes from before the term are history; the facts now decide.
        while states.try_next().is_some() {}
        shared.set(LeaderEvent::Leader { token });
        tracing::info!(leader = %shared.name, token, "elected");
        let key = shared.record_key(token);
        let value = serde_json::json!({"member": connector.config().member_id, "token": token});
        if let Err(err) = connector.ephemeral_set(&key, &value).await {
            tracing::warn!(leader = %shared.name, error = %err, "cannot publish the leader record");
        }
        record = Some(key);
        loop {
            if connector.held_token(&shared.lock).ok().flatten() != Some(token) {
                // The lease ran out (LOST on its way) or the lock was force-released.
                break;
            }
            let state = tokio::select! {
                biased;
                _ = stop.wait_for(|stopped| *stopped) => break 'campaign,
                state = states.next() => state,
            };
            match state {
                None | Some(ConnectionState::Closed) => break 'campaign,
                Some(ConnectionState::Suspended) => shared.set(LeaderEvent::Unsure { token }),
                Some(ConnectionState::Lost) => break,
                Some(ConnectionState::Connected | ConnectionState::Reconnected) => {
                    shared.set(LeaderEvent::Leader { token })
                }
            }
        }
        tracing::info!(leader = %shared.name, token, "leadership lost");
        shared.set(LeaderEvent::Follower);
        // Forgotten locally at once so a new session does not re-create it; the old
        // session's copy goes with that session.
        if let Some(key) = record.take() {
            let _ = connector.ephemeral_del(&key).await;
        }
    }
    shared.finish();
    if connector.is_closed() {
        return;
    }
    // Gives up the term, or a grant that raced with the stop (released by session, so also
    // one whose reply never arrived), and the term's record.
    if let Err(err) = connector.release(&shared.lock).await {
        tracing::warn!(leader = %shared.name, error = %err, "resigning: release failed");
    }
    if let Some(key) = record {
        let _ = connector.ephemeral_del(&key).await;
    }
}
