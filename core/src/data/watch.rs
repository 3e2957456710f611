//! Watching data for changes: a snapshot of the keys under a prefix, then one event per
//! change in the order the changes happened.

use crate::connector::Connector;
use crate::data::events::DataEvent;
use crate::error::{Error, Result};
use crate::subscription::Subscription;

impl Connector {
    /// Watches the persistent paths starting with `prefix` (all when empty): a snapshot of
    /// them with their versions, then one [`DataEvent`] per change, in order, each exactly
    /// once, across reconnects. With `from_revision = Some(r)` it delivers every change after
    /// revision `r` (or, when that history is gone, resync events with the difference);
    /// the snapshot holds the current entries either way.
    pub async fn watch(
        &self,
        prefix: &str,
        from_revision: Option<u64>,
    ) -> Result<Subscription<DataEvent>> {
        let _ = (prefix, from_revision);
        self.inner.check_open()?;
        Err(Error::InvalidArgument(
            "watch is not implemented yet".into(),
        ))
    }

    /// Like [`Connector::watch`], over ephemeral keys; a key that goes with its session
    /// when the lease runs out gives an `expired` event.
    pub async fn watch_ephemeral(
        &self,
        prefix: &str,
        from_revision: Option<u64>,
    ) -> Result<Subscription<DataEvent>> {
        let _ = (prefix, from_revision);
        self.inner.check_open()?;
        Err(Error::InvalidArgument(
            "watch is not implemented yet".into(),
        ))
    }
}
