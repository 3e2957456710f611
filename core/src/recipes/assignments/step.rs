//! One step of the assignment leader: from the recorded assignment, the id set and what
//! each live participant acknowledges holding, the next record. Pure, so the rule "an id
//! moves only after its previous owner acknowledged the revocation or its session ended"
//! is tested without Redis.

use std::collections::{BTreeMap, BTreeSet};

use super::plan::{rebalance, Plan};
use super::state::{same_incarnation, Held, Record};

/// The next record (the same, epoch included, when nothing changes). `participants` are
/// the live participants (their session lives) with what they hold; `term` is the
/// leader's fencing token, so an id's token grows across leaders and Redis data loss.
pub(crate) fn step(
    record: &Record,
    ids: &BTreeSet<String>,
    participants: &BTreeMap<String, Held>,
    term: u64,
) -> Record {
    let mut next = record.clone();
    for (id, slot) in next.ids.iter_mut() {
        // A revocation ends when the old owner acknowledged a record from the revocation
        // on without the id, or its session ended.
        let live = |member: &String| {
            participants
                .get(member)
                .filter(|held| same_incarnation(held.incarnation, slot.incarnation))
        };
        if let Some(old) = &slot.revoking {
            if !live(old).is_some_and(|held| held.ids.contains(id) || held.epoch < slot.revoked_at)
            {
                slot.revoking = None;
                slot.revoked_at = 0;
            }
        }
        // An owner whose session ended (or whose member id another process took over)
        // holds nothing: nothing to wait for.
        if slot.owner.as_ref().is_some_and(|o| live(o).is_none()) {
            slot.owner = None;
        }
        if slot.owner.is_none() && slot.revoking.is_none() {
            slot.incarnation = 0;
        }
        // An id taken out of the set is revoked from its owner.
        if !ids.contains(id) {
            if let Some(owner) = slot.owner.take() {
                slot.revoking = Some(owner);
                slot.revoked_at = record.epoch + 1;
            }
        }
    }
    let current: Plan = next
        .ids
        .iter()
        .filter_map(|(id, slot)| Some((id.clone(), slot.owner.clone()?)))
        .collect();
    let members: BTreeSet<String> = participants.keys().cloned().collect();
    let target = rebalance(&current, ids, &members);
    for id in ids {
        let wanted = target.get(id);
        // An id never given out has no slot until it is (so a record is its owners,
        // revocations and tokens, nothing else: see `Record::split`).
        let slot = match (next.ids.contains_key(id), wanted) {
            (false, None) => continue,
            _ => next.ids.entry(id.clone()).or_default(),
        };
        if slot.owner.is_some() && slot.owner.as_ref() != wanted {
            // Revoke first; the new owner gets it in a later step, once acknowledged.
            slot.revoking = slot.owner.take();
            slot.revoked_at = record.epoch + 1;
        }
        if slot.owner.is_none() && slot.revoking.is_none() {
            if let Some(owner) = wanted {
                slot.owner = Some(owner.clone());
                slot.token = (slot.token + 1).max(term);
                slot.incarnation = participants[owner].incarnation;
            }
        }
    }
    if next.ids != record.ids {
        next.epoch = record.epoch + 1;
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(ids: &[&str]) -> Held {
        Held {
            epoch: 0,
            ids: ids.iter().map(|s| s.to_string()).collect(),
            incarnation: 0,
        }
    }

    fn ids(n: usize) -> BTreeSet<String> {
        (0..n).map(|i| format!("id-{i}")).collect()
    }

    /// Runs steps, with every participant acknowledging what the record gives it, until
    /// nothing changes; checks at each step that no id has two owners, counting one that
    /// is still held by its previous owner (revoking) as owned by it.
    fn settle(mut record: Record, ids: &BTreeSet<String>, members: &[&str], term: u64) -> Record {
        for _ in 0..10 {
            let participants: BTreeMap<String, Held> = members
                .iter()
                .map(|m| {
                    let share = record.share(m);
                    let mut h = held(&[]);
                    h.ids = share.keys().cloned().collect();
                    h.epoch = record.epoch;
                    // Still holding what is being revoked from it until it acknowledges:
                    // here it acknowledges at once.
                    (m.to_string(), h)
                })
                .collect();
            let next = step(&record, ids, &participants, term);
            for slot in next.ids.values() {
                assert!(
                    slot.owner.is_none() || slot.revoking.is_none(),
                    "owned while being revoked: {slot:?}"
                );
            }
            if next == record {
                return record;
            }
            record = next;
        }
        panic!("did not settle: {record:?}");
    }

    #[test]
    fn an_id_moves_only_after_the_old_owner_acknowledged() {
        let all = ids(4);
        let record = settle(Record::default(), &all, &["a"], 10);
        assert_eq!(record.share("a").len(), 4);
        // b joins; a still holds everything (has not acknowledged yet).
        let participants = BTreeMap::from([
            ("a".to_string(), held(&["id-0", "id-1", "id-2", "id-3"])),
            ("b".to_string(), held(&[])),
        ]);
        let next = step(&record, &all, &participants, 10);
        assert_eq!(next.share("a").len(), 2);
        assert!(next.share("b").is_empty(), "b got ids before a let go");
        let revoking: Vec<_> = next.ids.values().filter(|s| s.revoking.is_some()).collect();
        assert_eq!(revoking.len(), 2);
        // Again without an acknowledgement: still nothing for b.
        assert_eq!(step(&next, &all, &participants, 10).share("b").len(), 0);
        // a acknowledges: b gets them, with tokens above the old ones.
        let mut acked = participants.clone();
        let mut ack = held(
            &next
                .share("a")
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        // An acknowledgement of a record from before the revocation releases nothing.
        ack.epoch = record.epoch;
        acked.insert("a".into(), ack.clone());
        assert!(step(&next, &all, &acked, 10).share("b").is_empty());
        ack.epoch = next.epoch;
        acked.insert("a".into(), ack);
        let after = step(&next, &all, &acked, 10);
        assert_eq!(after.share("b").len(), 2);
        for (id, token) in after.share("b") {
            assert!(token > record.ids[&id].token);
        }
    }

    #[test]
    fn a_crashed_owner_needs_no_acknowledgement_and_tokens_keep_growing() {
        let all = ids(6);
        let record = settle(Record::default(), &all, &["a", "b"], 10);
        let before: BTreeMap<String, u64> = record
            .ids
            .iter()
            .map(|(i, s)| (i.clone(), s.token))
            .collect();
        // a's session ended: its ids go to b at once.
        let participants = BTreeMap::from([(
            "b".to_string(),
            held(
                &record
                    .share("b")
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
        )]);
        let next = step(&record, &all, &participants, 10);
        assert_eq!(next.share("b").len(), 6);
        // A new leader (a larger term) starts from the record; tokens only grow.
        let later = settle(next.clone(), &all, &["b", "c"], 500);
        for (id, slot) in &later.ids {
            assert!(slot.token >= before[id]);
        }
        assert!(later.share("c").values().all(|t| *t >= 500));
        assert_eq!(later.share("b").len() + later.share("c").len(), 6);
    }

    #[test]
    fn an_id_taken_out_of_the_set_is_revoked_and_a_readded_one_gets_a_new_token() {
        let mut all = ids(3);
        let record = settle(Record::default(), &all, &["a"], 1);
        let token = record.ids["id-0"].token;
        all.remove("id-0");
        let record = settle(record, &all, &["a"], 1);
        assert!(!record.share("a").contains_key("id-0"));
        all.insert("id-0".into());
        let record = settle(record, &all, &["a"], 1);
        assert!(record.share("a")["id-0"] > token);
    }
}
