//! The public handle of a membership subscription; [`super::reader`] does the reading.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::Instrument;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::membership::member::{Member, MembershipEvent};
use crate::membership::reader::{Reader, READ_BLOCK};
use crate::transport::runtime;

/// A live subscription to membership events (pull style: [`MemberSubscription::next`] or
/// the `Stream` impl). Dropping it stops it.
pub struct MemberSubscription {
    pub(crate) snapshot: Vec<Member>,
    pub(crate) events: mpsc::UnboundedReceiver<MembershipEvent>,
    pub(crate) task: AbortOnDrop,
}

/// Stops a background task when dropped.
pub(crate) struct AbortOnDrop(pub(crate) AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl MemberSubscription {
    /// The members at the moment the subscription started; events follow from there.
    pub fn snapshot(&self) -> &[Member] {
        &self.snapshot
    }

    /// The next event; `None` once the subscription or its connector is closed.
    pub async fn next(&mut self) -> Option<MembershipEvent> {
        self.events.recv().await
    }

    /// The next event if one is already here.
    pub fn try_next(&mut self) -> Option<MembershipEvent> {
        self.events.try_recv().ok()
    }

    /// Stops the subscription; pending events are still returned, then `None`.
    pub fn cancel(&self) {
        self.task.0.abort();
    }
}

impl Stream for MemberSubscription {
    type Item = MembershipEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

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
        Ok(MemberSubscription {
            snapshot,
            events,
            task: AbortOnDrop(task.abort_handle()),
        })
    }
}
