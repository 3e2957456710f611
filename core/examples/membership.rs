//! Connect, join, watch the group: a second member joins and leaves, and the first sees
//! both events.
//!
//!     REDIS_URL=redis://127.0.0.1:6379 cargo run -p group-redis --example membership

use group_redis::{json, Config, Connector, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let seen = run(&url, "example-membership").await?;
    println!("member ids seen: {seen:?}");
    Ok(())
}

/// Runs the example against `url` in `group`; returns the ids `members()` listed while both
/// members were in the group (core/tests/examples.rs checks them).
pub async fn run(url: &str, group: &str) -> Result<Vec<String>> {
    let web = Connector::connect(Config::new(url).with_group(group)).await?;
    // No id given: the member is <hostname>-<pid>.
    let me = web.join(None, Some(json!({"port": 8080}))).await?;
    println!("joined as {}", me.id);

    // The subscription starts from a snapshot; events follow it in order.
    let mut events = web.subscribe_members().await?;
    println!("snapshot: {:?}", ids(events.snapshot()));

    let worker = Connector::connect(Config::new(url).with_group(group)).await?;
    worker.join(Some("worker-1"), None).await?;
    let seen = ids(&web.members().await?);
    println!("members: {seen:?}");

    worker.close().await?; // leaves now, without waiting for the lease to run out
    while let Some(event) = events.next().await {
        for member in &event.joined_members {
            println!("{} joined", member.id);
        }
        for member in &event.left_members {
            println!("{} left ({:?})", member.id, event.reason);
        }
        if event.left_members.iter().any(|m| m.id == "worker-1") {
            break;
        }
    }
    web.close().await?;
    Ok(seen)
}

fn ids(members: &[group_redis::Member]) -> Vec<String> {
    members.iter().map(|m| m.id.clone()).collect()
}
