//! Faults made to happen, with the safety property asserted and the measured margins
//! printed (`cargo test -p group-redis --test faults -- --nocapture` shows them):
//! Redis restarted empty or from an older RDB, a holder cut off by a proxy that stops
//! forwarding, a lock reply lost behind `DEBUG SLEEP`, idle connections closed by the
//! server, many sessions dying with nobody left to reap, and unreadable records.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use gr_test_harness::Proxy;
use group_redis::{json, ConnectionState, Connector, Error, StateSubscription};

/// Records when each state change arrived, from a task of its own, so the time of LOST is
/// the time the application would have learned it.
fn record_states(mut states: StateSubscription) -> Arc<Mutex<Vec<(ConnectionState, Instant)>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Some(state) = states.next().await {
            sink.lock().unwrap().push((state, Instant::now()));
        }
    });
    seen
}

fn first(seen: &Mutex<Vec<(ConnectionState, Instant)>>, state: ConnectionState) -> Option<Instant> {
    seen.lock()
        .unwrap()
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, at)| *at)
}

async fn wait_for_state(
    seen: &Mutex<Vec<(ConnectionState, Instant)>>,
    state: ConnectionState,
) -> Instant {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(at) = first(seen, state) {
            return at;
        }
        assert!(
            Instant::now() < deadline,
            "no {state:?} within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A connector with a short lease (heartbeat a quarter of it).
async fn leased(server: &RedisServer, group: &str, member: &str, lease_ms: u64) -> Connector {
    Connector::connect(short_lease(server, group, member, lease_ms))
        .await
        .unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_restarted_empty_never_gives_two_holders_and_tokens_keep_growing() {
    let mut server = RedisServer::start();
    for trial in 0..3u64 {
        let group = unique_group("restart-empty");
        let lease = 1200;
        let a = leased(&server, &group, "a", lease).await;
        let b = leased(&server, &group, "b", lease).await;
        let a_states = record_states(a.subscribe_state());
        let a_token = a.lock("L").await.unwrap().unwrap();
        // Vary where in A's heartbeat period the restart falls.
        tokio::time::sleep(Duration::from_millis(trial * 110)).await;

        server.restart();
        let restarted = Instant::now();
        let b_token = b.try_lock("L", PATIENCE).await.unwrap().expect("B gets L");
        let b_acquired = Instant::now();
        assert!(
            !a.is_held("L").unwrap(),
            "A still believes it holds L while B does"
        );
        let a_lost = first(&a_states, ConnectionState::Lost).expect("A told LOST before B holds");
        assert!(a_lost < b_acquired);
        assert!(
            b_token > a_token,
            "token went backwards: {a_token} then {b_token}"
        );
        println!(
            "restart empty, trial {trial}: A LOST {:.0} ms after the restart, B acquired {:.0} ms \
             after it: margin {:.0} ms; tokens {a_token} -> {b_token}",
            ms(a_lost - restarted),
            ms(b_acquired - restarted),
            ms(b_acquired - a_lost)
        );
        a.close().await.unwrap();
        b.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_restored_from_an_older_rdb_repeats_no_token_and_subscribers_resync() {
    let mut server = RedisServer::start();
    let group = unique_group("rollback");
    let lease = 1200;
    let a = leased(&server, &group, "a", lease).await;
    let b = leased(&server, &group, "b", lease).await;
    let watcher = leased(&server, &group, "w", lease).await;
    let mut events = watcher.subscribe_members().await.unwrap();
    let a_token = a.lock("L").await.unwrap().unwrap();
    let rdb = server.snapshot();

    // After the snapshot: A releases, B takes L with a higher token, X joins.
    assert!(a.release("L").await.unwrap());
    let b_token = b.lock("L").await.unwrap().unwrap();
    assert!(b_token > a_token);
    let x = leased(&server, &group, "x", lease).await;
    x.join(None, None).await.unwrap();
    let joined = tokio::time::timeout(PATIENCE, events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(joined.joined_members[0].id, "x");
    let b_states = record_states(b.subscribe_state());

    server.restart_from(&rdb);
    let restarted = Instant::now();
    // In the restored data A holds L and B never did: B must hear LOST, and nobody may be
    // handed a token that was already issued.
    let c_token = a.try_lock("L", PATIENCE).await.unwrap().expect("L again");
    let acquired = Instant::now();
    let b_lost = first(&b_states, ConnectionState::Lost).expect("B told LOST before L moves");
    assert!(b_lost < acquired);
    assert!(!b.is_held("L").unwrap());
    assert!(
        c_token > b_token,
        "token repeated: {b_token} then {c_token}"
    );

    // A newcomer's join after the rollback reaches the subscriber (as a resync or an event),
    // and so does X, re-registered by its connector.
    let y = leased(&server, &group, "y", lease).await;
    y.join(None, None).await.unwrap();
    let mut seen_y = false;
    let deadline = Instant::now() + PATIENCE;
    while !seen_y && Instant::now() < deadline {
        if let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(200), events.next()).await
        {
            seen_y = event.joined_members.iter().any(|m| m.id == "y");
        }
    }
    assert!(seen_y, "the subscriber skipped events after the rollback");
    println!(
        "rollback: B LOST {:.0} ms after the restart, L re-acquired after {:.0} ms (margin \
         {:.0} ms); tokens {a_token} -> {b_token} -> {c_token}",
        ms(b_lost - restarted),
        ms(acquired - restarted),
        ms(acquired - b_lost)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_holder_cut_off_hears_lost_before_anyone_else_holds() {
    let server = RedisServer::start();
    for trial in 0..3u64 {
        let group = unique_group("partition");
        let proxy = Proxy::start(server.port());
        let lease = 1000;
        let holder_config = group_redis::Config::new(proxy.url())
            .with_group(&group)
            .with_member_id("holder")
            .with_session_timeout(Duration::from_millis(lease))
            .with_heartbeat(Duration::from_millis(lease / 4))
            .with_command_timeout(Duration::from_millis(200));
        let holder = Connector::connect(holder_config).await.unwrap();
        let waiter = leased(&server, &group, "waiter", lease).await;
        let states = record_states(holder.subscribe_state());
        let token = holder.lock("L").await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(trial * 70)).await;

        proxy.pause();
        let cut = Instant::now();
        let waiting = tokio::spawn(async move {
            let token = waiter.try_lock("L", PATIENCE).await.unwrap();
            (token, Instant::now(), waiter)
        });
        wait_for_state(&states, ConnectionState::Suspended).await;
        if first(&states, ConnectionState::Lost).is_none() {
            let err = holder.lock("other").await.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::LeaseInDoubt(_)
                        | Error::SessionExpired(_)
                        | Error::Connection(_)
                        | Error::Timeout(_)
                ),
                "a lock taken while the lease is in doubt: {err:?}"
            );
        }
        let (taken, acquired, waiter) = waiting.await.unwrap();
        assert!(taken.unwrap() > token);
        let lost = first(&states, ConnectionState::Lost).expect("LOST before the waiter holds");
        assert!(
            lost < acquired,
            "LOST came {:?} after the waiter took L",
            lost - acquired
        );
        assert!(!holder.is_held("L").unwrap());
        println!(
            "partition, trial {trial}: LOST {:.0} ms after the cut, waiter acquired {:.0} ms after \
             it: LOST came {:.0} ms before anyone else held L",
            ms(lost - cut),
            ms(acquired - cut),
            ms(acquired - lost)
        );
        proxy.resume();
        wait_for_state(&states, ConnectionState::Reconnected).await;
        holder.close().await.unwrap();
        waiter.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_whose_reply_was_lost_is_never_orphaned() {
    let server = RedisServer::start();
    for (trial, sleep_ms) in [(0, 450u64), (1, 1500), (2, 700)] {
        let group = unique_group("lost-reply");
        let a = Connector::connect(
            config(&server, &group, "a").with_command_timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();
        let b = connect(&server, &group, "b").await;
        let url = server.url();
        let sleeper = std::thread::spawn(move || {
            let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
            let _: () = redis::cmd("DEBUG")
                .arg("SLEEP")
                .arg(sleep_ms as f64 / 1000.0)
                .query(&mut conn)
                .unwrap();
        });
        std::thread::sleep(Duration::from_millis(30));
        let outcome = a.lock("L").await;
        sleeper.join().unwrap();
        // Either A knows it holds L, or L is free for others: never held with nobody knowing.
        let held = a.is_held("L").unwrap();
        match &outcome {
            Ok(Some(token)) => assert_eq!(a.held_token("L").unwrap(), Some(*token)),
            Ok(None) => panic!("nobody else held L"),
            Err(err) => assert!(matches!(err, Error::Timeout(_)), "{err:?}"),
        }
        let other = b.try_lock("L", Duration::from_secs(5)).await.unwrap();
        if held {
            assert_eq!(other, None, "A holds L, so B must not");
        } else {
            assert!(
                other.is_some(),
                "L was left held by A's session with nobody knowing"
            );
        }
        println!(
            "lost reply, trial {trial} (Redis busy {sleep_ms} ms, timeout 300 ms): caller got {}, \
             A holds L: {held}, B got it: {}",
            match outcome {
                Ok(Some(_)) => "the lock".to_string(),
                Ok(None) => "busy".to_string(),
                Err(e) => format!("{e}"),
            },
            other.is_some()
        );
        a.close().await.unwrap();
        b.close().await.unwrap();
    }
}

#[test]
fn connections_closed_by_the_server_while_idle_are_replaced_quietly() {
    let server = RedisServer::start();
    let group = unique_group("idle-timeout");
    let _: String = raw_command(&server, &["CONFIG", "SET", "timeout", "1"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A heartbeat every 2 s leaves every connection idle longer than the server allows.
    let c = runtime
        .block_on(Connector::connect(
            config(&server, &group, "idle").with_session_timeout(Duration::from_millis(6000)),
        ))
        .unwrap();
    let blocking_c =
        group_redis::blocking::Connector::connect(config(&server, &group, "idle-b")).unwrap();
    let states = runtime.block_on(async { record_states(c.subscribe_state()) });
    let mut errors = 0;
    for round in 0..3 {
        // Idle past the server's timeout (that is the fault), then use every path.
        std::thread::sleep(Duration::from_millis(2300));
        let name = format!("L{round}");
        let outcomes = runtime.block_on(async {
            (
                c.lock(&name).await,
                c.persistent_set("p", &json!(round)).await,
            )
        });
        if !matches!(outcomes, (Ok(Some(_)), Ok(_))) {
            errors += 1;
            eprintln!("async calls after idling: {outcomes:?}");
        }
        let set = blocking_c.persistent_set("q", &json!(round));
        let lock = blocking_c.lock(&format!("B{round}"));
        if !matches!((&set, &lock), (Ok(_), Ok(Some(_)))) {
            errors += 1;
            eprintln!("blocking calls after idling: {set:?} {lock:?}");
        }
    }
    let changes = states.lock().unwrap().clone();
    assert_eq!(errors, 0, "calls failed after idling");
    assert!(
        changes.is_empty(),
        "state changes without a fault: {changes:?}"
    );
    println!(
        "idle timeout 1 s: 3 rounds of 2.3 s idle, {errors} errors, {} state changes",
        changes.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_acquire_waits_through_a_restart_as_the_new_session() {
    let mut server = RedisServer::start();
    let group = unique_group("wait-restart");
    let lease = 1500;
    let holder = leased(&server, &group, "holder", lease).await;
    let waiter = Arc::new(leased(&server, &group, "waiter", lease).await);
    holder.lock("L").await.unwrap().unwrap();
    let old_session = waiter.session_id();
    let w = Arc::clone(&waiter);
    let waiting = tokio::spawn(async move { w.try_lock("L", Duration::from_secs(40)).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.restart();
    let restarted = Instant::now();
    let token = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("the waiter finishes")
        .unwrap()
        .expect("no error while time is left");
    assert!(token.is_some());
    assert_ne!(waiter.session_id(), old_session, "held as the new session");
    assert!(waiter.is_held("L").unwrap());
    let calls = script_calls(&server);
    assert!(
        calls < 100,
        "{calls} script calls since the restart: a busy loop"
    );
    println!(
        "waiting through a restart: acquired {:.0} ms after it, {calls} script calls on the new \
         server",
        ms(restarted.elapsed())
    );
}

/// Not a test on its own: the child process of the test below (200 sessions, then killed).
#[test]
#[ignore]
fn session_farm_child() {
    let Ok(url) = std::env::var("GR_FARM_URL") else {
        return;
    };
    let group = std::env::var("GR_FARM_GROUP").unwrap();
    let mut keep = Vec::new();
    for i in 0..200 {
        let c = group_redis::blocking::Connector::connect(
            group_redis::Config::new(url.clone())
                .with_group(&group)
                .with_member_id(format!("farm-{i}"))
                .with_session_timeout(Duration::from_millis(1000))
                .with_heartbeat(Duration::from_millis(250)),
        )
        .unwrap();
        c.join(None, None).unwrap();
        c.ephemeral_set(&format!("farm/{i}"), &json!(i)).unwrap();
        keep.push(c);
    }
    println!("FARM READY");
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn reads_never_return_members_or_keys_of_dead_sessions() {
    use std::io::BufRead;
    let server = RedisServer::start();
    let group = unique_group("mass-death");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "session_farm_child", "--ignored", "--nocapture"])
        .env("GR_FARM_URL", server.url())
        .env("GR_FARM_GROUP", &group)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = std::io::BufReader::new(stdout)
        .lines()
        .any(|line| line.map(|l| l.contains("FARM READY")).unwrap_or(false));
    assert!(ready, "the farm did not start");
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    // Wait until every farm lease has run out on the server clock.
    let sessions = group_redis::keys::Keys::new(&group).sessions();
    loop {
        let time: Vec<u64> = raw_command(&server, &["TIME"]);
        let now_ms = time[0] * 1000 + time[1] / 1000;
        let live: u64 = raw_command(&server, &["ZCOUNT", &sessions, &now_ms.to_string(), "+inf"]);
        if live == 0 {
            break;
        }
        assert!(killed.elapsed() < PATIENCE);
        std::thread::sleep(Duration::from_millis(20));
    }
    let reader =
        group_redis::blocking::Connector::connect(config(&server, &group, "reader")).unwrap();
    let members = reader.members().unwrap();
    let keys = reader.ephemeral_list("").unwrap();
    assert!(members.is_empty(), "{} dead members listed", members.len());
    assert!(keys.is_empty(), "{} dead ephemeral keys listed", keys.len());
    assert_eq!(reader.ephemeral_get("farm/7").unwrap(), None);
    println!("200 dead sessions, nobody reaping: members() listed 0, ephemeral_list 0");
}

#[tokio::test(flavor = "multi_thread")]
async fn payloads_too_deep_are_refused_and_unreadable_records_are_skipped() {
    let server = RedisServer::start();
    let group = unique_group("bad-records");
    let good = leased(&server, &group, "good", 1000).await;
    good.join(None, None).await.unwrap();
    let mut events = good.subscribe_members().await.unwrap();

    let mut deep = json!(1);
    for _ in 0..127 {
        deep = json!([deep]);
    }
    let err = good
        .join(Some("deep"), Some(deep.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidJson(_)), "{err:?}");
    let err = good.persistent_set("deep", &deep).await.unwrap_err();
    assert!(matches!(err, Error::InvalidJson(_)), "{err:?}");
    assert_eq!(good.persistent_get("deep").await.unwrap(), None);

    // A foreign client writes what this library would refuse: a record that is not JSON and
    // one nested 1001 deep, owned by a session whose lease has already run out.
    let keys = group_redis::keys::Keys::new(&group);
    let dead_sid = "0".repeat(32);
    let nested = format!("{}1{}", "[".repeat(1001), "]".repeat(1001));
    let record = format!(
        r#"{{"joined_at":1,"id":"abyss","session":"{dead_sid}","sub_groups":[],"payload":{nested}}}"#
    );
    let _: i64 = raw_command(&server, &["HSET", &keys.members(), "garbage", "{not json"]);
    let _: i64 = raw_command(&server, &["HSET", &keys.members(), "abyss", &record]);
    let _: i64 = raw_command(&server, &["SADD", &keys.owned(&dead_sid), "m:abyss"]);
    let _: i64 = raw_command(&server, &["ZADD", &keys.sessions(), "0", &dead_sid]);
    let _: String = raw_command(
        &server,
        &[
            "XADD",
            &keys.events(),
            "*",
            "view",
            "999999",
            "epoch",
            "x",
            "kind",
            "joined",
            "record",
            "{",
        ],
    );

    let members = good.members().await.unwrap();
    assert_eq!(
        members.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        ["good"],
        "the unreadable records are skipped, the rest is returned"
    );
    // Reaping the deep record's session works (it is found by pattern, not cjson), once
    // `good` has watched a lease go by (it cannot tell a deadline of 0 from a clock step).
    eventually("the dead session's deep record reaped", || async {
        good.members().await.is_ok()
            && raw_command::<i64>(&server, &["HEXISTS", &keys.members(), "abyss"]) == 0
    })
    .await;
    let other = connect(&server, &group, "other").await;
    other.join(None, None).await.unwrap();
    let fresh = good.subscribe_members().await.unwrap();
    assert!(fresh.snapshot().iter().any(|m| m.id == "good"));
    let mut delivered = false;
    let deadline = Instant::now() + PATIENCE;
    while !delivered && Instant::now() < deadline {
        if let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(200), events.next()).await
        {
            delivered = event.joined_members.iter().any(|m| m.id == "other");
        }
    }
    assert!(
        delivered,
        "the running subscription stalled on the bad entry"
    );
    assert_eq!(good.state(), ConnectionState::Connected);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_password_in_errors_for_urls_that_do_not_parse() {
    for url in [
        "redis://user:hunter2@127.0.0.1:99999",
        "redis://user:hunter2@bad host:6379",
        "redis://user:hunter2@[::1:6379",
        "user:hunter2@127.0.0.1:6379",
    ] {
        let err = Connector::connect(group_redis::Config::new(url))
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{url}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forward_step_of_the_redis_clock_never_ends_a_live_session() {
    let server = RedisServer::start_with_shiftable_clock();
    let mut offset = 0;
    for trial in 0..3u64 {
        let group = unique_group("clock-step");
        let lease = 2000;
        let holder = leased(&server, &group, "holder", lease).await;
        holder.join(None, None).await.unwrap();
        let token = holder.lock("L").await.unwrap().unwrap();
        let holder_states = record_states(holder.subscribe_state());
        // The watcher beats five times as often as the holder: it sees the step well before
        // the holder's next renewal.
        let watcher = Connector::connect(
            short_lease(&server, &group, "watcher", lease)
                .with_heartbeat(Duration::from_millis(100)),
        )
        .await
        .unwrap();
        let mut events = watcher.subscribe_members().await.unwrap();
        // Vary where in the holder's heartbeat period the step falls.
        tokio::time::sleep(Duration::from_millis(150 + trial * 170)).await;

        offset += 5000;
        server.shift_clock(offset);
        let stepped = Instant::now();
        // A newcomer right after the step, and the watcher, contend for L for two leases.
        let newcomer = leased(&server, &group, "newcomer", lease).await;
        let mut attempts = 0;
        while stepped.elapsed() < Duration::from_millis(2 * lease) {
            assert_eq!(
                newcomer.lock("L").await.unwrap(),
                None,
                "newcomer took a live holder's lock"
            );
            assert_eq!(
                watcher.lock("L").await.unwrap(),
                None,
                "watcher took a live holder's lock"
            );
            assert!(holder.is_held("L").unwrap());
            attempts += 2;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(holder.held_token("L").unwrap(), Some(token));
        while let Some(event) = events.try_next() {
            assert!(event.left_members.is_empty(), "spurious leave: {event:?}");
        }
        let changes = holder_states.lock().unwrap().clone();
        assert!(
            changes.is_empty(),
            "the holder's state changed: {changes:?}"
        );
        println!(
            "clock step +5 s, trial {trial}: {attempts} lock attempts over {:.0} ms refused, no \
             leave event, holder kept token {token}",
            ms(stepped.elapsed())
        );
        // Once the holder is gone for real, the lock moves again.
        holder.close().await.unwrap();
        assert!(newcomer.try_lock("L", PATIENCE).await.unwrap().unwrap() > token);
        for c in [watcher, newcomer] {
            c.close().await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_waiter_goes_on_as_the_same_session_once_a_suspension_passes() {
    let server = RedisServer::start();
    let group = unique_group("suspended-waiter");
    let proxy = Proxy::start(server.port());
    let holder = connect(&server, &group, "holder").await;
    let waiter = Arc::new(
        Connector::connect(
            group_redis::Config::new(proxy.url())
                .with_group(&group)
                .with_member_id("waiter")
                .with_session_timeout(Duration::from_millis(4000))
                .with_heartbeat(Duration::from_millis(250))
                .with_command_timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap(),
    );
    let states = record_states(waiter.subscribe_state());
    holder.lock("L").await.unwrap().unwrap();
    let session = waiter.session_id();

    // The waiter starts waiting while its lease is in doubt: it is refused at once, and
    // must go on once the same session is renewed (not wait for a new one).
    proxy.pause();
    wait_for_state(&states, ConnectionState::Suspended).await;
    let w = Arc::clone(&waiter);
    let waiting = tokio::spawn(async move { w.try_lock("L", Duration::from_secs(15)).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.resume();
    wait_for_state(&states, ConnectionState::Reconnected).await;
    assert!(
        first(&states, ConnectionState::Lost).is_none(),
        "the lease never ran out"
    );
    assert!(holder.release("L").await.unwrap());

    let token = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("the waiter finishes")
        .unwrap()
        .expect("no error while time is left");
    assert!(token.is_some(), "the waiter gets L once it is free");
    assert_eq!(waiter.session_id(), session, "as the same session");
}
