//! The connector: one client's handle on one group, owning one session at a time. The
//! operations are `impl Connector` blocks in their areas (membership, locks, data); this
//! file holds the handle itself: connect, close, and what it reports about its session.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::config::Config;
use crate::error::Result;
use crate::session::restore::RestoreFailure;
use crate::session::state::ConnectionState;
use crate::session::{heartbeat, Session};
use crate::subscription::{StateSubscription, Subscription};
use crate::transport::runtime;
use crate::transport::Transport;

/// A client's handle on one group (async API). Create with [`Connector::connect`]; every
/// method is safe to call from many tasks at once. Dropping it closes it in the background;
/// call [`Connector::close`] to wait for the clean leave.
pub struct Connector {
    pub(crate) inner: Arc<Session>,
    /// Whether dropping this handle closes the session: true for the one `connect` gave
    /// the user, false for a recipe's own reference ([`Connector::shared`]).
    closes_on_drop: bool,
}

impl Connector {
    /// Connects, starts a session and its heartbeat. Fails with [`Error::Connection`] when
    /// Redis cannot be reached, [`Error::InvalidArgument`] for bad options.
    ///
    /// [`Error::Connection`]: crate::Error::Connection
    /// [`Error::InvalidArgument`]: crate::Error::InvalidArgument
    #[tracing::instrument(
        name = "connect",
        skip_all,
        fields(group = config.group.as_str(), url = %config.redacted_url())
    )]
    pub async fn connect(config: Config) -> Result<Connector> {
        config.validate()?;
        let transport = Transport::open(&config).await?;
        let inner = Session::new(config, transport);
        heartbeat::start(&inner).await?;
        Ok(Connector {
            inner,
            closes_on_drop: true,
        })
    }

    /// Another handle on the same session (state, registrations) whose drop does not close
    /// it, for a recipe's background task; its calls fail with `Error::Closed` once the
    /// user's connector was closed.
    pub(crate) fn shared(&self) -> Connector {
        Connector {
            inner: Arc::clone(&self.inner),
            closes_on_drop: false,
        }
    }

    /// The options this connector was created with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The current session id (changes when a lost session is replaced).
    pub fn session_id(&self) -> String {
        self.inner.record().id.clone()
    }

    /// The connection state as last observed (never RECONNECTED: that is an event and then
    /// reads as CONNECTED).
    pub fn state(&self) -> ConnectionState {
        self.inner.state.current()
    }

    /// Subscribes to connection-state changes (SUSPENDED, LOST, RECONNECTED, CLOSED). Its
    /// snapshot is the state now; CLOSED is its last event, also when the connector was
    /// closed already.
    pub fn subscribe_state(&self) -> StateSubscription {
        let (now, mut changes) = self.inner.state.listen();
        let (sender, events) = tokio::sync::mpsc::unbounded_channel();
        // A task of its own, so that cancelling ends this subscription only.
        let task = runtime::handle().spawn(async move {
            while let Some(state) = changes.recv().await {
                if sender.send(state).is_err() {
                    return;
                }
            }
        });
        Subscription::new(now, events, task.abort_handle())
    }

    /// Leaves every member, frees every lock and deletes every ephemeral key of this
    /// connector right away, then stops its background work. Idempotent.
    #[tracing::instrument(name = "close", skip_all, fields(group = self.group()))]
    pub async fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.inner.shutdown_tasks();
        let sid = self.inner.record().id.clone();
        let result = self
            .inner
            .run_unmasked::<i64>(&self.inner.scripts.close, &[sid.as_str(), "left"], false)
            .await;
        {
            let mut record = self.inner.record();
            record.held.clear();
            record.memberships.clear();
            record.ephemerals.clear();
        }
        self.inner.transport.direct.clear();
        self.inner.state.publish(ConnectionState::Closed);
        self.inner.state.close_listeners();
        result.map(|_| ())
    }

    /// What could not be restored when a lost session was replaced (a member id or an
    /// ephemeral key another process took meanwhile), oldest first, and forgets it. Filled
    /// before RECONNECTED is published, so a state listener can call this on RECONNECTED.
    pub fn take_restore_failures(&self) -> Vec<RestoreFailure> {
        std::mem::take(&mut *self.inner.restore_failures.lock().unwrap())
    }

    /// Whether [`Connector::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("url", &self.inner.config.redacted_url())
            .field("group", &self.inner.config.group)
            .field("member_id", &self.inner.config.member_id)
            .field("session", &self.session_id())
            .field("state", &self.state())
            .finish()
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        if !self.closes_on_drop || self.inner.closed.load(Ordering::SeqCst) {
            return;
        }
        let connector = self.shared();
        runtime::handle().spawn(async move {
            if let Err(err) = connector.close().await {
                tracing::warn!(error = %err, "closing a dropped connector failed");
            }
        });
    }
}
