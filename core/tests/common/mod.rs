//! Shared test helpers: a harness-started redis-server and fast-lease configs.
#![allow(dead_code)]

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
