//! Controlled assignments across real processes: `grctl assign` participants (lease 1 s)
//! whose owners and leader are killed with SIGKILL and frozen with SIGSTOP. Every share
//! line printed is checked as it arrives: no id in two live participants' shares (a frozen
//! one excluded while frozen: that zombie is what the per-id tokens are for), and an id's
//! token grows with every new holder, the frozen one's included.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use gr_test_harness::RedisServer;
use group_redis::Value;

const PATIENCE: Duration = Duration::from_secs(20);
const LEASE_MS: u64 = 1000;

struct Participant {
    child: Child,
}

impl Participant {
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Participant {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT".to_string(), self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The participants' share lines, merged in arrival order, and the invariants over them.
struct Topic {
    server_url: String,
    group: String,
    ids: Vec<String>,
    lines: mpsc::Receiver<(String, Value)>,
    sender: mpsc::Sender<(String, Value)>,
    children: BTreeMap<String, Participant>,
    /// Each live (not killed, not frozen) participant's latest share: id -> token.
    latest: BTreeMap<String, BTreeMap<String, u64>>,
    frozen: BTreeSet<String>,
    killed: BTreeSet<String>,
    /// Every hand-over seen, per id: record epoch -> token.
    handed: BTreeMap<String, BTreeMap<u64, u64>>,
    /// Ids seen in two shares: (id, old owner, new owner, the new owner's epoch).
    pending: Vec<(String, String, String, u64)>,
}

impl Topic {
    fn new(server: &RedisServer, ids: usize) -> Topic {
        let (sender, lines) = mpsc::channel();
        Topic {
            server_url: server.url(),
            group: format!("assign-faults-{}", std::process::id()),
            ids: (0..ids).map(|i| format!("i{i:02}")).collect(),
            lines,
            sender,
            children: BTreeMap::new(),
            latest: BTreeMap::new(),
            frozen: BTreeSet::new(),
            killed: BTreeSet::new(),
            handed: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    fn spawn(&mut self, member: &str) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grctl"))
            .args(["--url", &self.server_url, "--group", &self.group, "assign"])
            .args(["jobs", "--ids", &self.ids.join(","), "--member", member])
            .args(["--session-timeout", &LEASE_MS.to_string()])
            .env_remove("REDIS_URL")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start grctl");
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let (sender, name) = (self.sender.clone(), member.to_string());
        thread::spawn(move || {
            for line in stdout.map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line).expect("grctl prints JSON lines");
                if sender.send((name.clone(), value)).is_err() {
                    return;
                }
            }
        });
        self.children
            .insert(member.to_string(), Participant { child });
        self.latest.insert(member.to_string(), BTreeMap::new());
    }

    /// Who leads the topic now (`grctl leader assign/jobs`).
    fn leader(&self) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_grctl"))
            .args(["--url", &self.server_url, "--group", &self.group])
            .args(["leader", "assign/jobs"])
            .env_remove("REDIS_URL")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let view: Value = serde_json::from_str(text.lines().next().expect("a JSON line")).unwrap();
        view["leader"].as_str().expect("a leader").to_string()
    }

    /// Checks one share line. Lines of different processes reach this test through pipes
    /// and threads in any order, so an id that seems to have two owners is held pending
    /// until the old owner's line without it arrives: that line must come from an earlier
    /// record epoch than the one that gave the id to the new owner (it was published, then
    /// acknowledged, before the leader moved the id). Tokens are checked in epoch order.
    fn record(&mut self, member: String, line: Value) {
        let epoch = line["epoch"].as_u64().unwrap();
        let tokens: BTreeMap<String, u64> = line["tokens"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, t)| (id.clone(), t.as_u64().unwrap()))
            .collect();
        let ids: BTreeSet<String> = line["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, tokens.keys().cloned().collect(), "{line}");
        let before = self.latest.get(&member).cloned().unwrap_or_default();
        for (id, token) in &tokens {
            if before.contains_key(id) {
                continue;
            }
            let gains = self.handed.entry(id.clone()).or_default();
            for (e, t) in gains.iter() {
                assert!(
                    (*e < epoch && t < token) || (*e > epoch && t > token) || (*e == epoch && t == token),
                    "{member} got {id} with token {token} at epoch {epoch}, another at epoch {e} with {t}"
                );
            }
            gains.insert(epoch, *token);
        }
        if self.frozen.contains(&member) || self.killed.contains(&member) {
            return;
        }
        // The old owner let go of an id another already got: from an earlier record?
        self.pending.retain(|(id, old, new, gained)| {
            if *old != member || tokens.contains_key(id) {
                return true;
            }
            assert!(
                epoch < *gained,
                "{id}: {new} got it at epoch {gained}, {old} let go only at epoch {epoch}"
            );
            false
        });
        for (other, share) in &self.latest {
            if *other != member && !self.frozen.contains(other) {
                for id in tokens.keys().filter(|id| !before.contains_key(*id)) {
                    if share.contains_key(id) {
                        self.pending
                            .push((id.clone(), other.clone(), member.clone(), epoch));
                    }
                }
            }
        }
        self.latest.insert(member, tokens);
    }

    /// Reads lines until the live participants' shares cover every id exactly once,
    /// balanced; returns the time it took.
    fn settled(&mut self) -> Duration {
        let start = Instant::now();
        loop {
            let live: Vec<&BTreeMap<String, u64>> = self
                .latest
                .iter()
                .filter(|(m, _)| !self.frozen.contains(*m))
                .map(|(_, s)| s)
                .collect();
            let total: usize = live.iter().map(|s| s.len()).sum();
            let union: BTreeSet<&String> = live.iter().flat_map(|s| s.keys()).collect();
            let sizes: Vec<usize> = live.iter().map(|s| s.len()).collect();
            let balanced =
                !sizes.is_empty() && sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1;
            if total == self.ids.len() && union.len() == self.ids.len() && balanced {
                assert!(self.pending.is_empty(), "two owners: {:?}", self.pending);
                return start.elapsed();
            }
            let left = PATIENCE.saturating_sub(start.elapsed());
            let (member, line) = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!("not settled: {:?}\n{}", self.latest, self.redis_state())
            });
            self.record(member, line);
        }
    }

    /// What Redis holds for the topic, for a failure message.
    fn redis_state(&self) -> String {
        let c = group_redis::blocking::Connector::connect(
            group_redis::Config::new(&self.server_url)
                .with_group(&self.group)
                .with_member_id("observer"),
        )
        .unwrap();
        let record = c.persistent_list("assign/jobs/");
        let held = c.ephemeral_list("assign/jobs/held/");
        format!("record: {record:?}\nheld: {held:?}")
    }

    /// SIGSTOP `member` until the others have its ids, then SIGCONT: it must drop its
    /// share (its session ended) and then take part again. Returns the time to rebalance
    /// without it, from SIGCONT to its empty share, and from there to rebalanced with it.
    fn freeze_and_thaw(&mut self, member: &str) -> (Duration, Duration, Duration) {
        self.children[member].signal("STOP");
        self.frozen.insert(member.to_string());
        let without = self.settled();
        self.children[member].signal("CONT");
        let thawed = Instant::now();
        loop {
            let (from, line) = self.lines.recv_timeout(PATIENCE).expect("a share line");
            let dropped = from == member && line["ids"].as_array().unwrap().is_empty();
            self.record(from, line);
            if dropped {
                break;
            }
        }
        let dropped_after = thawed.elapsed();
        self.frozen.remove(member);
        self.latest.insert(member.to_string(), BTreeMap::new());
        (without, dropped_after, self.settled())
    }

    /// SIGKILL: the process and its share are gone at once; its session outlives it.
    fn kill(&mut self, member: &str) {
        self.children[member].signal("KILL");
        self.latest.remove(member);
        self.killed.insert(member.to_string());
        assert!(
            self.pending.iter().all(|p| p.1 != member),
            "two owners: {:?}",
            self.pending
        );
    }
}

#[test]
fn owners_and_leaders_killed_and_frozen_never_leave_an_id_with_two_owners() {
    let server = RedisServer::start();
    let mut topic = Topic::new(&server, 12);
    for m in ["a", "b", "c"] {
        topic.spawn(m);
    }
    topic.settled();

    // SIGKILL the leader: its ids go to the others once its session expired, by a new
    // leader starting from the recorded assignment.
    let leader = topic.leader();
    topic.kill(&leader);
    let leader_killed = topic.settled();
    let next_leader = topic.leader();
    assert_ne!(next_leader, leader);

    // A new participant joins; then SIGKILL an owner that does not lead.
    topic.spawn("d");
    topic.settled();
    let leader = topic.leader();
    let owner = topic.latest.keys().find(|m| **m != leader).unwrap().clone();
    topic.kill(&owner);
    let owner_killed = topic.settled();

    // SIGSTOP the leader past its lease: the others take its ids (with larger tokens,
    // checked by `record`); SIGCONT: it learns it lost its session and drops its share
    // (an empty line), then takes part again. Then the same for an owner that does not lead.
    topic.spawn("e");
    topic.settled();
    let leader = topic.leader();
    let (leader_frozen, leader_dropped, leader_back) = topic.freeze_and_thaw(&leader);
    let leader = topic.leader();
    let owner = topic.latest.keys().find(|m| **m != leader).unwrap().clone();
    let (owner_frozen, owner_dropped, owner_back) = topic.freeze_and_thaw(&owner);
    assert_eq!(topic.latest.len(), 3);
    println!(
        "grctl assign, 12 ids, lease {LEASE_MS} ms, rebalanced after: leader SIGKILL {} ms, \
         owner SIGKILL {} ms, leader SIGSTOP {} ms (dropped its share {} ms after SIGCONT, \
         back {} ms later), owner SIGSTOP {} ms (dropped {} ms after SIGCONT, back {} ms later)",
        leader_killed.as_millis(),
        owner_killed.as_millis(),
        leader_frozen.as_millis(),
        leader_dropped.as_millis(),
        leader_back.as_millis(),
        owner_frozen.as_millis(),
        owner_dropped.as_millis(),
        owner_back.as_millis(),
    );
}
