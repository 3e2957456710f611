//! How every operation reaches Redis: with the group's prefix first and the connector's
//! evidence about time last (lua/base.lua), on the caller's own thread for blocking
//! callers, and reported as [`Error::Closed`] when a concurrent close cut it short.

use std::time::{Duration, Instant};

use redis::FromRedisValue;

use crate::config::WaitReplicas;
use crate::error::{Error, Result};
use crate::protocol::scripts::ScriptDef;
use crate::session::Session;
use crate::transport::direct::CallerThread;
use crate::transport::runtime;

impl Session {
    /// Runs one protocol script with the group's sessions key and prefix. A call cut
    /// short by a concurrent close reports [`Error::Closed`], not its symptom.
    pub async fn run<T: FromRedisValue>(&self, script: &ScriptDef, args: &[&str]) -> Result<T> {
        self.masked(self.run_unmasked(script, args, false).await)
    }

    /// [`Session::run`] for a script that may safely run twice (reads, reaping): it is
    /// retried once if a blocking caller's pooled connection turns out stale.
    pub async fn run_idempotent<T: FromRedisValue>(
        &self,
        script: &ScriptDef,
        args: &[&str],
    ) -> Result<T> {
        self.masked(self.run_unmasked(script, args, true).await)
    }

    fn masked<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_err() && self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::Closed);
        }
        result
    }

    /// Runs a script reporting the error as it is (for `close` itself).
    pub async fn run_unmasked<T: FromRedisValue>(
        &self,
        script: &ScriptDef,
        args: &[&str],
        idempotent: bool,
    ) -> Result<T> {
        let evidence = self.clock.args();
        let mut all = Vec::with_capacity(args.len() + 3);
        all.push(self.keys.prefix());
        all.extend_from_slice(args);
        all.extend(evidence.iter().map(String::as_str));
        let mut slot_move = SlotMove::new();
        loop {
            let result = if CallerThread::active() {
                self.transport.direct.run(idempotent, |conn| {
                    self.scripts.run_blocking(script, &self.keys, &all, conn)
                })
            } else {
                let mut conn = self.transport.shared.get().await;
                self.scripts
                    .run_async(script, &self.keys, &all, &mut conn)
                    .await
            };
            match result {
                Err(err) if self.transport.is_cluster() && slot_move.retry(&err) => {
                    let _ = self.transport.error(err);
                    slot_move.pause().await;
                }
                result => return result.map_err(|e| self.transport.error(e)),
            }
        }
    }

    /// Runs a lock script and then `WAIT replicas timeout` on the same connection (so that
    /// `WAIT` covers the script's writes), for `Config::with_wait_replicas`. Returns the
    /// script's reply and how many replicas acknowledged; a `WAIT` that failed counts as
    /// none (the script's outcome is known, the acknowledgement is not).
    pub async fn run_then_wait<T: FromRedisValue>(
        &self,
        script: &ScriptDef,
        args: &[&str],
        wait: WaitReplicas,
    ) -> Result<(T, i64)> {
        let evidence = self.clock.args();
        let mut all = Vec::with_capacity(args.len() + 3);
        all.push(self.keys.prefix());
        all.extend_from_slice(args);
        all.extend(evidence.iter().map(String::as_str));
        let mut cmd = redis::cmd("WAIT");
        cmd.arg(wait.replicas).arg(wait.timeout.as_millis() as u64);
        let mut slot_move = SlotMove::new();
        loop {
            let result = if CallerThread::active() {
                self.transport.direct.run(false, |conn| {
                    let reply: T = self.scripts.run_blocking(script, &self.keys, &all, conn)?;
                    Ok((reply, cmd.query::<i64>(conn).unwrap_or(-1)))
                })
            } else {
                let shared = self
                    .transport
                    .waits
                    .as_ref()
                    .unwrap_or(&self.transport.shared);
                let mut conn = shared.get().await;
                match self
                    .scripts
                    .run_async(script, &self.keys, &all, &mut conn)
                    .await
                {
                    Ok(reply) => Ok((reply, cmd.query_async::<i64>(&mut conn).await.unwrap_or(-1))),
                    Err(err) => Err(err),
                }
            };
            match result {
                Err(err) if self.transport.is_cluster() && slot_move.retry(&err) => {
                    let _ = self.transport.error(err);
                    slot_move.pause().await;
                }
                result => return self.masked(result.map_err(|e| self.transport.error(e))),
            }
        }
    }

    /// Runs one read-only plain command (on the caller's thread for blocking callers).
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let mut slot_move = SlotMove::new();
        loop {
            let result = if CallerThread::active() {
                self.transport.direct.run(true, |conn| cmd.query(conn))
            } else {
                cmd.query_async(&mut self.transport.shared.get().await)
                    .await
            };
            match result {
                Err(err) if self.transport.is_cluster() && slot_move.retry(&err) => {
                    let _ = self.transport.error(err);
                    slot_move.pause().await;
                }
                result => return self.masked(result.map_err(|e| self.transport.error(e))),
            }
        }
    }
}

/// How long a call keeps trying while the group's slot moves between Redis Cluster nodes
/// (a slot of a few hundred keys migrates in milliseconds; a fail-over takes the
/// cluster's node timeout and more, and is reported like a lost connection).
const SLOT_MOVE_PATIENCE: Duration = Duration::from_secs(10);

/// One call's waiting for its group's slot to settle. Redis refuses a call during a
/// migration before running it (the slot guard, protocol/keys.rs): `TRYAGAIN` or `ASK`
/// (never followed: the importing node does not have the whole group yet), then `MOVED`
/// once the slot has its new owner, which the transport's watcher then follows. Trying
/// again is safe, as nothing ran.
pub(crate) struct SlotMove {
    /// When the first refusal came (no clock read on the path without one).
    started: Option<Instant>,
    pause: Duration,
}

impl SlotMove {
    pub fn new() -> Self {
        SlotMove {
            started: None,
            pause: Duration::from_millis(2),
        }
    }

    /// Whether `err` is a refusal of a slot on the move, and there is time to try again.
    pub fn retry(&mut self, err: &redis::RedisError) -> bool {
        matches!(
            err.code(),
            Some("MOVED" | "ASK" | "TRYAGAIN" | "CLUSTERDOWN")
        ) && self.started.get_or_insert_with(Instant::now).elapsed() < SLOT_MOVE_PATIENCE
    }

    /// Waits before the next try (2 ms, doubling up to 100 ms).
    pub async fn pause(&mut self) {
        let pause = self.pause;
        self.pause = (self.pause * 2).min(Duration::from_millis(100));
        if CallerThread::active() {
            std::thread::sleep(pause);
        } else {
            let _ = runtime::handle().spawn(tokio::time::sleep(pause)).await;
        }
    }
}
