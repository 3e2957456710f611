//! A connector that never saw the group (a new process) after Redis restarted without its
//! data: the group looks new, yet a holder from before may still trust its lease. The
//! server's start time bounds that lease: the fresh connector's first grant waits until the
//! server is older than the longest lease (docs/SAFETY.md, "Data loss and restarts").
//! `cargo test -p group-redis --test fresh_after_restart -- --nocapture` prints the margins.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use gr_test_harness::Proxy;
use group_redis::{ConnectionState, Connector};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Records when A learned LOST, from a task of its own.
fn lost_at(a: &Connector) -> Arc<Mutex<Option<Instant>>> {
    let seen = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&seen);
    let mut states = a.subscribe_state();
    tokio::spawn(async move {
        while let Some(state) = states.next().await {
            if state == ConnectionState::Lost {
                sink.lock().unwrap().get_or_insert(Instant::now());
            }
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_connector_after_an_empty_restart_waits_out_the_old_lease() {
    let mut server = RedisServer::start();
    let lease = Duration::from_secs(6);
    for trial in 0..3u64 {
        let group = unique_group("fresh-after-restart");
        // A reaches Redis through a proxy, cut at the restart: it hears nothing from the new
        // server and learns LOST only on its own clock, the worst case for overlap.
        let proxy = Proxy::start(server.port());
        let a = Connector::connect(
            through_proxy(&proxy, &group, "a", lease).with_heartbeat(Duration::from_millis(1500)),
        )
        .await
        .unwrap();
        let a_lost = lost_at(&a);
        let a_token = a.lock("L").await.unwrap().expect("A takes L");
        // Vary where in A's heartbeat period the restart falls.
        tokio::time::sleep(Duration::from_millis(200 + trial * 500)).await;

        proxy.pause();
        server.restart();
        let restarted = Instant::now();
        // B is new: it never saw the group, and states the group's longest lease while
        // using a shorter one itself.
        let b = Connector::connect(short_lease(&server, &group, "b", 2000).with_max_lease(lease))
            .await
            .unwrap();
        let first = b.lock("L").await.unwrap();
        assert!(
            first.is_none(),
            "trial {trial}: B was granted L at once on a server younger than A's lease"
        );
        let b_token = b.try_lock("L", PATIENCE).await.unwrap().expect("B gets L");
        let b_acquired = Instant::now();
        let a_lost = a_lost
            .lock()
            .unwrap()
            .expect("A told LOST before B holds L");
        assert!(
            !a.is_held("L").unwrap(),
            "trial {trial}: A still believes it holds L while B does"
        );
        assert!(
            a_lost < b_acquired,
            "trial {trial}: B holds L before A heard LOST"
        );
        assert!(
            b_token > a_token,
            "trial {trial}: token went backwards: {a_token} then {b_token}"
        );
        println!(
            "fresh connector after an empty restart, trial {trial}: A LOST {:.0} ms after the \
             restart, B acquired {:.0} ms after it: margin {:.0} ms; tokens {a_token} -> {b_token}",
            ms(a_lost - restarted),
            ms(b_acquired - restarted),
            ms(b_acquired - a_lost)
        );
        b.close().await.unwrap();
        drop(a);
        drop(proxy);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_server_grants_a_fresh_connector_at_once() {
    // The wait is bounded by the server's age: a server older than the longest lease had
    // no holder from before its start whose lease could still run.
    let server = RedisServer::start();
    // The server's age is known to whole seconds, so the bound carries one second more.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    let group = unique_group("old-server");
    let b = Connector::connect(
        short_lease(&server, &group, "b", 1000).with_max_lease(Duration::from_secs(2)),
    )
    .await
    .unwrap();
    assert!(b.lock("L").await.unwrap().is_some());
    b.close().await.unwrap();
}
