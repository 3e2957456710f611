//! Each mistake of the seed library (DESIGN.md, "What the seed got wrong") as a test that
//! would have caught it. The crash and freeze cases (contenders keeping a dead holder's
//! lock alive, two holders after a pause) run real processes: grctl/tests/faults.rs.

mod common;

use std::time::Duration;

use common::*;
use group_redis::{json, Connector, Error, LeaveReason};

/// Seed: release was GET then DEL and checked only the member name. Here release is
/// owner-checked by session: another process using the same member id cannot release.
#[tokio::test(flavor = "multi_thread")]
async fn release_checks_the_session_not_just_the_member_name() {
    let server = RedisServer::start();
    let group = unique_group("bug-release");
    let first = connect(&server, &group, "same-id").await;
    let second = connect(&server, &group, "same-id").await;
    first.lock("res").await.unwrap().unwrap();
    assert!(!second.release("res").await.unwrap());
    assert_eq!(second.lock("res").await.unwrap(), None);
    assert!(first.is_held("res").unwrap());
    assert!(first.release("res").await.unwrap());
}

/// Seed: the hostname was the identity, so two processes on one host shared locks. The
/// default member id carries the pid.
#[test]
fn default_identity_is_host_and_pid() {
    let id = group_redis::default_member_id();
    assert!(id.ends_with(&format!("-{}", std::process::id())), "{id}");
    assert_ne!(id, hostname_only());
}

fn hostname_only() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Seed: the reentrant lock had no count. Here holds are counted.
#[tokio::test(flavor = "multi_thread")]
async fn reentrant_lock_counts_holds() {
    let server = RedisServer::start();
    let group = unique_group("bug-count");
    let c = connect(&server, &group, "me").await;
    let other = connect(&server, &group, "other").await;
    for _ in 0..3 {
        c.reentrant_lock("r").await.unwrap().unwrap();
    }
    for remaining in (0..3).rev() {
        assert!(c.release("r").await.unwrap());
        let free = other.lock("r").await.unwrap();
        assert_eq!(free.is_some(), remaining == 0, "{remaining} holds left");
    }
}

/// Seed: any Redis error killed the heartbeat loop forever. Here the loop survives Redis
/// going away and the session stays usable after it comes back.
#[tokio::test(flavor = "multi_thread")]
async fn heartbeat_survives_redis_errors() {
    let mut server = RedisServer::start();
    let group = unique_group("bug-heartbeat");
    let c = Connector::connect(short_lease(&server, &group, "me", 600))
        .await
        .unwrap();
    let mut states = c.subscribe_state();
    c.join(None, None).await.unwrap();
    server.stop();
    let suspended = tokio::time::timeout(PATIENCE, states.next()).await.unwrap();
    assert_eq!(suspended, Some(group_redis::ConnectionState::Suspended));
    server.restart();
    eventually("member re-registered after the restart", || async {
        c.members()
            .await
            .map(|m| m.iter().any(|m| m.id == "me"))
            .unwrap_or(false)
    })
    .await;
    assert_eq!(c.state(), group_redis::ConnectionState::Connected);
}

/// Seed: events went through a sliding buffer of 10 and were lost, or duplicated by STM
/// retries. Here a subscriber that does not read while 200 changes happen gets all of them,
/// in order, once.
#[tokio::test(flavor = "multi_thread")]
async fn no_event_lost_or_duplicated_when_the_reader_is_slow() {
    let server = RedisServer::start();
    let group = unique_group("bug-events");
    let watcher = connect(&server, &group, "watcher").await;
    let mut events = watcher.subscribe_members().await.unwrap();
    let c = connect(&server, &group, "churn").await;
    for i in 0..100 {
        c.join(Some(&format!("m{i:03}")), None).await.unwrap();
    }
    for i in 0..100 {
        c.leave(Some(&format!("m{i:03}"))).await.unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < 200 {
        let event = tokio::time::timeout(PATIENCE, events.next())
            .await
            .expect("event within bound")
            .unwrap();
        seen.push(event);
    }
    for (i, event) in seen.iter().enumerate() {
        let id = format!("m{:03}", i % 100);
        if i < 100 {
            assert_eq!(event.joined_members[0].id, id);
        } else {
            assert_eq!(event.left_members[0].id, id);
            assert_eq!(event.reason, Some(LeaveReason::Left));
        }
    }
    let views: Vec<u64> = seen.iter().map(|e| e.view).collect();
    assert!(
        views.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive views"
    );
    // And nothing more arrives.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.next())
            .await
            .is_err(),
        "no duplicate after the last change"
    );
}

/// Seed: setting an ephemeral key twice piled up stale values. Here it replaces.
#[tokio::test(flavor = "multi_thread")]
async fn ephemeral_set_replaces() {
    let server = RedisServer::start();
    let group = unique_group("bug-eph");
    let c = connect(&server, &group, "me").await;
    c.ephemeral_set("k", &json!("first")).await.unwrap();
    c.ephemeral_set("k", &json!("second")).await.unwrap();
    assert_eq!(c.ephemeral_get("k").await.unwrap(), Some(json!("second")));
    assert_eq!(
        c.ephemeral_list("").await.unwrap(),
        vec![("k".to_string(), json!("second"))]
    );
}

/// Seed: close removed nothing and there was no leave.
#[tokio::test(flavor = "multi_thread")]
async fn close_removes_members_locks_and_ephemerals_at_once() {
    let server = RedisServer::start();
    let group = unique_group("bug-close");
    let c = connect(&server, &group, "closer").await;
    let observer = connect(&server, &group, "observer").await;
    c.join(None, None).await.unwrap();
    c.lock("held").await.unwrap().unwrap();
    c.ephemeral_set("mine", &json!(1)).await.unwrap();
    c.close().await.unwrap();
    assert!(observer.members().await.unwrap().is_empty());
    assert!(observer.lock("held").await.unwrap().is_some());
    assert_eq!(observer.ephemeral_get("mine").await.unwrap(), None);
    assert_eq!(c.members().await.unwrap_err(), Error::Closed);
    c.close().await.unwrap();
}

/// Seed: KEYS for membership and N+1 GETs per heartbeat. Here members() is one command
/// whatever the group size, a heartbeat is one command whatever is held, and KEYS/SCAN are
/// never sent.
#[tokio::test(flavor = "multi_thread")]
async fn one_round_trip_for_members_and_heartbeat_and_never_keys() {
    let server = RedisServer::start();
    let group = unique_group("bug-keys");
    let c = Connector::connect(
        config(&server, &group, "busy")
            .with_session_timeout(Duration::from_millis(2000))
            .with_heartbeat(Duration::from_millis(100)),
    )
    .await
    .unwrap();
    for i in 0..60 {
        c.join(Some(&format!("member-{i}")), None).await.unwrap();
        c.lock(&format!("lock-{i}")).await.unwrap().unwrap();
        c.ephemeral_set(&format!("eph-{i}"), &json!(i))
            .await
            .unwrap();
    }
    // Every operation is one EVALSHA from the client; count those (commands run inside a
    // script are counted by Redis too, so the plain command total would mislead).
    c.members().await.unwrap(); // loads the script (NOSCRIPT, SCRIPT LOAD) once
    let before = script_calls(&server);
    let members = c.members().await.unwrap();
    let spent = script_calls(&server) - before;
    assert_eq!(members.len(), 60);
    // members() itself and at most two heartbeats that happened meanwhile.
    assert!(spent <= 3, "members() took {spent} round trips");

    let before = script_calls(&server);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let spent = script_calls(&server) - before;
    // About 10 heartbeats in 1 s; renewing per item would be 180 per beat.
    assert!(
        spent <= 25,
        "{spent} round trips in 1 s while holding 180 items"
    );

    let stats: String = raw_command(&server, &["INFO", "commandstats"]);
    assert!(!stats.contains("cmdstat_keys:"), "KEYS was used");
    assert!(!stats.contains("cmdstat_scan:"), "SCAN was used");
}
