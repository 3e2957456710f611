//! Crash and freeze tests with real processes: `grctl join` members killed with SIGKILL or
//! frozen with SIGSTOP while they hold members, locks and ephemeral keys.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use gr_test_harness::RedisServer;
use group_redis::blocking::Connector;
use group_redis::{json, Config, LeaveReason, Value};

const PATIENCE: Duration = Duration::from_secs(20);

/// A `grctl join` child process whose JSON lines are read on a thread.
struct Member {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Member {
    fn spawn(server: &RedisServer, group: &str, id: &str, extra: &[&str]) -> Member {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grctl"))
            .args(["--url", &server.url(), "--group", group, "join", id])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start grctl");
        let stdout: Lines<BufReader<ChildStdout>> =
            BufReader::new(child.stdout.take().unwrap()).lines();
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in stdout.map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line).expect("grctl prints JSON lines");
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        Member { child, lines }
    }

    fn next_line(&self) -> Value {
        self.lines
            .recv_timeout(PATIENCE)
            .expect("a line from grctl")
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An in-process member of `group`, for observing the child processes.
fn connect(server: &RedisServer, group: &str, id: &str) -> Connector {
    Connector::connect(
        Config::new(server.url())
            .with_group(group)
            .with_member_id(id),
    )
    .unwrap()
}

fn group(tag: &str) -> String {
    format!("{tag}-{}", std::process::id())
}

/// SIGKILL a member holding a lock and an ephemeral key: its leave event (reason expired)
/// arrives, its lock is takeable and its key is gone, all within session_timeout + 1 s.
#[test]
fn a_killed_member_is_cleaned_up_within_its_lease() {
    const LEASE_MS: u64 = 1500;
    let server = RedisServer::start();
    let group = group("kill");
    let observer = connect(&server, &group, "observer");
    let mut events = observer.subscribe_members().unwrap();
    let victim = Member::spawn(
        &server,
        &group,
        "victim",
        &[
            "--session-timeout",
            &LEASE_MS.to_string(),
            "--ephemeral",
            "victim/addr=\"10.1.1.1\"",
            "--lock",
            "victim-lock",
        ],
    );
    let joined = victim.next_line();
    assert_eq!(joined["joined"], "victim");
    let victim_token = joined["locks"]["victim-lock"]
        .as_u64()
        .expect("victim's token");
    let event = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(event.joined_members[0].id, "victim");
    assert_eq!(
        observer.lock("victim-lock").unwrap(),
        None,
        "held while alive"
    );

    let killed = Instant::now();
    victim.signal("KILL");
    let event = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    let seen_after = killed.elapsed();
    assert_eq!(event.left_members[0].id, "victim");
    assert_eq!(event.reason, Some(LeaveReason::Expired));
    let token = observer.lock("victim-lock").unwrap();
    assert_eq!(
        token,
        Some(victim_token + 1),
        "the dead holder's lock is free, with the next token"
    );
    assert_eq!(observer.ephemeral_get("victim/addr").unwrap(), None);
    assert!(
        seen_after <= Duration::from_millis(LEASE_MS + 1000),
        "leave seen {seen_after:?} after the kill, lease {LEASE_MS} ms"
    );
}

/// Seed bug: contenders re-EXPIREd the lock key on every failed attempt, keeping a dead
/// holder's lock alive forever. Here a contender hammering the lock gets it once the dead
/// holder's lease runs out.
#[test]
fn contenders_do_not_keep_a_dead_holders_lock_alive() {
    let server = RedisServer::start();
    let group = group("contend");
    let victim = Member::spawn(
        &server,
        &group,
        "victim",
        &["--session-timeout", "1000", "--lock", "hot"],
    );
    let victim_token = victim.next_line()["locks"]["hot"].as_u64().expect("token");
    let contender = connect(&server, &group, "contender");
    victim.signal("KILL");
    let deadline = Instant::now() + PATIENCE;
    let token = loop {
        if let Some(token) = contender.lock("hot").unwrap() {
            break token;
        }
        assert!(
            Instant::now() < deadline,
            "lock never freed while contended"
        );
    };
    assert_eq!(token, victim_token + 1);
}

/// The member the freeze tests stop with SIGSTOP: "sleeper", a 1 s lease, the ephemeral
/// key `sleeper/k=1`, and `extra` arguments.
fn spawn_sleeper(server: &RedisServer, group: &str, extra: &[&str]) -> Member {
    let mut args = vec![
        "--session-timeout",
        "1000",
        "--heartbeat",
        "250",
        "--ephemeral",
        "sleeper/k=1",
    ];
    args.extend_from_slice(extra);
    Member::spawn(server, group, "sleeper", &args)
}

/// Seed bug: the heartbeat re-SET held locks after a pause, giving two holders. Here a
/// member frozen past its lease loses its lock to another; when continued it reports LOST,
/// is_held is false, and Redis still names the new holder.
#[test]
fn a_frozen_member_loses_its_lock_and_knows_it() {
    let server = RedisServer::start();
    let group = group("freeze");
    let frozen = spawn_sleeper(&server, &group, &["--lock", "precious"]);
    let frozen_token = frozen.next_line()["locks"]["precious"]
        .as_u64()
        .expect("token");
    let other = connect(&server, &group, "other");
    let mut events = other.subscribe_members().unwrap();
    assert_eq!(events.snapshot().len(), 1);

    frozen.signal("STOP");
    let token = other
        .try_lock("precious", PATIENCE)
        .unwrap()
        .expect("the frozen holder's lease runs out");
    assert_eq!(token, frozen_token + 1);
    let left = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(left.left_members[0].id, "sleeper");
    assert_eq!(left.reason, Some(LeaveReason::Expired));

    frozen.signal("CONT");
    let mut states = Vec::new();
    loop {
        let line = frozen.next_line();
        let state = line["state"].as_str().unwrap().to_string();
        if state == "LOST" {
            assert_eq!(line["locks_held"], json!([]), "is_held is false once LOST");
        }
        states.push(state);
        if states.last().map(String::as_str) == Some("RECONNECTED") {
            break;
        }
    }
    assert!(states.contains(&"LOST".to_string()), "{states:?}");
    // One holder: the lock is still the other's, the sleeper did not re-take it.
    assert!(other.is_held("precious").unwrap());
    assert_eq!(other.lock("precious").unwrap(), None);
    let lock_key = group_redis::keys::Keys::new(&group).lock("precious");
    let mut raw = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    // The hold's `hold` field is "<token> <attempt> <owner>" (docs/PROTOCOL.md).
    let hold: String = redis::cmd("HGET")
        .arg(&lock_key)
        .arg("hold")
        .query(&mut raw)
        .unwrap();
    assert_eq!(hold.splitn(3, ' ').nth(2), Some("other"), "{hold}");
    // The sleeper re-joined under a new session, with its ephemeral key.
    let rejoined = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(rejoined.joined_members[0].id, "sleeper");
    assert_eq!(other.ephemeral_get("sleeper/k").unwrap(), Some(json!(1)));
}

/// A member frozen past its lease whose id and ephemeral key another process took
/// meanwhile is told, on RECONNECTED, what it could not restore.
#[test]
fn a_frozen_member_is_told_what_it_could_not_restore() {
    let server = RedisServer::start();
    let group = group("restore");
    let frozen = spawn_sleeper(&server, &group, &[]);
    frozen.next_line();
    let other = connect(&server, &group, "other");
    let mut events = other.subscribe_members().unwrap();
    frozen.signal("STOP");
    let left = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(left.left_members[0].id, "sleeper");
    // The id and the key are taken by someone else while the sleeper sleeps.
    other.join(Some("sleeper"), None).unwrap();
    other.ephemeral_set("sleeper/k", &json!(2)).unwrap();

    frozen.signal("CONT");
    let reconnected = loop {
        let line = frozen.next_line();
        if line["state"] == "RECONNECTED" {
            break line;
        }
    };
    let mut not_restored: Vec<(String, String)> = reconnected["not_restored"]
        .as_array()
        .expect("not_restored on RECONNECTED")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    not_restored.sort();
    assert_eq!(
        not_restored,
        [
            ("ephemeral".to_string(), "sleeper/k".to_string()),
            ("member".to_string(), "sleeper".to_string())
        ]
    );
    assert_eq!(other.ephemeral_get("sleeper/k").unwrap(), Some(json!(2)));
}

/// A clean SIGTERM leaves at once (reason left), well before any lease would run out.
#[test]
fn sigterm_leaves_cleanly() {
    let server = RedisServer::start();
    let group = group("term");
    let observer = connect(&server, &group, "observer");
    let mut events = observer.subscribe_members().unwrap();
    let member = Member::spawn(
        &server,
        &group,
        "polite",
        &["--session-timeout", "60000", "--lock", "l"],
    );
    member.next_line();
    events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    member.signal("TERM");
    let event = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(event.left_members[0].id, "polite");
    assert_eq!(event.reason, Some(LeaveReason::Left));
    assert!(observer.lock("l").unwrap().is_some());
}
