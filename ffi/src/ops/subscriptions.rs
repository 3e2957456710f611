//! Subscriptions: one opener per event kind, and the operations every kind shares (the
//! snapshot, a blocking next). The callback form and freeing are written once per language
//! (c_api/subscription.rs, jni_api/listeners.rs); see [`crate::subscription`].

use std::time::Duration;

use crate::bridge::bridge_fns;
use crate::bridge::values::Open;
use crate::subscription::{gr_subscription, NewSubscription};

bridge_fns! {
    /// Subscribes to membership events: every change after the snapshot, in order, each
    /// exactly once, across reconnects. The snapshot (`gr_subscription_snapshot`) is the
    /// members at the start as a JSON array (see `gr_members`); each event is
    /// {"joined_members":[member...],"left_members":[member...],"updated_members":[...],
    /// "reason":"left"|"expired"|"resync"|null,"view":N,"position":"<ms>-<seq>"}. After a
    /// gap in history (resync) each member id is in at most one list: left = gone, joined =
    /// new, updated = same id with a changed record.
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Thread-safety: openers are safe from any thread; each call is a subscription of its
    /// own (its own reader and, once it listens, its own dispatcher thread).
    /// Errors: GR_NULL_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_subscribe_members, out = subscription_out)]
    #[jni]
    fn subscribe_members(conn: Open) -> NewSubscription {
        gr_subscription::open(conn.subscribe_members())
    }

    /// Subscribes to connection-state changes. The snapshot is the state when it
    /// subscribed, each event the new state, both as a JSON string: "CONNECTED",
    /// "SUSPENDED", "LOST", "RECONNECTED" or "CLOSED" (the last event when the connector
    /// closes).
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
    #[c(gr_subscribe_state, out = subscription_out)]
    #[jni]
    fn subscribe_state(conn: Open) -> NewSubscription {
        gr_subscription::open(Ok(conn.subscribe_state()))
    }

    /// Watches the persistent paths starting with `prefix` ("" or NULL: all). The snapshot
    /// is {"revision":N,"entries":[{"path","value","version"},...]} (sorted by path); each
    /// event is {"path","kind":"put"|"delete","value":<json or null>,"version":N,
    /// "revision":N,"resync":bool}, one per change, in the order of the changes, each
    /// exactly once, across reconnects. The revision is the group's data revision (one
    /// counter for persistent and ephemeral data; it only grows, across Redis data loss
    /// too). `from_revision` 0 starts from now; N > 0 delivers every change after revision
    /// N, or, when that history is gone, resync events (`"resync":true`): one per path that
    /// differs, "put" with its current value or "delete". The snapshot holds the current
    /// entries either way.
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_watch, out = subscription_out)]
    #[jni]
    fn watch(conn: Open, prefix: Option<String>, from_revision: u64) -> NewSubscription {
        let from = (from_revision > 0).then_some(from_revision);
        gr_subscription::open(conn.watch(prefix.as_deref().unwrap_or(""), from))
    }

    /// `gr_watch` over ephemeral keys: a key that goes with its session (lease ran out)
    /// gives `"kind":"expired"`; a close or explicit delete gives "delete".
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: as `gr_watch`.
    #[c(gr_watch_ephemeral, out = subscription_out)]
    #[jni]
    fn watch_ephemeral(conn: Open, prefix: Option<String>, from_revision: u64) -> NewSubscription {
        let from = (from_revision > 0).then_some(from_revision);
        gr_subscription::open(conn.watch_ephemeral(prefix.as_deref().unwrap_or(""), from))
    }

    /// Writes what the subscription started from to `*snapshot_json_out` as JSON (per
    /// kind: see the opener). Works after the connector closed.
    /// Ownership: free `*snapshot_json_out` with `gr_string_free`.
    /// Thread-safety: safe from any thread, also while others wait in `gr_subscription_next`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_subscription_snapshot, out = snapshot_json_out)]
    #[jni]
    fn subscription_snapshot(subscription: gr_subscription) -> String {
        Ok(subscription.snapshot().to_string())
    }

    /// Takes the next event as JSON (per kind: see the opener) into `*event_json_out`,
    /// waiting up to `timeout_ms` (negative: without limit; 0: only what is already
    /// there). On GR_OK `*event_json_out` is NULL when the time ran out.
    /// Thread-safety: any number of threads may wait at once, each with its own timeout;
    /// each event goes to exactly one of them.
    /// Ownership: free `*event_json_out` with `gr_string_free`.
    /// Errors: GR_CLOSED once the subscription ended (its connector closed) and every
    /// pending event was taken; GR_INVALID_ARGUMENT after `gr_subscription_listen`;
    /// GR_NULL_ARGUMENT. Events wait (in order, none lost) from the opener on, until the
    /// first `gr_subscription_next` or `gr_subscription_listen` takes them.
    #[c(gr_subscription_next, out = event_json_out)]
    #[jni]
    fn subscription_next(subscription: gr_subscription, timeout_ms: Option<Duration>) -> Option<String> {
        subscription.next(timeout_ms)
    }
}
