//! A lock with fencing tokens, from threads without an async runtime (the blocking facade).
//! Two connectors take the lock in turn; a toy storage refuses a write that carries an
//! older token than one it already saw, which is what fencing protects against: a holder
//! that paused past its lease cannot overwrite the newer holder's work.
//!
//!     REDIS_URL=redis://127.0.0.1:6379 cargo run -p group-redis --example fenced_lock

use std::time::Duration;

use group_redis::blocking::Connector;
use group_redis::{Config, Result};

fn main() -> Result<()> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let tokens = run(&url, "example-fenced-lock")?;
    println!("tokens: {tokens:?}");
    Ok(())
}

/// The resource the lock protects: it remembers the highest token it accepted.
#[derive(Default)]
struct Storage {
    highest_token: u64,
}

impl Storage {
    fn write(&mut self, token: u64, what: &str) -> bool {
        if token < self.highest_token {
            println!(
                "storage refuses {what:?}: token {token} is older than {}",
                self.highest_token
            );
            return false;
        }
        self.highest_token = token;
        println!("storage accepts {what:?} with token {token}");
        true
    }
}

/// Runs the example against `url` in `group`; returns the tokens the two acquisitions got
/// (core/tests/examples.rs checks that they grow).
pub fn run(url: &str, group: &str) -> Result<Vec<u64>> {
    let first = Connector::connect(Config::new(url).with_group(group).with_member_id("first"))?;
    let second = Connector::connect(Config::new(url).with_group(group).with_member_id("second"))?;
    let mut storage = Storage::default();

    // try_lock waits up to the bound for a release; None means it was not acquired.
    let Some(old_token) = first.try_lock("report", Duration::from_secs(5))? else {
        return Err(group_redis::Error::Timeout("report was not free".into()));
    };
    storage.write(old_token, "first's report");
    first.release("report")?;

    let Some(new_token) = second.try_lock("report", Duration::from_secs(5))? else {
        return Err(group_redis::Error::Timeout("report was not free".into()));
    };
    println!("second holds report: {}", second.is_held("report")?); // local, no round trip
    storage.write(new_token, "second's report");
    // A late write from the first holder, with the token it had: refused.
    storage.write(old_token, "first's late report");
    second.release("report")?;

    first.close()?;
    second.close()?;
    Ok(vec![old_token, new_token])
}
