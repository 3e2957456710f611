//! One blocking reader per stream and connector, shared by the connector's subscriptions
//! to that stream: every new entry is read once (`XREAD BLOCK` on a connection of the hub's
//! own) and handed to every follower, so a hundred subscriptions cost one read, not a
//! hundred. The hub is only the fast path: a follower reads on its own (without blocking)
//! whenever it is behind what the hub hands it (it started, resumed, lagged, or the hub's
//! connection broke), so nothing depends on the hub seeing everything.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use tokio::sync::{broadcast, Mutex};

use crate::error::Result;
use crate::session::Session;
use crate::subscription::follower::{connection, ReaderConnection, READ_BLOCK};
use crate::transport::runtime;

/// Entries read per round trip.
pub(crate) const READ_COUNT: usize = 512;
/// Batches a slow follower may fall behind before it reads on its own.
const BACKLOG: usize = 1024;

/// What a hub hands its followers.
#[derive(Clone)]
pub(crate) enum Batch {
    /// New entries, in stream order.
    Entries(Arc<Vec<StreamId>>),
    /// The hub's connection broke and it reads again: what happened meanwhile (a restart,
    /// lost data) is for each follower to check.
    Resumed,
}

/// The hubs of one connector, by stream key.
#[derive(Default)]
pub(crate) struct Hubs {
    hubs: Mutex<HashMap<String, broadcast::Sender<Batch>>>,
}

impl Hubs {
    /// A receiver of every entry of `stream` appended from now on (starting the stream's
    /// hub on first use: it knows its position before this returns).
    pub async fn subscribe(
        &self,
        session: &Session,
        stream: &str,
    ) -> Result<broadcast::Receiver<Batch>> {
        let mut hubs = self.hubs.lock().await;
        if let Some(sender) = hubs.get(stream) {
            return Ok(sender.subscribe());
        }
        let connecting = session.transport.open_reader(READ_BLOCK);
        let key = stream.to_string();
        let (conn, position) = runtime::handle()
            .spawn(async move {
                let mut conn = connecting.await?;
                let position = last_id(&mut conn, &key).await?;
                Ok::<_, crate::Error>((conn, position))
            })
            .await
            .map_err(|e| crate::Error::Connection(e.to_string()))??;
        let (sender, receiver) = broadcast::channel(BACKLOG);
        let task = runtime::handle().spawn(run(conn, stream.to_string(), position, sender.clone()));
        session.tasks.lock().unwrap().push(task.abort_handle());
        hubs.insert(stream.to_string(), sender);
        Ok(receiver)
    }
}

/// The id of the stream's last entry (`0-0` when empty).
async fn last_id(conn: &mut ReaderConnection, stream: &str) -> redis::RedisResult<String> {
    let last: StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(stream)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(connection(conn).await?)
        .await?;
    Ok(last
        .ids
        .into_iter()
        .next()
        .map_or_else(|| "0-0".to_string(), |entry| entry.id))
}

/// `<ms>-<seq>` as numbers, for comparing positions.
fn parse_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0))
}

async fn run(
    mut conn: ReaderConnection,
    stream: String,
    mut position: String,
    sender: broadcast::Sender<Batch>,
) {
    loop {
        let mut xread = redis::cmd("XREAD");
        xread
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(READ_BLOCK.as_millis() as u64)
            .arg("STREAMS")
            .arg(&stream)
            .arg(&position);
        let read: redis::RedisResult<Option<StreamReadReply>> = match connection(&mut conn).await {
            Ok(conn) => xread.query_async(conn).await,
            Err(err) => Err(err),
        };
        match read {
            Ok(reply) => {
                let entries: Vec<StreamId> = reply
                    .into_iter()
                    .flat_map(|r| r.keys)
                    .flat_map(|k| k.ids)
                    .collect();
                if let Some(last) = entries.last() {
                    position = last.id.clone();
                    let _ = sender.send(Batch::Entries(Arc::new(entries)));
                }
            }
            Err(err) => {
                tracing::debug!(error = %err, stream = %stream, "stream read failed");
                let mut backoff = Duration::from_millis(50);
                loop {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    // A stream that went back (Redis restored an older copy) is read from
                    // its end: entries after our old position may never come.
                    if let Ok(last) = last_id(&mut conn, &stream).await {
                        if parse_id(&last) < parse_id(&position) {
                            position = last;
                        }
                        break;
                    }
                }
                // Only now, so that what a follower reads on its own from here on and
                // what the hub hands it leave no hole between them.
                let _ = sender.send(Batch::Resumed);
            }
        }
    }
}
