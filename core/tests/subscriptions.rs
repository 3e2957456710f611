//! The generic subscription types: state subscriptions start from the state at subscribe
//! time and end with CLOSED, cancel ends a subscription after what it already delivered,
//! the blocking form's callback and pull styles.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::*;
use group_redis::{blocking, ConnectionState, Error};

#[tokio::test(flavor = "multi_thread")]
async fn a_state_subscription_starts_from_now_and_ends_with_closed() {
    let server = RedisServer::start();
    let group = unique_group("state-sub");
    let c = connect(&server, &group, "a").await;
    let mut states = c.subscribe_state();
    assert_eq!(*states.snapshot(), ConnectionState::Connected);
    c.close().await.unwrap();
    let next = tokio::time::timeout(PATIENCE, states.next()).await.unwrap();
    assert_eq!(next, Some(ConnectionState::Closed));
    assert_eq!(states.next().await, None, "CLOSED is the last event");

    // Subscribing after close: the snapshot says CLOSED, and so does the one event.
    let mut late = c.subscribe_state();
    assert_eq!(*late.snapshot(), ConnectionState::Closed);
    assert_eq!(late.next().await, Some(ConnectionState::Closed));
    assert_eq!(late.next().await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_ends_a_subscription_after_what_it_delivered() {
    let server = RedisServer::start();
    let group = unique_group("cancel");
    let watcher = connect(&server, &group, "watcher").await;
    let member = connect(&server, &group, "m").await;
    let mut events = watcher.subscribe_members().await.unwrap();
    member.join(None, None).await.unwrap();
    // Wait until the join is here before cancelling: it must still be returned.
    tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(event) = events.try_next() {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the join");
    member.leave(None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    events.cancel();
    let mut rest = Vec::new();
    while let Some(event) = tokio::time::timeout(PATIENCE, events.next()).await.unwrap() {
        rest.push(event);
    }
    assert!(rest.len() <= 1, "at most the leave, then the end: {rest:?}");
}

#[test]
fn blocking_state_changes_reach_a_callback_until_closed() {
    let server = RedisServer::start();
    let group = unique_group("state-cb");
    let c = blocking::Connector::connect(config(&server, &group, "a")).unwrap();
    let states = c.subscribe_state();
    assert_eq!(*states.snapshot(), ConnectionState::Connected);
    let (sender, received) = mpsc::channel();
    let _handle = states.into_callback("test-states", move |state| {
        sender.send(state).unwrap();
    });
    let mut pulled = c.subscribe_state();
    c.close().unwrap();
    assert_eq!(
        received.recv_timeout(PATIENCE).unwrap(),
        ConnectionState::Closed
    );
    assert_eq!(
        pulled.recv_timeout(Some(PATIENCE)).unwrap(),
        Some(ConnectionState::Closed)
    );
    assert!(matches!(
        pulled.recv_timeout(Some(PATIENCE)),
        Err(Error::Closed)
    ));
}

#[test]
fn the_end_callback_runs_once_after_the_last_event_however_delivery_stops() {
    let server = RedisServer::start();
    let group = unique_group("end-cb");
    let c = blocking::Connector::connect(config(&server, &group, "a")).unwrap();
    // Ended by the connector closing: CLOSED, then the end.
    let (sender, received) = mpsc::channel();
    let end = sender.clone();
    let _handle = c.subscribe_state().into_callback_until_end(
        "test-end",
        move |state| sender.send(format!("{state:?}")).unwrap(),
        move || end.send("end".into()).unwrap(),
    );
    // Ended by cancelling the handle.
    let (cancel_sender, cancelled) = mpsc::channel();
    let handle = c.subscribe_members().unwrap().into_callback_until_end(
        "test-cancel",
        |_| {},
        move || cancel_sender.send(()).unwrap(),
    );
    handle.cancel();
    cancelled.recv_timeout(PATIENCE).unwrap();
    c.close().unwrap();
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "Closed");
    assert_eq!(received.recv_timeout(PATIENCE).unwrap(), "end");
    assert!(received.recv_timeout(Duration::from_millis(200)).is_err());
}
