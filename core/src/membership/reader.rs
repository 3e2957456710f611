//! The reader behind a membership subscription. Each starts from a consistent snapshot
//! and then follows the group's event stream on a connection of its own. Every entry carries the group's view
//! counter and epoch: the next view is applied, an old one is a duplicate and skipped, a
//! jump (trimmed history) or a new epoch (Redis lost its data) triggers a resync, which
//! emits the difference between what the subscriber knew and a fresh snapshot.

use std::collections::HashMap;
use std::time::Duration;

use redis::streams::{StreamId, StreamReadReply};
use redis::Value as RedisValue;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::membership::member::{
    parse_member, parse_members, LeaveReason, Member, MembershipEvent,
};
use crate::protocol::keys::Keys;
use crate::protocol::scripts::Scripts;
use crate::transport::endpoint::FollowingConnection;

/// How long one blocking stream read waits on the server.
pub(crate) const READ_BLOCK: Duration = Duration::from_millis(2000);
/// Entries read per round trip.
const READ_COUNT: usize = 512;

/// What a subscriber knows: the members as of `view` in `epoch`, read up to `last_id`.
struct View {
    epoch: String,
    view: u64,
    last_id: String,
    members: HashMap<String, Member>,
}

pub(crate) struct Reader {
    conn: FollowingConnection,
    keys: Keys,
    scripts: Scripts,
    known: View,
}

enum Step {
    Apply,
    Skip,
    Resync,
}

impl Reader {
    /// Reads a first snapshot on `conn`, a connection of the subscription's own (made
    /// for reads that block up to [`READ_BLOCK`]).
    pub async fn start(conn: FollowingConnection, keys: Keys) -> Result<(Reader, Vec<Member>)> {
        let mut reader = Reader {
            conn,
            keys,
            scripts: Scripts::new(),
            known: View {
                epoch: String::new(),
                view: 0,
                last_id: "0-0".into(),
                members: HashMap::new(),
            },
        };
        reader.known = reader.snapshot().await?;
        let mut snapshot: Vec<Member> = reader.known.members.values().cloned().collect();
        snapshot.sort_by(|a, b| a.id.cmp(&b.id));
        Ok((reader, snapshot))
    }

    async fn snapshot(&mut self) -> Result<View> {
        let prefix = self.keys.prefix();
        // No evidence about time: a subscriber never ends sessions (lua/liveness.lua).
        let [vouched, trusted_since] = crate::session::clock::NO_EVIDENCE;
        let reply: Vec<String> = self
            .scripts
            .run_async(
                &self.scripts.snapshot,
                &self.keys.sessions(),
                &[prefix, vouched, trusted_since],
                self.conn.get().await?,
            )
            .await?;
        let [epoch, view, last_id, records @ ..] = reply.as_slice() else {
            return Err(Error::protocol("short snapshot reply"));
        };
        let members = parse_members(records)
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect::<HashMap<_, _>>();
        Ok(View {
            epoch: epoch.clone(),
            view: view
                .parse()
                .map_err(|_| Error::protocol("bad view counter"))?,
            last_id: last_id.clone(),
            members,
        })
    }

    pub async fn run(mut self, sender: mpsc::UnboundedSender<MembershipEvent>) {
        let mut backoff = Duration::from_millis(50);
        let mut verify_epoch = false;
        while !sender.is_closed() {
            let result = if verify_epoch {
                self.verify_epoch(&sender).await
            } else {
                self.read_once(&sender).await
            };
            match result {
                Ok(()) => {
                    verify_epoch = false;
                    backoff = Duration::from_millis(50);
                }
                Err(err) => {
                    tracing::debug!(error = %err, "event read failed");
                    // After a broken connection, check that Redis still has the history we
                    // were reading before resuming from our position.
                    verify_epoch = true;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    async fn verify_epoch(
        &mut self,
        sender: &mpsc::UnboundedSender<MembershipEvent>,
    ) -> Result<()> {
        // The snapshot script also notices a Redis restart (a new epoch), so a rollback to
        // an older RDB is caught here and not only at the next event.
        let fresh = self.snapshot().await?;
        if fresh.epoch != self.known.epoch {
            self.resync_to(fresh, sender);
        }
        Ok(())
    }

    async fn read_once(&mut self, sender: &mpsc::UnboundedSender<MembershipEvent>) -> Result<()> {
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(READ_BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(self.keys.events())
            .arg(&self.known.last_id)
            .query_async(self.conn.get().await?)
            .await?;
        let entries = reply.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids);
        for entry in entries {
            match self.classify(&entry)? {
                Step::Skip => self.known.last_id = entry.id.clone(),
                Step::Apply => {
                    if let Some(event) = self.apply(&entry)? {
                        let _ = sender.send(event);
                    }
                }
                Step::Resync => {
                    self.resync(sender).await?;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn classify(&self, entry: &StreamId) -> Result<Step> {
        let epoch = field(entry, "epoch")?;
        let view: u64 = field(entry, "view")?
            .parse()
            .map_err(|_| Error::protocol("bad view in event"))?;
        Ok(if epoch != self.known.epoch {
            Step::Resync
        } else if view <= self.known.view {
            Step::Skip
        } else if view == self.known.view + 1 {
            Step::Apply
        } else {
            Step::Resync
        })
    }

    fn apply(&mut self, entry: &StreamId) -> Result<Option<MembershipEvent>> {
        self.known.view += 1;
        self.known.last_id = entry.id.clone();
        // An entry this library cannot read is passed over (its view still counts), so
        // one bad record never stalls the subscription.
        let parsed = field(entry, "kind").and_then(|kind| {
            let member = parse_member(&field(entry, "record")?)?;
            Ok((kind, member, field(entry, "reason")?))
        });
        let (kind, member, reason) = match parsed {
            Ok(parsed) => parsed,
            Err(err) => {
                tracing::warn!(event = %entry.id, error = %err, "skipping an event");
                return Ok(None);
            }
        };
        let mut event = MembershipEvent::empty(self.known.view, entry.id.clone());
        match kind.as_str() {
            "joined" => {
                self.known.members.insert(member.id.clone(), member.clone());
                event.joined_members.push(member);
            }
            "left" => {
                self.known.members.remove(&member.id);
                event.left_members.push(member);
                event.reason = Some(LeaveReason::parse(&reason));
            }
            "updated" => {
                self.known.members.insert(member.id.clone(), member.clone());
                event.updated_members.push(member);
            }
            _ => return Ok(None),
        }
        Ok(Some(event))
    }

    /// Replaces what we know with a fresh snapshot and emits the difference as one event.
    async fn resync(&mut self, sender: &mpsc::UnboundedSender<MembershipEvent>) -> Result<()> {
        let fresh = self.snapshot().await?;
        self.resync_to(fresh, sender);
        Ok(())
    }

    fn resync_to(&mut self, fresh: View, sender: &mpsc::UnboundedSender<MembershipEvent>) {
        let old = std::mem::replace(&mut self.known, fresh);
        let mut event = MembershipEvent::empty(self.known.view, String::new());
        for (id, before) in &old.members {
            match self.known.members.get(id) {
                None => event.left_members.push(before.clone()),
                Some(now) if now.session != before.session => {
                    event.left_members.push(before.clone());
                    event.joined_members.push(now.clone());
                }
                Some(now) if now != before => event.updated_members.push(now.clone()),
                Some(_) => {}
            }
        }
        for (id, now) in &self.known.members {
            if !old.members.contains_key(id) {
                event.joined_members.push(now.clone());
            }
        }
        if !event.left_members.is_empty() {
            event.reason = Some(LeaveReason::Resync);
        }
        if !event.is_empty() {
            for list in [
                &mut event.joined_members,
                &mut event.left_members,
                &mut event.updated_members,
            ] {
                list.sort_by(|a, b| a.id.cmp(&b.id));
            }
            let _ = sender.send(event);
        }
    }
}

fn field(entry: &StreamId, name: &str) -> Result<String> {
    match entry.map.get(name) {
        Some(RedisValue::BulkString(bytes)) => String::from_utf8(bytes.clone())
            .map_err(|_| Error::protocol(format!("event field {name} is not UTF-8"))),
        Some(RedisValue::SimpleString(text)) => Ok(text.clone()),
        Some(RedisValue::Int(n)) => Ok(n.to_string()),
        _ => Err(Error::protocol(format!("event without field {name}"))),
    }
}
