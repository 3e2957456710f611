//! Crossing strings and JSON: checked reads of caller strings, library-owned strings out,
//! and the one function that frees them.

use std::ffi::{c_char, CStr, CString};

use grcore::Value;

use super::status::{FfiError, FfiResult};

/// Reads a required string argument: NULL and invalid UTF-8 are errors naming `what`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn required_str<'a>(ptr: *const c_char, what: &str) -> FfiResult<&'a str> {
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
    CStr::from_ptr(ptr)
        .to_str()
        .map_err(|e| FfiError::invalid(format!("{what} is not valid UTF-8: {e}")))
}

/// Reads an optional string argument: NULL means "use the default".
///
/// # Safety
/// As [`required_str`].
pub(crate) unsafe fn optional_str<'a>(
    ptr: *const c_char,
    what: &str,
) -> FfiResult<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        required_str(ptr, what).map(Some)
    }
}

/// Parses a required JSON argument with serde_json.
///
/// # Safety
/// As [`required_str`].
pub(crate) unsafe fn required_json(ptr: *const c_char, what: &str) -> FfiResult<Value> {
    parse_json(required_str(ptr, what)?, what)
}

/// Parses an optional JSON argument (NULL: `None`).
///
/// # Safety
/// As [`required_str`].
pub(crate) unsafe fn optional_json(ptr: *const c_char, what: &str) -> FfiResult<Option<Value>> {
    optional_str(ptr, what)?
        .map(|text| parse_json(text, what))
        .transpose()
}

fn parse_json(text: &str, what: &str) -> FfiResult<Value> {
    serde_json::from_str(text).map_err(|e| {
        FfiError::new(
            super::status::gr_status::GR_INVALID_JSON,
            format!("{what} is not valid JSON: {e}"),
        )
    })
}

/// Turns text into a library-owned C string for an out-parameter.
pub(crate) fn into_c_string(text: String) -> FfiResult<*mut c_char> {
    // Member ids and values cannot hold NUL (names are checked, JSON escapes it), so this
    // only fails on a bug; report it instead of truncating.
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| FfiError::invalid("result contains a NUL byte"))
}

/// Resets a required out-parameter and hands back a writer for it.
///
/// # Safety
/// `out` is NULL or valid for writes.
pub(crate) unsafe fn out_ptr<'a, T>(out: *mut T, what: &str, empty: T) -> FfiResult<&'a mut T> {
    if out.is_null() {
        return Err(FfiError::null(what));
    }
    out.write(empty);
    Ok(&mut *out)
}

/// Resets an optional out-parameter (NULL: the caller does not want it).
///
/// # Safety
/// `out` is NULL or valid for writes.
pub(crate) unsafe fn optional_out<'a, T>(out: *mut T, empty: T) -> Option<&'a mut T> {
    if out.is_null() {
        None
    } else {
        out.write(empty);
        Some(&mut *out)
    }
}

/// Frees a string returned by the library (JSON results, ids). NULL is accepted and does
/// nothing.
///
/// Ownership: only pass strings this library returned, each once. Never free
/// `gr_last_error()`, `gr_status_name()` or `gr_version()` results.
/// Thread-safety: any thread may free any returned string.
///
/// # Safety
/// `string` is NULL or a pointer returned through a `char **` out-parameter of this
/// library that was not freed yet.
#[no_mangle]
pub unsafe extern "C" fn gr_string_free(string: *mut c_char) {
    if string.is_null() {
        return;
    }
    // No status to return and the thread's error text must stay as it is, so catch the
    // (impossible) panic directly instead of going through `guard`.
    let _ = std::panic::catch_unwind(|| drop(CString::from_raw(string)));
}
