//! Blocking subscriptions: pull with a timeout, iterate, or hand every event to a callback
//! on a dispatcher thread of its own.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle, ThreadId};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};

use crate::error::{Error, Result};
use crate::subscription::{AbortOnDrop, Event};
use crate::transport::runtime;

/// Blocking twin of [`crate::Subscription`]: [`Subscription::snapshot`], then events with
/// [`Subscription::recv_timeout`], as an iterator, or through
/// [`Subscription::into_callback`]. Dropping it stops it.
pub struct Subscription<E: Event> {
    snapshot: E::Snapshot,
    events: mpsc::UnboundedReceiver<E>,
    task: AbortOnDrop,
}

/// Blocking twin of [`crate::MemberSubscription`].
pub type MemberSubscription = Subscription<crate::MembershipEvent>;

/// Blocking twin of [`crate::StateSubscription`].
pub type StateSubscription = Subscription<crate::ConnectionState>;

impl<E: Event> Subscription<E> {
    pub(crate) fn from_async(subscription: crate::Subscription<E>) -> Self {
        let (snapshot, events, task) = subscription.into_parts();
        Subscription {
            snapshot,
            events,
            task,
        }
    }

    /// What the subscription started from.
    pub fn snapshot(&self) -> &E::Snapshot {
        &self.snapshot
    }

    /// The next event, waiting up to `timeout` (`None`: forever). `Ok(None)` when the time
    /// ran out, `Err(Error::Closed)` once the subscription ended (cancelled, or its
    /// connector closed) and every event delivered before was returned.
    pub fn recv_timeout(&mut self, timeout: Option<Duration>) -> Result<Option<E>> {
        let events = &mut self.events;
        let next = runtime::block_on(async {
            match timeout {
                Some(limit) => tokio::time::timeout(limit, events.recv()).await.ok(),
                None => Some(events.recv().await),
            }
        })?;
        match next {
            None => Ok(None),
            Some(Some(event)) => Ok(Some(event)),
            Some(None) => Err(Error::Closed),
        }
    }

    /// Stops the subscription; events already delivered are still returned, then
    /// `Err(Error::Closed)`.
    pub fn cancel(&self) {
        self.task.0.abort();
    }

    /// Delivers every event to `callback` on a dispatcher thread of its own named
    /// `thread_name` (never the library's runtime), until the returned handle is cancelled
    /// or dropped or the subscription ends. A panicking callback is logged and delivery
    /// goes on.
    pub fn into_callback<F>(self, thread_name: &str, callback: F) -> CallbackHandle
    where
        F: FnMut(E) + Send + 'static,
    {
        CallbackHandle::spawn(thread_name, self.events, self.task, callback, || {})
    }

    /// Like [`Subscription::into_callback`], and calls `ended` once on the dispatcher
    /// thread after the last callback, however delivery stopped (the subscription ended,
    /// or the handle was cancelled or dropped): for a binding that must tell its listener,
    /// or free what the callback uses, exactly once.
    pub fn into_callback_until_end<F, G>(
        self,
        thread_name: &str,
        callback: F,
        ended: G,
    ) -> CallbackHandle
    where
        F: FnMut(E) + Send + 'static,
        G: FnOnce() + Send + 'static,
    {
        CallbackHandle::spawn(thread_name, self.events, self.task, callback, ended)
    }
}

impl<E: Event> Iterator for Subscription<E> {
    type Item = E;

    /// The next event, waiting as long as it takes; `None` once the subscription ended.
    fn next(&mut self) -> Option<E> {
        self.recv_timeout(None).ok().flatten()
    }
}

/// A running callback subscription. [`CallbackHandle::cancel`] (or drop) returns only after
/// the last callback has finished, except when called from inside the callback itself.
pub struct CallbackHandle {
    stop: Arc<Notify>,
    thread: Option<JoinHandle<()>>,
    thread_id: ThreadId,
    _task: AbortOnDrop,
}

impl CallbackHandle {
    fn spawn<T, F, G>(
        name: &str,
        mut events: mpsc::UnboundedReceiver<T>,
        task: AbortOnDrop,
        mut callback: F,
        ended: G,
    ) -> CallbackHandle
    where
        T: Send + 'static,
        F: FnMut(T) + Send + 'static,
        G: FnOnce() + Send + 'static,
    {
        let stop = Arc::new(Notify::new());
        let stop_signal = Arc::clone(&stop);
        let handle = runtime::handle();
        let thread = thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                loop {
                    let next = handle.block_on(async {
                        tokio::select! {
                            biased;
                            _ = stop_signal.notified() => None,
                            event = events.recv() => event,
                        }
                    });
                    let Some(event) = next else { break };
                    if catch_unwind(AssertUnwindSafe(|| callback(event))).is_err() {
                        tracing::error!("an event callback panicked; delivery goes on");
                    }
                }
                // The callback goes first: what it holds is freed before `ended` runs.
                drop(callback);
                if catch_unwind(AssertUnwindSafe(ended)).is_err() {
                    tracing::error!("an end-of-events callback panicked");
                }
            })
            .expect("cannot start a group-redis dispatcher thread");
        CallbackHandle {
            stop,
            thread_id: thread.thread().id(),
            thread: Some(thread),
            _task: task,
        }
    }

    /// Stops delivery and waits for a running callback to return.
    pub fn cancel(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.stop.notify_one();
        if let Some(thread) = self.thread.take() {
            if thread::current().id() != self.thread_id {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for CallbackHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
