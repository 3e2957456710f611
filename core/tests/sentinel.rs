//! Redis Sentinel: a master, one replica and three Sentinels on loopback (the harness's
//! SentinelSet). Members connect with a `redis+sentinel://` URL; the master is SIGKILLed
//! while they hold locks and subscribe. `cargo test -p group-redis --test sentinel --
//! --nocapture` prints the timings.

mod common;

use std::time::{Duration, Instant};

use common::failover::{first, member_at, ms, record_states, Cast, Taken};
use common::PATIENCE;
use gr_test_harness::SentinelSet;
use group_redis::{json, Config, ConnectionState, Connector};

fn member(set: &SentinelSet, group: &str, id: &str, lease: Duration) -> Config {
    member_at(&set.url(), group, id, lease)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sentinel_url_finds_the_master() {
    let set = SentinelSet::start();
    let group = common::unique_group("sentinel-basic");
    let c = Connector::connect(member(&set, &group, "a", Duration::from_secs(3)))
        .await
        .unwrap();
    c.join(None, Some(json!({"n": 1}))).await.unwrap();
    assert!(c.lock("L").await.unwrap().is_some());
    assert_eq!(c.members().await.unwrap().len(), 1);
    c.close().await.unwrap();
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// The master SIGKILLed.
    Kill,
    /// The master cut off from everyone (the proxy stops forwarding) while it lives on;
    /// let back in once the others are on the new master.
    Cut,
}

/// How long the replica gets to receive the grants before the fault.
const SETTLED: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread")]
async fn members_follow_a_sentinel_fail_over_without_two_holders() {
    fail_over(SentinelSet::start(), Fault::Kill, SETTLED).await;
}

/// The master killed right after the grants: the promoted replica may lack them (the
/// data-loss case), and still nobody holds a lock before its holder heard LOST.
#[tokio::test(flavor = "multi_thread")]
async fn a_master_killed_right_after_the_grants_loses_no_safety() {
    fail_over(SentinelSet::start(), Fault::Kill, Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn members_follow_a_fail_over_away_from_a_cut_off_master_and_stay() {
    fail_over(SentinelSet::start_behind_proxy(), Fault::Cut, SETTLED).await;
}

async fn fail_over(mut set: SentinelSet, fault: Fault, settle: Duration) {
    let group = common::unique_group("sentinel-failover");
    let lease = Duration::from_secs(3);
    let cast = Cast::start(&set.url(), &group, lease).await;
    let (a, b, a_token) = (&cast.a, &cast.b, cast.a_token);
    tokio::time::sleep(settle).await;

    let old = set.master_port().expect("a master");
    match fault {
        Fault::Kill => set.server(old).stop(),
        Fault::Cut => set.proxy.as_ref().expect("a proxy").pause(),
    }
    let killed = Instant::now();
    let new = set.wait_for_new_master(old, PATIENCE);
    let promoted = Instant::now();

    let Taken {
        b_token,
        b_acquired,
        a_lost,
    } = cast.b_takes_a_lock().await;

    // Both are back, as new sessions on the new master.
    let deadline = Instant::now() + PATIENCE;
    let (a_back, b_back) = loop {
        let a_back = first(&cast.a_states, ConnectionState::Reconnected);
        let b_back = first(&cast.b_states, ConnectionState::Reconnected);
        if let (Some(a_back), Some(b_back)) = (a_back, b_back) {
            break (a_back, b_back);
        }
        assert!(Instant::now() < deadline, "members did not come back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The bound is down-after + fail-over + lease. How long the Sentinels take to agree
    // is theirs (an election they must repeat takes twice failover-timeout more); the
    // library's part, from the promotion to members working on the new master, must fit
    // in one lease (and a second for the test's own polling under load).
    let bound = SentinelSet::DOWN_AFTER + SentinelSet::FAILOVER_TIMEOUT + lease;
    let back = a_back.max(b_back);
    assert!(
        back.saturating_duration_since(promoted) <= lease + Duration::from_millis(1000),
        "back {:.0} ms after the promotion was seen (lease {:.0} ms)",
        ms(back.saturating_duration_since(promoted)),
        ms(lease)
    );
    cast.b_kept_m_or_heard_lost();
    cast.subscriber_ends_true().await;
    if let Fault::Cut = fault {
        // The old master comes back as a minority and is demoted; nobody goes back to it,
        // and B keeps L.
        set.proxy.as_ref().unwrap().resume();
        let watch_until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < watch_until {
            assert_eq!(b.held_token("L").unwrap(), Some(b_token), "B lost L");
            let holder = a.lock_holder("L").await.unwrap().expect("L is held");
            assert_eq!((holder.member.as_str(), holder.token), ("b", b_token));
            assert!(!a.is_held("L").unwrap());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    println!(
        "sentinel fail-over ({fault:?}, {:.0} ms after the grants): master {old} lost, {new} promoted after {:.0} ms; A \
         LOST at {:.0} ms, B took L at {:.0} ms (margin {:.0} ms); A back at {:.0} ms, B at \
         {:.0} ms (bound {:.0} ms); tokens {a_token} -> {b_token}",
        ms(settle),
        ms(promoted - killed),
        ms(a_lost - killed),
        ms(b_acquired - killed),
        ms(b_acquired - a_lost),
        ms(a_back - killed),
        ms(b_back - killed),
        ms(bound)
    );
    cast.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sentinel_and_master_passwords_are_used_and_never_shown() {
    let set = SentinelSet::start_with_passwords(Some("m4ster"), Some("s3ntinel"));
    let group = common::unique_group("sentinel-auth");
    let url = |master: &str, sentinel: &str| {
        set.url().replacen(
            "redis+sentinel://",
            &format!("redis+sentinel://:{master}@"),
            1,
        ) + &format!("?sentinel_password={sentinel}")
    };
    let config = |url: String| {
        Config::new(url)
            .with_group(&group)
            .with_command_timeout(Duration::from_millis(500))
    };
    let c = Connector::connect(config(url("m4ster", "s3ntinel")))
        .await
        .unwrap();
    assert!(c.lock("L").await.unwrap().is_some());
    c.close().await.unwrap();
    for (master, sentinel) in [("m4ster", "wr0ngS"), ("wr0ngM", "s3ntinel")] {
        let err = match Connector::connect(config(url(master, sentinel))).await {
            Ok(_) => panic!("a wrong password is refused"),
            Err(err) => err.to_string(),
        };
        println!("refused: {err}");
        for secret in ["m4ster", "s3ntinel", "wr0ngS", "wr0ngM"] {
            assert!(!err.contains(secret), "{err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_sentinel_url_finds_and_follows_the_master() {
    let (mut set, ca) = SentinelSet::start_tls();
    let url = set.url();
    assert!(url.starts_with("rediss+sentinel://"), "{url}");
    let group = common::unique_group("sentinel-tls");
    let lease = Duration::from_secs(1);
    let config = |url: &str| member_at(url, &group, "a", lease).with_tls_root_cert(ca.clone());
    let c = Connector::connect(config(&url)).await.unwrap();
    let states = record_states(&c);
    let first_token = c.lock("L").await.unwrap().expect("A takes L");

    // The same Sentinels without TLS, or over TLS without trusting the CA: refused, clearly.
    let plain = url.replacen("rediss+sentinel://", "redis+sentinel://", 1);
    for (what, attempt) in [
        (
            "plain text to TLS ports",
            Config::new(plain).with_group(&group),
        ),
        (
            "TLS without the CA",
            Config::new(url.clone()).with_group(&group),
        ),
    ] {
        let attempt = attempt.with_command_timeout(Duration::from_millis(500));
        match Connector::connect(attempt).await {
            Ok(_) => panic!("{what}: connected"),
            Err(err) => println!("sentinel TLS, {what}: {err}"),
        }
    }

    // A fail-over is followed over TLS: the new master is found, the old hold ends (LOST),
    // and the lock is had again with a larger token.
    let old = set.master_port().expect("a master");
    set.server(old).stop();
    let killed = Instant::now();
    let new = set.wait_for_new_master(old, PATIENCE);
    let named = Instant::now();
    let token = c.try_lock("L", PATIENCE).await.unwrap().expect("L again");
    let again = Instant::now();
    assert!(
        first(&states, ConnectionState::Lost).is_some(),
        "A was told LOST"
    );
    assert!(
        token > first_token,
        "token went backwards: {first_token} -> {token}"
    );
    println!(
        "sentinel TLS: master {old} killed, {new} named after {:.0} ms; L held again over TLS \
         after {:.0} ms",
        ms(named - killed),
        ms(again - killed)
    );
    c.close().await.unwrap();
}
