//! Watching data for changes: a snapshot of the keys under a prefix, then one event per
//! change in the order the changes happened (the generic follower over [`DataFeed`]).

use crate::connector::Connector;
use crate::data::events::{DataEvent, DataSnapshot};
use crate::data::feed::{DataFeed, Space};
use crate::error::Result;
use crate::names::check_prefix;
use crate::subscription::follower::{Known, Position};
use crate::subscription::open::Start;
use crate::subscription::Subscription;

impl Connector {
    /// Watches the persistent paths starting with `prefix` (all when empty).
    ///
    /// The subscription's snapshot holds the matching paths now with their versions and
    /// the group's data revision then. Events follow, one per change of a matching path, in
    /// the order the changes happened, each exactly once, across reconnects: `put` (value
    /// and new version), `delete` (the version it had). A delete and a re-create are two
    /// events. Each event carries the group's data revision of its change: one counter for
    /// persistent and ephemeral data that only grows, also when Redis loses its data.
    ///
    /// With `from_revision = Some(r)`, events start right after revision `r` (as seen in
    /// an earlier event or snapshot), replaying the history since; the snapshot still holds
    /// the current entries (a restarted watcher may simply reload from it). When that
    /// history is gone (trimmed: the stream keeps about 10,000 changes; or Redis lost its
    /// data), events marked `resync` carry a `put` for every matching path instead; a path
    /// deleted during the lost history is then not reported, so reload from the snapshot.
    ///
    /// When history is lost while watching, the events marked `resync` carry the
    /// difference between what the watcher was told and a fresh snapshot (each path once,
    /// at the snapshot's revision); applied like other events, they give the true state.
    #[tracing::instrument(name = "watch", skip_all, fields(group = self.group(), prefix = prefix))]
    pub async fn watch(
        &self,
        prefix: &str,
        from_revision: Option<u64>,
    ) -> Result<Subscription<DataEvent>> {
        self.watch_space(Space::Persistent, prefix, from_revision)
            .await
    }

    /// Like [`Connector::watch`], over the ephemeral keys starting with `prefix`. A key that
    /// goes with its session when the lease runs out gives `expired` (seen when a live
    /// connector reaps the session, right at its deadline); a key deleted, or removed by
    /// its owner's `close`, gives `delete`.
    #[tracing::instrument(
        name = "watch_ephemeral",
        skip_all,
        fields(group = self.group(), prefix = prefix)
    )]
    pub async fn watch_ephemeral(
        &self,
        prefix: &str,
        from_revision: Option<u64>,
    ) -> Result<Subscription<DataEvent>> {
        self.watch_space(Space::Ephemeral, prefix, from_revision)
            .await
    }

    async fn watch_space(
        &self,
        space: Space,
        prefix: &str,
        from_revision: Option<u64>,
    ) -> Result<Subscription<DataEvent>> {
        check_prefix(prefix)?;
        let feed = DataFeed::new(self.inner.keys.clone(), space, prefix);
        self.follow(feed, move |_, position, mut state| {
            let snapshot = DataSnapshot {
                revision: position.counter,
                entries: state.list(),
            };
            let Some(from) = from_revision else {
                return Start {
                    known: Known { position, state },
                    resync_first: false,
                    snapshot,
                };
            };
            let now = position.counter;
            let (first, last) = state.history;
            // The stream holds every change after `from` only if it starts at or before
            // from + 1 and ends at the current revision.
            let replayable =
                from == now || (from < now && first > 0 && first <= from + 1 && last == now);
            if from != now {
                // Until it has caught up, the follower cannot know what the subscriber has.
                state.catching_up_to = Some(now);
            }
            let resumed = Position {
                epoch: position.epoch,
                counter: from,
                last_id: format!("{from}-0"),
            };
            Start {
                known: Known {
                    position: resumed,
                    state,
                },
                resync_first: !replayable,
                snapshot,
            }
        })
        .await
    }
}
