//! grctl's recipe commands as a user runs them: `elect` hands over at once on SIGTERM,
//! `leader` says who leads, `lock NAME -- CMD` runs CMD holding the lock with its token in
//! $GR_FENCING_TOKEN and exits with CMD's code, and SIGINT releases a held lock at once.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use gr_test_harness::RedisServer;
use group_redis::{json, Value};

fn grctl(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grctl"))
        .args(args)
        .env_remove("REDIS_URL")
        .output()
        .unwrap()
}

fn first_json(output: &Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.lines().next().expect("a JSON line")).unwrap()
}

/// A grctl process that stays, killed when dropped.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn spawn(args: &[String]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_grctl"))
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

    fn signal(&self, signal: &str) {
        Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .unwrap();
    }

    fn wait(&mut self) -> Option<i32> {
        self.child.wait().unwrap().code()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn group(tag: &str) -> String {
    format!("{tag}-{}", std::process::id())
}

#[test]
fn elect_hands_over_at_once_on_sigterm_and_leader_says_who_leads() {
    let server = RedisServer::start();
    let url = server.url();
    let group = group("grctl-elect");
    let base = ["--url", &url, "--group", &group];
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    // Long leases: a hand-over that waited for one would take 10 s.
    let mut first = Running::spawn(&args(&["elect", "job", "--member", "first"]));
    let elected = first.next_json();
    assert_eq!(elected["leader"], json!(true));
    let token = elected["token"].as_u64().unwrap();
    let leader = first_json(&grctl(&args(&["leader", "job"])));
    assert_eq!(leader, json!({"leader": "first", "token": token}));

    let mut second = Running::spawn(&args(&["elect", "job", "--member", "second"]));
    let mut follow = Running::spawn(&args(&["leader", "job", "--follow"]));
    assert_eq!(follow.next_json()["leader"], json!("first"));
    // Not elected while the first one leads (give it a moment to try).
    std::thread::sleep(Duration::from_millis(300));
    first.signal("TERM");
    let resigned = Instant::now();
    assert_eq!(first.wait(), Some(0));
    let elected = second.next_json();
    assert_eq!(elected["leader"], json!(true));
    assert!(elected["token"].as_u64().unwrap() > token);
    assert!(resigned.elapsed() < Duration::from_secs(5));
    println!(
        "grctl elect: successor elected {} ms after SIGTERM",
        resigned.elapsed().as_millis()
    );
    // The follower sees the hand-over (maybe with "no leader" in between).
    loop {
        let view = follow.next_json();
        if view["leader"] == json!("second") {
            break;
        }
        assert_eq!(view, json!({"leader": null, "token": null}));
    }
    second.signal("INT");
    assert_eq!(second.wait(), Some(0));
    assert_eq!(follow.next_json(), json!({"leader": null, "token": null}));
    assert_eq!(
        first_json(&grctl(&args(&["leader", "job"]))),
        json!({"leader": null, "token": null})
    );
}

#[test]
fn lock_runs_a_command_with_the_token_and_exits_with_its_code() {
    let server = RedisServer::start();
    let url = server.url();
    let group = group("grctl-lock-run");
    let base = ["--url", &url, "--group", &group];
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    // The command sees its token, and sees the lock held by this process meanwhile.
    let script = format!(
        "echo \"token=$GR_FENCING_TOKEN\"; {} --url {url} --group {group} holder L; exit 7",
        env!("CARGO_BIN_EXE_grctl")
    );
    let out = grctl(&args(&["lock", "L", "--", "sh", "-c", &script]));
    assert_eq!(out.status.code(), Some(7));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let token: u64 = lines
        .next()
        .unwrap()
        .strip_prefix("token=")
        .unwrap()
        .parse()
        .unwrap();
    let holder: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(holder["token"], json!(token));
    // Released when the command exited.
    let out = grctl(&args(&["holder", "L"]));
    assert_eq!(out.status.code(), Some(3));

    // Busy: not run, exit 4.
    let mut holder = Running::spawn(&args(&["lock", "L", "--hold", "60000"]));
    assert_eq!(holder.next_json()["acquired"], json!(true));
    let out = grctl(&args(&["lock", "L", "--wait", "100", "--", "true"]));
    assert_eq!(out.status.code(), Some(4));
    // SIGINT releases the held lock at once, not after a lease.
    holder.signal("INT");
    let interrupted = Instant::now();
    assert_eq!(holder.wait(), Some(0));
    let out = grctl(&args(&["lock", "L", "--", "true"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(interrupted.elapsed() < Duration::from_secs(5));

    // SIGTERM to `lock -- CMD` releases at once and stops CMD.
    let mut running = Running::spawn(&args(&["lock", "L", "--", "sleep", "60"]));
    std::thread::sleep(Duration::from_millis(300));
    let busy = first_json(&grctl(&args(&["holder", "L"])));
    assert!(busy["token"].as_u64().is_some());
    running.signal("TERM");
    let code = running.wait();
    assert_eq!(code, Some(128 + 15), "sleep was stopped by SIGTERM");
    assert_eq!(grctl(&args(&["holder", "L"])).status.code(), Some(3));
}

#[test]
fn join_with_lock_and_wait_says_when_the_lock_was_not_acquired() {
    let server = RedisServer::start();
    let url = server.url();
    let group = group("grctl-join-wait");
    let base = ["--url", &url, "--group", &group];
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let mut holder = Running::spawn(&args(&["join", "a", "--lock", "L"]));
    let joined = holder.next_json();
    assert!(joined["locks"]["L"].as_u64().is_some());
    assert_eq!(joined["not_acquired"], json!([]));
    let mut other = Running::spawn(&args(&["join", "b", "--lock", "L", "--wait", "200"]));
    let joined = other.next_json();
    assert_eq!(joined["locks"]["L"], json!(null));
    assert_eq!(joined["not_acquired"], json!(["L"]));
    // With a wait long enough, the lock comes when the holder leaves.
    let mut third = Running::spawn(&args(&["join", "c", "--lock", "L", "--wait", "20000"]));
    std::thread::sleep(Duration::from_millis(300));
    holder.signal("TERM");
    let joined = third.next_json();
    assert!(joined["locks"]["L"].as_u64().is_some());
}

#[test]
fn assign_prints_each_share_and_a_leaver_hands_its_ids_over() {
    let server = RedisServer::start();
    let url = server.url();
    let group = group("grctl-assign");
    let base = ["--url", &url, "--group", &group];
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let ids_of = |line: &Value| -> Vec<String> {
        line["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let mut one = Running::spawn(&args(&[
        "assign", "jobs", "--ids", "a,b,c,d", "--member", "one",
    ]));
    let first = one.next_json();
    assert_eq!(first["member"], json!("one"));
    assert_eq!(ids_of(&first), ["a", "b", "c", "d"]);
    let mut two = Running::spawn(&args(&[
        "assign", "jobs", "--ids", "a,b,c,d", "--member", "two",
    ]));
    // one gives two ids up first, then two gets them.
    let shrunk = one.next_json();
    let grown = two.next_json();
    let (mine, theirs) = (ids_of(&shrunk), ids_of(&grown));
    assert_eq!(mine.len(), 2, "{shrunk}");
    assert_eq!(theirs.len(), 2, "{grown}");
    assert!(mine.iter().all(|id| !theirs.contains(id)));
    assert!(
        grown["tokens"][&theirs[0]].as_u64().unwrap()
            > first["tokens"][&theirs[0]].as_u64().unwrap()
    );
    let left = Instant::now();
    one.signal("TERM");
    assert_eq!(one.wait(), Some(0));
    assert_eq!(ids_of(&two.next_json()), ["a", "b", "c", "d"]);
    println!(
        "grctl assign: the leaver's ids moved {} ms after SIGTERM",
        left.elapsed().as_millis()
    );
}
