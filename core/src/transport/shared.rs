//! Reconnecting async connections: the one a connector shares between its tasks, and the
//! ones subscriptions read on.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::transport::direct::IDLE_CHECK_AFTER;

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
    conn: ConnectionManager,
    /// When it last carried a request (for the idle check).
    used: Mutex<Instant>,
}

impl SharedConnection {
    pub fn new(conn: ConnectionManager) -> Self {
        SharedConnection {
            conn,
            used: Mutex::new(Instant::now()),
        }
    }

    /// The connection, checked first when it sat idle: a server with a `timeout` setting
    /// closes idle connections, and the request that finds one closed would fail although
    /// Redis is fine. A PING finds out instead, and the connection manager reconnects
    /// before the real request goes out (redis-py's health check).
    pub async fn get(&self) -> ConnectionManager {
        let mut conn = self.conn.clone();
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
