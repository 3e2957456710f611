//! The grace after a restart, and a lease in doubt, are visible: a free lock that cannot be
//! had says until when (`lock_status`), and a lock call while the lease is in doubt fails
//! with an error of its own, not `SessionExpired`.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use gr_test_harness::Proxy;
use group_redis::{ConnectionState, Connector, Error};

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn during_a_restart_grace_lock_status_says_until_when() {
    let mut server = RedisServer::start();
    let group = unique_group("grace-visible");
    let lease = 1500u64;
    let a = Connector::connect(short_lease(&server, &group, "a", lease))
        .await
        .unwrap();
    a.lock("L").await.unwrap().expect("A takes L");
    let before = a.lock_status("L").await.unwrap();
    assert!(before.holder.is_some() && before.grants_held_until_ms.is_none());

    server.restart();
    let restarted_ms = unix_ms();
    // A learns its session is gone and comes back as a new one, which knew the group: the
    // new epoch holds grants back for one lease.
    let mut states = a.subscribe_state();
    tokio::time::timeout(PATIENCE, async {
        while let Some(state) = states.next().await {
            if state == ConnectionState::Reconnected {
                return;
            }
        }
    })
    .await
    .expect("A comes back as a new session");
    let status = a.lock_status("L").await.unwrap();
    let until = status
        .grants_held_until_ms
        .expect("a free lock during the grace says grants are held back") as i64;
    assert!(status.holder.is_none());
    assert!(
        until > unix_ms() && until <= restarted_ms + lease as i64 + 1500,
        "grants held until {} ms after the restart",
        until - restarted_ms
    );
    assert_eq!(
        a.lock("L").await.unwrap(),
        None,
        "lock() during the grace is not acquired"
    );
    println!(
        "grace visible: grants held back until {} ms after the restart",
        until - restarted_ms
    );
    let token = a
        .try_lock("L", PATIENCE)
        .await
        .unwrap()
        .expect("L after it");
    assert!(unix_ms() >= until - 50, "granted before the grace ended");
    assert!(token > 0);
    let after = a.lock_status("L").await.unwrap();
    assert!(after.holder.is_some() && after.grants_held_until_ms.is_none());
    a.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_while_the_lease_is_in_doubt_is_refused_as_such() {
    let server = RedisServer::start();
    let group = unique_group("in-doubt");
    let proxy = Proxy::start(server.port());
    let a = Connector::connect(
        through_proxy(&proxy, &group, "a", Duration::from_secs(6))
            .with_heartbeat(Duration::from_millis(300)),
    )
    .await
    .unwrap();
    proxy.pause();
    let deadline = Instant::now() + PATIENCE;
    while a.state() != ConnectionState::Suspended {
        assert!(Instant::now() < deadline, "never SUSPENDED");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let err = a.lock("L").await.unwrap_err();
    assert!(matches!(err, Error::LeaseInDoubt(_)), "{err:?}");
    let err = a
        .try_lock("L", Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LeaseInDoubt(_)), "{err:?}");
    proxy.resume();
    let token = a.try_lock("L", PATIENCE).await.unwrap();
    assert!(token.is_some(), "granted once the lease is renewed");
    a.close().await.unwrap();
}
