//! What data watch costs, printed, not asserted (machines here are noisy):
//!
//! 1. The write cost: `data_set` as it was before data events (main's script, kept in
//!    `lua/data_set_before_watch.lua`) and as it is now (one revision + one stream append
//!    per pair), both loaded as Redis functions with the same preludes and called with the
//!    same arguments on the same server in the same run, alternating rounds; plus the
//!    library's own `persistent_set` for reference.
//! 2. Latency from a change to its event, p50 and p99, with 1, 10 and 100 subscribers in
//!    one process: data watch, and membership events for comparison.
//!
//! Run: `cargo run --release -p gr-bench --bin gr-watch-bench`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use gr_test_harness::RedisServer;
use group_redis::{json, Config, Connector};
use tokio::sync::mpsc;

const CALLS: usize = 5000;
const ROUNDS: usize = 3;
const CHANGES: usize = 200;

const BEFORE: &str = include_str!("lua/data_set_before_watch.lua");
const AFTER: &str = include_str!("../../core/src/protocol/lua/data_set.lua");
const PRELUDES: [&str; 4] = [
    include_str!("../../core/src/protocol/lua/base.lua"),
    include_str!("../../core/src/protocol/lua/holds.lua"),
    include_str!("../../core/src/protocol/lua/liveness.lua"),
    include_str!("../../core/src/protocol/lua/reap.lua"),
];

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let server = RedisServer::start();
    // A server whose LASTSAVE is a whole second old, as in the steady state (see main.rs).
    std::thread::sleep(Duration::from_millis(1100));
    println!("group-redis data watch benchmark on {}", server.url());
    let client = redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    load_library(&mut conn).await;

    let mut before = Vec::new();
    let mut after = Vec::new();
    for _ in 0..ROUNDS {
        before.push(set_loop(&mut conn, "bench_before_watch", 1).await);
        after.push(set_loop(&mut conn, "bench_with_events", 1).await);
    }
    let before16 = set_loop(&mut conn, "bench_before_watch", 16).await;
    let after16 = set_loop(&mut conn, "bench_with_events", 16).await;
    let library = library_sets(&server).await;

    println!();
    println!("| measurement | result |");
    println!("|---|---|");
    let (b, a) = (
        median_of(&before, |r| r.per_s),
        median_of(&after, |r| r.per_s),
    );
    println!("| data_set before data events, calls/s, 1 task (median of {ROUNDS}) | {b:.0} |");
    println!(
        "| data_set with revision + stream append, calls/s, 1 task | {a:.0} ({:.0}% of before) |",
        100.0 * a / b
    );
    println!(
        "| of each call, Redis's time (INFO commandstats): before / after | {:.1} / {:.1} us |",
        median_of(&before, |r| r.server_us),
        median_of(&after, |r| r.server_us)
    );
    println!(
        "| 16 tasks on one connection, calls/s: before / after | {:.0} / {:.0} ({:.0}%) |",
        before16.per_s,
        after16.per_s,
        100.0 * after16.per_s / before16.per_s
    );
    println!("| the library's persistent_set, calls/s, 1 task | {library:.0} |");
    for subscribers in [1, 10, 100] {
        let (p50, p99) = data_latency(&server, subscribers).await;
        println!("| change -> data event, {subscribers} subscribers: p50 / p99 | {p50:.2} / {p99:.2} ms |");
    }
    for subscribers in [1, 10, 100] {
        let (p50, p99) = member_latency(&server, subscribers).await;
        println!("| change -> membership event, {subscribers} subscribers: p50 / p99 | {p50:.2} / {p99:.2} ms |");
    }
}

/// Both versions of data_set as functions of one library, over the same preludes.
async fn load_library(conn: &mut redis::aio::MultiplexedConnection) {
    let mut code = String::from("#!lua name=grbench\n");
    for prelude in PRELUDES {
        code.push_str(prelude);
        code.push('\n');
    }
    for (name, body) in [("bench_before_watch", BEFORE), ("bench_with_events", AFTER)] {
        code.push_str(&format!(
            "redis.register_function{{function_name = '{name}', callback = function(keys, argv)\nbegin(keys, argv)\n{body}\nend}}\n"
        ));
    }
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("REPLACE")
        .arg(code)
        .query_async(conn)
        .await
        .unwrap();
}

struct Rate {
    per_s: f64,
    server_us: f64,
}

/// `CALLS` calls of `function` spread over `tasks` concurrent tasks, each writing one of 20
/// paths, as persistent_set calls it (prefix, expected '', path, value, clock evidence).
async fn set_loop(
    conn: &mut redis::aio::MultiplexedConnection,
    function: &str,
    tasks: usize,
) -> Rate {
    let usec_before = fcall_usec(conn).await;
    let start = Instant::now();
    let per_task = CALLS / tasks;
    join_all((0..tasks).map(|t| {
        let mut conn = conn.clone();
        async move {
            for i in 0..per_task {
                let path = format!("cfg/k{}", (i + t) % 20);
                let _: Vec<i64> = redis::cmd("FCALL")
                    .arg(function)
                    .arg(1)
                    .arg("gr:{bench}:sessions")
                    .arg("gr:{bench}:")
                    .arg("")
                    .arg(&path)
                    .arg(r#"{"size":100,"mode":"fast"}"#)
                    .arg("0")
                    .arg("0")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }))
    .await;
    let elapsed = start.elapsed().as_secs_f64();
    let calls = (per_task * tasks) as f64;
    Rate {
        per_s: calls / elapsed,
        server_us: (fcall_usec(conn).await - usec_before) / calls,
    }
}

async fn fcall_usec(conn: &mut redis::aio::MultiplexedConnection) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(conn)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("cmdstat_fcall:"))
        .and_then(|fields| fields.split(',').find_map(|f| f.strip_prefix("usec=")))
        .and_then(|usec| usec.parse().ok())
        .unwrap_or(0.0)
}

async fn library_sets(server: &RedisServer) -> f64 {
    let c = Connector::connect(Config::new(server.url()).with_group("bench-lib"))
        .await
        .unwrap();
    let start = Instant::now();
    for i in 0..CALLS {
        c.persistent_set(
            &format!("cfg/k{}", i % 20),
            &json!({"size": 100, "mode": "fast"}),
        )
        .await
        .unwrap();
    }
    let rate = CALLS as f64 / start.elapsed().as_secs_f64();
    c.close().await.unwrap();
    rate
}

/// Starts one task per subscription that reports (its index, when it saw the change tagged
/// `i`) for every change; returns the receiver of those reports.
fn collect<E, F>(
    subscriptions: Vec<group_redis::Subscription<E>>,
    tag_of: F,
) -> mpsc::UnboundedReceiver<(usize, Instant)>
where
    E: group_redis::Event,
    F: Fn(&E) -> Option<usize> + Send + Sync + 'static,
{
    let (sender, reports) = mpsc::unbounded_channel();
    let tag_of = Arc::new(tag_of);
    for mut subscription in subscriptions {
        let sender = sender.clone();
        let tag_of = Arc::clone(&tag_of);
        tokio::spawn(async move {
            while let Some(event) = subscription.next().await {
                if let Some(tag) = tag_of(&event) {
                    let _ = sender.send((tag, Instant::now()));
                }
            }
        });
    }
    reports
}

/// Makes `CHANGES` changes one after another, each once every subscriber has seen the
/// previous; latency samples are per subscriber and change.
async fn measure<Fut>(
    subscribers: usize,
    reports: &mut mpsc::UnboundedReceiver<(usize, Instant)>,
    mut change: impl FnMut(usize) -> Fut,
) -> (f64, f64)
where
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::new();
    for i in 0..CHANGES {
        let start = Instant::now();
        change(i).await;
        let mut seen = 0;
        while seen < subscribers {
            let (tag, at) = reports.recv().await.unwrap();
            if tag == i {
                seen += 1;
                samples.push(at.duration_since(start).as_secs_f64() * 1000.0);
            }
        }
    }
    (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
    )
}

async fn data_latency(server: &RedisServer, subscribers: usize) -> (f64, f64) {
    let group = format!("bench-watch-{subscribers}");
    let watcher = Connector::connect(Config::new(server.url()).with_group(&group))
        .await
        .unwrap();
    let writer = Connector::connect(Config::new(server.url()).with_group(&group))
        .await
        .unwrap();
    let subscriptions = join_all((0..subscribers).map(|_| watcher.watch("lat/", None)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut reports = collect(subscriptions, |event: &group_redis::DataEvent| {
        event.value.as_u64().map(|i| i as usize)
    });
    let writer = &writer;
    let result = measure(subscribers, &mut reports, |i| async move {
        writer.persistent_set("lat/x", &json!(i)).await.unwrap();
    })
    .await;
    watcher.close().await.unwrap();
    writer.close().await.unwrap();
    result
}

async fn member_latency(server: &RedisServer, subscribers: usize) -> (f64, f64) {
    let group = format!("bench-members-{subscribers}");
    let watcher = Connector::connect(Config::new(server.url()).with_group(&group))
        .await
        .unwrap();
    let member = Connector::connect(
        Config::new(server.url())
            .with_group(&group)
            .with_member_id("m"),
    )
    .await
    .unwrap();
    member.join(None, Some(json!(-1))).await.unwrap();
    let subscriptions = join_all((0..subscribers).map(|_| watcher.subscribe_members()))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut reports = collect(subscriptions, |event: &group_redis::MembershipEvent| {
        event
            .updated_members
            .first()?
            .payload
            .as_u64()
            .map(|i| i as usize)
    });
    let member = &member;
    let result = measure(subscribers, &mut reports, |i| async move {
        member.update_payload(None, json!(i)).await.unwrap();
    })
    .await;
    watcher.close().await.unwrap();
    member.close().await.unwrap();
    result
}

fn median_of(rates: &[Rate], value: impl Fn(&Rate) -> f64) -> f64 {
    percentile(&mut rates.iter().map(value).collect::<Vec<_>>(), 0.5)
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}
