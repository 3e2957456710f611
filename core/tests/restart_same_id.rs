//! A process restarted with a stable member id joins as soon as its old session's lease has
//! run out, even though a connector that has just started does not yet trust the old
//! session's deadline (the clock-step rule): real processes, the old one frozen (SIGSTOP).
//! A live holder still gives MemberExists.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const MEMBER: &str = "stable-id";

/// A member process: joins as MEMBER with a 1 s lease and prints `JOINED <ms waited>` or
/// `EXISTS <ms waited>` (MemberExists), then stays until killed.
#[test]
#[ignore]
fn member_child() {
    let url = std::env::var("GR_RS_URL").unwrap();
    let group = std::env::var("GR_RS_GROUP").unwrap();
    let config = group_redis::Config::new(url)
        .with_group(group)
        .with_member_id(MEMBER)
        .with_session_timeout(Duration::from_millis(1000))
        .with_heartbeat(Duration::from_millis(250));
    let c = group_redis::blocking::Connector::connect(config).unwrap();
    let start = Instant::now();
    let verdict = match c.join(None, None) {
        Ok(_) => "JOINED",
        Err(group_redis::Error::MemberExists(_)) => "EXISTS",
        Err(err) => panic!("join failed: {err}"),
    };
    let mut out = std::io::stdout();
    writeln!(out, "{verdict} {}", start.elapsed().as_millis()).unwrap();
    out.flush().unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

struct Member {
    child: Child,
    lines: std::io::Lines<BufReader<ChildStdout>>,
}

impl Member {
    fn spawn(server: &RedisServer, group: &str) -> Member {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "member_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GR_RS_URL", server.url())
            .env("GR_RS_GROUP", group)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Member { child, lines }
    }

    /// The verdict line (`JOINED ms` / `EXISTS ms`) as (verdict, ms).
    fn verdict(&mut self) -> (String, u64) {
        for line in self.lines.by_ref().map_while(|l| l.ok()) {
            // The test harness prints `test member_child ... ` before it on the same line.
            let words: Vec<&str> = line.split_whitespace().collect();
            if let [.., verdict, ms] = words.as_slice() {
                if *verdict == "JOINED" || *verdict == "EXISTS" {
                    return (verdict.to_string(), ms.parse().unwrap());
                }
            }
        }
        panic!("the member process ended without a verdict");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_restarted_process_joins_once_the_frozen_holders_lease_ran_out() {
    let server = RedisServer::start();
    let group = unique_group("restart");
    let mut old = Member::spawn(&server, &group);
    assert_eq!(old.verdict().0, "JOINED");
    old.signal("STOP");
    let frozen_at = Instant::now();
    std::thread::sleep(Duration::from_millis(1500));
    let mut new = Member::spawn(&server, &group);
    let (verdict, waited) = new.verdict();
    println!(
        "restarted member: {verdict} after waiting {waited} ms in join ({} ms after the freeze)",
        frozen_at.elapsed().as_millis()
    );
    assert_eq!(verdict, "JOINED", "the frozen holder's lease had run out");
    // It waited for the old session's end, no longer than one lease (1 s) and the slack.
    assert!(waited < 1100 + 500, "join waited {waited} ms");
    let rows: Vec<String> = raw_command(&server, &["HVALS", &format!("gr:{{{group}}}:members")]);
    assert_eq!(rows.len(), 1, "one record for the id: {rows:?}");
    old.signal("CONT");
}

#[test]
fn a_live_holder_still_gives_member_exists() {
    let server = RedisServer::start();
    let group = unique_group("restart-live");
    let mut old = Member::spawn(&server, &group);
    assert_eq!(old.verdict().0, "JOINED");
    std::thread::sleep(Duration::from_millis(1500));
    let mut new = Member::spawn(&server, &group);
    let (verdict, waited) = new.verdict();
    println!("second process with a live holder: {verdict} after {waited} ms");
    assert_eq!(verdict, "EXISTS");
}
