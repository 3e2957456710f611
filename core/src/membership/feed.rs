//! Membership events as a [`Feed`] of the group's event stream: each entry carries the
//! group's view counter and epoch; a resync emits one event with the difference.

use std::collections::HashMap;

use redis::aio::ConnectionManager;
use redis::streams::StreamId;

use crate::error::{Error, Result};
use crate::membership::member::{
    parse_member, parse_members, LeaveReason, Member, MembershipEvent,
};
use crate::protocol::keys::Keys;
use crate::protocol::scripts::Scripts;
use crate::subscription::follower::{field, number, Feed, Position, Stamp};

/// Follows `gr:{g}:events`; what a subscriber knows is the members by id.
pub(crate) struct Members {
    keys: Keys,
    stream: String,
    scripts: Scripts,
}

impl Members {
    pub fn new(keys: Keys) -> Self {
        Members {
            stream: keys.events(),
            keys,
            scripts: Scripts::new(),
        }
    }
}

impl Feed for Members {
    type Event = MembershipEvent;
    type State = HashMap<String, Member>;

    fn stream(&self) -> &str {
        &self.stream
    }

    async fn snapshot(&self, conn: &mut ConnectionManager) -> Result<(Position, Self::State)> {
        // No evidence about time: a subscriber never ends sessions (lua/liveness.lua).
        let [vouched, trusted_since] = crate::session::clock::NO_EVIDENCE;
        let reply: Vec<String> = self
            .scripts
            .run_async(
                &self.scripts.snapshot,
                &self.keys,
                &[self.keys.prefix(), vouched, trusted_since],
                conn,
            )
            .await?;
        let [epoch, view, last_id, records @ ..] = reply.as_slice() else {
            return Err(Error::protocol("short snapshot reply"));
        };
        let members = parse_members(records)
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let position = Position {
            epoch: epoch.clone(),
            counter: number(view, "view counter")?,
            last_id: last_id.clone(),
        };
        Ok((position, members))
    }

    fn stamp(&self, entry: &StreamId) -> Result<Stamp> {
        Ok(Stamp {
            epoch: Some(field(entry, "epoch")?),
            counter: number(&field(entry, "view")?, "view in event")?,
        })
    }

    fn apply(
        &self,
        members: &mut Self::State,
        entry: &StreamId,
        position: &Position,
    ) -> Result<Vec<MembershipEvent>> {
        let kind = field(entry, "kind")?;
        let member = parse_member(&field(entry, "record")?)?;
        let reason = field(entry, "reason")?;
        let mut event = MembershipEvent::empty(position.counter, entry.id.clone());
        match kind.as_str() {
            "joined" => {
                members.insert(member.id.clone(), member.clone());
                event.joined_members.push(member);
            }
            "left" => {
                members.remove(&member.id);
                event.left_members.push(member);
                event.reason = Some(LeaveReason::parse(&reason));
            }
            "updated" => {
                members.insert(member.id.clone(), member.clone());
                event.updated_members.push(member);
            }
            _ => return Ok(vec![]),
        }
        Ok(vec![event])
    }

    /// One event, each member id in at most one list: `left` the ids gone, `joined` the
    /// ids new, `updated` the ids whose record changed (a new session under the same id is
    /// an update); view and position of the fresh snapshot; reason `resync` when anyone
    /// left. No event when nothing differs.
    fn diff(
        &self,
        old: &Self::State,
        fresh: &Self::State,
        position: &Position,
    ) -> Vec<MembershipEvent> {
        let mut event = MembershipEvent::empty(position.counter, position.last_id.clone());
        for (id, before) in old {
            match fresh.get(id) {
                None => event.left_members.push(before.clone()),
                Some(now) if now != before => event.updated_members.push(now.clone()),
                Some(_) => {}
            }
        }
        for (id, now) in fresh {
            if !old.contains_key(id) {
                event.joined_members.push(now.clone());
            }
        }
        if event.is_empty() {
            return vec![];
        }
        if !event.left_members.is_empty() {
            event.reason = Some(LeaveReason::Resync);
        }
        for list in [
            &mut event.joined_members,
            &mut event.left_members,
            &mut event.updated_members,
        ] {
            list.sort_by(|a, b| a.id.cmp(&b.id));
        }
        vec![event]
    }
}
