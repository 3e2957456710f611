//! The renewal call (one round trip, however much the session holds) and what its reply
//! teaches the connector: the server's time and the group's epoch.

use std::time::Instant;

use crate::error::{Error, Result};
use crate::session::Session;

/// Outcome of one heartbeat script call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Beat {
    pub alive: bool,
    pub server_now_ms: i64,
    /// Earliest lease deadline of another session, -1 when none.
    pub next_deadline_ms: i64,
}

/// What this connector knows of the group's epoch: reported back to the scripts, so a
/// Redis that lost the group's state is recognised as such (not as a new group) and new
/// grants wait out the longest lease anyone may still trust.
#[derive(Debug, Clone, Default)]
pub(crate) struct EpochSeen {
    pub id: String,
    pub max_lease_ms: u64,
}

impl Session {
    /// Registers the new session `sid` in Redis. Returns when the request was sent (the
    /// local lease counts from then) and the reply.
    pub async fn register(&self, sid: &str) -> Result<(Instant, Beat)> {
        let sent = Instant::now();
        let beat = self.heartbeat_call(sid, true).await?;
        if !beat.alive {
            return Err(Error::protocol("Redis refused to register a new session"));
        }
        Ok((sent, beat))
    }

    /// Renews session `sid` (registers it with `create`) and reaps expired ones.
    pub async fn heartbeat_call(&self, sid: &str, create: bool) -> Result<Beat> {
        let timeout_ms = self.config.session_timeout.as_millis().to_string();
        let (known, max_lease) = self.epoch_args();
        let reply: Vec<i64> = self
            .run(
                &self.scripts.heartbeat,
                &[
                    sid,
                    &timeout_ms,
                    if create { "1" } else { "0" },
                    &known,
                    &max_lease,
                ],
            )
            .await?;
        match reply.as_slice() {
            [alive, now, next, _reaped, epoch, max_lease, server_now] => {
                self.clock.observe(*server_now, Instant::now());
                self.note_epoch(*epoch, *max_lease);
                Ok(Beat {
                    alive: *alive == 1,
                    server_now_ms: *now,
                    next_deadline_ms: *next,
                })
            }
            other => Err(Error::protocol(format!("heartbeat reply {other:?}"))),
        }
    }

    /// The epoch id this connector last saw ('' when none, '?' when none and a maximum
    /// lease is configured) and the longest lease it knows of in the group (at least the
    /// configured maximum lease), as script arguments.
    pub fn epoch_args(&self) -> (String, String) {
        let seen = self.epoch.lock().unwrap();
        let own = self.config.max_lease().as_millis() as u64;
        // '?': this connector never saw the group, and its deployment stated the group's
        // longest lease, so it waits out leases from before the server started (reap.lua).
        let known = if seen.id.is_empty() && self.config.max_lease.is_some() {
            "?".to_string()
        } else {
            seen.id.clone()
        };
        (known, seen.max_lease_ms.max(own).to_string())
    }

    fn note_epoch(&self, id: i64, max_lease_ms: i64) {
        let mut seen = self.epoch.lock().unwrap();
        seen.id = id.to_string();
        seen.max_lease_ms = seen.max_lease_ms.max(max_lease_ms.max(0) as u64);
    }
}
