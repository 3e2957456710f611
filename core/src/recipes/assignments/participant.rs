//! Taking part in an assignment topic ([`Connector::assignments`]): every participant
//! campaigns for the topic's leadership and follows the leader's record; the leader runs
//! [`step`] whenever a participant comes, goes or acknowledges, and writes the result.
//!
//! Connection states: SUSPENDED changes nothing (the share stays: nobody else gets an id
//! before this session has ended, which is after LOST). LOST: the share is dropped at once
//! (an event with no ids) since the session may be reaped and its ids given to others;
//! after RECONNECTED the participant reads the record again and holds what it still owns.
//! The leader part is a [`crate::Leadership`]: see there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

use super::state::{held_prefix, leadership_name, record_path, Held, Record};
use super::step::step;
use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::names::check_name;
use crate::recipes::SharedConnector;
use crate::session::state::ConnectionState;
use crate::subscription::{Event, Subscription};
use crate::transport::runtime;

/// How often the leader looks again without a trigger (sub-group changes, a lost event).
const RECHECK: Duration = Duration::from_millis(500);

/// How soon a participant tries again to write an acknowledgement that failed.
const ACK_RETRY: Duration = Duration::from_millis(50);

/// A participant's share, each time it changes: `{"member","epoch","ids":[...],
/// "tokens":{"<id>":N}}`. `tokens` holds each id's fencing token, which grows with every
/// assignment of that id, so the resource behind an id can refuse a previous owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentEvent {
    pub member: String,
    /// The leader's record epoch this share comes from (0: none yet, or dropped on LOST).
    pub epoch: u64,
    pub ids: Vec<String>,
    pub tokens: BTreeMap<String, u64>,
}

impl Event for AssignmentEvent {
    /// The share when the subscription started.
    type Snapshot = AssignmentEvent;
}

struct Shared {
    connector: SharedConnector,
    topic: String,
    member: String,
    sub_group: Option<String>,
    /// This participant's [`Held::incarnation`].
    incarnation: u64,
    ids: Mutex<BTreeSet<String>>,
    ids_changed: Notify,
    share: Mutex<(AssignmentEvent, Vec<mpsc::UnboundedSender<AssignmentEvent>>)>,
    stop: watch::Sender<bool>,
}

impl Shared {
    fn publish(&self, share: AssignmentEvent) {
        let mut current = self.share.lock().unwrap();
        if current.0.ids != share.ids || current.0.tokens != share.tokens {
            current.0 = share.clone();
            current.1.retain(|l| l.send(share.clone()).is_ok());
        }
    }

    fn held_key(&self) -> String {
        format!("{}{}", held_prefix(&self.topic), self.member)
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
            incarnation: rand::random::<u64>().max(1),
            ids: Mutex::new(ids.iter().cloned().collect()),
            ids_changed: Notify::new(),
            share: Mutex::new((empty, Vec::new())),
            stop,
        });
        // Taking part starts with the (empty) acknowledgement the leader counts.
        let held = Held {
            incarnation: shared.incarnation,
            ..Held::default()
        };
        self.ephemeral_set(&shared.held_key(), &serde_json::to_value(held).unwrap())
            .await?;
        let states = self.subscribe_state();
        let started = async {
            let record = self.watch(&record_path(topic), None).await?;
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

/// Follows the leader's record: publishes this participant's share, then acknowledges it.
async fn follow(
    shared: Arc<Shared>,
    mut record: Subscription<crate::DataEvent>,
    mut states: Subscription<ConnectionState>,
) {
    let connector = &shared.connector;
    let mut stop = shared.stop.subscribe();
    let path = record_path(&shared.topic);
    let mut current: Option<Record> = record
        .snapshot()
        .entries
        .iter()
        .find(|e| e.path == path)
        .and_then(|e| serde_json::from_value(e.value.clone()).ok());
    // Whether `current` changed since it was last applied.
    let mut dirty = true;
    // The ids last acknowledged (the empty acknowledgement was written at the start).
    let mut acked = Some(Held {
        incarnation: shared.incarnation,
        ..Held::default()
    });
    // An acknowledgement that could not be written (a command timeout under load) is
    // retried: the leader may be waiting for it, and no new record comes until it lands.
    let mut ack_failed = false;
    loop {
        match (dirty, &current) {
            (true, Some(rec)) => ack_failed = !apply(&shared, rec, &mut acked).await,
            (_, None) => ack_failed = false,
            (false, Some(_)) => {}
        }
        dirty = true;
        tokio::select! {
            biased;
            _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
            _ = tokio::time::sleep(ACK_RETRY), if ack_failed => {}
            state = states.next() => match state {
                None | Some(ConnectionState::Closed) => break,
                Some(ConnectionState::Lost) => {
                    // The session may be reaped and its ids given away: let go now.
                    shared.publish(AssignmentEvent { member: shared.member.clone(), epoch: 0, ids: Vec::new(), tokens: BTreeMap::new() });
                    current = None;
                }
                Some(ConnectionState::Reconnected) => {
                    // The new session restored an old acknowledgement: write it again.
                    acked = None;
                    current = connector.persistent_get(&path).await.ok().flatten()
                        .and_then(|v| serde_json::from_value(v).ok());
                }
                Some(_) => dirty = false,
            },
            event = record.next() => match event {
                None => break,
                Some(event) if event.path == path => {
                    // A delete (the record was removed) leaves nothing assigned.
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

/// Publishes the share `record` gives this participant, then acknowledges it (so the
/// leader may give what it let go to others) when [`acknowledgement`] says so. `acked` is
/// what it last wrote (`None`: unknown, write again). Returns false when the
/// acknowledgement it needed could not be written.
async fn apply(shared: &Shared, record: &Record, acked: &mut Option<Held>) -> bool {
    let tokens = record.share_of(&shared.member, shared.incarnation);
    shared.publish(AssignmentEvent {
        member: shared.member.clone(),
        epoch: record.epoch,
        ids: tokens.keys().cloned().collect(),
        tokens,
    });
    let Some(held) = acknowledgement(record, &shared.member, shared.incarnation, acked.as_ref())
    else {
        return true;
    };
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

/// The acknowledgement `member` writes once it published its share of `record`, or `None`
/// when the one it last wrote (`acked`) already tells the leader everything: the same ids,
/// and no revocation from `member` started after it (the leader waits for an
/// acknowledgement of the revocation's epoch). An unneeded one would only wake the leader.
pub(crate) fn acknowledgement(
    record: &Record,
    member: &str,
    incarnation: u64,
    acked: Option<&Held>,
) -> Option<Held> {
    let ids: BTreeSet<String> = record.share_of(member, incarnation).into_keys().collect();
    if let Some(acked) = acked {
        let revocation_unacked = record
            .ids
            .values()
            .any(|s| s.revoking.as_deref() == Some(member) && s.revoked_at > acked.epoch);
        if acked.ids == ids && !revocation_unacked {
            return None;
        }
    }
    Some(Held {
        epoch: record.epoch,
        ids,
        incarnation,
    })
}

/// While this participant leads: step the record whenever a participant comes, goes or
/// acknowledges, or the id set changes.
async fn lead(shared: Arc<Shared>, leadership: crate::Leadership) {
    let connector = &shared.connector;
    let mut stop = shared.stop.subscribe();
    let mut acks = connector
        .watch_ephemeral(&held_prefix(&shared.topic), None)
        .await
        .ok();
    let mut leader_events = Some(leadership.subscribe());
    loop {
        if let Some(term) = leadership.token() {
            match lead_once(&shared, term).await {
                // A step may allow the next at once (an owner whose session ended).
                Ok(true) => continue,
                Ok(false) => {}
                Err(err) => {
                    tracing::debug!(topic = %shared.topic, error = %err, "assignment step failed")
                }
            }
        }
        tokio::select! {
            biased;
            _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
            _ = shared.ids_changed.notified() => {}
            event = async { match leader_events.as_mut() { Some(e) => e.next().await, None => std::future::pending().await } } => {
                // Ended (the connector closed): stop asking it, or this loop would spin.
                if event.is_none() { leader_events = None; }
            }
            event = async { match acks.as_mut() { Some(a) => a.next().await, None => std::future::pending().await } } => {
                match acks.as_mut() {
                    None => {}
                    Some(_) if event.is_none() => acks = None,
                    // Acknowledgements that arrived together make one step.
                    Some(a) => while a.try_next().is_some() {},
                }
            }
            _ = tokio::time::sleep(RECHECK) => {}
        }
        if connector.is_closed() {
            break;
        }
    }
    let _ = leadership.resign().await;
}

/// One leader step: read, compute, write with compare-and-set (a write that lost the race
/// is retried at the next wake-up). Returns whether it wrote a new record.
async fn lead_once(shared: &Shared, term: u64) -> Result<bool> {
    let connector = &shared.connector;
    let path = record_path(&shared.topic);
    let (record, version) = match connector.persistent_get_versioned(&path).await? {
        Some(v) => (
            serde_json::from_value(v.value).map_err(|e| Error::protocol(format!("{path}: {e}")))?,
            v.version,
        ),
        None => (Record::default(), 0),
    };
    let prefix = held_prefix(&shared.topic);
    let mut participants: BTreeMap<String, Held> = connector
        .ephemeral_list(&prefix)
        .await?
        .into_iter()
        .filter_map(|(key, value)| {
            let member = key.strip_prefix(&prefix)?.to_string();
            Some((member, serde_json::from_value(value).ok()?))
        })
        .collect();
    if let Some(sub_group) = &shared.sub_group {
        let in_group: BTreeSet<String> = connector
            .members()
            .await?
            .into_iter()
            .filter(|m| m.sub_groups.contains(sub_group))
            .map(|m| m.id)
            .collect();
        participants.retain(|m, _| in_group.contains(m));
    }
    let ids = shared.ids.lock().unwrap().clone();
    let next = step(&record, &ids, &participants, term);
    if next == record {
        return Ok(false);
    }
    let value = serde_json::to_value(&next).unwrap();
    Ok(connector
        .persistent_cas(&path, version, &value)
        .await?
        .is_some())
}
