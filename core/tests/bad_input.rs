//! Bad input for every public function: a clear error, nothing lost, never a panic or hang.

mod common;

use std::time::{Duration, Instant};

use common::*;
use group_redis::{blocking, json, Config, Connector, Error, MAX_PAYLOAD_BYTES};

fn is_invalid<T: std::fmt::Debug>(result: group_redis::Result<T>) -> bool {
    matches!(result, Err(Error::InvalidArgument(_)))
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_names_are_refused_everywhere() {
    let server = RedisServer::start();
    let group = unique_group("bad-names");
    let c = connect(&server, &group, "me").await;
    let long = "x".repeat(1025);
    for bad in ["", "nul\0byte", long.as_str()] {
        assert!(is_invalid(c.join(Some(bad), None).await), "join {bad:?}");
        assert!(is_invalid(c.leave(Some(bad)).await));
        assert!(is_invalid(c.update_payload(Some(bad), json!(1)).await));
        assert!(is_invalid(c.add_sub_group(bad).await));
        assert!(is_invalid(c.remove_sub_group(bad).await));
        assert!(is_invalid(c.lock(bad).await));
        assert!(is_invalid(c.lock_as(bad, "ok").await));
        assert!(is_invalid(c.reentrant_lock(bad).await));
        assert!(is_invalid(c.reentrant_lock_as(bad, "ok").await));
        assert!(is_invalid(c.try_lock(bad, Duration::from_millis(1)).await));
        assert!(is_invalid(c.release(bad).await));
        assert!(is_invalid(c.release_as(bad, "ok").await));
        assert!(is_invalid(c.lock_holder(bad).await));
        assert!(is_invalid(c.ephemeral_set(bad, &json!(1)).await));
        assert!(is_invalid(c.ephemeral_get(bad).await));
        assert!(is_invalid(c.ephemeral_del(bad).await));
        assert!(is_invalid(c.persistent_set(bad, &json!(1)).await));
        assert!(is_invalid(c.persistent_get(bad).await));
        assert!(is_invalid(c.persistent_get_versioned(bad).await));
        assert!(is_invalid(c.persistent_del(bad).await));
        assert!(is_invalid(c.persistent_cas(bad, 0, &json!(1)).await));
        assert!(is_invalid(
            c.persistent_set_many(&[("fine".into(), json!(1)), (bad.into(), json!(2))])
                .await
        ));
        assert!(is_invalid(c.is_held(bad)));
        assert!(is_invalid(c.held_token(bad)));
    }
    for bad in ["nul\0byte", long.as_str()] {
        assert!(is_invalid(c.ephemeral_list(bad).await));
        assert!(is_invalid(c.persistent_list(bad).await));
    }
    // The rejected set_many wrote nothing, not even its good half.
    assert_eq!(c.persistent_get("fine").await.unwrap(), None);
    // Nothing was joined by the refused calls.
    assert!(c.members().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_payloads_are_refused() {
    let server = RedisServer::start();
    let c = connect(&server, &unique_group("big"), "me").await;
    let big = json!("y".repeat(MAX_PAYLOAD_BYTES));
    assert!(is_invalid(c.join(None, Some(big)).await));
    assert!(c.members().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_connector_says_closed() {
    let server = RedisServer::start();
    let c = connect(&server, &unique_group("closed"), "me").await;
    c.close().await.unwrap();
    c.close().await.unwrap();
    assert_eq!(c.join(None, None).await.unwrap_err(), Error::Closed);
    assert_eq!(c.members().await.unwrap_err(), Error::Closed);
    assert_eq!(c.lock("x").await.unwrap_err(), Error::Closed);
    assert_eq!(c.release("x").await.unwrap_err(), Error::Closed);
    assert_eq!(c.lock_holder("x").await.unwrap_err(), Error::Closed);
    assert_eq!(c.ephemeral_get("x").await.unwrap_err(), Error::Closed);
    assert_eq!(c.persistent_get("x").await.unwrap_err(), Error::Closed);
    assert!(c.subscribe_members().await.is_err());
    assert_eq!(c.state(), group_redis::ConnectionState::Closed);
    assert!(!c.is_held("x").unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_options_and_urls() {
    let server = RedisServer::start();
    let url = server.url();
    assert!(is_invalid(
        Connector::connect(Config::new(&url).with_group("a{b}")).await
    ));
    assert!(is_invalid(
        Connector::connect(Config::new(&url).with_group("")).await
    ));
    assert!(is_invalid(
        Connector::connect(Config::new(&url).with_member_id("")).await
    ));
    assert!(is_invalid(
        Connector::connect(Config::new(&url).with_session_timeout(Duration::ZERO)).await
    ));
    assert!(is_invalid(
        Connector::connect(Config::new("not a url")).await
    ));
    assert!(is_invalid(
        Connector::connect(Config::new("http://localhost")).await
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_down_is_a_quick_connection_error_without_the_password() {
    let port = gr_test_harness::free_port().unwrap();
    let url = format!("redis://user:hunter2-secret@127.0.0.1:{port}");
    let started = Instant::now();
    let err = Connector::connect(Config::new(&url)).await.err().unwrap();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(!format!("{err:?}").contains("hunter2"));
    assert!(started.elapsed() < PATIENCE, "no hang");
    let config = Config::new(&url);
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn acl_auth_works_and_a_wrong_password_is_not_echoed() {
    let server = RedisServer::start();
    let _: () = raw_command(
        &server,
        &[
            "ACL",
            "SETUSER",
            "app",
            "on",
            ">right-pass",
            "~*",
            "&*",
            "+@all",
        ],
    );
    let wrong = format!("redis://app:wrong-pass-xyz@127.0.0.1:{}", server.port());
    let err = Connector::connect(Config::new(&wrong)).await.err().unwrap();
    assert!(!err.to_string().contains("wrong-pass-xyz"), "{err}");
    let right = format!("redis://app:right-pass@127.0.0.1:{}", server.port());
    let c = Connector::connect(Config::new(&right).with_group(unique_group("acl")))
        .await
        .unwrap();
    c.join(None, None).await.unwrap();
    assert!(!format!("{c:?}").contains("right-pass"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_blocking_facade_refuses_to_block_an_async_runtime() {
    let err = blocking::Connector::connect(Config::new("redis://127.0.0.1:1"))
        .err()
        .unwrap();
    assert!(is_invalid::<()>(Err(err)));
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_data_under_our_keys_is_a_protocol_error_not_a_panic() {
    let server = RedisServer::start();
    let group = unique_group("foreign");
    let c = connect(&server, &group, "me").await;
    let key = group_redis::keys::Keys::new(&group).data("bad");
    let _: i64 = raw_command(
        &server,
        &["HSET", &key, "value", "{not json", "version", "1"],
    );
    assert!(matches!(
        c.persistent_get("bad").await,
        Err(Error::Protocol(_))
    ));
}
