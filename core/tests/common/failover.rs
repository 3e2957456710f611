//! The fail-over scenario the Sentinel and the Cluster tests share: members A and B hold
//! locks and W subscribes; the primary is then killed or cut off (the caller's part), and
//! afterwards B may take A's lock only after A heard LOST, with a larger token; B's own
//! lock is still B's with its token or B was told LOST; W ends with the true membership
//! and never saw an event that did not fit its view (duplicated or missed).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use group_redis::{Config, ConnectionState, Connector, MemberSubscription};

use super::PATIENCE;

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A member at `url` with `lease`, a heartbeat of a quarter lease and a short command
/// timeout (so calls to a dead primary fail fast).
pub fn member_at(url: &str, group: &str, id: &str, lease: Duration) -> Config {
    Config::new(url)
        .with_group(group)
        .with_member_id(id)
        .with_session_timeout(lease)
        .with_heartbeat(lease / 4)
        .with_command_timeout(Duration::from_millis(500))
}

pub type States = Arc<Mutex<Vec<(ConnectionState, Instant)>>>;

/// When each state change arrived.
pub fn record_states(c: &Connector) -> States {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let mut states = c.subscribe_state();
    tokio::spawn(async move {
        while let Some(state) = states.next().await {
            sink.lock().unwrap().push((state, Instant::now()));
        }
    });
    seen
}

pub fn first(
    seen: &Mutex<Vec<(ConnectionState, Instant)>>,
    state: ConnectionState,
) -> Option<Instant> {
    seen.lock()
        .unwrap()
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, at)| *at)
}

/// What a subscriber believes: the member ids of its snapshot with every event applied,
/// and every event that did not fit that view (a join of a member it has, a leave or an
/// update of one it does not have: a duplicated or a missed event).
#[derive(Default)]
pub struct Followed {
    pub view: BTreeSet<String>,
    pub misfits: Vec<String>,
}

pub fn follow(mut sub: MemberSubscription) -> Arc<Mutex<Followed>> {
    let view: BTreeSet<String> = sub.snapshot().iter().map(|m| m.id.clone()).collect();
    let followed = Arc::new(Mutex::new(Followed {
        view,
        misfits: Vec::new(),
    }));
    let sink = Arc::clone(&followed);
    tokio::spawn(async move {
        while let Some(event) = sub.next().await {
            let mut followed = sink.lock().unwrap();
            for left in &event.left_members {
                if !followed.view.remove(&left.id) {
                    followed
                        .misfits
                        .push(format!("left, not known: {}", left.id));
                }
            }
            for joined in &event.joined_members {
                if !followed.view.insert(joined.id.clone()) {
                    followed
                        .misfits
                        .push(format!("joined twice: {}", joined.id));
                }
            }
            for updated in &event.updated_members {
                if !followed.view.contains(&updated.id) {
                    followed
                        .misfits
                        .push(format!("updated, not known: {}", updated.id));
                }
            }
        }
    });
    followed
}

/// A and B joined, A holding L and B holding M, W following the membership.
pub struct Cast {
    pub a: Connector,
    pub b: Connector,
    pub w: Connector,
    pub a_states: States,
    pub b_states: States,
    pub watched: Arc<Mutex<Followed>>,
    pub a_token: u64,
    pub b_token_m: u64,
}

/// B's grant of A's lock after the fault.
pub struct Taken {
    pub b_token: u64,
    pub b_acquired: Instant,
    pub a_lost: Instant,
}

impl Cast {
    pub async fn start(url: &str, group: &str, lease: Duration) -> Cast {
        let connect = |id: &str| Connector::connect(member_at(url, group, id, lease));
        let a = connect("a").await.unwrap();
        let b = connect("b").await.unwrap();
        let w = connect("w").await.unwrap();
        let a_states = record_states(&a);
        let b_states = record_states(&b);
        a.join(None, None).await.unwrap();
        b.join(None, None).await.unwrap();
        let watched = follow(w.subscribe_members().await.unwrap());
        let a_token = a.lock("L").await.unwrap().expect("A takes L");
        let b_token_m = b.lock("M").await.unwrap().expect("B takes M");
        Cast {
            a,
            b,
            w,
            a_states,
            b_states,
            watched,
            a_token,
            b_token_m,
        }
    }

    /// B contends for A's lock L: it may only get it after A heard LOST, with a larger
    /// token, and A no longer believes it holds L.
    pub async fn b_takes_a_lock(&self) -> Taken {
        let b_token = self
            .b
            .try_lock("L", PATIENCE)
            .await
            .unwrap()
            .expect("B gets L");
        let b_acquired = Instant::now();
        let a_lost = first(&self.a_states, ConnectionState::Lost);
        assert!(
            !self.a.is_held("L").unwrap(),
            "A still believes it holds L while B holds it"
        );
        let a_lost = a_lost.expect("A told LOST before B holds L");
        assert!(a_lost < b_acquired);
        assert!(
            b_token > self.a_token,
            "token went backwards: {} -> {b_token}",
            self.a_token
        );
        Taken {
            b_token,
            b_acquired,
            a_lost,
        }
    }

    /// B's hold of M was taken on the old primary: it is either still B's (same token) or
    /// B was told it is gone.
    pub fn b_kept_m_or_heard_lost(&self) {
        match self.b.held_token("M").unwrap() {
            Some(token) => assert_eq!(token, self.b_token_m),
            None => assert!(first(&self.b_states, ConnectionState::Lost).is_some()),
        }
    }

    /// W ends with the true membership (A and B), with no event that did not fit.
    pub async fn subscriber_ends_true(&self) {
        let expected: BTreeSet<String> = ["a".to_string(), "b".to_string()].into();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let truth: BTreeSet<String> = self
                .w
                .members()
                .await
                .map(|m| m.into_iter().map(|m| m.id).collect())
                .unwrap_or_default();
            let seen = self.watched.lock().unwrap().view.clone();
            if truth == expected && seen == expected {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "subscriber sees {seen:?}, Redis has {truth:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let misfits = self.watched.lock().unwrap().misfits.clone();
        assert!(
            misfits.is_empty(),
            "duplicated or missed events: {misfits:?}"
        );
    }

    pub async fn close(self) {
        self.a.close().await.unwrap();
        self.b.close().await.unwrap();
        self.w.close().await.unwrap();
    }
}
