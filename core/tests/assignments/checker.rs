//! What the assignment tests check on the shares they see: every participant's latest
//! share (to wait until the shares are settled), an id in two latest shares (the strict
//! check of the small test), and the hand-over rule of the benchmarks.
//!
//! With many participants in one process, events of different participants reach the
//! checker out of the order they were published in (each subscription is relayed by its
//! own task, and a starved task can be several record epochs late), so the benchmarks
//! check the rule by what the events carry, not by when they arrive: every id's owners are
//! ordered by the id's fencing token (it grows with each assignment of the id), and each
//! owner must have let go of the id at an earlier record epoch than the next owner got it
//! (the leader moves an id only once its old owner acknowledged a share without it, which
//! it publishes first) — unless the session the old owner held it in has ended: the
//! protocol moves an id without an acknowledgement then, and an old owner whose lease ran
//! out while it did not run (CPU starvation, as SIGSTOP) applies the record that moved its
//! ids before its connector reports LOST. Each event is recorded with its connector's
//! session id at that moment, which is the session it was published in or a later one
//! (recorded after the publication), never an earlier one: an id taken again in a new
//! session is never mistaken for one held in the ended session.
//!
//! The epochs give the record's order, not the order in time: a leader that moved an id
//! without waiting for the acknowledgement still writes the revocation and the new owner's
//! share at two epochs. So each time an event gives an id to a participant, the checker
//! also looks at the share the id's previous owner publishes at that moment (its
//! [`Assignment::share`], not an event that may still be on its way): still the id, with
//! a smaller token, is two owners at once in time, unless that session has ended since.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, Weak};

use group_redis::{Assignment, AssignmentEvent};

/// A participant's connector's current session id.
pub type SessionOf = Arc<dyn Fn() -> String + Send + Sync>;

/// For a test that checks only for an id in two latest shares.
pub fn any_session() -> SessionOf {
    Arc::new(String::new)
}

#[derive(Default)]
pub struct Shares {
    state: Mutex<State>,
    /// Ids seen in two latest shares at once (the strict check: one participant's events
    /// in order, a few participants).
    pub violations: Mutex<Vec<String>>,
    sessions: Mutex<BTreeMap<String, SessionOf>>,
    /// Each participant, to read the share it publishes now.
    participants: Mutex<BTreeMap<String, Weak<Assignment>>>,
    /// Ids found in two published shares at once: the old owner, its session then, and
    /// what was seen.
    overlaps: Mutex<Vec<(String, String, String)>>,
}

#[derive(Default)]
pub struct State {
    pub latest: BTreeMap<String, AssignmentEvent>,
    /// Each id's owner, by the latest event recorded that gave it.
    owners: BTreeMap<String, String>,
    /// How many entries of `owners` each member has.
    pub owned: BTreeMap<String, usize>,
    /// Every id's owners so far, by token.
    claims: BTreeMap<String, BTreeMap<u64, Claim>>,
}

/// One owner of an id, with the id's token.
#[derive(Debug, Clone)]
struct Claim {
    member: String,
    /// Its session when the event that gave it the id was recorded.
    session: String,
    /// The epoch of the event that gave it the id.
    gained: u64,
    /// The epoch of its first event without the id (0: LOST or closed); `None`: held.
    released: Option<u64>,
}

impl State {
    fn drop_share(&mut self, member: &str) {
        if let Some(old) = self.latest.remove(member) {
            for id in &old.ids {
                if self.owners.get(id).is_some_and(|o| o == member) {
                    self.owners.remove(id);
                    *self.owned.get_mut(member).unwrap() -= 1;
                }
            }
        }
    }
}

impl Shares {
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    fn record(&self, event: AssignmentEvent, session: String) {
        let mut state = self.state.lock().unwrap();
        let member = event.member.clone();
        let before = state
            .latest
            .get(&member)
            .map(|e| e.tokens.clone())
            .unwrap_or_default();
        for (id, token) in &before {
            if event.tokens.get(id) != Some(token) {
                let claims = state.claims.entry(id.clone()).or_default();
                if let Some(claim) = claims.get_mut(token).filter(|c| c.member == member) {
                    claim.released = Some(event.epoch);
                }
            }
        }
        for (id, token) in &event.tokens {
            if before.get(id) == Some(token) {
                continue;
            }
            let claims = state.claims.entry(id.clone()).or_default();
            match claims.get_mut(token) {
                // The same token again for the same member (after a lost session): held
                // again, its earlier release void.
                Some(claim) if claim.member == member => {
                    claim.released = None;
                    claim.session = session.clone();
                }
                Some(claim) => self.violations.lock().unwrap().push(format!(
                    "{id}: token {token} given to {} and {member}",
                    claim.member
                )),
                None => {
                    claims.insert(
                        *token,
                        Claim {
                            member: member.clone(),
                            session: session.clone(),
                            gained: event.epoch,
                            released: None,
                        },
                    );
                }
            }
        }
        self.look_at_old_owners(&state, &member, &event, &before);
        state.drop_share(&member);
        for id in &event.ids {
            if let Some(other) = state.owners.insert(id.clone(), member.clone()) {
                self.violations
                    .lock()
                    .unwrap()
                    .push(format!("{id} owned by {other} and {member}"));
                *state.owned.get_mut(&other).unwrap() -= 1;
            }
            *state.owned.entry(member.clone()).or_default() += 1;
        }
        state.latest.insert(member, event);
    }

    /// For each id `event` gives `member` anew: whether the id's previous owner (by the
    /// events recorded) publishes it now, with a smaller token.
    fn look_at_old_owners(
        &self,
        state: &State,
        member: &str,
        event: &AssignmentEvent,
        before: &BTreeMap<String, u64>,
    ) {
        let mut now: BTreeMap<&str, Option<(AssignmentEvent, String)>> = BTreeMap::new();
        for (id, token) in &event.tokens {
            if before.get(id) == Some(token) {
                continue;
            }
            let Some(old) = state.owners.get(id).filter(|o| *o != member) else {
                continue;
            };
            let seen = now.entry(old.as_str()).or_insert_with(|| {
                let part = self.participants.lock().unwrap().get(old)?.upgrade()?;
                let session = self.sessions.lock().unwrap().get(old).map(|s| s())?;
                Some((part.share(), session))
            });
            if let Some((share, session)) = seen {
                if share.tokens.get(id).is_some_and(|t| t < token) {
                    self.overlaps.lock().unwrap().push((
                        old.clone(),
                        session.clone(),
                        format!(
                            "{id}: {member} got it at epoch {} (token {token}) while {old} \
                             published it (token {}, its epoch {})",
                            event.epoch, share.tokens[id], share.epoch
                        ),
                    ));
                }
            }
        }
    }

    /// Follows `assignment`'s share; `session` tells its connector's session id now.
    pub fn follow(self: &Arc<Self>, assignment: &Arc<Assignment>, session: SessionOf) {
        let mut events = assignment.subscribe();
        let shares = Arc::clone(self);
        let member = events.snapshot().member.clone();
        shares
            .participants
            .lock()
            .unwrap()
            .insert(member.clone(), Arc::downgrade(assignment));
        shares
            .sessions
            .lock()
            .unwrap()
            .insert(member, Arc::clone(&session));
        shares.record(events.snapshot().clone(), session());
        tokio::spawn(async move {
            while let Some(event) = events.next().await {
                shares.record(event, session());
            }
        });
    }

    /// After `member` closed: its share is gone. Closing published an empty share before
    /// the participant's acknowledgement key was deleted (so before the leader could move
    /// its ids): its ids count as let go then, at epoch 0, whenever that event arrives.
    pub fn forget(&self, member: &str) {
        let mut state = self.state.lock().unwrap();
        let held = state
            .latest
            .get(member)
            .map(|e| e.tokens.clone())
            .unwrap_or_default();
        for (id, token) in held {
            let claim = state.claims.get_mut(&id).and_then(|c| c.get_mut(&token));
            if let Some(claim) = claim.filter(|c| c.member == member && c.released.is_none()) {
                claim.released = Some(0);
            }
        }
        state.drop_share(member);
    }

    /// For the benchmarks: each id's owners in token order, each one let go of it at an
    /// earlier epoch than the next got it, or held it in a session that has ended since
    /// (see the module's doc). Returns the hand-overs of the second kind.
    pub fn check_hand_overs(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        let sessions = self.sessions.lock().unwrap();
        let ended = |c: &Claim| {
            !sessions
                .get(&c.member)
                .is_some_and(|now| now() == c.session)
        };
        let (mut zombies, mut two) = (Vec::new(), Vec::new());
        for (id, claims) in &state.claims {
            let claims: Vec<(&u64, &Claim)> = claims.iter().collect();
            for (i, (token, old)) in claims.iter().enumerate() {
                // The first later owner got it at the earliest epoch of all later ones.
                let Some((next_token, new)) = claims[i + 1..].iter().min_by_key(|(_, c)| c.gained)
                else {
                    continue;
                };
                if old.released.is_some_and(|r| r < new.gained) {
                    continue;
                }
                let line = format!(
                    "{id}: {} got it at epoch {} (token {next_token}), {} (token {token}) \
                     let go at epoch {:?}, session {}",
                    new.member, new.gained, old.member, old.released, old.session
                );
                if ended(old) {
                    zombies.push(line + " (ended)");
                } else {
                    two.push(line);
                }
            }
        }
        for (old, session, line) in self.overlaps.lock().unwrap().iter() {
            if !sessions.get(old).is_some_and(|now| now() == *session) {
                zombies.push(format!("{line}, session {session} (ended)"));
            } else {
                two.push(line.clone());
            }
        }
        assert!(two.is_empty(), "two owners at once: {two:?}");
        zombies
    }
}

/// Every member's share, as sets of ids.
pub fn snapshot(state: &State, members: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    members
        .iter()
        .map(|m| {
            let share = state
                .latest
                .get(*m)
                .map(|e| e.ids.iter().cloned().collect())
                .unwrap_or_default();
            (m.to_string(), share)
        })
        .collect()
}
