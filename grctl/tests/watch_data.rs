//! `grctl watch-data` as a process: a snapshot line first, then one flushed JSON line per
//! change; a watcher killed with SIGKILL and started again with `--from` its last revision
//! sees every change exactly once. `grctl watch` across a Redis restart: one resync line,
//! each member id in one list, with the fresh snapshot's view and position.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use gr_test_harness::RedisServer;
use group_redis::blocking::Connector;
use group_redis::{json, Config, Value};

const PATIENCE: Duration = Duration::from_secs(20);

/// A `grctl watch-data` child whose JSON lines are read on a thread.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Watcher {
    fn spawn(server: &RedisServer, group: &str, extra: &[&str]) -> Watcher {
        Watcher::command(server, group, "watch-data", extra)
    }

    fn command(server: &RedisServer, group: &str, command: &str, extra: &[&str]) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grctl"))
            .args(["--url", &server.url(), "--group", group, command])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start grctl");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                // A line cut short by SIGKILL is not an event the watcher saw.
                let Ok(value) = serde_json::from_str::<Value>(&line) else {
                    return;
                };
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        Watcher { child, lines }
    }

    fn next_line(&self) -> Value {
        self.lines
            .recv_timeout(PATIENCE)
            .expect("a line from grctl watch-data")
    }

    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_killed_watcher_resumed_from_its_revision_sees_every_change_once() {
    let server = RedisServer::start();
    let group = format!("watch-data-{}", std::process::id());
    let writer = Connector::connect(Config::new(server.url()).with_group(&group)).unwrap();
    writer.persistent_set("cfg/seed", &json!(0)).unwrap();
    writer.persistent_set("elsewhere", &json!(0)).unwrap();

    let mut first = Watcher::spawn(&server, &group, &["cfg/"]);
    let snapshot = first.next_line();
    let start = snapshot["snapshot"]["revision"].as_u64().unwrap();
    assert_eq!(snapshot["snapshot"]["entries"][0]["path"], "cfg/seed");

    // Changes before, during and after the kill: 40 puts, every fifth key deleted again.
    let mut changes = 0;
    let mut seen: Vec<Value> = Vec::new();
    let mut change = |i: u64| {
        let path = format!("cfg/k{}", i % 7);
        writer.persistent_set(&path, &json!(i)).unwrap();
        changes += 1;
        if i.is_multiple_of(5) {
            writer.persistent_del(&path).unwrap();
            changes += 1;
        }
        writer.persistent_set("elsewhere", &json!(i)).unwrap();
    };
    for i in 0..20 {
        change(i);
    }
    // Read some of what the first watcher printed, then kill it mid-stream.
    for _ in 0..10 {
        seen.push(first.next_line());
    }
    first.kill();
    while let Ok(line) = first.lines.try_recv() {
        seen.push(line);
    }
    let last = seen.last().unwrap()["revision"].as_u64().unwrap();
    for i in 20..30 {
        change(i);
    }
    let second = Watcher::spawn(&server, &group, &["cfg/", "--from", &last.to_string()]);
    let resumed = second.next_line();
    assert!(resumed["snapshot"]["revision"].as_u64().unwrap() > last);
    for i in 30..40 {
        change(i);
    }
    let expected = changes;
    while seen.len() < expected {
        seen.push(second.next_line());
    }
    assert!(
        second
            .lines
            .recv_timeout(Duration::from_millis(300))
            .is_err(),
        "no line beyond the changes"
    );
    // Every change under cfg/ once, in order, no resync: revisions strictly increasing and
    // the values those of the writes in order.
    let revisions: Vec<u64> = seen
        .iter()
        .map(|e| e["revision"].as_u64().unwrap())
        .collect();
    assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
    assert!(revisions[0] > start);
    assert!(seen.iter().all(|e| e["resync"] == json!(false)));
    let puts: Vec<u64> = seen
        .iter()
        .filter(|e| e["kind"] == "put")
        .map(|e| e["value"].as_u64().unwrap())
        .collect();
    assert_eq!(puts, (0..40).collect::<Vec<_>>());
    let deletes = seen.iter().filter(|e| e["kind"] == "delete").count();
    assert_eq!(deletes, 8);
    println!(
        "killed after {} of {expected} lines; resumed --from {last}: every change once",
        revisions.iter().filter(|r| **r <= last).count()
    );
}

#[test]
fn ephemeral_watch_prints_put_and_delete() {
    let server = RedisServer::start();
    let group = format!("watch-eph-{}", std::process::id());
    let watcher = Watcher::spawn(&server, &group, &["svc/", "--ephemeral"]);
    let snapshot = watcher.next_line();
    assert_eq!(snapshot["snapshot"]["entries"], json!([]));
    let c = Connector::connect(Config::new(server.url()).with_group(&group)).unwrap();
    c.ephemeral_set("svc/a", &json!("x")).unwrap();
    c.close().unwrap();
    let put = watcher.next_line();
    let deleted = watcher.next_line();
    assert_eq!(
        (
            put["path"].clone(),
            put["kind"].clone(),
            put["value"].clone(),
            put["version"].clone()
        ),
        (json!("svc/a"), json!("put"), json!("x"), json!(1))
    );
    assert_eq!(
        (deleted["kind"].clone(), deleted["value"].clone()),
        (json!("delete"), json!(null))
    );
}

#[test]
fn grctl_watch_shows_a_restart_as_one_resync_with_each_id_once() {
    let mut server = RedisServer::start();
    let group = format!("watch-members-{}", std::process::id());
    let member = |id: &str| {
        let c = Connector::connect(
            Config::new(server.url())
                .with_group(&group)
                .with_member_id(id)
                .with_session_timeout(Duration::from_millis(1200)),
        )
        .unwrap();
        c.join(None, None).unwrap();
        c
    };
    let survivor = member("w1");
    let gone = member("w2");
    let watcher = Watcher::command(&server, &group, "watch", &[]);
    let snapshot = watcher.next_line();
    assert_eq!(snapshot["snapshot"].as_array().unwrap().len(), 2);
    server.stop();
    let _ = gone.close();
    server.restart();
    // Until w1 is back under its new session: the lines are events in the one shape.
    let mut resyncs = Vec::new();
    loop {
        let event = watcher.next_line();
        let ids = |list: &str| -> Vec<String> {
            event[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
                .collect()
        };
        let (joined, left, updated) = (
            ids("joined_members"),
            ids("left_members"),
            ids("updated_members"),
        );
        for id in joined.iter().chain(&left) {
            assert_eq!(
                joined
                    .iter()
                    .chain(&left)
                    .chain(&updated)
                    .filter(|x| *x == id)
                    .count(),
                1,
                "{id} in two lists: {event}"
            );
        }
        assert!(!event["position"].as_str().unwrap().is_empty(), "{event}");
        if event["reason"] == "resync" {
            resyncs.push(event.clone());
        }
        let back = event["joined_members"]
            .as_array()
            .unwrap()
            .iter()
            .chain(event["updated_members"].as_array().unwrap())
            .any(|m| m["id"] == "w1" && m["session"] == json!(survivor.session_id()));
        if back {
            break;
        }
    }
    assert_eq!(resyncs.len(), 1, "{resyncs:?}");
    assert!(resyncs[0]["left_members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "w2"));
}
