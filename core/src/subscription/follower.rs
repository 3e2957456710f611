//! The one follower behind every subscription to a group's event stream. It starts from a
//! consistent snapshot and then follows the stream in order: new entries come from the
//! connector's [`hub`](super::hub) for that stream (one `XREAD BLOCK` shared by every
//! subscription, no polling), and the follower reads on its own connection, without
//! blocking, whenever it is behind what the hub hands it. Every entry carries a counter that grows by exactly one per
//! entry (membership: the group's view; data: the data revision) and may carry the epoch
//! it was written in. The next counter is applied, an older one is a duplicate (skipped),
//! a jump (trimmed history) or another epoch (Redis lost its data) is a gap: the follower
//! then takes a fresh snapshot and emits the difference between what the subscriber knew
//! and the fresh state. After a broken connection it resumes from its last position, once
//! it has checked with a snapshot that Redis still holds the history it was reading.
//!
//! What is particular to a kind of event is its [`Feed`]: the snapshot script, how to read
//! and apply one entry, and how to tell two states apart.

use std::future::Future;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::streams::{StreamId, StreamReadReply};
use redis::Value as RedisValue;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};

use crate::error::{Error, Result};
use crate::subscription::hub::{Batch, READ_COUNT};
use crate::subscription::Event;
use crate::transport::endpoint::FollowingConnection;

/// How long one blocking stream read waits on the server.
pub(crate) const READ_BLOCK: Duration = Duration::from_millis(2000);

/// A subscription's (or hub's) own connection, as `Transport::open_reader` makes it.
pub(crate) type ReaderConnection = FollowingConnection;

/// The connection to send on now (the one place that knows what a [`ReaderConnection`] is).
pub(crate) async fn connection(
    conn: &mut ReaderConnection,
) -> redis::RedisResult<&mut ConnectionManager> {
    conn.get().await
}

/// Where a subscriber is: in `epoch`, everything up to `counter` applied, read up to the
/// stream entry `last_id`.
#[derive(Debug, Clone)]
pub(crate) struct Position {
    pub epoch: String,
    pub counter: u64,
    pub last_id: String,
}

/// The counter of one stream entry and the epoch it names, if it names one.
pub(crate) struct Stamp {
    pub epoch: Option<String>,
    pub counter: u64,
}

/// One kind of event read from one stream.
pub(crate) trait Feed: Send + Sync + 'static {
    /// The events the subscriber receives.
    type Event: Event;
    /// What the subscriber knows (e.g. the members, the watched keys).
    type State: Send + 'static;

    /// The stream followed.
    fn stream(&self) -> &str;

    /// A consistent snapshot: the position it is current at and the state then.
    fn snapshot<'a>(
        &'a self,
        conn: &'a mut ConnectionManager,
    ) -> impl Future<Output = Result<(Position, Self::State)>> + Send + 'a;

    /// The counter and epoch of `entry`.
    fn stamp(&self, entry: &StreamId) -> Result<Stamp>;

    /// Applies `entry` (the next one, at `position`, already advanced to it) to `state`;
    /// returns the events it makes (none when the subscriber is not interested).
    fn apply(
        &self,
        state: &mut Self::State,
        entry: &StreamId,
        position: &Position,
    ) -> Result<Vec<Self::Event>>;

    /// The events that take a subscriber from `old` to `fresh` (a snapshot at `position`).
    fn diff(&self, old: &Self::State, fresh: &Self::State, position: &Position)
        -> Vec<Self::Event>;
}

/// What the follower knows: the position and the state there.
pub(crate) struct Known<F: Feed> {
    pub position: Position,
    pub state: F::State,
}

enum Step {
    Apply,
    Skip,
    /// Not the next entry: a gap if our own read says so, else just ahead of us.
    Ahead,
}

/// Follows one stream for one subscriber.
pub(crate) struct Follower<F: Feed> {
    conn: ReaderConnection,
    hub: broadcast::Receiver<Batch>,
    feed: F,
    known: Known<F>,
    /// A gap found before the first read (a resume whose history is gone).
    resync_first: bool,
    /// Whether there may be entries after our position that the hub will not hand us.
    behind: bool,
}

impl<F: Feed> Follower<F> {
    /// Starts from `known` with `hub` (subscribed before the snapshot `known` comes from)
    /// and `conn`, a connection of the subscription's own for snapshots and catching up.
    /// With `resync_first`, the first thing it does is a resync.
    pub fn new(
        conn: ReaderConnection,
        hub: broadcast::Receiver<Batch>,
        feed: F,
        known: Known<F>,
        resync_first: bool,
    ) -> Self {
        Follower {
            conn,
            hub,
            feed,
            known,
            resync_first,
            behind: true,
        }
    }

    /// Follows the stream, sending events to `sender` until it is dropped or the hub ends
    /// (its connector closed).
    pub async fn run(mut self, sender: mpsc::UnboundedSender<F::Event>) {
        let mut backoff = Duration::from_millis(50);
        let mut verify_epoch = false;
        while !sender.is_closed() {
            let result = if std::mem::take(&mut self.resync_first) {
                self.resync(&sender).await
            } else if verify_epoch {
                self.verify_epoch(&sender).await
            } else if self.behind {
                self.catch_up(&sender).await
            } else {
                match self.hub.recv().await {
                    Ok(Batch::Entries(entries)) => {
                        self.take(&entries, &sender);
                        Ok(())
                    }
                    // Redis may have restarted or lost data while the hub was cut off.
                    Ok(Batch::Resumed) => {
                        verify_epoch = true;
                        continue;
                    }
                    Err(RecvError::Lagged(_)) => {
                        self.behind = true;
                        Ok(())
                    }
                    Err(RecvError::Closed) => return,
                }
            };
            match result {
                Ok(()) => {
                    if verify_epoch {
                        // Whatever happened meanwhile is read on our own.
                        self.behind = true;
                    }
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

    /// Applies what the hub handed us; anything ahead of our position means we missed
    /// entries the hub had handed out before, so we read on our own.
    fn take(&mut self, entries: &[StreamId], sender: &mpsc::UnboundedSender<F::Event>) {
        for entry in entries {
            match self.classify(entry) {
                Ok(Step::Skip) => {}
                Ok(Step::Apply) => self.apply(entry, sender),
                Ok(Step::Ahead) | Err(_) => {
                    self.behind = true;
                    return;
                }
            }
        }
    }

    async fn verify_epoch(&mut self, sender: &mpsc::UnboundedSender<F::Event>) -> Result<()> {
        // The snapshot script also notices a Redis restart (a new epoch), so a rollback to
        // an older RDB is caught here and not only at the next entry.
        let (position, state) = self
            .feed
            .snapshot(connection(&mut self.conn).await?)
            .await?;
        if position.epoch != self.known.position.epoch {
            self.resync_to(position, state, sender);
        }
        Ok(())
    }

    /// Reads on our own connection, without blocking, from our position to the stream's
    /// end; a jump there is a real gap (trimmed history, a new epoch) and means resync.
    async fn catch_up(&mut self, sender: &mpsc::UnboundedSender<F::Event>) -> Result<()> {
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("STREAMS")
            .arg(self.feed.stream())
            .arg(&self.known.position.last_id)
            .query_async(connection(&mut self.conn).await?)
            .await?;
        let entries: Vec<StreamId> = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        self.behind = entries.len() >= READ_COUNT;
        for entry in &entries {
            match self.classify(entry)? {
                Step::Skip => self.known.position.last_id = entry.id.clone(),
                Step::Apply => self.apply(entry, sender),
                Step::Ahead => return self.resync(sender).await,
            }
        }
        Ok(())
    }

    /// Applies the next entry and sends its events.
    fn apply(&mut self, entry: &StreamId, sender: &mpsc::UnboundedSender<F::Event>) {
        let position = &mut self.known.position;
        position.counter += 1;
        position.last_id = entry.id.clone();
        // An entry this library cannot read is passed over (its counter still counts), so
        // one bad record never stalls the subscription.
        match self.feed.apply(&mut self.known.state, entry, position) {
            Ok(events) => {
                for event in events {
                    let _ = sender.send(event);
                }
            }
            Err(err) => tracing::warn!(event = %entry.id, error = %err, "skipping an event"),
        }
    }

    fn classify(&self, entry: &StreamId) -> Result<Step> {
        let stamp = self.feed.stamp(entry)?;
        let known = &self.known.position;
        Ok(match stamp.epoch {
            Some(epoch) if epoch != known.epoch => Step::Ahead,
            _ if stamp.counter <= known.counter => Step::Skip,
            _ if stamp.counter == known.counter + 1 => Step::Apply,
            _ => Step::Ahead,
        })
    }

    /// Replaces what we know with a fresh snapshot and emits the difference.
    async fn resync(&mut self, sender: &mpsc::UnboundedSender<F::Event>) -> Result<()> {
        let (position, state) = self
            .feed
            .snapshot(connection(&mut self.conn).await?)
            .await?;
        self.resync_to(position, state, sender);
        Ok(())
    }

    fn resync_to(
        &mut self,
        position: Position,
        state: F::State,
        sender: &mpsc::UnboundedSender<F::Event>,
    ) {
        tracing::debug!(
            from = self.known.position.counter,
            to = position.counter,
            "resync"
        );
        for event in self.feed.diff(&self.known.state, &state, &position) {
            let _ = sender.send(event);
        }
        self.known = Known { position, state };
        // Entries after the fresh snapshot may have been handed out already.
        self.behind = true;
    }
}

/// The text of field `name` of a stream entry.
pub(crate) fn field(entry: &StreamId, name: &str) -> Result<String> {
    match entry.map.get(name) {
        Some(RedisValue::BulkString(bytes)) => String::from_utf8(bytes.clone())
            .map_err(|_| Error::protocol(format!("event field {name} is not UTF-8"))),
        Some(RedisValue::SimpleString(text)) => Ok(text.clone()),
        Some(RedisValue::Int(n)) => Ok(n.to_string()),
        _ => Err(Error::protocol(format!("event without field {name}"))),
    }
}

/// Parses a counter or version.
pub(crate) fn number(text: &str, what: &str) -> Result<u64> {
    text.parse()
        .map_err(|_| Error::protocol(format!("bad {what} {text:?}")))
}
