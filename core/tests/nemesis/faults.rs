//! The nemeses: a seeded sequence of faults, each noted in the history when it begins.
//! Standalone: contenders cut off (their proxy) or frozen (SIGSTOP), Redis restarted
//! empty or with its data, stalled (`DEBUG SLEEP`), its wall clock stepped. Sentinel:
//! contenders frozen, the master stalled or SIGKILLed (a replica is promoted; the old
//! master comes back empty as the new master's replica).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gr_test_harness::{Proxy, RedisServer, SentinelSet};

use crate::checker::{now_us, Event};
use crate::common::PATIENCE;
use crate::contender::Contender;

/// xorshift64*: a seeded generator, so a failing run can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.below(to - from))
    }
}

pub type History = Arc<Mutex<Vec<Event>>>;

fn note(history: &History, what: String) {
    history
        .lock()
        .unwrap()
        .push(Event::Fault { what, at: now_us() });
}

/// The member that acquired the lock last, as far as its reports have arrived.
fn last_holder(history: &History) -> Option<usize> {
    history.lock().unwrap().iter().rev().find_map(|e| match e {
        Event::Acquired { member, .. } => Some(*member),
        _ => None,
    })
}

/// A contender to hit: half the time the one that holds the lock (the case fencing is
/// about), otherwise any.
fn pick(rng: &mut Rng, members: usize, history: &History) -> usize {
    let anyone = rng.below(members as u64) as usize;
    match rng.below(2) {
        0 => last_holder(history).unwrap_or(anyone),
        _ => anyone,
    }
}

/// SIGSTOP one contender for a while (past its lease, often), then SIGCONT.
fn freeze(rng: &mut Rng, contenders: &mut [Contender], history: &History) {
    let victim = pick(rng, contenders.len(), history);
    let length = rng.millis(300, 2500);
    contenders[victim].freeze(true);
    note(history, format!("SIGSTOP member {victim} for {length:?}"));
    std::thread::sleep(length);
    contenders[victim].freeze(false);
}

/// `DEBUG SLEEP` on the server at `port`, from a thread of its own (the nemesis goes on).
fn stall(rng: &mut Rng, port: u16, history: &History, longest_ms: u64) {
    let length = rng.millis(200, longest_ms);
    let seconds = format!("{:.3}", length.as_secs_f64());
    std::thread::spawn(move || {
        let _: redis::RedisResult<()> = redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .and_then(|c| c.get_connection())
            .and_then(|mut conn| {
                redis::cmd("DEBUG")
                    .arg("SLEEP")
                    .arg(&seconds)
                    .query(&mut conn)
            });
    });
    note(history, format!("stall Redis (DEBUG SLEEP) {length:?}"));
}

/// The standalone nemesis, until `until` (less the time for the last fault to heal).
pub fn standalone(
    seed: u64,
    server: &mut RedisServer,
    proxies: &[Proxy],
    contenders: &mut [Contender],
    history: &History,
    until: Instant,
) {
    let mut rng = Rng::new(seed);
    let mut clock_offset = 0i64;
    // The latest the server's clock has shown (ms): tokens grow across a loss of data only
    // while the clock does not go backwards across the restart (SAFETY.md, "Token floor"),
    // so a restart waits until the clock is past it again after a step back.
    let mut clock_high = 0i64;
    while Instant::now() + Duration::from_secs(2) < until {
        std::thread::sleep(rng.millis(700, 1500));
        let server_clock = (now_us() / 1000) as i64 + clock_offset;
        clock_high = clock_high.max(server_clock);
        let mut fault = rng.below(6);
        if (fault == 2 || fault == 3) && server_clock < clock_high {
            fault = 4;
        }
        match fault {
            0 => {
                let victim = pick(&mut rng, proxies.len(), history);
                let length = rng.millis(300, 2500);
                proxies[victim].pause();
                note(history, format!("cut member {victim} for {length:?}"));
                std::thread::sleep(length);
                proxies[victim].resume();
            }
            1 => freeze(&mut rng, contenders, history),
            2 => {
                server.restart();
                note(history, "restart Redis empty".into());
            }
            3 => {
                // SAVE, SIGKILL, start from the file: a restart with every write kept.
                let rdb = server.snapshot();
                server.restart_from(&rdb);
                note(history, "restart Redis with its data".into());
            }
            4 => stall(&mut rng, server.port(), history, 1200),
            _ => {
                let step = rng.below(6000) as i64 - 2000;
                clock_offset += step;
                server.shift_clock(clock_offset);
                note(history, format!("step the Redis clock by {step} ms"));
            }
        }
    }
}

/// The Sentinel nemesis: between master kills, up to two other faults.
pub fn sentinel(
    seed: u64,
    set: &mut SentinelSet,
    contenders: &mut [Contender],
    history: &History,
    until: Instant,
) {
    let mut rng = Rng::new(seed);
    let mut before_kill = rng.below(3);
    let mut expected = set.master_port();
    let mut killed_once = false;
    // A kill needs the most time to heal: the election, then one lease of grace.
    while Instant::now() + Duration::from_secs(if before_kill == 0 { 6 } else { 3 }) < until {
        std::thread::sleep(rng.millis(700, 1500));
        if !killed_once && Instant::now() + Duration::from_secs(10) > until {
            // Every run kills the master at least once, however short.
            before_kill = 0;
        }
        let master = set.master_port().expect("the Sentinels name a master");
        if expected != Some(master) {
            // A stall under load can outlast down-after: a fail-over of the Sentinels' own.
            note(
                history,
                format!("the Sentinels failed over to {master} on their own"),
            );
            expected = Some(master);
        }
        // A master without a replica in sync is not killed: that is an outage, not a
        // fail-over (the Sentinels take 8-18 s to turn a demoted master that lived on
        // into a replica).
        let can_kill = before_kill == 0 && in_sync_replica(master, Duration::from_secs(3));
        if !can_kill {
            before_kill = before_kill.saturating_sub(1);
            // Longer than down-after, a stall would be a fail-over of its own.
            match rng.below(2) {
                0 => freeze(&mut rng, contenders, history),
                _ => stall(&mut rng, master, history, 800),
            }
            continue;
        }
        before_kill = rng.below(3);
        killed_once = true;
        let killed = Instant::now();
        set.server(master).stop();
        note(history, format!("SIGKILL the master ({master})"));
        let promoted = set.wait_for_new_master(master, PATIENCE);
        note(
            history,
            format!(
                "  the Sentinels named {promoted} master {:?} after the kill",
                killed.elapsed()
            ),
        );
        // Back empty, as the new master's replica.
        set.restart_as_replica(master, promoted);
        expected = Some(promoted);
    }
}

/// Whether the master on `port` has a replica in sync within `within` (so killing it
/// fails over).
fn in_sync_replica(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        let info: redis::RedisResult<String> =
            redis::Client::open(format!("redis://127.0.0.1:{port}"))
                .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(500)))
                .and_then(|mut conn| redis::cmd("INFO").arg("replication").query(&mut conn));
        if info.is_ok_and(|info| info.contains("state=online")) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
