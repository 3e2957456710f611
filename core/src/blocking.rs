//! The blocking facade: the same connector for threads that are not async. Every call runs
//! on the library's own runtime; callbacks run on a dispatcher thread of their own, never on
//! the runtime, and a panicking callback is logged without stopping delivery.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle, ThreadId};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, Notify};

use crate::config::Config;
use crate::data::{Entry, Versioned};
use crate::error::{Error, Result};
use crate::membership::member::{Member, MembershipEvent};
use crate::membership::subscription::AbortOnDrop;
use crate::session::state::ConnectionState;
use crate::transport::runtime;

/// Blocking twin of [`crate::Connector`]; share it between threads with `Arc`.
#[derive(Debug)]
pub struct Connector {
    inner: crate::Connector,
}

macro_rules! forward {
    ($($(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                runtime::block_on(self.inner.$name($($arg),*))?
            }
        )*
    };
}

impl Connector {
    /// Connects (see [`crate::Connector::connect`]).
    pub fn connect(config: Config) -> Result<Connector> {
        let inner = runtime::block_on(crate::Connector::connect(config))??;
        Ok(Connector { inner })
    }

    /// The async connector underneath.
    pub fn as_async(&self) -> &crate::Connector {
        &self.inner
    }

    /// See [`crate::Connector::config`].
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// See [`crate::Connector::session_id`].
    pub fn session_id(&self) -> String {
        self.inner.session_id()
    }

    /// See [`crate::Connector::state`].
    pub fn state(&self) -> ConnectionState {
        self.inner.state()
    }

    /// See [`crate::Connector::take_restore_failures`].
    pub fn take_restore_failures(&self) -> Vec<crate::RestoreFailure> {
        self.inner.take_restore_failures()
    }

    /// See [`crate::Connector::is_held`].
    pub fn is_held(&self, name: &str) -> Result<bool> {
        self.inner.is_held(name)
    }

    /// See [`crate::Connector::held_token`].
    pub fn held_token(&self, name: &str) -> Result<Option<u64>> {
        self.inner.held_token(name)
    }

    /// See [`crate::Connector::is_closed`].
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// See [`crate::Connector::sub_groups`].
    pub fn sub_groups(&self) -> Vec<String> {
        self.inner.sub_groups()
    }

    forward! {
        /// See [`crate::Connector::close`].
        fn close(&self) -> ();
        /// See [`crate::Connector::join`].
        fn join(&self, member_id: Option<&str>, payload: Option<Value>) -> Member;
        /// See [`crate::Connector::leave`].
        fn leave(&self, member_id: Option<&str>) -> bool;
        /// See [`crate::Connector::members`].
        fn members(&self) -> Vec<Member>;
        /// See [`crate::Connector::update_payload`].
        fn update_payload(&self, member_id: Option<&str>, payload: Value) -> ();
        /// See [`crate::Connector::add_sub_group`].
        fn add_sub_group(&self, sub_group: &str) -> ();
        /// See [`crate::Connector::remove_sub_group`].
        fn remove_sub_group(&self, sub_group: &str) -> ();
        /// See [`crate::Connector::lock`].
        fn lock(&self, name: &str) -> Option<u64>;
        /// See [`crate::Connector::lock_as`].
        fn lock_as(&self, member: &str, name: &str) -> Option<u64>;
        /// See [`crate::Connector::reentrant_lock`].
        fn reentrant_lock(&self, name: &str) -> Option<u64>;
        /// See [`crate::Connector::reentrant_lock_as`].
        fn reentrant_lock_as(&self, member: &str, name: &str) -> Option<u64>;
        /// See [`crate::Connector::try_lock`].
        fn try_lock(&self, name: &str, wait: Duration) -> Option<u64>;
        /// See [`crate::Connector::acquire`].
        fn acquire(&self, member: Option<&str>, name: &str, reentrant: bool, wait: Duration) -> Option<u64>;
        /// See [`crate::Connector::release`].
        fn release(&self, name: &str) -> bool;
        /// See [`crate::Connector::release_as`].
        fn release_as(&self, member: &str, name: &str) -> bool;
        /// See [`crate::Connector::force_release`].
        fn force_release(&self, name: &str) -> Option<crate::LockHolder>;
        /// See [`crate::Connector::lock_holder`].
        fn lock_holder(&self, name: &str) -> Option<crate::LockHolder>;
        /// See [`crate::Connector::lock_status`].
        fn lock_status(&self, name: &str) -> crate::LockStatus;
        /// See [`crate::Connector::ephemeral_set`].
        fn ephemeral_set(&self, key: &str, value: &Value) -> ();
        /// See [`crate::Connector::ephemeral_get`].
        fn ephemeral_get(&self, key: &str) -> Option<Value>;
        /// See [`crate::Connector::ephemeral_del`].
        fn ephemeral_del(&self, key: &str) -> bool;
        /// See [`crate::Connector::ephemeral_list`].
        fn ephemeral_list(&self, prefix: &str) -> Vec<(String, Value)>;
        /// See [`crate::Connector::persistent_set`].
        fn persistent_set(&self, path: &str, value: &Value) -> u64;
        /// See [`crate::Connector::persistent_set_many`].
        fn persistent_set_many(&self, entries: &[(String, Value)]) -> Vec<u64>;
        /// See [`crate::Connector::persistent_cas`].
        fn persistent_cas(&self, path: &str, expected_version: u64, value: &Value) -> Option<u64>;
        /// See [`crate::Connector::persistent_get`].
        fn persistent_get(&self, path: &str) -> Option<Value>;
        /// See [`crate::Connector::persistent_get_versioned`].
        fn persistent_get_versioned(&self, path: &str) -> Option<Versioned>;
        /// See [`crate::Connector::persistent_del`].
        fn persistent_del(&self, path: &str) -> bool;
        /// See [`crate::Connector::persistent_list`].
        fn persistent_list(&self, prefix: &str) -> Vec<Entry>;
    }

    /// Subscribes to membership events, pull style (see
    /// [`crate::Connector::subscribe_members`]).
    pub fn subscribe_members(&self) -> Result<MemberSubscription> {
        let subscription = runtime::block_on(self.inner.subscribe_members())??;
        Ok(MemberSubscription {
            snapshot: subscription.snapshot,
            events: subscription.events,
            _task: subscription.task,
        })
    }

    /// Calls `callback` for every membership event on a dispatcher thread until the
    /// returned handle is cancelled or dropped. Returns the starting snapshot too.
    pub fn on_member_event<F>(&self, callback: F) -> Result<(Vec<Member>, CallbackHandle)>
    where
        F: FnMut(MembershipEvent) + Send + 'static,
    {
        let subscription = self.subscribe_members()?;
        let snapshot = subscription.snapshot.clone();
        let handle = CallbackHandle::spawn(
            "group-redis-members",
            subscription.events,
            Some(subscription._task),
            callback,
        );
        Ok((snapshot, handle))
    }

    /// Subscribes to connection-state changes, pull style.
    pub fn subscribe_state(&self) -> StateSubscription {
        StateSubscription {
            events: self.inner.subscribe_state().events,
        }
    }

    /// Calls `callback` for every connection-state change on a dispatcher thread.
    pub fn on_state_change<F>(&self, callback: F) -> CallbackHandle
    where
        F: FnMut(ConnectionState) + Send + 'static,
    {
        let events = self.inner.subscribe_state().events;
        CallbackHandle::spawn("group-redis-state", events, None, callback)
    }
}

/// Waits for the next item, up to `timeout` (`None`: as long as it takes). `Ok(None)`
/// when the time ran out, `Err(Error::Closed)` once the subscription has ended.
fn recv_timeout<T>(
    events: &mut mpsc::UnboundedReceiver<T>,
    timeout: Option<Duration>,
) -> Result<Option<T>> {
    let next = runtime::block_on(async {
        match timeout {
            Some(limit) => tokio::time::timeout(limit, events.recv()).await.ok(),
            None => Some(events.recv().await),
        }
    })?;
    match next {
        None => Ok(None),
        Some(Some(item)) => Ok(Some(item)),
        Some(None) => Err(Error::Closed),
    }
}

/// Blocking twin of [`crate::MemberSubscription`].
pub struct MemberSubscription {
    snapshot: Vec<Member>,
    events: mpsc::UnboundedReceiver<MembershipEvent>,
    _task: AbortOnDrop,
}

impl MemberSubscription {
    /// The members when the subscription started.
    pub fn snapshot(&self) -> &[Member] {
        &self.snapshot
    }

    /// The next event, waiting up to `timeout` (`None`: forever). `Ok(None)` when the
    /// time ran out, `Err(Error::Closed)` once the subscription ended (cancelled, or its
    /// connector closed).
    pub fn recv_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<MembershipEvent>> {
        recv_timeout(&mut self.events, timeout)
    }
}

impl Iterator for MemberSubscription {
    type Item = MembershipEvent;

    fn next(&mut self) -> Option<MembershipEvent> {
        self.recv_timeout(None).ok().flatten()
    }
}

/// Blocking twin of [`crate::StateSubscription`].
pub struct StateSubscription {
    events: mpsc::UnboundedReceiver<ConnectionState>,
}

impl StateSubscription {
    /// The next state change, waiting up to `timeout` (`None`: forever); like
    /// [`MemberSubscription::recv_timeout`], `Err(Error::Closed)` once it ended.
    pub fn recv_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<ConnectionState>> {
        recv_timeout(&mut self.events, timeout)
    }
}

/// A running callback subscription. [`CallbackHandle::cancel`] (or drop) returns only after
/// the last callback has finished, except when called from inside the callback itself.
pub struct CallbackHandle {
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
    _task: Option<AbortOnDrop>,
}

impl CallbackHandle {
    fn spawn<T, F>(
        name: &str,
        mut events: mpsc::UnboundedReceiver<T>,
        task: Option<AbortOnDrop>,
        mut callback: F,
    ) -> CallbackHandle
    where
        T: Send + 'static,
        F: FnMut(T) + Send + 'static,
    {
        let stop = Arc::new(Notify::new());
        let stop_signal = Arc::clone(&stop);
        let handle = runtime::handle();
        let thread = thread::Builder::new()
            .name(name.to_string())
            .spawn(move || loop {
                let next = handle.block_on(async {
                    tokio::select! {
                        biased;
                        _ = stop_signal.notified() => None,
                        event = events.recv() => event,
                    }
                });
                let Some(event) = next else { return };
                if catch_unwind(AssertUnwindSafe(|| callback(event))).is_err() {
                    tracing::error!("an event callback panicked; delivery goes on");
                }
            })
            .expect("cannot start a group-redis dispatcher thread");
        CallbackHandle {
            stop,
            thread_id: thread.thread().id(),
            thread: Some(thread),
            _task: task,
        }
    }

    /// Stops delivery and waits for a running callback to return.
    pub fn cancel(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            if thread::current().id() != self.thread_id {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for CallbackHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
