//! The protocol runs as a Redis function library where the server has functions, and as
//! plain scripts where it does not (or the ACL forbids them), with the same results; a
//! library that vanished (FUNCTION FLUSH, a restart without persistence) is loaded again
//! by the next call, without an error to the caller.

mod common;

use common::*;
use group_redis::{blocking, Config, Connector};

fn library_names(server: &RedisServer) -> Vec<String> {
    let libraries: redis::Value = raw_command(server, &["FUNCTION", "LIST"]);
    let text = format!("{libraries:?}");
    text.split('"')
        // Library names are group_redis_<16 hex>; function names add _<operation>.
        .filter(|part| part.starts_with("group_redis_") && part.len() == 28)
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_run_as_functions_and_survive_a_flush() {
    let server = RedisServer::start();
    let group = unique_group("functions");
    let a = connect(&server, &group, "a").await;
    let before_eval = command_calls(&server, "evalsha") + command_calls(&server, "eval");
    let first = a.lock("job").await.unwrap().expect("free lock");
    assert!(a.release("job").await.unwrap());
    assert_eq!(
        command_calls(&server, "evalsha") + command_calls(&server, "eval"),
        before_eval,
        "no script calls once the library is loaded"
    );
    assert!(
        command_calls(&server, "fcall") >= 3,
        "connect, lock, release"
    );
    assert_eq!(
        library_names(&server).len(),
        1,
        "one library per code version"
    );

    let _: String = raw_command(&server, &["FUNCTION", "FLUSH"]);
    assert!(library_names(&server).is_empty());
    let second = a.lock("job").await.unwrap().expect("still free");
    assert!(second > first, "tokens grow: {first} then {second}");
    assert_eq!(library_names(&server).len(), 1, "loaded again on first use");

    a.close().await.unwrap();
}

/// A blocking caller (C, Python, Java) goes the same way on its own pooled connection.
#[test]
fn blocking_callers_load_the_library_again_too() {
    let server = RedisServer::start();
    let group = unique_group("functions-blocking");
    let a = blocking::Connector::connect(config(&server, &group, "a")).unwrap();
    let first = a.lock("job").unwrap().expect("free lock");
    let _: String = raw_command(&server, &["FUNCTION", "FLUSH"]);
    let b = blocking::Connector::connect(config(&server, &group, "b")).unwrap();
    assert_eq!(b.lock("job").unwrap(), None, "a holds it");
    let _: String = raw_command(&server, &["FUNCTION", "FLUSH"]);
    assert!(a.release("job").unwrap());
    let second = b.lock("job").unwrap().expect("free again");
    assert!(second > first, "tokens grow: {first} then {second}");
    assert_eq!(library_names(&server).len(), 1);
    b.close().unwrap();
    a.close().unwrap();
}

/// A user whose ACL allows scripts but not functions (as on a managed Redis that blocks
/// FUNCTION) gets the same behaviour through EVALSHA.
#[tokio::test(flavor = "multi_thread")]
async fn without_functions_the_scripts_do_the_same() {
    let server = RedisServer::start();
    let _: String = raw_command(
        &server,
        &[
            "ACL",
            "SETUSER",
            "scripts-only",
            "on",
            ">secret",
            "~*",
            "&*",
            "+@all",
            "-fcall",
            "-function",
        ],
    );
    let url = format!("redis://scripts-only:secret@127.0.0.1:{}", server.port());
    let group = unique_group("no-functions");
    let limited = Connector::connect(Config::new(url).with_group(&group).with_member_id("s"))
        .await
        .expect("connects without functions");
    let full = connect(&server, &group, "f").await;
    let first = limited.lock("job").await.unwrap().expect("free lock");
    assert_eq!(
        full.lock("job").await.unwrap(),
        None,
        "one holder, either way"
    );
    assert!(limited.release("job").await.unwrap());
    let second = full.lock("job").await.unwrap().expect("free again");
    assert!(second > first, "one token sequence: {first} then {second}");
    assert!(
        command_calls(&server, "evalsha") > 0,
        "the limited user used scripts"
    );
    assert!(
        command_calls(&server, "fcall") > 0,
        "the other used functions"
    );
    // The hand-off to the oldest waiter, both ways: released by a script to a function's
    // waiter, and by a function to a script's waiter.
    let limited = std::sync::Arc::new(limited);
    let full = std::sync::Arc::new(full);
    for (holder, waiter) in [(&limited, &full), (&full, &limited)] {
        holder.lock("queued").await.unwrap().expect("free");
        let w = std::sync::Arc::clone(waiter);
        let waiting = tokio::spawn(async move { w.try_lock("queued", PATIENCE).await });
        eventually("the waiter queued", || async {
            raw_command::<u64>(
                &server,
                &["LLEN", &format!("gr:{{{group}}}:lockwait:queued")],
            ) == 1
        })
        .await;
        assert!(holder.release("queued").await.unwrap());
        let token = waiting.await.unwrap().unwrap().expect("handed over");
        assert_eq!(waiter.held_token("queued").unwrap(), Some(token));
        assert!(waiter.release("queued").await.unwrap());
    }
    limited.join(None, None).await.unwrap();
    let members = full.members().await.unwrap();
    assert!(members.iter().any(|m| m.id == "s"), "{members:?}");
    limited.close().await.unwrap();
    full.close().await.unwrap();
}
