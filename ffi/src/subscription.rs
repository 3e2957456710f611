//! The one subscription handle behind every event kind (membership, connection state, data
//! watches, and whatever comes next): a snapshot, then events as JSON text in the shared
//! shapes, taken either by pulling (`next` with a timeout, from any number of threads, each
//! event to one of them) or by a listener called on a dispatcher thread of the library.
//!
//! The core's `blocking::Subscription<E>` (any kind `E`) feeds a queue from its own
//! dispatcher thread (`into_callback`), events serialised once, so the pull form
//! is a wait on a condition variable, whatever the kind. `listen` hands the queue to a
//! listener thread instead, which delivers what was queued before and everything after, in
//! order. A new event kind is one more opener (ffi/src/ops/subscriptions.rs) over this
//! type; the C and JNI code here and in c_api/subscription.rs and jni_api/listeners.rs
//! serve every kind.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use grcore::blocking::{CallbackHandle, Subscription};
use grcore::{Error, Event};
use serde::Serialize;

/// A subscription of any kind (membership, connection state, data watch). Open it with
/// `gr_subscribe_members`, `gr_subscribe_state`, `gr_watch` or `gr_watch_ephemeral`; read
/// `gr_subscription_snapshot`, then take events with `gr_subscription_next` or hand them
/// to a callback with `gr_subscription_listen`; free it with `gr_subscription_free`.
#[allow(non_camel_case_types)]
pub struct gr_subscription {
    snapshot_json: String,
    shared: Arc<Shared>,
    /// The core's dispatcher that fills the queue; dropping it stops the core subscription.
    feed: Option<CallbackHandle>,
    listener: Mutex<Option<JoinHandle<()>>>,
}

/// Receives the events of a subscription that `listen`s: one implementation per language.
pub(crate) trait Sink: Send + 'static {
    /// One event as JSON text, on the listener thread, in order.
    fn deliver(&mut self, event_json: &str);
    /// Once, after the last event: the subscription ended (its connector closed) or was
    /// freed.
    fn ended(&mut self) {}
}

/// Events waiting to be taken, and how the subscription stands.
#[derive(Default)]
struct State {
    events: VecDeque<String>,
    /// No more events will come (the core subscription ended).
    ended: bool,
    /// The handle is being freed: waiters and the listener stop now.
    stopped: bool,
    /// Events go to a listener; `next` is refused.
    listening: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next event, waiting up to `timeout` (`None`: until one comes). `Ok(None)`: the
    /// time ran out. `Err(Closed)`: the subscription ended and every event was taken, or it
    /// is being freed.
    fn pop(&self, timeout: Option<Duration>) -> grcore::Result<Option<String>> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut state = self.lock();
        loop {
            if state.stopped {
                return Err(Error::Closed);
            }
            if let Some(event) = state.events.pop_front() {
                return Ok(Some(event));
            }
            if state.ended {
                return Err(Error::Closed);
            }
            state = match (timeout, deadline) {
                // No deadline, or one too far to represent: wait without a limit.
                (None, _) | (Some(_), None) => {
                    self.ready.wait(state).unwrap_or_else(|p| p.into_inner())
                }
                (Some(_), Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(None);
                    }
                    let (state, _) = self
                        .ready
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|p| p.into_inner());
                    state
                }
            };
        }
    }
}

/// The core callback's end of the queue: pushes each event as JSON, and marks the queue
/// ended when the core drops it (subscription cancelled or connector closed).
struct Pusher(Arc<Shared>);

impl Pusher {
    fn push<E: Serialize>(&self, event: &E) {
        match serde_json::to_string(event) {
            Ok(text) => {
                self.0.lock().events.push_back(text);
                self.0.ready.notify_one();
            }
            // Plain structs with string keys cannot fail; should one ever, skip it rather
            // than deliver it half-formed.
            Err(err) => tracing::error!("cannot encode an event, skipped: {err}"),
        }
    }
}

impl Drop for Pusher {
    fn drop(&mut self) {
        self.0.lock().ended = true;
        self.0.ready.notify_all();
    }
}

/// A subscription just opened: the bridges hand it out as a handle (C pointer, Java long).
pub(crate) struct NewSubscription(pub Box<gr_subscription>);

impl gr_subscription {
    /// The handle over a core subscription of any kind: its snapshot as JSON, its events
    /// fed to the queue from the core's dispatcher thread.
    pub(crate) fn open<E: Event>(
        subscription: grcore::Result<Subscription<E>>,
    ) -> grcore::Result<NewSubscription> {
        let subscription = subscription?;
        let snapshot_json = serde_json::to_string(subscription.snapshot())
            .map_err(|e| Error::InvalidJson(e.to_string()))?;
        let shared = Arc::new(Shared::default());
        let push = Pusher(Arc::clone(&shared));
        let feed = subscription.into_callback("group-redis-feed", move |event| push.push(&event));
        Ok(NewSubscription(Box::new(gr_subscription {
            snapshot_json,
            shared,
            feed: Some(feed),
            listener: Mutex::new(None),
        })))
    }

    /// What the subscriber starts from, as JSON.
    pub(crate) fn snapshot(&self) -> &str {
        &self.snapshot_json
    }

    /// The next event (see [`Shared::pop`]); refused once events go to a listener.
    pub(crate) fn next(&self, timeout: Option<Duration>) -> grcore::Result<Option<String>> {
        if self.shared.lock().listening {
            return Err(Error::InvalidArgument(
                "this subscription delivers to a listener; next() is not available".into(),
            ));
        }
        self.shared.pop(timeout)
    }

    /// From now on every event, those already queued first, goes to `sink` on a listener
    /// thread of its own; `sink.ended()` follows the last one. A second listen is refused
    /// (and its sink dropped at once).
    pub(crate) fn listen(&self, mut sink: impl Sink) -> grcore::Result<()> {
        {
            let mut state = self.shared.lock();
            if state.listening {
                return Err(Error::InvalidArgument(
                    "this subscription already delivers to a listener".into(),
                ));
            }
            state.listening = true;
        }
        let shared = Arc::clone(&self.shared);
        let thread = thread::Builder::new()
            .name("group-redis-events".into())
            .spawn(move || {
                while let Ok(Some(event)) = shared.pop(None) {
                    sink.deliver(&event);
                }
                sink.ended();
            })
            .map_err(|e| Error::InvalidArgument(format!("cannot start a listener thread: {e}")))?;
        *self.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(thread);
        Ok(())
    }
}

/// Freeing stops everything: the core subscription, waiters, the listener (waiting for a
/// running delivery unless this is that delivery's own thread; the listener then ends right
/// after it returns).
impl Drop for gr_subscription {
    fn drop(&mut self) {
        self.shared.lock().stopped = true;
        self.shared.ready.notify_all();
        drop(self.feed.take());
        let listener = self
            .listener
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(listener) = listener {
            if listener.thread().id() != thread::current().id() {
                let _ = listener.join();
            }
        }
    }
}
