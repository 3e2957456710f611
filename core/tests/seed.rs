//! The seed library's documented scenarios, run against a real redis-server.

mod common;

use common::*;
use group_redis::{json, LeaveReason};

#[tokio::test(flavor = "multi_thread")]
async fn join_two_and_get_members() {
    let server = RedisServer::start();
    let group = unique_group("seed-join");
    let a = connect(&server, &group, "member-a").await;
    let b = connect(&server, &group, "member-b").await;
    a.join(None, None).await.unwrap();
    b.join(None, Some(json!({"port": 7001}))).await.unwrap();
    let members = a.members().await.unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["member-a", "member-b"]);
    assert_eq!(members[0].sub_groups, ["default"]);
    assert_eq!(members[1].payload, json!({"port": 7001}));
    assert!(
        members[0].joined_at > 1_600_000_000_000,
        "joined_at is server ms"
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_sequence_from_the_seed_docs() {
    let server = RedisServer::start();
    let c = connect(&server, &unique_group("seed-lock"), "me").await;
    assert!(c.lock("my-lock").await.unwrap().is_some(), "lock true");
    assert!(c.lock("my-lock").await.unwrap().is_none(), "lock false");
    assert!(
        !c.release_as("another-member", "my-lock").await.unwrap(),
        "release(another) false"
    );
    assert!(c.release("my-lock").await.unwrap(), "release true");
    assert!(!c.release("my-lock").await.unwrap(), "release false");
}

#[tokio::test(flavor = "multi_thread")]
async fn reentrant_lock_sequence_from_the_seed_docs() {
    let server = RedisServer::start();
    let c = connect(&server, &unique_group("seed-reentrant"), "me").await;
    let first = c.reentrant_lock("r").await.unwrap();
    let second = c.reentrant_lock("r").await.unwrap();
    assert!(
        first.is_some() && second.is_some(),
        "reentrant_lock true twice"
    );
    assert_eq!(first, second, "a re-entry keeps the token of the hold");
    assert!(c
        .reentrant_lock_as("another-member", "r")
        .await
        .unwrap()
        .is_none());
    assert!(!c.release_as("another-member", "r").await.unwrap());
    assert!(c.release("r").await.unwrap());
    assert!(
        c.is_held("r").unwrap(),
        "one hold remains after one release"
    );
    assert!(c.release("r").await.unwrap());
    assert!(!c.is_held("r").unwrap());
    assert!(!c.release("r").await.unwrap(), "freed at zero");
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_on_behalf_of_another_member() {
    let server = RedisServer::start();
    let c = connect(&server, &unique_group("seed-behalf"), "me").await;
    assert!(c.lock_as("worker-7", "job").await.unwrap().is_some());
    assert!(c.lock("job").await.unwrap().is_none());
    assert!(!c.release("job").await.unwrap(), "me does not hold it");
    assert!(c.release_as("worker-7", "job").await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn ephemeral_and_persistent_round_trips() {
    let server = RedisServer::start();
    let group = unique_group("seed-data");
    let c = connect(&server, &group, "me").await;
    c.ephemeral_set("mykey1", &json!(1)).await.unwrap();
    assert_eq!(c.ephemeral_get("mykey1").await.unwrap(), Some(json!(1)));
    let doc = json!({"a": [1, 2.5, "x", null, true], "b": {"c": -3}});
    c.persistent_set("config/x", &doc).await.unwrap();
    assert_eq!(
        c.persistent_get("config/x").await.unwrap(),
        Some(doc.clone())
    );
    let other = connect(&server, &group, "other").await;
    assert_eq!(other.persistent_get("config/x").await.unwrap(), Some(doc));
    assert_eq!(other.ephemeral_get("mykey1").await.unwrap(), Some(json!(1)));
    assert_eq!(c.persistent_get("missing").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_after_join() {
    let server = RedisServer::start();
    let group = unique_group("seed-event");
    let watcher = connect(&server, &group, "watcher").await;
    let mut events = watcher.subscribe_members().await.unwrap();
    assert!(events.snapshot().is_empty());
    let joiner = connect(&server, &group, "joiner").await;
    joiner.join(None, None).await.unwrap();
    let event = tokio::time::timeout(PATIENCE, events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.joined_members.len(), 1);
    assert_eq!(event.joined_members[0].id, "joiner");
    assert!(event.left_members.is_empty());
    joiner.leave(None).await.unwrap();
    let event = tokio::time::timeout(PATIENCE, events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.left_members[0].id, "joiner");
    assert_eq!(event.reason, Some(LeaveReason::Left));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_url_selects_the_database() {
    let server = RedisServer::start();
    let group = unique_group("db");
    let url = format!("{}/3", server.url());
    let c = group_redis::Connector::connect(group_redis::Config::new(url).with_group(&group))
        .await
        .unwrap();
    c.persistent_set("where", &json!("db3")).await.unwrap();
    let key = group_redis::keys::Keys::new(&group).data("where");
    let in_db0: i64 = raw_command(&server, &["EXISTS", &key]);
    assert_eq!(in_db0, 0);
    let mut db3 = redis::Client::open(format!("{}/3", server.url()))
        .unwrap()
        .get_connection()
        .unwrap();
    let value: String = redis::cmd("HGET")
        .arg(&key)
        .arg("value")
        .query(&mut db3)
        .unwrap();
    assert_eq!(
        value, "\"db3\"",
        "stored as JSON text, readable with redis-cli"
    );
}
