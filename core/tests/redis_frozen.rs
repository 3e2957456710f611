//! Redis itself frozen with SIGSTOP: calls fail with a timeout instead of hanging, the
//! connector goes SUSPENDED then LOST on its own clock, and recovers after SIGCONT.

mod common;

use std::time::{Duration, Instant};

use common::*;
use group_redis::{ConnectionState, Connector, Error};

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_redis_means_timeouts_then_lost_then_recovery() {
    let server = RedisServer::start();
    let group = unique_group("frozen-redis");
    let c = Connector::connect(
        short_lease(&server, &group, "patient", 1200)
            .with_command_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    let mut states = c.subscribe_state();
    c.join(None, None).await.unwrap();
    c.lock("mine").await.unwrap().unwrap();

    server.signal("STOP");
    let started = Instant::now();
    let err = c.members().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout(_) | Error::Connection(_)),
        "{err:?}"
    );
    assert!(
        started.elapsed() < PATIENCE,
        "a call against a frozen Redis must not hang"
    );
    assert_eq!(next(&mut states).await, ConnectionState::Suspended);
    assert_eq!(next(&mut states).await, ConnectionState::Lost);
    assert!(
        !c.is_held("mine").unwrap(),
        "LOST: the lock must be treated as gone"
    );

    server.signal("CONT");
    assert_eq!(next(&mut states).await, ConnectionState::Reconnected);
    eventually("member re-registered", || async {
        c.members()
            .await
            .map(|m| m.iter().any(|m| m.id == "patient"))
            .unwrap_or(false)
    })
    .await;
    assert!(
        !c.is_held("mine").unwrap(),
        "locks are never silently re-taken"
    );
    assert!(
        c.lock("mine").await.unwrap().is_some(),
        "but can be taken again"
    );
}

async fn next(states: &mut group_redis::StateSubscription) -> ConnectionState {
    tokio::time::timeout(PATIENCE, states.next())
        .await
        .expect("a state change within the bound")
        .expect("subscription open")
}

/// close() with Redis gone: the error says so (the leave could not be written), and the
/// connector is closed anyway; later calls say Closed.
#[tokio::test(flavor = "multi_thread")]
async fn close_without_redis_reports_the_connection_error() {
    let mut server = RedisServer::start();
    let c = Connector::connect(
        config(&server, &unique_group("close-down"), "me")
            .with_command_timeout(Duration::from_millis(500)),
    )
    .await
    .unwrap();
    c.join(None, None).await.unwrap();
    server.stop();
    let err = c.close().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout(_) | Error::Connection(_)),
        "{err:?}"
    );
    assert_eq!(c.members().await.unwrap_err(), Error::Closed);
    c.close().await.unwrap();
}
