//! rediss:// against a redis-server that speaks only TLS, with a private CA.

mod common;

use common::unique_group;
use gr_test_harness::RedisServer;
use group_redis::{json, Config, Connector, Error};

#[tokio::test(flavor = "multi_thread")]
async fn rediss_with_a_private_ca() {
    let (server, ca) = RedisServer::start_tls();
    assert!(server.url().starts_with("rediss://"));
    let group = unique_group("tls");
    let c = Connector::connect(
        Config::new(server.url())
            .with_group(&group)
            .with_tls_root_cert(ca),
    )
    .await
    .unwrap();
    c.join(None, Some(json!({"tls": true}))).await.unwrap();
    assert_eq!(c.members().await.unwrap()[0].payload, json!({"tls": true}));
    assert!(c.lock("secure").await.unwrap().is_some());
    let mut events = c.subscribe_members().await.unwrap();
    assert_eq!(events.snapshot().len(), 1);
    c.leave(None).await.unwrap();
    let left = tokio::time::timeout(common::PATIENCE, events.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.left_members.len(), 1);
    c.close().await.unwrap();

    // Without the CA, the server's certificate is not trusted: a clear error, no hang.
    let err = Connector::connect(Config::new(server.url()).with_group(&group))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Connection(_) | Error::Redis(_)),
        "{err:?}"
    );
}
