//! gr-bench-wait: what `wait_replicas` costs a lock. A master and one replica started by the
//! harness on loopback; lock+release pairs by a connector without the option and by one
//! with `with_wait_replicas(1, 1 s)`, in alternating rounds on the same servers: pairs/s and
//! the lock call's p50/p99 latency, for 1 task on one lock and 16 tasks on 16 locks.
//! Prints numbers; asserts nothing.
//!
//! Run: `cargo run --release -p gr-bench --bin gr-bench-wait` (GR_BENCH_PAIRS per round,
//! default 5000; GR_BENCH_ROUNDS, default 3).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use gr_test_harness::RedisServer;
use group_redis::{Config, Connector};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// `pairs` lock+release pairs spread over `tasks` tasks (each on its own lock): pairs/s
/// and the lock calls' latencies (us), sorted.
async fn round(c: &Connector, tasks: usize, pairs: usize) -> (f64, Vec<f64>) {
    let start = Instant::now();
    let results = join_all((0..tasks).map(|t| async move {
        let name = format!("wait-bench-{t}");
        let mut lat = Vec::with_capacity(pairs / tasks);
        for _ in 0..pairs / tasks {
            let t0 = Instant::now();
            c.lock(&name).await.unwrap().expect("uncontended");
            lat.push(t0.elapsed().as_secs_f64() * 1e6);
            c.release(&name).await.unwrap();
        }
        lat
    }))
    .await;
    let elapsed = start.elapsed().as_secs_f64();
    let mut lat: Vec<f64> = results.into_iter().flatten().collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    (lat.len() as f64 / elapsed, lat)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let pairs = env_num("GR_BENCH_PAIRS", 5000);
    let rounds = env_num("GR_BENCH_ROUNDS", 3);
    let master = RedisServer::start();
    let replica = RedisServer::start_replica_of(master.port());
    let client = redis::Client::open(replica.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    loop {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut conn)
            .await
            .unwrap();
        if info.contains("master_link_status:up") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "gr-bench-wait: master {} with 1 replica {}; {pairs} pairs per round, {rounds} rounds; \
         load average {}",
        master.url(),
        replica.url(),
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    let base = |member: &str| {
        Config::new(master.url())
            .with_group("bench-wait")
            .with_member_id(member)
    };
    let plain = Connector::connect(base("plain")).await.unwrap();
    let waiting = Connector::connect(base("waiting").with_wait_replicas(1, Duration::from_secs(1)))
        .await
        .unwrap();
    println!();
    println!("| tasks | lock calls | pairs/s per round | lock p50 us | lock p99 us |");
    println!("|---|---|---|---|---|");
    for tasks in [1, 16] {
        round(&plain, tasks, pairs / 5).await;
        round(&waiting, tasks, pairs / 5).await;
        let mut results = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
        for _ in 0..rounds {
            for (i, c) in [&plain, &waiting].into_iter().enumerate() {
                let (rate, lat) = round(c, tasks, pairs).await;
                results[i].0.push(rate);
                results[i].1.extend(lat);
            }
        }
        for (label, (rates, lat)) in ["without WAIT", "wait_replicas 1"]
            .iter()
            .zip(results.iter_mut())
        {
            lat.sort_by(|a, b| a.total_cmp(b));
            let rates: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
            println!(
                "| {tasks} | {label} | {} | {:.0} | {:.0} |",
                rates.join(", "),
                percentile(lat, 0.5),
                percentile(lat, 0.99)
            );
        }
    }
    plain.close().await.unwrap();
    waiting.close().await.unwrap();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at the end: {}",
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
}
