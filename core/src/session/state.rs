//! Connection state, Curator style: what the connector knows about its session's lease.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};

/// The connector's view of its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionState {
    /// The session is alive and its lease was renewed on time.
    Connected,
    /// A heartbeat failed: Redis is unreachable or slow. Locks may be at risk; the lease
    /// has not run out yet.
    Suspended,
    /// The lease ran out on the local monotonic clock (measured from when the last
    /// successful renewal was sent): treat every lock as gone.
    Lost,
    /// Contact is back (after SUSPENDED or LOST). After LOST this is a new session: members
    /// and ephemeral data were re-registered, locks were not re-taken. As a query this
    /// state reads as CONNECTED.
    Reconnected,
    /// The connector was closed.
    Closed,
}

/// Fans state changes out to every listener and remembers the current state.
pub(crate) struct StateBroadcaster {
    inner: Mutex<(ConnectionState, Vec<mpsc::UnboundedSender<ConnectionState>>)>,
    /// Wakes callers waiting for the session to become usable again.
    changed: Notify,
}

impl StateBroadcaster {
    pub fn new() -> Self {
        StateBroadcaster {
            inner: Mutex::new((ConnectionState::Connected, Vec::new())),
            changed: Notify::new(),
        }
    }

    pub fn current(&self) -> ConnectionState {
        self.inner.lock().unwrap().0
    }

    /// Records `event` and tells every listener. RECONNECTED is reported as an event and
    /// then reads as CONNECTED.
    pub fn publish(&self, event: ConnectionState) {
        let mut guard = self.inner.lock().unwrap();
        guard.0 = match event {
            ConnectionState::Reconnected => ConnectionState::Connected,
            other => other,
        };
        guard.1.retain(|listener| listener.send(event).is_ok());
        drop(guard);
        self.changed.notify_waiters();
    }

    /// Resolves at the next published change (register before checking the condition).
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// The current state and a receiver of every change from then on. After CLOSED the
    /// receiver gets CLOSED and ends, so a late listener is told too.
    pub fn listen(&self) -> (ConnectionState, mpsc::UnboundedReceiver<ConnectionState>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut guard = self.inner.lock().unwrap();
        if guard.0 == ConnectionState::Closed {
            let _ = sender.send(ConnectionState::Closed);
        } else {
            guard.1.push(sender);
        }
        (guard.0, receiver)
    }

    /// Drops every listener so their streams end (after close).
    pub fn close_listeners(&self) {
        self.inner.lock().unwrap().1.clear();
    }
}
