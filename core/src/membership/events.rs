//! Membership subscriptions. Each starts from a consistent snapshot and then follows the
//! group's event stream on a connection of its own. Every entry carries the group's view
//! counter and epoch: the next view is applied, an old one is a duplicate and skipped, a
//! jump (trimmed history) or a new epoch (Redis lost its data) triggers a resync, which
//! emits the difference between what the subscriber knew and a fresh snapshot.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use redis::aio::ConnectionManager;
use redis::streams::{StreamId, StreamReadReply};
use redis::Value as RedisValue;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::Instrument;

use crate::config::Config;
use crate::connector::{open_manager, parse_member, parse_members, Connector};
use crate::error::{Error, Result};
use crate::membership::member::{LeaveReason, Member, MembershipEvent};
use crate::protocol::keys::Keys;
use crate::protocol::scripts::Scripts;
use crate::session::state::ConnectionState;
use crate::transport::runtime;

/// How long one blocking stream read waits on the server.
const READ_BLOCK: Duration = Duration::from_millis(2000);
/// Entries read per round trip.
const READ_COUNT: usize = 512;

/// A live subscription to membership events (pull style: [`MemberSubscription::next`] or
/// the `Stream` impl). Dropping it stops it.
pub struct MemberSubscription {
    pub(crate) snapshot: Vec<Member>,
    pub(crate) events: mpsc::UnboundedReceiver<MembershipEvent>,
    pub(crate) task: AbortOnDrop,
}

/// Stops a background task when dropped.
pub(crate) struct AbortOnDrop(pub(crate) AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl MemberSubscription {
    /// The members at the moment the subscription started; events follow from there.
    pub fn snapshot(&self) -> &[Member] {
        &self.snapshot
    }

    /// The next event; `None` once the subscription or its connector is closed.
    pub async fn next(&mut self) -> Option<MembershipEvent> {
        self.events.recv().await
    }

    /// The next event if one is already here.
    pub fn try_next(&mut self) -> Option<MembershipEvent> {
        self.events.try_recv().ok()
    }

    /// Stops the subscription; pending events are still returned, then `None`.
    pub fn cancel(&self) {
        self.task.0.abort();
    }
}

impl Stream for MemberSubscription {
    type Item = MembershipEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

/// A live subscription to connection-state events. Dropping it stops it.
pub struct StateSubscription {
    pub(crate) events: mpsc::UnboundedReceiver<ConnectionState>,
}

impl StateSubscription {
    /// The next state change; `None` after the connector is closed (CLOSED comes first).
    pub async fn next(&mut self) -> Option<ConnectionState> {
        self.events.recv().await
    }
}

impl Stream for StateSubscription {
    type Item = ConnectionState;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

impl Connector {
    /// Subscribes to membership events: a snapshot of the members now, then every change,
    /// in order, each exactly once, across reconnects.
    #[tracing::instrument(name = "subscribe", skip_all, fields(group = self.group()))]
    pub async fn subscribe_members(&self) -> Result<MemberSubscription> {
        self.inner.check_open()?;
        let config = self.inner.config.clone();
        let client = self.inner.client.clone();
        let (reader, snapshot) = runtime::handle()
            .spawn(async move { Reader::start(client, config).await }.in_current_span())
            .await
            .map_err(|e| Error::Connection(e.to_string()))??;
        let (sender, events) = mpsc::unbounded_channel();
        // The reader keeps the span: its records say which subscription they are about.
        let task = runtime::handle().spawn(reader.run(sender).in_current_span());
        self.inner.tasks.lock().unwrap().push(task.abort_handle());
        Ok(MemberSubscription {
            snapshot,
            events,
            task: AbortOnDrop(task.abort_handle()),
        })
    }

    /// Subscribes to connection-state changes (SUSPENDED, LOST, RECONNECTED, CLOSED).
    pub fn subscribe_state(&self) -> StateSubscription {
        StateSubscription {
            events: self.inner.state.listen(),
        }
    }
}

/// What a subscriber knows: the members as of `view` in `epoch`, read up to `last_id`.
struct View {
    epoch: String,
    view: u64,
    last_id: String,
    members: HashMap<String, Member>,
}

struct Reader {
    conn: ConnectionManager,
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
    async fn start(client: redis::Client, config: Config) -> Result<(Reader, Vec<Member>)> {
        let conn = open_manager(client, config.command_timeout, Some(READ_BLOCK)).await?;
        let mut reader = Reader {
            conn,
            keys: Keys::new(&config.group),
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
                &mut self.conn,
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

    async fn run(mut self, sender: mpsc::UnboundedSender<MembershipEvent>) {
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
            .query_async(&mut self.conn)
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
