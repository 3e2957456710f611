//! The examples in core/examples, run against a harness redis-server: each example's
//! `run` returns what it saw, and these tests check it, so an example that stops working
//! fails the suite instead of rotting.

mod common;

use common::{unique_group, RedisServer};

// Each example is also a binary with its own main, unused here.
#[allow(dead_code)]
#[path = "../examples/data.rs"]
mod data_example;
#[allow(dead_code)]
#[path = "../examples/fenced_lock.rs"]
mod fenced_lock_example;
#[allow(dead_code)]
#[path = "../examples/membership.rs"]
mod membership_example;
#[allow(dead_code)]
#[path = "../examples/watch.rs"]
mod watch_example;

#[tokio::test(flavor = "multi_thread")]
async fn membership_example_lists_both_members() {
    let server = RedisServer::start();
    let seen = membership_example::run(&server.url(), &unique_group("ex-members"))
        .await
        .expect("example runs");
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.contains(&"worker-1".to_string()), "{seen:?}");
    assert!(seen.contains(&group_redis::default_member_id()), "{seen:?}");
}

#[test]
fn fenced_lock_example_gets_growing_tokens() {
    let server = RedisServer::start();
    let tokens =
        fenced_lock_example::run(&server.url(), &unique_group("ex-lock")).expect("example runs");
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0] > 0 && tokens[1] > tokens[0], "{tokens:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn data_example_loses_the_ephemeral_value_with_its_owner() {
    let server = RedisServer::start();
    let after = data_example::run(&server.url(), &unique_group("ex-data"))
        .await
        .expect("example runs");
    assert_eq!(after, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_example_sees_put_delete_then_the_re_create_after_resuming() {
    use group_redis::DataEventKind::{Delete, Put};
    let server = RedisServer::start();
    let seen = watch_example::run(&server.url(), &unique_group("ex-watch"))
        .await
        .expect("example runs");
    let path = "config/batch".to_string();
    assert_eq!(
        seen,
        [
            (path.clone(), Put, 2),
            (path.clone(), Delete, 2),
            (path, Put, 1)
        ]
    );
}
