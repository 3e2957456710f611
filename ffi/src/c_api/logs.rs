//! The library's log records, handed to a function of the caller (`gr_set_log_callback`).

use std::ffi::{c_char, c_void, CString};

use super::status::{gr_status, guard, FfiError};
use crate::logs::{install, level_number, LogSink};

/// How severe a log record is. A callback installed with a level receives the records at
/// that level and every more severe one (lower number).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum gr_log_level {
    /// A bug-like condition the library survived, e.g. an application callback panicked.
    GR_LOG_ERROR = 1,
    /// Worth an operator's attention: a stored record that cannot be read was skipped, a
    /// heartbeat failed (SUSPENDED), the lease ran out (LOST), a member or ephemeral key
    /// could not be restored in a new session, the Redis clock stepped.
    GR_LOG_WARN = 2,
    /// Normal but notable: contact is back (RECONNECTED).
    GR_LOG_INFO = 3,
    /// Retries of background work.
    GR_LOG_DEBUG = 4,
    /// Finest detail.
    GR_LOG_TRACE = 5,
}

/// Receives one log record. `target` is where it comes from (a Rust module path such as
/// "group_redis::connector"); `message` is the text. With `min_level` INFO or more verbose
/// it starts with the operation it happened in, e.g. `members{group=workers}: skipping a
/// member record error=...`; at WARN or ERROR operations are not traced (that costs them
/// nothing) and the text starts with the message itself. Both are
/// UTF-8, NUL-terminated, owned by the library and valid only during the call.
///
/// Runs on the thread that logged: one of the library's own threads, or the caller's
/// thread inside a `gr_` call; possibly on several threads at once. It must return (it may
/// not unwind or longjmp out) and should be quick. It may call `gr_` functions; records
/// those calls log are dropped (no recursion), and `gr_set_log_callback` from inside it
/// fails with GR_INVALID_ARGUMENT.
#[allow(non_camel_case_types)]
pub type gr_log_callback = Option<
    unsafe extern "C" fn(
        level: gr_log_level,
        target: *const c_char,
        message: *const c_char,
        user_data: *mut c_void,
    ),
>;

/// The C caller's function with its `user_data`.
struct CallbackSink {
    callback: unsafe extern "C" fn(gr_log_level, *const c_char, *const c_char, *mut c_void),
    user_data: *mut c_void,
}

// SAFETY: the header documents that the callback is called from any thread, so the caller
// provides a callback and user_data that are safe to use from any thread.
unsafe impl Send for CallbackSink {}
unsafe impl Sync for CallbackSink {}

/// A C string of `text`; a NUL inside (impossible in practice) is written as `\0`.
fn c_text(text: &str) -> CString {
    CString::new(text)
        .unwrap_or_else(|_| CString::new(text.replace('\0', "\\0")).unwrap_or_default())
}

impl LogSink for CallbackSink {
    fn deliver(&self, level: tracing::Level, target: &str, message: &str) {
        let level = match level_number(&level) {
            1 => gr_log_level::GR_LOG_ERROR,
            2 => gr_log_level::GR_LOG_WARN,
            3 => gr_log_level::GR_LOG_INFO,
            4 => gr_log_level::GR_LOG_DEBUG,
            _ => gr_log_level::GR_LOG_TRACE,
        };
        let (target, message) = (c_text(target), c_text(message));
        // SAFETY: the caller promised the callback accepts these arguments from any thread
        // until it is replaced, and `install` waits for running deliveries before replacing.
        unsafe {
            (self.callback)(level, target.as_ptr(), message.as_ptr(), self.user_data);
        }
    }
}

/// Sends the library's log records at `min_level` (a `gr_log_level` value) or more severe
/// to `callback`, replacing any callback installed before. NULL `callback` turns logging
/// off. Without a callback nothing is logged, and logging costs next to nothing.
///
/// When this returns, the previous callback is not running on any thread and is never
/// called again, so its `user_data` may be freed. `user_data` is passed to `callback` as
/// is; it must stay valid until the callback is replaced or turned off. Replacing waits
/// for running calls of the old callback to return: do not call this while holding a lock
/// that the callback takes.
///
/// Errors: GR_INVALID_ARGUMENT when `min_level` is not a `gr_log_level` value (checked
/// even for a NULL callback) or when called from inside the log callback.
/// Thread-safety: may be called from any thread; the setting is process-wide.
#[no_mangle]
pub extern "C" fn gr_set_log_callback(
    callback: gr_log_callback,
    user_data: *mut c_void,
    min_level: i32,
) -> gr_status {
    guard(|| {
        let level = u8::try_from(min_level)
            .ok()
            .filter(|level| (1..=5).contains(level))
            .ok_or_else(|| {
                FfiError::invalid(format!(
                    "min_level {min_level} is not a gr_log_level (GR_LOG_ERROR = 1 .. GR_LOG_TRACE = 5)"
                ))
            })?;
        let sink = callback.map(|callback| {
            Box::new(CallbackSink {
                callback,
                user_data,
            }) as Box<dyn LogSink>
        });
        install(sink, level).map_err(FfiError::invalid)
    })
}

/// The name of a log level ("ERROR", "WARN", "INFO", "DEBUG", "TRACE"), or "UNKNOWN" for a
/// value that is not one. Takes an `int` so any value is safe to pass.
///
/// Ownership: a static string; do not free it. Thread-safety: safe from any thread.
#[no_mangle]
pub extern "C" fn gr_log_level_name(level: i32) -> *const c_char {
    let name = match level {
        1 => c"ERROR",
        2 => c"WARN",
        3 => c"INFO",
        4 => c"DEBUG",
        5 => c"TRACE",
        _ => c"UNKNOWN",
    };
    name.as_ptr()
}
