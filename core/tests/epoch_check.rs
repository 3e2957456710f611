//! The epoch check (lua/reap.lua) is made in full once per load of the function library and
//! then only compares the epoch record's fields that a change of epoch or grace touches.
//! What makes it safe is that every way the library's code can come to run anew — a
//! restart, FUNCTION FLUSH and the reload that follows, DEBUG RELOAD, a fail-over and back
//! — starts with nothing checked, or finds a record that differs. These tests make the
//! reloads happen (a restart, being another process, is in core/tests/faults.rs and restart*.rs).
//! A field no change of epoch rewrites by itself (`token_base`, set here by hand to
//! a value far above every token) tells the two apart: the full check reads it, a call
//! that finds the record as checked does not.

mod common;

use common::*;
use group_redis::Connector;

/// Grants one lock+release pair of `name` and returns its token.
async fn token_of(c: &Connector, name: &str) -> u64 {
    let token = c.lock(name).await.unwrap().expect("granted");
    assert!(c.release(name).await.unwrap());
    token
}

/// Writes `token_base` into the group's epoch record behind the library's back.
fn set_token_base(server: &RedisServer, group: &str, base: u64) {
    let keys = group_redis::keys::Keys::new(group);
    let _: i64 = raw_command(
        server,
        &["HSET", &keys.epoch(), "token_base", &base.to_string()],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_full_epoch_check_runs_again_after_function_flush_and_debug_reload() {
    let server = RedisServer::start();
    let group = unique_group("epoch-check");
    let c = connect(&server, &group, "a").await;
    let first = token_of(&c, "L").await;

    // Within one library load the record is not read in full again: the hand-written
    // token_base is not seen (this is what the check saves on every call).
    let base = first + 1_000_000_000;
    set_token_base(&server, &group, base);
    let same_load = token_of(&c, "L").await;
    assert!(
        same_load < base,
        "a call that finds the record as checked skips the full check ({same_load})"
    );

    // FUNCTION FLUSH: the connector loads the library again, which checks in full.
    let _: String = raw_command(&server, &["FUNCTION", "FLUSH"]);
    let reloaded = token_of(&c, "L").await;
    assert!(
        reloaded >= base,
        "after FUNCTION FLUSH the full check read the record ({reloaded} < {base})"
    );

    // DEBUG RELOAD: the server saves, empties itself and loads the RDB (functions too) in
    // the same process.
    let base = reloaded + 1_000_000_000;
    set_token_base(&server, &group, base);
    assert!(token_of(&c, "L").await < base);
    let _: String = raw_command(&server, &["DEBUG", "RELOAD"]);
    let after_reload = token_of(&c, "L").await;
    assert!(
        after_reload >= base,
        "after DEBUG RELOAD the full check read the record ({after_reload} < {base})"
    );
    c.close().await.unwrap();
}
