//! Recipes built on the connector's public API and its connection-state events only, as
//! Curator's are on ZooKeeper's: [`leader`] election (a campaign is a wait for one lock,
//! the term is the lock's fencing token), observing who leads ([`observe`]), controlled
//! [`assignments`] and service [`discovery`]. Each recipe documents what it does on
//! SUSPENDED and LOST, and its events go through the one subscription mechanism
//! ([`crate::Subscription`]).

pub mod assignments;
pub mod discovery;
pub(crate) mod leader;
pub(crate) mod observe;

use std::ops::Deref;

use crate::connector::Connector;

/// A recipe's own reference to a user's connector, for its background task: the same
/// connector (session, state, registrations), but dropping it never closes the connector
/// the way dropping the user's [`Connector`] does. Calls fail with `Error::Closed` once the
/// user closed it.
pub(crate) struct SharedConnector(Connector);

impl SharedConnector {
    pub(crate) fn new(connector: &Connector) -> Self {
        SharedConnector(connector.shared())
    }
}

impl Deref for SharedConnector {
    type Target = Connector;

    fn deref(&self) -> &Connector {
        &self.0
    }
}

/// The lock a campaign for leadership of `name` waits for (docs/PROTOCOL.md).
pub(crate) fn leader_lock(name: &str) -> String {
    format!("leader/{name}")
}

/// The prefix of the ephemeral records a leader of `name` publishes, one per term
/// (`leader/<name>/<token>`), which observers watch.
pub(crate) fn leader_record_prefix(name: &str) -> String {
    format!("leader/{name}/")
}
