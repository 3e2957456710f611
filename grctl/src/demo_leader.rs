//! The demo's leader section: members campaign for one leadership and share ids through an
//! assignment topic; the leader runs in a child process (`grctl demo-member`, hidden) and
//! is killed with SIGKILL; the demo prints the next leader with its larger token and the ids
//! that moved off the dead leader.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use group_redis::blocking::{Assignment, Connector, Leadership, Subscription};
use group_redis::{Config, LeaderView};

use crate::commands::{connect, CmdResult};
use crate::exit::Failure;

pub const ELECTION: &str = "scheduler";
pub const TOPIC: &str = "jobs";
const LEADER_LEASE_MS: u64 = 1500;
const PATIENCE: Duration = Duration::from_secs(30);

/// The ids the members share.
pub fn ids() -> Vec<String> {
    (1..=8).map(|i| format!("job-{i}")).collect()
}

/// `grctl demo-member NAME`: the demo's child process. Joins, campaigns for the demo's
/// leadership and takes part in its assignment topic; prints one line once it leads, then
/// stays until its stdin closes (or it is killed).
pub fn member(config: Config) -> CmdResult {
    let c = connect(config)?;
    c.join(None, None).map_err(text)?;
    let leadership = c.elect(ELECTION).map_err(text)?;
    let _assignment = c.assignments(TOPIC, &ids(), None).map_err(text)?;
    let deadline = Instant::now() + PATIENCE;
    while !leadership.is_leader() {
        if Instant::now() > deadline {
            return Err(Failure::from("not elected"));
        }
        thread::sleep(Duration::from_millis(10));
    }
    println!("leading");
    // Until the demo closes the pipe (it normally kills this process first).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(())
}

/// Starts the leader in a child process and waits until it leads.
fn start_leader(url: &str, group: &str) -> Result<Child, Failure> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--url", url, "--group", group, "demo-member", "erin"])
        .args(["--session-timeout", &LEADER_LEASE_MS.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start erin: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout from erin")?)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if line.trim() != "leading" {
        let _ = child.kill();
        return Err(Failure::from("erin did not become leader"));
    }
    Ok(child)
}

/// Who owns which id, read from every share (`erin` from what the others do not own).
fn owners(assignments: &[(String, Assignment)]) -> BTreeMap<String, String> {
    let mut owners = BTreeMap::new();
    for (member, assignment) in assignments {
        for id in assignment.share().ids {
            owners.insert(id, member.clone());
        }
    }
    owners
}

fn shares_line(owners: &BTreeMap<String, String>) -> String {
    let mut by_member: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (id, member) in owners {
        by_member.entry(member).or_default().push(id);
    }
    by_member
        .iter()
        .map(|(member, ids)| format!("{member} [{}]", ids.join(" ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Waits until the shares of `assignments` cover every id, balanced. While erin lives, the
/// ids the in-process members do not own are counted as hers (her process only says it
/// leads; the share sizes, balanced over four, are what tells the split is done).
fn settled(
    assignments: &[(String, Assignment)],
    erin_alive: bool,
) -> Result<BTreeMap<String, String>, Failure> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut seen = owners(assignments);
        if erin_alive {
            for id in ids() {
                seen.entry(id).or_insert_with(|| "erin".into());
            }
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for member in seen.values() {
            *counts.entry(member).or_default() += 1;
        }
        let parties = assignments.len() + usize::from(erin_alive);
        let balanced = counts.len() == parties
            && counts.values().max().unwrap_or(&0) - counts.values().min().unwrap_or(&0) <= 1;
        if seen.len() == ids().len() && balanced {
            return Ok(seen);
        }
        if Instant::now() > deadline {
            return Err(Failure::from("the ids were not shared out within 30 s"));
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn next_view(views: &mut Subscription<LeaderView>) -> Result<LeaderView, Failure> {
    views
        .recv_timeout(Some(PATIENCE))
        .map_err(text)?
        .ok_or_else(|| Failure::from("no leader change within 30 s"))
}

fn leader_line(view: &LeaderView) -> String {
    match (&view.leader, view.token) {
        (Some(leader), Some(token)) => format!("{leader} leads \"{ELECTION}\" with token {token}"),
        _ => format!("nobody leads \"{ELECTION}\""),
    }
}

/// The section itself, with the demo's in-process members and watcher.
pub fn run(url: &str, group: &str, members: &[Arc<Connector>], watcher: &Connector) -> CmdResult {
    say(&format!(
        "\n== leader election and assignments: erin (another process, lease {LEADER_LEASE_MS} ms) \
         leads \"{ELECTION}\"; {} ids are shared out over \"{TOPIC}\"",
        ids().len()
    ));
    let mut views = watcher.observe_leader(ELECTION).map_err(text)?;
    let mut erin = start_leader(url, group)?;
    let mut view = views.snapshot().clone();
    while view.leader.as_deref() != Some("erin") {
        view = next_view(&mut views)?;
    }
    say(&format!("  [leader] {}", leader_line(&view)));
    let first_token = view.token.unwrap_or_default();

    let mut campaigns: Vec<Leadership> = Vec::new();
    let mut assignments = Vec::new();
    for member in members {
        let id = member.config().member_id().to_string();
        campaigns.push(member.elect(ELECTION).map_err(text)?);
        assignments.push((id, member.assignments(TOPIC, &ids(), None).map_err(text)?));
    }
    say("  alice, bob and carol campaign too, and take part in the assignment");
    let before = settled(&assignments, true)?;
    say(&format!("  shares: {}", shares_line(&before)));

    say("\n== kill -9 erin, the leader");
    let killed = Instant::now();
    erin.kill().map_err(|e| e.to_string())?;
    let _ = erin.wait();
    let next = loop {
        let view = next_view(&mut views)?;
        say(&format!(
            "  [leader] {} ({} ms after the kill)",
            leader_line(&view),
            killed.elapsed().as_millis()
        ));
        if view.leader.is_some() {
            break view;
        }
    };
    let token = next.token.unwrap_or_default();
    if token <= first_token {
        return Err(Failure::from("the new leader's token is not larger"));
    }
    say(&format!(
        "  the new term's token is larger: {token} > {first_token}"
    ));
    let after = settled(&assignments, false)?;
    let moved: Vec<String> = before
        .iter()
        .filter(|(id, owner)| after.get(*id) != Some(*owner))
        .map(|(id, owner)| format!("{id} {owner} -> {}", after[id]))
        .collect();
    say(&format!(
        "  ids moved ({} ms after the kill): {}",
        killed.elapsed().as_millis(),
        moved.join(", ")
    ));
    say(&format!("  shares: {}", shares_line(&after)));

    for (_, assignment) in &assignments {
        assignment.close().map_err(text)?;
    }
    for leadership in &campaigns {
        leadership.resign().map_err(text)?;
    }
    Ok(())
}

fn say(line: &str) {
    println!("{line}");
}

fn text(err: group_redis::Error) -> Failure {
    Failure::from(err.to_string())
}
