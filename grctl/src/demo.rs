//! `grctl demo`: the README's main job. Several members in this process, a watcher, a lock
//! passing between members with growing fencing tokens, a member in a child process
//! killed with SIGKILL whose ephemeral data and lock vanish when its lease runs out, and a
//! leader in a child process killed the same way: the next leader's token is larger and
//! the dead leader's ids move to the others (crate::demo_leader).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use group_redis::{json, Config, Error, MembershipEvent, Value};

use crate::commands::{connect, CmdResult};
use crate::embedded_redis::EmbeddedRedis;
use crate::exit::Failure;

const CRASH_LEASE_MS: u64 = 1500;

pub fn run(url: Option<String>, group: &str) -> CmdResult {
    let (_server, url) = match url {
        Some(url) => (None, url),
        None => {
            let server = EmbeddedRedis::start().map_err(Failure::from)?;
            let url = server.url();
            say(&format!(
                "started an embedded redis-server at {url} (set REDIS_URL to use yours)"
            ));
            (Some(server), url)
        }
    };
    let config = |member: &str| Config::new(&url).with_group(group).with_member_id(member);

    // A watcher prints every membership event as it happens.
    let watcher = connect(config("watcher"))?;
    let (seen_tx, seen_rx) = mpsc::channel::<MembershipEvent>();
    let (snapshot, _watch) = watcher
        .on_member_event(move |event| {
            describe(&event);
            let _ = seen_tx.send(event);
        })
        .map_err(text)?;
    say(&format!(
        "watching group {group}: {} member(s) now",
        snapshot.len()
    ));

    say("\n== three members join");
    let mut members = Vec::new();
    for (name, port) in [("alice", 7001), ("bob", 7002), ("carol", 7003)] {
        let member = Arc::new(connect(config(name))?);
        member
            .join(None, Some(json!({"host": "10.0.0.1", "port": port})))
            .map_err(text)?;
        wait_for(&seen_rx, |e| e.joined_members.iter().any(|m| m.id == name))?;
        members.push(member);
    }
    let listed: Vec<String> = watcher
        .members()
        .map_err(text)?
        .into_iter()
        .map(|m| format!("{} {}", m.id, m.payload))
        .collect();
    say(&format!("members(): {}", listed.join(", ")));

    say("\n== one lock, three contenders: it passes along, the fencing token only grows");
    let handles: Vec<_> = members
        .iter()
        .map(|member| {
            let member = Arc::clone(member);
            thread::spawn(move || -> Result<Vec<u64>, Failure> {
                let mut tokens = Vec::new();
                for _ in 0..2 {
                    let token = member
                        .try_lock("report", Duration::from_secs(10))
                        .map_err(text)?
                        .ok_or("waited 10 s for the lock")?;
                    say(&format!(
                        "  {:<6} holds \"report\" with fencing token {token}",
                        member.config().member_id()
                    ));
                    tokens.push(token);
                    thread::sleep(Duration::from_millis(30));
                    member.release("report").map_err(text)?;
                }
                Ok(tokens)
            })
        })
        .collect();
    let mut all_tokens = Vec::new();
    for handle in handles {
        all_tokens.extend(handle.join().map_err(|_| "a lock thread panicked")??);
    }
    all_tokens.sort_unstable();
    all_tokens.dedup();
    say(&format!(
        "  {} acquisitions, {} distinct tokens",
        6,
        all_tokens.len()
    ));

    say(&format!(
        "\n== dave runs in another process with an ephemeral key and a lock (lease {CRASH_LEASE_MS} ms)"
    ));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut dave = Command::new(exe)
        .args(["--url", &url, "--group", group, "join", "dave"])
        .args(["--session-timeout", &CRASH_LEASE_MS.to_string()])
        .args(["--ephemeral", "dave/address=\"10.0.0.4:7004\""])
        .args(["--lock", "dave-work"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start dave: {e}"))?;
    let mut first_line = String::new();
    BufReader::new(dave.stdout.take().ok_or("no stdout from dave")?)
        .read_line(&mut first_line)
        .map_err(|e| e.to_string())?;
    wait_for(&seen_rx, |e| {
        e.joined_members.iter().any(|m| m.id == "dave")
    })?;
    say(&format!(
        "  ephemeral keys: {}",
        plain_entries(&watcher.ephemeral_list("dave/").map_err(text)?)
    ));
    say(&format!(
        "  alice tries dave-work: {}",
        plain_lock(members[0].lock("dave-work").map_err(text)?)
    ));

    say("\n== kill -9 dave");
    let killed = Instant::now();
    dave.kill().map_err(|e| e.to_string())?;
    let _ = dave.wait();
    wait_for(&seen_rx, |e| e.left_members.iter().any(|m| m.id == "dave"))?;
    say(&format!(
        "  dave's leave seen {} ms after the kill (lease {CRASH_LEASE_MS} ms)",
        killed.elapsed().as_millis()
    ));
    say(&format!(
        "  ephemeral keys now: {}",
        plain_entries(&watcher.ephemeral_list("dave/").map_err(text)?)
    ));
    let token = members[0].lock("dave-work").map_err(text)?;
    say(&format!("  alice takes dave-work: {}", plain_lock(token)));

    crate::demo_leader::run(&url, group, &members, &watcher)?;

    say("\n== alice leaves, the others close");
    members[0].leave(None).map_err(text)?;
    wait_for(&seen_rx, |e| e.left_members.iter().any(|m| m.id == "alice"))?;
    for member in &members[1..] {
        member.close().map_err(text)?;
        let id = member.config().member_id().to_string();
        wait_for(&seen_rx, |e| e.left_members.iter().any(|m| m.id == id))?;
    }
    members[0].close().map_err(text)?;
    watcher.close().map_err(text)?;
    say("\ndemo finished");
    Ok(())
}

fn say(line: &str) {
    println!("{line}");
}

fn text(err: Error) -> Failure {
    Failure::from(err.to_string())
}

/// A JSON value as a person reads it: a string without its quotes, anything else as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn plain_entries(entries: &[(String, Value)]) -> String {
    if entries.is_empty() {
        return "none".into();
    }
    entries
        .iter()
        .map(|(key, value)| format!("{key} = {}", plain(value)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plain_lock(token: Option<u64>) -> String {
    match token {
        Some(token) => format!("token {token}"),
        None => "not acquired (another session holds it)".into(),
    }
}

fn describe(event: &MembershipEvent) {
    for m in &event.joined_members {
        say(&format!(
            "  [event] joined: {} (sub-groups {})",
            m.id,
            m.sub_groups.join(", ")
        ));
    }
    for m in &event.updated_members {
        say(&format!(
            "  [event] updated: {} payload {}",
            m.id, m.payload
        ));
    }
    for m in &event.left_members {
        // The word `watch` prints for it ("left", "expired", "resync").
        let reason = event.reason.map(|r| plain(&json!(r))).unwrap_or_default();
        say(&format!("  [event] left: {} (reason: {reason})", m.id));
    }
}

fn wait_for(
    events: &mpsc::Receiver<MembershipEvent>,
    wanted: impl Fn(&MembershipEvent) -> bool,
) -> CmdResult {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(event) if wanted(&event) => return Ok(()),
            Ok(_) => {}
            Err(_) => {
                return Err(Failure::from(
                    "the expected membership event did not come within 30 s",
                ))
            }
        }
    }
}
