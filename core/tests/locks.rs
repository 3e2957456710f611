//! Locks: mutual exclusion under contention, fencing tokens, waiting, session-bound life.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::*;
use group_redis::{blocking, json, LockHolder};

/// 8 threads x 500 acquisitions of one lock, each doing a read-modify-write of a plain Redis
/// counter inside the critical section: the count must be exact and the fencing tokens,
/// recorded in acquisition order, strictly increasing.
#[test]
fn mutual_exclusion_8_threads_x_500() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 500;
    let server = RedisServer::start();
    let group = unique_group("mutex");
    let tokens = Arc::new(Mutex::new(Vec::with_capacity(THREADS * ROUNDS)));
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let config = config(&server, &group, &format!("worker-{i}"));
            let url = server.url();
            let tokens = Arc::clone(&tokens);
            thread::spawn(move || {
                let c = blocking::Connector::connect(config).unwrap();
                let mut raw = redis::Client::open(url).unwrap().get_connection().unwrap();
                for _ in 0..ROUNDS {
                    let token = c
                        .try_lock("counter-lock", PATIENCE)
                        .unwrap()
                        .expect("lock within the patience bound");
                    let value: i64 = redis::cmd("GET")
                        .arg("plain-counter")
                        .query::<Option<i64>>(&mut raw)
                        .unwrap()
                        .unwrap_or(0);
                    redis::cmd("SET")
                        .arg("plain-counter")
                        .arg(value + 1)
                        .query::<()>(&mut raw)
                        .unwrap();
                    tokens.lock().unwrap().push(token);
                    assert!(c.release("counter-lock").unwrap());
                }
                c.close().unwrap();
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let count: i64 = redis::cmd("GET")
        .arg("plain-counter")
        .query(&mut raw)
        .unwrap();
    assert_eq!(count, (THREADS * ROUNDS) as i64);
    let tokens = tokens.lock().unwrap();
    assert!(
        tokens.windows(2).all(|w| w[0] < w[1]),
        "fencing tokens must strictly increase in acquisition order"
    );
}

/// The waiter must be woken by the release notice, not by the fallback at the holder's
/// lease deadline: the holder's lease is 60 s, so a fallback wake-up would blow the bound.
#[tokio::test(flavor = "multi_thread")]
async fn try_lock_wakes_when_the_holder_releases() {
    let server = RedisServer::start();
    let group = unique_group("wake");
    let holder = group_redis::Connector::connect(
        config(&server, &group, "holder").with_session_timeout(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let waiter = Arc::new(connect(&server, &group, "waiter").await);
    let first = holder.lock("job").await.unwrap().unwrap();
    let calls_before = script_calls(&server);
    let waiting = {
        let waiter = Arc::clone(&waiter);
        tokio::spawn(async move { waiter.try_lock("job", Duration::from_secs(120)).await })
    };
    // Two failed attempts (before and after registering for the notice) mean it is parked.
    eventually("the waiter parked", || async {
        script_calls(&server) >= calls_before + 2
    })
    .await;
    let released_at = std::time::Instant::now();
    assert!(holder.release("job").await.unwrap());
    let second = tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("woken by the release notice, well before the 60 s lease")
        .unwrap()
        .unwrap()
        .expect("waiter acquired");
    assert!(released_at.elapsed() < Duration::from_secs(30));
    assert!(second > first, "fencing token grows: {first} then {second}");
    assert!(waiter.is_held("job").unwrap());
    assert!(!holder.is_held("job").unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn try_lock_gives_up_after_its_wait() {
    let server = RedisServer::start();
    let group = unique_group("giveup");
    let holder = connect(&server, &group, "holder").await;
    let other = connect(&server, &group, "other").await;
    holder.lock("busy").await.unwrap().unwrap();
    let got = other
        .try_lock("busy", Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(got, None);
    assert!(holder.is_held("busy").unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_lives_as_long_as_the_session_with_no_ttl() {
    let server = RedisServer::start();
    let group = unique_group("lease");
    let holder = group_redis::Connector::connect(short_lease(&server, &group, "holder", 400))
        .await
        .unwrap();
    let other = connect(&server, &group, "other").await;
    let token = holder.lock("long").await.unwrap().unwrap();
    // Three full leases pass while the heartbeat keeps the session alive.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(other.lock("long").await.unwrap(), None);
    assert_eq!(holder.held_token("long").unwrap(), Some(token));
    holder.close().await.unwrap();
    assert!(other.lock("long").await.unwrap().unwrap() > token);
}

#[tokio::test(flavor = "multi_thread")]
async fn fencing_tokens_grow_across_holders_and_deletions() {
    let server = RedisServer::start();
    let group = unique_group("fence");
    let a = connect(&server, &group, "a").await;
    let b = connect(&server, &group, "b").await;
    let mut last = 0;
    let mut first = None;
    for round in 0..10 {
        let c = if round % 2 == 0 { &a } else { &b };
        let token = c.lock("fenced").await.unwrap().unwrap();
        assert!(token > last);
        first.get_or_insert(token);
        last = token;
        assert!(c.release("fenced").await.unwrap());
    }
    // Tokens come from one high-water mark for the whole group (a released lock leaves
    // no hash behind): another lock's token is larger still.
    assert!(first.is_some());
    assert!(a.lock("other-lock").await.unwrap().unwrap() > last);
}

#[tokio::test(flavor = "multi_thread")]
async fn close_frees_locks_and_wakes_waiters() {
    let server = RedisServer::start();
    let group = unique_group("closefree");
    let holder = connect(&server, &group, "holder").await;
    let waiter = Arc::new(connect(&server, &group, "waiter").await);
    holder.lock("x").await.unwrap().unwrap();
    let waiting = {
        let waiter = Arc::clone(&waiter);
        tokio::spawn(async move { waiter.try_lock("x", PATIENCE).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    holder.close().await.unwrap();
    let token = tokio::time::timeout(PATIENCE, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(token.is_some());
}

/// Uncontended locks cost no pub/sub traffic: only a release with waiters publishes.
#[tokio::test(flavor = "multi_thread")]
async fn only_a_release_with_waiters_publishes() {
    let server = RedisServer::start();
    let group = unique_group("quiet");
    let c = connect(&server, &group, "solo").await;
    let before = command_calls(&server, "publish");
    for _ in 0..20 {
        c.lock("quiet").await.unwrap().unwrap();
        assert!(c.release("quiet").await.unwrap());
    }
    assert_eq!(
        command_calls(&server, "publish"),
        before,
        "uncontended release published"
    );
}

/// An operator's force_release frees a live holder's lock: a waiter is woken by it and
/// gets a larger token, the old holder's own release then finds nothing to release, and a
/// free lock reports None.
#[tokio::test(flavor = "multi_thread")]
async fn force_release_frees_a_live_holders_lock_for_the_next_with_a_larger_token() {
    let server = RedisServer::start();
    let group = unique_group("force");
    let holder = connect(&server, &group, "holder").await;
    let waiter = Arc::new(connect(&server, &group, "waiter").await);
    let operator = connect(&server, &group, "operator").await;
    let first = holder.lock("job").await.unwrap().unwrap();
    let waiting = {
        let waiter = Arc::clone(&waiter);
        tokio::spawn(async move { waiter.try_lock("job", Duration::from_secs(60)).await })
    };
    let freed = operator
        .force_release("job")
        .await
        .unwrap()
        .expect("it was held");
    assert_eq!(freed.member, "holder");
    assert_eq!(freed.session, holder.session_id());
    assert_eq!(freed.token, first);
    let second = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("the waiter is woken")
        .unwrap()
        .unwrap()
        .expect("the waiter acquires");
    assert!(second > first, "fencing token grows: {first} then {second}");
    assert!(
        !holder.release("job").await.unwrap(),
        "nothing left to release"
    );
    let again = operator.force_release("job").await.unwrap().unwrap();
    assert_eq!((again.member.as_str(), again.token), ("waiter", second));
    assert_eq!(operator.force_release("job").await.unwrap(), None);
}

/// lock_holder reads Redis, not the asking connector: another connector sees who holds a
/// lock (member, session, token), the same token for every re-entrant hold, and None once
/// it is free again.
#[tokio::test(flavor = "multi_thread")]
async fn lock_holder_tells_any_connector_who_holds_a_lock() {
    let server = RedisServer::start();
    let group = unique_group("holder");
    let first = connect(&server, &group, "first").await;
    let asker = connect(&server, &group, "asker").await;
    assert_eq!(asker.lock_holder("job").await.unwrap(), None, "free");

    let token = first.lock_as("A", "job").await.unwrap().unwrap();
    let holder = asker.lock_holder("job").await.unwrap().expect("held");
    assert_eq!(
        holder,
        LockHolder {
            member: "A".into(),
            session: first.session_id(),
            token
        }
    );
    assert_eq!(
        serde_json::to_value(&holder).unwrap(),
        json!({"member": "A", "session": first.session_id(), "token": token})
    );
    assert_eq!(first.lock_holder("job").await.unwrap(), Some(holder));
    assert!(first.release_as("A", "job").await.unwrap());
    assert_eq!(asker.lock_holder("job").await.unwrap(), None, "released");

    let reentrant = first.reentrant_lock("again").await.unwrap().unwrap();
    assert_eq!(
        first.reentrant_lock("again").await.unwrap(),
        Some(reentrant)
    );
    for _ in 0..2 {
        let holder = asker.lock_holder("again").await.unwrap().expect("held");
        assert_eq!((holder.member.as_str(), holder.token), ("first", reentrant));
        assert!(first.release("again").await.unwrap());
    }
    assert_eq!(asker.lock_holder("again").await.unwrap(), None);
}

/// Not a test on its own: the child process of the test below (holds a lock, then killed).
#[test]
#[ignore]
fn lock_holder_child() {
    let Ok(url) = std::env::var("GR_HOLDER_URL") else {
        return;
    };
    let group = std::env::var("GR_HOLDER_GROUP").unwrap();
    let c = blocking::Connector::connect(
        group_redis::Config::new(url)
            .with_group(&group)
            .with_member_id("doomed")
            .with_session_timeout(Duration::from_millis(1000))
            .with_heartbeat(Duration::from_millis(250)),
    )
    .unwrap();
    let token = c.lock("precious").unwrap().unwrap();
    println!("HOLDING {} {token}", c.session_id());
    thread::sleep(Duration::from_secs(120));
}

/// A holder killed with SIGKILL is reported until its lease runs out and never after, even
/// before anyone has reaped it: its lease ran out, so it holds nothing.
#[test]
fn lock_holder_never_reports_a_holder_whose_lease_ran_out() {
    use std::io::BufRead;
    let server = RedisServer::start();
    let group = unique_group("holder-killed");
    let asker = blocking::Connector::connect(config(&server, &group, "asker")).unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "lock_holder_child", "--ignored", "--nocapture"])
        .env("GR_HOLDER_URL", server.url())
        .env("GR_HOLDER_GROUP", &group)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = std::io::BufReader::new(stdout)
        .lines()
        .map_while(|line| line.ok())
        .find(|line| line.starts_with("HOLDING "))
        .expect("the child did not take the lock");
    let mut words = line.split_whitespace().skip(1);
    let session = words.next().unwrap().to_string();
    let token: u64 = words.next().unwrap().parse().unwrap();
    let holder = asker
        .lock_holder("precious")
        .unwrap()
        .expect("held by the child");
    assert_eq!(
        (
            holder.member.as_str(),
            holder.session.as_str(),
            holder.token
        ),
        ("doomed", session.as_str(), token)
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let killed = std::time::Instant::now();
    // Wait until the child's lease has run out on the server clock (or it was reaped).
    let sessions = group_redis::keys::Keys::new(&group).sessions();
    loop {
        let time: Vec<u64> = raw_command(&server, &["TIME"]);
        let now_ms = time[0] * 1000 + time[1] / 1000;
        let deadline: Option<u64> = raw_command(&server, &["ZSCORE", &sessions, &session]);
        if deadline.map_or(true, |deadline| deadline < now_ms) {
            break;
        }
        assert!(
            killed.elapsed() < PATIENCE,
            "the child's lease never ran out"
        );
        thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(asker.lock_holder("precious").unwrap(), None);
    // A grant needs the asker's own evidence that the deadline passed (its vouched clock
    // trails the server's by a reply's latency: docs/PROTOCOL.md, "Sessions and reaping"),
    // so the next holder waits for it rather than trying once.
    let token_after = asker
        .try_lock("precious", PATIENCE)
        .unwrap()
        .expect("free for the next");
    assert!(token_after > token);
    asker.close().unwrap();
}

/// A hold keeps its token, attempt and owner in one field (docs/PROTOCOL.md): an owner whose
/// member id has spaces in it, re-entering and giving holds back, is read back whole by the
/// holder report, the lock list, a rival owner's release and a force release.
#[tokio::test(flavor = "multi_thread")]
async fn an_owner_with_spaces_in_its_id_reads_back_whole() {
    let server = RedisServer::start();
    let group = unique_group("spaced-owner");
    let c = connect(&server, &group, "x").await;
    let owner = "a b  c";
    let token = c.reentrant_lock_as(owner, "L").await.unwrap().unwrap();
    assert_eq!(c.reentrant_lock_as(owner, "L").await.unwrap(), Some(token));
    let holder = c.lock_holder("L").await.unwrap().expect("held");
    assert_eq!((holder.member.as_str(), holder.token), (owner, token));
    let listed = c.locks().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].0.as_str(), listed[0].1.member.as_str()),
        ("L", owner)
    );
    // Another owner of the same session, and one whose id is a suffix of this one, may not
    // release it.
    assert!(!c.release_as("c", "L").await.unwrap());
    assert!(!c.release_as("b  c", "L").await.unwrap());
    assert!(c.release_as(owner, "L").await.unwrap(), "one of two holds");
    assert_eq!(
        c.lock_holder("L").await.unwrap().map(|h| h.token),
        Some(token)
    );
    assert!(c.release_as(owner, "L").await.unwrap(), "the last hold");
    assert_eq!(c.lock_holder("L").await.unwrap(), None);
    let keys = group_redis::keys::Keys::new(&group);
    let exists: i64 = raw_command(&server, &["EXISTS", &keys.lock("L")]);
    assert_eq!(exists, 0, "a free lock leaves no hash");

    let again = c.lock_as(owner, "L").await.unwrap().unwrap();
    assert!(again > token);
    let forced = c.force_release("L").await.unwrap().expect("was held");
    assert_eq!((forced.member.as_str(), forced.token), (owner, again));
    c.close().await.unwrap();
}
