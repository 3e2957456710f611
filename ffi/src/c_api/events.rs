//! Membership and connection-state events, pull style (a blocking next with a timeout,
//! usable from several threads at once) and callback style (a function pointer called on a
//! library-owned dispatcher thread, never on a runtime worker).
//!
//! Both styles sit on the core's callback subscriptions: a pull subscription is a callback
//! that fills a queue guarded by a mutex and a condition variable, so any number of threads
//! can wait on it, each with its own timeout, and an event goes to exactly one of them.

use std::collections::VecDeque;
use std::ffi::{c_char, c_void, CString};
use std::ptr::null_mut;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use grcore::blocking::CallbackHandle;
use grcore::{ConnectionState, MembershipEvent};

use super::connector::{gr_connection_state, gr_connector, open_connector, outcome};
use super::status::{free_handle, gr_status, guard, FfiError, FfiResult};
use super::strings::{into_c_string, json_c_string, optional_out, out_ptr};

/// Called with each membership event as JSON text:
/// {"joined_members":[member...],"left_members":[member...],"updated_members":[member...],
///  "reason":"left"|"expired"|"resync"|null,"view":N,"position":"<ms>-<seq>"}
/// (members as in `gr_join`). `event_json` belongs to the library and is valid only during
/// the call. Runs on the subscription's own dispatcher thread, one event at a time, in
/// order; it may call any `gr_` function, including `gr_subscription_cancel` on its own
/// subscription.
#[allow(non_camel_case_types)]
pub type gr_member_event_callback =
    Option<unsafe extern "C" fn(event_json: *const c_char, user_data: *mut c_void)>;

/// Called with each connection-state change. Runs on the subscription's own dispatcher
/// thread, in order.
#[allow(non_camel_case_types)]
pub type gr_state_callback =
    Option<unsafe extern "C" fn(state: gr_connection_state, user_data: *mut c_void)>;

/// Frees a callback's `user_data`. Called exactly once, on the dispatcher thread after the
/// last callback, or on the calling thread when subscribing fails.
#[allow(non_camel_case_types)]
pub type gr_destroy_callback = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The caller's `user_data` with its destructor, called when the last user drops it.
struct UserData {
    pointer: *mut c_void,
    destroy: gr_destroy_callback,
}

// SAFETY: the caller hands `user_data` to the dispatcher thread by subscribing; the header
// documents that callbacks and the destructor run there.
unsafe impl Send for UserData {}

impl UserData {
    /// The caller's pointer. A method, so closures capture the whole `UserData` (and with
    /// it the destructor) rather than just this field.
    fn pointer(&self) -> *mut c_void {
        self.pointer
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(destroy) = self.destroy {
            // SAFETY: the caller promised `destroy` accepts this pointer, once.
            unsafe { destroy(self.pointer) }
        }
    }
}

/// Events waiting for a puller, and whether more can come.
struct Queue<T> {
    state: Mutex<(VecDeque<T>, bool)>,
    ready: Condvar,
}

impl<T> Queue<T> {
    fn new() -> Arc<Self> {
        Arc::new(Queue {
            state: Mutex::new((VecDeque::new(), false)),
            ready: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, (VecDeque<T>, bool)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, item: T) {
        self.lock().0.push_back(item);
        self.ready.notify_one();
    }

    fn end(&self) {
        self.lock().1 = true;
        self.ready.notify_all();
    }

    /// The next item, waiting up to `timeout` (`None`: until one comes). `Ok(None)`: the
    /// time ran out. `Err`: the stream ended and every item was taken.
    fn pop(&self, timeout: Option<Duration>) -> FfiResult<Option<T>> {
        let deadline = timeout.map(|t| Instant::now().checked_add(t));
        let mut state = self.lock();
        loop {
            if let Some(item) = state.0.pop_front() {
                return Ok(Some(item));
            }
            if state.1 {
                return Err(FfiError::new(
                    gr_status::GR_CLOSED,
                    "subscription ended: its connector was closed",
                ));
            }
            state = match deadline {
                // No deadline, or one too far to represent: wait without a limit.
                None | Some(None) => self.ready.wait(state).unwrap_or_else(|p| p.into_inner()),
                Some(Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(None);
                    }
                    self.ready
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }
}

/// Marks the queue ended when the dispatcher thread drops its callback, which happens when
/// the subscription is cancelled or its connector closes.
struct EndOnDrop<T>(Arc<Queue<T>>);

impl<T> Drop for EndOnDrop<T> {
    fn drop(&mut self) {
        self.0.end();
    }
}

fn timeout_of(timeout_ms: i64) -> Option<Duration> {
    u64::try_from(timeout_ms).ok().map(Duration::from_millis)
}

/// Membership events, pull style. Create with `gr_subscribe_members`, take events with
/// `gr_member_subscription_next` (from any number of threads at once), free with
/// `gr_member_subscription_free`.
#[allow(non_camel_case_types)]
pub struct gr_member_subscription {
    queue: Arc<Queue<String>>,
    _dispatcher: CallbackHandle,
}

/// Connection-state events, pull style. Create with `gr_subscribe_state`, take events with
/// `gr_state_subscription_next` (from any number of threads), free with
/// `gr_state_subscription_free`.
#[allow(non_camel_case_types)]
pub struct gr_state_subscription {
    queue: Arc<Queue<ConnectionState>>,
    _dispatcher: CallbackHandle,
}

/// A running callback subscription (membership or state). `gr_subscription_cancel` stops
/// and frees it.
#[allow(non_camel_case_types)]
pub struct gr_subscription {
    _dispatcher: CallbackHandle,
}

/// The event as JSON text. Serialising these plain structs cannot fail (string keys only);
/// should it ever, the event is skipped rather than delivered half-formed.
fn event_json(event: &MembershipEvent) -> Option<String> {
    serde_json::to_string(event).ok()
}

/// Subscribes to membership events, pull style: every change after the snapshot, in
/// order, each exactly once, across reconnects. `*snapshot_json_out` (may be NULL) receives
/// the members at the start as a JSON array (see `gr_members`).
///
/// Ownership: free `*subscription_out` with `gr_member_subscription_free` and
/// `*snapshot_json_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; the out pointers are NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_subscribe_members(
    conn: *const gr_connector,
    subscription_out: *mut *mut gr_member_subscription,
    snapshot_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(subscription_out, "subscription_out", null_mut())?;
        let snapshot_out = optional_out(snapshot_json_out, null_mut());
        let connector = open_connector(conn)?;
        let queue = Queue::new();
        let feed = EndOnDrop(Arc::clone(&queue));
        let subscribed = connector.on_member_event(move |event| {
            if let Some(text) = event_json(&event) {
                feed.0.push(text);
            }
        });
        let (snapshot, dispatcher) = outcome(connector, subscribed)?;
        if let Some(snapshot_out) = snapshot_out {
            *snapshot_out = json_c_string(serde_json::to_string(&snapshot))?;
        }
        *out = Box::into_raw(Box::new(gr_member_subscription {
            queue,
            _dispatcher: dispatcher,
        }));
        Ok(())
    })
}

/// Takes the next membership event as JSON (see `gr_member_event_callback`) into
/// `*event_json_out`, waiting up to `timeout_ms` (negative: without limit; 0: only what is
/// already there). On GR_OK `*event_json_out` is NULL when the time ran out. Each event
/// goes to exactly one caller, however many threads wait.
///
/// Ownership: free `*event_json_out` with `gr_string_free`.
/// Errors: GR_CLOSED once the connector was closed and every pending event was taken;
/// GR_NULL_ARGUMENT.
///
/// # Safety
/// `subscription` is NULL or live; `event_json_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_member_subscription_next(
    subscription: *const gr_member_subscription,
    timeout_ms: i64,
    event_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(event_json_out, "event_json_out", null_mut())?;
        let subscription = subscription
            .as_ref()
            .ok_or_else(|| FfiError::null("subscription"))?;
        if let Some(text) = subscription.queue.pop(timeout_of(timeout_ms))? {
            *out = into_c_string(text)?;
        }
        Ok(())
    })
}

/// Stops the subscription and frees it. NULL is accepted. Events not taken are dropped.
///
/// Thread-safety: no other call may use `subscription` during or after this one (wake
/// waiting threads first, e.g. by closing the connector).
///
/// # Safety
/// `subscription` is NULL or a live handle from `gr_subscribe_members`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_member_subscription_free(subscription: *mut gr_member_subscription) {
    free_handle(subscription);
}

/// Subscribes to connection-state changes (SUSPENDED, LOST, RECONNECTED, CLOSED, ...), pull
/// style.
///
/// Ownership: free `*subscription_out` with `gr_state_subscription_free`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
///
/// # Safety
/// `conn` is NULL or live; `subscription_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_subscribe_state(
    conn: *const gr_connector,
    subscription_out: *mut *mut gr_state_subscription,
) -> gr_status {
    guard(|| {
        let out = out_ptr(subscription_out, "subscription_out", null_mut())?;
        let connector = open_connector(conn)?;
        let queue = Queue::new();
        let feed = EndOnDrop(Arc::clone(&queue));
        let dispatcher = connector.on_state_change(move |state| feed.0.push(state));
        *out = Box::into_raw(Box::new(gr_state_subscription {
            queue,
            _dispatcher: dispatcher,
        }));
        Ok(())
    })
}

/// Takes the next state change into `*state_out`, waiting up to `timeout_ms` (negative:
/// without limit). On GR_OK `*state_out` is GR_STATE_NONE when the time ran out. After
/// GR_STATE_CLOSED the next call returns GR_CLOSED.
/// Errors: GR_CLOSED (ended), GR_NULL_ARGUMENT.
///
/// # Safety
/// `subscription` is NULL or live; `state_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_state_subscription_next(
    subscription: *const gr_state_subscription,
    timeout_ms: i64,
    state_out: *mut gr_connection_state,
) -> gr_status {
    guard(|| {
        let out = out_ptr(state_out, "state_out", gr_connection_state::GR_STATE_NONE)?;
        let subscription = subscription
            .as_ref()
            .ok_or_else(|| FfiError::null("subscription"))?;
        if let Some(state) = subscription.queue.pop(timeout_of(timeout_ms))? {
            *out = state.into();
        }
        Ok(())
    })
}

/// Stops the subscription and frees it. NULL is accepted.
///
/// Thread-safety: no other call may use `subscription` during or after this one.
///
/// # Safety
/// `subscription` is NULL or a live handle from `gr_subscribe_state`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_state_subscription_free(subscription: *mut gr_state_subscription) {
    free_handle(subscription);
}

/// Calls `callback(event_json, user_data)` for every membership event (see
/// `gr_member_event_callback`) on a dispatcher thread owned by the library until the
/// subscription is cancelled or the connector closed. `*snapshot_json_out` (may be NULL)
/// receives the members at the start.
///
/// Ownership: the library takes `user_data` in every case: `destroy` (may be NULL) is
/// called exactly once, after the last callback, or before this function returns when it
/// fails. Free `*subscription_out` with `gr_subscription_cancel`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `callback` and `destroy` are NULL or valid functions that may be
/// called from another thread with `user_data`; the out pointers are NULL or valid for
/// writes.
#[no_mangle]
pub unsafe extern "C" fn gr_on_member_event(
    conn: *const gr_connector,
    callback: gr_member_event_callback,
    user_data: *mut c_void,
    destroy: gr_destroy_callback,
    subscription_out: *mut *mut gr_subscription,
    snapshot_json_out: *mut *mut c_char,
) -> gr_status {
    // Owned from the first line, so every early error still runs the destructor.
    let user_data = UserData {
        pointer: user_data,
        destroy,
    };
    guard(move || {
        let out = out_ptr(subscription_out, "subscription_out", null_mut())?;
        let snapshot_out = optional_out(snapshot_json_out, null_mut());
        let callback = callback.ok_or_else(|| FfiError::null("callback"))?;
        let connector = open_connector(conn)?;
        let subscribed = connector.on_member_event(move |event| {
            let Some(text) = event_json(&event) else {
                return;
            };
            let Ok(text) = CString::new(text) else { return };
            // SAFETY: the caller promised the callback accepts these arguments.
            unsafe { callback(text.as_ptr(), user_data.pointer()) }
        });
        let (snapshot, dispatcher) = outcome(connector, subscribed)?;
        // Everything that can fail comes before the handle is handed out.
        if let Some(snapshot_out) = snapshot_out {
            *snapshot_out = json_c_string(serde_json::to_string(&snapshot))?;
        }
        *out = Box::into_raw(Box::new(gr_subscription {
            _dispatcher: dispatcher,
        }));
        Ok(())
    })
}

/// Calls `callback(state, user_data)` for every connection-state change on a dispatcher
/// thread owned by the library until the subscription is cancelled or the connector
/// closed (GR_STATE_CLOSED is the last call then).
///
/// Ownership: as `gr_on_member_event` (`destroy` runs exactly once). Free
/// `*subscription_out` with `gr_subscription_cancel`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
///
/// # Safety
/// As `gr_on_member_event`.
#[no_mangle]
pub unsafe extern "C" fn gr_on_state_change(
    conn: *const gr_connector,
    callback: gr_state_callback,
    user_data: *mut c_void,
    destroy: gr_destroy_callback,
    subscription_out: *mut *mut gr_subscription,
) -> gr_status {
    let user_data = UserData {
        pointer: user_data,
        destroy,
    };
    guard(move || {
        let out = out_ptr(subscription_out, "subscription_out", null_mut())?;
        let callback = callback.ok_or_else(|| FfiError::null("callback"))?;
        let connector = open_connector(conn)?;
        let dispatcher = connector.on_state_change(move |state| {
            // SAFETY: the caller promised the callback accepts these arguments.
            unsafe { callback(state.into(), user_data.pointer()) }
        });
        *out = Box::into_raw(Box::new(gr_subscription {
            _dispatcher: dispatcher,
        }));
        Ok(())
    })
}

/// Stops a callback subscription and frees it. Returns only after the last callback has
/// finished and `destroy(user_data)` ran, except when called from inside that
/// subscription's own callback: then the current callback is the last one, and `destroy`
/// runs right after it returns. NULL is accepted.
///
/// Thread-safety: no other call may use `subscription` during or after this one.
///
/// # Safety
/// `subscription` is NULL or a live handle from `gr_on_member_event` or
/// `gr_on_state_change`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_subscription_cancel(subscription: *mut gr_subscription) {
    free_handle(subscription);
}
