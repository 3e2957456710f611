//! Durable consumer groups whose consumers are sessions: a message goes to one consumer;
//! the unacknowledged work of a session that ended moves to another at once (no idle
//! timer); a late ack from a consumer that lost its lease is refused; and, with real
//! processes SIGKILLed and SIGSTOPped past their lease, every message is acknowledged once,
//! by a consumer that held its lease.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use group_redis::{json, Connector};

const TOPIC: &str = "jobs";
const GROUP: &str = "workers";

#[tokio::test(flavor = "multi_thread")]
async fn each_message_goes_to_one_consumer_and_a_frozen_ones_work_moves() {
    let server = RedisServer::start();
    let group = unique_group("cg-move");
    let producer = connect(&server, &group, "producer").await;
    let indexes = producer
        .topic_send(TOPIC, &(0..10).map(|i| json!(i)).collect::<Vec<_>>())
        .await
        .unwrap();

    let proxy = gr_test_harness::Proxy::start(server.port());
    let frozen = Connector::connect(through_proxy(
        &proxy,
        &group,
        "frozen",
        Duration::from_millis(1000),
    ))
    .await
    .unwrap();
    let taken = frozen.topic_consume(TOPIC, GROUP, 4, None).await.unwrap();
    let taken: Vec<u64> = taken.iter().map(|m| m.index).collect();
    assert_eq!(taken, indexes[..4].to_vec());

    let other = connect(&server, &group, "other").await;
    // While the frozen consumer's session lives, its messages stay its own.
    let rest = other.topic_consume(TOPIC, GROUP, 100, None).await.unwrap();
    let rest: Vec<u64> = rest.iter().map(|m| m.index).collect();
    assert_eq!(rest, indexes[4..].to_vec());
    assert_eq!(
        other.topic_ack(TOPIC, GROUP, &rest).await.unwrap(),
        vec![true; 6]
    );
    assert!(other
        .topic_consume(TOPIC, GROUP, 100, None)
        .await
        .unwrap()
        .is_empty());

    // Its connection goes silent; once its lease has run out, its work moves at once
    // (the messages were idle for about a second only: no idle timer is involved).
    proxy.pause();
    let started = Instant::now();
    let moved = loop {
        let got = other
            .topic_consume(TOPIC, GROUP, 100, Some(Duration::from_millis(200)))
            .await
            .unwrap();
        if !got.is_empty() {
            break got;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the frozen consumer's work never moved"
        );
    };
    let moved: Vec<u64> = moved.iter().map(|m| m.index).collect();
    assert_eq!(moved, taken);
    println!(
        "work moved {} ms after the connection went silent (lease 1000 ms)",
        started.elapsed().as_millis()
    );

    // The frozen consumer comes back: its late acks are refused; the new holder's count.
    proxy.resume();
    let late = loop {
        match frozen.topic_ack(TOPIC, GROUP, &taken).await {
            Ok(acked) => break acked,
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    assert_eq!(late, vec![false; 4]);
    assert_eq!(
        other.topic_ack(TOPIC, GROUP, &moved).await.unwrap(),
        vec![true; 4]
    );
    assert_eq!(
        other.topic_ack(TOPIC, GROUP, &moved).await.unwrap(),
        vec![false; 4]
    );
}

/// A consumer process for the test below: prints `TOOK i` when it gets message i, then
/// `DONE i` when its ack was accepted or `LOST i` when it was refused.
#[test]
#[ignore]
fn consumer_child() {
    let url = std::env::var("GR_CG_URL").unwrap();
    let group = std::env::var("GR_CG_GROUP").unwrap();
    let config = group_redis::Config::new(url)
        .with_group(group)
        .with_session_timeout(Duration::from_millis(1000))
        .with_heartbeat(Duration::from_millis(250));
    let c = group_redis::blocking::Connector::connect(config).unwrap();
    let mut out = std::io::stdout();
    loop {
        let messages = match c.topic_consume(TOPIC, GROUP, 5, Some(Duration::from_millis(500))) {
            Ok(messages) => messages,
            // The session was lost (it was frozen): the connector makes a new one.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        for message in messages {
            writeln!(out, "TOOK {}", message.index).unwrap();
            out.flush().unwrap();
            std::thread::sleep(Duration::from_millis(4));
            let verdict = match c.topic_ack(TOPIC, GROUP, &[message.index]) {
                Ok(acked) if acked == [true] => "DONE",
                _ => "LOST",
            };
            writeln!(out, "{verdict} {}", message.index).unwrap();
            out.flush().unwrap();
        }
    }
}

type Lines = Arc<Mutex<Vec<(usize, String)>>>;

fn spawn_consumer(server: &RedisServer, group: &str, id: usize, lines: &Lines) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "consumer_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("GR_CG_URL", server.url())
        .env("GR_CG_GROUP", group)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::clone(lines);
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            if line.starts_with("TOOK ") || line.starts_with("DONE ") || line.starts_with("LOST ") {
                lines.lock().unwrap().push((id, line));
            }
        }
    });
    child
}

fn count(lines: &Lines, what: &str) -> usize {
    lines
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, l)| l.starts_with(what))
        .count()
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE * 3;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn every_message_is_processed_once_across_killed_and_frozen_consumers() {
    const MESSAGES: usize = 1200;
    let server = RedisServer::start();
    let group = unique_group("cg-once");
    let producer =
        group_redis::blocking::Connector::connect(config(&server, &group, "producer")).unwrap();
    let indexes = producer
        .topic_send(TOPIC, &(0..MESSAGES).map(|i| json!(i)).collect::<Vec<_>>())
        .unwrap();
    let lines: Lines = Arc::default();
    let mut children: Vec<Child> = (0..4)
        .map(|id| spawn_consumer(&server, &group, id, &lines))
        .collect();

    wait_for("200 messages done", || count(&lines, "DONE") >= 200);
    children[0].kill().unwrap();
    children[0].wait().unwrap();

    // Freeze consumer 1 in the middle of its work: right after it took a message.
    wait_for("400 messages done", || count(&lines, "DONE") >= 400);
    let seen = lines.lock().unwrap().len();
    wait_for("consumer 1 takes a message", || {
        lines.lock().unwrap()[seen..]
            .iter()
            .any(|(id, l)| *id == 1 && l.starts_with("TOOK"))
    });
    signal(&children[1], "STOP");
    std::thread::sleep(Duration::from_millis(2500));
    signal(&children[1], "CONT");

    wait_for("700 messages done", || count(&lines, "DONE") >= 700);
    children[2].kill().unwrap();
    children[2].wait().unwrap();
    children.push(spawn_consumer(&server, &group, 4, &lines));

    // Done when Redis has every message delivered and acknowledged.
    let key = group_redis::keys::Keys::new(&group).topic(TOPIC);
    let last_id = format!("{}-0", indexes[MESSAGES - 1]);
    wait_for("every message acknowledged", || {
        let info: Vec<Vec<redis::Value>> = raw_command(&server, &["XINFO", "GROUPS", &key]);
        let fields: BTreeMap<String, redis::Value> = info[0]
            .chunks(2)
            .map(|kv| {
                (
                    redis::from_redis_value::<String>(kv[0].clone()).unwrap(),
                    kv[1].clone(),
                )
            })
            .collect();
        let pending: u64 = redis::from_redis_value(fields["pending"].clone()).unwrap();
        let delivered: String =
            redis::from_redis_value(fields["last-delivered-id"].clone()).unwrap();
        pending == 0 && delivered == last_id
    });
    std::thread::sleep(Duration::from_millis(300));
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }

    let lines = lines.lock().unwrap();
    let mut done: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    let mut lost: BTreeSet<(usize, u64)> = BTreeSet::new();
    for (id, line) in lines.iter() {
        let (verdict, index) = line.split_once(' ').unwrap();
        let index: u64 = index.parse().unwrap();
        match verdict {
            "DONE" => done.entry(index).or_default().push(*id),
            "LOST" => {
                lost.insert((*id, index));
            }
            _ => {}
        }
    }
    let twice: Vec<_> = done.iter().filter(|(_, by)| by.len() > 1).collect();
    assert!(twice.is_empty(), "processed twice: {twice:?}");
    // A SIGKILL between Redis accepting an ack and the DONE line loses that one line.
    let kills = 2;
    assert!(
        done.len() >= MESSAGES - kills,
        "{} of {MESSAGES} reported done",
        done.len()
    );
    assert!(done.keys().all(|index| indexes.contains(index)));
    let frozen_lost: Vec<u64> = lost
        .iter()
        .filter(|(id, _)| *id == 1)
        .map(|(_, i)| *i)
        .collect();
    assert!(
        !frozen_lost.is_empty(),
        "the frozen consumer's late work was not refused"
    );
    for index in &frozen_lost {
        assert!(
            done.get(index).is_some_and(|by| !by.contains(&1)),
            "message {index} refused to the frozen consumer was not done by another"
        );
    }
    println!(
        "{MESSAGES} messages: {} reported done once each, 0 twice; the frozen consumer's {} late acks refused and done by others",
        done.len(),
        frozen_lost.len()
    );
}
