//! The connector's evidence about Redis server time, so that a step of the Redis host's
//! wall clock never ends a live session (docs/SAFETY.md).
//!
//! Every heartbeat reply carries the server's time. The connector anchors it to its own
//! monotonic clock and extrapolates: "the server clock has reached at least `anchor +
//! elapsed`" holds whatever the server's wall clock does, since the anchor was read before
//! the reply arrived. A reply that disagrees with the extrapolation by more than
//! [`STEP_TOLERANCE`] means the server clock stepped: the connector re-anchors and starts a
//! new step-free period. Scripts end a session only when its deadline has passed on the
//! server clock *and* on this vouched clock, and, if its last renewal predates the
//! step-free period, only after a whole lease of it (lua/base.lua `expired`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A disagreement between the server's clock and the extrapolation larger than this is a
/// step. Smaller forward steps are taken as jitter: they can end a session that much early,
/// which the LOST margin (a tenth of the lease) covers for leases of 2 s and more.
pub(crate) const STEP_TOLERANCE: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy)]
struct Anchor {
    server_ms: i64,
    at: Instant,
    /// Server time at which the current step-free period began.
    trusted_since_ms: i64,
}

/// The script arguments of a caller without evidence about time (it never ends sessions).
pub(crate) const NO_EVIDENCE: [&str; 2] = ["0", "0"];

/// What the connector vouches for, shared by every call.
#[derive(Debug, Default)]
pub(crate) struct ServerClock {
    anchor: Mutex<Option<Anchor>>,
}

impl ServerClock {
    /// Records the server time `server_ms` read by a script whose reply arrived at
    /// `received`.
    pub fn observe(&self, server_ms: i64, received: Instant) {
        let mut anchor = self.anchor.lock().unwrap();
        let Some(current) = *anchor else {
            *anchor = Some(Anchor {
                server_ms,
                at: received,
                trusted_since_ms: server_ms,
            });
            return;
        };
        let predicted = current.server_ms + millis(received.saturating_duration_since(current.at));
        let disagreement = server_ms - predicted;
        let tolerance = millis(STEP_TOLERANCE);
        if disagreement > tolerance {
            tracing::warn!(
                stepped_ms = disagreement,
                "the Redis server clock stepped forward; no session is ended for one lease \
                 on its word alone"
            );
            *anchor = Some(Anchor {
                server_ms,
                at: received,
                trusted_since_ms: server_ms,
            });
        } else if disagreement < -tolerance {
            // Stepped back (or a reply that was slow to arrive): follow it, more cautious.
            *anchor = Some(Anchor {
                server_ms,
                at: received,
                trusted_since_ms: current.trusted_since_ms.min(server_ms),
            });
        } else if disagreement > 0 {
            // A reply that arrived faster than the anchor's: a tighter bound.
            *anchor = Some(Anchor {
                server_ms,
                at: received,
                ..current
            });
        }
    }

    /// The script arguments: the vouched server time and the start of the step-free
    /// period, both in server ms (`0`, `0` before the first observation: no evidence).
    pub fn args(&self) -> [String; 2] {
        match *self.anchor.lock().unwrap() {
            None => NO_EVIDENCE.map(String::from),
            Some(anchor) => [
                (anchor.server_ms + millis(anchor.at.elapsed())).to_string(),
                anchor.trusted_since_ms.to_string(),
            ],
        }
    }
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(clock: &ServerClock) -> (i64, i64) {
        let [v, z] = clock.args();
        (v.parse().unwrap(), z.parse().unwrap())
    }

    #[test]
    fn no_evidence_before_the_first_reply() {
        assert_eq!(parsed(&ServerClock::default()), (0, 0));
    }

    #[test]
    fn a_forward_step_starts_a_new_step_free_period() {
        let clock = ServerClock::default();
        let start = Instant::now();
        clock.observe(1_000_000, start);
        clock.observe(1_000_100, start + Duration::from_millis(100));
        assert_eq!(parsed(&clock).1, 1_000_000, "no step yet");
        clock.observe(1_005_200, start + Duration::from_millis(200));
        let (vouched, since) = parsed(&clock);
        assert_eq!(since, 1_005_200, "the step restarts the trusted period");
        assert!(vouched >= 1_005_200);
    }

    #[test]
    fn jitter_keeps_the_period_and_the_bound_conservative() {
        let clock = ServerClock::default();
        let start = Instant::now();
        clock.observe(2_000_000, start);
        // A slow reply: the server time read lags behind the extrapolation.
        clock.observe(2_000_050, start + Duration::from_millis(120));
        let (_, since) = parsed(&clock);
        assert_eq!(since, 2_000_000);
    }
}
