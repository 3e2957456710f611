//! Membership subscriptions, followed by the generic follower over [`Members`].

use crate::connector::Connector;
use crate::error::Result;
use crate::membership::feed::Members;
use crate::subscription::follower::Known;
use crate::subscription::open::Start;
use crate::subscription::MemberSubscription;

impl Connector {
    /// Subscribes to membership events: a snapshot of the members now (sorted by id), then
    /// every change, in order, each exactly once, across reconnects. When history is lost
    /// (trimmed, or Redis lost its data) one event with reason `resync` carries the
    /// difference (see docs/PROTOCOL.md, "Reading events").
    #[tracing::instrument(name = "subscribe", skip_all, fields(group = self.group()))]
    pub async fn subscribe_members(&self) -> Result<MemberSubscription> {
        let feed = Members::new(self.inner.keys.clone());
        self.follow(feed, |_, position, state| {
            let mut snapshot: Vec<_> = state.values().cloned().collect();
            snapshot.sort_by(|a, b| a.id.cmp(&b.id));
            Start {
                known: Known { position, state },
                resync_first: false,
                snapshot,
            }
        })
        .await
    }
}
