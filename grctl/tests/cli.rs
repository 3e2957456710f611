//! grctl as a user runs it: JSON lines out, exit 2 on bad arguments, exit 1 with one line
//! when Redis is unreachable.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use gr_test_harness::RedisServer;
use group_redis::Value;

fn grctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grctl"))
        .args(args)
        .env_remove("REDIS_URL")
        .output()
        .unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn bad_arguments_exit_2_with_usage() {
    for args in [
        &["frobnicate"][..],
        &["lock"][..],
        &["lock", "x", "--wait", "soon"][..],
        &[][..],
    ] {
        let out = grctl(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn unreachable_redis_exits_1_with_one_line() {
    let port = gr_test_harness::free_port().unwrap();
    let url = format!("redis://u:topsecret@127.0.0.1:{port}");
    let out = grctl(&["--url", &url, "members"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach Redis"), "{stderr}");
    assert!(!stderr.contains("topsecret"), "{stderr}");
}

#[test]
fn bad_json_exits_1_with_a_clear_line() {
    let server = RedisServer::start();
    let out = grctl(&["--url", &server.url(), "set", "p", "{nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));
}

#[test]
fn data_lock_and_members_commands() {
    let server = RedisServer::start();
    let url = server.url();
    let base = ["--url", url.as_str(), "--group", "cli"];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = grctl(&args);
        assert!(
            out.status.success(),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        json_lines(&out)
    };
    assert_eq!(run(&["set", "cfg/a", r#"{"x":1}"#])[0]["version"], 1);
    assert_eq!(run(&["get", "cfg/a"])[0], serde_json::json!({"x": 1}));
    assert_eq!(run(&["ls", "cfg/"])[0]["path"], "cfg/a");
    assert_eq!(run(&["del", "cfg/a"])[0]["deleted"], true);
    assert_eq!(run(&["get", "cfg/a"])[0], Value::Null);
    let lock = run(&["lock", "job", "--wait", "100"]);
    assert_eq!(lock[0]["acquired"], true);
    assert!(lock[0]["token"].as_u64().unwrap() > 0, "{lock:?}");
    assert!(run(&["members"]).is_empty());
}

#[test]
fn join_members_and_watch_print_json_lines() {
    let server = RedisServer::start();
    let url = server.url();
    let mut watch = Command::new(env!("CARGO_BIN_EXE_grctl"))
        .args(["--url", &url, "--group", "cli-watch", "watch"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut watch_lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let snapshot: Value = serde_json::from_str(&watch_lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(snapshot["snapshot"], serde_json::json!([]));

    let mut join = Command::new(env!("CARGO_BIN_EXE_grctl"))
        .args([
            "--url",
            &url,
            "--group",
            "cli-watch",
            "join",
            "n1",
            "--payload",
            r#"{"port":1}"#,
        ])
        .args(["--sub-group", "a", "--sub-group", "b"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut join_lines = BufReader::new(join.stdout.take().unwrap()).lines();
    let joined: Value = serde_json::from_str(&join_lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(joined["joined"], "n1");

    let event: Value = serde_json::from_str(&watch_lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(event["joined_members"][0]["id"], "n1");
    assert_eq!(event["left_members"], serde_json::json!([]));

    let members = json_lines(&grctl(&["--url", &url, "--group", "cli-watch", "members"]));
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["id"], "n1");
    assert_eq!(members[0]["sub_groups"], serde_json::json!(["a", "b"]));
    assert_eq!(members[0]["payload"], serde_json::json!({"port": 1}));
    assert!(members[0]["joined_at"].as_u64().unwrap() > 0);

    Command::new("kill")
        .args(["-INT", &join.id().to_string()])
        .status()
        .unwrap();
    assert!(join.wait().unwrap().success());
    let event: Value = serde_json::from_str(&watch_lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(event["left_members"][0]["id"], "n1");
    assert_eq!(event["reason"], "left");
    Command::new("kill")
        .args(["-TERM", &watch.id().to_string()])
        .status()
        .unwrap();
    let status = watch.wait().unwrap();
    assert!(status.success());
}

#[test]
fn demo_runs_against_its_own_redis() {
    let out = grctl(&["demo"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("left: dave (reason: expired)"), "{stdout}");
    assert!(stdout.contains("demo finished"));
}

#[test]
fn urls_that_do_not_parse_never_print_the_password() {
    for url in [
        "redis://user:hunter2@127.0.0.1:99999",
        "redis://user:hunter2@bad host:6379",
        "redis://user:hunter2@[::1:6379",
        "user:hunter2@127.0.0.1:6379",
    ] {
        let out = grctl(&["--url", url, "members"]);
        assert!(!out.status.success(), "{url}");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!printed.contains("hunter2"), "{url}: {printed}");
    }
}
