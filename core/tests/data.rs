//! Ephemeral and persistent data: listing by prefix, atomic set_many, compare-and-set.

mod common;

use common::*;
use group_redis::{json, Error};

#[tokio::test(flavor = "multi_thread")]
async fn persistent_list_set_many_and_cas() {
    let server = RedisServer::start();
    let group = unique_group("data");
    let c = connect(&server, &group, "me").await;
    let versions = c
        .persistent_set_many(&[
            ("cfg/a".into(), json!(1)),
            ("cfg/b".into(), json!({"x": [1, 2]})),
            ("other".into(), json!(null)),
        ])
        .await
        .unwrap();
    assert_eq!(versions, [1, 1, 1]);
    let listed = c.persistent_list("cfg/").await.unwrap();
    let paths: Vec<&str> = listed.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["cfg/a", "cfg/b"]);
    assert_eq!(listed[1].value, json!({"x": [1, 2]}));
    assert_eq!(c.persistent_list("").await.unwrap().len(), 3);

    // Compare-and-set: the right version writes, a stale one does not.
    assert_eq!(
        c.persistent_cas("cfg/a", 1, &json!(2)).await.unwrap(),
        Some(2)
    );
    assert_eq!(c.persistent_cas("cfg/a", 1, &json!(3)).await.unwrap(), None);
    assert_eq!(c.persistent_get("cfg/a").await.unwrap(), Some(json!(2)));
    // Version 0 means "must not exist yet".
    assert_eq!(
        c.persistent_cas("new", 0, &json!("x")).await.unwrap(),
        Some(1)
    );
    assert_eq!(c.persistent_cas("new", 0, &json!("y")).await.unwrap(), None);
    let versioned = c.persistent_get_versioned("new").await.unwrap().unwrap();
    assert_eq!((versioned.value, versioned.version), (json!("x"), 1));

    assert!(c.persistent_del("cfg/a").await.unwrap());
    assert!(!c.persistent_del("cfg/a").await.unwrap());
    assert_eq!(c.persistent_list("cfg/").await.unwrap().len(), 1);
    // Persistent data outlives its writer.
    c.close().await.unwrap();
    let later = connect(&server, &group, "later").await;
    assert_eq!(
        later.persistent_get("cfg/b").await.unwrap(),
        Some(json!({"x": [1, 2]}))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn set_many_is_seen_all_or_nothing() {
    let server = RedisServer::start();
    let group = unique_group("atomic");
    let writer = std::sync::Arc::new(connect(&server, &group, "writer").await);
    let reader = connect(&server, &group, "reader").await;
    let writing = {
        let writer = std::sync::Arc::clone(&writer);
        tokio::spawn(async move {
            for i in 0..200 {
                writer
                    .persistent_set_many(&[
                        ("pair/a".into(), json!(i)),
                        ("pair/b".into(), json!(i)),
                    ])
                    .await
                    .unwrap();
            }
        })
    };
    while !writing.is_finished() {
        let entries = reader.persistent_list("pair/").await.unwrap();
        if entries.len() == 2 {
            assert_eq!(
                entries[0].value, entries[1].value,
                "a torn write was visible"
            );
        }
    }
    writing.await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn ephemeral_keys_list_by_prefix_and_belong_to_their_session() {
    let server = RedisServer::start();
    let group = unique_group("eph");
    let a = connect(&server, &group, "a").await;
    let b = connect(&server, &group, "b").await;
    a.ephemeral_set("svc/a", &json!({"port": 1})).await.unwrap();
    b.ephemeral_set("svc/b", &json!({"port": 2})).await.unwrap();
    b.ephemeral_set("zzz", &json!(0)).await.unwrap();
    let listed = a.ephemeral_list("svc/").await.unwrap();
    assert_eq!(
        listed,
        vec![
            ("svc/a".to_string(), json!({"port": 1})),
            ("svc/b".to_string(), json!({"port": 2}))
        ]
    );
    // Another live session's key can be neither overwritten nor deleted.
    assert!(matches!(
        a.ephemeral_set("svc/b", &json!(9)).await,
        Err(Error::KeyOwned(_))
    ));
    assert!(matches!(
        a.ephemeral_del("svc/b").await,
        Err(Error::KeyOwned(_))
    ));
    assert!(b.ephemeral_del("svc/b").await.unwrap());
    assert!(!b.ephemeral_del("svc/b").await.unwrap());
    b.close().await.unwrap();
    assert_eq!(a.ephemeral_list("").await.unwrap().len(), 1);
    // Once its owner is gone, the name is free for others.
    a.ephemeral_set("zzz", &json!(1)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_id_of_a_live_session_is_refused() {
    let server = RedisServer::start();
    let group = unique_group("dup-member");
    let a = connect(&server, &group, "shared").await;
    let b = connect(&server, &group, "shared").await;
    a.join(None, None).await.unwrap();
    assert!(matches!(
        b.join(None, None).await,
        Err(Error::MemberExists(_))
    ));
    // Joining again from the same connector is an idempotent update.
    a.join(None, None).await.unwrap();
    a.close().await.unwrap();
    b.join(None, None).await.unwrap();
}
