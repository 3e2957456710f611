//! Controlled assignments over Redis: every id to exactly one participant, balanced, never
//! two owners at once (checked on every share change seen), sticky on a join, rebalanced
//! after a clean leave and after a crash (SIGKILL-like: a session left to expire), and a
//! leader change that starts from the recorded assignment with growing per-id tokens.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use group_redis::{Assignment, Connector};

/// The checks on the shares seen (the hand-over rule: see there).
#[path = "assignments/checker.rs"]
mod checker;

use checker::{any_session, snapshot, SessionOf, Shares};

impl Shares {
    /// Waits until the shares of `members` cover `ids` exactly, balanced.
    async fn settled(&self, members: &[&str], ids: usize) -> BTreeMap<String, BTreeSet<String>> {
        self.try_settled(members, ids)
            .await
            .unwrap_or_else(|shares| panic!("not settled: {shares:?}"))
    }

    /// [`Shares::settled`], or the shares when PATIENCE ran out first.
    async fn try_settled(
        &self,
        members: &[&str],
        ids: usize,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, BTreeMap<String, BTreeSet<String>>> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            {
                let state = self.state();
                let size = |m: &&str| state.latest.get(*m).map_or(0, |e| e.ids.len());
                let sizes: Vec<usize> = members.iter().map(size).collect();
                let total: usize = sizes.iter().sum();
                // Distinct: each id counted once in the owner index.
                let distinct: usize = members
                    .iter()
                    .map(|m| state.owned.get(*m).copied().unwrap_or(0))
                    .sum();
                let balanced = sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1;
                if total == ids && distinct == ids && balanced {
                    return Ok(snapshot(&state, members));
                }
                if Instant::now() >= deadline {
                    return Err(snapshot(&state, members));
                }
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Why the shares did not settle, from Redis and the connectors: the record's head, the
/// shares as written, the acknowledgements, each connector's state.
async fn explain(
    connectors: &[Arc<Connector>],
    shares: &BTreeMap<String, BTreeSet<String>>,
) -> String {
    let c = &connectors[0];
    let head = c.persistent_get("assign/jobs/state").await.ok().flatten();
    let head = head.map(|h| {
        let revoking = h["revoking"].as_object().map_or(0, |r| r.len());
        let free = h["free"].as_object().map_or(0, |f| f.len());
        format!("epoch {}, {revoking} revoking, {free} free", h["epoch"])
    });
    let written: Vec<(String, usize, u64)> = c
        .persistent_list("assign/jobs/share/")
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            let n = e.value["ids"].as_object().map_or(0, |i| i.len());
            (e.path, n, e.value["epoch"].as_u64().unwrap_or(0))
        })
        .collect();
    let held = c
        .ephemeral_list("assign/jobs/held/")
        .await
        .unwrap_or_default();
    let states: BTreeMap<String, usize> =
        connectors.iter().fold(BTreeMap::new(), |mut counts, c| {
            *counts.entry(format!("{:?}", c.state())).or_default() += 1;
            counts
        });
    let empty: Vec<&String> = shares
        .iter()
        .filter(|(_, s)| s.is_empty())
        .map(|(m, _)| m)
        .collect();
    let sizes = |v: Vec<usize>| (v.iter().min().copied(), v.iter().max().copied());
    format!(
        "head {head:?}; shares as written: {} (sizes {:?}, epochs {:?}); {} acknowledgements \
         (epochs {:?}); connector states {states:?}; published shares empty: {} {:?}; \
         published sizes {:?}",
        written.len(),
        sizes(written.iter().map(|w| w.1).collect()),
        (
            written.iter().map(|w| w.2).min(),
            written.iter().map(|w| w.2).max()
        ),
        held.len(),
        (
            held.iter().filter_map(|h| h.1["epoch"].as_u64()).min(),
            held.iter().filter_map(|h| h.1["epoch"].as_u64()).max()
        ),
        empty.len(),
        &empty[..empty.len().min(10)],
        sizes(shares.values().map(BTreeSet::len).collect())
    )
}

fn session_of(connector: &Arc<Connector>) -> SessionOf {
    let connector = Arc::clone(connector);
    Arc::new(move || connector.session_id())
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i:02}")).collect()
}

fn moved(
    before: &BTreeMap<String, BTreeSet<String>>,
    after: &BTreeMap<String, BTreeSet<String>>,
) -> usize {
    before
        .iter()
        .map(|(member, share)| {
            share
                .difference(after.get(member).unwrap_or(&BTreeSet::new()))
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_are_shared_balanced_sticky_and_never_owned_twice() {
    let server = RedisServer::start();
    let group = unique_group("assign");
    let all = ids(20);
    let shares = Arc::new(Shares::default());
    let a = Connector::connect(short_lease(&server, &group, "a", 1000))
        .await
        .unwrap();
    let b = Connector::connect(short_lease(&server, &group, "b", 1000))
        .await
        .unwrap();
    let c = Connector::connect(short_lease(&server, &group, "c", 1000))
        .await
        .unwrap();
    let in_a = Arc::new(a.assignments("jobs", &all, None).await.unwrap());
    shares.follow(&in_a, any_session());
    let in_b = Arc::new(b.assignments("jobs", &all, None).await.unwrap());
    shares.follow(&in_b, any_session());
    let two = shares.settled(&["a", "b"], 20).await;

    // A join moves at most ceil(20/3) = 7 ids, and within a moment.
    let joined = Instant::now();
    let in_c = Arc::new(c.assignments("jobs", &all, None).await.unwrap());
    shares.follow(&in_c, any_session());
    let three = shares.settled(&["a", "b", "c"], 20).await;
    let join_ms = joined.elapsed().as_secs_f64() * 1000.0;
    let moves = moved(&two, &three);
    assert!(moves <= 7, "{moves} ids moved on a join");
    let tokens_before = in_c.share().tokens;

    // A clean leave: its ids go to the others.
    let left = Instant::now();
    in_b.close().await.unwrap();
    shares.forget("b");
    shares.settled(&["a", "c"], 20).await;
    let leave_ms = left.elapsed().as_secs_f64() * 1000.0;

    // Cut off (as a crash looks to the others): e drops its share at LOST, before its
    // session expires and its ids go to the others; rebalanced within the lease + 1 s.
    let proxy = gr_test_harness::Proxy::start(server.port());
    let e_config = group_redis::Config::new(proxy.url())
        .with_group(&group)
        .with_member_id("e")
        .with_session_timeout(Duration::from_millis(1000))
        .with_heartbeat(Duration::from_millis(250))
        .with_command_timeout(Duration::from_millis(200));
    let e = Connector::connect(e_config).await.unwrap();
    let in_e = Arc::new(e.assignments("jobs", &all, None).await.unwrap());
    shares.follow(&in_e, any_session());
    shares.settled(&["a", "c", "e"], 20).await;
    proxy.pause();
    let cut = Instant::now();
    shares.settled(&["a", "c"], 20).await;
    let crash_ms = cut.elapsed().as_secs_f64() * 1000.0;
    assert!(in_e.share().ids.is_empty());
    proxy.resume();
    drop(in_e);
    shares.forget("e");
    let d = Connector::connect(short_lease(&server, &group, "d", 1000))
        .await
        .unwrap();
    let in_d = Arc::new(d.assignments("jobs", &all, None).await.unwrap());
    shares.follow(&in_d, any_session());
    shares.settled(&["a", "c", "d"], 20).await;

    // The leader (whoever it is) closes: the next starts from the record; tokens only grow.
    let leader_change = Instant::now();
    a.close().await.unwrap();
    shares.forget("a");
    let after = shares.settled(&["c", "d"], 20).await;
    let change_ms = leader_change.elapsed().as_secs_f64() * 1000.0;
    for (id, token) in &tokens_before {
        if let Some(now) = in_c.share().tokens.get(id) {
            assert!(now >= token);
        }
    }
    assert_eq!(after.values().map(BTreeSet::len).sum::<usize>(), 20);
    let violations = shares.violations.lock().unwrap().clone();
    assert!(violations.is_empty(), "two owners at once: {violations:?}");
    println!(
        "20 ids: join rebalanced in {join_ms:.0} ms ({moves} moved), clean leave in {leave_ms:.0} ms, \
         cut off (lease 1000 ms) in {crash_ms:.0} ms, a participant's connector closed in {change_ms:.0} ms"
    );
    e.close().await.ok();
    drop(in_a);
    in_c.close().await.unwrap();
    in_d.close().await.unwrap();
    b.close().await.unwrap();
    c.close().await.unwrap();
    d.close().await.unwrap();
}

/// Benchmark: a join (and a clean leave) to the rebalanced shares, 3 + 1 participants,
/// 30 ids, lease 1 s (or $GR_BENCH_LEASE_MS), 20 trials.
/// `cargo test -p group-redis --test assignments -- --ignored --nocapture rebalance_benchmark`
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn rebalance_after_a_join_and_a_leave_benchmark() {
    let server = RedisServer::start();
    let group = unique_group("assign-bench");
    let all = ids(30);
    let lease: u64 = std::env::var("GR_BENCH_LEASE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let shares = Arc::new(Shares::default());
    let mut keep = Vec::new();
    for member in ["a", "b", "c"] {
        let c = Arc::new(
            Connector::connect(short_lease(&server, &group, member, lease))
                .await
                .unwrap(),
        );
        let part = Arc::new(c.assignments("jobs", &all, None).await.unwrap());
        shares.follow(&part, session_of(&c));
        keep.push((c, part));
    }
    shares.settled(&["a", "b", "c"], 30).await;
    let (mut joins, mut leaves) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let d = Arc::new(
            Connector::connect(short_lease(&server, &group, "d", lease))
                .await
                .unwrap(),
        );
        let started = Instant::now();
        let part = Arc::new(d.assignments("jobs", &all, None).await.unwrap());
        shares.follow(&part, session_of(&d));
        shares.settled(&["a", "b", "c", "d"], 30).await;
        joins.push(started.elapsed());
        let left = Instant::now();
        part.close().await.unwrap();
        shares.forget("d");
        shares.settled(&["a", "b", "c"], 30).await;
        leaves.push(left.elapsed());
        d.close().await.unwrap();
    }
    let ended = shares.check_hand_overs();
    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() as f64 * p).ceil() as usize).min(v.len()) - 1].as_secs_f64() * 1000.0
    };
    println!(
        "30 ids, 3 participants + 1, lease {lease} ms, 20 trials: join to rebalanced shares p50 {:.1} ms p99 {:.1} ms; \
         clean leave p50 {:.1} ms p99 {:.1} ms",
        pct(&mut joins, 0.5),
        pct(&mut joins, 0.99),
        pct(&mut leaves, 0.5),
        pct(&mut leaves, 0.99)
    );
    report_ended(&ended);
}

/// Prints the ids that moved without an acknowledgement because their old owner's session
/// ended (see [`Shares::check_hand_overs`]).
fn report_ended(ended: &[String]) {
    if !ended.is_empty() {
        println!(
            "{} ids moved off an old owner whose session ended (its lease ran out before it \
             reported LOST), e.g. {:?}",
            ended.len(),
            &ended[..ended.len().min(3)]
        );
    }
}

/// Benchmark: 10,000 ids (or $GR_BENCH_IDS) over 100 participants (or $GR_BENCH_MEMBERS),
/// each its own connector in this process, lease $GR_BENCH_LEASE_MS (default 10 s: the
/// benchmark is about steps, not expiry): time to a full assignment, then one more joins:
/// ids moved and time to the rebalanced shares.
/// `cargo test --release -p group-redis --test assignments -- --ignored --nocapture many_ids`
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn many_ids_benchmark() {
    let server = RedisServer::start();
    let group = unique_group("assign-many");
    let env = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let count = env("GR_BENCH_IDS", 10_000);
    let members = env("GR_BENCH_MEMBERS", 100);
    let lease = env("GR_BENCH_LEASE_MS", 10_000) as u64;
    let all: Vec<String> = (0..count).map(|i| format!("id-{i:05}")).collect();
    let shares = Arc::new(Shares::default());
    let names: Vec<String> = (0..=members).map(|i| format!("m{i:03}")).collect();
    let mut connectors = Vec::new();
    for member in &names {
        let c = Connector::connect(short_lease(&server, &group, member, lease))
            .await
            .unwrap();
        connectors.push(Arc::new(c));
    }
    // All connected first: the time is the assignment's, from the first participant on.
    let started = Instant::now();
    // All start at once, as processes of a deployment would.
    let keep: Vec<Arc<Assignment>> = futures_util::future::join_all(
        connectors[..members]
            .iter()
            .map(|c| c.assignments("jobs", &all, None)),
    )
    .await
    .into_iter()
    .map(|part| Arc::new(part.unwrap()))
    .collect();
    let called = started.elapsed();
    for (part, c) in keep.iter().zip(&connectors) {
        shares.follow(part, session_of(c));
    }
    let refs: Vec<&str> = names[..members].iter().map(String::as_str).collect();
    let before = match shares.try_settled(&refs, count).await {
        Ok(before) => before,
        Err(now) => panic!("not settled: {}", explain(&connectors, &now).await),
    };
    let full = started.elapsed();
    let joined = Instant::now();
    let part = Arc::new(
        connectors[members]
            .assignments("jobs", &all, None)
            .await
            .unwrap(),
    );
    let join_called = joined.elapsed();
    shares.follow(&part, session_of(&connectors[members]));
    let all_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let after = match shares.try_settled(&all_refs, count).await {
        Ok(after) => after,
        Err(now) => panic!("not settled: {}", explain(&connectors, &now).await),
    };
    let join = joined.elapsed();
    let ended = shares.check_hand_overs();
    println!(
        "{count} ids over {members} participants (lease {lease} ms): all started in {:.0} ms, \
         full assignment {:.0} ms after they started; one more joined: {} ids moved \
         (minimum {}), rebalanced in {:.0} ms (its `assignments()` call {:.0} ms of it)",
        called.as_secs_f64() * 1000.0,
        full.as_secs_f64() * 1000.0,
        moved(&before, &after),
        count / (members + 1),
        join.as_secs_f64() * 1000.0,
        join_called.as_secs_f64() * 1000.0
    );
    report_ended(&ended);
    drop(part);
    drop(keep);
    for c in connectors {
        c.close().await.ok();
    }
}
