//! The connector's pub/sub listener. One connection per connector, subscribed to two
//! channels of its group:
//! - `released`: a freed lock name; wakes the waiters of that lock. Waiters also wake at
//!   the holder's lease deadline, so a missed message costs latency, never progress.
//! - `session-added`: a new session's first deadline; tells the heartbeat loop when to
//!   reap it if it dies at once, even when it has a shorter lease than anyone seen before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{watch, Notify};
use tokio::task::AbortHandle;

use crate::protocol::keys::Keys;
use crate::transport::endpoint::Endpoint;
use crate::transport::runtime;

/// How long a first lock waiter waits for the subscription before it goes on without it.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Shared {
    waiters: Mutex<HashMap<String, Arc<Notify>>>,
    reap_hint: Mutex<Option<Instant>>,
    reap_hint_changed: Notify,
}

pub(crate) struct Notices {
    shared: Arc<Shared>,
    subscribed: watch::Receiver<bool>,
    task: AbortHandle,
}

impl Notices {
    /// Starts listening in the background.
    pub fn start(endpoint: Arc<Endpoint>, keys: &Keys) -> Self {
        let shared = Arc::new(Shared::default());
        let (ready_tx, subscribed) = watch::channel(false);
        let channels = Channels {
            released: keys.released_channel(),
            session_added: keys.session_added_channel(),
        };
        let task =
            runtime::handle().spawn(listen(endpoint, channels, Arc::clone(&shared), ready_tx));
        Notices {
            shared,
            subscribed,
            task: task.abort_handle(),
        }
    }

    /// The notifier of lock `name`. Pair with [`Notices::unregister_waiter`].
    pub async fn register_waiter(&self, name: &str) -> Arc<Notify> {
        let notify = Arc::clone(
            self.shared
                .waiters
                .lock()
                .unwrap()
                .entry(name.to_string())
                .or_default(),
        );
        let mut subscribed = self.subscribed.clone();
        let _ = tokio::time::timeout(SUBSCRIBE_WAIT, subscribed.wait_for(|ready| *ready)).await;
        notify
    }

    /// Drops the notifier of `name` once no waiter holds it.
    pub fn unregister_waiter(&self, name: &str, notify: Arc<Notify>) {
        let mut waiters = self.shared.waiters.lock().unwrap();
        drop(notify);
        if waiters.get(name).is_some_and(|n| Arc::strong_count(n) == 1) {
            waiters.remove(name);
        }
    }

    /// The earliest deadline announced by a new session since the last call.
    pub fn take_reap_hint(&self) -> Option<Instant> {
        self.shared.reap_hint.lock().unwrap().take()
    }

    /// Resolves when a new session announced a deadline.
    pub async fn reap_hint_changed(&self) {
        self.shared.reap_hint_changed.notified().await
    }

    pub fn shutdown(&self) {
        self.task.abort();
        wake_all(&self.shared);
    }
}

struct Channels {
    released: String,
    session_added: String,
}

fn wake_all(shared: &Shared) {
    for notify in shared.waiters.lock().unwrap().values() {
        notify.notify_waiters();
    }
}

/// Listens on the endpoint's current server; after a fail-over, on the new master (a
/// demoted master that still answers would never publish our releases again).
async fn listen(
    endpoint: Arc<Endpoint>,
    channels: Channels,
    shared: Arc<Shared>,
    ready: watch::Sender<bool>,
) {
    let mut backoff = Duration::from_millis(50);
    let mut changes = endpoint.changes();
    loop {
        let (client, _) = endpoint.client();
        changes.mark_unchanged();
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                match pubsub
                    .subscribe(&[&channels.released, &channels.session_added])
                    .await
                {
                    Ok(()) => {
                        backoff = Duration::from_millis(50);
                        let _ = ready.send(true);
                        let mut messages = pubsub.into_on_message();
                        loop {
                            let message = tokio::select! {
                                message = messages.next() => message,
                                _ = changes.changed() => None,
                            };
                            let Some(message) = message else { break };
                            let Ok(payload) = message.get_payload::<String>() else {
                                continue;
                            };
                            if message.get_channel_name() == channels.released {
                                if let Some(notify) = shared.waiters.lock().unwrap().get(&payload) {
                                    notify.notify_waiters();
                                }
                            } else {
                                note_new_session(&shared, &payload);
                            }
                        }
                    }
                    Err(err) => tracing::debug!(error = %err, "subscribe failed"),
                }
            }
            Err(err) => tracing::debug!(error = %err, "pub/sub connect failed"),
        }
        // The connection is gone: releases may have been missed, so every waiter retries.
        // The server may have failed over.
        endpoint.suspect();
        let _ = ready.send(false);
        wake_all(&shared);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

/// `payload` is "<deadline_ms>:<server_now_ms>"; converts it to a local instant.
fn note_new_session(shared: &Shared, payload: &str) {
    let Some((deadline, now)) = payload.split_once(':') else {
        return;
    };
    let (Ok(deadline), Ok(now)) = (deadline.parse::<i64>(), now.parse::<i64>()) else {
        return;
    };
    let at = Instant::now() + Duration::from_millis((deadline - now).max(0) as u64);
    let mut hint = shared.reap_hint.lock().unwrap();
    *hint = Some(hint.map_or(at, |earlier| earlier.min(at)));
    shared.reap_hint_changed.notify_one();
}
