//! The recipes for threads that are not async: leader election and who leads.

use crate::error::Result;
use crate::recipes::leader::LeaderEvent;
use crate::recipes::observe::LeaderView;
use crate::transport::runtime;

use super::{Connector, Subscription};

/// Blocking twin of [`crate::Leadership`]. Dropping it resigns in the background.
#[derive(Debug)]
pub struct Leadership {
    inner: crate::Leadership,
}

impl Leadership {
    /// The async handle underneath.
    pub fn as_async(&self) -> &crate::Leadership {
        &self.inner
    }

    /// See [`crate::Leadership::name`].
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// See [`crate::Leadership::is_leader`].
    pub fn is_leader(&self) -> bool {
        self.inner.is_leader()
    }

    /// See [`crate::Leadership::token`].
    pub fn token(&self) -> Option<u64> {
        self.inner.token()
    }

    /// See [`crate::Leadership::status`].
    pub fn status(&self) -> LeaderEvent {
        self.inner.status()
    }

    /// See [`crate::Leadership::subscribe`].
    pub fn subscribe(&self) -> Subscription<LeaderEvent> {
        Subscription::from_async(self.inner.subscribe())
    }

    /// See [`crate::Leadership::resign`].
    pub fn resign(&self) -> Result<()> {
        runtime::block_on(self.inner.resign())?
    }
}

impl Connector {
    /// Campaigns for leadership of `name` (see [`crate::Connector::elect`]).
    pub fn elect(&self, name: &str) -> Result<Leadership> {
        let inner = runtime::block_on(self.as_async().elect(name))??;
        Ok(Leadership { inner })
    }

    /// Who leads `name` now (see [`crate::Connector::leader`]).
    pub fn leader(&self, name: &str) -> Result<LeaderView> {
        runtime::block_on(self.as_async().leader(name))?
    }

    /// Who leads `name` and every change (see [`crate::Connector::observe_leader`]).
    pub fn observe_leader(&self, name: &str) -> Result<Subscription<LeaderView>> {
        Ok(Subscription::from_async(runtime::block_on(
            self.as_async().observe_leader(name),
        )??))
    }
}

/// Blocking twin of [`crate::Assignment`]. Dropping it leaves the topic in the background.
pub struct Assignment {
    inner: crate::Assignment,
}

impl Assignment {
    /// See [`crate::Assignment::share`].
    pub fn share(&self) -> crate::AssignmentEvent {
        self.inner.share()
    }

    /// See [`crate::Assignment::subscribe`].
    pub fn subscribe(&self) -> Subscription<crate::AssignmentEvent> {
        Subscription::from_async(self.inner.subscribe())
    }

    /// See [`crate::Assignment::set_ids`].
    pub fn set_ids(&self, ids: &[String]) -> Result<()> {
        self.inner.set_ids(ids)
    }

    /// See [`crate::Assignment::close`].
    pub fn close(&self) -> Result<()> {
        runtime::block_on(self.inner.close())?
    }
}

impl Connector {
    /// Takes part in an assignment topic (see [`crate::Connector::assignments`]).
    pub fn assignments(
        &self,
        topic: &str,
        ids: &[String],
        sub_group: Option<&str>,
    ) -> Result<Assignment> {
        let inner = runtime::block_on(self.as_async().assignments(topic, ids, sub_group))??;
        Ok(Assignment { inner })
    }
}

/// Blocking twin of [`crate::ServiceProvider`]. Dropping it stops the cache.
pub struct ServiceProvider {
    inner: crate::ServiceProvider,
}

impl ServiceProvider {
    /// The async provider underneath (its queries do no I/O either).
    pub fn as_async(&self) -> &crate::ServiceProvider {
        &self.inner
    }

    /// See [`crate::ServiceProvider::instances`].
    pub fn instances(&self) -> Vec<crate::Member> {
        self.inner.instances()
    }

    /// See [`crate::ServiceProvider::instance`].
    pub fn instance(&self) -> Option<crate::Member> {
        self.inner.instance()
    }

    /// See [`crate::ServiceProvider::note_error`].
    pub fn note_error(&self, member_id: &str) {
        self.inner.note_error(member_id)
    }

    /// See [`crate::ServiceProvider::subscribe`].
    pub fn subscribe(&self) -> Subscription<crate::InstancesChanged> {
        Subscription::from_async(self.inner.subscribe())
    }
}

impl Connector {
    /// A service provider over the group's members (see
    /// [`crate::Connector::service_provider`]).
    pub fn service_provider(&self, options: crate::ProviderOptions) -> Result<ServiceProvider> {
        let inner = runtime::block_on(self.as_async().service_provider(options))??;
        Ok(ServiceProvider { inner })
    }
}
