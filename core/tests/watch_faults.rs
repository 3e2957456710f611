//! Data watch under faults, with real processes: an ephemeral key of a SIGKILLed process
//! gives `expired`; Redis restarted empty while watching gives resync events, never a
//! silent gap; 1,000 writes from 4 processes on 20 keys with 3 watchers: every watcher ends
//! equal to the data, and each key's events come in version order.

mod common;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use group_redis::{blocking, json, DataEvent, DataEventKind, Value};

/// Runs this test binary's ignored test `name` as a child process with `env`, and waits
/// for it to print READY.
fn spawn_child(name: &str, env: &[(&str, String)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(["--exact", name, "--ignored", "--nocapture"])
        .stdout(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .any(|line| line.map(|l| l.contains("READY")).unwrap_or(false));
    assert!(ready, "child {name} did not start");
    // Keep reading what it prints, so it never writes to a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    child
}

/// A watcher's replica: applies events, checking each key's versions go in order.
#[derive(Default)]
struct Replica {
    entries: BTreeMap<String, (u64, Value)>,
    last_revision: u64,
    events: usize,
}

impl Replica {
    fn apply(&mut self, event: &DataEvent) {
        assert!(
            event.revision > self.last_revision
                || (event.resync && event.revision == self.last_revision),
            "revisions go forward: {event:?} after {}",
            self.last_revision
        );
        self.last_revision = event.revision;
        self.events += 1;
        let before = self.entries.get(&event.path).map(|(version, _)| *version);
        match event.kind {
            DataEventKind::Put => {
                if !event.resync {
                    // Version order: the next version of a key, or 1 for a re-create.
                    let want = before.map_or(1, |v| v + 1);
                    assert_eq!(event.version, want, "versions in order: {event:?}");
                }
                self.entries
                    .insert(event.path.clone(), (event.version, event.value.clone()));
            }
            DataEventKind::Delete | DataEventKind::Expired => {
                assert_eq!(
                    before,
                    Some(event.version),
                    "delete of what was there: {event:?}"
                );
                self.entries.remove(&event.path);
            }
        }
    }
}

/// Not a test on its own: a process holding one ephemeral key with a short lease.
#[test]
#[ignore]
fn ephemeral_holder_child() {
    let Ok(url) = std::env::var("GR_CHILD_URL") else {
        return;
    };
    let group = std::env::var("GR_CHILD_GROUP").unwrap();
    let c = blocking::Connector::connect(
        group_redis::Config::new(url)
            .with_group(&group)
            .with_member_id("holder")
            .with_session_timeout(Duration::from_millis(1000))
            .with_heartbeat(Duration::from_millis(250)),
    )
    .unwrap();
    c.ephemeral_set("svc/holder", &json!({"addr": "10.0.0.7"}))
        .unwrap();
    println!("READY");
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn the_ephemeral_key_of_a_killed_process_gives_expired() {
    let server = RedisServer::start();
    let group = unique_group("eph-kill");
    let watcher = blocking::Connector::connect(config(&server, &group, "watcher")).unwrap();
    let mut events = watcher.watch_ephemeral("svc/", None).unwrap();
    let mut child = spawn_child(
        "ephemeral_holder_child",
        &[
            ("GR_CHILD_URL", server.url()),
            ("GR_CHILD_GROUP", group.clone()),
        ],
    );
    let put = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(
        (put.path.as_str(), put.kind),
        ("svc/holder", DataEventKind::Put)
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    let expired = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
    assert_eq!(
        (expired.path.as_str(), expired.kind, expired.version),
        ("svc/holder", DataEventKind::Expired, 1)
    );
    assert!(expired.revision > put.revision);
    println!(
        "SIGKILLed holder (lease 1000 ms): expired event {} ms after the kill",
        killed.elapsed().as_millis()
    );
}

#[test]
fn redis_restarted_empty_while_watching_gives_resync_never_a_silent_gap() {
    let mut server = RedisServer::start();
    let group = unique_group("watch-restart");
    let writer =
        blocking::Connector::connect(short_lease(&server, &group, "writer", 1200)).unwrap();
    for path in ["cfg/a", "cfg/b", "cfg/c"] {
        writer.persistent_set(path, &json!(path)).unwrap();
    }
    let watcher =
        blocking::Connector::connect(short_lease(&server, &group, "watcher", 1200)).unwrap();
    let mut events = watcher.watch("cfg/", None).unwrap();
    let mut replica = Replica::default();
    for entry in &events.snapshot().entries {
        replica
            .entries
            .insert(entry.path.clone(), (entry.version, entry.value.clone()));
    }
    replica.last_revision = events.snapshot().revision;
    let before = replica.last_revision;

    server.stop();
    server.restart();
    // The writer's first write after the restart: the only key left in Redis.
    let deadline = Instant::now() + PATIENCE;
    while writer.persistent_set("cfg/d", &json!("after")).is_err() {
        assert!(Instant::now() < deadline, "no write after the restart");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut resyncs = Vec::new();
    while replica.entries.keys().collect::<Vec<_>>() != ["cfg/d"] {
        let event = events.recv_timeout(Some(PATIENCE)).unwrap().unwrap();
        if event.resync {
            resyncs.push((event.path.clone(), event.kind));
        }
        replica.apply(&event);
    }
    assert!(
        resyncs.contains(&("cfg/a".into(), DataEventKind::Delete)),
        "the lost keys are resync deletes: {resyncs:?}"
    );
    assert!(
        replica.last_revision > before,
        "revisions grow across the loss"
    );
    let truth: Vec<_> = writer
        .persistent_list("cfg/")
        .unwrap()
        .into_iter()
        .map(|e| (e.path, (e.version, e.value)))
        .collect();
    assert_eq!(replica.entries.into_iter().collect::<Vec<_>>(), truth);
    assert!(
        events
            .recv_timeout(Some(Duration::from_millis(300)))
            .unwrap()
            .is_none(),
        "nothing more"
    );
    println!("restart while watching: resync events {resyncs:?}");
}

/// Not a test on its own: one of the writer processes of the test below.
#[test]
#[ignore]
fn writer_child() {
    let Ok(url) = std::env::var("GR_CHILD_URL") else {
        return;
    };
    let group = std::env::var("GR_CHILD_GROUP").unwrap();
    let seed: u64 = std::env::var("GR_CHILD_SEED").unwrap().parse().unwrap();
    let writes: u64 = std::env::var("GR_CHILD_WRITES").unwrap().parse().unwrap();
    let c = blocking::Connector::connect(
        group_redis::Config::new(url)
            .with_group(&group)
            .with_member_id(format!("writer-{seed}")),
    )
    .unwrap();
    println!("READY");
    // A small xorshift: reproducible per seed, no extra crate.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in 0..writes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let path = format!("load/k{:02}", (state >> 8) % 20);
        if state % 10 == 0 {
            c.persistent_del(&path).unwrap();
        } else {
            c.persistent_set(&path, &json!({"writer": seed, "i": i}))
                .unwrap();
        }
    }
    println!("DONE");
}

#[test]
fn four_writer_processes_and_three_watchers_end_equal_to_the_data() {
    let server = RedisServer::start();
    let group = unique_group("watch-load");
    let watchers: Vec<_> = (0..3)
        .map(|i| {
            let c =
                blocking::Connector::connect(config(&server, &group, &format!("w{i}"))).unwrap();
            let events = c.watch("load/", None).unwrap();
            (c, events)
        })
        .collect();
    let started = Instant::now();
    let mut writers: Vec<Child> = (1..=4)
        .map(|seed| {
            spawn_child(
                "writer_child",
                &[
                    ("GR_CHILD_URL", server.url()),
                    ("GR_CHILD_GROUP", group.clone()),
                    ("GR_CHILD_SEED", seed.to_string()),
                    ("GR_CHILD_WRITES", "250".into()),
                ],
            )
        })
        .collect();
    // The data revision after the last write, once known.
    let target = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = watchers
        .into_iter()
        .map(|(c, mut events)| {
            let target = Arc::clone(&target);
            std::thread::spawn(move || {
                let mut replica = Replica {
                    last_revision: events.snapshot().revision,
                    ..Replica::default()
                };
                let first = replica.last_revision;
                // Until it has seen the last revision, once the writers are done.
                let deadline = Instant::now() + PATIENCE * 3;
                loop {
                    let target = target.load(Ordering::SeqCst);
                    if target != 0 && replica.last_revision >= target {
                        break;
                    }
                    assert!(Instant::now() < deadline, "the watcher fell behind");
                    let next = events.recv_timeout(Some(Duration::from_millis(100)));
                    if let Some(event) = next.expect("subscription open") {
                        replica.apply(&event);
                    }
                }
                drop(c);
                (first, replica)
            })
        })
        .collect();
    for writer in &mut writers {
        assert!(writer.wait().unwrap().success(), "a writer failed");
    }
    let wrote = started.elapsed();
    let reader = blocking::Connector::connect(config(&server, &group, "reader")).unwrap();
    let truth: Vec<_> = reader
        .persistent_list("load/")
        .unwrap()
        .into_iter()
        .map(|e| (e.path, (e.version, e.value)))
        .collect();
    let final_revision = reader.watch("load/", None).unwrap().snapshot().revision;
    target.store(final_revision, Ordering::SeqCst);
    let mut changes = 0;
    for thread in threads {
        let (first, replica) = thread.join().expect("a watcher's checks failed");
        // 1,000 writes, of which the deletes of a key already gone change nothing: every
        // change is one revision, and each watcher saw each exactly once.
        assert_eq!(replica.last_revision, final_revision);
        assert_eq!(
            replica.events as u64,
            final_revision - first,
            "every change once"
        );
        assert!(replica.events >= 900, "{} changes", replica.events);
        changes = replica.events;
        assert_eq!(replica.entries.into_iter().collect::<Vec<_>>(), truth);
    }
    println!(
        "4 writer processes x 250 writes on 20 keys ({changes} changes: the other writes \
         deleted a key already gone) in {} ms; 3 watchers saw each change once, in version \
         order per key, and ended equal to the data ({} keys)",
        wrote.as_millis(),
        truth.len()
    );
}

/// A watcher cut off (a silent network) while history it has not read is trimmed away:
/// when it reads again, the jump in revisions makes it resync, so it ends equal to the data.
#[tokio::test(flavor = "multi_thread")]
async fn history_trimmed_while_a_watcher_is_cut_off_gives_resync_not_a_gap() {
    let server = RedisServer::start();
    let proxy = gr_test_harness::Proxy::start(server.port());
    let group = unique_group("watch-trim");
    let writer = connect(&server, &group, "writer").await;
    writer.persistent_set("t/a", &json!(0)).await.unwrap();
    writer.persistent_set("t/b", &json!(0)).await.unwrap();
    let watcher = group_redis::Connector::connect(through_proxy(
        &proxy,
        &group,
        "watcher",
        Duration::from_secs(10),
    ))
    .await
    .unwrap();
    let mut events = watcher.watch("t/", None).await.unwrap();
    let mut replica = Replica {
        last_revision: events.snapshot().revision,
        ..Replica::default()
    };
    for entry in &events.snapshot().entries {
        replica
            .entries
            .insert(entry.path.clone(), (entry.version, entry.value.clone()));
    }
    proxy.pause();
    writer.persistent_set("t/a", &json!(1)).await.unwrap();
    writer.persistent_del("t/b").await.unwrap();
    writer.persistent_set("t/c", &json!(1)).await.unwrap();
    let stream = group_redis::keys::Keys::new(&group).data_events();
    let _: i64 = raw_command(&server, &["XTRIM", &stream, "MAXLEN", "0"]);
    writer.persistent_set("t/d", &json!(1)).await.unwrap();
    proxy.resume();

    let truth: BTreeMap<String, (u64, Value)> = writer
        .persistent_list("t/")
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.path, (e.version, e.value)))
        .collect();
    let mut resync = Vec::new();
    let mut plain = Vec::new();
    while replica.entries != truth {
        let event = tokio::time::timeout(PATIENCE, events.next())
            .await
            .expect("an event within the bound")
            .expect("subscription open");
        if event.resync {
            resync.push(event.path.clone());
        } else {
            plain.push(event.path.clone());
        }
        replica.apply(&event);
    }
    // What the watcher read before the pause took hold comes as plain events; whatever it
    // missed was trimmed, so it must come as a resync, each path once, never be skipped.
    if plain.len() < 4 {
        assert!(resync.contains(&"t/d".to_string()), "{plain:?} {resync:?}");
        let mut unique = resync.clone();
        unique.dedup();
        assert_eq!(unique, resync, "each path once");
    }
    println!("trimmed while cut off: plain events {plain:?}, resync {resync:?}");
}
