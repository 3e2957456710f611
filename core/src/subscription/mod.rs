//! Subscriptions, one mechanism for every kind of event: a starting snapshot, then events
//! in order, each exactly once ([`Subscription`]). The follower that reads a group's Redis
//! stream for a subscription lives in [`follower`] (opened by [`open`], fed by the
//! connector's one reader per stream, [`hub`]); each kind of event says how to read its
//! stream ([`follower::Feed`]).

pub(crate) mod follower;
pub(crate) mod hub;
pub(crate) mod open;

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// One kind of event a subscription delivers ([`crate::MembershipEvent`],
/// [`crate::ConnectionState`], [`crate::DataEvent`]).
pub trait Event: Serialize + Clone + Send + 'static {
    /// What the subscriber starts from (serialised to JSON for the bindings).
    type Snapshot: Serialize + Clone + Send + Sync + 'static;
}

/// A live subscription (async): [`Subscription::snapshot`], then every event in order with
/// [`Subscription::next`] or as a `futures::Stream`. Dropping it stops it.
pub struct Subscription<E: Event> {
    snapshot: E::Snapshot,
    events: mpsc::UnboundedReceiver<E>,
    task: AbortOnDrop,
}

/// A subscription to membership events; its snapshot is the member list.
pub type MemberSubscription = Subscription<crate::MembershipEvent>;

/// A subscription to connection-state changes; its snapshot is the state when it started
/// and its last event is CLOSED.
pub type StateSubscription = Subscription<crate::ConnectionState>;

/// Stops a background task when dropped.
pub(crate) struct AbortOnDrop(pub(crate) AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<E: Event> Subscription<E> {
    /// A subscription fed through `events` by `task` (stopped with it).
    pub(crate) fn new(
        snapshot: E::Snapshot,
        events: mpsc::UnboundedReceiver<E>,
        task: AbortHandle,
    ) -> Self {
        Subscription {
            snapshot,
            events,
            task: AbortOnDrop(task),
        }
    }

    /// Its parts, for the blocking facade.
    pub(crate) fn into_parts(self) -> (E::Snapshot, mpsc::UnboundedReceiver<E>, AbortOnDrop) {
        (self.snapshot, self.events, self.task)
    }

    /// What the subscription started from; the events follow from there.
    pub fn snapshot(&self) -> &E::Snapshot {
        &self.snapshot
    }

    /// The next event; `None` once the subscription was cancelled (after the events
    /// already delivered) or its connector closed.
    pub async fn next(&mut self) -> Option<E> {
        self.events.recv().await
    }

    /// The next event if one is already here.
    pub fn try_next(&mut self) -> Option<E> {
        self.events.try_recv().ok()
    }

    /// Stops the subscription; events already delivered are still returned, then `None`.
    pub fn cancel(&self) {
        self.task.0.abort();
    }
}

// Nothing is pinned in place: the fields are only ever used through `&mut`.
impl<E: Event> Unpin for Subscription<E> {}

impl<E: Event> Stream for Subscription<E> {
    type Item = E;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.events.poll_recv(cx)
    }
}

impl Event for crate::MembershipEvent {
    type Snapshot = Vec<crate::Member>;
}

impl Event for crate::ConnectionState {
    type Snapshot = crate::ConnectionState;
}

impl Event for crate::DataEvent {
    type Snapshot = crate::DataSnapshot;
}
