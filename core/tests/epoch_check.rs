//! The epoch check (lua/reap.lua) is made in full once per load of the function library and
//! then only compares the epoch record's fields that a change of epoch or grace touches.
//! What makes it safe is that every way the library's code can come to run anew — a
//! restart, FUNCTION FLUSH and the reload that follows, DEBUG RELOAD, a fail-over and back
//! — starts with nothing checked, or finds a record that differs. These tests make the
//! reloads and a fail-over and back happen (a restart, being another process, is in
//! core/tests/faults.rs and restart*.rs; a Sentinel fail-over in sentinel.rs).
//! A field no change of epoch rewrites by itself (`token_base`, set here by hand to
//! a value far above every token) tells the two apart: the full check reads it, a call
//! that finds the record as checked does not.

mod common;

use std::time::Duration;

use common::*;
use group_redis::{Config, Connector};

/// Grants one lock+release pair of `name` and returns its token.
async fn token_of(c: &Connector, name: &str) -> u64 {
    let token = c.lock(name).await.unwrap().expect("granted");
    assert!(c.release(name).await.unwrap());
    token
}

/// Writes `token_base` into the group's epoch record behind the library's back.
fn set_token_base(server: &RedisServer, group: &str, base: u64) {
    let keys = group_redis::keys::Keys::new(group);
    let _: i64 = raw_command(
        server,
        &["HSET", &keys.epoch(), "token_base", &base.to_string()],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_full_epoch_check_runs_again_after_function_flush_and_debug_reload() {
    let server = RedisServer::start();
    let group = unique_group("epoch-check");
    let c = connect(&server, &group, "a").await;
    let first = token_of(&c, "L").await;

    // Within one library load the record is not read in full again: the hand-written
    // token_base is not seen (this is what the check saves on every call).
    let base = first + 1_000_000_000;
    set_token_base(&server, &group, base);
    let same_load = token_of(&c, "L").await;
    assert!(
        same_load < base,
        "a call that finds the record as checked skips the full check ({same_load})"
    );

    // FUNCTION FLUSH: the connector loads the library again, which checks in full.
    let _: String = raw_command(&server, &["FUNCTION", "FLUSH"]);
    let reloaded = token_of(&c, "L").await;
    assert!(
        reloaded >= base,
        "after FUNCTION FLUSH the full check read the record ({reloaded} < {base})"
    );

    // DEBUG RELOAD: the server saves, empties itself and loads the RDB (functions too) in
    // the same process.
    let base = reloaded + 1_000_000_000;
    set_token_base(&server, &group, base);
    assert!(token_of(&c, "L").await < base);
    let _: String = raw_command(&server, &["DEBUG", "RELOAD"]);
    let after_reload = token_of(&c, "L").await;
    assert!(
        after_reload >= base,
        "after DEBUG RELOAD the full check read the record ({after_reload} < {base})"
    );
    c.close().await.unwrap();
}

/// The server's clock in ms.
fn server_ms(server: &RedisServer) -> u64 {
    let time: Vec<String> = raw_command(server, &["TIME"]);
    time[0].parse::<u64>().unwrap() * 1000 + time[1].parse::<u64>().unwrap() / 1000
}

/// Starts a grace of `ms` in the group's epoch record of database `db`, as a late witness
/// of a loss does (lua/reap.lua), from outside this connector's load of the library; and,
/// as every writer of a grace does, moves the fence, or sets it to `fence`.
fn start_grace(server: &RedisServer, db: u8, group: &str, ms: u64, fence: Option<u64>) {
    let keys = group_redis::keys::Keys::new(group);
    let url = format!("{}/{db}", server.url());
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    let until = (server_ms(server) + ms).to_string();
    let _: i64 = redis::cmd("HSET")
        .arg(keys.epoch())
        .arg("grants_from")
        .arg(&until)
        .query(&mut conn)
        .unwrap();
    match fence {
        None => redis::cmd("INCR")
            .arg(keys.fence())
            .query::<i64>(&mut conn)
            .map(drop),
        Some(value) => redis::cmd("SET")
            .arg(keys.fence())
            .arg(value)
            .query::<()>(&mut conn),
    }
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grace_started_elsewhere_holds_back_the_next_grant() {
    // Grants skip reading the epoch record while the fence reads as this load of the
    // library left it. A grace written from outside that load (another form of call, or
    // a tool), which moves the fence as every writer of a grace does, is seen at once.
    let server = RedisServer::start();
    let group = unique_group("epoch-grace");
    let c = connect(&server, &group, "a").await;
    token_of(&c, "L").await;
    token_of(&c, "L").await;
    start_grace(&server, 0, &group, 60_000, None);
    let during = c.try_lock("L", Duration::from_millis(300)).await.unwrap();
    assert_eq!(during, None, "granted during a grace started elsewhere");
    let status = c.lock_status("L").await.unwrap();
    assert!(status.grants_held_until_ms.is_some(), "the grace shows");
    c.close().await.unwrap();
}

/// A connector of `group` as `member` in database `db` of `server`.
async fn connect_in_db(server: &RedisServer, db: u8, group: &str, member: &str) -> Connector {
    let config = Config::new(format!("{}/{db}", server.url()))
        .with_group(group)
        .with_member_id(member);
    Connector::connect(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_of_the_same_name_in_another_database_is_kept_apart() {
    // One load of the library serves every database. The group's fence in database 1 is
    // set to read just where the grants in database 0 left the fence there, and database
    // 1's record holds a grace: a grant in database 1 must read its own record.
    let server = RedisServer::start();
    let group = unique_group("epoch-db");
    let zero = connect_in_db(&server, 0, &group, "zero").await;
    let one = connect_in_db(&server, 1, &group, "one").await;
    token_of(&one, "L").await;
    token_of(&zero, "L").await;
    let last = token_of(&zero, "L").await;
    start_grace(&server, 1, &group, 60_000, Some(last));
    let during = one.try_lock("L", Duration::from_millis(300)).await.unwrap();
    assert_eq!(during, None, "database 1 granted during its grace");
    assert!(token_of(&zero, "L").await > last, "database 0 grants on");
    zero.close().await.unwrap();
    one.close().await.unwrap();
}

/// The number of waiters queued on lock `name` in database `db`.
fn queued(server: &RedisServer, db: u8, group: &str, name: &str) -> i64 {
    let keys = group_redis::keys::Keys::new(group);
    let url = format!("{}/{db}", server.url());
    let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
    redis::cmd("LLEN")
        .arg(keys.lock_queue(name))
        .query(&mut conn)
        .unwrap()
}

/// Polls `condition` every 10 ms for up to 10 s.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..1000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_off_during_a_grace_started_elsewhere_waits_for_its_end() {
    // A release hands the lock to the oldest waiter without reading the epoch record
    // while the fence reads as this load of the library left it. A grace written from
    // outside (moving the fence, as every writer of one does) holds the hand-off back: the
    // waiter keeps its place and gets the lock when the grace ends, not before.
    let server = RedisServer::start();
    let group = unique_group("epoch-hand-off");
    let holder = connect(&server, &group, "holder").await;
    let waiter = std::sync::Arc::new(connect(&server, &group, "waiter").await);
    token_of(&holder, "L").await;
    let held = holder.lock("L").await.unwrap().expect("granted");
    let waiting = {
        let waiter = waiter.clone();
        tokio::spawn(async move { waiter.try_lock("L", Duration::from_secs(20)).await })
    };
    eventually("the waiter to queue", || {
        queued(&server, 0, &group, "L") == 1
    })
    .await;
    let grace_ms = 1500;
    start_grace(&server, 0, &group, grace_ms, None);
    let grace_end = server_ms(&server) + grace_ms;
    assert!(holder.release("L").await.unwrap());
    assert_eq!(
        queued(&server, 0, &group, "L"),
        1,
        "the waiter keeps its place during the grace"
    );
    let token = waiting
        .await
        .unwrap()
        .unwrap()
        .expect("granted after the grace");
    let granted_at = server_ms(&server);
    println!(
        "hand-off held back by a grace: granted {} ms after it was due to end",
        granted_at as i64 - grace_end as i64
    );
    assert!(
        granted_at + 5 >= grace_end,
        "granted {} ms before the grace ended",
        grace_end - granted_at
    );
    assert!(token > held, "tokens only grow ({token} after {held})");
    holder.close().await.unwrap();
    waiter.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_off_in_another_database_reads_its_own_record() {
    // The hand-off's shortcut needs the session whose hold is freed to have been granted a
    // lock against the record checked: database 1's holder was, but against database 1's
    // record, checked before database 0's. Database 1's fence is set to read just where
    // database 0's grants left the fence there, and database 1's record holds a grace. Its
    // hand-off must see the grace.
    let server = RedisServer::start();
    let group = unique_group("epoch-db-hand-off");
    let zero = connect_in_db(&server, 0, &group, "zero").await;
    let holder = connect_in_db(&server, 1, &group, "holder").await;
    let waiter = std::sync::Arc::new(connect_in_db(&server, 1, &group, "waiter").await);
    holder.lock("L").await.unwrap().expect("granted");
    let waiting = {
        let waiter = waiter.clone();
        tokio::spawn(async move { waiter.try_lock("L", Duration::from_millis(1500)).await })
    };
    eventually("the waiter to queue", || {
        queued(&server, 1, &group, "L") == 1
    })
    .await;
    token_of(&zero, "L").await;
    let last = token_of(&zero, "L").await;
    start_grace(&server, 1, &group, 60_000, Some(last));
    assert!(holder.release("L").await.unwrap());
    assert_eq!(
        waiting.await.unwrap().unwrap(),
        None,
        "database 1 handed the lock over during its grace"
    );
    assert!(token_of(&zero, "L").await > last, "database 0 grants on");
    zero.close().await.unwrap();
    holder.close().await.unwrap();
    waiter.close().await.unwrap();
}

/// Waits until `replica` reports its link to its master up.
fn wait_synced(replica: &RedisServer) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let info: String = raw_command(replica, &["INFO", "replication"]);
        if info.contains("master_link_status:up") {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "never synced: {info}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// The group's epoch id on `server`.
fn epoch_id(server: &RedisServer, group: &str) -> Option<String> {
    let keys = group_redis::keys::Keys::new(group);
    raw_command(server, &["HGET", &keys.epoch(), "id"])
}

/// Makes `server` the master and `replica` its replica.
fn promote(server: &RedisServer, replica: &RedisServer) {
    let _: String = raw_command(server, &["REPLICAOF", "NO", "ONE"]);
    let port = server.port().to_string();
    let _: String = raw_command(replica, &["REPLICAOF", "127.0.0.1", &port]);
    wait_synced(replica);
}

/// As a Sentinel connector does before its first call on a new master (transport): like
/// a new epoch or a grace written to the record, it moves the fence.
fn spoil_lastsave(server: &RedisServer, group: &str) {
    let keys = group_redis::keys::Keys::new(group);
    let _: i64 = raw_command(server, &["HSET", &keys.epoch(), "lastsave", "-1"]);
    let _: i64 = raw_command(server, &["INCR", &keys.fence()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fail_back_to_a_master_whose_library_checked_before_is_a_restart() {
    // A is the master and its library checks epoch E1; B, its replica, takes over and
    // starts E2 (another run id); then A takes over again. A's library load may well be
    // the same one (a demoted master can resync partially), but the record it finds is
    // B's, so it checks in full: another run id, a restart, a grace and a token floor.
    let a = RedisServer::start();
    let b = RedisServer::start_replica_of(a.port());
    wait_synced(&b);
    let group = unique_group("epoch-failback");
    let lease = 1000;
    let on_a = Connector::connect(short_lease(&a, &group, "on-a", lease))
        .await
        .unwrap();
    let t1 = token_of(&on_a, "L").await;
    on_a.close().await.unwrap();
    let e1 = epoch_id(&a, &group).expect("A has an epoch");

    promote(&b, &a);
    spoil_lastsave(&b, &group);
    let on_b = Connector::connect(short_lease(&b, &group, "on-b", lease))
        .await
        .unwrap();
    let t2 = on_b
        .try_lock("L", PATIENCE)
        .await
        .unwrap()
        .expect("granted on B after its grace");
    let e2 = epoch_id(&b, &group).unwrap();
    assert_ne!(e1, e2, "B started an epoch of its own");
    assert!(t2 > t1);
    assert!(on_b.release("L").await.unwrap());
    on_b.close().await.unwrap();

    let deadline = std::time::Instant::now() + PATIENCE;
    while epoch_id(&a, &group).as_deref() != Some(e2.as_str()) {
        assert!(
            std::time::Instant::now() < deadline,
            "A never got B's epoch"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    promote(&a, &b);
    spoil_lastsave(&a, &group);
    let back = Connector::connect(short_lease(&a, &group, "back-on-a", lease))
        .await
        .unwrap();
    let e3 = epoch_id(&a, &group).unwrap();
    assert!(
        e3 != e1 && e3 != e2,
        "the fail-back started a new epoch on A"
    );
    let status = back.lock_status("L").await.unwrap();
    assert!(
        status.grants_held_until_ms.is_some(),
        "grants wait out the leases from before the fail-back"
    );
    let t3 = back
        .try_lock("L", PATIENCE)
        .await
        .unwrap()
        .expect("granted after the grace");
    assert!(t3 > t2, "tokens grew across the fail-back ({t3} <= {t2})");
    back.close().await.unwrap();
}
