//! Data watch: snapshot then ordered events, delete + re-create as two events, ephemeral
//! keys (put, delete on close; expired is in watch_faults.rs), resuming from a revision.

mod common;

use std::time::Duration;

use common::*;
use group_redis::{json, DataEvent, DataEventKind, Subscription};

async fn next(events: &mut Subscription<DataEvent>) -> DataEvent {
    tokio::time::timeout(PATIENCE, events.next())
        .await
        .expect("an event within the bound")
        .expect("subscription open")
}

async fn quiet(events: &mut Subscription<DataEvent>) {
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.next())
            .await
            .is_err(),
        "no more events"
    );
}

fn brief(event: &DataEvent) -> (String, DataEventKind, serde_json::Value, u64) {
    (
        event.path.clone(),
        event.kind,
        event.value.clone(),
        event.version,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watch_starts_from_a_snapshot_then_gets_every_change_in_order() {
    let server = RedisServer::start();
    let group = unique_group("watch-order");
    let c = connect(&server, &group, "writer").await;
    c.persistent_set("cfg/a", &json!(1)).await.unwrap();
    c.persistent_set("cfg/b", &json!({"x": true}))
        .await
        .unwrap();
    c.persistent_set("other/z", &json!(0)).await.unwrap();
    let mut events = c.watch("cfg/", None).await.unwrap();
    let snapshot = events.snapshot().clone();
    let paths: Vec<_> = snapshot.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["cfg/a", "cfg/b"]);
    assert_eq!(snapshot.entries[0].version, 1);
    assert!(snapshot.revision > 0);

    c.persistent_set("cfg/a", &json!(2)).await.unwrap();
    c.persistent_set("other/z", &json!(1)).await.unwrap();
    c.persistent_set_many(&[("cfg/c".into(), json!("c")), ("cfg/b".into(), json!(null))])
        .await
        .unwrap();
    c.persistent_del("cfg/a").await.unwrap();
    let mut got = Vec::new();
    let mut last_revision = snapshot.revision;
    for _ in 0..4 {
        let event = next(&mut events).await;
        assert!(event.revision > last_revision, "revisions grow: {event:?}");
        assert!(!event.resync);
        last_revision = event.revision;
        got.push(brief(&event));
    }
    assert_eq!(
        got,
        [
            ("cfg/a".into(), DataEventKind::Put, json!(2), 2),
            ("cfg/c".into(), DataEventKind::Put, json!("c"), 1),
            ("cfg/b".into(), DataEventKind::Put, json!(null), 2),
            ("cfg/a".into(), DataEventKind::Delete, json!(null), 2),
        ]
    );
    quiet(&mut events).await;
    // The JSON shape every binding uses.
    let text = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(text["entries"][0]["path"], "cfg/a");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_then_re_create_is_two_events() {
    let server = RedisServer::start();
    let group = unique_group("watch-recreate");
    let c = connect(&server, &group, "writer").await;
    c.persistent_set("k", &json!("old")).await.unwrap();
    let mut events = c.watch("", None).await.unwrap();
    c.persistent_del("k").await.unwrap();
    c.persistent_set("k", &json!("new")).await.unwrap();
    let deleted = next(&mut events).await;
    let created = next(&mut events).await;
    assert_eq!(
        brief(&deleted),
        ("k".into(), DataEventKind::Delete, json!(null), 1)
    );
    assert_eq!(
        brief(&created),
        ("k".into(), DataEventKind::Put, json!("new"), 1)
    );
    assert_eq!(created.revision, deleted.revision + 1);
    let shape = serde_json::to_value(&created).unwrap();
    assert_eq!(
        shape,
        json!({"path": "k", "kind": "put", "value": "new", "version": 1,
               "revision": created.revision, "resync": false})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ephemeral_keys_give_put_and_delete_on_close() {
    let server = RedisServer::start();
    let group = unique_group("watch-eph");
    let watcher = connect(&server, &group, "watcher").await;
    let mut events = watcher.watch_ephemeral("svc/", None).await.unwrap();
    assert!(events.snapshot().entries.is_empty());
    // Persistent writes under the same prefix are not ephemeral events.
    watcher.persistent_set("svc/p", &json!(0)).await.unwrap();

    let closing = connect(&server, &group, "closing").await;
    closing.ephemeral_set("svc/a", &json!(1)).await.unwrap();
    closing.ephemeral_set("svc/a", &json!(2)).await.unwrap();
    closing.close().await.unwrap();
    let got: Vec<_> = [
        next(&mut events).await,
        next(&mut events).await,
        next(&mut events).await,
    ]
    .iter()
    .map(brief)
    .collect();
    assert_eq!(
        got,
        [
            ("svc/a".into(), DataEventKind::Put, json!(1), 1),
            ("svc/a".into(), DataEventKind::Put, json!(2), 2),
            ("svc/a".into(), DataEventKind::Delete, json!(null), 2),
        ]
    );

    quiet(&mut events).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn resuming_from_a_revision_replays_what_came_after_it() {
    let server = RedisServer::start();
    let group = unique_group("watch-resume");
    let c = connect(&server, &group, "writer").await;
    c.persistent_set("r/a", &json!(1)).await.unwrap();
    let first = c.watch("r/", None).await.unwrap();
    let seen = first.snapshot().revision;
    drop(first);
    c.persistent_set("r/a", &json!(2)).await.unwrap();
    c.persistent_del("r/a").await.unwrap();
    c.persistent_set("r/b", &json!(3)).await.unwrap();
    let mut resumed = c.watch("r/", Some(seen)).await.unwrap();
    let got: Vec<_> = [
        next(&mut resumed).await,
        next(&mut resumed).await,
        next(&mut resumed).await,
    ]
    .iter()
    .map(brief)
    .collect();
    assert_eq!(
        got,
        [
            ("r/a".into(), DataEventKind::Put, json!(2), 2),
            ("r/a".into(), DataEventKind::Delete, json!(null), 2),
            ("r/b".into(), DataEventKind::Put, json!(3), 1),
        ]
    );
    quiet(&mut resumed).await;
    let paths: Vec<_> = resumed
        .snapshot()
        .entries
        .iter()
        .map(|e| e.path.clone())
        .collect();
    assert_eq!(paths, ["r/b"], "the snapshot holds the current entries");

    // A revision whose history is gone (here: from before the group existed) gives resync
    // puts of the current entries.
    let mut stale = c.watch("r/", Some(1)).await.unwrap();
    let event = next(&mut stale).await;
    assert!(event.resync);
    assert_eq!(
        brief(&event),
        ("r/b".into(), DataEventKind::Put, json!(3), 1)
    );
    quiet(&mut stale).await;
}

/// Subscriptions of one connector share one stream reader: ones started while changes are
/// being written each get every change after their snapshot, once, in order.
#[tokio::test(flavor = "multi_thread")]
async fn watches_of_one_connector_started_during_writes_each_see_every_later_change() {
    let server = RedisServer::start();
    let group = unique_group("watch-shared");
    let watcher = connect(&server, &group, "watcher").await;
    let writer = connect(&server, &group, "writer").await;
    let writing = tokio::spawn(async move {
        for i in 0..3000u64 {
            writer
                .persistent_set(&format!("s/k{}", i % 7), &json!(i))
                .await
                .unwrap();
        }
        writer
    });
    let mut watches = Vec::new();
    for _ in 0..5 {
        watches.push(watcher.watch("s/", None).await.unwrap());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let writer = writing.await.unwrap();
    let last = writer.watch("s/", None).await.unwrap().snapshot().revision;
    let mid_writes = watches
        .iter()
        .filter(|w| w.snapshot().revision < last)
        .count();
    assert!(
        mid_writes >= 3,
        "only {mid_writes} watches started during the writes"
    );
    for mut events in watches {
        let mut revision = events.snapshot().revision;
        while revision < last {
            let event = next(&mut events).await;
            assert_eq!(event.revision, revision + 1, "every change once, in order");
            revision = event.revision;
        }
    }
}
