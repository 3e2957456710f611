//! Wake-ups for lock waiters: one pub/sub connection per connector, subscribed to the
//! group's `released` channel, notifies the waiters of the freed lock name. Waiters also
//! wake at the holder's lease deadline, so a missed message costs latency, never progress.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{watch, Notify};
use tokio::task::AbortHandle;

use crate::runtime;

/// How long a first waiter waits for the subscription before it goes on without it.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(1);

pub(crate) struct LockWakeups {
    client: redis::Client,
    channel: String,
    waiters: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
    listener: Mutex<Option<(AbortHandle, watch::Receiver<bool>)>>,
}

impl LockWakeups {
    pub fn new(client: redis::Client, channel: String) -> Self {
        LockWakeups {
            client,
            channel,
            waiters: Arc::new(Mutex::new(HashMap::new())),
            listener: Mutex::new(None),
        }
    }

    /// The notifier of `name`, starting the listener on first use. Pair with
    /// [`LockWakeups::unregister`].
    pub async fn register(&self, name: &str) -> Arc<Notify> {
        let notify = Arc::clone(
            self.waiters
                .lock()
                .unwrap()
                .entry(name.to_string())
                .or_default(),
        );
        let mut subscribed = self.ensure_listener();
        let _ = tokio::time::timeout(SUBSCRIBE_WAIT, subscribed.wait_for(|ready| *ready)).await;
        notify
    }

    /// Drops the notifier of `name` once no waiter holds it.
    pub fn unregister(&self, name: &str, notify: Arc<Notify>) {
        let mut waiters = self.waiters.lock().unwrap();
        drop(notify);
        if waiters.get(name).is_some_and(|n| Arc::strong_count(n) == 1) {
            waiters.remove(name);
        }
    }

    pub fn shutdown(&self) {
        if let Some((task, _)) = self.listener.lock().unwrap().take() {
            task.abort();
        }
        for notify in self.waiters.lock().unwrap().values() {
            notify.notify_waiters();
        }
    }

    fn ensure_listener(&self) -> watch::Receiver<bool> {
        let mut listener = self.listener.lock().unwrap();
        if let Some((_, subscribed)) = listener.as_ref() {
            return subscribed.clone();
        }
        let (ready_tx, ready_rx) = watch::channel(false);
        let task = runtime::handle().spawn(listen(
            self.client.clone(),
            self.channel.clone(),
            Arc::clone(&self.waiters),
            ready_tx,
        ));
        *listener = Some((task.abort_handle(), ready_rx.clone()));
        ready_rx
    }
}

async fn listen(
    client: redis::Client,
    channel: String,
    waiters: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
    ready: watch::Sender<bool>,
) {
    let mut backoff = Duration::from_millis(50);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    backoff = Duration::from_millis(50);
                    let _ = ready.send(true);
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(name) = message.get_payload::<String>() else {
                            continue;
                        };
                        if let Some(notify) = waiters.lock().unwrap().get(&name) {
                            notify.notify_waiters();
                        }
                    }
                }
                Err(err) => log::debug!("group-redis: subscribe failed: {err}"),
            },
            Err(err) => log::debug!("group-redis: pub/sub connect failed: {err}"),
        }
        // The connection is gone: releases may have been missed, so every waiter retries.
        let _ = ready.send(false);
        for notify in waiters.lock().unwrap().values() {
            notify.notify_waiters();
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}
