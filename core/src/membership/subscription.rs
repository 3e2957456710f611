//! Membership subscriptions; [`super::reader`] does the reading.

use tokio::sync::mpsc;
use tracing::Instrument;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::membership::reader::{Reader, READ_BLOCK};
use crate::subscription::{MemberSubscription, Subscription};
use crate::transport::runtime;

impl Connector {
    /// Subscribes to membership events: a snapshot of the members now, then every change,
    /// in order, each exactly once, across reconnects.
    #[tracing::instrument(name = "subscribe", skip_all, fields(group = self.group()))]
    pub async fn subscribe_members(&self) -> Result<MemberSubscription> {
        self.inner.check_open()?;
        let connection = self.inner.transport.open_reader(READ_BLOCK);
        let keys = self.inner.keys.clone();
        let (reader, snapshot) = runtime::handle()
            .spawn(async move { Reader::start(connection.await?, keys).await }.in_current_span())
            .await
            .map_err(|e| Error::Connection(e.to_string()))??;
        let (sender, events) = mpsc::unbounded_channel();
        // The reader keeps the span: its records say which subscription they are about.
        let task = runtime::handle().spawn(reader.run(sender).in_current_span());
        self.inner.tasks.lock().unwrap().push(task.abort_handle());
        Ok(Subscription::new(snapshot, events, task.abort_handle()))
    }
}
