//! The topic log: batch send, read from an index, waiting reads, trimmed indexes,
//! retention on a timer, and indexes that grow across a Redis restart without data.

mod common;

use std::time::{Duration, Instant};

use common::*;
use group_redis::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_gets_consecutive_indexes_and_reads_back_in_order() {
    let server = RedisServer::start();
    let group = unique_group("topic-batch");
    let conn = connect(&server, &group, "w1").await;
    let batch: Vec<_> = (0..100).map(|i| json!({"n": i})).collect();
    let indexes = conn.topic_send("orders", &batch).await.unwrap();
    assert_eq!(indexes.len(), 100);
    assert!(indexes.windows(2).all(|w| w[1] == w[0] + 1), "{indexes:?}");
    let more = conn.topic_send("orders", &[json!("last")]).await.unwrap();
    assert_eq!(more, [indexes[99] + 1]);

    let read = conn
        .topic_read("orders", indexes[0], 60, None)
        .await
        .unwrap();
    assert_eq!(read.messages.len(), 60);
    assert_eq!(read.next_index, indexes[59] + 1);
    let rest = conn
        .topic_read("orders", read.next_index, 1000, None)
        .await
        .unwrap();
    let all: Vec<_> = read.messages.iter().chain(&rest.messages).collect();
    assert_eq!(all.len(), 101);
    for (i, message) in all.iter().take(100).enumerate() {
        assert_eq!(message.index, indexes[i]);
        assert_eq!(message.payload, json!({"n": i}));
    }
    assert_eq!(all[100].payload, json!("last"));
    let empty = conn
        .topic_read("orders", rest.next_index, 10, None)
        .await
        .unwrap();
    assert!(empty.messages.is_empty());
    assert_eq!(empty.next_index, rest.next_index);

    let info = conn.topic_info("orders").await.unwrap();
    assert_eq!(info.first_index, Some(indexes[0]));
    assert_eq!(info.last_index, Some(more[0]));
    assert_eq!(info.length, 101);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_read_returns_when_a_message_arrives() {
    let server = RedisServer::start();
    let group = unique_group("topic-wait");
    let reader = connect(&server, &group, "reader").await;
    let writer = connect(&server, &group, "writer").await;
    let first = writer.topic_send("t", &[json!(1)]).await.unwrap()[0];

    // Nothing after `first`: the read waits, and gives up empty when its time runs out.
    let quiet = reader
        .topic_read("t", first + 1, 10, Some(Duration::from_millis(300)))
        .await
        .unwrap();
    assert!(quiet.messages.is_empty());
    assert_eq!(quiet.next_index, first + 1);

    let send_later = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        writer.topic_send("t", &[json!(2), json!(3)]).await.unwrap()
    });
    let started = Instant::now();
    let read = reader
        .topic_read("t", first + 1, 10, Some(PATIENCE))
        .await
        .unwrap();
    let sent = send_later.await.unwrap();
    assert!(started.elapsed() < PATIENCE);
    let got: Vec<_> = read.messages.iter().map(|m| m.index).collect();
    assert_eq!(got, sent);
    assert_eq!(read.messages[0].payload, json!(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trimmed_index_reads_from_the_first_one_held() {
    let server = RedisServer::start();
    let group = unique_group("topic-trim");
    let conn = connect(&server, &group, "w1").await;
    let indexes = conn
        .topic_send("t", &(0..20).map(|i| json!(i)).collect::<Vec<_>>())
        .await
        .unwrap();
    let removed = conn
        .topic_set_retention("t", 5, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(removed, 15);
    let info = conn.topic_info("t").await.unwrap();
    assert_eq!(info.first_index, Some(indexes[15]));
    assert_eq!(info.last_index, Some(indexes[19]));
    let read = conn.topic_read("t", indexes[0], 100, None).await.unwrap();
    let got: Vec<_> = read.messages.iter().map(|m| m.index).collect();
    assert_eq!(got, indexes[15..].to_vec());
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_by_age_runs_on_a_timer_without_reads() {
    let server = RedisServer::start();
    let group = unique_group("topic-age");
    let conn = connect(&server, &group, "w1").await;
    conn.topic_send("t", &[json!("old")]).await.unwrap();
    conn.topic_set_retention("t", 0, Duration::from_millis(400))
        .await
        .unwrap();
    let observer = connect(&server, &group, "observer").await;
    eventually("the old message is trimmed by the timer", || async {
        observer.topic_info("t").await.unwrap().length == 0
    })
    .await;
    let info = observer.topic_info("t").await.unwrap();
    assert_eq!(info.first_index, None);
    assert!(info.last_index.is_some(), "the last index is remembered");
}

#[tokio::test(flavor = "multi_thread")]
async fn indexes_grow_across_a_restart_without_data() {
    let mut server = RedisServer::start();
    let group = unique_group("topic-restart");
    let conn = connect(&server, &group, "w1").await;
    let before = conn
        .topic_send("t", &[json!(1), json!(2), json!(3)])
        .await
        .unwrap();
    server.stop();
    server.restart();
    let after = loop {
        match conn.topic_send("t", &[json!(4)]).await {
            Ok(indexes) => break indexes,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    assert!(after[0] > before[2], "{after:?} after {before:?}");
    let read = conn.topic_read("t", 0, 10, None).await.unwrap();
    assert_eq!(read.messages.len(), 1);
    assert_eq!(read.messages[0].index, after[0]);
}
