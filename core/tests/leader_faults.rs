//! Leaders made to fail, with the safety property asserted and the margins printed
//! (`cargo test -p group-redis --test leader_faults -- --nocapture` shows them): a leader
//! cut off by a proxy reports UNSURE and then FOLLOWER before anyone else is elected; a
//! frozen leader (SIGSTOP) is replaced and never claims leadership after its successor was
//! elected; and (ignored, a benchmark) leader SIGKILL to the successor's LEADER event.

mod common;

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use gr_test_harness::Proxy;
use group_redis::{Connector, LeaderEvent, Subscription};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Records each leadership event with the time it arrived, from a task of its own.
fn record(mut events: Subscription<LeaderEvent>) -> Arc<Mutex<Vec<(LeaderEvent, Instant)>>> {
    let seen = Arc::new(Mutex::new(vec![(*events.snapshot(), Instant::now())]));
    let sink = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            sink.lock().unwrap().push((event, Instant::now()));
        }
    });
    seen
}

async fn wait_for(
    seen: &Mutex<Vec<(LeaderEvent, Instant)>>,
    what: impl Fn(&LeaderEvent) -> bool,
) -> (LeaderEvent, Instant) {
    wait_for_after(seen, None, what).await
}

/// The first event matching `what` that arrived after `after` (any, with `None`).
async fn wait_for_after(
    seen: &Mutex<Vec<(LeaderEvent, Instant)>>,
    after: Option<Instant>,
    what: impl Fn(&LeaderEvent) -> bool,
) -> (LeaderEvent, Instant) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = seen
            .lock()
            .unwrap()
            .iter()
            .find(|(e, at)| after.map_or(true, |t| *at > t) && what(e))
            .copied();
        if let Some(found) = found {
            return found;
        }
        assert!(Instant::now() < deadline, "no such leadership event");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn is_leader(event: &LeaderEvent) -> bool {
    matches!(event, LeaderEvent::Leader { .. })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_cut_off_reports_unsure_then_follower_before_anyone_else_leads() {
    let server = RedisServer::start();
    for trial in 0..3u64 {
        let group = unique_group("leader-cut");
        let proxy = Proxy::start(server.port());
        let lease = 1000;
        let leader_config = group_redis::Config::new(proxy.url())
            .with_group(&group)
            .with_member_id("leader")
            .with_session_timeout(Duration::from_millis(lease))
            .with_heartbeat(Duration::from_millis(lease / 4))
            .with_command_timeout(Duration::from_millis(200));
        let leader = Connector::connect(leader_config).await.unwrap();
        let other = Connector::connect(short_lease(&server, &group, "other", lease))
            .await
            .unwrap();
        let campaign = leader.elect("job").await.unwrap();
        let leader_seen = record(campaign.subscribe());
        let (first, _) = wait_for(&leader_seen, is_leader).await;
        let rival = other.elect("job").await.unwrap();
        let rival_seen = record(rival.subscribe());
        tokio::time::sleep(Duration::from_millis(trial * 70)).await;

        proxy.pause();
        let cut = Instant::now();
        let (second, elected) = wait_for(&rival_seen, is_leader).await;
        let (unsure_at_least, follower) = {
            let (_, unsure) =
                wait_for(&leader_seen, |e| matches!(e, LeaderEvent::Unsure { .. })).await;
            // After the cut: the snapshot may be a FOLLOWER from before the election.
            let (_, follower) =
                wait_for_after(&leader_seen, Some(cut), |e| *e == LeaderEvent::Follower).await;
            (unsure, follower)
        };
        let (LeaderEvent::Leader { token: old }, LeaderEvent::Leader { token: new }) =
            (first, second)
        else {
            unreachable!()
        };
        assert!(new > old, "term {new} after {old}");
        assert!(unsure_at_least < follower);
        assert!(
            follower < elected,
            "FOLLOWER came {:?} after the rival was elected",
            follower - elected
        );
        assert!(!campaign.is_leader());
        println!(
            "cut off, trial {trial}: UNSURE {:.0} ms, FOLLOWER {:.0} ms, rival elected {:.0} ms \
             after the cut: FOLLOWER came {:.0} ms before anyone else led",
            ms(unsure_at_least - cut),
            ms(follower - cut),
            ms(elected - cut),
            ms(elected - follower)
        );
        proxy.resume();
        drop(campaign);
        drop(rival);
        leader.close().await.unwrap();
        other.close().await.unwrap();
    }
}

/// Not a test on its own: the leader process of the tests below. Prints `LEADER <token>`
/// once elected, then, each time `is_leader()` turns false, `LAST_TRUE <unix ms>`: when it
/// last answered true (it asks every millisecond).
#[test]
#[ignore]
fn leader_child() {
    let Ok(url) = std::env::var("GR_LEADER_URL") else {
        return;
    };
    let group = std::env::var("GR_LEADER_GROUP").unwrap();
    let lease: u64 = std::env::var("GR_LEADER_LEASE").unwrap().parse().unwrap();
    let connector = group_redis::blocking::Connector::connect(
        group_redis::Config::new(url)
            .with_group(&group)
            .with_member_id("child")
            .with_session_timeout(Duration::from_millis(lease))
            .with_heartbeat(Duration::from_millis(lease / 4)),
    )
    .unwrap();
    let leadership = connector.elect("job").unwrap();
    while !leadership.is_leader() {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("LEADER {}", leadership.token().unwrap());
    let mut last_true = unix_ms();
    let mut leading = true;
    loop {
        let now = leadership.is_leader();
        if now {
            last_true = unix_ms();
        } else if leading {
            println!("LAST_TRUE {last_true}");
        }
        leading = now;
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn spawn_leader(
    server: &RedisServer,
    group: &str,
    lease: u64,
) -> (Child, Lines<BufReader<ChildStdout>>, u64) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "leader_child", "--ignored", "--nocapture"])
        .env("GR_LEADER_URL", server.url())
        .env("GR_LEADER_GROUP", group)
        .env("GR_LEADER_LEASE", lease.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let token = lines
        .by_ref()
        .find_map(|line| line.ok()?.strip_prefix("LEADER ")?.parse().ok())
        .expect("the child was elected");
    (child, lines, token)
}

fn signal(child: &Child, signal: &str) {
    Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_leader_is_replaced_and_never_claims_leadership_after_its_successor() {
    let server = RedisServer::start();
    let lease = 1000;
    for trial in 0..3u64 {
        let group = unique_group("leader-frozen");
        let (mut child, mut lines, old) = spawn_leader(&server, &group, lease);
        let rival_connector = Connector::connect(short_lease(&server, &group, "rival", lease))
            .await
            .unwrap();
        let rival = rival_connector.elect("job").await.unwrap();
        let seen = record(rival.subscribe());
        tokio::time::sleep(Duration::from_millis(trial * 70)).await;

        signal(&child, "STOP");
        let frozen = Instant::now();
        let (event, elected) = wait_for(&seen, is_leader).await;
        // The election on the same clock as the child's claims.
        let elected_unix = unix_ms() - elected.elapsed().as_millis();
        let LeaderEvent::Leader { token: new } = event else {
            unreachable!()
        };
        assert!(new > old);
        signal(&child, "CONT");
        let last_true: u128 = tokio::task::spawn_blocking(move || {
            lines
                .find_map(|line| line.ok()?.strip_prefix("LAST_TRUE ")?.parse().ok())
                .expect("the child reports it no longer leads")
        })
        .await
        .unwrap();
        assert!(
            last_true < elected_unix,
            "the frozen leader claimed leadership {} ms after its successor was elected",
            last_true - elected_unix
        );
        println!(
            "frozen, trial {trial}: successor elected {:.0} ms after the freeze (lease {lease} ms); \
             the old leader's last claim was {} ms before that",
            ms(elected - frozen),
            elected_unix - last_true
        );
        child.kill().unwrap();
        child.wait().unwrap();
        drop(rival);
        rival_connector.close().await.unwrap();
    }
}

/// Benchmark: leader SIGKILL to the successor's LEADER event, session_timeout 1 s
/// ($GR_BENCH_LEASE_MS), 20 trials ($GR_BENCH_TRIALS).
/// `cargo test -p group-redis --test leader_faults -- --ignored --nocapture leader_failover`
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn leader_failover_after_sigkill_benchmark() {
    let server = RedisServer::start();
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let lease = env("GR_BENCH_LEASE_MS", 1000);
    let trials = env("GR_BENCH_TRIALS", 20);
    let mut took = Vec::new();
    for _ in 0..trials {
        let group = unique_group("leader-kill");
        let (mut child, _lines, _) = spawn_leader(&server, &group, lease);
        let rival_connector = Connector::connect(short_lease(&server, &group, "rival", lease))
            .await
            .unwrap();
        let rival = rival_connector.elect("job").await.unwrap();
        let seen = record(rival.subscribe());
        // A random point in the child's heartbeat period.
        tokio::time::sleep(Duration::from_millis(rand_ms(lease / 4))).await;
        child.kill().unwrap();
        let killed = Instant::now();
        let (_, elected) = wait_for(&seen, is_leader).await;
        took.push(elected - killed);
        child.wait().unwrap();
        drop(rival);
        rival_connector.close().await.unwrap();
    }
    took.sort();
    let pct = |p: f64| ms(took[((took.len() as f64 * p).ceil() as usize).min(took.len()) - 1]);
    println!(
        "leader SIGKILL -> successor's LEADER event, session_timeout {lease} ms, {trials} trials: \
         p50 {:.0} ms, p99 {:.0} ms, min {:.0} ms, max {:.0} ms",
        pct(0.5),
        pct(0.99),
        ms(took[0]),
        ms(*took.last().unwrap())
    );
}

fn rand_ms(below: u64) -> u64 {
    (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64)
        % below
}
