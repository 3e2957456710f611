//! The connector's pub/sub listener. One connection per connector, subscribed to two
//! channels of its group (shard channels on a Redis Cluster, so that they stay on the
//! group's node):
//! - `wake:<listener>`, this connector's own: "<wait id> <token> <sid>" when a release
//!   handed a lock to one of its waiters (handoff.lua); wakes that waiter alone, with the
//!   token and the session the lock was handed to; "<wait id>" alone when a grace held
//!   the hand-off back (that waiter asks Redis again and learns when the grace ends).
//!   Waiters also wake at the holder's lease deadline, so a missed message costs latency,
//!   never progress.
//! - `session-added`: a new session's first deadline; tells the heartbeat loop when to
//!   reap it if it dies at once, even when it has a shorter lease than anyone seen before.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::pin::Pin;

use futures_util::{Stream, StreamExt};
use redis::{AsyncConnectionConfig, ProtocolVersion, PushKind, RedisResult};
use tokio::sync::{watch, Notify};
use tokio::task::AbortHandle;

use crate::protocol::keys::Keys;
use crate::transport::endpoint::Endpoint;
use crate::transport::runtime;

/// How long a first lock waiter waits for the subscription before it goes on without it.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(1);

/// One waiting lock call: woken by its hand-off notice (with the token) or by a lost
/// pub/sub connection (without: it must ask Redis).
#[derive(Default)]
pub(crate) struct WaitSlot {
    pub notify: Notify,
    handed: Mutex<Option<(u64, String)>>,
}

impl WaitSlot {
    /// The token and session a hand-off notice brought, if one came since the last call.
    pub fn take_hand_off(&self) -> Option<(u64, String)> {
        self.handed.lock().unwrap().take()
    }
}

#[derive(Default)]
struct Shared {
    /// By wait id.
    waiters: Mutex<HashMap<String, Arc<WaitSlot>>>,
    reap_hint: Mutex<Option<Instant>>,
    reap_hint_changed: Notify,
}

pub(crate) struct Notices {
    shared: Arc<Shared>,
    /// This connector's listener id: wait ids are "<listener>:<n>".
    listener: String,
    subscribed: watch::Receiver<bool>,
    task: AbortHandle,
}

impl Notices {
    /// Starts listening in the background.
    pub fn start(endpoint: Arc<Endpoint>, keys: &Keys) -> Self {
        let shared = Arc::new(Shared::default());
        let (ready_tx, subscribed) = watch::channel(false);
        let listener = format!("{:016x}", rand::random::<u64>());
        let channels = Channels {
            wake: keys.wake_channel(&listener),
            session_added: keys.session_added_channel(),
            sharded: keys.sharded(),
        };
        let task =
            runtime::handle().spawn(listen(endpoint, channels, Arc::clone(&shared), ready_tx));
        Notices {
            shared,
            listener,
            subscribed,
            task: task.abort_handle(),
        }
    }

    /// A new wait id and the slot its hand-off notice wakes, once the listener is
    /// subscribed (or a short while has passed: the holder's deadline is the fallback).
    /// Pair with [`Notices::unregister_waiter`].
    pub async fn register_waiter(&self) -> (String, Arc<WaitSlot>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let wait = format!("{}:{}", self.listener, NEXT.fetch_add(1, Ordering::Relaxed));
        let slot = Arc::new(WaitSlot::default());
        self.shared
            .waiters
            .lock()
            .unwrap()
            .insert(wait.clone(), Arc::clone(&slot));
        let mut subscribed = self.subscribed.clone();
        let _ = tokio::time::timeout(SUBSCRIBE_WAIT, subscribed.wait_for(|ready| *ready)).await;
        (wait, slot)
    }

    /// Forgets the wait `wait`: a notice for it from now on is dropped.
    pub fn unregister_waiter(&self, wait: &str) {
        self.shared.waiters.lock().unwrap().remove(wait);
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
    wake: String,
    session_added: String,
    /// Shard channels (Redis Cluster).
    sharded: bool,
}

fn wake_all(shared: &Shared) {
    for slot in shared.waiters.lock().unwrap().values() {
        slot.notify.notify_one();
    }
}

/// `payload` is "<wait id> <token> <sid>": stores the token and session in that wait's
/// slot and wakes it. "<wait id>" alone (a hand-off a grace held back) only wakes it: it
/// asks Redis, which tells it when the grace ends.
fn note_hand_off(shared: &Shared, payload: &str) {
    let mut parts = payload.split(' ');
    let Some(wait) = parts.next() else { return };
    let handed = match (parts.next(), parts.next()) {
        (Some(token), Some(sid)) => match token.parse::<u64>() {
            Ok(token) => Some((token, sid.to_string())),
            Err(_) => return,
        },
        (None, _) => None,
        _ => return,
    };
    if let Some(slot) = shared.waiters.lock().unwrap().get(wait) {
        if handed.is_some() {
            *slot.handed.lock().unwrap() = handed;
        }
        slot.notify.notify_one();
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
        match subscribe(client, &channels).await {
            Ok(mut messages) => {
                backoff = Duration::from_millis(50);
                let _ = ready.send(true);
                // A hand-off while the listener was away went unheard: every waiter
                // asks Redis once more (a hold handed to it is reported).
                wake_all(&shared);
                loop {
                    let message = tokio::select! {
                        message = messages.next() => message,
                        _ = changes.changed() => None,
                    };
                    let Some((channel, payload)) = message else {
                        break;
                    };
                    if channel == channels.wake {
                        note_hand_off(&shared, &payload);
                    } else {
                        note_new_session(&shared, &payload);
                    }
                }
            }
            Err(err) => tracing::debug!(error = %err, "subscribe failed"),
        }
        // The connection is gone: hand-offs may have been missed, so every waiter asks.
        // The server may have failed over.
        endpoint.suspect();
        let _ = ready.send(false);
        wake_all(&shared);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

/// (channel, payload) of every notice, until the connection is lost.
type Messages = Pin<Box<dyn Stream<Item = (String, String)> + Send>>;

/// Subscribes to the connector's channels on `client`'s server.
async fn subscribe(client: redis::Client, channels: &Channels) -> RedisResult<Messages> {
    if channels.sharded {
        return subscribe_sharded(client, channels).await;
    }
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub
        .subscribe(&[&channels.wake, &channels.session_added])
        .await?;
    Ok(Box::pin(pubsub.into_on_message().filter_map(|message| {
        let channel = message.get_channel_name().to_string();
        std::future::ready(
            message
                .get_payload::<String>()
                .ok()
                .map(|payload| (channel, payload)),
        )
    })))
}

/// On a Redis Cluster the scripts publish on shard channels (`SPUBLISH`), which reach the
/// subscribers of the group's node alone (a plain `PUBLISH` goes to every node of the
/// cluster). redis-rs's pub/sub connection cannot `SSUBSCRIBE`; a RESP3 connection hands
/// the notices to a push channel instead.
async fn subscribe_sharded(client: redis::Client, channels: &Channels) -> RedisResult<Messages> {
    let info = client.get_connection_info().clone();
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    let client = redis::Client::open(info.set_redis_settings(settings))?;
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let config = AsyncConnectionConfig::new().set_push_sender(sender);
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    for channel in [&channels.wake, &channels.session_added] {
        // One channel per command: one confirmation each.
        redis::cmd("SSUBSCRIBE")
            .arg(channel)
            .query_async::<redis::Value>(&mut conn)
            .await?;
    }
    Ok(Box::pin(futures_util::stream::unfold(
        (conn, receiver),
        |(conn, mut receiver)| async move {
            loop {
                let push = receiver.recv().await?;
                // A node that gives the slot away unsubscribes its shard channels' subscribers
                // itself: subscribe again, on the slot's new owner.
                if matches!(push.kind, PushKind::Disconnection | PushKind::SUnsubscribe) {
                    return None;
                }
                let Some(message) = redis::Msg::from_push_info(push) else {
                    continue;
                };
                let channel = message.get_channel_name().to_string();
                if let Ok(payload) = message.get_payload::<String>() {
                    return Some(((channel, payload), (conn, receiver)));
                }
            }
        },
    )))
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
