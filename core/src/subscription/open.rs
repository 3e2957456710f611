//! Opening a subscription on a [`Feed`]: its place at the stream's hub, a connection of its
//! own, the first snapshot, the follower task.

use tokio::sync::mpsc;
use tracing::Instrument;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::subscription::follower::{connection, Feed, Follower, Known, Position, READ_BLOCK};
use crate::subscription::{Event, Subscription};
use crate::transport::runtime;

/// Where a new subscription starts: what the follower knows, whether it must resync
/// first, and the snapshot its subscriber is given.
pub(crate) struct Start<F: Feed> {
    pub known: Known<F>,
    pub resync_first: bool,
    pub snapshot: <F::Event as Event>::Snapshot,
}

impl Connector {
    /// Subscribes to `feed`: takes a first snapshot, lets `start` decide where to begin,
    /// and follows the stream from there on the library's runtime.
    pub(crate) async fn follow<F, S>(&self, feed: F, start: S) -> Result<Subscription<F::Event>>
    where
        F: Feed,
        S: FnOnce(&F, Position, F::State) -> Start<F> + Send + 'static,
    {
        self.inner.check_open()?;
        // Before the snapshot: every entry after it is then either handed over by the hub
        // or read by the follower's first catch-up.
        let hub = self
            .inner
            .hubs
            .subscribe(&self.inner, feed.stream())
            .await?;
        let connecting = self.inner.transport.open_reader(READ_BLOCK);
        let (follower, snapshot) = runtime::handle()
            .spawn(
                async move {
                    let mut conn = connecting.await?;
                    let (position, state) = feed.snapshot(connection(&mut conn).await?).await?;
                    let begin = start(&feed, position, state);
                    let follower = Follower::new(conn, hub, feed, begin.known, begin.resync_first);
                    Ok::<_, Error>((follower, begin.snapshot))
                }
                .in_current_span(),
            )
            .await
            .map_err(|e| Error::Connection(e.to_string()))??;
        let (sender, events) = mpsc::unbounded_channel();
        // The follower keeps the span: its records say which subscription they are about.
        let task = runtime::handle().spawn(follower.run(sender).in_current_span());
        self.inner.tasks.lock().unwrap().push(task.abort_handle());
        Ok(Subscription::new(snapshot, events, task.abort_handle()))
    }
}
