//! The one subscription handle behind every event kind (membership, connection state, data
//! watches, and whatever comes next): a snapshot, then events as JSON text in the shared
//! shapes, taken either by pulling (`next` with a timeout, from any number of threads, each
//! event to one of them) or by a listener called on a dispatcher thread of the library.
//!
//! The handle holds the core's `blocking::Subscription<E>` (any kind `E`, type-erased into a
//! starter) unstarted; the core buffers events meanwhile. The first `listen` starts it with
//! the listener as the callback of the core's dispatcher thread (one thread, no queue in
//! between); the first `next` starts it feeding a queue that any number of threads wait on.
//! A new event kind is one more opener (ffi/src/ops/subscriptions.rs) over this type; the C
//! and JNI code here and in c_api/subscription.rs and jni_api/listeners.rs serve every kind.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use grcore::blocking::{CallbackHandle, Subscription};
use grcore::{Error, Event};

/// A subscription of any kind (membership, connection state, data watch). Open it with
/// `gr_subscribe_members`, `gr_subscribe_state`, `gr_watch` or `gr_watch_ephemeral`; read
/// `gr_subscription_snapshot`, then take events with `gr_subscription_next` or hand them
/// to a callback with `gr_subscription_listen`; free it with `gr_subscription_free`.
#[allow(non_camel_case_types)]
pub struct gr_subscription {
    snapshot_json: String,
    mode: Mutex<Mode>,
}

/// Receives the events of a subscription: a listener (one implementation per language) or
/// the pull queue.
pub(crate) trait Sink: Send + 'static {
    /// One event as JSON text, on the dispatcher thread, in order.
    fn deliver(&mut self, event_json: &str);
    /// Once, after the last event: the subscription ended (its connector closed) or was
    /// freed. The sink is dropped right after.
    fn ended(&mut self) {}
}

/// Starts the core subscription with a sink as the destination of its events.
type Starter = Box<dyn FnOnce(Box<dyn Sink>) -> CallbackHandle + Send>;

enum Mode {
    /// Neither `next` nor `listen` was called yet; the core buffers the events.
    Unstarted(Starter),
    /// Events go to the queue `next` takes them from (the core's dispatcher feeds it).
    Pulling {
        queue: Arc<Queue>,
        _feed: CallbackHandle,
    },
    /// Events go to a listener on the core's dispatcher thread.
    Listening { _dispatcher: CallbackHandle },
    /// Being freed.
    Freed,
}

/// Calls `ended()` when the core's dispatcher drops the callback (the subscription ended,
/// or its handle was dropped), so it follows the last event.
struct EndGuard(Box<dyn Sink>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.0.ended();
    }
}

/// Events waiting to be pulled, and whether more can come.
#[derive(Default)]
struct Queue {
    state: Mutex<(VecDeque<String>, bool)>,
    ready: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, (VecDeque<String>, bool)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn end(&self) {
        self.lock().1 = true;
        self.ready.notify_all();
    }

    /// The next event, waiting up to `timeout` (`None`: until one comes). `Ok(None)`: the
    /// time ran out. `Err(Closed)`: the subscription ended and every event was taken.
    fn pop(&self, timeout: Option<Duration>) -> grcore::Result<Option<String>> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut state = self.lock();
        loop {
            if let Some(event) = state.0.pop_front() {
                return Ok(Some(event));
            }
            if state.1 {
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
                    let wait = self.ready.wait_timeout(state, deadline - now);
                    wait.unwrap_or_else(|p| p.into_inner()).0
                }
            };
        }
    }
}

/// The queue's end of the core's callback.
struct QueueSink(Arc<Queue>);

impl Sink for QueueSink {
    fn deliver(&mut self, event_json: &str) {
        self.0.lock().0.push_back(event_json.to_string());
        self.0.ready.notify_one();
    }

    fn ended(&mut self) {
        self.0.end();
    }
}

/// A subscription just opened: the bridges hand it out as a handle (C pointer, Java long).
pub(crate) struct NewSubscription(pub Box<gr_subscription>);

impl gr_subscription {
    /// The handle over a core subscription of any kind: its snapshot as JSON now, its
    /// events once `next` or `listen` starts it.
    pub(crate) fn open<E: Event>(
        subscription: grcore::Result<Subscription<E>>,
    ) -> grcore::Result<NewSubscription> {
        let subscription = subscription?;
        let snapshot_json = serde_json::to_string(subscription.snapshot())
            .map_err(|e| Error::InvalidJson(e.to_string()))?;
        let starter: Starter = Box::new(move |sink| {
            let mut sink = EndGuard(sink);
            subscription.into_callback("group-redis-events", move |event: E| {
                match serde_json::to_string(&event) {
                    Ok(text) => sink.0.deliver(&text),
                    // Plain structs with string keys cannot fail; should one ever, skip it
                    // rather than deliver it half-formed.
                    Err(err) => tracing::error!("cannot encode an event, skipped: {err}"),
                }
            })
        });
        Ok(NewSubscription(Box::new(gr_subscription {
            snapshot_json,
            mode: Mutex::new(Mode::Unstarted(starter)),
        })))
    }

    fn mode(&self) -> MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the subscriber starts from, as JSON.
    pub(crate) fn snapshot(&self) -> &str {
        &self.snapshot_json
    }

    /// The next event (see [`Queue::pop`]); refused once events go to a listener.
    pub(crate) fn next(&self, timeout: Option<Duration>) -> grcore::Result<Option<String>> {
        let queue = {
            let mut mode = self.mode();
            if let Mode::Unstarted(_) = &*mode {
                let Mode::Unstarted(start) = std::mem::replace(&mut *mode, Mode::Freed) else {
                    unreachable!()
                };
                let queue = Arc::new(Queue::default());
                let feed = start(Box::new(QueueSink(Arc::clone(&queue))));
                *mode = Mode::Pulling { queue, _feed: feed };
            }
            match &*mode {
                Mode::Pulling { queue, .. } => Arc::clone(queue),
                Mode::Listening { .. } => {
                    return Err(Error::InvalidArgument(
                        "this subscription delivers to a listener; next() is not available".into(),
                    ))
                }
                Mode::Unstarted(_) | Mode::Freed => return Err(Error::Closed),
            }
        };
        queue.pop(timeout)
    }

    /// From now on every event, those the core buffered since the subscription opened
    /// first, goes to `sink` on the core's dispatcher thread; `sink.ended()` follows the
    /// last one. Refused (and the sink dropped at once) once `next` or `listen` was called.
    pub(crate) fn listen(&self, sink: impl Sink) -> grcore::Result<()> {
        let mut mode = self.mode();
        if !matches!(&*mode, Mode::Unstarted(_)) {
            return Err(Error::InvalidArgument(
                "this subscription already delivers to a listener or to next()".into(),
            ));
        }
        let Mode::Unstarted(start) = std::mem::replace(&mut *mode, Mode::Freed) else {
            unreachable!()
        };
        *mode = Mode::Listening {
            _dispatcher: start(Box::new(sink)),
        };
        Ok(())
    }
}

/// Freeing stops everything: the core subscription, and the dispatcher, waiting for a
/// running delivery unless this is that delivery's own thread (it then ends right after
/// the delivery returns). Pullers must have returned (the header says so).
impl Drop for gr_subscription {
    fn drop(&mut self) {
        // Taken out first: the dispatcher is joined without the lock held, so a callback
        // that calls next() meanwhile is refused instead of waiting forever.
        let mode = std::mem::replace(&mut *self.mode(), Mode::Freed);
        if let Mode::Pulling { queue, .. } = &mode {
            queue.end();
        }
        drop(mode);
    }
}
