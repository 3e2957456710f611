//! Connections for calls that block on the server (XREAD BLOCK on a topic, BLPOP for a
//! reply). A blocking command holds its connection until it returns, so it never goes on
//! the shared multiplexed connection: each waiting call borrows one of these and gives it
//! back, so a steady `topic tail` or request loop does not open a connection per call.
//! They are the same kind of connection subscriptions read on
//! ([`ReaderConnection`], sent on through `follower::connection`).

use std::sync::Mutex;
use std::time::Duration;

use redis::streams::{StreamId, StreamReadReply};

use crate::error::{Error, Result};
use crate::session::calls::SlotMove;
use crate::session::Session;
use crate::subscription::follower::{connection, ReaderConnection};
use crate::transport::runtime;

/// How long one blocking command waits on the server; longer waits are several of them
/// (each returns as soon as there is something).
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(2000);

/// Idle reader connections kept per connector.
const MAX_IDLE: usize = 16;

/// A connector's idle reader connections.
#[derive(Default)]
pub(crate) struct Readers {
    idle: Mutex<Vec<ReaderConnection>>,
}

impl Session {
    /// A reader connection (an idle one, or a new one opened on the library's runtime).
    pub(crate) async fn borrow_reader(&self) -> Result<ReaderConnection> {
        if let Some(conn) = self.messages.readers.idle.lock().unwrap().pop() {
            return Ok(conn);
        }
        let open = self.transport.open_reader(WAIT_SLICE);
        runtime::handle()
            .spawn(open)
            .await
            .map_err(|e| Error::Connection(e.to_string()))?
            .map_err(|e| self.transport.error(e))
    }

    /// Runs a blocking stream read (`XREAD` / `XREADGROUP ... BLOCK`) on `conn` and returns
    /// its entries in order, across the streams it names (none when the block ran out).
    pub(crate) async fn read_stream(
        &self,
        conn: &mut ReaderConnection,
        read: &redis::Cmd,
    ) -> Result<Vec<StreamId>> {
        let mut slot_move = SlotMove::new();
        let reply: Option<StreamReadReply> = loop {
            let result = read
                .query_async(
                    connection(conn)
                        .await
                        .map_err(|e| self.transport.error(e))?,
                )
                .await;
            match result {
                // The group's slot is moving (Redis Cluster): read again once it settled.
                Err(err) if self.transport.is_cluster() && slot_move.retry(&err) => {
                    let _ = self.transport.error(err);
                    slot_move.pause().await;
                }
                result => break result.map_err(|e| self.transport.error(e))?,
            }
        };
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect())
    }

    /// Gives a reader back after a call that completed (a failed one is dropped).
    pub(crate) fn return_reader(&self, conn: ReaderConnection) {
        let mut idle = self.messages.readers.idle.lock().unwrap();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}
