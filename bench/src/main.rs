//! Prints numbers; asserts nothing (machines here are noisy). Every comparison is against a
//! baseline measured in the same run on the same redis-server.
//!
//! Run: `cargo run --release -p gr-bench --bin gr-bench` (build grctl first for the kill
//! test: `cargo build --release -p grctl`). The single-task pair is measured three ways in
//! one run: the library, its own FCALLs replayed over a raw connection, and the raw loop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use gr_test_harness::RedisServer;
use group_redis::{Config, Connector};

const PAIRS: usize = 5000;
const TASKS: usize = 16;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let server = RedisServer::start();
    // Until the server's LASTSAVE (its start, here) is a whole second old, every script
    // also asks INFO for the run id (a restart in that same second must not go unseen):
    // measure the steady state, as a server that has been up for more than a second.
    std::thread::sleep(Duration::from_millis(1100));
    println!(
        "group-redis benchmark on redis-server at {} ({} cores)",
        server.url(),
        num_cpus()
    );
    let single = lock_release_vs_raw(&server).await;
    let (ours, raw) = (single.ours.pairs_per_s, single.raw.pairs_per_s);
    let parallel = parallel_locks(&server).await;
    let raw_parallel = raw_parallel(&server).await;
    let (join_p50, join_p99) = join_to_event(&server).await;
    let kill = kill_to_leave(&server).await;
    let members = members_at_10k(&server).await;

    println!();
    println!("| measurement | result | target |");
    println!("|---|---|---|");
    println!("| lock+release pairs/s, 1 task | {ours:.0} | |");
    println!("| raw SET NX PX + Lua delete pairs/s, 1 task (baseline) | {raw:.0} | |");
    println!(
        "| ratio to baseline | {:.0}% | >= 90% |",
        100.0 * ours / raw
    );
    println!(
        "| the library's own two FCALLs replayed on a raw redis-rs connection, pairs/s | {:.0} ({:.0}% of the baseline) | |",
        single.replayed.pairs_per_s,
        100.0 * single.replayed.pairs_per_s / raw
    );
    println!(
        "| of each pair, Redis's time running it (INFO commandstats): ours / baseline | {:.1} / {:.1} us | |",
        single.ours.server_us_per_pair, single.raw.server_us_per_pair
    );
    println!(
        "| of each pair, the rest (network, client, scheduling): ours / baseline | {:.1} / {:.1} us | |",
        single.ours.rest_us_per_pair(),
        single.raw.rest_us_per_pair()
    );
    println!(
        "| lock+release pairs/s, {TASKS} tasks on {TASKS} locks, 1 connector | {parallel:.0} | |"
    );
    println!("| scaling over 1 task | {:.1}x | >= 5x |", parallel / ours);
    println!("| raw baseline, {TASKS} tasks on {TASKS} keys, 1 connection | {raw_parallel:.0} ({:.1}x its 1 task) | |", raw_parallel / raw);
    println!("| join -> event seen, p50 | {join_p50:.2} ms | |");
    println!("| join -> event seen, p99 | {join_p99:.2} ms | <= 10 ms |");
    println!(
        "| SIGKILL -> leave seen, session_timeout 1000 ms (median of {}) | {:.0} ms | <= 1100 ms |",
        kill.len(),
        median(&kill)
    );
    println!(
        "| SIGKILL -> leave seen, worst | {:.0} ms | <= 1100 ms |",
        kill.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "| members() at 10,000 members, p50 | {:.1} ms (1 round trip) | |",
        members
    );
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn config(server: &RedisServer, member: &str) -> Config {
    Config::new(server.url())
        .with_group("bench")
        .with_member_id(member)
}

/// One side of the single-task comparison.
struct PairCost {
    pairs_per_s: f64,
    /// What Redis itself spent per pair, by its own accounting.
    server_us_per_pair: f64,
}

impl PairCost {
    fn new(elapsed: Duration, server_us: f64) -> Self {
        PairCost {
            pairs_per_s: PAIRS as f64 / elapsed.as_secs_f64(),
            server_us_per_pair: server_us / PAIRS as f64,
        }
    }

    fn rest_us_per_pair(&self) -> f64 {
        1e6 / self.pairs_per_s - self.server_us_per_pair
    }
}

struct SingleTask {
    ours: PairCost,
    raw: PairCost,
    /// The library's own two calls, captured and sent again over a raw connection.
    replayed: PairCost,
}

/// Microseconds Redis has spent in `commands` (INFO commandstats), for telling Redis's
/// share of a pair from the client's and the network's.
async fn server_usec(conn: &mut redis::aio::MultiplexedConnection, commands: &[&str]) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .filter_map(|line| line.strip_prefix("cmdstat_")?.split_once(':'))
        .filter(|(name, _)| commands.contains(name))
        .filter_map(|(_, fields)| {
            let usec = fields.split(',').find_map(|f| f.strip_prefix("usec="))?;
            usec.parse::<f64>().ok()
        })
        .sum()
}

async fn lock_release_vs_raw(server: &RedisServer) -> SingleTask {
    let c = Connector::connect(config(server, "single")).await.unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let mut stats = client.get_multiplexed_async_connection().await.unwrap();
    let delete_if_owner = redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
    );
    // Warm up both (script loading, connection setup).
    for _ in 0..200 {
        c.lock("warm").await.unwrap();
        c.release("warm").await.unwrap();
        raw_pair(&mut raw, &delete_if_owner).await;
    }
    let (lock_call, release_call) = capture_lock_and_release(server, &c).await;
    for _ in 0..200 {
        replay_pair(&mut raw, &lock_call, &release_call).await;
    }
    // Interleave rounds so drift on the machine hits every side alike. Our side's FCALLs
    // include the connector's few heartbeats in that time.
    let (mut ours, mut base, mut replayed) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut ours_server, mut base_server, mut replayed_server) = (0.0, 0.0, 0.0);
    for _ in 0..5 {
        let before = server_usec(&mut stats, &["fcall"]).await;
        let start = Instant::now();
        for _ in 0..PAIRS / 5 {
            c.lock("bench-lock").await.unwrap().unwrap();
            c.release("bench-lock").await.unwrap();
        }
        ours += start.elapsed();
        ours_server += server_usec(&mut stats, &["fcall"]).await - before;
        let before = server_usec(&mut stats, &["set", "evalsha"]).await;
        let start = Instant::now();
        for _ in 0..PAIRS / 5 {
            raw_pair(&mut raw, &delete_if_owner).await;
        }
        base += start.elapsed();
        base_server += server_usec(&mut stats, &["set", "evalsha"]).await - before;
        let before = server_usec(&mut stats, &["fcall"]).await;
        let start = Instant::now();
        for _ in 0..PAIRS / 5 {
            replay_pair(&mut raw, &lock_call, &release_call).await;
        }
        replayed += start.elapsed();
        replayed_server += server_usec(&mut stats, &["fcall"]).await - before;
    }
    c.close().await.unwrap();
    SingleTask {
        ours: PairCost::new(ours, ours_server),
        raw: PairCost::new(base, base_server),
        replayed: PairCost::new(replayed, replayed_server),
    }
}

/// The FCALLs of one lock and one release of `c`, as MONITOR shows them: what the library
/// sends, to be sent again without it. The release's token and id are blanked (any hold of
/// this owner and session, no retry check), so the pair can run again and again.
async fn capture_lock_and_release(server: &RedisServer, c: &Connector) -> (redis::Cmd, redis::Cmd) {
    let client = redis::Client::open(server.url()).unwrap();
    let mut monitor = client.get_connection().unwrap();
    redis::cmd("MONITOR").exec(&mut monitor).unwrap();
    let watcher = tokio::task::spawn_blocking(move || {
        let mut calls = Vec::new();
        while calls.len() < 2 {
            let line: String = match monitor.recv_response().map(redis::from_redis_value) {
                Ok(Ok(line)) => line,
                _ => continue,
            };
            let args: Vec<String> = line
                .split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            let op = args.get(1).map(String::as_str).unwrap_or("");
            if args.first().map(String::as_str) == Some("FCALL")
                && (op.ends_with("_lock") || op.ends_with("_release"))
            {
                calls.push(args);
            }
        }
        calls
    });
    // Until MONITOR is on, calls go unseen: keep making pairs until two are captured.
    while !watcher.is_finished() {
        c.lock("bench-lock").await.unwrap().unwrap();
        c.release("bench-lock").await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut calls = watcher.await.unwrap();
    let lock_at = calls.iter().position(|a| a[1].ends_with("_lock")).unwrap();
    let lock = calls.remove(lock_at);
    let mut release = calls.remove(0);
    assert!(release[1].ends_with("_release"), "captured {release:?}");
    // FCALL, function, 1, key, then ARGV: prefix, sid, name, owner, token, id, and the time
    // evidence.
    let token_at = 8;
    release[token_at].clear();
    release[token_at + 1].clear();
    let to_cmd = |args: &[String]| {
        let mut cmd = redis::cmd(&args[0]);
        cmd.arg(&args[1..]);
        cmd
    };
    (to_cmd(&lock), to_cmd(&release))
}

async fn replay_pair(
    raw: &mut redis::aio::MultiplexedConnection,
    lock: &redis::Cmd,
    release: &redis::Cmd,
) {
    // A grant replies the bare token, a release the holds left (see lock.lua, release.lua).
    let granted: redis::Value = lock.query_async(raw).await.unwrap();
    assert!(
        matches!(granted, redis::Value::Int(token) if token > 0),
        "the replayed lock is granted: {granted:?}"
    );
    let released: i64 = release.query_async(raw).await.unwrap();
    assert_eq!(released, 0, "the replayed release frees it");
}

async fn raw_pair(raw: &mut redis::aio::MultiplexedConnection, delete: &redis::Script) {
    let ok: Option<String> = redis::cmd("SET")
        .arg("raw-lock")
        .arg("owner-token")
        .arg("NX")
        .arg("PX")
        .arg(10_000)
        .query_async(raw)
        .await
        .unwrap();
    assert!(ok.is_some());
    let _: i64 = delete
        .key("raw-lock")
        .arg("owner-token")
        .invoke_async(raw)
        .await
        .unwrap();
}

async fn parallel_locks(server: &RedisServer) -> f64 {
    let c = Connector::connect(config(server, "parallel"))
        .await
        .unwrap();
    let per_task = PAIRS / 2;
    let start = Instant::now();
    join_all((0..TASKS).map(|i| {
        let c = &c;
        async move {
            let name = format!("lock-{i}");
            for _ in 0..per_task {
                c.lock(&name).await.unwrap().unwrap();
                c.release(&name).await.unwrap();
            }
        }
    }))
    .await;
    let rate = (TASKS * per_task) as f64 / start.elapsed().as_secs_f64();
    c.close().await.unwrap();
    rate
}

async fn raw_parallel(server: &RedisServer) -> f64 {
    let client = redis::Client::open(server.url()).unwrap();
    let raw = client.get_multiplexed_async_connection().await.unwrap();
    let delete_if_owner = redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
    );
    let per_task = PAIRS / 2;
    let start = Instant::now();
    join_all((0..TASKS).map(|i| {
        let mut raw = raw.clone();
        let delete = &delete_if_owner;
        async move {
            let key = format!("raw-lock-{i}");
            for _ in 0..per_task {
                let ok: Option<String> = redis::cmd("SET")
                    .arg(&key)
                    .arg("owner-token")
                    .arg("NX")
                    .arg("PX")
                    .arg(10_000)
                    .query_async(&mut raw)
                    .await
                    .unwrap();
                assert!(ok.is_some());
                let _: i64 = delete
                    .key(&key)
                    .arg("owner-token")
                    .invoke_async(&mut raw)
                    .await
                    .unwrap();
            }
        }
    }))
    .await;
    (TASKS * per_task) as f64 / start.elapsed().as_secs_f64()
}

async fn join_to_event(server: &RedisServer) -> (f64, f64) {
    let watcher = Connector::connect(config(server, "watcher")).await.unwrap();
    let joiner = Connector::connect(config(server, "joiner")).await.unwrap();
    let mut events = watcher.subscribe_members().await.unwrap();
    let mut samples = Vec::new();
    for i in 0..300 {
        let id = format!("j{i}");
        let start = Instant::now();
        joiner.join(Some(&id), None).await.unwrap();
        loop {
            let event = events.next().await.unwrap();
            if event.joined_members.iter().any(|m| m.id == id) {
                break;
            }
        }
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    joiner.close().await.unwrap();
    watcher.close().await.unwrap();
    (
        percentile(&mut samples, 0.50),
        percentile(&mut samples, 0.99),
    )
}

async fn kill_to_leave(server: &RedisServer) -> Vec<f64> {
    let grctl = std::env::current_exe().unwrap().with_file_name("grctl");
    if !grctl.exists() {
        println!("(skipping the kill test: build grctl first: cargo build --release -p grctl)");
        return vec![f64::NAN];
    }
    let watcher = Connector::connect(
        config(server, "kill-watcher").with_session_timeout(Duration::from_secs(1)),
    )
    .await
    .unwrap();
    let mut events = watcher.subscribe_members().await.unwrap();
    let mut samples = Vec::new();
    for i in 0..5 {
        let id = format!("victim-{i}");
        let mut child = Command::new(&grctl)
            .args([
                "--url",
                &server.url(),
                "--group",
                "bench",
                "join",
                &id,
                "--session-timeout",
                "1000",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // Let the victim renew a few times so the kill lands at a random point of its period.
        tokio::time::sleep(Duration::from_millis(700 + 97 * i as u64)).await;
        let start = Instant::now();
        child.kill().unwrap();
        let _ = child.wait();
        loop {
            let event = events.next().await.unwrap();
            if event.left_members.iter().any(|m| m.id == id) {
                break;
            }
        }
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    watcher.close().await.unwrap();
    samples
}

async fn members_at_10k(server: &RedisServer) -> f64 {
    let c = Connector::connect(config(server, "crowd")).await.unwrap();
    for chunk in (0..10_000).collect::<Vec<_>>().chunks(500) {
        join_all(chunk.iter().map(|i| {
            let id = format!("crowd-{i:05}");
            let c = &c;
            async move { c.join(Some(&id), None).await.unwrap() }
        }))
        .await;
    }
    let mut samples = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        let members = c.members().await.unwrap();
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
        assert!(members.len() >= 10_000);
    }
    c.close().await.unwrap();
    percentile(&mut samples, 0.5)
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn median(samples: &[f64]) -> f64 {
    percentile(&mut samples.to_vec(), 0.5)
}
