//! Service discovery: a provider that picks a member to talk to from a live cache of the
//! group's members, fed by a membership subscription (Curator's ServiceProvider over a
//! ServiceCache, slacker-cluster's server selection).
//!
//! The cache holds the *instances*: the live members that are online
//! ([`crate::Member::online`]) and, if the provider was made for a sub-group, in it. It is
//! kept by the membership subscription's events; when that subscription detects a gap
//! (trimmed history, Redis lost its data) its resync event carries the difference from a
//! fresh snapshot, and the cache applies it like any other change. Each change of the
//! instances is told to [`ServiceProvider::subscribe`]rs as an [`InstancesChanged`] with the
//! members added and removed.
//!
//! The strategies pick one instance ([`ServiceProvider::instance`]); "all" is
//! [`ServiceProvider::instances`]. [`Strategy::Leader`] picks the member that leads the
//! election [`ProviderOptions::election`] now, followed by [`Connector::observe_leader`] (so
//! the provider says who to send leader-only work to, and moves to the next leader as soon
//! as the observer sees the change: "no leader" until then).
//!
//! [`ServiceProvider::note_error`] takes an instance out for a while after errors, as
//! Curator's DownInstancePolicy does; it is picked again once that time has passed (or when
//! no other instance is left: a member that may be down is better than none).
//!
//! Connection states: the provider holds no lock or lease of its own, so SUSPENDED and LOST
//! change nothing it promises. While the connector is cut off the cache keeps serving what it
//! last knew (stale by up to the outage: members that crashed meanwhile are still offered,
//! which is what [`ServiceProvider::note_error`] is for); once reconnected, the membership
//! subscription resumes from its position, or resyncs when history was lost, and the cache
//! catches up, telling subscribers the difference.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::membership::member::{Member, MembershipEvent};
use crate::recipes::observe::LeaderView;
use crate::subscription::{AbortOnDrop, Event, Subscription};
use crate::transport::runtime;

/// How [`ServiceProvider::instance`] picks among the instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Any instance, uniformly at random.
    Random,
    /// Each instance in turn, in member id order.
    RoundRobin,
    /// The instance picked last time while it stays an instance (and is not noted down);
    /// then another, at random.
    Sticky,
    /// The instance that joined first (earliest `joined_at`, then lowest id): every caller
    /// picks the same one.
    First,
    /// The member leading the election named by [`ProviderOptions::election`], while it is
    /// an instance (online, in the sub-group); `None` while nobody leads. Errors noted
    /// against it do not take it out: there is no other leader to pick.
    Leader,
}

/// What a provider serves and how it picks.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    /// How [`ServiceProvider::instance`] picks.
    pub strategy: Strategy,
    /// Only members of this sub-group, when given.
    pub sub_group: Option<String>,
    /// How long [`ServiceProvider::note_error`] takes an instance out (Curator's default:
    /// 30 s).
    pub down_for: Duration,
    /// How many errors, each within `down_for` of the previous one, take an instance out
    /// (Curator's default: 2).
    pub error_threshold: u32,
    /// The election [`Strategy::Leader`] follows (the name passed to
    /// [`Connector::elect`]); required by that strategy, refused by the others.
    pub election: Option<String>,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        ProviderOptions {
            strategy: Strategy::RoundRobin,
            sub_group: None,
            down_for: Duration::from_secs(30),
            error_threshold: 2,
            election: None,
        }
    }
}

/// A change of a provider's instances: who was added and who removed (an instance whose
/// record changed, e.g. its payload, is in `updated`). A member that goes offline, leaves or
/// leaves the sub-group is removed; one that comes (back) online, joins or enters the
/// sub-group is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstancesChanged {
    /// Instances that were not instances before.
    pub added: Vec<Member>,
    /// Instances that are no longer (their last known record).
    pub removed: Vec<Member>,
    /// Instances whose record changed.
    pub updated: Vec<Member>,
    /// The membership view after the change.
    pub view: u64,
}

impl Event for InstancesChanged {
    /// The instances when the subscription started, sorted by id.
    type Snapshot = Vec<Member>;
}

/// Errors noted against one instance.
#[derive(Debug, Clone, Copy)]
struct Errors {
    count: u32,
    last: Instant,
}

#[derive(Default)]
struct Cache {
    /// Every live member, by id.
    members: HashMap<String, Member>,
    /// The instances (the members served), by id.
    instances: BTreeMap<String, Member>,
    errors: HashMap<String, Errors>,
    next: usize,
    sticky: Option<String>,
    /// Who leads [`ProviderOptions::election`] (for [`Strategy::Leader`]).
    leader: Option<String>,
    subscribers: Vec<mpsc::UnboundedSender<InstancesChanged>>,
}

/// A provider over a live, event-fed cache of the group's members: see the module docs.
/// Dropping it stops the cache (and ends its subscriptions).
pub struct ServiceProvider {
    cache: Arc<Mutex<Cache>>,
    options: ProviderOptions,
    _task: AbortOnDrop,
}

impl Connector {
    /// A service provider over the group's members (see [`crate::recipes::discovery`]):
    /// subscribes to membership events and keeps the instances from them (and, for
    /// [`Strategy::Leader`], observes who leads the election).
    #[tracing::instrument(name = "service_provider", skip_all, fields(group = self.group()))]
    pub async fn service_provider(&self, options: ProviderOptions) -> Result<ServiceProvider> {
        let mut leaders = match (&options.strategy, &options.election) {
            (Strategy::Leader, Some(election)) => Some(self.observe_leader(election).await?),
            (Strategy::Leader, None) => {
                return Err(Error::InvalidArgument(
                    "the leader strategy needs the election's name".into(),
                ))
            }
            (_, Some(_)) => {
                return Err(Error::InvalidArgument(
                    "an election is only followed by the leader strategy".into(),
                ))
            }
            (_, None) => None,
        };
        let mut events = self.subscribe_members().await?;
        let cache = Arc::new(Mutex::new(Cache::default()));
        {
            let mut cache = cache.lock().unwrap();
            for member in events.snapshot() {
                cache.members.insert(member.id.clone(), member.clone());
            }
            cache.instances = instances_of(&cache.members, &options);
            cache.leader = leaders.as_ref().and_then(|l| l.snapshot().leader.clone());
        }
        let feed = Arc::clone(&cache);
        let served = options.clone();
        let task = runtime::handle().spawn(async move {
            loop {
                tokio::select! {
                    event = events.next() => match event {
                        Some(event) => feed.lock().unwrap().apply(&event, &served),
                        None => break,
                    },
                    view = next_view(&mut leaders) => match view {
                        Some(view) => feed.lock().unwrap().leader = view.leader,
                        None => {
                            leaders = None;
                            feed.lock().unwrap().leader = None;
                        }
                    },
                }
            }
            // The connector closed: subscribers see the end.
            feed.lock().unwrap().subscribers.clear();
        });
        Ok(ServiceProvider {
            cache,
            options,
            _task: AbortOnDrop(task.abort_handle()),
        })
    }
}

/// The next change of who leads, or never when not following an election.
async fn next_view(leaders: &mut Option<Subscription<LeaderView>>) -> Option<LeaderView> {
    match leaders {
        Some(leaders) => leaders.next().await,
        None => std::future::pending().await,
    }
}

impl Cache {
    fn apply(&mut self, event: &MembershipEvent, options: &ProviderOptions) {
        for member in event.joined_members.iter().chain(&event.updated_members) {
            self.members.insert(member.id.clone(), member.clone());
        }
        for member in &event.left_members {
            self.members.remove(&member.id);
        }
        let fresh = instances_of(&self.members, options);
        let mut change = InstancesChanged {
            added: vec![],
            removed: vec![],
            updated: vec![],
            view: event.view,
        };
        for (id, before) in &self.instances {
            match fresh.get(id) {
                None => change.removed.push(before.clone()),
                Some(now) if now != before => change.updated.push(now.clone()),
                Some(_) => {}
            }
        }
        for (id, now) in &fresh {
            if !self.instances.contains_key(id) {
                change.added.push(now.clone());
            }
        }
        self.instances = fresh;
        // A member gone and back is a new instance: its old errors do not count.
        for member in &change.removed {
            self.errors.remove(&member.id);
        }
        if change.added.is_empty() && change.removed.is_empty() && change.updated.is_empty() {
            return;
        }
        self.subscribers
            .retain(|subscriber| subscriber.send(change.clone()).is_ok());
    }

    /// Whether `id` is taken out by errors at `now`.
    fn down(&self, id: &str, now: Instant, options: &ProviderOptions) -> bool {
        self.errors.get(id).is_some_and(|errors| {
            errors.count >= options.error_threshold
                && now.saturating_duration_since(errors.last) < options.down_for
        })
    }
}

fn instances_of(
    members: &HashMap<String, Member>,
    options: &ProviderOptions,
) -> BTreeMap<String, Member> {
    members
        .values()
        .filter(|m| m.online)
        .filter(|m| match &options.sub_group {
            Some(group) => m.sub_groups.iter().any(|g| g == group),
            None => true,
        })
        .map(|m| (m.id.clone(), m.clone()))
        .collect()
}

impl ServiceProvider {
    /// Every instance now (online, in the sub-group if given), sorted by id, including those
    /// taken out by [`ServiceProvider::note_error`].
    pub fn instances(&self) -> Vec<Member> {
        self.cache
            .lock()
            .unwrap()
            .instances
            .values()
            .cloned()
            .collect()
    }

    /// One instance picked by the strategy among those not taken out by errors (among all
    /// of them when every one is); `None` when there is none. For [`Strategy::Leader`]: the
    /// leader, if it is an instance.
    pub fn instance(&self) -> Option<Member> {
        let mut cache = self.cache.lock().unwrap();
        if self.options.strategy == Strategy::Leader {
            let leader = cache.leader.as_ref()?;
            return cache.instances.get(leader).cloned();
        }
        let now = Instant::now();
        let up: Vec<&Member> = cache
            .instances
            .values()
            .filter(|m| !cache.down(&m.id, now, &self.options))
            .collect();
        let candidates: Vec<Member> = if up.is_empty() {
            cache.instances.values().cloned().collect()
        } else {
            up.into_iter().cloned().collect()
        };
        if candidates.is_empty() {
            return None;
        }
        let picked = match self.options.strategy {
            Strategy::Random => candidates[rand::random_range(0..candidates.len())].clone(),
            Strategy::RoundRobin => {
                let picked = candidates[cache.next % candidates.len()].clone();
                cache.next = cache.next.wrapping_add(1);
                picked
            }
            Strategy::Sticky => {
                let kept = cache
                    .sticky
                    .as_ref()
                    .and_then(|id| candidates.iter().find(|m| &m.id == id));
                match kept {
                    Some(member) => member.clone(),
                    None => candidates[rand::random_range(0..candidates.len())].clone(),
                }
            }
            Strategy::First => candidates
                .iter()
                .min_by(|a, b| (a.joined_at, &a.id).cmp(&(b.joined_at, &b.id)))
                .cloned()
                .expect("not empty"),
            Strategy::Leader => unreachable!("answered above"),
        };
        cache.sticky = Some(picked.id.clone());
        Some(picked)
    }

    /// Notes an error talking to `member_id`: after `error_threshold` errors, each within
    /// `down_for` of the previous, it is taken out of [`ServiceProvider::instance`] for
    /// `down_for`.
    pub fn note_error(&self, member_id: &str) {
        let mut cache = self.cache.lock().unwrap();
        let now = Instant::now();
        let down_for = self.options.down_for;
        let errors = cache.errors.entry(member_id.to_string()).or_insert(Errors {
            count: 0,
            last: now,
        });
        if now.saturating_duration_since(errors.last) >= down_for {
            errors.count = 0;
        }
        errors.count += 1;
        errors.last = now;
    }

    /// Subscribes to changes of the instances: its snapshot is the instances now (sorted by
    /// id), then an [`InstancesChanged`] for every change, in order.
    pub fn subscribe(&self) -> Subscription<InstancesChanged> {
        let (inner_sender, mut inner) = mpsc::unbounded_channel();
        let snapshot = {
            let mut cache = self.cache.lock().unwrap();
            cache.subscribers.push(inner_sender);
            cache.instances.values().cloned().collect()
        };
        let (sender, events) = mpsc::unbounded_channel();
        // A task of its own, so that cancelling ends this subscription only.
        let task = runtime::handle().spawn(async move {
            while let Some(change) = inner.recv().await {
                if sender.send(change).is_err() {
                    return;
                }
            }
        });
        Subscription::new(snapshot, events, task.abort_handle())
    }
}
