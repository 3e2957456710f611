//! grctl's message and topic commands as a user runs them: JSON lines out, a listener that
//! answers requests, tail and consume, and an unknown member refused with exit code 2.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use gr_test_harness::RedisServer;
use group_redis::Value;

fn grctl(url: &str, group: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grctl"))
        .args(["--url", url, "--group", group])
        .args(args)
        .env_remove("REDIS_URL")
        .output()
        .unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A grctl process that stays (listen, tail), killed when dropped.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn spawn(url: &str, group: &str, args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grctl"))
            .args(["--url", url, "--group", group])
            .args(args)
            .env_remove("REDIS_URL")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Running { child, lines }
    }

    fn next_json(&mut self) -> Value {
        let line = self.lines.next().expect("grctl ended").unwrap();
        serde_json::from_str(&line).unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn topic_send_read_tail_and_consume() {
    let server = RedisServer::start();
    let url = server.url();
    let group = "grctl-topics";
    let sent = json_lines(&grctl(
        &url,
        group,
        &["topic", "send", "t", r#"{"a":1}"#, r#""b""#],
    ));
    let indexes: Vec<u64> = serde_json::from_value(sent[0]["indexes"].clone()).unwrap();
    assert_eq!(indexes.len(), 2);
    let from = indexes[0].to_string();
    let read = json_lines(&grctl(
        &url,
        group,
        &["topic", "read", "t", "--from", &from],
    ));
    assert_eq!(read[0]["payload"], serde_json::json!({"a": 1}));
    assert_eq!(read[1]["payload"], "b");
    assert_eq!(read[2]["next_index"], indexes[1] + 1);

    let mut tail = Running::spawn(&url, group, &["topic", "tail", "t"]);
    // tail starts after the last index: it prints only what comes next.
    std::thread::sleep(std::time::Duration::from_millis(500));
    json_lines(&grctl(&url, group, &["topic", "send", "t", "3"]));
    assert_eq!(tail.next_json()["payload"], 3);

    let consumed = json_lines(&grctl(
        &url,
        group,
        &["topic", "consume", "t", "g", "--once"],
    ));
    let payloads: Vec<&Value> = consumed.iter().map(|line| &line["payload"]).collect();
    assert_eq!(
        payloads,
        [
            &serde_json::json!({"a": 1}),
            &serde_json::json!("b"),
            &serde_json::json!(3)
        ]
    );
    assert!(consumed.iter().all(|line| line["acked"] == true));
}

#[test]
fn listen_answers_a_request_and_an_unknown_member_is_refused() {
    let server = RedisServer::start();
    let url = server.url();
    let group = "grctl-messages";
    let mut listener = Running::spawn(&url, group, &["listen", "w1", "--reply", r#"{"ok":true}"#]);
    assert_eq!(listener.next_json()["listening"], "w1");
    json_lines(&grctl(&url, group, &["send", "w1", r#""hi""#]));
    let got = listener.next_json();
    assert_eq!(
        (got["kind"].as_str(), got["payload"].as_str()),
        (Some("send"), Some("hi"))
    );
    let reply = json_lines(&grctl(&url, group, &["request", "w1", "1"]));
    assert_eq!(reply[0]["reply"], serde_json::json!({"ok": true}));
    let broadcast = json_lines(&grctl(&url, group, &["broadcast", "2"]));
    assert_eq!(broadcast[0]["recipients"], 1);

    let refused = grctl(&url, group, &["send", "nobody", "1"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nobody"));
}
