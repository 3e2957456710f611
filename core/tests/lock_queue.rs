//! The lock's FIFO queue: a release hands the lock to the oldest live waiter and wakes it
//! alone; a waiter whose wait ended (timeout, cancel, SIGKILL, SIGSTOP, cut off) never keeps
//! a lock it will not use; a released lock leaves nothing behind in Redis.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use gr_test_harness::Proxy;
use group_redis::{blocking, ConnectionState, Connector};

/// Entries in the wait queue of lock `name` of `group`.
fn queued(server: &RedisServer, group: &str, name: &str) -> u64 {
    raw_command(
        server,
        &["LLEN", &format!("gr:{{{group}}}:lockwait:{name}")],
    )
}

/// Keys of `group` whose name starts with `kind` ("lock:", "lockwait:").
fn keys_of(server: &RedisServer, group: &str, kind: &str) -> Vec<String> {
    raw_command(server, &["KEYS", &format!("gr:{{{group}}}:{kind}*")])
}

async fn wait_until_queued(server: &RedisServer, group: &str, name: &str, n: u64) {
    eventually(&format!("{n} waiters queued on {name}"), || async {
        queued(server, group, name) == n
    })
    .await;
}

/// Waiters queued one after another get the lock in that order, one hand-off each.
#[tokio::test(flavor = "multi_thread")]
async fn waiters_get_the_lock_in_arrival_order() {
    let server = RedisServer::start();
    let group = unique_group("fifo");
    let holder = connect(&server, &group, "holder").await;
    holder.lock("L").await.unwrap().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..5 {
        let c = connect(&server, &group, &format!("w{i}")).await;
        let order = Arc::clone(&order);
        tasks.push(tokio::spawn(async move {
            let token = c.try_lock("L", PATIENCE).await.unwrap().unwrap();
            order.lock().unwrap().push((i, token));
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(c.release("L").await.unwrap());
            c.close().await.unwrap();
        }));
        wait_until_queued(&server, &group, "L", i + 1).await;
    }
    let publishes = command_calls(&server, "publish");
    assert!(holder.release("L").await.unwrap());
    for task in tasks {
        tokio::time::timeout(PATIENCE, task).await.unwrap().unwrap();
    }
    let order = order.lock().unwrap().clone();
    let who: Vec<u64> = order.iter().map(|(i, _)| *i).collect();
    assert_eq!(who, [0, 1, 2, 3, 4], "grants out of arrival order");
    assert!(
        order.windows(2).all(|w| w[0].1 < w[1].1),
        "tokens {order:?}"
    );
    // One notice per hand-off, to the waiter handed the lock.
    assert_eq!(command_calls(&server, "publish") - publishes, 5);
    assert!(keys_of(&server, &group, "lock").is_empty());
}

/// Waiters that ask Redis again while they wait (their pub/sub connection was lost, so
/// each asks in case it missed its notice) keep their places: the queue holds each once,
/// and the grants still go in arrival order.
#[tokio::test(flavor = "multi_thread")]
async fn waiters_that_ask_again_keep_their_places() {
    let server = RedisServer::start();
    let group = unique_group("ask-again");
    let holder = connect(&server, &group, "holder").await;
    holder.lock("L").await.unwrap().unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let waiters = 4;
    for i in 0..waiters {
        let c = connect(&server, &group, &format!("w{i}")).await;
        let order = Arc::clone(&order);
        tasks.push(tokio::spawn(async move {
            c.try_lock("L", PATIENCE).await.unwrap().unwrap();
            order.lock().unwrap().push(i);
            assert!(c.release("L").await.unwrap());
            c.close().await.unwrap();
        }));
        wait_until_queued(&server, &group, "L", i + 1).await;
    }
    for round in 0..2 {
        let asked = command_calls(&server, "lpos");
        // Every listener subscribed (again, after the round before).
        eventually("every listener subscribed", || async {
            let list: String = raw_command(&server, &["CLIENT", "LIST"]);
            list.lines().filter(|l| !l.contains(" sub=0 ")).count() as u64 > waiters
        })
        .await;
        let killed: u64 = raw_command(&server, &["CLIENT", "KILL", "TYPE", "pubsub"]);
        assert!(killed > waiters, "killed {killed} pub/sub connections");
        // Each waiter looks for its entry before it would queue it again.
        for _ in 0..1000 {
            if command_calls(&server, "lpos") >= asked + waiters {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(
            command_calls(&server, "lpos") >= asked + waiters,
            "round {round}: the waiters did not ask again"
        );
        let entries: Vec<String> = raw_command(
            &server,
            &["LRANGE", &format!("gr:{{{group}}}:lockwait:L"), "0", "-1"],
        );
        let mut unique = entries.clone();
        unique.dedup();
        assert_eq!(entries.len() as u64, waiters, "round {round}: {entries:?}");
        assert_eq!(unique, entries, "round {round}: an entry twice");
    }
    assert!(holder.release("L").await.unwrap());
    for task in tasks {
        tokio::time::timeout(PATIENCE, task).await.unwrap().unwrap();
    }
    assert_eq!(
        *order.lock().unwrap(),
        [0, 1, 2, 3],
        "grants out of arrival order"
    );
    assert!(keys_of(&server, &group, "lockwait").is_empty());
}

/// Contenders looping on one lock share it: grants rotate, nobody starves.
#[tokio::test(flavor = "multi_thread")]
async fn grants_rotate_among_contenders() {
    let server = RedisServer::start();
    let group = unique_group("rotate");
    let mut connectors = Vec::new();
    for i in 0..6 {
        connectors.push(connect(&server, &group, &format!("c{i}")).await);
    }
    let end = Instant::now() + Duration::from_secs(3);
    let grants = futures_util::future::join_all(connectors.iter().map(|c| async move {
        let mut grants = 0u64;
        while Instant::now() < end {
            c.try_lock("hot", PATIENCE).await.unwrap().unwrap();
            grants += 1;
            assert!(c.release("hot").await.unwrap());
        }
        grants
    }))
    .await;
    let (max, min) = (*grants.iter().max().unwrap(), *grants.iter().min().unwrap());
    println!("grants per contender over 3 s: {grants:?}");
    assert!(min > 0, "a contender starved: {grants:?}");
    // Grants go in arrival order, so each contender gets one per round, give or take a
    // place swapped with the next one (who re-queued first) and the first few grants
    // (taken before the others started waiting). An unfair lock here gives ratios of 2-4.
    assert!(
        max as f64 <= 1.1 * min as f64 + 5.0,
        "grants do not rotate: {grants:?}"
    );
}

/// The Redis work per acquisition does not grow with the number of waiters: a release
/// wakes one waiter, not all of them.
#[tokio::test(flavor = "multi_thread")]
async fn redis_calls_per_acquisition_do_not_grow_with_waiters() {
    let server = RedisServer::start();
    let mut per_acquisition = Vec::new();
    for waiters in [2usize, 16] {
        let group = unique_group("one-wakeup");
        let mut connectors = Vec::new();
        for i in 0..4 {
            connectors.push(connect(&server, &group, &format!("c{i}")).await);
        }
        let before = script_calls(&server);
        let acquisitions = 400 / waiters;
        futures_util::future::join_all((0..waiters).map(|i| {
            let c = &connectors[i % connectors.len()];
            async move {
                for _ in 0..acquisitions {
                    c.try_lock("hot", PATIENCE).await.unwrap().unwrap();
                    assert!(c.release("hot").await.unwrap());
                }
            }
        }))
        .await;
        let calls = (script_calls(&server) - before) as f64 / (acquisitions * waiters) as f64;
        println!("{waiters} waiters: {calls:.2} script calls per acquisition");
        per_acquisition.push(calls);
        for c in connectors {
            c.close().await.unwrap();
        }
    }
    // try_lock + release, and at most one more call while waiting (a woken waiter takes
    // the token from the notice; heartbeats add a little).
    assert!(
        per_acquisition[1] <= 3.5,
        "{:.2} script calls per acquisition with 16 waiters",
        per_acquisition[1]
    );
}

/// A waiter whose wait ran out leaves the queue and, if the lock was handed to it as it
/// gave up, gives it back: it never holds a lock after try_lock returned None.
#[tokio::test(flavor = "multi_thread")]
async fn a_waiter_that_times_out_never_keeps_the_lock() {
    let server = RedisServer::start();
    let group = unique_group("timeout");
    let holder = connect(&server, &group, "holder").await;
    let quitter = Arc::new(connect(&server, &group, "quitter").await);
    let patient = Arc::new(connect(&server, &group, "patient").await);
    let mut handed_to_patient = 0;
    for round in 0..20u64 {
        holder.lock("L").await.unwrap().unwrap();
        let q = Arc::clone(&quitter);
        let quitting =
            tokio::spawn(async move { q.try_lock("L", Duration::from_millis(150)).await });
        wait_until_queued(&server, &group, "L", 1).await;
        let p = Arc::clone(&patient);
        let waiting = tokio::spawn(async move { p.try_lock("L", PATIENCE).await });
        wait_until_queued(&server, &group, "L", 2).await;
        // Release around the moment the quitter gives up, so some hand-offs race it.
        tokio::time::sleep(Duration::from_millis(100 + round * 5)).await;
        assert!(holder.release("L").await.unwrap());
        let quit = quitting.await.unwrap().unwrap();
        let holder_now = holder.lock_holder("L").await.unwrap();
        if quit.is_none() {
            assert!(
                holder_now
                    .as_ref()
                    .map_or(true, |h| h.session != quitter.session_id()),
                "round {round}: try_lock returned None but the quitter holds L"
            );
        } else {
            assert!(quitter.release("L").await.unwrap());
        }
        let token = tokio::time::timeout(PATIENCE, waiting)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(token.is_some());
        if quit.is_none() {
            handed_to_patient += 1;
        }
        assert!(patient.release("L").await.unwrap());
        assert_eq!(queued(&server, &group, "L"), 0);
    }
    println!("the quitter gave up in {handed_to_patient} of 20 rounds");
    assert!(keys_of(&server, &group, "lock").is_empty());
}

/// A waiting call dropped mid-wait (cancelled) leaves the queue from the background: the
/// lock goes to the next waiter.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_waiter_is_skipped() {
    let server = RedisServer::start();
    let group = unique_group("cancel");
    let holder = connect(&server, &group, "holder").await;
    let cancelled = connect(&server, &group, "cancelled").await;
    let next = Arc::new(connect(&server, &group, "next").await);
    holder.lock("L").await.unwrap().unwrap();
    let dropped = tokio::time::timeout(
        Duration::from_millis(300),
        cancelled.try_lock("L", PATIENCE),
    );
    let n = Arc::clone(&next);
    let waiting = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        n.try_lock("L", PATIENCE).await
    });
    assert!(dropped.await.is_err(), "the cancelled call finished");
    eventually("the cancelled waiter left the queue", || async {
        queued(&server, &group, "L") == 1
    })
    .await;
    assert!(holder.release("L").await.unwrap());
    let token = tokio::time::timeout(PATIENCE, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(token.is_some());
    let now = next.lock_holder("L").await.unwrap().unwrap();
    assert_eq!(now.session, next.session_id());
    assert!(!cancelled.is_held("L").unwrap());
}

/// Not a test on its own: a waiter in a child process, queued on "L" with a 1 s lease.
#[test]
#[ignore]
fn queued_waiter_child() {
    let Ok(url) = std::env::var("GR_WAITER_URL") else {
        return;
    };
    let group = std::env::var("GR_WAITER_GROUP").unwrap();
    let c = blocking::Connector::connect(
        group_redis::Config::new(url)
            .with_group(&group)
            .with_member_id("child")
            .with_session_timeout(Duration::from_millis(1000))
            .with_heartbeat(Duration::from_millis(250)),
    )
    .unwrap();
    println!("SESSION {}", c.session_id());
    let got = c.try_lock("L", Duration::from_secs(60));
    // The parent may have stopped reading (it kills this process after a SIGSTOP trial).
    use std::io::Write;
    let _ = writeln!(
        std::io::stdout(),
        "RESULT {got:?} held={:?}",
        c.is_held("L")
    );
    std::thread::sleep(Duration::from_secs(60));
}

fn spawn_waiter_child(server: &RedisServer, group: &str) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "queued_waiter_child", "--ignored", "--nocapture"])
        .env("GR_WAITER_URL", server.url())
        .env("GR_WAITER_GROUP", group)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(|line| line.ok())
        .find(|line| line.starts_with("SESSION "))
        .expect("the child did not connect");
    (child, line["SESSION ".len()..].to_string())
}

/// A queued waiter killed (SIGKILL) or frozen (SIGSTOP) is skipped once its lease ran out:
/// the lock goes to the next waiter, and a hold handed to the dead one before that is
/// reaped at its deadline, never kept.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_or_frozen_waiter_is_skipped() {
    let server = RedisServer::start();
    for (trial, signal) in ["KILL", "STOP"].into_iter().enumerate() {
        for release_late in [false, true] {
            let group = unique_group("dead-waiter");
            let holder = connect(&server, &group, "holder").await;
            holder.lock("L").await.unwrap().unwrap();
            let (mut child, child_sid) = spawn_waiter_child(&server, &group);
            wait_until_queued(&server, &group, "L", 1).await;
            let next = Arc::new(connect(&server, &group, "next").await);
            let n = Arc::clone(&next);
            let waiting = tokio::spawn(async move {
                let token = n.try_lock("L", PATIENCE).await.unwrap();
                (token, Instant::now())
            });
            wait_until_queued(&server, &group, "L", 2).await;
            let status = Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            let signalled = Instant::now();
            if release_late {
                // The child's lease has run out: the release skips it.
                tokio::time::sleep(Duration::from_millis(1500)).await;
            }
            // Released early, the lock is handed to the child (alive for Redis until its
            // lease runs out), then reaped from it at its deadline.
            assert!(holder.release("L").await.unwrap());
            let (token, acquired) = tokio::time::timeout(PATIENCE, waiting)
                .await
                .unwrap()
                .unwrap();
            assert!(token.is_some());
            let now = holder.lock_holder("L").await.unwrap().unwrap();
            assert_eq!(now.session, next.session_id());
            assert_ne!(now.session, child_sid);
            println!(
                "trial {trial} SIG{signal}, released {}: next waiter acquired {:.0} ms after the signal",
                if release_late { "after the child's lease" } else { "at once" },
                (acquired - signalled).as_secs_f64() * 1000.0
            );
            if signal == "STOP" {
                let _ = Command::new("kill")
                    .args(["-CONT", &child.id().to_string()])
                    .status();
            }
            child.kill().unwrap();
            child.wait().unwrap();
            holder.close().await.unwrap();
            next.close().await.unwrap();
        }
    }
}

/// A waiter cut off from Redis when the lock is handed to it hears LOST before the next
/// waiter holds, and the next waiter's token is larger than the one it was handed.
#[tokio::test(flavor = "multi_thread")]
async fn a_waiter_cut_off_at_the_hand_off_hears_lost_before_anyone_else_holds() {
    let server = RedisServer::start();
    for trial in 0..3u64 {
        let group = unique_group("handoff-cut");
        let proxy = Proxy::start(server.port());
        let lease = 1000;
        let cut_config = group_redis::Config::new(proxy.url())
            .with_group(&group)
            .with_member_id("cut")
            .with_session_timeout(Duration::from_millis(lease))
            .with_heartbeat(Duration::from_millis(lease / 4))
            .with_command_timeout(Duration::from_millis(200));
        let holder = connect(&server, &group, "holder").await;
        let cut = Arc::new(Connector::connect(cut_config).await.unwrap());
        let next = Arc::new(
            Connector::connect(short_lease(&server, &group, "next", lease))
                .await
                .unwrap(),
        );
        let lost_at = Arc::new(Mutex::new(None));
        {
            let mut states = cut.subscribe_state();
            let lost_at = Arc::clone(&lost_at);
            tokio::spawn(async move {
                while let Some(state) = states.next().await {
                    if state == ConnectionState::Lost {
                        lost_at.lock().unwrap().get_or_insert(Instant::now());
                    }
                }
            });
        }
        holder.lock("L").await.unwrap().unwrap();
        let c = Arc::clone(&cut);
        let cut_waiting = tokio::spawn(async move { c.try_lock("L", PATIENCE).await });
        wait_until_queued(&server, &group, "L", 1).await;
        let n = Arc::clone(&next);
        let next_waiting = tokio::spawn(async move {
            let token = n.try_lock("L", PATIENCE).await.unwrap();
            (token, Instant::now())
        });
        wait_until_queued(&server, &group, "L", 2).await;
        tokio::time::sleep(Duration::from_millis(trial * 60)).await;
        proxy.pause();
        let paused = Instant::now();
        assert!(holder.release("L").await.unwrap());
        let handed = holder.lock_holder("L").await.unwrap().unwrap();
        assert_eq!(
            handed.session,
            cut.session_id(),
            "not handed to the first waiter"
        );
        let (token, acquired) = tokio::time::timeout(PATIENCE, next_waiting)
            .await
            .unwrap()
            .unwrap();
        let token = token.unwrap();
        assert!(token > handed.token, "{token} after {}", handed.token);
        let lost = lost_at
            .lock()
            .unwrap()
            .expect("LOST before the next waiter holds");
        assert!(lost < acquired, "LOST came {:?} after", lost - acquired);
        assert!(!cut.is_held("L").unwrap() || cut.held_token("L").unwrap() != Some(handed.token));
        println!(
            "hand-off cut, trial {trial}: LOST {:.0} ms after the cut, next waiter acquired \
             {:.0} ms after it",
            (lost - paused).as_secs_f64() * 1000.0,
            (acquired - paused).as_secs_f64() * 1000.0
        );
        proxy.resume();
        assert!(next.release("L").await.unwrap());
        let _ = tokio::time::timeout(PATIENCE, cut_waiting).await;
        holder.close().await.unwrap();
        next.close().await.unwrap();
        cut.close().await.ok();
    }
}

/// A hand-off notice that never arrives (the waiter's pub/sub connection was killed just
/// before the release) costs latency only: the waiter asks Redis when its listener is
/// back and finds the hold handed to it.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_hand_off_notice_still_gives_the_waiter_its_lock() {
    let server = RedisServer::start();
    let group = unique_group("lost-notice");
    let holder = connect(&server, &group, "holder").await;
    let waiter = Arc::new(connect(&server, &group, "waiter").await);
    for trial in 0..3 {
        holder.lock("L").await.unwrap().unwrap();
        let w = Arc::clone(&waiter);
        let waiting = tokio::spawn(async move {
            let token = w.try_lock("L", PATIENCE).await.unwrap();
            (token, Instant::now())
        });
        wait_until_queued(&server, &group, "L", 1).await;
        let killed: u64 = raw_command(&server, &["CLIENT", "KILL", "TYPE", "pubsub"]);
        assert!(killed >= 2, "killed {killed} pub/sub connections");
        let released = Instant::now();
        assert!(holder.release("L").await.unwrap());
        let handed = holder.lock_holder("L").await.unwrap().unwrap();
        assert_eq!(handed.session, waiter.session_id());
        let (token, acquired) = tokio::time::timeout(PATIENCE, waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(token, Some(handed.token));
        println!(
            "lost notice, trial {trial}: the waiter held the lock {:.0} ms after the release",
            (acquired - released).as_secs_f64() * 1000.0
        );
        assert!(waiter.release("L").await.unwrap());
    }
}

/// A released lock leaves no key behind, whatever the number of names, and neither do the
/// attempt ids given up on once their session ends.
#[tokio::test(flavor = "multi_thread")]
async fn released_locks_leave_nothing_behind() {
    let server = RedisServer::start();
    let group = unique_group("flat");
    let c = connect(&server, &group, "c").await;
    for i in 0..500 {
        let name = format!("order:{i}");
        let token = c.lock(&name).await.unwrap().unwrap();
        assert!(token > 0);
        assert!(c.release(&name).await.unwrap());
    }
    assert!(keys_of(&server, &group, "lock").is_empty());
    // A waiter that gave up while its request may still be on its way leaves its wait id
    // in x:<sid> (lock_abandon) until its session ends.
    let holder = connect(&server, &group, "holder").await;
    holder.lock("L").await.unwrap().unwrap();
    let proxy = Proxy::start(server.port());
    let shaky = Connector::connect(through_proxy(
        &proxy,
        &group,
        "shaky",
        Duration::from_secs(5),
    ))
    .await
    .unwrap();
    let waiting = tokio::spawn(async move {
        let got = shaky.try_lock("L", Duration::from_millis(1500)).await;
        (got, shaky)
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    proxy.pause();
    tokio::time::sleep(Duration::from_millis(600)).await;
    proxy.resume();
    let (_, shaky) = waiting.await.unwrap();
    assert!(holder.release("L").await.unwrap());
    shaky.close().await.unwrap();
    holder.close().await.unwrap();
    eventually("no lock keys left", || async {
        keys_of(&server, &group, "lock").is_empty()
    })
    .await;
}
