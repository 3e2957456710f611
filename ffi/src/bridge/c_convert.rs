//! How the C export of an operation converts its arguments and result.

use std::ffi::c_char;
use std::ptr::null_mut;
use std::time::Duration;

use grcore::{ConnectionState, Value};
use serde::Serialize;

use super::values::{Json, Released, Token};
use crate::c_api::connector::gr_connection_state;
use crate::c_api::status::{gr_status, FfiError, FfiResult};
use crate::c_api::strings::{
    self, into_c_string, optional_json, optional_str, out_ptr, required_json, required_str,
};
use crate::subscription::{gr_subscription, NewSubscription};

/// An argument type: its C form and how it is read (NULL, UTF-8 and JSON checks here; the
/// value's own rules are the core's).
pub(crate) trait CArg: Sized {
    type Raw;
    /// Its C type as the header spells it.
    #[cfg_attr(not(test), allow(dead_code))] // read by the declarations tests
    const C_TYPE: &'static str;
    /// # Safety
    /// `raw` is what the caller passed: a pointer is NULL or valid as documented.
    unsafe fn from_c(raw: Self::Raw, what: &'static str) -> FfiResult<Self>;
}

impl CArg for String {
    type Raw = *const c_char;
    const C_TYPE: &'static str = "const char *";
    unsafe fn from_c(raw: *const c_char, what: &'static str) -> FfiResult<Self> {
        required_str(raw, what).map(str::to_owned)
    }
}

impl CArg for Option<String> {
    type Raw = *const c_char;
    const C_TYPE: &'static str = "const char *";
    unsafe fn from_c(raw: *const c_char, what: &'static str) -> FfiResult<Self> {
        Ok(optional_str(raw, what)?.map(str::to_owned))
    }
}

impl CArg for Value {
    type Raw = *const c_char;
    const C_TYPE: &'static str = "const char *";
    unsafe fn from_c(raw: *const c_char, what: &'static str) -> FfiResult<Self> {
        required_json(raw, what)
    }
}

impl CArg for Option<Value> {
    type Raw = *const c_char;
    const C_TYPE: &'static str = "const char *";
    unsafe fn from_c(raw: *const c_char, what: &'static str) -> FfiResult<Self> {
        optional_json(raw, what)
    }
}

impl CArg for bool {
    type Raw = bool;
    const C_TYPE: &'static str = "bool";
    unsafe fn from_c(raw: bool, _what: &'static str) -> FfiResult<Self> {
        Ok(raw)
    }
}

impl CArg for u64 {
    type Raw = u64;
    const C_TYPE: &'static str = "uint64_t";
    unsafe fn from_c(raw: u64, _what: &'static str) -> FfiResult<Self> {
        Ok(raw)
    }
}

/// A duration crosses as whole milliseconds.
impl CArg for Duration {
    type Raw = u64;
    const C_TYPE: &'static str = "uint64_t";
    unsafe fn from_c(raw: u64, _what: &'static str) -> FfiResult<Self> {
        Ok(Duration::from_millis(raw))
    }
}

/// A result written to an out-parameter.
pub(crate) trait CResult: Sized {
    type Out;
    /// The C type the out-parameter points to.
    #[cfg_attr(not(test), allow(dead_code))] // read by the declarations tests
    const C_TYPE: &'static str;
    /// What the out-parameter holds before the call succeeds (and after it fails).
    fn empty() -> Self::Out;
    fn into_c(self) -> FfiResult<Self::Out>;
}

impl CResult for bool {
    type Out = bool;
    const C_TYPE: &'static str = "bool";
    fn empty() -> bool {
        false
    }
    fn into_c(self) -> FfiResult<bool> {
        Ok(self)
    }
}

impl CResult for u64 {
    type Out = u64;
    const C_TYPE: &'static str = "uint64_t";
    fn empty() -> u64 {
        0
    }
    fn into_c(self) -> FfiResult<u64> {
        Ok(self)
    }
}

impl CResult for Token {
    type Out = u64;
    const C_TYPE: &'static str = "uint64_t";
    fn empty() -> u64 {
        0
    }
    fn into_c(self) -> FfiResult<u64> {
        Ok(self.as_number())
    }
}

impl CResult for String {
    type Out = *mut c_char;
    const C_TYPE: &'static str = "char *";
    fn empty() -> *mut c_char {
        null_mut()
    }
    fn into_c(self) -> FfiResult<*mut c_char> {
        into_c_string(self)
    }
}

impl<T: Serialize> CResult for Json<T> {
    type Out = *mut c_char;
    const C_TYPE: &'static str = "char *";
    fn empty() -> *mut c_char {
        null_mut()
    }
    fn into_c(self) -> FfiResult<*mut c_char> {
        into_c_string(self.into_text()?)
    }
}

/// A document that may be absent: NULL when it is.
impl<T: Serialize> CResult for Option<Json<T>> {
    type Out = *mut c_char;
    const C_TYPE: &'static str = "char *";
    fn empty() -> *mut c_char {
        null_mut()
    }
    fn into_c(self) -> FfiResult<*mut c_char> {
        match self {
            Some(json) => json.into_c(),
            None => Ok(null_mut()),
        }
    }
}

impl CResult for ConnectionState {
    type Out = gr_connection_state;
    const C_TYPE: &'static str = "enum gr_connection_state";
    fn empty() -> gr_connection_state {
        gr_connection_state::GR_STATE_NONE
    }
    fn into_c(self) -> FfiResult<gr_connection_state> {
        Ok(self.into())
    }
}

/// A result that is the status alone.
pub(crate) trait CStatus {
    fn into_status(self) -> FfiResult<()>;
}

impl CStatus for () {
    fn into_status(self) -> FfiResult<()> {
        Ok(())
    }
}

/// A release of a lock not held is GR_LOCK_NOT_HELD (nothing changed).
impl CStatus for Released {
    fn into_status(self) -> FfiResult<()> {
        match self {
            Released::Yes => Ok(()),
            Released::NotHeld(name) => Err(FfiError::new(
                gr_status::GR_LOCK_NOT_HELD,
                format!("lock {name:?} is not held by this member of this session"),
            )),
        }
    }
}

/// A required out-parameter: NULL is GR_NULL_ARGUMENT; otherwise it is reset first.
/// (Both out forms take the same arguments, so the macro can name either.)
///
/// # Safety
/// `out` is NULL or valid for writes.
pub(crate) unsafe fn out<'a, T: CResult>(
    out: *mut T::Out,
    what: &str,
) -> FfiResult<Option<&'a mut T::Out>> {
    out_ptr(out, what, T::empty()).map(Some)
}

/// An out-parameter the caller may pass as NULL when it does not want the result.
///
/// # Safety
/// `out` is NULL or valid for writes.
pub(crate) unsafe fn optional_out<'a, T: CResult>(
    out: *mut T::Out,
    _what: &str,
) -> FfiResult<Option<&'a mut T::Out>> {
    Ok(strings::optional_out(out, T::empty()))
}

/// A wait crosses as signed milliseconds: negative means without limit (`None`).
impl CArg for Option<Duration> {
    type Raw = i64;
    const C_TYPE: &'static str = "int64_t";
    unsafe fn from_c(raw: i64, _what: &'static str) -> FfiResult<Self> {
        Ok(u64::try_from(raw).ok().map(Duration::from_millis))
    }
}

/// Text that may be absent: NULL when it is.
impl CResult for Option<String> {
    type Out = *mut c_char;
    const C_TYPE: &'static str = "char *";
    fn empty() -> *mut c_char {
        null_mut()
    }
    fn into_c(self) -> FfiResult<*mut c_char> {
        self.map_or(Ok(null_mut()), into_c_string)
    }
}

/// A new subscription: the caller owns the handle (`gr_subscription_free`).
impl CResult for NewSubscription {
    type Out = *mut gr_subscription;
    const C_TYPE: &'static str = "struct gr_subscription *";
    fn empty() -> *mut gr_subscription {
        null_mut()
    }
    fn into_c(self) -> FfiResult<*mut gr_subscription> {
        Ok(Box::into_raw(self.0))
    }
}
