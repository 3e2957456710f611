//! The shape of a membership resync event (docs/PROTOCOL.md, "Reading events"): after Redis
//! restarts empty, each member id is in at most one list, a member back under a new session
//! is an update, and the event carries the fresh snapshot's view and position.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use group_redis::{Connector, LeaveReason, Member, MembershipEvent};

fn ids(members: &[Member]) -> BTreeSet<String> {
    members.iter().map(|m| m.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_gives_one_resync_event_with_each_id_in_one_list() {
    let mut server = RedisServer::start();
    let group = unique_group("resync-shape");
    let survivor = Connector::connect(short_lease(&server, &group, "w1", 1200))
        .await
        .unwrap();
    survivor.join(None, None).await.unwrap();
    let gone = Connector::connect(short_lease(&server, &group, "w2", 1200))
        .await
        .unwrap();
    gone.join(None, None).await.unwrap();
    let watcher = connect(&server, &group, "watcher").await;
    let mut events = watcher.subscribe_members().await.unwrap();
    let mut view: BTreeMap<String, Member> = events
        .snapshot()
        .iter()
        .map(|m| (m.id.clone(), m.clone()))
        .collect();
    assert_eq!(view.keys().collect::<Vec<_>>(), ["w1", "w2"]);
    let old_session = survivor.session_id();

    server.stop();
    // w2 goes away while Redis is down: it cannot leave, and will not come back.
    let _ = gone.close().await;
    server.restart();

    let mut resyncs: Vec<MembershipEvent> = Vec::new();
    loop {
        let event = tokio::time::timeout(PATIENCE, events.next())
            .await
            .expect("an event within the bound")
            .expect("subscription open");
        let (joined, left, updated) = (
            ids(&event.joined_members),
            ids(&event.left_members),
            ids(&event.updated_members),
        );
        assert!(
            joined.is_disjoint(&left) && joined.is_disjoint(&updated) && left.is_disjoint(&updated),
            "an id in two lists: {event:?}"
        );
        for m in &event.left_members {
            assert!(view.remove(&m.id).is_some(), "leave of unknown: {event:?}");
        }
        for m in &event.joined_members {
            assert!(
                view.insert(m.id.clone(), m.clone()).is_none(),
                "join of known: {event:?}"
            );
        }
        for m in &event.updated_members {
            assert!(
                view.insert(m.id.clone(), m.clone()).is_some(),
                "update of unknown: {event:?}"
            );
        }
        if event.reason == Some(LeaveReason::Resync) || event.position.is_empty() {
            // The position of a resync is the fresh snapshot's (never empty); its view is
            // 0 only while the restarted group is still empty.
            assert!(!event.position.is_empty(), "{event:?}");
            assert!(
                event.view > 0 || (event.position == "0-0" && event.joined_members.is_empty()),
                "{event:?}"
            );
            resyncs.push(event);
        }
        let back = view
            .get("w1")
            .is_some_and(|m| m.session == survivor.session_id() && m.session != old_session);
        if back && !view.contains_key("w2") {
            break;
        }
    }
    assert_eq!(resyncs.len(), 1, "one resync for one restart: {resyncs:?}");
    assert!(
        ids(&resyncs[0].left_members).contains("w2"),
        "w2 gone in the resync: {resyncs:?}"
    );
    assert_eq!(
        view.keys().collect::<Vec<_>>(),
        ["w1"],
        "the replica ends equal to the truth"
    );
}
