//! Membership events across trimmed history and Redis restarts; connection states;
//! callback delivery; re-registration after a lost session.

mod common;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use group_redis::{blocking, json, ConnectionState, Connector, Member, MembershipEvent};

/// Applies events to a member map the way a user would, failing on any inconsistency: a
/// join of someone already there (unless they left in the same event), a leave of someone
/// unknown, an update of someone unknown.
struct Replica {
    members: BTreeMap<String, Member>,
}

impl Replica {
    fn new(snapshot: &[Member]) -> Self {
        Replica {
            members: snapshot.iter().map(|m| (m.id.clone(), m.clone())).collect(),
        }
    }

    fn apply(&mut self, event: &MembershipEvent) {
        for m in &event.left_members {
            assert!(
                self.members.remove(&m.id).is_some(),
                "leave of unknown {}: {event:?}",
                m.id
            );
        }
        for m in &event.joined_members {
            assert!(
                self.members.insert(m.id.clone(), m.clone()).is_none(),
                "duplicate join of {}: {event:?}",
                m.id
            );
        }
        for m in &event.updated_members {
            assert!(
                self.members.insert(m.id.clone(), m.clone()).is_some(),
                "update of unknown {}",
                m.id
            );
        }
    }

    fn ids(&self) -> Vec<String> {
        self.members.keys().cloned().collect()
    }
}

async fn next_event(events: &mut group_redis::MemberSubscription) -> MembershipEvent {
    tokio::time::timeout(PATIENCE, events.next())
        .await
        .expect("an event within the bound")
        .expect("subscription open")
}

fn ids(members: &[Member]) -> Vec<String> {
    members.iter().map(|m| m.id.clone()).collect()
}

/// A subscriber that finds a gap in the view counter (history trimmed or lost) resyncs from
/// a snapshot and emits exactly the difference.
#[tokio::test(flavor = "multi_thread")]
async fn a_gap_in_history_is_detected_and_resynced() {
    let server = RedisServer::start();
    let group = unique_group("gap");
    let a = connect(&server, &group, "a").await;
    a.join(None, None).await.unwrap();
    let watcher = connect(&server, &group, "watcher").await;
    let mut events = watcher.subscribe_members().await.unwrap();
    let mut replica = Replica::new(events.snapshot());
    assert_eq!(replica.ids(), ["a"]);
    // Simulate history the subscriber never saw: views jump and the entries are trimmed.
    let view_key = group_redis::keys::Keys::new(&group).view();
    let stream_key = group_redis::keys::Keys::new(&group).events();
    let _: i64 = raw_command(&server, &["INCRBY", &view_key, "5"]);
    let _: i64 = raw_command(&server, &["XTRIM", &stream_key, "MAXLEN", "0"]);
    let b = connect(&server, &group, "b").await;
    b.join(None, None).await.unwrap();
    a.leave(None).await.unwrap();
    while replica.ids() != ["b"] {
        let event = next_event(&mut events).await;
        replica.apply(&event);
    }
    assert_eq!(replica.ids(), ids(&watcher.members().await.unwrap()));
}

/// Redis stopped and restarted empty on the same port: the connector reports SUSPENDED,
/// LOST, RECONNECTED in that order, re-registers its members and ephemeral data, and a
/// subscriber's view stays consistent (no duplicate, nothing missed) and ends equal to
/// the truth; a change after the restart is seen exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn redis_restart_reconnects_reregisters_and_keeps_subscribers_consistent() {
    let mut server = RedisServer::start();
    let group = unique_group("restart");
    let member = Connector::connect(short_lease(&server, &group, "survivor", 1200))
        .await
        .unwrap();
    let mut states = member.subscribe_state();
    member.join(None, Some(json!({"v": 1}))).await.unwrap();
    member
        .ephemeral_set("survivor/addr", &json!("10.0.0.1"))
        .await
        .unwrap();
    member.lock("held-before").await.unwrap().unwrap();
    let watcher = connect(&server, &group, "watcher").await;
    let mut events = watcher.subscribe_members().await.unwrap();
    let mut replica = Replica::new(events.snapshot());
    assert_eq!(replica.ids(), ["survivor"]);

    server.stop();
    let first = tokio::time::timeout(PATIENCE, states.next()).await.unwrap();
    assert_eq!(first, Some(ConnectionState::Suspended));
    server.restart();
    let mut rest = Vec::new();
    while rest.last() != Some(&ConnectionState::Reconnected) {
        rest.push(
            tokio::time::timeout(PATIENCE, states.next())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(rest, [ConnectionState::Lost, ConnectionState::Reconnected]);
    assert!(
        !member.is_held("held-before").unwrap(),
        "locks are reported lost, not re-taken"
    );
    assert_eq!(
        member.ephemeral_get("survivor/addr").await.unwrap(),
        Some(json!("10.0.0.1"))
    );
    assert_eq!(ids(&member.members().await.unwrap()), ["survivor"]);

    let late = connect(&server, &group, "late-joiner").await;
    late.join(None, None).await.unwrap();
    let mut late_joins = 0;
    while replica.ids() != ["late-joiner", "survivor"] || late_joins == 0 {
        let event = next_event(&mut events).await;
        late_joins += event
            .joined_members
            .iter()
            .filter(|m| m.id == "late-joiner")
            .count();
        replica.apply(&event);
    }
    assert_eq!(late_joins, 1);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), events.next())
            .await
            .is_err(),
        "nothing after the last change"
    );
}

/// A session reaped by others (as after a long freeze) is replaced: LOST then RECONNECTED,
/// members and ephemeral keys re-created under the new session, locks gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_reaped_session_is_replaced_and_its_registrations_restored() {
    let server = RedisServer::start();
    let group = unique_group("reaped");
    let c = Connector::connect(short_lease(&server, &group, "phoenix", 1000))
        .await
        .unwrap();
    let mut states = c.subscribe_state();
    c.join(None, None).await.unwrap();
    c.ephemeral_set("phoenix/k", &json!(42)).await.unwrap();
    c.lock("l").await.unwrap().unwrap();
    let old_session = c.session_id();
    // Make Redis forget the session, as if others had reaped it after a long freeze (a
    // deadline set in the past would not do: the live connector's own heartbeat renews it,
    // as it must when the server's clock steps forward).
    let sessions = group_redis::keys::Keys::new(&group).sessions();
    let _: i64 = raw_command(&server, &["ZREM", &sessions, &old_session]);
    let other = connect(&server, &group, "other").await;
    assert!(
        other.lock("l").await.unwrap().is_some(),
        "expired holder's lock is free"
    );
    assert_eq!(
        tokio::time::timeout(PATIENCE, states.next()).await.unwrap(),
        Some(ConnectionState::Lost)
    );
    assert_eq!(
        tokio::time::timeout(PATIENCE, states.next()).await.unwrap(),
        Some(ConnectionState::Reconnected)
    );
    assert_ne!(c.session_id(), old_session);
    assert!(!c.is_held("l").unwrap());
    assert_eq!(
        other.ephemeral_get("phoenix/k").await.unwrap(),
        Some(json!(42))
    );
    let members = other.members().await.unwrap();
    assert_eq!(ids(&members), ["phoenix"]);
    assert_eq!(members[0].session, c.session_id());
}

/// Callback style through the blocking facade: events arrive on a dispatcher thread, a
/// panicking callback does not stop delivery, cancel waits for the last callback.
#[test]
fn callbacks_keep_delivering_after_a_panic() {
    let server = RedisServer::start();
    let group = unique_group("callbacks");
    let watcher = blocking::Connector::connect(config(&server, &group, "watcher")).unwrap();
    let (sender, received) = mpsc::channel();
    let runtime_thread = std::thread::current().id();
    let (snapshot, handle) = watcher
        .on_member_event(move |event| {
            assert_ne!(std::thread::current().id(), runtime_thread);
            let id = event.joined_members[0].id.clone();
            sender.send(id.clone()).unwrap();
            if id == "first" {
                panic!("a user callback that panics");
            }
        })
        .unwrap();
    assert!(snapshot.is_empty());
    let joiner = blocking::Connector::connect(config(&server, &group, "joiner")).unwrap();
    joiner.join(Some("first"), None).unwrap();
    joiner.join(Some("second"), None).unwrap();
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "first");
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "second");
    handle.cancel();
    joiner.join(Some("third"), None).unwrap();
    assert!(received.recv_timeout(Duration::from_millis(300)).is_err());
}

/// Pull style through the blocking facade, with a timeout, and the update event.
#[test]
fn blocking_pull_with_timeout_and_updates() {
    let server = RedisServer::start();
    let group = unique_group("pull");
    let c = blocking::Connector::connect(config(&server, &group, "me")).unwrap();
    let mut events = c.subscribe_members().unwrap();
    assert!(events
        .recv_timeout(Some(Duration::from_millis(100)))
        .unwrap()
        .is_none());
    c.join(None, Some(json!({"role": "a"}))).unwrap();
    let joined = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(joined.joined_members[0].payload, json!({"role": "a"}));
    c.update_payload(None, json!({"role": "b"})).unwrap();
    let updated = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(updated.updated_members[0].payload, json!({"role": "b"}));
    c.add_sub_group("reporting").unwrap();
    let updated = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(
        updated.updated_members[0].sub_groups,
        ["default", "reporting"]
    );
    c.remove_sub_group("default").unwrap();
    let updated = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(updated.updated_members[0].sub_groups, ["reporting"]);
    let member = &c.members().unwrap()[0];
    assert_eq!(member.sub_groups, ["reporting"]);
    c.leave(None).unwrap();
    let left = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(left.left_members[0].id, "me");
    // Closing the connector ends its subscriptions.
    c.close().unwrap();
    assert_eq!(
        events.recv_timeout(Some(PATIENCE)).unwrap_err(),
        group_redis::Error::Closed
    );
}
