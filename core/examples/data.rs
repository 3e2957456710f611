//! Ephemeral data (gone with its owner's session) and persistent data (stays), with
//! versions and compare-and-set.
//!
//!     REDIS_URL=redis://127.0.0.1:6379 cargo run -p group-redis --example data

use group_redis::{json, Config, Connector, Result, Value};

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let after = run(&url, "example-data").await?;
    println!("after its owner closed, the address is {after:?}");
    Ok(())
}

/// Runs the example against `url` in `group`; returns the ephemeral value another
/// connector sees after its owner closed (`None`: core/tests/examples.rs checks it).
pub async fn run(url: &str, group: &str) -> Result<Option<Value>> {
    let owner = Connector::connect(Config::new(url).with_group(group)).await?;
    let observer = Connector::connect(Config::new(url).with_group(group)).await?;

    owner
        .ephemeral_set("leader/address", &json!("10.0.0.5:8080"))
        .await?;
    println!(
        "ephemeral: {:?}",
        observer.ephemeral_get("leader/address").await?
    );

    // Persistent values carry a version; compare-and-set writes only over the version read.
    let version = owner
        .persistent_set("config/batch", &json!({"size": 100}))
        .await?;
    let raced = observer
        .persistent_set("config/batch", &json!({"size": 50}))
        .await?;
    let cas = owner
        .persistent_cas("config/batch", version, &json!({"size": 200}))
        .await?;
    println!("versions {version} then {raced}; cas over {version}: {cas:?} (None: written since)");
    for entry in observer.persistent_list("config/").await? {
        println!(
            "{} = {} (version {})",
            entry.path, entry.value, entry.version
        );
    }
    observer.persistent_del("config/batch").await?;

    owner.close().await?; // its session ends: its ephemeral keys go with it
    let after = observer.ephemeral_get("leader/address").await?;
    observer.close().await?;
    Ok(after)
}
