//! The assignment protocol simulated without Redis: the leader's [`step`], writing each
//! member's share when it changes, and participants that apply the shares they see late and
//! out of step with the leader (an event still in flight, an acknowledgement not yet written), joins, clean leaves, crashes, id-set
//! changes and leader changes, in random order from a seeded generator. After every action:
//! no id is in two live participants' published shares (revoke before assign) and an id's
//! token grows with each new holder; once quiet, every id has exactly one owner, balanced.

use std::collections::{BTreeMap, BTreeSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::plan::Plan;
use super::state::{changed_shares, Held, Record, Share};
use super::step::step;

/// One participant as the protocol sees it.
#[derive(Default)]
struct Participant {
    /// The index in its member's share history of the last share it applied.
    applied: usize,
    /// The share handed to its application (the ids it may use now).
    published: BTreeMap<String, u64>,
    /// An acknowledgement computed but not yet written to Redis.
    pending_ack: Option<Held>,
    /// The acknowledgement it last computed.
    acked: Option<Held>,
    incarnation: u64,
    /// What its connector re-registers when it replaces a lost session: the
    /// acknowledgement it last wrote (`None` while its session is up).
    lost: Option<Held>,
}

struct World {
    /// Every record the leaders wrote, by epoch (index = epoch; 0 is the empty record).
    records: Vec<Record>,
    /// Every share written, per member id, in order (index 0: none yet).
    shares: BTreeMap<String, Vec<Share>>,
    /// The live sessions' acknowledgement keys.
    held: BTreeMap<String, Held>,
    participants: BTreeMap<String, Participant>,
    ids: BTreeSet<String>,
    term: u64,
    /// The largest token any participant was ever handed, per id.
    handed: BTreeMap<String, u64>,
    /// The last incarnation given out.
    incarnations: u64,
    /// The acknowledgements as the leader last read them, when it has read them and not
    /// yet written its step: its step uses them, as the real leader's does (it lists the
    /// acknowledgements, then computes and writes), while sessions come and go meanwhile.
    view: Option<BTreeMap<String, Held>>,
}

impl World {
    fn latest(&self) -> &Record {
        self.records.last().unwrap()
    }

    /// The leader lists the acknowledgements (its step comes later, by [`World::lead`]).
    fn read(&mut self) {
        self.view = Some(self.held.clone());
    }

    fn lead(&mut self) {
        let view = self.view.take().unwrap_or_else(|| self.held.clone());
        let next = step(self.latest(), &self.ids, &view, self.term);
        if next.epoch != self.latest().epoch {
            assert_eq!(next.epoch as usize, self.records.len());
            let written: BTreeMap<String, Share> = self
                .shares
                .iter()
                .map(|(m, h)| (m.clone(), h.last().unwrap().clone()))
                .collect();
            let (head, changed) = changed_shares(&next, &written);
            for (member, share) in changed {
                let history = self
                    .shares
                    .entry(member)
                    .or_insert_with(|| vec![Share::default()]);
                history.push(share);
            }
            // What Redis holds is the whole record: a new leader starts from it.
            let held = self
                .shares
                .iter()
                .map(|(m, h)| (m.as_str(), h.last().unwrap().clone()));
            assert_eq!(Record::assemble(head, held), next);
            self.records.push(next);
        }
    }

    /// The index of the newest share written for `member`.
    fn newest(&self, member: &str) -> usize {
        self.shares.get(member).map_or(0, |h| h.len() - 1)
    }

    /// `member` applies a share it has not applied yet (not necessarily the latest: its
    /// watch events may still be in flight), as `participant::apply` does: publish, then
    /// acknowledge (written later, by `ack`).
    fn apply(&mut self, member: &str, rng: &mut StdRng) {
        let p = &self.participants[member];
        let newest = self.newest(member);
        if p.applied >= newest {
            return;
        }
        let index = rng.random_range(p.applied + 1..=newest);
        self.apply_index(member, index);
    }

    fn apply_index(&mut self, member: &str, index: usize) {
        if index == 0 {
            return;
        }
        let written = &self.shares[member][index];
        let p = self.participants.get_mut(member).unwrap();
        let share = written.tokens_for(p.incarnation);
        let ack = super::participant::acknowledgement(written, p.incarnation, p.acked.as_ref());
        p.applied = index;
        for (id, token) in &share {
            if !p.published.contains_key(id) {
                // Larger than any before, even for the member that had it last (a
                // share of a session that ended gives nothing back: see `lose`).
                let before = self.handed.get(id).copied().unwrap_or(0);
                assert!(*token > before, "{id}: token {token} after {before}");
                self.handed.insert(id.clone(), *token);
            }
        }
        p.published = share;
        if let Some(ack) = ack {
            p.acked = Some(ack.clone());
            p.pending_ack = Some(ack);
        }
    }

    fn ack(&mut self, member: &str) {
        if self.participants[member].lost.is_some() {
            // No session to write it with: written again after RECONNECTED.
            return;
        }
        if let Some(held) = self
            .participants
            .get_mut(member)
            .unwrap()
            .pending_ack
            .take()
        {
            self.held.insert(member.to_string(), held);
        }
    }

    fn join(&mut self, member: &str) {
        self.incarnations += 1;
        let held = Held {
            incarnation: self.incarnations,
            ..Held::default()
        };
        let p = Participant {
            acked: Some(held.clone()),
            incarnation: self.incarnations,
            ..Participant::default()
        };
        self.participants.insert(member.to_string(), p);
        self.held.insert(member.to_string(), held);
    }

    /// A clean leave and a crash look the same to the others: the share is gone (the
    /// process is), then the acknowledgement key with the session.
    fn gone(&mut self, member: &str) {
        self.participants.remove(member);
        self.held.remove(member);
    }

    /// Its lease ran out (LOST): it drops its share at once and takes a new incarnation,
    /// as `participant::follow` does; its session is reaped, which takes its
    /// acknowledgement key with it. Shares still in flight may reach it before it is
    /// RECONNECTED (its watch does not stop).
    fn lose(&mut self, member: &str) {
        self.incarnations += 1;
        let incarnation = self.incarnations;
        let p = self.participants.get_mut(member).unwrap();
        if p.lost.is_some() {
            return;
        }
        p.published.clear();
        p.pending_ack = None;
        p.incarnation = incarnation;
        p.lost = Some(self.held.remove(member).unwrap_or_default());
    }

    /// RECONNECTED with a new session after LOST: the connector re-registers the last
    /// acknowledgement written, then the participant reads its newest share (whatever the
    /// leader is about to write) and applies it.
    fn reconnect(&mut self, member: &str) {
        let newest = self.newest(member);
        let p = self.participants.get_mut(member).unwrap();
        let Some(restored) = p.lost.take() else {
            return;
        };
        self.held.insert(member.to_string(), restored);
        p.acked = None;
        p.applied = newest.saturating_sub(1);
        if newest == 0 {
            p.acked = Some(Held {
                incarnation: p.incarnation,
                ..Held::default()
            });
            p.pending_ack = p.acked.clone();
        }
        self.apply_index(member, newest);
    }

    fn check_no_two_owners(&self) {
        let mut owners: BTreeMap<&String, &String> = BTreeMap::new();
        for (member, p) in &self.participants {
            for id in p.published.keys() {
                if let Some(other) = owners.insert(id, member) {
                    panic!("{id} held by {other} and {member}");
                }
            }
        }
    }

    /// Everyone applies and acknowledges the latest record, the leader steps, until
    /// nothing changes.
    fn settle(&mut self, rng: &mut StdRng) {
        // A leader that read the acknowledgements long ago reads them again.
        self.view = None;
        let members: Vec<String> = self.participants.keys().cloned().collect();
        for m in &members {
            self.reconnect(m);
        }
        for _ in 0..50 {
            let epoch = self.latest().epoch;
            let members: Vec<String> = self.participants.keys().cloned().collect();
            for m in &members {
                while self.participants[m].applied < self.newest(m) {
                    self.apply(m, rng);
                    self.check_no_two_owners();
                }
                self.ack(m);
            }
            self.lead();
            if self.latest().epoch == epoch {
                return;
            }
        }
        panic!("did not settle: {:?}", self.latest());
    }
}

#[test]
fn random_schedules_never_give_an_id_to_two_participants() {
    let mut rng = StdRng::seed_from_u64(0x005e_eda5_519e);
    for case in 0..400 {
        let mut world = World {
            records: vec![Record::default()],
            shares: BTreeMap::new(),
            held: BTreeMap::new(),
            participants: BTreeMap::new(),
            ids: (0..rng.random_range(0..30))
                .map(|i| format!("id-{i}"))
                .collect(),
            term: 1,
            handed: BTreeMap::new(),
            incarnations: 0,
            view: None,
        };
        for _ in 0..200 {
            let members: Vec<String> = world.participants.keys().cloned().collect();
            let someone =
                (!members.is_empty()).then(|| members[rng.random_range(0..members.len())].clone());
            match rng.random_range(0..110) {
                0..=29 => world.lead(),
                30..=59 => {
                    if let Some(m) = someone {
                        world.apply(&m, &mut rng);
                    }
                }
                60..=84 => {
                    if let Some(m) = someone {
                        world.ack(&m);
                    }
                }
                // Names come back: a process restarted with its old member id, possibly
                // before the leader saw its old session end.
                85..=89 if members.len() < 6 => {
                    world.join(&format!("m{}", rng.random_range(0..10)));
                }
                90..=93 => {
                    if let Some(m) = someone {
                        world.gone(&m);
                    }
                }
                94..=96 => {
                    let id = format!("id-{}", rng.random_range(0..40));
                    if !world.ids.remove(&id) {
                        world.ids.insert(id);
                    }
                }
                // A new leader: a larger term, starting from the recorded assignment.
                97..=99 => world.term += rng.random_range(1..5),
                100..=103 => world.read(),
                104..=106 => {
                    if let Some(m) = someone {
                        world.lose(&m);
                    }
                }
                _ => {
                    if let Some(m) = someone {
                        world.reconnect(&m);
                    }
                }
            }
            world.check_no_two_owners();
        }
        world.settle(&mut rng);
        let record = world.latest();
        let plan: Plan = record
            .ids
            .iter()
            .filter_map(|(id, s)| Some((id.clone(), s.owner.clone()?)))
            .collect();
        if world.participants.is_empty() {
            assert!(plan.is_empty(), "case {case}");
            continue;
        }
        assert_eq!(
            plan.keys().cloned().collect::<BTreeSet<_>>(),
            world.ids,
            "case {case}: every id owned once"
        );
        let sizes: Vec<usize> = world
            .participants
            .keys()
            .map(|m| plan.values().filter(|o| *o == m).count())
            .collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "case {case}: shares {sizes:?}"
        );
        for (m, p) in &world.participants {
            assert_eq!(
                p.published,
                record.share_of(m, p.incarnation),
                "case {case}: {m}'s share"
            );
        }
    }
}

/// Sticky through the protocol, not only in the plan: with acknowledgements landing in
/// random order between the leader's steps, a join of the (N+1)th participant moves at
/// most ceil(P/(N+1)) ids from the settled record to the next settled one.
#[test]
fn a_join_moves_few_ids_whatever_order_acknowledgements_land_in() {
    let mut rng = StdRng::seed_from_u64(0x0017_a55e);
    for case in 0..15 {
        let count: usize = rng.random_range(1..150);
        let n: usize = rng.random_range(1..8);
        let mut world = World {
            records: vec![Record::default()],
            shares: BTreeMap::new(),
            held: BTreeMap::new(),
            participants: BTreeMap::new(),
            ids: (0..count).map(|i| format!("id-{i}")).collect(),
            term: 1,
            handed: BTreeMap::new(),
            incarnations: 0,
            view: None,
        };
        for i in 0..n {
            world.join(&format!("m{i}"));
        }
        world.settle(&mut rng);
        let owners = |r: &Record| -> Plan {
            r.ids
                .iter()
                .filter_map(|(id, s)| Some((id.clone(), s.owner.clone()?)))
                .collect()
        };
        let before = owners(world.latest());
        world.join("new");
        // Until quiet: a random participant applies or acknowledges, or the leader steps.
        for _ in 0..1_000 {
            let members: Vec<String> = world.participants.keys().cloned().collect();
            let m = members[rng.random_range(0..members.len())].clone();
            match rng.random_range(0..3) {
                0 => world.lead(),
                1 => world.apply(&m, &mut rng),
                _ => world.ack(&m),
            }
            world.check_no_two_owners();
        }
        world.settle(&mut rng);
        let after = owners(world.latest());
        let moves = super::plan::moved(&before, &after);
        assert!(
            moves <= count.div_ceil(n + 1),
            "case {case}: {count} ids over {n}+1 moved {moves}"
        );
    }
}
