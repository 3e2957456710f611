//! Taking part in an assignment topic ([`Connector::assignments`]): every participant
//! campaigns for the topic's leadership and follows its own share of the leader's record;
//! the leader ([`super::lead`]) runs its step whenever a participant comes, goes or
//! acknowledges, and writes what changed.
//!
//! Connection states: SUSPENDED changes nothing (the share stays: nobody else gets an id
//! before this session has ended, which is after LOST). LOST: the share is dropped at once
//! (an event with no ids) since the session may be reaped and its ids given to others, and
//! the participant takes a new incarnation: the leader may already be giving its ids away
//! on account of the ended session, so a share of the old incarnation (one still in
//! flight, or read again after RECONNECTED while the leader's step that moves its ids is
//! being written) must not give them back. After RECONNECTED it acknowledges as the new
//! incarnation and the leader gives it ids again, with larger tokens.
//! The leader part is a [`crate::Leadership`]: see there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use super::lead::lead;
use super::state::{held_prefix, leadership_name, share_prefix, Held, Share};
use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::names::check_name;
use crate::recipes::SharedConnector;
use crate::session::state::ConnectionState;
use crate::subscription::{Event, Subscription};
use crate::transport::runtime;

/// How soon a participant tries again to write an acknowledgement that failed.
const ACK_RETRY: Duration = Duration::from_millis(50);

/// A participant's share, each time it changes: `{"member","epoch","ids":[...],
/// "tokens":{"<id>":N}}`. `tokens` holds each id's fencing token, which grows with every
/// assignment of that id, so the resource behind an id can refuse a previous owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentEvent {
    pub member: String,
    /// The record epoch of this share's last change (0: none yet, or dropped on LOST).
    pub epoch: u64,
    pub ids: Vec<String>,
    pub tokens: BTreeMap<String, u64>,
}

impl Event for AssignmentEvent {
    /// The share when the subscription started.
    type Snapshot = AssignmentEvent;
}

pub(super) struct Shared {
    pub connector: SharedConnector,
    pub topic: String,
    pub member: String,
    pub sub_group: Option<String>,
    /// This participant's [`Held::incarnation`]: a new one after each lost session.
    pub incarnation: AtomicU64,
    pub ids: Mutex<BTreeSet<String>>,
    pub ids_changed: Notify,
    pub share: Mutex<(AssignmentEvent, Vec<mpsc::UnboundedSender<AssignmentEvent>>)>,
    pub stop: watch::Sender<bool>,
}

impl Shared {
    fn publish(&self, share: AssignmentEvent) {
        let mut current = self.share.lock().unwrap();
        if current.0.ids != share.ids || current.0.tokens != share.tokens {
            current.0 = share.clone();
            current.1.retain(|l| l.send(share.clone()).is_ok());
        }
    }

    fn incarnation(&self) -> u64 {
        self.incarnation.load(Ordering::SeqCst)
    }

    fn held_key(&self) -> String {
        format!("{}{}", held_prefix(&self.topic), self.member)
    }

    fn share_path(&self) -> String {
        format!("{}{}", share_prefix(&self.topic), self.member)
    }
}

/// Taking part in one assignment topic ([`Connector::assignments`]). Dropping it (or
/// [`Assignment::close`]) drops the share and leaves the topic; its ids move to the others.
pub struct Assignment {
    shared: Arc<Shared>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Connector {
    /// Takes part in assigning `ids` among the participants of `topic` (those of
    /// `sub_group` only, when given) as this connector's member id: every id to exactly one
    /// participant, shares differing by at most one, an id moving only when balance needs
    /// it and only after its previous owner let it go or its session ended. Every
    /// participant passes the id set; the leader's is the one used. Returns at once; the
    /// share comes through [`Assignment::subscribe`].
    pub async fn assignments(
        &self,
        topic: &str,
        ids: &[String],
        sub_group: Option<&str>,
    ) -> Result<Assignment> {
        self.inner.check_open()?;
        check_name("assignment topic", topic)?;
        for id in ids {
            check_name("assignment id", id)?;
        }
        let member = self.config().member_id.clone();
        let (stop, _) = watch::channel(false);
        let empty = AssignmentEvent {
            member: member.clone(),
            epoch: 0,
            ids: Vec::new(),
            tokens: BTreeMap::new(),
        };
        let shared = Arc::new(Shared {
            connector: SharedConnector::new(self),
            topic: topic.to_string(),
            member,
            sub_group: sub_group.map(str::to_string),
            incarnation: AtomicU64::new(new_incarnation()),
            ids: Mutex::new(ids.iter().cloned().collect()),
            ids_changed: Notify::new(),
            share: Mutex::new((empty, Vec::new())),
            stop,
        });
        // Taking part starts with the (empty) acknowledgement the leader counts.
        let held = Held {
            incarnation: shared.incarnation(),
            ..Held::default()
        };
        self.ephemeral_set(&shared.held_key(), &serde_json::to_value(held).unwrap())
            .await?;
        let states = self.subscribe_state();
        let started = async {
            let record = self.watch(&shared.share_path(), None).await?;
            let leadership = self.elect(&leadership_name(topic)).await?;
            Ok::<_, Error>((record, leadership))
        };
        let (record, leadership) = match started.await {
            Ok(started) => started,
            Err(err) => {
                // Not taking part after all: the leader must not count this participant.
                let _ = self.ephemeral_del(&shared.held_key()).await;
                return Err(err);
            }
        };
        let follower = runtime::handle().spawn(follow(Arc::clone(&shared), record, states));
        let leader = runtime::handle().spawn(lead(Arc::clone(&shared), leadership));
        Ok(Assignment {
            shared,
            tasks: Mutex::new(vec![follower, leader]),
        })
    }
}

impl Assignment {
    /// This participant's share now.
    pub fn share(&self) -> AssignmentEvent {
        self.shared.share.lock().unwrap().0.clone()
    }

    /// Every change of this participant's share; the snapshot is the share now.
    pub fn subscribe(&self) -> Subscription<AssignmentEvent> {
        let (sender, mut events) = mpsc::unbounded_channel();
        let now = {
            let mut share = self.shared.share.lock().unwrap();
            share.1.push(sender);
            share.0.clone()
        };
        let (relay, received) = mpsc::unbounded_channel();
        let task = runtime::handle().spawn(async move {
            while let Some(event) = events.recv().await {
                if relay.send(event).is_err() {
                    return;
                }
            }
        });
        Subscription::new(now, received, task.abort_handle())
    }

    /// Replaces this participant's id set (used while it leads).
    pub fn set_ids(&self, ids: &[String]) -> Result<()> {
        for id in ids {
            check_name("assignment id", id)?;
        }
        *self.shared.ids.lock().unwrap() = ids.iter().cloned().collect();
        self.shared.ids_changed.notify_one();
        Ok(())
    }

    /// Drops the share and leaves the topic (the ids move to the others at once). Idempotent.
    pub async fn close(&self) -> Result<()> {
        self.shared.stop.send_replace(true);
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap());
        for task in tasks {
            let _ = task.await;
        }
        Ok(())
    }
}

impl Drop for Assignment {
    fn drop(&mut self) {
        self.shared.stop.send_replace(true);
    }
}

/// Follows this participant's share of the leader's record: publishes it, then
/// acknowledges it.
async fn follow(
    shared: Arc<Shared>,
    mut record: Subscription<crate::DataEvent>,
    mut states: Subscription<ConnectionState>,
) {
    let connector = &shared.connector;
    let mut stop = shared.stop.subscribe();
    let path = shared.share_path();
    let mut current: Option<Share> = record
        .snapshot()
        .entries
        .iter()
        .find(|e| e.path == path)
        .and_then(|e| serde_json::from_value(e.value.clone()).ok());
    // Whether `current` changed since it was last applied.
    let mut dirty = true;
    // The ids last acknowledged (the empty acknowledgement was written at the start).
    let mut acked = Some(Held {
        incarnation: shared.incarnation(),
        ..Held::default()
    });
    // An acknowledgement that could not be written (a command timeout under load) is
    // retried: the leader may be waiting for it, and no new share comes until it lands.
    let mut ack_failed = false;
    // After a reconnect the share is read again; a read that failed is retried, since the
    // share may not change again until the leader has the acknowledgement.
    let mut reread = false;
    loop {
        if reread {
            match connector.persistent_get(&path).await {
                Ok(value) => {
                    current = value.and_then(|v| serde_json::from_value(v).ok());
                    reread = false;
                }
                Err(err) => {
                    tracing::debug!(topic = %shared.topic, error = %err, "cannot read the share");
                }
            }
        }
        match (dirty, &current) {
            (true, Some(rec)) => ack_failed = !apply(&shared, rec, &mut acked).await,
            // A new incarnation with no share yet: the leader must learn of it all the same.
            (_, None) if acked.is_none() => {
                let held = Held {
                    incarnation: shared.incarnation(),
                    ..Held::default()
                };
                ack_failed = !acknowledge(&shared, held, &mut acked).await;
            }
            (_, None) => ack_failed = false,
            (false, Some(_)) => {}
        }
        dirty = true;
        tokio::select! {
            biased;
            _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
            _ = tokio::time::sleep(ACK_RETRY), if ack_failed || reread => {}
            state = states.next() => match state {
                None | Some(ConnectionState::Closed) => break,
                Some(ConnectionState::Lost) => {
                    // The session may be reaped and its ids given away: let go now, and
                    // for good: no share of this incarnation gives them back (see above).
                    shared.publish(AssignmentEvent { member: shared.member.clone(), epoch: 0, ids: Vec::new(), tokens: BTreeMap::new() });
                    shared.incarnation.store(new_incarnation(), Ordering::SeqCst);
                    current = None;
                    acked = None;
                }
                Some(ConnectionState::Reconnected) => {
                    // The new session restored an old acknowledgement: write it again.
                    acked = None;
                    reread = true;
                }
                Some(_) => dirty = false,
            },
            event = record.next() => match event {
                None => break,
                Some(event) if event.path == path => {
                    reread = false;
                    // A delete (the share was removed) leaves nothing assigned.
                    current = serde_json::from_value(event.value).ok();
                }
                Some(_) => dirty = false,
            },
        }
    }
    shared.publish(AssignmentEvent {
        member: shared.member.clone(),
        epoch: 0,
        ids: Vec::new(),
        tokens: BTreeMap::new(),
    });
    shared.share.lock().unwrap().1.clear();
    if !connector.is_closed() {
        let _ = connector.ephemeral_del(&shared.held_key()).await;
    }
}

/// Publishes the ids `share` gives this participant, then acknowledges them (so the
/// leader may give what it let go to others) when [`acknowledgement`] says so. `acked` is
/// what it last wrote (`None`: unknown, write again). Returns false when the
/// acknowledgement it needed could not be written.
async fn apply(shared: &Shared, share: &Share, acked: &mut Option<Held>) -> bool {
    let incarnation = shared.incarnation();
    let tokens = share.tokens_for(incarnation);
    shared.publish(AssignmentEvent {
        member: shared.member.clone(),
        epoch: share.epoch,
        ids: tokens.keys().cloned().collect(),
        tokens,
    });
    let Some(held) = acknowledgement(share, incarnation, acked.as_ref()) else {
        return true;
    };
    acknowledge(shared, held, acked).await
}

/// Writes `held` as this participant's acknowledgement; false when it could not.
async fn acknowledge(shared: &Shared, held: Held, acked: &mut Option<Held>) -> bool {
    let value = serde_json::to_value(&held).unwrap();
    match shared
        .connector
        .ephemeral_set(&shared.held_key(), &value)
        .await
    {
        Ok(()) => {
            *acked = Some(held);
            true
        }
        Err(err) => {
            tracing::debug!(topic = %shared.topic, error = %err, "cannot acknowledge the share");
            false
        }
    }
}

/// A random incarnation (never 0, which stands for any).
fn new_incarnation() -> u64 {
    rand::random::<u64>().max(1)
}

/// The acknowledgement a participant writes once it published `share`, or `None` when the
/// one it last wrote (`acked`) already tells the leader everything: the same ids, at this
/// share's epoch or later. A share is written only when it changed for its member (a
/// revocation rewrites the old owner's share at the revocation's epoch), so each new one
/// is acknowledged: the leader waits for an acknowledgement of the revocation's epoch.
pub(crate) fn acknowledgement(
    share: &Share,
    incarnation: u64,
    acked: Option<&Held>,
) -> Option<Held> {
    let ids: BTreeSet<String> = share.tokens_for(incarnation).into_keys().collect();
    if acked.is_some_and(|acked| acked.ids == ids && acked.epoch >= share.epoch) {
        return None;
    }
    Some(Held {
        epoch: share.epoch,
        ids,
        incarnation,
    })
}
