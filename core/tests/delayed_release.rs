//! A release whose reply was lost must give back the hold it was meant for and no other.
//! A holds L, the network goes silent, A's release times out (so the connector keeps
//! releasing in the background and its held requests wait in the network). The network
//! comes back and A takes L again. The property: whatever arrives late, A's new hold
//! stays A's, and B, which keeps trying, never gets L while A believes it holds it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use gr_test_harness::Proxy;
use group_redis::blocking::Connector;

/// Longer than the background release keeps retrying after the network came back (its
/// pause between tries grows to 2 s), so a late release would have landed by then.
const WATCH: Duration = Duration::from_secs(4);

#[test]
fn a_late_release_never_frees_the_next_hold() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port());
    let mut stolen = Vec::new();
    for (trial, pause_ms) in [300u64, 900, 500, 1300, 700].into_iter().enumerate() {
        let group = unique_group("late-release");
        let a = Connector::connect(through_proxy(&proxy, &group, "a", Duration::from_secs(10)))
            .unwrap();
        let b = Connector::connect(config(&server, &group, "b")).unwrap();
        let first = a.lock("L").unwrap().expect("L is free");

        proxy.pause();
        // Let every pump see the pause (they read with a 10 ms timeout).
        std::thread::sleep(Duration::from_millis(50));
        let released = a.release("L");
        std::thread::sleep(Duration::from_millis(pause_ms));
        proxy.resume();

        // A takes L again as soon as it is free (the late or background release frees it).
        let second = a
            .try_lock("L", PATIENCE)
            .unwrap()
            .expect("A gets L back once its release lands");
        assert!(second > first, "tokens only grow: {first} then {second}");
        // Watch: A's new hold must survive every request still on its way.
        let watch_until = Instant::now() + WATCH;
        let mut lost_at = None;
        while Instant::now() < watch_until {
            if b.lock("L").unwrap().is_some() {
                lost_at = Some(WATCH - watch_until.saturating_duration_since(Instant::now()));
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let holder = b.lock_holder("L").unwrap();
        println!(
            "trial {trial} (network silent {pause_ms} ms): release got {released:?}, A took L \
             again with token {second} (first {first}), B took it while A held it: {lost_at:?}, \
             holder now {holder:?}"
        );
        if let Some(after) = lost_at {
            stolen.push((trial, after));
        } else {
            assert!(a.is_held("L").unwrap(), "A still holds L");
            let holder = holder.expect("L is held");
            assert_eq!((holder.member.as_str(), holder.token), ("a", second));
        }
        a.close().unwrap();
        b.close().unwrap();
    }
    assert!(
        stolen.is_empty(),
        "a late release freed A's next hold, B got L while A held it (trial, after): {stolen:?}"
    );
}

/// A re-entrant release held on its connection while its retry, on a fresh one, removes
/// the hold; the held request then reaches Redis. It must not remove a second hold: the
/// retry carried the same id. A keeps one hold, and B cannot take L until A gives it back.
#[test]
fn a_retried_release_removes_one_hold_only() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port());
    for trial in 0..3 {
        let group = unique_group("retried-release");
        let a = Connector::connect(through_proxy(&proxy, &group, "a", Duration::from_secs(10)))
            .unwrap();
        let b = Connector::connect(config(&server, &group, "b")).unwrap();
        let token = a.reentrant_lock("L").unwrap().expect("L is free");
        assert_eq!(a.reentrant_lock("L").unwrap(), Some(token));
        proxy.hold_open_connections();
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            a.release("L").unwrap(),
            "the retry on a fresh connection answers"
        );
        proxy.resume();
        // The held first call reaches Redis within a few ms: watch well past that.
        let watch_until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < watch_until {
            let holder = b.lock_holder("L").unwrap().map(|h| (h.member, h.token));
            assert_eq!(
                holder,
                Some(("a".to_string(), token)),
                "trial {trial}: A's last hold went"
            );
            assert_eq!(b.lock("L").unwrap(), None);
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(a.is_held("L").unwrap());
        assert!(a.release("L").unwrap(), "A gives back its last hold");
        let next = b.lock("L").unwrap().expect("then L is free");
        println!("trial {trial}: A kept one hold of token {token} through the late release; B then took {next}");
        a.close().unwrap();
        b.close().unwrap();
    }
}
