//! Shared test helpers: a harness-started redis-server and fast-lease configs.
#![allow(dead_code)]

pub mod failover;

use std::time::{Duration, Instant};

pub use gr_test_harness::RedisServer;
use group_redis::{Config, Connector};

/// Generous bound for anything the tests wait on; waits end as soon as the event is seen.
pub const PATIENCE: Duration = Duration::from_secs(20);

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A group name of its own per test so tests sharing a server do not see each other.
pub fn unique_group(tag: &str) -> String {
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

pub fn config(server: &RedisServer, group: &str, member: &str) -> Config {
    Config::new(server.url())
        .with_group(group)
        .with_member_id(member)
}

/// Member `member` of `group` connecting through `proxy`, with a short command timeout
/// (so a silent network fails calls fast) and a session that outlives a test's trial.
pub fn through_proxy(
    proxy: &gr_test_harness::Proxy,
    group: &str,
    member: &str,
    session: Duration,
) -> Config {
    Config::new(proxy.url())
        .with_group(group)
        .with_member_id(member)
        .with_command_timeout(Duration::from_millis(250))
        .with_session_timeout(session)
}

/// A config with a short lease, for tests about expiry.
pub fn short_lease(server: &RedisServer, group: &str, member: &str, lease_ms: u64) -> Config {
    config(server, group, member)
        .with_session_timeout(Duration::from_millis(lease_ms))
        .with_heartbeat(Duration::from_millis(lease_ms / 4))
}

pub async fn connect(server: &RedisServer, group: &str, member: &str) -> Connector {
    Connector::connect(config(server, group, member))
        .await
        .expect("connect")
}

/// Polls `check` every 10 ms until it holds or PATIENCE runs out.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Runs one raw command on a fresh plain connection (for inspecting the server).
pub fn raw_command<T: redis::FromRedisValue>(server: &RedisServer, args: &[&str]) -> T {
    let mut conn = redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query(&mut conn).unwrap()
}

/// How many times the server has run `command` (as counted by INFO commandstats).
pub fn command_calls(server: &RedisServer, command: &str) -> u64 {
    let info: String = raw_command(server, &["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// How many protocol operations the server has run: each is one FCALL (or one EVALSHA
/// where functions are unavailable).
pub fn script_calls(server: &RedisServer) -> u64 {
    command_calls(server, "fcall") + command_calls(server, "evalsha")
}
