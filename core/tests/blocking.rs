//! The blocking facade does its Redis I/O on the caller's thread through pooled plain
//! connections; those must survive Redis going away and coming back.

mod common;

use common::*;
use group_redis::{blocking, json, ConnectionState};

#[test]
fn blocking_calls_work_right_after_a_redis_restart() {
    let mut server = RedisServer::start();
    let group = unique_group("blocking-restart");
    let c = blocking::Connector::connect(short_lease(&server, &group, "b", 1200)).unwrap();
    let mut states = c.subscribe_state();
    c.join(None, None).unwrap();
    c.persistent_set("p", &json!(1)).unwrap();
    assert_eq!(c.members().unwrap().len(), 1);

    // A restart the connector may not have noticed yet: a read on a stale pooled
    // connection is retried on a fresh one instead of failing.
    server.restart();
    assert!(c.members().is_ok(), "a read right after the restart");

    // Once the connector has replaced its session, everything works on the first try.
    let reconnected = loop {
        match states.recv_timeout(Some(PATIENCE)).unwrap() {
            Some(ConnectionState::Reconnected) => break true,
            Some(_) => continue,
            None => break false,
        }
    };
    assert!(reconnected);
    assert_eq!(c.members().unwrap()[0].id, "b");
    // Redis came back empty: anyone may still trust a lease from before, so no lock is
    // granted for one lease; a waiting caller gets it after that.
    assert_eq!(c.lock("after").unwrap(), None, "no grant during the grace");
    assert!(c.try_lock("after", PATIENCE).unwrap().is_some());
    assert_eq!(
        c.persistent_get("p").unwrap(),
        None,
        "the restarted Redis is empty"
    );
    c.persistent_set("p", &json!(2)).unwrap();
    c.close().unwrap();
}

#[test]
fn many_threads_share_one_blocking_connector() {
    let server = RedisServer::start();
    let group = unique_group("blocking-threads");
    let c =
        std::sync::Arc::new(blocking::Connector::connect(config(&server, &group, "t")).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let c = std::sync::Arc::clone(&c);
            std::thread::spawn(move || {
                let name = format!("lock-{i}");
                for _ in 0..200 {
                    assert!(c.lock(&name).unwrap().is_some());
                    assert!(c.is_held(&name).unwrap());
                    assert!(c.release(&name).unwrap());
                }
                c.persistent_set(&name, &json!(i)).unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(c.persistent_list("lock-").unwrap().len(), 8);
}
