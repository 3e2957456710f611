//! Messages and topic benchmark (issue 18). Prints numbers; asserts nothing.
//!
//! Run: `cargo run --release -p gr-bench --bin gr-bench-messages`.
//! - topic batch send of 10,000 messages of 100 bytes, and reading them back, against raw
//!   redis-rs pipelines of XADD and one XRANGE on the same server in the same run;
//! - broadcast latency (send -> delivered to a listener) to 10 listening members;
//! - request -> reply latency, and consumer-group consume + ack throughput.

use std::sync::Arc;
use std::time::{Duration, Instant};

use gr_test_harness::RedisServer;
use group_redis::{json, Config, Connector, Value};
use tokio::sync::mpsc;

const MESSAGES: usize = 10_000;
const ROUNDS: usize = 7;
const LISTENERS: usize = 10;
const BROADCASTS: usize = 300;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let server = RedisServer::start();
    std::thread::sleep(Duration::from_millis(1100));
    println!("group-redis messages benchmark on {}", server.url());
    let topic = topic_vs_raw(&server).await;
    let (p50, p99) = broadcast_latency(&server).await;
    let (request_p50, request_p99) = request_latency(&server).await;
    let consumed = consume_rate(&server).await;
    println!();
    println!("| measurement | result | target |");
    println!("|---|---|---|");
    println!(
        "| topic_send, {MESSAGES} x 100 B in one call, msgs/s (median of {ROUNDS}) | {:.0} | |",
        topic.send
    );
    println!(
        "| raw pipeline of {MESSAGES} XADD, msgs/s (baseline) | {:.0} | |",
        topic.raw_send
    );
    println!(
        "| send ratio to baseline | {:.0}% | >= 80% |",
        100.0 * topic.send / topic.raw_send
    );
    println!(
        "| topic_read of the {MESSAGES}, msgs/s | {:.0} | |",
        topic.read
    );
    println!(
        "| raw XRANGE of {MESSAGES}, msgs/s (baseline) | {:.0} | |",
        topic.raw_read
    );
    println!(
        "| read ratio to baseline | {:.0}% | >= 80% |",
        100.0 * topic.read / topic.raw_read
    );
    let ours = 1.0 / (1.0 / topic.send + 1.0 / topic.read);
    let baseline = 1.0 / (1.0 / topic.raw_send + 1.0 / topic.raw_read);
    println!(
        "| send + read back, msgs/s: ours / raw | {ours:.0} / {baseline:.0} ({:.0}%) | >= 80% |",
        100.0 * ours / baseline
    );
    println!("| broadcast -> delivered, {LISTENERS} listeners, p50 | {p50:.2} ms | |");
    println!("| broadcast -> delivered, {LISTENERS} listeners, p99 | {p99:.2} ms | |");
    println!("| request -> reply (handler on another connector), p50 | {request_p50:.2} ms | |");
    println!("| request -> reply, p99 | {request_p99:.2} ms | |");
    println!(
        "| consumer group: consume + ack of {MESSAGES} in batches of 100, msgs/s | {consumed:.0} | |"
    );
}

async fn request_latency(server: &RedisServer) -> (f64, f64) {
    let group = "bench-request";
    let responder = Arc::new(
        Connector::connect(
            Config::new(server.url())
                .with_group(group)
                .with_member_id("r"),
        )
        .await
        .unwrap(),
    );
    responder.join(None, None).await.unwrap();
    let mut inbox = responder.listen(None).await.unwrap();
    let answering = Arc::clone(&responder);
    tokio::spawn(async move {
        while let Some(request) = inbox.next().await {
            answering.reply(&request, &request.payload).await.unwrap();
        }
    });
    let client = Connector::connect(Config::new(server.url()).with_group(group))
        .await
        .unwrap();
    let mut samples = Vec::new();
    for n in 0..500 {
        let started = Instant::now();
        let reply = client
            .request("r", &json!(n), Duration::from_secs(10))
            .await
            .unwrap();
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(reply, json!(n));
    }
    client.close().await.unwrap();
    responder.close().await.unwrap();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

async fn consume_rate(server: &RedisServer) -> f64 {
    let c = Connector::connect(Config::new(server.url()).with_group("bench-consume"))
        .await
        .unwrap();
    let messages: Vec<Value> = (0..MESSAGES).map(payload).collect();
    c.topic_send("jobs", &messages).await.unwrap();
    let started = Instant::now();
    let mut done = 0;
    while done < MESSAGES {
        let taken = c.topic_consume("jobs", "g", 100, None).await.unwrap();
        let indexes: Vec<u64> = taken.iter().map(|m| m.index).collect();
        let acked = c.topic_ack("jobs", "g", &indexes).await.unwrap();
        assert!(acked.iter().all(|a| *a));
        done += taken.len();
    }
    let rate = MESSAGES as f64 / started.elapsed().as_secs_f64();
    c.close().await.unwrap();
    rate
}

struct TopicNumbers {
    send: f64,
    raw_send: f64,
    read: f64,
    raw_read: f64,
}

fn payload(i: usize) -> Value {
    // 100 bytes of JSON text: a string of 98 characters and its quotes.
    json!(format!("{i:0>98}"))
}

async fn topic_vs_raw(server: &RedisServer) -> TopicNumbers {
    let c = Connector::connect(Config::new(server.url()).with_group("bench-topic"))
        .await
        .unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let messages: Vec<Value> = (0..MESSAGES).map(payload).collect();
    assert_eq!(messages[0].to_string().len(), 100);
    let (mut send, mut raw_send, mut read, mut raw_read) = (vec![], vec![], vec![], vec![]);
    for round in 0..ROUNDS {
        let topic = format!("t{round}");
        let started = Instant::now();
        let indexes = c.topic_send(&topic, &messages).await.unwrap();
        send.push(MESSAGES as f64 / started.elapsed().as_secs_f64());
        let started = Instant::now();
        let batch = c
            .topic_read(&topic, indexes[0], MESSAGES, None)
            .await
            .unwrap();
        read.push(MESSAGES as f64 / started.elapsed().as_secs_f64());
        assert_eq!(batch.messages.len(), MESSAGES);

        let key = format!("raw-{round}");
        let started = Instant::now();
        // The baseline encodes the same values to JSON, as topic_send does.
        let texts: Vec<String> = messages.iter().map(|m| m.to_string()).collect();
        let mut pipe = redis::pipe();
        for text in &texts {
            pipe.cmd("XADD")
                .arg(&key)
                .arg("*")
                .arg("m")
                .arg(text)
                .ignore();
        }
        let () = pipe.query_async(&mut raw).await.unwrap();
        raw_send.push(MESSAGES as f64 / started.elapsed().as_secs_f64());
        let started = Instant::now();
        let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(&key)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(MESSAGES)
            .query_async(&mut raw)
            .await
            .unwrap();
        let decoded: Vec<Value> = entries
            .ids
            .iter()
            .map(|e| {
                let text: String = e.get("m").unwrap();
                serde_json::from_str(&text).unwrap()
            })
            .collect();
        raw_read.push(MESSAGES as f64 / started.elapsed().as_secs_f64());
        assert_eq!(decoded.len(), MESSAGES);
    }
    c.close().await.unwrap();
    TopicNumbers {
        send: median(send),
        raw_send: median(raw_send),
        read: median(read),
        raw_read: median(raw_read),
    }
}

async fn broadcast_latency(server: &RedisServer) -> (f64, f64) {
    let group = "bench-broadcast";
    let (sender_tx, mut received) = mpsc::unbounded_channel::<(usize, Instant)>();
    let mut listeners = Vec::new();
    for i in 0..LISTENERS {
        let c = Connector::connect(
            Config::new(server.url())
                .with_group(group)
                .with_member_id(format!("l{i}")),
        )
        .await
        .unwrap();
        c.join(None, None).await.unwrap();
        let mut inbox = c.listen(None).await.unwrap();
        let tx = sender_tx.clone();
        listeners.push(c);
        tokio::spawn(async move {
            while let Some(message) = inbox.next().await {
                let n = message.payload.as_u64().unwrap() as usize;
                let _ = tx.send((n, Instant::now()));
            }
        });
    }
    let sender = Arc::new(
        Connector::connect(Config::new(server.url()).with_group(group))
            .await
            .unwrap(),
    );
    let mut sent_at = Vec::with_capacity(BROADCASTS);
    let mut latencies = Vec::with_capacity(BROADCASTS * LISTENERS);
    for n in 0..BROADCASTS {
        sent_at.push(Instant::now());
        let count = sender.broadcast(&json!(n), None).await.unwrap();
        assert_eq!(count as usize, LISTENERS);
        for _ in 0..LISTENERS {
            let (m, at) = received.recv().await.unwrap();
            latencies.push(at.duration_since(sent_at[m]).as_secs_f64() * 1000.0);
        }
    }
    for c in listeners {
        c.close().await.unwrap();
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}
