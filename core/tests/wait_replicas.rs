//! `Config::with_wait_replicas`: a lock grant is reported acquired only once a replica has
//! it (Redis `WAIT` after the grant, on the same connection), and a grant no replica
//! acknowledges in time is given back and reported as a `Timeout`, never as acquired.
//! With a real master and replica started by the harness; the replica is frozen (SIGSTOP)
//! to make it unreachable while staying connected.

mod common;

use std::time::{Duration, Instant};

use common::*;
use group_redis::{blocking, Connector, Error};

const WAIT: Duration = Duration::from_millis(500);

/// A master and a replica in sync.
fn master_and_replica() -> (RedisServer, RedisServer) {
    let master = RedisServer::start();
    let replica = RedisServer::start_replica_of(master.port());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let info: String = raw_command(&replica, &["INFO", "replication"]);
        if info.contains("master_link_status:up") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never synced: {info}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (master, replica)
}

fn waiting_config(server: &RedisServer, group: &str, member: &str) -> group_redis::Config {
    config(server, group, member).with_wait_replicas(1, WAIT)
}

/// The token the replica has for lock `name` (the first word of its hash's `hold` field,
/// docs/PROTOCOL.md), if any.
fn replica_token(replica: &RedisServer, group: &str, name: &str) -> Option<String> {
    let keys = group_redis::keys::Keys::new(group);
    let hold: Option<String> = raw_command(replica, &["HGET", &keys.lock(name), "hold"]);
    hold.map(|hold| hold.split(' ').next().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_is_reported_once_the_replica_has_it() {
    let (master, replica) = master_and_replica();
    let group = unique_group("wait-replicas");
    let a = Connector::connect(waiting_config(&master, &group, "a"))
        .await
        .unwrap();
    for round in 0..20 {
        let token = a.lock("L").await.unwrap().expect("granted");
        // Read from the replica right away: WAIT returned, so it has applied the grant.
        assert_eq!(
            replica_token(&replica, &group, "L"),
            Some(token.to_string()),
            "round {round}: the replica has the grant when it is reported"
        );
        assert!(a.release("L").await.unwrap());
    }

    // A hold handed to a waiting connector is confirmed the same way.
    let b = Connector::connect(waiting_config(&master, &group, "b"))
        .await
        .unwrap();
    a.lock("H").await.unwrap().expect("A holds H");
    let waiter = tokio::spawn(async move {
        let token = b.try_lock("H", PATIENCE).await.unwrap();
        (b, token)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(a.release("H").await.unwrap());
    let (b, token) = waiter.await.unwrap();
    let token = token.expect("B was handed H");
    assert_eq!(
        replica_token(&replica, &group, "H"),
        Some(token.to_string())
    );
    assert!(b.is_held("H").unwrap());
    a.close().await.unwrap();
    b.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_acknowledging_replica_a_grant_is_given_back_not_reported() {
    let (master, replica) = master_and_replica();
    let group = unique_group("wait-replicas-none");
    let a = Connector::connect(waiting_config(&master, &group, "a"))
        .await
        .unwrap();
    a.lock("warm")
        .await
        .unwrap()
        .expect("granted while the replica runs");
    replica.signal("STOP");

    let started = Instant::now();
    let err = a.lock("L").await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(started.elapsed() >= WAIT, "it waited for the replica");
    assert!(!a.is_held("L").unwrap(), "not reported held");
    assert!(
        a.lock_holder("L").await.unwrap().is_none(),
        "the grant was given back on the master"
    );
    // A waiting caller keeps trying until its wait runs out, then fails the same way.
    let err = a
        .try_lock("L", Duration::from_millis(1500))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(a.lock_holder("L").await.unwrap().is_none());

    // The blocking facade (its calls run on a plain connection of the caller's thread).
    let group2 = group.clone();
    let url_config = waiting_config(&master, &group2, "c");
    // On a thread of its own: the facade refuses calls from inside an async runtime.
    let blocking_result = std::thread::spawn(move || {
        let c = blocking::Connector::connect(url_config).unwrap();
        let outcome = c.lock("L");
        let held = c.is_held("L").unwrap();
        c.close().unwrap();
        (outcome, held)
    })
    .join()
    .unwrap();
    assert!(
        matches!(blocking_result.0, Err(Error::Timeout(_))),
        "{:?}",
        blocking_result.0
    );
    assert!(!blocking_result.1);
    assert!(a.lock_holder("L").await.unwrap().is_none());

    // The replica back: grants are acknowledged again.
    replica.signal("CONT");
    let token = a.try_lock("L", PATIENCE).await.unwrap().expect("granted");
    assert_eq!(
        replica_token(&replica, &group, "L"),
        Some(token.to_string())
    );
    a.close().await.unwrap();
}

#[test]
fn a_wait_timeout_not_below_the_command_timeout_is_refused() {
    let config = group_redis::Config::new("redis://127.0.0.1:1")
        .with_command_timeout(Duration::from_millis(500))
        .with_wait_replicas(1, Duration::from_millis(500));
    let err = config.validate().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert!(group_redis::Config::new("redis://127.0.0.1:1")
        .with_wait_replicas(0, Duration::ZERO)
        .validate()
        .is_ok());
}
