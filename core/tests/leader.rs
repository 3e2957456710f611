//! Leader election and observing who leads: one leader at a time, terms that grow,
//! resign and drop hand over at once, observers see every change including "no leader".

mod common;

use std::time::{Duration, Instant};

use common::*;
use group_redis::{LeaderEvent, LeaderView, Leadership, Subscription};

async fn next_event<E: group_redis::Event>(events: &mut Subscription<E>) -> E {
    tokio::time::timeout(PATIENCE, events.next())
        .await
        .expect("an event within PATIENCE")
        .expect("the subscription is open")
}

/// Waits until exactly one of `campaigns` leads and returns its index and token.
async fn the_leader(campaigns: &[&Leadership]) -> (usize, u64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let leading: Vec<(usize, u64)> = campaigns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.token().map(|t| (i, t)))
            .collect();
        assert!(leading.len() <= 1, "two leaders at once: {leading:?}");
        if let [one] = leading[..] {
            return one;
        }
        assert!(Instant::now() < deadline, "nobody elected");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_leader_at_a_time_with_growing_terms_and_observers_see_each_change() {
    let server = RedisServer::start();
    let group = unique_group("leader");
    let observer = connect(&server, &group, "observer").await;
    let mut seen = observer.observe_leader("job").await.unwrap();
    assert_eq!(
        *seen.snapshot(),
        LeaderView {
            leader: None,
            token: None
        }
    );
    let connectors = [
        connect(&server, &group, "a").await,
        connect(&server, &group, "b").await,
        connect(&server, &group, "c").await,
    ];
    let mut campaigns = Vec::new();
    for c in &connectors {
        campaigns.push(Some(c.elect("job").await.unwrap()));
    }
    let mut last_token = 0;
    for round in 0..3 {
        let live: Vec<&Leadership> = campaigns.iter().flatten().collect();
        let (index, token) = the_leader(&live).await;
        assert!(token > last_token, "term {token} after {last_token}");
        last_token = token;
        let leader_id = ["a", "b", "c"]
            .into_iter()
            .zip(&campaigns)
            .filter(|(_, c)| c.is_some())
            .nth(index)
            .unwrap()
            .0;
        // The observer reports this term (maybe after "no leader" in between).
        loop {
            let view = next_event(&mut seen).await;
            if view.leader.is_some() {
                assert_eq!(view.leader.as_deref(), Some(leader_id));
                assert_eq!(view.token, Some(token));
                break;
            }
        }
        assert_eq!(
            observer.leader("job").await.unwrap().leader.as_deref(),
            Some(leader_id)
        );
        // The leader resigns: the next is elected without waiting for a lease.
        let slot = campaigns
            .iter_mut()
            .filter(|c| c.is_some())
            .nth(index)
            .unwrap();
        let leadership = slot.take().unwrap();
        let mut events = leadership.subscribe();
        assert_eq!(*events.snapshot(), LeaderEvent::Leader { token });
        let resigned = Instant::now();
        leadership.resign().await.unwrap();
        assert!(!leadership.is_leader());
        assert_eq!(next_event(&mut events).await, LeaderEvent::Follower);
        assert!(events.next().await.is_none(), "ends after resigning");
        if round < 2 {
            let live: Vec<&Leadership> = campaigns.iter().flatten().collect();
            let (_, next) = the_leader(&live).await;
            assert!(next > token);
            println!(
                "round {round}: resigned term {token}, term {next} began {:.1} ms later",
                resigned.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    // Nobody campaigns any more: the observer says so.
    let last_resign = Instant::now();
    loop {
        let view = next_event(&mut seen).await;
        if view.leader.is_none() {
            assert_eq!(view.token, None);
            break;
        }
    }
    println!(
        "the observer reported \"no leader\" {:.1} ms after the last resign returned",
        last_resign.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(observer.leader("job").await.unwrap().leader, None);
    for c in &connectors {
        c.close().await.unwrap();
    }
    observer.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_the_handle_or_closing_the_connector_hands_over_at_once() {
    let server = RedisServer::start();
    let group = unique_group("leader-drop");
    // A long lease: a hand-over that waited for it would take 10 s.
    let a = connect(&server, &group, "a").await;
    let b = connect(&server, &group, "b").await;
    let c = connect(&server, &group, "c").await;
    let first = a.elect("job").await.unwrap();
    let (_, token) = the_leader(&[&first]).await;
    let second = b.elect("job").await.unwrap();
    let mut second_events = second.subscribe();
    let dropped = Instant::now();
    drop(first);
    let event = next_event(&mut second_events).await;
    let LeaderEvent::Leader { token: next } = event else {
        panic!("{event:?}");
    };
    assert!(next > token);
    assert!(dropped.elapsed() < Duration::from_secs(5));
    println!(
        "dropped: successor elected {:.1} ms later",
        dropped.elapsed().as_secs_f64() * 1000.0
    );
    let third = c.elect("job").await.unwrap();
    let mut third_events = third.subscribe();
    let closed = Instant::now();
    b.close().await.unwrap();
    assert_eq!(next_event(&mut second_events).await, LeaderEvent::Follower);
    assert!(!second.is_leader());
    let event = next_event(&mut third_events).await;
    assert!(
        matches!(event, LeaderEvent::Leader { token } if token > next),
        "{event:?}"
    );
    assert!(closed.elapsed() < Duration::from_secs(5));
    println!(
        "closed: successor elected {:.1} ms later",
        closed.elapsed().as_secs_f64() * 1000.0
    );
    // Elections of other names are independent; bad names are refused.
    let other = a.elect("other-job").await.unwrap();
    the_leader(&[&other]).await;
    assert!(a.elect("").await.is_err());
    drop(third);
    a.close().await.unwrap();
    c.close().await.unwrap();
}

#[test]
fn the_blocking_facade_campaigns_and_observes() {
    let server = RedisServer::start();
    let group = unique_group("leader-blocking");
    let a = group_redis::blocking::Connector::connect(config(&server, &group, "a")).unwrap();
    let leadership = a.elect("job").unwrap();
    let mut events = leadership.subscribe();
    let event = match *events.snapshot() {
        LeaderEvent::Leader { token } => LeaderEvent::Leader { token },
        _ => events.recv_timeout(Some(PATIENCE)).unwrap().unwrap(),
    };
    let LeaderEvent::Leader { token } = event else {
        panic!("{event:?}")
    };
    assert_eq!(leadership.token(), Some(token));
    let view = a.leader("job").unwrap();
    assert_eq!(view.leader.as_deref(), Some("a"));
    assert_eq!(view.token, Some(token));
    let json = serde_json::to_value(LeaderEvent::Leader { token: 7 }).unwrap();
    assert_eq!(json, serde_json::json!({"state": "LEADER", "token": 7}));
    assert_eq!(
        serde_json::to_value(LeaderEvent::Follower).unwrap(),
        serde_json::json!({"state": "FOLLOWER"})
    );
    leadership.resign().unwrap();
    assert!(!leadership.is_leader());
    assert_eq!(a.leader("job").unwrap().leader, None);
    a.close().unwrap();
}
