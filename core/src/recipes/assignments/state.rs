//! The records of an assignment topic (docs/PROTOCOL.md, "Controlled assignments"): the
//! leader's record of who owns what, kept in Redis as a small head and one share per
//! member (so a participant reads only its own, and a step writes only what changed), and
//! each participant's ephemeral record of what it holds (its acknowledgement).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One id in the leader's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Slot {
    /// Who owns it now; `None` while unassigned or being revoked.
    pub owner: Option<String>,
    /// The id's fencing token: grows with each assignment of the id.
    pub token: u64,
    /// The previous owner, while it has not acknowledged the revocation (and its session
    /// lives): nobody else gets the id meanwhile.
    pub revoking: Option<String>,
    /// The epoch of the record that started the revocation: it ends only with an
    /// acknowledgement of that epoch or later, so a record still in flight to the old owner
    /// (one that gave it the id) cannot hand the id back to it after the leader moved it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub revoked_at: u64,
    /// The incarnation (see [`Held::incarnation`]) of `owner`, or of `revoking`: a process
    /// that took the member id over from an ended session is another owner, whose tokens
    /// must be larger. 0 in records from before this field: any incarnation.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub incarnation: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The leader's whole record, as it keeps it in memory between steps. In Redis it is
/// [`Record::split`] into a [`Head`] and a [`Share`] per member, written together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    /// +1 on every change.
    pub epoch: u64,
    pub ids: BTreeMap<String, Slot>,
}

impl Record {
    /// The ids `member` owns, with their tokens, whatever its incarnation.
    #[cfg(test)]
    pub fn share(&self, member: &str) -> BTreeMap<String, u64> {
        self.share_of(member, 0)
    }

    /// The ids the `incarnation` of `member` owns (0: any), with their tokens.
    #[cfg(test)]
    pub fn share_of(&self, member: &str, incarnation: u64) -> BTreeMap<String, u64> {
        self.ids
            .iter()
            .filter(|(_, slot)| slot.owner.as_deref() == Some(member))
            .filter(|(_, slot)| same_incarnation(slot.incarnation, incarnation))
            .map(|(id, slot)| (id.clone(), slot.token))
            .collect()
    }
}

/// `assign/<topic>/state`: the head of the record, written by the leader only, with
/// compare-and-set on its version, in the same call as the shares that changed (so the
/// head's version fences every write of the record).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Head {
    /// +1 on every change of the record.
    pub epoch: u64,
    /// The tokens of ids nobody owns or is giving up (ids that left the set, or with no
    /// participant to take them): a later owner's token must be larger.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub free: BTreeMap<String, u64>,
    /// The ids being revoked, until their old owner acknowledges or its session ends. Here
    /// rather than in the old owner's share, so that releasing them (a step on the
    /// owners' acknowledgements) rewrites the head only, not every share it took ids from.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub revoking: BTreeMap<String, Revoking>,
    /// The whole record, in the layout before shares (read only, to take over from it).
    #[serde(default, skip_serializing)]
    pub ids: Option<BTreeMap<String, Slot>>,
}

/// `assign/<topic>/share/<member>`: one member's part of the record, written by the leader
/// (with the head) when it changes; the member watches only this key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Share {
    /// The record epoch that last changed this share (so a revocation's `revoked_at` is
    /// the epoch of the share without the id).
    pub epoch: u64,
    /// The incarnation the owned ids were given to (0: any).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub incarnation: u64,
    /// The ids the member owns, with their tokens.
    #[serde(default)]
    pub ids: BTreeMap<String, u64>,
}

/// An id being revoked, in the [`Head`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Revoking {
    /// Its old owner.
    pub member: String,
    pub token: u64,
    pub revoked_at: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub incarnation: u64,
}

impl Share {
    /// The ids (with tokens) this share gives the participant of `incarnation` (0: any).
    pub fn tokens_for(&self, incarnation: u64) -> BTreeMap<String, u64> {
        if same_incarnation(self.incarnation, incarnation) {
            self.ids.clone()
        } else {
            BTreeMap::new()
        }
    }

    /// The same ids and tokens (whatever the epoch).
    fn same_content(&self, other: &Share) -> bool {
        self.incarnation == other.incarnation && self.ids == other.ids
    }
}

impl Record {
    /// The head and every member's share (epochs 0: see [`changed_shares`]). Owned ids of
    /// one member carry one incarnation (a step gives every id the live participant's);
    /// only records from before incarnations mix 0 with another, which then stands for all.
    pub fn split(&self) -> (Head, BTreeMap<String, Share>) {
        let mut head = Head {
            epoch: self.epoch,
            ..Head::default()
        };
        let mut shares: BTreeMap<String, Share> = BTreeMap::new();
        for (id, slot) in &self.ids {
            if let Some(owner) = &slot.owner {
                let share = shares.entry(owner.clone()).or_default();
                share.ids.insert(id.clone(), slot.token);
                share.incarnation = share.incarnation.max(slot.incarnation);
            } else if let Some(old) = &slot.revoking {
                let revoking = Revoking {
                    member: old.clone(),
                    token: slot.token,
                    revoked_at: slot.revoked_at,
                    incarnation: slot.incarnation,
                };
                head.revoking.insert(id.clone(), revoking);
            } else if slot.token > 0 {
                head.free.insert(id.clone(), slot.token);
            }
        }
        (head, shares)
    }

    /// The record a head and the members' shares hold (the inverse of [`Record::split`]).
    pub fn assemble<'a>(head: Head, shares: impl IntoIterator<Item = (&'a str, Share)>) -> Record {
        if let Some(ids) = head.ids {
            return Record {
                epoch: head.epoch,
                ids,
            };
        }
        let mut ids: BTreeMap<String, Slot> = head
            .free
            .into_iter()
            .map(|(id, token)| {
                (
                    id,
                    Slot {
                        token,
                        ..Slot::default()
                    },
                )
            })
            .collect();
        for (id, r) in head.revoking {
            let slot = ids.entry(id).or_default();
            slot.token = slot.token.max(r.token);
            slot.revoking = Some(r.member);
            slot.revoked_at = r.revoked_at;
            slot.incarnation = r.incarnation;
        }
        for (member, share) in shares {
            for (id, token) in share.ids {
                let slot = ids.entry(id).or_default();
                slot.token = slot.token.max(token);
                slot.owner = Some(member.to_string());
                slot.incarnation = share.incarnation;
            }
        }
        Record {
            epoch: head.epoch,
            ids,
        }
    }
}

/// The head and the shares to write for `record` after `written` (what Redis holds): each
/// member's share whose content differs, stamped with the record's epoch; a member with a
/// written share the record no longer mentions gets an empty one.
pub(crate) fn changed_shares(
    record: &Record,
    written: &BTreeMap<String, Share>,
) -> (Head, BTreeMap<String, Share>) {
    let (head, mut shares) = record.split();
    for (member, old) in written {
        let empty = Share::default();
        if !old.same_content(&empty) {
            shares.entry(member.clone()).or_default();
        }
    }
    // Unchanged, or empty and never written: nothing to write.
    shares.retain(|member, share| match written.get(member) {
        Some(old) => !old.same_content(share),
        None => !share.same_content(&Share::default()),
    });
    for share in shares.values_mut() {
        share.epoch = record.epoch;
    }
    (head, shares)
}

/// `assign/<topic>/held/<member>`: what a participant holds (ephemeral: it goes with the
/// participant's session, which is how the leader learns it ended).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Held {
    /// The record epoch the participant last applied.
    pub epoch: u64,
    pub ids: BTreeSet<String>,
    /// Random, chosen by each [`crate::Assignment`] (kept across its reconnects): tells a
    /// process that restarted with the same member id from the one before it.
    #[serde(default)]
    pub incarnation: u64,
}

/// Whether two incarnations are the same participant (0 stands for any).
pub(crate) fn same_incarnation(a: u64, b: u64) -> bool {
    a == 0 || b == 0 || a == b
}

pub(crate) fn record_path(topic: &str) -> String {
    format!("assign/{topic}/state")
}

pub(crate) fn share_prefix(topic: &str) -> String {
    format!("assign/{topic}/share/")
}

pub(crate) fn held_prefix(topic: &str) -> String {
    format!("assign/{topic}/held/")
}

pub(crate) fn leadership_name(topic: &str) -> String {
    format!("assign/{topic}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(owner: Option<&str>, revoking: Option<&str>, token: u64, incarnation: u64) -> Slot {
        Slot {
            owner: owner.map(str::to_string),
            token,
            revoking: revoking.map(str::to_string),
            revoked_at: if revoking.is_some() { 4 } else { 0 },
            incarnation,
        }
    }

    fn record() -> Record {
        Record {
            epoch: 5,
            ids: BTreeMap::from([
                ("a".to_string(), slot(Some("m1"), None, 10, 7)),
                ("b".to_string(), slot(None, Some("m1"), 11, 7)),
                ("c".to_string(), slot(Some("m2"), None, 12, 8)),
                ("d".to_string(), slot(None, None, 13, 0)),
            ]),
        }
    }

    #[test]
    fn the_record_goes_through_head_and_shares_and_back() {
        let (head, shares) = record().split();
        assert_eq!(head.free, BTreeMap::from([("d".to_string(), 13)]));
        assert_eq!(shares["m1"].ids, BTreeMap::from([("a".to_string(), 10)]));
        assert_eq!(head.revoking["b"].revoked_at, 4);
        assert_eq!(head.revoking["b"].member, "m1");
        let back = Record::assemble(head, shares.iter().map(|(m, s)| (m.as_str(), s.clone())));
        assert_eq!(back, record());
    }

    #[test]
    fn only_changed_shares_are_written_and_a_member_left_out_gets_an_empty_one() {
        let (_, written) = changed_shares(&record(), &BTreeMap::new());
        assert_eq!(written.keys().collect::<Vec<_>>(), ["m1", "m2"]);
        let mut next = record();
        next.epoch = 6;
        next.ids.get_mut("c").unwrap().owner = None;
        next.ids.get_mut("c").unwrap().incarnation = 0;
        let (head, changed) = changed_shares(&next, &written);
        assert_eq!(head.epoch, 6);
        assert_eq!(head.free.len(), 2);
        // m1 unchanged: not written; m2 lost its only id: an empty share at epoch 6.
        assert_eq!(changed.keys().collect::<Vec<_>>(), ["m2"]);
        assert!(changed["m2"].ids.is_empty());
        assert_eq!(changed["m2"].epoch, 6);
    }

    #[test]
    fn a_head_in_the_previous_layout_is_the_whole_record() {
        let old = serde_json::json!({
            "epoch": 5,
            "ids": {"a": {"owner": "m1", "token": 10, "revoking": null, "incarnation": 7}},
        });
        let head: Head = serde_json::from_value(old).unwrap();
        let record = Record::assemble(head, []);
        assert_eq!(record.epoch, 5);
        assert_eq!(record.ids["a"], slot(Some("m1"), None, 10, 7));
        // Written back in the new layout, without `ids`.
        let (head, _) = record.split();
        assert!(serde_json::to_value(&head).unwrap().get("ids").is_none());
    }
}
