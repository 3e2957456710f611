//! Reconnecting async connections: the one a connector shares between its tasks, and the
//! ones subscriptions read on.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::transport::direct::IDLE_CHECK_AFTER;
use crate::transport::endpoint::Endpoint;

/// Opens a reconnecting connection. `extra_response_time` lengthens the response timeout
/// for connections that run blocking reads.
pub(crate) async fn open_manager(
    client: redis::Client,
    command_timeout: Duration,
    extra_response_time: Option<Duration>,
) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(command_timeout))
        .set_response_timeout(Some(
            command_timeout + extra_response_time.unwrap_or_default(),
        ))
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500));
    client.get_connection_manager_with_config(config).await
}

/// The connector's multiplexed connection, shared by its async callers and background work.
pub(crate) struct SharedConnection {
    endpoint: Arc<Endpoint>,
    command_timeout: Duration,
    /// The connection and the endpoint generation it was made for.
    conn: Mutex<(ConnectionManager, u64)>,
    /// When it last carried a request (for the idle check).
    used: Mutex<Instant>,
}

impl SharedConnection {
    pub fn new(
        endpoint: Arc<Endpoint>,
        command_timeout: Duration,
        conn: ConnectionManager,
        generation: u64,
    ) -> Self {
        SharedConnection {
            endpoint,
            command_timeout,
            conn: Mutex::new((conn, generation)),
            used: Mutex::new(Instant::now()),
        }
    }

    /// The connection, checked first when it sat idle: a server with a `timeout` setting
    /// closes idle connections, and the request that finds one closed would fail although
    /// Redis is fine. A PING finds out instead, and the connection manager reconnects
    /// before the real request goes out (redis-py's health check). After a fail-over (the
    /// endpoint moved), a connection to the new server replaces it.
    pub async fn get(&self) -> ConnectionManager {
        let (mut conn, generation) = self.conn.lock().unwrap().clone();
        // The generation alone first: cloning the client per call would allocate.
        if self.endpoint.generation() != generation {
            let (client, current) = self.endpoint.client();
            if let Ok(fresh) = open_manager(client, self.command_timeout, None).await {
                *self.conn.lock().unwrap() = (fresh.clone(), current);
                conn = fresh;
            }
        }
        let idle = {
            let mut used = self.used.lock().unwrap();
            let idle = used.elapsed();
            *used = Instant::now();
            idle
        };
        if idle >= IDLE_CHECK_AFTER {
            for _ in 0..2 {
                let ping: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut conn).await;
                if ping.is_ok() {
                    break;
                }
            }
        }
        conn
    }
}
