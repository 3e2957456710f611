//! Messages to live members: send, broadcast (to the group and a sub-group), request and
//! reply, errors for unknown and dead members, and nothing missed across a broken connection
//! within the lease.

mod common;

use std::time::Duration;

use common::*;
use group_redis::{json, Connector, Error, Message, MessageKind, Subscription};

async fn next(sub: &mut Subscription<Message>) -> Message {
    tokio::time::timeout(PATIENCE, sub.next())
        .await
        .expect("a message within the bound")
        .expect("subscription open")
}

#[tokio::test(flavor = "multi_thread")]
async fn sent_messages_arrive_once_in_order() {
    let server = RedisServer::start();
    let group = unique_group("msg-order");
    let receiver = connect(&server, &group, "receiver").await;
    receiver.join(None, None).await.unwrap();
    let sender = connect(&server, &group, "sender").await;
    // Sent before anyone listens: still delivered to the first listener.
    sender.send("receiver", &json!(0)).await.unwrap();
    let mut inbox = receiver.listen(None).await.unwrap();
    assert_eq!(inbox.snapshot().member_id, "receiver");
    for i in 1..200 {
        sender.send("receiver", &json!(i)).await.unwrap();
    }
    for i in 0..200 {
        let message = next(&mut inbox).await;
        assert_eq!(message.payload, json!(i));
        assert_eq!(message.from, "sender");
        assert_eq!(message.kind, MessageKind::Send);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(inbox.try_next().is_none(), "a message delivered twice");
    // A later listener of the same connector starts after what the first was given.
    drop(inbox);
    sender.send("receiver", &json!("later")).await.unwrap();
    let mut again = receiver.listen(None).await.unwrap();
    assert_eq!(next(&mut again).await.payload, json!("later"));
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_and_dead_members_are_errors() {
    let server = RedisServer::start();
    let group = unique_group("msg-dead");
    let sender = connect(&server, &group, "sender").await;
    let err = sender.send("nobody", &json!(1)).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(text) if text.contains("nobody")),
        "{err:?}"
    );
    let err = sender
        .request("nobody", &json!(1), Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");

    // A member whose connector goes silent: once its lease ran out, sending is an error.
    let proxy = gr_test_harness::Proxy::start(server.port());
    let frozen = Connector::connect(through_proxy(
        &proxy,
        &group,
        "frozen",
        Duration::from_millis(1000),
    ))
    .await
    .unwrap();
    frozen.join(None, None).await.unwrap();
    sender.send("frozen", &json!("alive")).await.unwrap();
    proxy.pause();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let err = sender.send("frozen", &json!("dead")).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(text) if text.contains("frozen")),
        "{err:?}"
    );
    // Its inbox went with it.
    let exists: i64 = raw_command(
        &server,
        &["EXISTS", &format!("gr:{{{group}}}:inbox:frozen")],
    );
    assert_eq!(exists, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broadcast_reaches_every_live_member_or_the_sub_group() {
    let server = RedisServer::start();
    let group = unique_group("msg-broadcast");
    let mut members = Vec::new();
    let mut inboxes = Vec::new();
    for (id, sub_groups) in [("a", vec!["blue"]), ("b", vec!["red"]), ("c", vec!["blue"])] {
        let conn = Connector::connect(config(&server, &group, id).with_sub_groups(sub_groups))
            .await
            .unwrap();
        conn.join(None, None).await.unwrap();
        inboxes.push(conn.listen(None).await.unwrap());
        members.push(conn);
    }
    let sender = connect(&server, &group, "sender").await;
    assert_eq!(sender.broadcast(&json!("all"), None).await.unwrap(), 3);
    assert_eq!(
        sender
            .broadcast(&json!("blue"), Some("blue"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(sender.broadcast(&json!("end"), None).await.unwrap(), 3);
    for (i, inbox) in inboxes.iter_mut().enumerate() {
        let mut got = Vec::new();
        loop {
            let message = next(inbox).await;
            assert_eq!(message.kind, MessageKind::Broadcast);
            got.push(message.payload.clone());
            if message.payload == json!("end") {
                break;
            }
        }
        let expected = if i == 1 {
            vec![json!("all"), json!("end")]
        } else {
            vec![json!("all"), json!("blue"), json!("end")]
        };
        assert_eq!(got, expected, "member {i}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_gets_the_handlers_reply() {
    let server = RedisServer::start();
    let group = unique_group("msg-request");
    let server_side = connect(&server, &group, "doubler").await;
    server_side.join(None, None).await.unwrap();
    let mut requests = server_side.listen(None).await.unwrap();
    let handler = tokio::spawn(async move {
        while let Some(request) = requests.next().await {
            assert!(request.is_request());
            let n = request.payload.as_i64().unwrap();
            server_side.reply(&request, &json!(n * 2)).await.unwrap();
        }
    });
    let client = connect(&server, &group, "client").await;
    for n in 0..20 {
        let reply = client
            .request("doubler", &json!(n), PATIENCE)
            .await
            .unwrap();
        assert_eq!(reply, json!(n * 2));
    }
    handler.abort();

    // A member that never answers: the request times out.
    let silent = connect(&server, &group, "silent").await;
    silent.join(None, None).await.unwrap();
    let err = client
        .request("silent", &json!(1), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_missed_while_the_listeners_connection_is_cut() {
    let server = RedisServer::start();
    let group = unique_group("msg-cut");
    let proxy = gr_test_harness::Proxy::start(server.port());
    let receiver = Connector::connect(through_proxy(
        &proxy,
        &group,
        "receiver",
        Duration::from_secs(10),
    ))
    .await
    .unwrap();
    receiver.join(None, None).await.unwrap();
    let mut inbox = receiver.listen(None).await.unwrap();
    let sender = connect(&server, &group, "sender").await;
    sender.send("receiver", &json!(0)).await.unwrap();
    assert_eq!(next(&mut inbox).await.payload, json!(0));

    proxy.pause();
    for i in 1..=10 {
        sender.send("receiver", &json!(i)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    proxy.resume();
    for i in 1..=10 {
        assert_eq!(next(&mut inbox).await.payload, json!(i));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listener_goes_on_after_its_member_leaves_and_joins_again() {
    let server = RedisServer::start();
    let group = unique_group("msg-rejoin");
    let receiver = connect(&server, &group, "receiver").await;
    receiver.join(None, None).await.unwrap();
    let mut inbox = receiver.listen(None).await.unwrap();
    let sender = connect(&server, &group, "sender").await;
    sender.send("receiver", &json!("before")).await.unwrap();
    assert_eq!(next(&mut inbox).await.payload, json!("before"));

    assert!(receiver.leave(None).await.unwrap());
    let err = sender
        .send("receiver", &json!("while away"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    receiver.join(None, None).await.unwrap();
    for i in 0..5 {
        sender.send("receiver", &json!(i)).await.unwrap();
    }
    for i in 0..5 {
        assert_eq!(next(&mut inbox).await.payload, json!(i));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listener_goes_on_under_the_new_session_after_a_lost_one() {
    let server = RedisServer::start();
    let group = unique_group("msg-restore");
    let proxy = gr_test_harness::Proxy::start(server.port());
    let receiver = Connector::connect(through_proxy(
        &proxy,
        &group,
        "receiver",
        Duration::from_millis(1000),
    ))
    .await
    .unwrap();
    receiver.join(None, None).await.unwrap();
    let mut inbox = receiver.listen(None).await.unwrap();
    let old_session = receiver.session_id();
    let sender = connect(&server, &group, "sender").await;

    proxy.pause();
    // Its lease runs out: the member is dead, and a send says so.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sender.send("receiver", &json!("lost")).await.is_err());
    proxy.resume();
    // The connector makes a new session and joins the member again.
    eventually("the member is back under a new session", || async {
        receiver.session_id() != old_session
            && sender.send("receiver", &json!("back")).await.is_ok()
    })
    .await;
    let message = next(&mut inbox).await;
    assert_eq!(message.payload, json!("back"));
    assert_eq!(message.to, "receiver");
}
