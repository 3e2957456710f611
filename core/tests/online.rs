//! The online/offline flag a member sets without leaving: shown by members() and in update
//! events, kept with the payload across a reconnect (a new session restores both).

mod common;

use std::time::{Duration, Instant};

use common::*;
use gr_test_harness::Proxy;
use group_redis::{ConnectionState, Connector, Member, MemberSubscription};
use serde_json::json;

async fn member(c: &Connector, id: &str) -> Member {
    c.members()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("{id} is not a member"))
}

/// The next update event for `id`, as its record.
async fn next_update(events: &mut MemberSubscription, id: &str) -> Member {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(left, events.next())
            .await
            .expect("an update event in time")
            .expect("the subscription ended");
        if let Some(m) = event.updated_members.into_iter().find(|m| m.id == id) {
            return m;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_goes_offline_and_back_without_leaving() {
    let server = RedisServer::start();
    let group = unique_group("online");
    let a = connect(&server, &group, "a").await;
    let b = connect(&server, &group, "b").await;
    let joined = a.join(None, Some(json!({"port": 1}))).await.unwrap();
    assert!(joined.online, "members join online");
    let mut events = b.subscribe_members().await.unwrap();
    assert!(events.snapshot().iter().any(|m| m.id == "a" && m.online));

    a.set_online(None, false).await.unwrap();
    let update = next_update(&mut events, "a").await;
    assert!(!update.online, "the update event carries the flag");
    let seen = member(&b, "a").await;
    assert!(!seen.online, "members() shows it offline");
    assert_eq!(seen.payload, json!({"port": 1}));

    // A payload update keeps the flag; re-joining keeps it too.
    a.update_payload(None, json!({"port": 2})).await.unwrap();
    let update = next_update(&mut events, "a").await;
    assert_eq!((update.online, update.payload), (false, json!({"port": 2})));
    assert!(!a.join(None, Some(json!({"port": 2}))).await.unwrap().online);

    a.set_online(None, true).await.unwrap();
    assert!(next_update(&mut events, "a").await.online);
    assert!(member(&b, "a").await.online);

    let err = b.set_online(Some("a"), false).await.unwrap_err();
    assert!(
        matches!(err, group_redis::Error::InvalidArgument(_)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_flag_and_the_last_payload_are_restored_after_a_reconnect() {
    let server = RedisServer::start();
    let group = unique_group("online-restore");
    let proxy = Proxy::start(server.port());
    let a = Connector::connect(
        group_redis::Config::new(proxy.url())
            .with_group(&group)
            .with_member_id("a")
            .with_session_timeout(Duration::from_millis(1000))
            .with_heartbeat(Duration::from_millis(250))
            .with_command_timeout(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    let b = connect(&server, &group, "b").await;
    a.join(None, Some(json!({"v": 1}))).await.unwrap();
    a.update_payload(None, json!({"v": 2})).await.unwrap();
    a.set_online(None, false).await.unwrap();
    let before = member(&b, "a").await;
    let mut states = a.subscribe_state();

    proxy.pause();
    eventually("a's old session ended", || async {
        !b.members().await.unwrap().iter().any(|m| m.id == "a")
    })
    .await;
    proxy.resume();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let state = tokio::time::timeout(left, states.next()).await.unwrap();
        if state == Some(ConnectionState::Reconnected) {
            break;
        }
    }
    let after = member(&b, "a").await;
    assert_ne!(after.session, before.session, "a new session");
    assert_eq!(after.payload, json!({"v": 2}), "the payload it last set");
    assert!(!after.online, "the flag it last set");
}
