//! Redis Cluster: 3 primaries with one replica each on loopback (the harness's
//! ClusterSet). Members connect with a `redis+cluster://` URL naming the primaries as seeds;
//! each group lives on the primary that owns its slot; smaller clusters (3 primaries, no
//! replica) with a password on every node, or speaking only TLS. `cargo test -p group-redis
//! --test cluster -- --nocapture` prints the timings.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::failover::{member_at, ms, record_states, Cast, Taken};
use common::PATIENCE;
use gr_test_harness::ClusterSet;
use group_redis::{Config, ConnectionState, Connector, MemberSubscription};

fn member(set: &ClusterSet, group: &str, id: &str, lease: Duration) -> Config {
    member_at(&set.url(), group, id, lease)
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The slot of a group's keys.
fn group_slot(set: &ClusterSet, group: &str) -> u16 {
    set.slot(&format!("gr:{{{group}}}:sessions"))
}

#[tokio::test(flavor = "multi_thread")]
async fn groups_spread_over_the_primaries_each_on_its_own_node() {
    let set = ClusterSet::start(3, 1);
    let lease = Duration::from_secs(5);
    let groups: Vec<String> = (0..100)
        .map(|i| common::unique_group(&format!("spread{i}")))
        .collect();
    let started = Instant::now();
    let mut members = Vec::new();
    for group in &groups {
        let c = Connector::connect(member(&set, group, "a", lease))
            .await
            .unwrap();
        c.join(None, None).await.unwrap();
        let token = c.lock("L").await.unwrap().expect("a takes L");
        let sub = c.subscribe_members().await.unwrap();
        assert_eq!(
            sub.snapshot()
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>(),
            ["a"]
        );
        members.push((c, token, sub));
    }
    // Every group's keys are on the primary that owns its slot, and no other node has them.
    let mut per_primary: BTreeMap<usize, usize> = BTreeMap::new();
    for group in &groups {
        let slot = group_slot(&set, group);
        let owner = set.owner(slot).expect("an owner");
        for i in 0..set.primaries() {
            let keys = set.cli(i, &["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]);
            let keys: usize = keys.parse().unwrap();
            assert_eq!(
                keys > 0,
                i == owner,
                "group {group} keys on node {i}: {keys}"
            );
        }
        *per_primary.entry(owner).or_default() += 1;
    }
    assert_eq!(
        per_primary.len(),
        3,
        "groups on every primary: {per_primary:?}"
    );

    // A second member in ten groups: it waits for the lock, and the hand-off notice (a
    // shard channel on the group's node) wakes it when the first member releases.
    let mut handoffs = Vec::new();
    for (group, (a, token, _)) in groups.iter().zip(&members).take(10) {
        let b = Arc::new(
            Connector::connect(member(&set, group, "b", lease))
                .await
                .unwrap(),
        );
        b.join(None, None).await.unwrap();
        let waiting = {
            let b = Arc::clone(&b);
            tokio::spawn(async move { b.try_lock("L", Duration::from_secs(10)).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let released = Instant::now();
        assert!(a.release("L").await.unwrap());
        let b_token = waiting.await.unwrap().unwrap().expect("b gets L");
        handoffs.push(released.elapsed());
        assert!(b_token > *token);
        b.close().await.unwrap();
    }
    // wait_replicas on a cluster: WAIT runs on the group's primary, whose replica
    // acknowledges the grant.
    let waiting = Connector::connect(
        member(&set, &groups[0], "r", lease).with_wait_replicas(1, Duration::from_millis(400)),
    )
    .await
    .unwrap();
    assert!(waiting.lock("W").await.unwrap().is_some());
    waiting.close().await.unwrap();
    let slowest = handoffs.iter().max().unwrap();
    // A missed notice would cost the lease (5 s): every hand-off came through pub/sub.
    assert!(
        *slowest < Duration::from_secs(2),
        "hand-off took {slowest:?}"
    );
    println!(
        "100 groups over the primaries {per_primary:?} in {:.0} ms; hand-offs max {:.1} ms",
        ms(started.elapsed()),
        ms(*slowest)
    );
    for (c, _, _) in members {
        c.close().await.unwrap();
    }
}

/// What one busy group's workers saw.
#[derive(Default)]
struct Busy {
    /// Every token granted, in grant order (one holder at a time).
    tokens: Vec<u64>,
    errors: Vec<String>,
}

#[tokio::test(flavor = "multi_thread")]
async fn slots_migrate_under_busy_groups_without_errors_or_partial_state() {
    let set = ClusterSet::start(3, 0);
    let lease = Duration::from_secs(5);
    let groups: Vec<String> = (0..4)
        .map(|i| common::unique_group(&format!("busy{i}")))
        .collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    let mut watchers = Vec::new();
    let mut everyone = Vec::new();
    let mut logs = Vec::new();
    for group in &groups {
        let w = Connector::connect(member(&set, group, "w", lease))
            .await
            .unwrap();
        let events = count_events(w.subscribe_members().await.unwrap());
        let log = Arc::new(Mutex::new(Busy::default()));
        for id in ["a", "b"] {
            let c = Arc::new(
                Connector::connect(member(&set, group, id, lease))
                    .await
                    .unwrap(),
            );
            c.join(None, None).await.unwrap();
            let states = record_states(&c);
            let (c2, log, stop) = (Arc::clone(&c), Arc::clone(&log), Arc::clone(&stop));
            workers.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    match c2.try_lock("L", Duration::from_secs(5)).await {
                        Ok(Some(token)) => {
                            log.lock().unwrap().tokens.push(token);
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            if let Err(e) = c2.release("L").await {
                                log.lock().unwrap().errors.push(format!("release: {e}"));
                            }
                        }
                        Ok(None) => log.lock().unwrap().errors.push("lock timed out".into()),
                        Err(e) => log.lock().unwrap().errors.push(format!("lock: {e}")),
                    }
                }
            }));
            everyone.push((c, states));
        }
        watchers.push((w, events));
        logs.push(log);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Every busy group's slot moves to the next primary, one key at a time with a pause
    // between keys, and back again; then once more with `redis-cli --cluster reshard`
    // (which moves every slot of the owner up to the group's).
    let started = Instant::now();
    let mut moves = 0;
    for round in 0..3 {
        for group in &groups {
            let slot = group_slot(&set, group);
            let from = set.owner(slot).expect("an owner");
            let to = (from + 1 + round % 2) % 3;
            let before: Vec<usize> = logs
                .iter()
                .map(|l| l.lock().unwrap().tokens.len())
                .collect();
            let set_ref = &set;
            tokio::task::block_in_place(|| {
                if round < 2 {
                    set_ref.migrate_slot(slot, from, to, 1, Duration::from_millis(20))
                } else {
                    set_ref.reshard_through(slot, to)
                }
            });
            moves += 1;
            // The group keeps working on its new owner.
            let log = &logs[groups.iter().position(|g| g == group).unwrap()];
            let had = before[groups.iter().position(|g| g == group).unwrap()];
            wait_for("the group works after its slot moved", || {
                log.lock().unwrap().tokens.len() > had + 2
            })
            .await;
        }
    }
    let migrating = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }

    for (group, log) in groups.iter().zip(&logs) {
        let log = log.lock().unwrap();
        assert!(log.errors.is_empty(), "{group}: {:?}", log.errors);
        assert!(
            log.tokens.windows(2).all(|w| w[0] < w[1]),
            "{group}: tokens not increasing: {:?}",
            log.tokens
        );
    }
    for (c, states) in &everyone {
        let states: Vec<ConnectionState> = states.lock().unwrap().iter().map(|s| s.0).collect();
        assert!(
            !states.contains(&ConnectionState::Lost),
            "a member lost its session: {states:?}"
        );
        c.close().await.unwrap();
    }
    // Each watcher saw exactly a and b join, then leave at the close: nothing lost or
    // doubled, no session ended by the moves.
    for (w, events) in &watchers {
        wait_for("the watcher saw both leave", || {
            events.lock().unwrap().len() == 4
        })
        .await;
        let events = events.lock().unwrap().clone();
        assert_eq!(
            events,
            ["+a", "+b", "-a", "-b"].map(String::from).to_vec(),
            "membership events"
        );
        w.close().await.unwrap();
    }
    let grants: usize = logs.iter().map(|l| l.lock().unwrap().tokens.len()).sum();
    println!(
        "{moves} slot moves of busy groups in {:.0} ms; {grants} lock grants, no error",
        ms(migrating)
    );
}

/// Every membership event after the snapshot, as "+id" / "-id".
fn count_events(mut sub: MemberSubscription) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Some(event) = sub.next().await {
            let mut seen = sink.lock().unwrap();
            for joined in &event.joined_members {
                seen.push(format!("+{}", joined.id));
            }
            for left in &event.left_members {
                seen.push(format!("-{}", left.id));
            }
        }
    });
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_primary_is_replaced_by_its_replica_without_two_holders() {
    let mut set = ClusterSet::start(3, 1);
    let group = common::unique_group("cluster-failover");
    let cast = Cast::start(&set.url(), &group, Duration::from_secs(3)).await;
    // Let the replica receive everything (the test is about fail-over, not lost writes).
    tokio::time::sleep(Duration::from_millis(300)).await;

    let slot = group_slot(&set, &group);
    let old = set.owner(slot).expect("an owner");
    set.nodes[old].stop();
    let killed = Instant::now();

    let Taken {
        b_token,
        b_acquired,
        a_lost,
    } = cast.b_takes_a_lock().await;
    let new = set.owner(slot).expect("a new owner");
    assert_ne!(new, old);
    cast.b_kept_m_or_heard_lost();
    cast.subscriber_ends_true().await;
    println!(
        "cluster fail-over: node {old} killed, node {new} took the slot; A LOST at {:.0} ms, \
         B took L at {:.0} ms (margin {:.0} ms); tokens {} -> {b_token}",
        ms(a_lost - killed),
        ms(b_acquired - killed),
        ms(b_acquired - a_lost),
        cast.a_token,
    );
    cast.close().await;
}

/// `a` holds L and releases it while `b` waits for it: `b` must be woken by the lock notice
/// on the group's shard channel (its listener connection needs the password or TLS too),
/// not by the fallback at a's lease deadline. Returns how long the hand-over took (from the
/// release's call).
async fn handoff(
    set: &ClusterSet,
    group: &str,
    a: &Connector,
    b: &Connector,
    lease: Duration,
) -> Duration {
    assert!(a.lock("L").await.unwrap().is_some(), "a takes L");
    let queue = format!("gr:{{{group}}}:lockwait:L");
    let owner = set.owner(group_slot(set, group)).expect("an owner");
    let release = async {
        wait_for("b waits in L's queue", || {
            set.cli(owner, &["LLEN", &queue]) == "1"
        })
        .await;
        let released = Instant::now();
        assert!(a.release("L").await.unwrap());
        released
    };
    let (token, released) = tokio::join!(b.try_lock("L", PATIENCE), release);
    let took = released.elapsed();
    assert!(token.unwrap().is_some(), "b takes L");
    assert!(
        took < lease / 2,
        "b woke {took:?} after the release: the lock notice did not arrive"
    );
    took
}

/// Moves the group's slot (b holds L) to another primary: b's release and a's lock follow it
/// there, over connections to a node named by `CLUSTER SLOTS` (with the password or TLS).
async fn slot_moves_and_calls_follow(set: &ClusterSet, group: &str, a: &Connector, b: &Connector) {
    let slot = group_slot(set, group);
    let from = set.owner(slot).expect("an owner");
    let to = (from + 1) % set.primaries();
    set.migrate_slot(slot, from, to, 10, Duration::ZERO);
    assert!(
        b.release("L").await.unwrap(),
        "b releases L on the new owner"
    );
    assert!(a.lock("L").await.unwrap().is_some(), "a takes L again");
    let keys = set.cli(to, &["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]);
    assert_ne!(keys, "0", "the group's keys on node {to}");
}

/// The ids of the members a connector sees.
/// Members a and b (configured by `config`) join and see each other, the lock passes from a
/// to b through the group's shard channel, the group's slot moves and their calls follow,
/// and the group's keys are on the slot's owner (reached with the same credentials).
/// Returns the two and how long the hand-over took.
async fn meet_hand_over_and_follow_a_move(
    set: &ClusterSet,
    group: &str,
    lease: Duration,
    config: impl Fn(&str) -> Config,
) -> (Connector, Connector, Duration) {
    let a = Connector::connect(config("a")).await.unwrap();
    a.join(None, None).await.unwrap();
    let b = Connector::connect(config("b")).await.unwrap();
    b.join(None, None).await.unwrap();
    assert_eq!(member_ids(&b).await, ["a", "b"]);
    let took = handoff(set, group, &a, &b, lease).await;
    slot_moves_and_calls_follow(set, group, &a, &b).await;
    let slot = group_slot(set, group);
    let owner = set.owner(slot).expect("an owner");
    let keys = set.cli(owner, &["CLUSTER", "COUNTKEYSINSLOT", &slot.to_string()]);
    assert_ne!(keys, "0", "the group's keys on node {owner}");
    (a, b, took)
}

async fn member_ids(c: &Connector) -> Vec<String> {
    let sub = c.subscribe_members().await.unwrap();
    let mut ids: Vec<String> = sub.snapshot().iter().map(|m| m.id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_on_every_node_is_used_and_never_shown() {
    let started = Instant::now();
    let set = ClusterSet::start_with_password(3, 0, "n0deS3cret");
    let up = started.elapsed();
    let group = common::unique_group("cluster-auth");
    let lease = Duration::from_secs(5);
    let with_password = |password: &str| {
        set.url().replacen(
            "redis+cluster://",
            &format!("redis+cluster://:{password}@"),
            1,
        )
    };
    let (a, b, took) = meet_hand_over_and_follow_a_move(&set, &group, lease, |id| {
        member_at(&with_password("n0deS3cret"), &group, id, lease)
    })
    .await;

    for (what, url) in [
        ("a wrong password", with_password("wr0ngPass")),
        ("no password", set.url()),
    ] {
        let attempt = member_at(&url, &group, "c", lease);
        let err = match Connector::connect(attempt).await {
            Ok(_) => panic!("{what}: connected"),
            Err(err) => err.to_string(),
        };
        println!("cluster, {what}: {err}");
        for secret in ["n0deS3cret", "wr0ngPass"] {
            assert!(!err.contains(secret), "{what}: {err}");
        }
    }
    a.close().await.unwrap();
    b.close().await.unwrap();
    println!(
        "cluster with passwords: up in {:.0} ms, lock handed over in {:.1} ms, test in {:.0} ms",
        ms(up),
        ms(took),
        ms(started.elapsed())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_cluster_url_finds_the_owner_and_needs_the_ca() {
    let started = Instant::now();
    let (set, ca) = ClusterSet::start_tls(3, 0);
    let up = started.elapsed();
    let url = set.url();
    assert!(url.starts_with("rediss+cluster://"), "{url}");
    let group = common::unique_group("cluster-tls");
    let lease = Duration::from_secs(5);
    let trusting = |id: &str| member(&set, &group, id, lease).with_tls_root_cert(ca.clone());
    let (a, b, took) = meet_hand_over_and_follow_a_move(&set, &group, lease, trusting).await;

    // The same nodes over TLS without trusting the CA, or in plain text: refused.
    let plain = url.replacen("rediss+cluster://", "redis+cluster://", 1);
    for (what, attempt) in [
        ("TLS without the CA", member(&set, &group, "c", lease)),
        (
            "plain text to TLS ports",
            member_at(&plain, &group, "c", lease),
        ),
    ] {
        match Connector::connect(attempt).await {
            Ok(_) => panic!("{what}: connected"),
            Err(err) => println!("cluster, {what}: {err}"),
        }
    }
    a.close().await.unwrap();
    b.close().await.unwrap();
    println!(
        "TLS cluster: up in {:.0} ms, lock handed over in {:.1} ms, test in {:.0} ms",
        ms(up),
        ms(took),
        ms(started.elapsed())
    );
}
