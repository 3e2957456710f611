//! Redis I/O on the caller's own thread, for the blocking facade (and so for C, Python and
//! Java). A blocking call through the async connection hands its request to the runtime
//! thread that drives the multiplexed connection and waits to be woken with the reply: two
//! cross-thread wake-ups per call, which on an idle machine cost more than the round trip
//! itself. Blocking callers instead borrow a plain connection from the connector's pool,
//! do the round trip themselves and give it back, as redis-py does. Background work
//! (heartbeat, subscriptions, lock notices) stays on the async connections.

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::{Connection, RedisResult};

use crate::transport::endpoint::Endpoint;

/// Idle connections kept per connector: one per concurrently calling thread, as redis-py
/// keeps them, so a busy thread pool does not open a connection per call. Beyond this many
/// concurrent callers, extra connections are closed after use.
const MAX_IDLE: usize = 128;

/// A connection idle this long is checked with a PING before it carries a request: Redis's
/// `timeout` setting (whole seconds, at least 1) closes idle connections, and a request sent
/// on one that was closed would fail although Redis is fine.
pub(crate) const IDLE_CHECK_AFTER: Duration = Duration::from_millis(800);

thread_local! {
    static ON_CALLER_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as a blocking caller until dropped.
pub(crate) struct CallerThread {
    was: bool,
}

impl CallerThread {
    pub fn enter() -> Self {
        CallerThread {
            was: ON_CALLER_THREAD.with(|flag| flag.replace(true)),
        }
    }

    /// Whether Redis calls made now should use the caller's thread.
    pub fn active() -> bool {
        ON_CALLER_THREAD.with(Cell::get)
    }
}

impl Drop for CallerThread {
    fn drop(&mut self) {
        ON_CALLER_THREAD.with(|flag| flag.set(self.was));
    }
}

/// Plain connections for blocking callers, opened on demand (to the endpoint's current
/// server: one made for an earlier server is dropped instead of reused).
pub(crate) struct DirectPool {
    endpoint: Arc<Endpoint>,
    timeout: Duration,
    idle: Mutex<Vec<(Connection, Instant, u64)>>,
}

impl DirectPool {
    pub fn new(endpoint: Arc<Endpoint>, timeout: Duration) -> Self {
        DirectPool {
            endpoint,
            timeout,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `call` on a pooled connection. A connection that failed at the I/O level is
    /// dropped, so the next call opens a fresh one (that is the reconnect). A pooled
    /// connection can have gone stale while idle (Redis restarted); an `idempotent` call
    /// that fails on one is tried once more on a fresh connection, since running it twice
    /// is harmless.
    pub fn run<T>(
        &self,
        idempotent: bool,
        call: impl Fn(&mut Connection) -> RedisResult<T>,
    ) -> RedisResult<T> {
        let generation = self.endpoint.generation();
        let pooled = self.idle.lock().unwrap().pop();
        let pooled = pooled.filter(|(_, _, made_for)| *made_for == generation);
        let reused = pooled.is_some();
        let (mut conn, mut generation) = match pooled {
            Some((conn, since, made_for)) if since.elapsed() < IDLE_CHECK_AFTER => (conn, made_for),
            Some((mut conn, _, made_for)) => match redis::cmd("PING").query::<String>(&mut conn) {
                Ok(_) => (conn, made_for),
                Err(_) => self.open()?,
            },
            None => self.open()?,
        };
        let mut result = call(&mut conn);
        if reused && idempotent && broken(&result) {
            (conn, generation) = self.open()?;
            result = call(&mut conn);
        }
        if !broken(&result) {
            let mut idle = self.idle.lock().unwrap();
            if idle.len() < MAX_IDLE {
                idle.push((conn, Instant::now(), generation));
            }
        }
        result
    }

    fn open(&self) -> RedisResult<(Connection, u64)> {
        let (client, generation) = self.endpoint.client();
        let conn = client.get_connection_with_timeout(self.timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok((conn, generation))
    }

    /// Closes every idle connection: after close, and whenever the connection state
    /// changes (they may point at a Redis that went away).
    pub fn clear(&self) {
        self.idle.lock().unwrap().clear();
    }
}

fn broken<T>(result: &RedisResult<T>) -> bool {
    result.as_ref().err().is_some_and(|err| {
        err.is_io_error()
            || err.is_timeout()
            || err.is_connection_dropped()
            || err.is_unrecoverable_error()
    })
}
