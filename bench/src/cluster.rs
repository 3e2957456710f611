//! gr-bench-cluster: lock+release pairs on one standalone redis-server and on Redis
//! Clusters of 1, 2 and 3 primaries (no replicas), all started in the same run. Prints
//! numbers; asserts nothing.
//!
//! Run: `cargo run --release -p gr-bench --bin gr-bench-cluster`. GR_BENCH_SECONDS
//! (default 3) is the length of each measurement, GR_BENCH_ROUNDS (default 3) how many
//! times the setups take turns (each keeps its best: the machine is shared).
//!
//! Two rows per setup: one task on one group (the cost of one pair: the cluster path adds
//! the slot guard key to every call and nothing else), and 16 groups each with its own
//! connector and task (the groups land on the primaries by their slots, so throughput can
//! grow with the primaries when the clients have the cores to drive them).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use gr_test_harness::{ClusterSet, RedisServer};
use group_redis::{Config, Connector};

const GROUPS: usize = 16;

/// Rounds: the setups take turns this many times, each keeping its best.
fn rounds() -> usize {
    std::env::var("GR_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

fn seconds() -> f64 {
    std::env::var("GR_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let standalone = RedisServer::start();
    let clusters: Vec<ClusterSet> = (1..=3).map(|p| ClusterSet::start(p, 0)).collect();
    // Servers whose LASTSAVE is a whole second old: the steady state (see main.rs).
    std::thread::sleep(Duration::from_millis(1100));
    let mut setups = vec![(
        "standalone".to_string(),
        standalone.url(),
        vec![standalone.url()],
    )];
    // The 1-primary cluster's node through a plain redis:// URL (it owns every slot): the
    // library's standalone path on the same server, so the row below it shows what the
    // cluster path itself adds, apart from Redis's own cost of cluster mode.
    let single = format!("redis://127.0.0.1:{}", clusters[0].nodes[0].port());
    setups.push((
        "1-primary cluster node, standalone path (redis://)".to_string(),
        single.clone(),
        vec![single],
    ));
    for cluster in &clusters {
        let nodes = cluster
            .nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port()))
            .collect();
        setups.push((
            format!("cluster, {} primaries", cluster.primaries()),
            cluster.url(),
            nodes,
        ));
    }
    println!(
        "gr-bench-cluster: {GROUPS} groups, {:.0} s per row, best of {} rounds taken in turn",
        seconds(),
        rounds()
    );
    // The machine is shared and noisy: the setups take turns, and each keeps its best.
    let mut best = vec![(0.0f64, f64::MAX, 0.0f64); setups.len()];
    for _ in 0..rounds() {
        for (i, (_, url, nodes)) in setups.iter().enumerate() {
            reset_stats(nodes).await;
            let one = pairs_per_s(url, 1).await;
            let server_us = fcall_us_per_pair(nodes).await;
            let many = pairs_per_s(url, GROUPS).await;
            best[i].0 = best[i].0.max(one);
            best[i].1 = best[i].1.min(server_us);
            best[i].2 = best[i].2.max(many);
        }
    }
    let (base_one, base_server) = (best[0].0, best[0].1);
    println!();
    println!(
        "| setup | 1 group: pairs/s | us per pair | vs standalone | Redis time per pair (FCALL) | vs standalone | {GROUPS} groups: pairs/s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for ((name, _, _), (one, server_us, many)) in setups.iter().zip(&best) {
        println!(
            "| {name} | {one:.0} | {:.1} | {:+.1}% | {server_us:.1} us | {:+.1}% | {many:.0} |",
            1e6 / one,
            100.0 * (base_one / one - 1.0),
            100.0 * (server_us / base_server - 1.0)
        );
    }
}

async fn admin(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn reset_stats(nodes: &[String]) {
    for node in nodes {
        let _: () = redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query_async(&mut admin(node).await)
            .await
            .unwrap();
    }
}

/// Redis's time in FCALL per lock+release pair (two FCALLs), over every node.
async fn fcall_us_per_pair(nodes: &[String]) -> f64 {
    let (mut calls, mut usec) = (0.0, 0.0);
    for node in nodes {
        let stats: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut admin(node).await)
            .await
            .unwrap();
        if let Some(line) = stats.lines().find(|l| l.starts_with("cmdstat_fcall:")) {
            for field in line["cmdstat_fcall:".len()..].split(',') {
                match field.split_once('=') {
                    Some(("calls", n)) => calls += n.parse::<f64>().unwrap_or(0.0),
                    Some(("usec", n)) => usec += n.parse::<f64>().unwrap_or(0.0),
                    _ => {}
                }
            }
        }
    }
    2.0 * usec / calls.max(1.0)
}

/// Pairs/s of `groups` groups, one connector and one task each, looping lock + release.
async fn pairs_per_s(url: &str, groups: usize) -> f64 {
    let run = format!("{:x}", std::process::id());
    let mut connectors = Vec::new();
    for g in 0..groups {
        let config = Config::new(url)
            .with_group(format!("bench-cluster-{run}-{groups}-{g}"))
            .with_member_id("m");
        let c = Connector::connect(config).await.expect("connect");
        // Warm up: the library is loaded and the group's records exist.
        for _ in 0..50 {
            c.lock("L").await.unwrap().expect("uncontended");
            c.release("L").await.unwrap();
        }
        connectors.push(c);
    }
    let length = Duration::from_secs_f64(seconds());
    let started = Instant::now();
    let counts = join_all(connectors.iter().map(|c| async move {
        let mut pairs = 0u64;
        while started.elapsed() < length {
            c.lock("L").await.unwrap().expect("uncontended");
            c.release("L").await.unwrap();
            pairs += 1;
        }
        pairs
    }))
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    for c in connectors {
        c.close().await.unwrap();
    }
    counts.iter().sum::<u64>() as f64 / elapsed
}
