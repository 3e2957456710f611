//! Where a connector's Redis is: a fixed server, or the master a set of Sentinels names now.
//! Every connection is made from [`Endpoint::client`], and a connection made for an older
//! [`Endpoint::generation`] is replaced at its next use, so a fail-over moves every
//! connection of the connector (shared, pooled, pub/sub, subscription reads) to the new
//! master without anything above the transport knowing.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::{watch, Notify};

use crate::transport::shared::open_manager;

/// The connector's current server and how it changes.
pub(crate) struct Endpoint {
    current: RwLock<(redis::Client, u64)>,
    changed: watch::Sender<u64>,
    /// Wakes the Sentinel watcher: a call saw the master go away or turn read-only.
    suspect: Notify,
}

impl Endpoint {
    pub fn new(client: redis::Client) -> Arc<Endpoint> {
        Arc::new(Endpoint {
            current: RwLock::new((client, 0)),
            changed: watch::channel(0).0,
            suspect: Notify::new(),
        })
    }

    /// The client of the current server, and its generation.
    pub fn client(&self) -> (redis::Client, u64) {
        self.current.read().unwrap().clone()
    }

    pub fn generation(&self) -> u64 {
        self.current.read().unwrap().1
    }

    /// A receiver that sees every switch to a new server (for long-lived connections).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Points every connection at a new server from now on.
    pub fn switch(&self, client: redis::Client) {
        let generation = {
            let mut current = self.current.write().unwrap();
            current.0 = client;
            current.1 += 1;
            current.1
        };
        self.changed.send_replace(generation);
    }

    /// A call saw a sign that the server is not the master any more (connection lost,
    /// READONLY): the Sentinel watcher, if any, asks the Sentinels now.
    pub fn suspect(&self) {
        self.suspect.notify_one();
    }

    pub async fn suspected(&self) {
        self.suspect.notified().await
    }
}

/// An async connection that follows the endpoint: made again, for the current server, when
/// the server changed since it was made.
#[derive(Clone)]
pub(crate) struct FollowingConnection {
    endpoint: Arc<Endpoint>,
    command_timeout: Duration,
    extra_response_time: Option<Duration>,
    conn: ConnectionManager,
    generation: u64,
}

impl FollowingConnection {
    pub async fn open(
        endpoint: Arc<Endpoint>,
        command_timeout: Duration,
        extra_response_time: Option<Duration>,
    ) -> redis::RedisResult<FollowingConnection> {
        let (client, generation) = endpoint.client();
        let conn = open_manager(client, command_timeout, extra_response_time).await?;
        Ok(FollowingConnection {
            endpoint,
            command_timeout,
            extra_response_time,
            conn,
            generation,
        })
    }

    /// The connection, for the current server.
    pub async fn get(&mut self) -> redis::RedisResult<&mut ConnectionManager> {
        // The generation alone first: cloning the client (its connection info) per call
        // would cost allocations on every request.
        if self.endpoint.generation() != self.generation {
            let (client, generation) = self.endpoint.client();
            self.conn =
                open_manager(client, self.command_timeout, self.extra_response_time).await?;
            self.generation = generation;
        }
        Ok(&mut self.conn)
    }
}
