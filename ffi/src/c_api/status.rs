//! Status codes, the per-thread error text and the guard every export runs in.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use grcore::Error;

/// The outcome of a call. `GR_OK` (0) is success; every other value names what went
/// wrong, and `gr_last_error()` on the same thread gives the details.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum gr_status {
    /// Success.
    GR_OK = 0,
    /// An argument is unusable: empty or oversized name, NUL byte, invalid UTF-8, bad URL,
    /// impossible timeout, ...
    GR_INVALID_ARGUMENT = 1,
    /// A required pointer argument was NULL.
    GR_NULL_ARGUMENT = 2,
    /// A value was not valid JSON.
    GR_INVALID_JSON = 3,
    /// Redis could not be reached or the connection broke.
    GR_CONNECTION = 4,
    /// Redis did not answer in time.
    GR_TIMEOUT = 5,
    /// The connector was closed, or a subscription ended because its connector closed.
    GR_CLOSED = 6,
    /// The session's lease ran out before the operation was applied; the connector is
    /// starting a new session.
    GR_SESSION_EXPIRED = 7,
    /// The member id is held by another live session.
    GR_MEMBER_EXISTS = 8,
    /// The ephemeral key belongs to another live session.
    GR_KEY_OWNED = 9,
    /// `gr_release` / `gr_release_as`: this member (of this session) does not hold the lock.
    GR_LOCK_NOT_HELD = 10,
    /// Redis answered with an error not covered above.
    GR_REDIS = 11,
    /// Redis holds data this library did not write (foreign or corrupt keys).
    GR_PROTOCOL = 12,
    /// A bug: the library panicked. The panic was caught; the handle may still be used.
    GR_PANIC = 13,
    /// Nothing can be granted now: the session's lease is in doubt (a heartbeat failed:
    /// SUSPENDED). Not an expiry: retry once the connection state is CONNECTED again.
    GR_LEASE_IN_DOUBT = 14,
}

use gr_status::*;

/// An error on its way out of an export: the status to return and the text to keep.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub status: gr_status,
    pub message: String,
}

impl FfiError {
    pub fn new(status: gr_status, message: impl Into<String>) -> Self {
        FfiError {
            status,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(GR_INVALID_ARGUMENT, message)
    }

    pub fn null(what: &str) -> Self {
        Self::new(GR_NULL_ARGUMENT, format!("{what} is NULL"))
    }
}

impl From<Error> for FfiError {
    fn from(err: Error) -> Self {
        let status = match &err {
            Error::InvalidArgument(_) => GR_INVALID_ARGUMENT,
            Error::InvalidJson(_) => GR_INVALID_JSON,
            Error::Connection(_) => GR_CONNECTION,
            Error::Timeout(_) => GR_TIMEOUT,
            Error::Closed => GR_CLOSED,
            Error::SessionExpired(_) => GR_SESSION_EXPIRED,
            Error::MemberExists(_) => GR_MEMBER_EXISTS,
            Error::KeyOwned(_) => GR_KEY_OWNED,
            Error::Redis(_) => GR_REDIS,
            Error::Protocol(_) => GR_PROTOCOL,
            Error::LeaseInDoubt(_) => GR_LEASE_IN_DOUBT,
        };
        FfiError::new(status, err.to_string())
    }
}

pub(crate) type FfiResult<T> = Result<T, FfiError>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // A NUL inside the message would truncate it; replace it so the text stays whole.
    let text = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

/// Empties the error text; free when it already is (the common case: success after
/// success), so a successful call allocates nothing here.
fn clear_last_error() {
    LAST_ERROR.with(|slot| {
        if !slot.borrow().is_empty() {
            *slot.borrow_mut() = CString::default();
        }
    });
}

/// Runs the body of an export: catches panics, records the error text of this thread and
/// turns the outcome into a status.
pub(crate) fn guard(body: impl FnOnce() -> FfiResult<()>) -> gr_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            clear_last_error();
            GR_OK
        }
        Ok(Err(err)) => {
            set_last_error(&err.message);
            err.status
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            set_last_error(&format!(
                "group-redis panicked (a bug, please report): {what}"
            ));
            GR_PANIC
        }
    }
}

/// The error text of the last call made on this thread: empty after a success.
///
/// Ownership: the string belongs to the library; do not free it. It stays valid until the
/// next `gr_` call that returns a `gr_status` on the same thread.
/// Thread-safety: each thread has its own text.
#[no_mangle]
pub extern "C" fn gr_last_error() -> *const c_char {
    // catch_unwind: reading a thread-local cannot panic in practice, but no export may.
    catch_unwind(|| LAST_ERROR.with(|slot| slot.borrow().as_ptr())).unwrap_or(c"".as_ptr())
}

/// The name of a status code ("GR_OK", "GR_TIMEOUT", ...), or "GR_UNKNOWN_STATUS" for a
/// value that is not one. Takes an `int` so any value is safe to pass.
///
/// Ownership: a static string; do not free it. Thread-safety: safe from any thread.
#[no_mangle]
pub extern "C" fn gr_status_name(status: i32) -> *const c_char {
    let name = match status {
        0 => c"GR_OK",
        1 => c"GR_INVALID_ARGUMENT",
        2 => c"GR_NULL_ARGUMENT",
        3 => c"GR_INVALID_JSON",
        4 => c"GR_CONNECTION",
        5 => c"GR_TIMEOUT",
        6 => c"GR_CLOSED",
        7 => c"GR_SESSION_EXPIRED",
        8 => c"GR_MEMBER_EXISTS",
        9 => c"GR_KEY_OWNED",
        10 => c"GR_LOCK_NOT_HELD",
        11 => c"GR_REDIS",
        12 => c"GR_PROTOCOL",
        13 => c"GR_PANIC",
        14 => c"GR_LEASE_IN_DOUBT",
        _ => c"GR_UNKNOWN_STATUS",
    };
    name.as_ptr()
}

/// The library version ("0.1.0"). Static string; do not free it.
///
/// Compare it with the header's `GROUP_REDIS_VERSION` to check at run time that the
/// library loaded is the one the program was compiled against (a mismatch can only happen
/// through a library installed over another without relinking).
#[no_mangle]
pub extern "C" fn gr_version() -> *const c_char {
    static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// Drops a handle the library handed out, keeping any panic of its destructor inside.
/// Free functions return nothing, so the thread's error text is left as it was.
///
/// # Safety
/// `handle` is NULL or came from `Box::into_raw` and was not freed before.
pub(crate) unsafe fn free_handle<T>(handle: *mut T) {
    if !handle.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(handle))));
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CStr;

    use super::*;

    fn last_error() -> String {
        unsafe { CStr::from_ptr(gr_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn a_panic_becomes_gr_panic_with_its_message() {
        // The default hook would print the panic; it is expected here.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let status = guard(|| panic!("deliberate test panic"));
        let formatted = guard(|| panic!("deliberate {} panic", "formatted"));
        std::panic::set_hook(hook);
        assert_eq!(status, GR_PANIC);
        assert_eq!(formatted, GR_PANIC);
        assert!(
            last_error().contains("deliberate formatted panic"),
            "{}",
            last_error()
        );
        // The next success clears the text.
        assert_eq!(guard(|| Ok(())), GR_OK);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn errors_keep_their_text_per_thread() {
        let status = guard(|| Err(FfiError::invalid("bad\0name")));
        assert_eq!(status, GR_INVALID_ARGUMENT);
        assert_eq!(last_error(), "bad\\0name");
        std::thread::spawn(|| assert_eq!(last_error(), ""))
            .join()
            .unwrap();
        assert_eq!(last_error(), "bad\\0name");
    }

    #[test]
    fn every_core_error_has_a_status() {
        let cases = [
            (Error::InvalidArgument("x".into()), GR_INVALID_ARGUMENT),
            (Error::InvalidJson("x".into()), GR_INVALID_JSON),
            (Error::Connection("x".into()), GR_CONNECTION),
            (Error::Timeout("x".into()), GR_TIMEOUT),
            (Error::Closed, GR_CLOSED),
            (Error::SessionExpired("x".into()), GR_SESSION_EXPIRED),
            (Error::MemberExists("x".into()), GR_MEMBER_EXISTS),
            (Error::KeyOwned("x".into()), GR_KEY_OWNED),
            (Error::Redis("x".into()), GR_REDIS),
            (Error::Protocol("x".into()), GR_PROTOCOL),
            (Error::LeaseInDoubt("x".into()), GR_LEASE_IN_DOUBT),
        ];
        for (error, status) in cases {
            assert_eq!(FfiError::from(error).status, status);
        }
        for code in 0..=14 {
            let name = unsafe { CStr::from_ptr(gr_status_name(code)) };
            assert_ne!(name.to_str().unwrap(), "GR_UNKNOWN_STATUS");
        }
    }
}
