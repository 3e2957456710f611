//! gr-lock-cost: what one uncontended lock+release costs Redis, this build's Lua against a
//! baseline's, in one run on one server. Prints numbers; asserts nothing.
//!
//! Both versions of the protocol's Lua (the preludes, `heartbeat`, `lock`, `release`) are
//! loaded as function libraries of their own: this build's from core/src/protocol/lua as
//! compiled in, the baseline's read with `git show <rev>:core/src/protocol/lua/<file>`
//! (`GR_BENCH_BASELINE`, default the commit before the epoch-check cache; empty: no
//! baseline). Each registers a session with `heartbeat` and then calls `lock` and `release`
//! with the arguments the library sends (the known epoch, the clock evidence), in
//! alternating rounds of `GR_BENCH_PAIRS` pairs (default 20000), `GR_BENCH_ROUNDS` rounds
//! each (default 5). Per round: Redis commands and Redis time per pair (INFO commandstats,
//! FCALL time, which includes the commands the functions run) and the server's CPU time per
//! pair (INFO cpu, user + sys: preemption by other processes does not inflate it).
//!
//! Run: `cargo run --release -p gr-bench --bin gr-lock-cost` (REDIS_URL: a server to use
//! instead of starting one; GR_BENCH_ONLY=before|now: run that version only, e.g. against
//! a redis-server under valgrind to count its instructions, see bench/lock_cost_instructions.sh).

use std::process::Command;
use std::time::Duration;

use gr_test_harness::RedisServer;

/// The commit before the epoch check was cached in the library load (the baseline).
const DEFAULT_BASELINE: &str = "db9740f";

/// The preludes in library order (core/src/protocol/scripts.rs, `library_preludes`).
const PRELUDES: [&str; 7] = [
    "base", "holds", "liveness", "reap", "handoff", "reads", "topics",
];
const OPERATIONS: [&str; 3] = ["heartbeat", "lock", "release"];

/// This build's Lua, by file name.
fn current(file: &str) -> &'static str {
    match file {
        "base" => include_str!("../../core/src/protocol/lua/base.lua"),
        "holds" => include_str!("../../core/src/protocol/lua/holds.lua"),
        "liveness" => include_str!("../../core/src/protocol/lua/liveness.lua"),
        "reap" => include_str!("../../core/src/protocol/lua/reap.lua"),
        "handoff" => include_str!("../../core/src/protocol/lua/handoff.lua"),
        "reads" => include_str!("../../core/src/protocol/lua/reads.lua"),
        "topics" => include_str!("../../core/src/protocol/lua/topics.lua"),
        "heartbeat" => include_str!("../../core/src/protocol/lua/heartbeat.lua"),
        "lock" => include_str!("../../core/src/protocol/lua/lock.lua"),
        "release" => include_str!("../../core/src/protocol/lua/release.lua"),
        other => panic!("no Lua file {other}"),
    }
}

/// The baseline's Lua for `file`, from git.
fn baseline(rev: &str, file: &str) -> Option<String> {
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new("git")
        .args([
            "-C",
            repo,
            "show",
            &format!("{rev}:core/src/protocol/lua/{file}.lua"),
        ])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A function library named `name` made as scripts.rs makes the protocol's.
fn library(name: &str, lua: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut code = format!("#!lua name={name}\n");
    for file in PRELUDES {
        code.push_str(&lua(file)?);
        code.push('\n');
    }
    for op in OPERATIONS {
        code.push_str(&format!(
            "redis.register_function{{function_name = '{name}_{op}', callback = function(keys, argv)\n\
             begin(keys, argv)\n{}\nend}}\n",
            lua(op)?
        ));
    }
    Some(code)
}

struct Version {
    label: String,
    library: String,
    group: String,
    /// Whether lock and release take the packed arguments (lock: how, known, attempts;
    /// release: no `all` flag); Lua from before that change takes them one by one.
    packed: bool,
}

/// One round's figures, per pair.
#[derive(Clone, Copy)]
struct Round {
    commands: f64,
    usec: f64,
    cpu_us: f64,
}

fn info_field(info: &str, field: &str) -> f64 {
    info.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// (calls of every command, FCALL usec) from INFO commandstats.
fn commandstats(conn: &mut redis::Connection) -> (f64, f64) {
    let info: String = redis::cmd("INFO").arg("commandstats").query(conn).unwrap();
    let (mut calls, mut usec) = (0.0, 0.0);
    for line in info.lines() {
        let Some((name, fields)) = line
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        else {
            continue;
        };
        if name == "info" || name.starts_with("config") {
            continue;
        }
        for field in fields.split(',') {
            if let Some(v) = field.strip_prefix("calls=") {
                calls += v.parse::<f64>().unwrap_or(0.0);
            } else if let Some(v) = field.strip_prefix("usec=") {
                if name == "fcall" {
                    usec += v.parse::<f64>().unwrap_or(0.0);
                }
            }
        }
    }
    (calls, usec)
}

fn cpu_seconds(conn: &mut redis::Connection) -> f64 {
    let info: String = redis::cmd("INFO").arg("cpu").query(conn).unwrap();
    info_field(&info, "used_cpu_user") + info_field(&info, "used_cpu_sys")
}

fn fcall(conn: &mut redis::Connection, function: &str, key: &str, args: &[&str]) -> redis::Value {
    redis::cmd("FCALL")
        .arg(function)
        .arg(1)
        .arg(key)
        .arg(args)
        .query(conn)
        .unwrap()
}

/// The elements of an array reply.
fn elements(value: &redis::Value) -> &[redis::Value] {
    match value {
        redis::Value::Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

/// The token of a lock reply that granted a hold: the bare token, or `{1, token, holds}`
/// (Lua from before the bare token).
fn granted_token(reply: &redis::Value) -> i64 {
    match reply {
        redis::Value::Int(token) => *token,
        other => {
            let items = elements(other);
            assert_eq!(int(&items[0]), 1, "lock not granted: {other:?}");
            int(&items[1])
        }
    }
}

/// Whether a release reply says released: the holds left (-1: not released), or `{1, ..}`.
fn released(reply: &redis::Value) -> bool {
    match reply {
        redis::Value::Int(remaining) => *remaining >= 0,
        other => int(&elements(other)[0]) == 1,
    }
}

fn int(value: &redis::Value) -> i64 {
    match value {
        redis::Value::Int(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// `pairs` uncontended lock+release pairs of `version` on a fresh session.
fn round(
    conn: &mut redis::Connection,
    stats: &mut redis::Connection,
    version: &Version,
    pairs: usize,
) -> Round {
    let name = format!("gr_bench_{}", version.label);
    let prefix = format!("gr:{{{}}}:", version.group);
    let sessions = format!("{prefix}sessions");
    let sid = format!("{:032x}", rand_u128());
    // Register (create = 1) with a lease that outlasts the round.
    let beat = fcall(
        conn,
        &format!("{name}_heartbeat"),
        &sessions,
        &[&prefix, &sid, "600000", "1", "", "600000", "0", "0"],
    );
    let beat = elements(&beat);
    let epoch = int(&beat[4]).to_string();
    let server_now = int(&beat[6]).to_string();
    let (vouched, trusted) = (server_now.as_str(), server_now.as_str());
    let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(stats).unwrap();
    let cpu = cpu_seconds(stats);
    let known = format!("{epoch} 600000");
    for i in 0..pairs {
        let attempt = format!("a{i}");
        let lock_args: Vec<&str> = if version.packed {
            vec![
                &prefix, &sid, "L", "bench", "0", &known, &attempt, vouched, trusted,
            ]
        } else {
            vec![
                &prefix, &sid, "L", "bench", "0", &epoch, "600000", &attempt, "", "", vouched,
                trusted,
            ]
        };
        let lock = fcall(conn, &format!("{name}_lock"), &sessions, &lock_args);
        let token = granted_token(&lock).to_string();
        let id = format!("r{i}");
        let release_args: Vec<&str> = if version.packed {
            vec![&prefix, &sid, "L", "bench", &token, &id, vouched, trusted]
        } else {
            vec![
                &prefix, &sid, "L", "bench", "0", &token, &id, vouched, trusted,
            ]
        };
        let release = fcall(conn, &format!("{name}_release"), &sessions, &release_args);
        assert!(released(&release), "not released: {release:?}");
    }
    let cpu = cpu_seconds(stats) - cpu;
    let (calls, usec) = commandstats(stats);
    Round {
        commands: calls / pairs as f64,
        usec: usec / pairs as f64,
        cpu_us: cpu * 1e6 / pairs as f64,
    }
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .elapsed()
            .map_or(0, |d| d.as_nanos() as u64),
    );
    let a = h.finish();
    h.write_u64(a);
    ((a as u128) << 64) | h.finish() as u128
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn main() {
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
    let pairs: usize = std::env::var("GR_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let rounds: usize = std::env::var("GR_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let rev = std::env::var("GR_BENCH_BASELINE").unwrap_or_else(|_| DEFAULT_BASELINE.into());
    let mut versions = Vec::new();
    if !rev.is_empty() {
        match library("gr_bench_before", &|f| baseline(&rev, f)) {
            Some(library) => versions.push(Version {
                label: "before".into(),
                // lock.lua read its wait id as ARGV[10] before the arguments were packed.
                packed: !library.contains("ARGV[10]"),
                library,
                group: "bench-before".into(),
            }),
            None => println!("baseline {rev}: its Lua could not be read with git; left out"),
        }
    }
    versions.push(Version {
        label: "now".into(),
        library: library("gr_bench_now", &|f| Some(current(f).to_string())).unwrap(),
        group: "bench-now".into(),
        packed: true,
    });
    if let Ok(only) = std::env::var("GR_BENCH_ONLY") {
        versions.retain(|v| v.label == only);
    }
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_connection().unwrap();
    let mut stats = client.get_connection().unwrap();
    for version in &versions {
        let _: String = redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg("REPLACE")
            .arg(&version.library)
            .query(&mut conn)
            .unwrap();
    }
    let load: String = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "gr-lock-cost on {url}: {pairs} uncontended lock+release pairs per round, {rounds} \
         alternating rounds per version; baseline {}; load average {}",
        if rev.is_empty() { "none" } else { &rev },
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    // Warm-up: every version once, not counted.
    if pairs > 0 {
        for version in &versions {
            round(&mut conn, &mut stats, version, pairs / 10);
        }
    }
    let mut results: Vec<Vec<Round>> = vec![Vec::new(); versions.len()];
    for _ in 0..rounds {
        for (i, version) in versions.iter().enumerate() {
            results[i].push(round(&mut conn, &mut stats, version, pairs));
        }
    }
    println!();
    println!("| Lua | commands per pair | Redis us per pair (commandstats), median [min–max] | server CPU us per pair, median [min–max] |");
    println!("|---|---|---|---|");
    for (version, rounds) in versions.iter().zip(&results) {
        let spread = |f: fn(&Round) -> f64| {
            let values: Vec<f64> = rounds.iter().map(f).collect();
            let min = values.iter().cloned().fold(f64::INFINITY, f64::min);
            let max = values.iter().cloned().fold(0.0, f64::max);
            format!("{:.2} [{min:.2}–{max:.2}]", median(values))
        };
        let label = if version.label == "before" {
            format!("baseline {rev}")
        } else {
            "this build".into()
        };
        println!(
            "| {label} | {:.1} | {} | {} |",
            median(rounds.iter().map(|r| r.commands).collect()),
            spread(|r| r.usec),
            spread(|r| r.cpu_us)
        );
    }
    let load: String = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at the end: {}",
        load.split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
}
