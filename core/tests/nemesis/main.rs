//! A Jepsen-style randomized fault test. Four contender processes (this binary run again,
//! [`contender`]) contend for one lock and "write" to a shared resource while they believe
//! they hold it (the write is the moment `held_token` said yes). A nemesis driven by a
//! seed ([`faults`]) freezes contenders (SIGSTOP), cuts them off (each reaches Redis
//! through a proxy of its own), restarts Redis empty or with its data, stalls it
//! (`DEBUG SLEEP`) and steps its wall clock; on Sentinel it freezes contenders, stalls the
//! master and SIGKILLs it. The checker ([`checker`]) then reads the history:
//! - an unsafe write: one whose check began after another contender's acquisition of a
//!   larger token had returned (the writer still believed it held the lock);
//! - a token granted twice, or smaller than one granted before it was asked for;
//! - how long the lock was unavailable after each fault (printed).
//!
//! The suite runs two standalone seeds and one Sentinel seed, 15 s each. Longer runs:
//! `GR_NEMESIS_SECONDS=60 GR_NEMESIS_SEEDS=5 GR_NEMESIS_SEED=100 cargo test -p group-redis
//! --test nemesis -- --nocapture` (each test runs that many seeds in turn, from that seed).

#[path = "../common/mod.rs"]
mod common;

mod checker;
mod contender;
mod faults;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use checker::{check, Event};
use common::{unique_group, PATIENCE};
use contender::{Contender, Orders};
use faults::History;
use gr_test_harness::{Proxy, RedisServer, SentinelSet};

const MEMBERS: usize = 4;
const LEASE: Duration = Duration::from_millis(1000);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn run_seconds() -> Duration {
    Duration::from_secs(env_number("GR_NEMESIS_SECONDS", 15))
}

/// The seeds a test runs: `GR_NEMESIS_SEEDS` of them, every `stride`-th from `first`.
fn seeds(offset: u64, stride: u64) -> impl Iterator<Item = u64> {
    let first = env_number("GR_NEMESIS_SEED", 1) + offset;
    (0..env_number("GR_NEMESIS_SEEDS", 1)).map(move |k| first + k * stride)
}

/// Runs a contender when [`Contender::spawn`] started this binary; nothing otherwise.
#[test]
fn contender_process() {
    if let Some(orders) = Orders::from_env() {
        contender::run(orders);
    }
}

#[test]
fn nemesis_standalone_first_seeds() {
    for seed in seeds(0, 2) {
        standalone(seed);
    }
}

#[test]
fn nemesis_standalone_second_seeds() {
    for seed in seeds(1, 2) {
        standalone(seed);
    }
}

#[test]
fn nemesis_sentinel() {
    for seed in seeds(0, 1) {
        sentinel(seed);
    }
}

fn start_contenders(
    urls: &[String],
    group: &str,
    command_timeout: Duration,
) -> (History, Vec<Contender>) {
    let history: History = Arc::new(Mutex::new(Vec::new()));
    let contenders: Vec<Contender> = urls
        .iter()
        .enumerate()
        .map(|(member, url)| {
            let orders = Orders {
                url: url.clone(),
                group: group.to_string(),
                member,
                lease: LEASE,
                command_timeout,
            };
            Contender::spawn(&orders, Arc::clone(&history))
        })
        .collect();
    for contender in &contenders {
        contender.wait_ready(PATIENCE);
    }
    (history, contenders)
}

fn standalone(seed: u64) {
    let seconds = run_seconds();
    let mut server = RedisServer::start_with_shiftable_clock();
    let group = unique_group(&format!("nemesis-{seed}"));
    let proxies: Vec<Proxy> = (0..MEMBERS).map(|_| Proxy::start(server.port())).collect();
    let urls: Vec<String> = proxies.iter().map(Proxy::url).collect();
    // A short command timeout, so a silent network fails calls fast.
    let (history, mut contenders) = start_contenders(&urls, &group, Duration::from_millis(250));
    let until = Instant::now() + seconds;
    faults::standalone(
        seed,
        &mut server,
        &proxies,
        &mut contenders,
        &history,
        until,
    );
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
    for contender in &mut contenders {
        contender.finish();
    }
    report(&format!("standalone seed {seed}"), seconds, &history);
}

fn sentinel(seed: u64) {
    let seconds = run_seconds();
    let mut set = SentinelSet::start();
    let group = unique_group(&format!("nemesis-sentinel-{seed}"));
    let urls = vec![set.url(); MEMBERS];
    let (history, mut contenders) = start_contenders(&urls, &group, Duration::from_millis(500));
    let until = Instant::now() + seconds;
    faults::sentinel(seed, &mut set, &mut contenders, &history, until);
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
    for contender in &mut contenders {
        contender.finish();
    }
    let run = format!("sentinel seed {seed}");
    report(&run, seconds, &history);
    let kills = history
        .lock()
        .unwrap()
        .iter()
        .filter(
            |e| matches!(e, Event::Fault { what, .. } if what.starts_with("SIGKILL the master")),
        )
        .count();
    assert!(kills > 0, "{run}: the master was never killed");
}

/// Prints what the checker found and fails on any unsafe write or token regression.
fn report(run: &str, seconds: Duration, history: &History) {
    let mut history = history.lock().unwrap().clone();
    history.sort_by_key(|e| match e {
        Event::Acquired { got, .. } => *got,
        Event::Wrote { to, .. } => *to,
        Event::Fault { at, .. } => *at,
    });
    let findings = check(&history);
    let count = |f: fn(&Event) -> bool| history.iter().filter(|e| f(e)).count();
    let acquisitions = count(|e| matches!(e, Event::Acquired { .. }));
    let writes = count(|e| matches!(e, Event::Wrote { .. }));
    let faults = count(|e| matches!(e, Event::Fault { .. }));
    println!(
        "nemesis {run}: {acquisitions} acquisitions, {writes} writes, {faults} faults in {seconds:?}; \
         {} unsafe writes, {} token regressions",
        findings.unsafe_writes.len(),
        findings.regressions.len()
    );
    let seconds_of = |us: Option<u64>| match us {
        Some(us) => format!("{:.3} s", us as f64 / 1e6),
        None => "never".to_string(),
    };
    for gap in &findings.unavailability {
        println!(
            "  {run}: {}: lock used again after {}, next acquired after {}",
            gap.fault,
            seconds_of(gap.used),
            seconds_of(gap.acquired)
        );
    }
    assert!(acquisitions > 0, "{run}: nobody ever held the lock");
    assert!(
        findings.unsafe_writes.is_empty(),
        "{run}: unsafe writes: {:#?}",
        findings.unsafe_writes
    );
    assert!(
        findings.regressions.is_empty(),
        "{run}: tokens went backwards or repeated: {:#?}",
        findings.regressions
    );
}
