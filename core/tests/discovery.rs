//! Service discovery: a provider over a live, event-fed cache of the members (online ones,
//! by sub-group), its strategies, note_error, the added/removed changes, and the resync after
//! a gap (Redis restarted empty).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use group_redis::{
    Connector, InstancesChanged, ProviderOptions, ServiceProvider, Strategy, Subscription,
};

fn options(strategy: Strategy) -> ProviderOptions {
    ProviderOptions {
        strategy,
        ..ProviderOptions::default()
    }
}

fn ids(members: &[group_redis::Member]) -> Vec<String> {
    members.iter().map(|m| m.id.clone()).collect()
}

/// Waits until the provider's instances are `want`.
async fn instances_become(provider: &ServiceProvider, want: &[&str]) {
    eventually(&format!("instances {want:?}"), || async {
        ids(&provider.instances()) == want
    })
    .await;
}

async fn next_change(changes: &mut Subscription<InstancesChanged>) -> InstancesChanged {
    tokio::time::timeout(PATIENCE, changes.next())
        .await
        .expect("a change within the bound")
        .expect("subscription open")
}

#[tokio::test(flavor = "multi_thread")]
async fn strategies_pick_among_online_members() {
    let server = RedisServer::start();
    let group = unique_group("disc-strategies");
    let svc = connect(&server, &group, "svc").await;
    for id in ["a", "b", "c"] {
        svc.join(Some(id), None).await.unwrap();
    }
    svc.set_online(Some("c"), false).await.unwrap();
    let client = connect(&server, &group, "client").await;

    let round = client
        .service_provider(options(Strategy::RoundRobin))
        .await
        .unwrap();
    assert_eq!(ids(&round.instances()), ["a", "b"], "c is offline");
    let picks: Vec<String> = (0..4).map(|_| round.instance().unwrap().id).collect();
    assert_eq!(picks, ["a", "b", "a", "b"]);

    let first = client
        .service_provider(options(Strategy::First))
        .await
        .unwrap();
    assert!(
        (0..3).all(|_| first.instance().unwrap().id == "a"),
        "a joined first"
    );

    let sticky = client
        .service_provider(options(Strategy::Sticky))
        .await
        .unwrap();
    let kept = sticky.instance().unwrap().id;
    assert!((0..5).all(|_| sticky.instance().unwrap().id == kept));
    svc.set_online(Some(&kept), false).await.unwrap();
    instances_become(&sticky, &[if kept == "a" { "b" } else { "a" }]).await;
    assert_ne!(
        sticky.instance().unwrap().id,
        kept,
        "moves once its member went offline"
    );

    let random = client
        .service_provider(options(Strategy::Random))
        .await
        .unwrap();
    svc.set_online(Some("c"), true).await.unwrap();
    svc.set_online(Some("a"), true).await.unwrap();
    svc.set_online(Some("b"), true).await.unwrap();
    instances_become(&random, &["a", "b", "c"]).await;
    let seen: BTreeSet<String> = (0..200).map(|_| random.instance().unwrap().id).collect();
    assert_eq!(seen.len(), 3, "random reaches every instance: {seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_for_a_sub_group_serves_only_its_members() {
    let server = RedisServer::start();
    let group = unique_group("disc-sub");
    let web = Connector::connect(config(&server, &group, "web-1").with_sub_groups(["web"]))
        .await
        .unwrap();
    web.join(None, None).await.unwrap();
    let db = Connector::connect(config(&server, &group, "db-1").with_sub_groups(["db"]))
        .await
        .unwrap();
    db.join(None, None).await.unwrap();
    let client = connect(&server, &group, "client").await;
    let provider = client
        .service_provider(ProviderOptions {
            sub_group: Some("web".into()),
            ..ProviderOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&provider.instances()), ["web-1"]);
    db.add_sub_group("web").await.unwrap();
    instances_become(&provider, &["db-1", "web-1"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn note_error_takes_a_member_out_for_a_while() {
    let server = RedisServer::start();
    let group = unique_group("disc-errors");
    let svc = connect(&server, &group, "svc").await;
    svc.join(Some("a"), None).await.unwrap();
    svc.join(Some("b"), None).await.unwrap();
    let client = connect(&server, &group, "client").await;
    let down_for = Duration::from_millis(500);
    let provider = client
        .service_provider(ProviderOptions {
            strategy: Strategy::RoundRobin,
            down_for,
            error_threshold: 2,
            ..ProviderOptions::default()
        })
        .await
        .unwrap();
    provider.note_error("a");
    let picks: BTreeSet<String> = (0..4).map(|_| provider.instance().unwrap().id).collect();
    assert!(picks.contains("a"), "one error is under the threshold");
    provider.note_error("a");
    let noted = Instant::now();
    let picks: Vec<String> = (0..4).map(|_| provider.instance().unwrap().id).collect();
    if noted.elapsed() < down_for {
        assert_eq!(picks, ["b", "b", "b", "b"], "a is out");
    }
    // With every instance out, one that may be down is better than none.
    provider.note_error("b");
    provider.note_error("b");
    assert!(provider.instance().is_some());
    tokio::time::sleep(down_for).await;
    let picks: BTreeSet<String> = (0..4).map(|_| provider.instance().unwrap().id).collect();
    assert_eq!(picks.len(), 2, "back after down_for: {picks:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_tells_who_was_added_and_removed() {
    let server = RedisServer::start();
    let group = unique_group("disc-changes");
    let svc = connect(&server, &group, "svc").await;
    svc.join(Some("a"), None).await.unwrap();
    let client = connect(&server, &group, "client").await;
    let provider = client
        .service_provider(ProviderOptions::default())
        .await
        .unwrap();
    let mut changes = provider.subscribe();
    assert_eq!(ids(changes.snapshot()), ["a"]);

    svc.join(Some("b"), None).await.unwrap();
    let change = next_change(&mut changes).await;
    assert_eq!(
        (ids(&change.added), ids(&change.removed)),
        (vec!["b".into()], vec![])
    );

    svc.set_online(Some("a"), false).await.unwrap();
    let change = next_change(&mut changes).await;
    assert_eq!(
        (ids(&change.added), ids(&change.removed)),
        (vec![], vec!["a".into()])
    );

    svc.set_online(Some("a"), true).await.unwrap();
    let change = next_change(&mut changes).await;
    assert_eq!(ids(&change.added), ["a"]);

    svc.update_payload(Some("b"), serde_json::json!({"port": 9}))
        .await
        .unwrap();
    let change = next_change(&mut changes).await;
    assert_eq!(ids(&change.updated), ["b"]);
    assert_eq!(change.updated[0].payload, serde_json::json!({"port": 9}));

    svc.leave(Some("b")).await.unwrap();
    let change = next_change(&mut changes).await;
    assert_eq!(
        (ids(&change.added), ids(&change.removed)),
        (vec![], vec!["b".into()])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_resyncs_after_redis_lost_its_data() {
    let mut server = RedisServer::start();
    let group = unique_group("disc-resync");
    let survivor = Connector::connect(short_lease(&server, &group, "w1", 1200))
        .await
        .unwrap();
    survivor.join(None, None).await.unwrap();
    let gone = Connector::connect(short_lease(&server, &group, "w2", 1200))
        .await
        .unwrap();
    gone.join(None, None).await.unwrap();
    let client = connect(&server, &group, "client").await;
    let provider = client
        .service_provider(ProviderOptions::default())
        .await
        .unwrap();
    let mut changes = provider.subscribe();
    assert_eq!(ids(changes.snapshot()), ["w1", "w2"]);

    server.stop();
    // w2 goes away while Redis is down: no event will ever say it left.
    let _ = gone.close().await;
    server.restart();

    let mut removed = vec![];
    while !removed.contains(&"w2".to_string()) {
        removed.extend(ids(&next_change(&mut changes).await.removed));
    }
    instances_become(&provider, &["w1"]).await;
    println!(
        "after the restart the cache holds {:?}",
        ids(&provider.instances())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_leader_strategy_follows_the_election() {
    let server = RedisServer::start();
    let group = unique_group("disc-leader");
    let mut candidates = vec![];
    for id in ["a", "b"] {
        let connector = connect(&server, &group, id).await;
        connector.join(None, None).await.unwrap();
        candidates.push(connector);
    }
    let first = candidates[0].elect("svc").await.unwrap();
    eventually("a leads", || async { first.is_leader() }).await;
    let second = candidates[1].elect("svc").await.unwrap();

    let client = connect(&server, &group, "client").await;
    let provider = client
        .service_provider(ProviderOptions {
            strategy: Strategy::Leader,
            election: Some("svc".into()),
            ..ProviderOptions::default()
        })
        .await
        .unwrap();
    assert_eq!(provider.instance().map(|m| m.id), Some("a".into()));
    provider.note_error("a");
    provider.note_error("a");
    assert_eq!(
        provider.instance().map(|m| m.id),
        Some("a".into()),
        "errors do not take the only leader out"
    );

    // The leader goes offline: it is no instance to send work to, though it still leads.
    candidates[0].set_online(None, false).await.unwrap();
    eventually("no instance while the leader is offline", || async {
        provider.instance().is_none()
    })
    .await;
    candidates[0].set_online(None, true).await.unwrap();

    // It resigns: the provider moves to the next leader.
    first.resign().await.unwrap();
    eventually("b leads", || async { second.is_leader() }).await;
    eventually("the provider picks b", || async {
        provider.instance().map(|m| m.id) == Some("b".into())
    })
    .await;

    // Nobody leads: no instance, though a and b are still members.
    second.resign().await.unwrap();
    eventually("nobody to pick", || async { provider.instance().is_none() }).await;
    assert_eq!(ids(&provider.instances()), ["a", "b"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_leader_strategy_needs_an_election_and_only_it_takes_one() {
    let server = RedisServer::start();
    let group = unique_group("disc-leader-args");
    let client = connect(&server, &group, "client").await;
    let without = client
        .service_provider(ProviderOptions {
            strategy: Strategy::Leader,
            ..ProviderOptions::default()
        })
        .await;
    assert!(matches!(
        without,
        Err(group_redis::Error::InvalidArgument(_))
    ));
    let misplaced = client
        .service_provider(ProviderOptions {
            strategy: Strategy::First,
            election: Some("svc".into()),
            ..ProviderOptions::default()
        })
        .await;
    assert!(matches!(
        misplaced,
        Err(group_redis::Error::InvalidArgument(_))
    ));
}
