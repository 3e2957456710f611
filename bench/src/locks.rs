//! gr-bench-locks: what locks cost Redis, uncontended, under contention and in memory.
//! Prints numbers; asserts nothing. Uses the public API only, so the same file builds
//! against any version of the library and two builds can be compared against one
//! redis-server (REDIS_URL) in one run.
//!
//! Run: `cargo run --release -p gr-bench --bin gr-bench-locks [-- uncontended|sweep|memory]`
//! (all three when no argument). REDIS_URL names a redis-server to use (one is started
//! when unset); GR_BENCH_SECONDS (default 2) is the length of each sweep point,
//! GR_BENCH_WAITERS (default "1,2,8,32,128") its points, GR_BENCH_PROCESSES (default 4)
//! how many processes share the waiters in the "several processes" rows, GR_BENCH_NAMES
//! (default "100000") the distinct lock names of the memory rows (e.g. "100000,1000000").
//!
//! Sweep: each waiter loops `try_lock("hot", 30 s)` + `release("hot")` on one lock;
//! INFO commandstats is reset when every waiter is connected and read when they stop, so
//! Redis commands and Redis time per acquisition cover exactly the sweep's traffic (plus the
//! connectors' heartbeats).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use gr_test_harness::RedisServer;
use group_redis::{Config, Connector};

/// Connectors per process in the sweep: waiters are spread over them.
const CONNECTORS: usize = 4;
const GROUP: &str = "bench-locks";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn config(url: &str, member: &str) -> Config {
    Config::new(url).with_group(GROUP).with_member_id(member)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let waiters: usize = args[2].parse().unwrap();
        let seconds: f64 = args[3].parse().unwrap();
        child(&args[1], waiters, seconds).await;
        return;
    }
    let _server;
    let url = match std::env::var("REDIS_URL") {
        Ok(url) => url,
        Err(_) => {
            let server = RedisServer::start();
            let url = server.url();
            _server = server;
            url
        }
    };
    // A server whose LASTSAVE is a whole second old: the steady state (see main.rs).
    std::thread::sleep(Duration::from_millis(1100));
    let what = args.first().cloned().unwrap_or_default();
    let label = env_or("GR_BENCH_LABEL", "this build");
    println!("gr-bench-locks ({label}) on {url}");
    if what.is_empty() || what == "uncontended" {
        uncontended(&url).await;
    }
    if what.is_empty() || what == "sweep" {
        sweep(&url).await;
    }
    if what.is_empty() || what == "memory" {
        memory(&url).await;
    }
}

async fn admin(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// (calls, usec) from INFO commandstats: calls of every command (a script's own commands
/// included), time of the top-level calls only (a script's time includes its commands').
async fn command_totals(conn: &mut redis::aio::MultiplexedConnection) -> (f64, f64) {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .unwrap();
    let (mut calls, mut usec) = (0.0, 0.0);
    for line in info.lines() {
        let Some((name, fields)) = line
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        else {
            continue;
        };
        if name == "info" || name == "config" {
            continue;
        }
        for field in fields.split(',') {
            if let Some(v) = field.strip_prefix("calls=") {
                calls += v.parse::<f64>().unwrap_or(0.0);
            } else if let Some(v) = field.strip_prefix("usec=") {
                if matches!(name, "fcall" | "evalsha" | "eval") {
                    usec += v.parse::<f64>().unwrap_or(0.0);
                }
            }
        }
    }
    (calls, usec)
}

async fn reset_stats(conn: &mut redis::aio::MultiplexedConnection) {
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(conn)
        .await
        .unwrap();
}

/// Uncontended lock+release on one name, and on a new name each time.
async fn uncontended(url: &str) {
    let c = Connector::connect(config(url, "uncontended"))
        .await
        .unwrap();
    let mut stats = admin(url).await;
    for _ in 0..500 {
        c.lock("warm").await.unwrap().unwrap();
        c.release("warm").await.unwrap();
    }
    let pairs = 20_000;
    for (label, fresh) in [("same name", false), ("a new name each time", true)] {
        reset_stats(&mut stats).await;
        let start = Instant::now();
        for i in 0..pairs {
            let name = if fresh {
                format!("fresh:{i}")
            } else {
                "same".to_string()
            };
            c.lock(&name).await.unwrap().unwrap();
            c.release(&name).await.unwrap();
        }
        let elapsed = start.elapsed().as_secs_f64();
        let (calls, usec) = command_totals(&mut stats).await;
        println!(
            "uncontended lock+release, {label}: {:.0} pairs/s, Redis {:.2} commands and {:.2} us per pair",
            pairs as f64 / elapsed,
            calls / pairs as f64,
            usec / pairs as f64
        );
    }
    c.close().await.unwrap();
}

/// What one process's waiters did.
#[derive(Default)]
struct Outcome {
    grants: Vec<u64>,
    waits_us: Vec<f64>,
}

/// The connectors that `waiters` waiters share (up to CONNECTORS).
async fn contend(url: &str, tag: &str, waiters: usize) -> Vec<Connector> {
    let count = waiters.clamp(1, CONNECTORS);
    let mut connectors = Vec::new();
    for i in 0..count {
        connectors.push(
            Connector::connect(config(url, &format!("{tag}-{i}")))
                .await
                .unwrap(),
        );
    }
    connectors
}

/// Each waiter loops try_lock + release on "hot" for `seconds`.
async fn run_waiters(connectors: &[Connector], waiters: usize, seconds: f64) -> Outcome {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let results = join_all((0..waiters).map(|i| {
        let c = &connectors[i % connectors.len()];
        async move {
            let (mut grants, mut waits) = (0u64, Vec::new());
            while Instant::now() < end {
                let start = Instant::now();
                let token = c.try_lock("hot", Duration::from_secs(30)).await.unwrap();
                waits.push(start.elapsed().as_secs_f64() * 1e6);
                assert!(token.is_some(), "try_lock timed out after 30 s");
                grants += 1;
                c.release("hot").await.unwrap();
            }
            (grants, waits)
        }
    }))
    .await;
    let mut outcome = Outcome::default();
    for (grants, waits) in results {
        outcome.grants.push(grants);
        outcome.waits_us.extend(waits);
    }
    outcome
}

async fn close_all(connectors: Vec<Connector>) {
    for c in connectors {
        c.close().await.unwrap();
    }
}

/// A child process of the "several processes" rows: prints "ready", waits for a line on
/// stdin, contends, prints "grants g1 g2 ..." and "waits w1 w2 ...".
async fn child(url: &str, waiters: usize, seconds: f64) {
    let tag = format!("p{}", std::process::id());
    let connectors = contend(url, &tag, waiters).await;
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let outcome = run_waiters(&connectors, waiters, seconds).await;
    let join = |v: Vec<String>| v.join(" ");
    println!(
        "grants {}",
        join(outcome.grants.iter().map(u64::to_string).collect())
    );
    println!(
        "waits {}",
        join(outcome.waits_us.iter().map(|w| format!("{w:.0}")).collect())
    );
    std::io::stdout().flush().unwrap();
    close_all(connectors).await;
}

async fn sweep(url: &str) {
    let seconds: f64 = env_or("GR_BENCH_SECONDS", "2").parse().unwrap();
    let points: Vec<usize> = env_or("GR_BENCH_WAITERS", "1,2,8,32,128")
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    let processes: usize = env_or("GR_BENCH_PROCESSES", "4").parse().unwrap();
    let mut stats = admin(url).await;
    println!();
    println!("| waiters | processes | acq/s | Redis commands per acq | Redis us per acq | wait p50 ms | wait p99 ms | wait max ms | max/min grants per waiter |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for &waiters in &points {
        for procs in [1, processes] {
            if procs > 1 && waiters < procs {
                continue;
            }
            let (outcome, elapsed, calls, usec) = if procs == 1 {
                let connectors = contend(url, "one", waiters).await;
                reset_stats(&mut stats).await;
                let start = Instant::now();
                let outcome = run_waiters(&connectors, waiters, seconds).await;
                let elapsed = start.elapsed().as_secs_f64();
                let (calls, usec) = command_totals(&mut stats).await;
                close_all(connectors).await;
                (outcome, elapsed, calls, usec)
            } else {
                several(url, &mut stats, waiters, procs, seconds).await
            };
            let mut waits = outcome.waits_us.clone();
            let acquisitions: u64 = outcome.grants.iter().sum();
            let max = outcome.grants.iter().max().copied().unwrap_or(0);
            let min = outcome.grants.iter().min().copied().unwrap_or(0);
            let ratio = if min == 0 {
                format!("{max}/0")
            } else {
                format!("{:.2} ({max}/{min})", max as f64 / min as f64)
            };
            let n = acquisitions.max(1) as f64;
            println!(
                "| {waiters} | {procs} | {:.0} | {:.1} | {:.1} | {:.2} | {:.2} | {:.0} | {ratio} |",
                acquisitions as f64 / elapsed,
                calls / n,
                usec / n,
                percentile(&mut waits, 0.5) / 1000.0,
                percentile(&mut waits, 0.99) / 1000.0,
                percentile(&mut waits, 1.0) / 1000.0,
            );
        }
    }
}

async fn several(
    url: &str,
    stats: &mut redis::aio::MultiplexedConnection,
    waiters: usize,
    procs: usize,
    seconds: f64,
) -> (Outcome, f64, f64, f64) {
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..procs)
        .map(|p| {
            let share = waiters / procs + usize::from(p < waiters % procs);
            Command::new(&exe)
                .args(["--child", url, &share.to_string(), &seconds.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut readers: Vec<_> = children
        .iter_mut()
        .map(|c| BufReader::new(c.stdout.take().unwrap()))
        .collect();
    for reader in &mut readers {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
    }
    reset_stats(stats).await;
    let start = Instant::now();
    for child in &mut children {
        writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
    }
    let mut outcome = Outcome::default();
    for reader in &mut readers {
        for _ in 0..2 {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let mut words = line.split_whitespace();
            match words.next() {
                Some("grants") => outcome
                    .grants
                    .extend(words.map(|w| w.parse::<u64>().unwrap())),
                Some("waits") => outcome
                    .waits_us
                    .extend(words.map(|w| w.parse::<f64>().unwrap())),
                other => panic!("child said {other:?}"),
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let (calls, usec) = command_totals(stats).await;
    for mut child in children {
        child.wait().unwrap();
    }
    (outcome, elapsed, calls, usec)
}

async fn used_memory(conn: &mut redis::aio::MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

/// Distinct names locked and released, many at once over a few connectors.
async fn memory(url: &str) {
    let counts: Vec<usize> = env_or("GR_BENCH_NAMES", "100000")
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    let mut stats = admin(url).await;
    let mut connectors = Vec::new();
    for i in 0..CONNECTORS {
        connectors.push(
            Connector::connect(config(url, &format!("memory-{i}")))
                .await
                .unwrap(),
        );
    }
    println!();
    let before = used_memory(&mut stats).await;
    let mut done = 0usize;
    let start = Instant::now();
    for total in counts {
        let tasks = 256;
        let from = done;
        join_all((0..tasks).map(|t| {
            let c = &connectors[t % CONNECTORS];
            async move {
                let mut i = from + t;
                while i < total {
                    let name = format!("order:{i}");
                    c.lock(&name).await.unwrap().unwrap();
                    c.release(&name).await.unwrap();
                    i += tasks;
                }
            }
        }))
        .await;
        done = total.max(done);
        let after = used_memory(&mut stats).await;
        let dbsize: i64 = redis::cmd("DBSIZE").query_async(&mut stats).await.unwrap();
        println!(
            "memory after {done} distinct names locked+released: used_memory +{:.2} MB ({:.1} bytes per name), {dbsize} keys, {:.0} s",
            (after - before) / 1e6,
            (after - before) / done as f64,
            start.elapsed().as_secs_f64()
        );
    }
    close_all(connectors).await;
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}
