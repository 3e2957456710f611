//! The assignment plan: which member owns which id, balanced and sticky. A pure function,
//! so its invariants are tested over random sequences without Redis.
//!
//! Balanced: every id has exactly one owner and shares differ by at most one. Sticky: an id
//! moves only when balance needs it, and no plan moves fewer ids. With P ids over N members
//! each member's quota is floor(P/N) or ceil(P/N) (P mod N members get the larger); giving
//! the larger quotas to the members that hold the most already keeps the most in place.
//! So when an (N+1)th member joins, only the ids it takes move: at most ceil(P/(N+1)).

use std::collections::{BTreeMap, BTreeSet};

/// Which member owns each id (`id -> member`).
pub type Plan = BTreeMap<String, String>;

/// The balanced plan closest to `current` for `ids` over `members`. Ids no longer in `ids`
/// and owners no longer in `members` are dropped; with no members nothing is assigned.
pub fn rebalance(current: &Plan, ids: &BTreeSet<String>, members: &BTreeSet<String>) -> Plan {
    if members.is_empty() {
        return Plan::new();
    }
    // What each live member already holds of the ids that still exist.
    let mut held: BTreeMap<&str, Vec<&str>> =
        members.iter().map(|m| (m.as_str(), Vec::new())).collect();
    for (id, owner) in current {
        if ids.contains(id) {
            if let Some(list) = held.get_mut(owner.as_str()) {
                list.push(id);
            }
        }
    }
    let quotas = quotas(&held, ids.len());
    let mut plan = Plan::new();
    for (member, list) in &held {
        for id in list.iter().take(quotas[member]) {
            plan.insert(id.to_string(), member.to_string());
        }
    }
    let free: Vec<&String> = ids.iter().filter(|id| !plan.contains_key(*id)).collect();
    let mut free = free.into_iter();
    for (member, quota) in &quotas {
        let kept = held[member].len().min(*quota);
        for id in free.by_ref().take(quota - kept) {
            plan.insert(id.clone(), member.to_string());
        }
    }
    plan
}

/// Each member's share: floor(P/N), plus one for the P mod N members holding the most
/// (ties by name, so every leader computes the same plan).
fn quotas<'a>(held: &BTreeMap<&'a str, Vec<&str>>, total: usize) -> BTreeMap<&'a str, usize> {
    let n = held.len();
    let (base, extra) = (total / n, total % n);
    let mut by_size: Vec<(&str, usize)> = held.iter().map(|(m, l)| (*m, l.len())).collect();
    by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    by_size
        .iter()
        .enumerate()
        .map(|(rank, (member, _))| (*member, base + usize::from(rank < extra)))
        .collect()
}

/// How many ids change owner from `before` to `after` (ids only in `after` are not moves).
pub fn moved(before: &Plan, after: &Plan) -> usize {
    after
        .iter()
        .filter(|(id, owner)| before.get(*id).is_some_and(|old| old != *owner))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*), so failures replay.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn set(items: impl IntoIterator<Item = String>) -> BTreeSet<String> {
        items.into_iter().collect()
    }

    /// Every id exactly once, owners are members, shares differ by at most one.
    fn check_balanced(plan: &Plan, ids: &BTreeSet<String>, members: &BTreeSet<String>) {
        if members.is_empty() {
            assert!(plan.is_empty());
            return;
        }
        assert_eq!(plan.keys().cloned().collect::<BTreeSet<_>>(), *ids);
        let mut sizes: BTreeMap<&String, usize> = members.iter().map(|m| (m, 0)).collect();
        for owner in plan.values() {
            *sizes.get_mut(owner).expect("owner is a member") += 1;
        }
        let (min, max) = (sizes.values().min().unwrap(), sizes.values().max().unwrap());
        assert!(max - min <= 1, "shares {sizes:?}");
    }

    /// The fewest ids any balanced plan must move from `current`: the best choice of which
    /// members get the larger quota, tried exhaustively.
    fn fewest_moves(current: &Plan, ids: &BTreeSet<String>, members: &BTreeSet<String>) -> usize {
        let n = members.len();
        if n == 0 {
            return 0;
        }
        let counts: Vec<usize> = members
            .iter()
            .map(|m| {
                current
                    .iter()
                    .filter(|(id, o)| *o == m && ids.contains(*id))
                    .count()
            })
            .collect();
        let (base, extra) = (ids.len() / n, ids.len() % n);
        let kept_at_best = (0u32..1 << n)
            .filter(|mask| mask.count_ones() as usize == extra)
            .map(|mask| {
                (0..n)
                    .map(|i| counts[i].min(base + usize::from(mask & (1 << i) != 0)))
                    .sum::<usize>()
            })
            .max()
            .unwrap();
        let assigned_before = counts.iter().sum::<usize>();
        assigned_before - kept_at_best
    }

    #[test]
    fn random_join_leave_crash_and_id_changes_keep_every_invariant() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _sequence in 0..300 {
            let mut members: BTreeSet<String> = BTreeSet::new();
            let mut ids: BTreeSet<String> = set((0..rng.below(40)).map(|i| format!("id-{i}")));
            let mut plan = Plan::new();
            for _step in 0..40 {
                match rng.below(4) {
                    // join
                    0 if members.len() < 8 => {
                        members.insert(format!("m{}", rng.below(12)));
                    }
                    // leave or crash: the same to the plan (the owner is gone)
                    1 => {
                        if let Some(m) = members
                            .iter()
                            .nth(rng.below(members.len().max(1) as u64) as usize)
                            .cloned()
                        {
                            members.remove(&m);
                        }
                    }
                    // ids added
                    2 => {
                        for _ in 0..rng.below(5) {
                            ids.insert(format!("id-{}", rng.below(60)));
                        }
                    }
                    // ids removed
                    _ => {
                        for _ in 0..rng.below(5) {
                            let id = format!("id-{}", rng.below(60));
                            ids.remove(&id);
                        }
                    }
                }
                let next = rebalance(&plan, &ids, &members);
                check_balanced(&next, &ids, &members);
                // Ids of owners that left must move; the rest only as balance needs.
                let live: Plan = plan
                    .iter()
                    .filter(|(id, owner)| ids.contains(*id) && members.contains(*owner))
                    .map(|(id, owner)| (id.clone(), owner.clone()))
                    .collect();
                assert_eq!(
                    moved(&live, &next),
                    fewest_moves(&plan, &ids, &members),
                    "moved more than needed: {plan:?} -> {next:?}"
                );
                // Stable: planning again changes nothing.
                assert_eq!(rebalance(&next, &ids, &members), next);
                plan = next;
            }
        }
    }

    #[test]
    fn a_join_moves_at_most_ceil_p_over_n_plus_one() {
        let ids = set((0..10_000).map(|i| format!("id-{i}")));
        let mut members = set((0..100).map(|i| format!("m{i:03}")));
        let plan = rebalance(&Plan::new(), &ids, &members);
        check_balanced(&plan, &ids, &members);
        members.insert("m100".into());
        let next = rebalance(&plan, &ids, &members);
        check_balanced(&next, &ids, &members);
        let moves = moved(&plan, &next);
        assert!(moves <= 10_000usize.div_ceil(101), "{moves} moved");
        assert_eq!(moves, 99);
    }

    #[test]
    fn no_members_assigns_nothing_and_the_last_member_gets_everything() {
        let ids = set(["a".to_string(), "b".to_string()]);
        assert!(rebalance(&Plan::new(), &ids, &BTreeSet::new()).is_empty());
        let one = set(["x".to_string()]);
        let plan = rebalance(&Plan::new(), &ids, &one);
        assert_eq!(plan.values().filter(|o| *o == "x").count(), 2);
    }
}
