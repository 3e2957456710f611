//! grctl as a user runs it: JSON lines out, one exit code per kind of outcome (0 ok, 1
//! other failure, 2 usage or bad input, 3 not found, 4 lock not acquired, 5 Redis
//! unreachable, 6 Redis refused the login), one clear message on stderr.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use gr_test_harness::RedisServer;
use group_redis::Value;

fn grctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grctl"))
        .args(args)
        .env_remove("REDIS_URL")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A grctl process that stays (join, watch), killed when dropped.
struct Running {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    fn spawn(args: &[&str]) -> Running {
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
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
fn unreachable_redis_exits_5_with_one_line() {
    let port = gr_test_harness::free_port().unwrap();
    let url = format!("redis://u:topsecret@127.0.0.1:{port}");
    let out = grctl(&["--url", &url, "members"]);
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot reach Redis"), "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
    assert!(!stderr.contains("topsecret"), "{stderr}");
}

#[test]
fn a_refused_login_exits_6_and_says_which_refusal() {
    let server = RedisServer::start();
    let admin = redis::Client::open(server.url()).unwrap();
    let mut admin = admin.get_connection().unwrap();
    redis::cmd("CONFIG")
        .arg(&["SET", "requirepass", "right-one"])
        .query::<()>(&mut admin)
        .unwrap();
    let with_password = |password: &str| format!("redis://:{password}@127.0.0.1:{}", server.port());

    let wrong = grctl(&["--url", &with_password("wrong-one"), "members"]);
    assert_eq!(wrong.status.code(), Some(6), "{}", stderr(&wrong));
    assert!(stderr(&wrong).contains("WRONGPASS"), "{}", stderr(&wrong));
    assert!(
        !stderr(&wrong).contains("cannot reach"),
        "{}",
        stderr(&wrong)
    );
    assert!(!stderr(&wrong).contains("wrong-one"), "{}", stderr(&wrong));

    let missing = grctl(&["--url", &server.url(), "members"]);
    assert_eq!(missing.status.code(), Some(6), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("NOAUTH"), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("needs a password"),
        "{}",
        stderr(&missing)
    );

    let right = grctl(&["--url", &with_password("right-one"), "members"]);
    assert_eq!(right.status.code(), Some(0), "{}", stderr(&right));
}

#[test]
fn bad_json_exits_2_showing_the_input_where_it_failed_and_a_quoting_hint() {
    let server = RedisServer::start();
    let url = server.url();
    // What `grctl set p {"x":1}` without single quotes hands grctl: the shell ate the quotes.
    let out = grctl(&["--url", &url, "set", "p", "{x:1}"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("\"p\" is not valid JSON"), "{text}");
    assert!(lines[0].contains("line 1 column 2"), "{text}");
    assert_eq!(lines[1], "  {x:1}", "{text}");
    assert_eq!(lines[2], "   ^", "{text}");
    assert!(lines[3].contains("single quotes"), "{text}");

    // A bare word: a JSON string needs its own quotes.
    let out = grctl(&["--url", &url, "set", "p", "hello"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(r#"'"text"'"#), "{}", stderr(&out));

    let out = grctl(&["--url", &url, "join", "n", "--payload", ""]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--payload is not valid JSON"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("empty"), "{}", stderr(&out));

    let out = grctl(&["--url", &url, "join", "n", "--ephemeral", "k=[1,"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--ephemeral value for \"k\""),
        "{}",
        stderr(&out)
    );

    // Nothing was written.
    let out = grctl(&["--url", &url, "get", "p"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn a_missing_key_exits_3_and_a_stored_null_prints_null() {
    let server = RedisServer::start();
    let url = server.url();
    let missing = grctl(&["--url", &url, "--group", "g1", "get", "cfg/none"]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(missing.stdout.is_empty());
    assert_eq!(
        stderr(&missing).trim(),
        r#"grctl: no persistent value at "cfg/none" in group "g1""#
    );

    assert!(
        grctl(&["--url", &url, "--group", "g1", "set", "cfg/null", "null"])
            .status
            .success()
    );
    let null = grctl(&["--url", &url, "--group", "g1", "get", "cfg/null"]);
    assert_eq!(null.status.code(), Some(0), "{}", stderr(&null));
    assert_eq!(String::from_utf8_lossy(&null.stdout), "null\n");
}

#[test]
fn a_lock_not_acquired_exits_4() {
    let server = RedisServer::start();
    let url = server.url();
    let mut holder = Running::spawn(&["--url", &url, "join", "holder", "--lock", "job"]);
    let joined = holder.next_json();
    assert!(joined["locks"]["job"].as_u64().is_some(), "{joined}");

    let out = grctl(&["--url", &url, "lock", "job", "--wait", "200"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        json_lines(&out),
        vec![serde_json::json!({"acquired": false, "token": null})]
    );
    assert!(stderr(&out).contains(r#"lock "job" not acquired within 200 ms"#));
}

/// `release` frees a stuck holder's lock for the next process, whose token is larger;
/// a free lock exits 3.
#[test]
fn release_frees_a_lock_whoever_holds_it_and_exits_3_when_free() {
    let server = RedisServer::start();
    let url = server.url();
    let mut holder = Running::spawn(&["--url", &url, "join", "stuck", "--lock", "job"]);
    let joined = holder.next_json();
    let held_token = joined["locks"]["job"]
        .as_u64()
        .expect("holder has the lock");

    let out = grctl(&["--url", &url, "release", "job"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let freed = &json_lines(&out)[0];
    assert_eq!(freed["released"], true);
    assert_eq!(freed["member"], "stuck");
    assert_eq!(freed["token"].as_u64(), Some(held_token));
    assert_eq!(freed["session"], joined["session"], "{freed} vs {joined}");

    let next = grctl(&["--url", &url, "lock", "job"]);
    assert_eq!(next.status.code(), Some(0), "{}", stderr(&next));
    let token = json_lines(&next)[0]["token"].as_u64().unwrap();
    assert!(
        token > held_token,
        "fencing token grows: {held_token} then {token}"
    );

    let again = grctl(&["--url", &url, "release", "job"]);
    assert_eq!(again.status.code(), Some(3), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(r#"lock "job" in group"#),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("is not held"));
}

#[test]
fn members_and_ephemeral_keys_as_another_process_sees_them() {
    let server = RedisServer::start();
    let url = server.url();
    let mut member = Running::spawn(&[
        "--url",
        &url,
        "--group",
        "eph",
        "join",
        "svc-1",
        "--ephemeral",
        r#"svc/addr="10.0.0.1:80""#,
        "--ephemeral",
        "svc/spare=null",
    ]);
    let joined = member.next_json();
    let run = |args: &[&str]| {
        let all: Vec<&str> = ["--url", url.as_str(), "--group", "eph"]
            .iter()
            .chain(args)
            .copied()
            .collect();
        grctl(&all)
    };

    // members shows the session, as watch does.
    let members = json_lines(&run(&["members"]));
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["id"], "svc-1");
    assert_eq!(members[0]["session"], joined["session"]);
    assert_eq!(
        members[0]["online"], true,
        "the online flag: {}",
        members[0]
    );
    assert!(
        members[0].get("payload").is_some(),
        "the payload: {}",
        members[0]
    );

    let addr = run(&["ephemeral", "get", "svc/addr"]);
    assert_eq!(addr.status.code(), Some(0), "{}", stderr(&addr));
    assert_eq!(json_lines(&addr), vec![Value::from("10.0.0.1:80")]);
    let spare = run(&["eph", "get", "svc/spare"]);
    assert_eq!(String::from_utf8_lossy(&spare.stdout), "null\n");
    let none = run(&["eph", "get", "svc/none"]);
    assert_eq!(none.status.code(), Some(3));
    assert!(stderr(&none).contains(r#"no ephemeral key "svc/none""#));

    let listed = json_lines(&run(&["ephemeral", "ls", "svc/"]));
    assert_eq!(
        listed,
        vec![
            serde_json::json!({"key": "svc/addr", "value": "10.0.0.1:80"}),
            serde_json::json!({"key": "svc/spare", "value": null}),
        ]
    );
    drop(member);
}

#[test]
fn verbose_prints_timestamped_steps_on_stderr_only() {
    let server = RedisServer::start();
    let out = grctl(&["--url", &server.url(), "--verbose", "lock", "job"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out).len(), 1, "stdout keeps only the JSON line");
    let text = stderr(&out);
    assert!(text.lines().count() >= 4, "{text}");
    for line in text.lines() {
        let (stamp, rest) = line.split_once(' ').unwrap();
        humantime::parse_rfc3339(stamp).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(rest.starts_with("grctl: "), "{line}");
    }
    assert!(text.contains("connecting to redis://127.0.0.1:"), "{text}");
    assert!(text.contains("acquired with fencing token"), "{text}");
    assert!(grctl(&["--url", &server.url(), "lock", "job"])
        .stderr
        .is_empty());
}

#[test]
fn help_lists_the_exit_codes() {
    let out = grctl(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for code in ["3  not found", "4  lock not acquired", "6  Redis refused"] {
        assert!(text.contains(code), "{text}");
    }
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
    assert_eq!(run(&["del", "cfg/a"])[0]["deleted"], false);
    let gone = grctl(&["--url", &url, "--group", "cli", "get", "cfg/a"]);
    assert_eq!(gone.status.code(), Some(3));
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
    // Plain words, not Rust debug text.
    assert!(stdout.contains("dave/address = 10.0.0.4:7004"), "{stdout}");
    assert!(stdout.contains("alice takes dave-work: token "), "{stdout}");
    // The leader in a child process dies: a new leader with a larger token, its ids move.
    assert!(
        stdout.contains("[leader] erin leads \"scheduler\" with token "),
        "{stdout}"
    );
    assert!(
        stdout.contains("the new term's token is larger: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("ids moved (") && stdout.contains(" erin -> "),
        "{stdout}"
    );
    for debug in ["Some(", "None", "String(", "[\"", "\"default\""] {
        assert!(!stdout.contains(debug), "{debug} in {stdout}");
    }
    // It ran on a server of its own, which is gone once the demo has finished.
    let started = "started an embedded redis-server at redis://127.0.0.1:";
    let port: u16 = stdout
        .split_once(started)
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no embedded server announced in {stdout}"));
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the demo's redis-server on port {port} outlived it"
    );
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

/// `holder` prints who holds a lock (the holding process's member, session and token) to
/// any other process, and exits 3 once it is free.
#[test]
fn holder_prints_who_holds_a_lock_and_exits_3_when_free() {
    let server = RedisServer::start();
    let url = server.url();
    let out = grctl(&["--url", &url, "holder", "job"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(r#"lock "job" in group"#),
        "{}",
        stderr(&out)
    );

    let mut holder = Running::spawn(&["--url", &url, "join", "keeper", "--lock", "job"]);
    let joined = holder.next_json();
    let token = joined["locks"]["job"]
        .as_u64()
        .expect("keeper has the lock");
    let out = grctl(&["--url", &url, "holder", "job"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json_lines(&out),
        vec![serde_json::json!({"member": "keeper", "session": joined["session"], "token": token})]
    );

    assert_eq!(
        grctl(&["--url", &url, "release", "job"]).status.code(),
        Some(0)
    );
    let out = grctl(&["--url", &url, "holder", "job"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn status_shows_members_and_locks_with_holder_and_token() {
    let server = RedisServer::start();
    let url = server.url();
    let mut holder = Running::spawn(&[
        "--url",
        &url,
        "--group",
        "glance",
        "join",
        "keeper",
        "--payload",
        r#"{"port":80}"#,
        "--lock",
        "job",
    ]);
    let joined = holder.next_json();
    let status = grctl(&["--url", &url, "--group", "glance", "status"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let lines = json_lines(&status);
    assert_eq!(lines.len(), 1, "one line: {lines:?}");
    let status = &lines[0];
    assert_eq!(status["group"], "glance");
    let members = status["members"].as_array().unwrap();
    assert_eq!(members.len(), 1, "{status}");
    assert_eq!(members[0]["id"], "keeper");
    assert_eq!(members[0]["online"], true);
    assert_eq!(members[0]["payload"], serde_json::json!({"port": 80}));
    let locks = status["locks"].as_array().unwrap();
    assert_eq!(locks.len(), 1, "{status}");
    assert_eq!(locks[0]["name"], "job");
    assert_eq!(locks[0]["holder"]["member"], "keeper");
    assert_eq!(locks[0]["holder"]["session"], joined["session"]);
    assert_eq!(
        locks[0]["holder"]["token"], joined["locks"]["job"],
        "{status}"
    );
}

/// `--tls-ca` trusts a private CA for rediss:// URLs; without it the TLS handshake fails
/// (unreachable), and a file that cannot be read is bad input.
#[test]
fn tls_ca_lets_grctl_reach_a_server_with_a_private_ca() {
    let (server, ca) = RedisServer::start_tls();
    let url = server.url();
    assert!(url.starts_with("rediss://"), "{url}");
    let dir = std::env::temp_dir().join(format!("grctl-tls-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let ca_path = ca_file.to_str().unwrap();

    let set = grctl(&[
        "--url",
        &url,
        "--tls-ca",
        ca_path,
        "set",
        "cfg/a",
        r#"{"x":1}"#,
    ]);
    assert!(set.status.success(), "{}", stderr(&set));
    let get = grctl(&["--url", &url, "--tls-ca", ca_path, "get", "cfg/a"]);
    assert!(get.status.success(), "{}", stderr(&get));
    assert_eq!(json_lines(&get), vec![serde_json::json!({"x": 1})]);

    let untrusted = grctl(&["--url", &url, "get", "cfg/a"]);
    assert_eq!(untrusted.status.code(), Some(5), "{}", stderr(&untrusted));
    let missing = grctl(&[
        "--url",
        &url,
        "--tls-ca",
        "/nonexistent/ca.pem",
        "get",
        "cfg/a",
    ]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("--tls-ca"),
        "{}",
        stderr(&missing)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--wait-replicas` with no replica to confirm the grant: the lock is not acquired (exit
/// 4), the reason is said, and nobody holds it afterwards.
#[test]
fn wait_replicas_without_a_replica_leaves_the_lock_free() {
    let server = RedisServer::start();
    let url = server.url();
    let out = grctl(&[
        "--url",
        &url,
        "--wait-replicas",
        "1",
        "--wait-replicas-timeout",
        "200",
        "lock",
        "job",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        json_lines(&out),
        vec![serde_json::json!({"acquired": false, "token": null})]
    );
    assert!(stderr(&out).contains("replicas"), "{}", stderr(&out));
    let holder = grctl(&["--url", &url, "holder", "job"]);
    assert_eq!(holder.status.code(), Some(3), "{}", stderr(&holder));
}
