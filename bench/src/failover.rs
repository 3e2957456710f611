//! Time from a Sentinel master's SIGKILL to the first successful lock on the new master,
//! over several fail-overs (each on a fresh master, replica and three Sentinels from the
//! test harness; down-after 1 s). Prints p50 / p99 / max; asserts nothing.
//! With `cluster` first: the same for the primary that owns the group's slot in a Redis
//! Cluster of 3 primaries and 3 replicas (cluster-node-timeout 1 s).
//!
//! Run: `cargo run --release -p gr-bench --bin gr-failover [cluster] [runs] [lease_ms]`.

use std::time::{Duration, Instant};

use gr_test_harness::{ClusterSet, SentinelSet};
use group_redis::{Config, Connector};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1).peekable();
    let cluster = args.next_if(|a| a == "cluster").is_some();
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8);
    let lease = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(2000));
    let mut promoted = Vec::new();
    let mut first_lock = Vec::new();
    for run in 0..runs {
        let (promotion, took) = if cluster {
            cluster_run(run, lease).await
        } else {
            sentinel_run(run, lease).await
        };
        promoted.push(promotion);
        first_lock.push(took);
    }
    promoted.sort();
    first_lock.sort();
    println!();
    let (title, promotion) = if cluster {
        (
            "Redis Cluster fail-over, cluster-node-timeout 1 s",
            "SIGKILL to the replica serving the slot",
        )
    } else {
        (
            "Sentinel fail-over, down-after 1 s",
            "SIGKILL to the new master named by the Sentinels",
        )
    };
    println!(
        "| {title}, {runs} runs, lease {} ms | p50 | p99 | max |",
        lease.as_millis()
    );
    println!("|---|---|---|---|");
    for (what, values) in [
        (promotion, &promoted),
        ("SIGKILL to the first successful lock", &first_lock),
    ] {
        println!(
            "| {what} | {:.0} ms | {:.0} ms | {:.0} ms |",
            ms(percentile(values, 0.50)),
            ms(percentile(values, 0.99)),
            ms(*values.last().unwrap())
        );
    }
}

/// One Sentinel fail-over: (SIGKILL to the new master named, to the first lock).
async fn sentinel_run(run: usize, lease: Duration) -> (Duration, Duration) {
    let mut set = SentinelSet::start();
    let c = Connector::connect(member(&set.url(), &format!("failover-bench-{run}"), lease))
        .await
        .expect("connect");
    c.lock("warm").await.expect("lock").expect("free");
    let old = set.master_port().expect("a master");
    set.server(old).stop();
    let (promotion, took) =
        after_the_kill(&c, || set.master_port().is_some_and(|p| p != old)).await;
    println!(
        "run {run}: new master named after {:.0} ms, first lock after {:.0} ms",
        ms(promotion),
        ms(took)
    );
    let _ = c.close().await;
    (promotion, took)
}

/// One cluster fail-over: (SIGKILL to the replica serving the slot, to the first lock).
async fn cluster_run(run: usize, lease: Duration) -> (Duration, Duration) {
    let mut set = ClusterSet::start(3, 1);
    let group = format!("failover-bench-{run}");
    let c = Connector::connect(member(&set.url(), &group, lease))
        .await
        .expect("connect");
    c.lock("warm").await.expect("lock").expect("free");
    // Let the replica receive everything.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let slot = set.slot(&format!("gr:{{{group}}}:sessions"));
    let old = set.owner(slot).expect("an owner");
    set.nodes[old].stop();
    let (promotion, took) = after_the_kill(&c, || set.owner(slot).is_some_and(|p| p != old)).await;
    println!(
        "run {run}: replica took the slot after {:.0} ms, first lock after {:.0} ms",
        ms(promotion),
        ms(took)
    );
    let _ = c.close().await;
    (promotion, took)
}

fn member(url: &str, group: &str, lease: Duration) -> Config {
    Config::new(url)
        .with_group(group)
        .with_session_timeout(lease)
        .with_command_timeout(Duration::from_millis(500))
}

/// Right after the primary was killed: tries `lock("M")` every 10 ms until it succeeds,
/// noting when `promoted()` first said a new primary serves the group. Returns (to the
/// promotion seen, or to the lock if it was never seen; to the first lock).
async fn after_the_kill(c: &Connector, promoted: impl Fn() -> bool) -> (Duration, Duration) {
    let killed = Instant::now();
    let mut seen_promotion = None;
    let took = loop {
        if seen_promotion.is_none() && promoted() {
            seen_promotion = Some(killed.elapsed());
        }
        if let Ok(Some(_)) = c.lock("M").await {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(60),
            "no lock within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    (seen_promotion.unwrap_or(took), took)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}
