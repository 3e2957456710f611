//! The assignment leader: while this participant leads, it runs [`step`] whenever a
//! participant comes, goes or acknowledges, or the id set changes, and writes what changed.
//!
//! It keeps the record in memory between steps (read from Redis only when it starts
//! leading, or after a write that failed or lost a race) and writes the head with only the
//! shares that changed, in one compare-and-set on the head's version: a leader that lost
//! its leadership without knowing it cannot overwrite a newer record, and a new leader
//! starts from exactly what the last one recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use super::participant::Shared;
use super::state::{
    changed_shares, held_prefix, record_path, share_prefix, Head, Held, Record, Share,
};
use super::step::step;
use crate::error::{Error, Result};

/// How often the leader looks again without a trigger (sub-group changes, a lost event).
const RECHECK: Duration = Duration::from_millis(500);

/// What the leader knows Redis holds for the topic.
struct Kept {
    /// The leadership term it was read or written under.
    term: u64,
    record: Record,
    /// The head's version (the compare-and-set guard).
    version: u64,
    /// Each member's share as written.
    written: BTreeMap<String, Share>,
}

/// While this participant leads: step the record whenever a participant comes, goes or
/// acknowledges, or the id set changes.
pub(super) async fn lead(shared: Arc<Shared>, leadership: crate::Leadership) {
    let connector = &shared.connector;
    let mut stop = shared.stop.subscribe();
    let mut acks = connector
        .watch_ephemeral(&held_prefix(&shared.topic), None)
        .await
        .ok();
    let mut leader_events = Some(leadership.subscribe());
    let mut kept: Option<Kept> = None;
    loop {
        if let Some(term) = leadership.token() {
            match lead_once(&shared, term, &mut kept).await {
                // A step may allow the next at once (an owner whose session ended).
                Ok(true) => continue,
                Ok(false) => {}
                Err(err) => {
                    tracing::debug!(topic = %shared.topic, error = %err, "assignment step failed")
                }
            }
        } else {
            kept = None;
        }
        tokio::select! {
            biased;
            _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
            _ = shared.ids_changed.notified() => {}
            event = async { match leader_events.as_mut() { Some(e) => e.next().await, None => std::future::pending().await } } => {
                // Ended (the connector closed): stop asking it, or this loop would spin.
                if event.is_none() { leader_events = None; }
            }
            event = async { match acks.as_mut() { Some(a) => a.next().await, None => std::future::pending().await } } => {
                match acks.as_mut() {
                    None => {}
                    Some(_) if event.is_none() => acks = None,
                    // Acknowledgements that arrived together make one step.
                    Some(a) => while a.try_next().is_some() {},
                }
            }
            _ = tokio::time::sleep(RECHECK) => {}
        }
        if connector.is_closed() {
            break;
        }
    }
    let _ = leadership.resign().await;
}

/// One leader step: compute from the kept record (read first if not kept under this
/// term), write the changes with compare-and-set (a write that failed or lost the race
/// drops the kept record, read again at the next wake-up). Returns whether it wrote.
async fn lead_once(shared: &Shared, term: u64, kept: &mut Option<Kept>) -> Result<bool> {
    let connector = &shared.connector;
    if !matches!(kept, Some(k) if k.term == term) {
        *kept = None;
        let (record, version, written) = load(shared).await?;
        *kept = Some(Kept {
            term,
            record,
            version,
            written,
        });
    }
    let prefix = held_prefix(&shared.topic);
    let mut participants: BTreeMap<String, Held> = connector
        .ephemeral_list(&prefix)
        .await?
        .into_iter()
        .filter_map(|(key, value)| {
            let member = key.strip_prefix(&prefix)?.to_string();
            Some((member, serde_json::from_value(value).ok()?))
        })
        .collect();
    if let Some(sub_group) = &shared.sub_group {
        let in_group: BTreeSet<String> = connector
            .members()
            .await?
            .into_iter()
            .filter(|m| m.sub_groups.contains(sub_group))
            .map(|m| m.id)
            .collect();
        participants.retain(|m, _| in_group.contains(m));
    }
    let ids = shared.ids.lock().unwrap().clone();
    let k = kept.as_mut().expect("kept above");
    let next = step(&k.record, &ids, &participants, term);
    if next == k.record {
        return Ok(false);
    }
    let (head, changed) = changed_shares(&next, &k.written);
    let share_prefix = share_prefix(&shared.topic);
    let mut entries = vec![(
        record_path(&shared.topic),
        serde_json::to_value(&head).unwrap(),
    )];
    for (member, share) in &changed {
        let value = serde_json::to_value(share).unwrap();
        entries.push((format!("{share_prefix}{member}"), value));
    }
    match connector.persistent_cas_many(k.version, &entries).await {
        Ok(Some(versions)) => {
            k.version = versions[0];
            k.record = next;
            k.written.extend(changed);
            Ok(true)
        }
        Ok(None) => {
            *kept = None;
            Ok(false)
        }
        Err(err) => {
            // Written or not: read again.
            *kept = None;
            Err(err)
        }
    }
}

/// The record as Redis holds it, with the head's version and the shares as written. The
/// head and the shares are read apart, so the head's version is read again after the
/// shares: the same version means no write happened in between (every write of a share
/// writes the head).
async fn load(shared: &Shared) -> Result<(Record, u64, BTreeMap<String, Share>)> {
    let connector = &shared.connector;
    let path = record_path(&shared.topic);
    let prefix = share_prefix(&shared.topic);
    for _ in 0..3 {
        let (head, version): (Head, u64) = match connector.persistent_get_versioned(&path).await? {
            Some(v) => (
                serde_json::from_value(v.value)
                    .map_err(|e| Error::protocol(format!("{path}: {e}")))?,
                v.version,
            ),
            None => (Head::default(), 0),
        };
        let written: BTreeMap<String, Share> = connector
            .persistent_list(&prefix)
            .await?
            .into_iter()
            .filter_map(|e| {
                let member = e.path.strip_prefix(&prefix)?.to_string();
                Some((member, serde_json::from_value(e.value).ok()?))
            })
            .collect();
        let again = connector
            .persistent_get_versioned(&path)
            .await?
            .map_or(0, |v| v.version);
        if again != version {
            continue;
        }
        let record = Record::assemble(head, written.iter().map(|(m, s)| (m.as_str(), s.clone())));
        return Ok((record, version, written));
    }
    Err(Error::protocol(format!("{path}: changing while read")))
}
