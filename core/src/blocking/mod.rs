//! The blocking facade: the same connector for threads that are not async. Every call runs
//! on the library's own runtime; callbacks run on a dispatcher thread of their own, never on
//! the runtime, and a panicking callback is logged without stopping delivery.

mod messages;
mod recipes;
mod subscription;

use std::time::Duration;

use serde_json::Value;

use crate::config::Config;
use crate::data::events::DataEvent;
use crate::data::{Entry, Versioned};
use crate::error::Result;
use crate::membership::member::{Member, MembershipEvent};
use crate::session::state::ConnectionState;
use crate::transport::runtime;

pub use recipes::{Assignment, Leadership, ServiceProvider};
pub use subscription::{CallbackHandle, MemberSubscription, StateSubscription, Subscription};

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
        /// See [`crate::Connector::set_online`].
        fn set_online(&self, member_id: Option<&str>, online: bool) -> ();
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
        /// See [`crate::Connector::locks`].
        fn locks(&self) -> Vec<(String, crate::LockHolder)>;
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
        Ok(Subscription::from_async(runtime::block_on(
            self.inner.subscribe_members(),
        )??))
    }

    /// Calls `callback` for every membership event on a dispatcher thread until the
    /// returned handle is cancelled or dropped. Returns the starting snapshot too.
    pub fn on_member_event<F>(&self, callback: F) -> Result<(Vec<Member>, CallbackHandle)>
    where
        F: FnMut(MembershipEvent) + Send + 'static,
    {
        let subscription = self.subscribe_members()?;
        let snapshot = subscription.snapshot().clone();
        Ok((
            snapshot,
            subscription.into_callback("group-redis-members", callback),
        ))
    }

    /// Subscribes to connection-state changes, pull style (see
    /// [`crate::Connector::subscribe_state`]).
    pub fn subscribe_state(&self) -> StateSubscription {
        Subscription::from_async(self.inner.subscribe_state())
    }

    /// Calls `callback` for every connection-state change on a dispatcher thread; CLOSED is
    /// the last.
    pub fn on_state_change<F>(&self, callback: F) -> CallbackHandle
    where
        F: FnMut(ConnectionState) + Send + 'static,
    {
        self.subscribe_state()
            .into_callback("group-redis-state", callback)
    }

    /// Watches persistent data, pull style (see [`crate::Connector::watch`]).
    pub fn watch(
        &self,
        prefix: &str,
        from_revision: Option<u64>,
    ) -> Result<Subscription<DataEvent>> {
        Ok(Subscription::from_async(runtime::block_on(
            self.inner.watch(prefix, from_revision),
        )??))
    }

    /// Watches ephemeral keys, pull style (see [`crate::Connector::watch_ephemeral`]).
    pub fn watch_ephemeral(
        &self,
        prefix: &str,
        from_revision: Option<u64>,
    ) -> Result<Subscription<DataEvent>> {
        Ok(Subscription::from_async(runtime::block_on(
            self.inner.watch_ephemeral(prefix, from_revision),
        )??))
    }
}
