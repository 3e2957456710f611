//! Watching data: a snapshot of the keys under a prefix, then one event per change, and
//! resuming later from the last revision seen.
//!
//!     REDIS_URL=redis://127.0.0.1:6379 cargo run -p group-redis --example watch

use group_redis::{json, Config, Connector, DataEventKind, Result};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let seen = run(&url, "example-watch").await?;
    println!("seen: {seen:?}");
    Ok(())
}

/// Runs the example against `url` in `group`; returns the changes it saw as
/// `(path, kind, version)`, first live, then after resuming (core/tests/examples.rs checks
/// them).
pub async fn run(url: &str, group: &str) -> Result<Vec<(String, DataEventKind, u64)>> {
    let writer = Connector::connect(Config::new(url).with_group(group)).await?;
    let watcher = Connector::connect(Config::new(url).with_group(group)).await?;
    writer.persistent_set("config/batch", &json!(100)).await?;

    let mut changes = watcher.watch("config/", None).await?;
    println!("snapshot: {:?}", changes.snapshot());
    let mut seen = Vec::new();
    writer.persistent_set("config/batch", &json!(200)).await?;
    writer.persistent_del("config/batch").await?;
    let mut last_revision = changes.snapshot().revision;
    while seen.len() < 2 {
        let Some(change) = changes.next().await else {
            break;
        };
        println!(
            "{} {:?} {} (version {}, revision {})",
            change.path, change.kind, change.value, change.version, change.revision
        );
        last_revision = change.revision;
        seen.push((change.path, change.kind, change.version));
    }
    drop(changes);

    // Away for a while; on return, every change after the last revision seen.
    writer.persistent_set("config/batch", &json!(300)).await?;
    let mut resumed = watcher.watch("config/", Some(last_revision)).await?;
    if let Some(change) = resumed.next().await {
        println!(
            "resumed: {} {:?} {}",
            change.path, change.kind, change.value
        );
        seen.push((change.path, change.kind, change.version));
    }
    writer.close().await?;
    watcher.close().await?;
    Ok(seen)
}
