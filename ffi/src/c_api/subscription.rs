//! The two C exports every subscription kind shares that are not plain operations: the
//! callback form (three C arguments: function, user data, destructor) and freeing. The
//! rest (openers, snapshot, next) are bridged definitions in ffi/src/ops/subscriptions.rs.

use std::ffi::{c_char, c_void, CString};

use super::status::{gr_status, guard, FfiError};
use crate::subscription::{gr_subscription, Sink};

/// Called with each event of a subscription as JSON text (the shape depends on the kind:
/// see its opener). `event_json` belongs to the library and is valid only during the call.
/// Runs on the subscription's own dispatcher thread, one event at a time, in order; it may
/// call any `gr_` function, including `gr_subscription_free` on its own subscription.
#[allow(non_camel_case_types)]
pub type gr_event_callback =
    Option<unsafe extern "C" fn(event_json: *const c_char, user_data: *mut c_void)>;

/// Frees a callback's `user_data`. Called exactly once, on the dispatcher thread after the
/// last callback (when the subscription ended because its connector closed, or was freed),
/// or before `gr_subscription_listen` returns when it fails.
#[allow(non_camel_case_types)]
pub type gr_destroy_callback = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The caller's callback with its `user_data`; the destructor runs when this drops.
struct CallbackSink {
    callback: unsafe extern "C" fn(*const c_char, *mut c_void),
    user_data: *mut c_void,
    destroy: gr_destroy_callback,
}

// SAFETY: the caller hands `user_data` to the dispatcher thread by listening; the header
// documents that the callback and the destructor run there.
unsafe impl Send for CallbackSink {}

impl Sink for CallbackSink {
    fn deliver(&mut self, event_json: &str) {
        let Ok(text) = CString::new(event_json) else {
            return;
        };
        // SAFETY: the caller promised the callback accepts these arguments.
        unsafe { (self.callback)(text.as_ptr(), self.user_data) }
    }
}

impl Drop for CallbackSink {
    fn drop(&mut self) {
        if let Some(destroy) = self.destroy {
            // SAFETY: the caller promised `destroy` accepts this pointer, once.
            unsafe { destroy(self.user_data) }
        }
    }
}

/// Hands every event of `subscription`, from the first one after its snapshot, to
/// `callback(event_json, user_data)` on a dispatcher thread owned by the library (one per
/// subscription), until the subscription is freed or its connector closed. Call it before
/// any `gr_subscription_next`; afterwards `gr_subscription_next` fails with
/// GR_INVALID_ARGUMENT.
///
/// Ownership: the library takes `user_data` in every case: `destroy` (may be NULL) is
/// called exactly once, after the last callback (the subscription ended because its
/// connector closed, or was freed), or before this function returns when it fails. The
/// handle itself is still freed with `gr_subscription_free`.
/// Thread-safety: safe from any thread; call it at most once per subscription.
/// Errors: GR_NULL_ARGUMENT (subscription, callback), GR_INVALID_ARGUMENT (already
/// listening, or `gr_subscription_next` was called on it).
///
/// # Safety
/// `subscription` is NULL or live; `callback` and `destroy` are NULL or valid functions
/// that may be called from another thread with `user_data`.
#[no_mangle]
pub unsafe extern "C" fn gr_subscription_listen(
    subscription: *const gr_subscription,
    callback: gr_event_callback,
    user_data: *mut c_void,
    destroy: gr_destroy_callback,
) -> gr_status {
    // Owned from the first line, so every early error still runs the destructor.
    let sink = callback.map(|callback| CallbackSink {
        callback,
        user_data,
        destroy,
    });
    if sink.is_none() {
        if let Some(destroy) = destroy {
            destroy(user_data);
        }
    }
    guard(move || {
        let sink = sink.ok_or_else(|| FfiError::null("callback"))?;
        let subscription = subscription
            .as_ref()
            .ok_or_else(|| FfiError::null("subscription"))?;
        Ok(subscription.listen(sink)?)
    })
}

/// Stops the subscription and frees it: returns after the last callback finished and
/// `destroy(user_data)` ran, except when called from inside that subscription's own
/// callback (then the current callback is the last one, and `destroy` runs right after it
/// returns). Events not taken are dropped. NULL is accepted.
///
/// Thread-safety: no other call may use `subscription` during or after this one (a thread
/// waiting in `gr_subscription_next` must have returned; close the connector to wake it).
///
/// # Safety
/// `subscription` is NULL or a live handle from an opener, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_subscription_free(subscription: *mut gr_subscription) {
    super::status::free_handle(subscription);
}
