//! How the C export of an operation converts its arguments and result. One line per type
//! (`c_arg!`, `c_result!`): its C form, its spelling in the header, and the conversion.

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
use crate::recipes::{
    gr_assignment, gr_leadership, gr_provider, NewAssignment, NewLeadership, NewProvider,
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

/// `c_arg!(Type: Raw as "C type", |raw, what| conversion)`.
macro_rules! c_arg {
    ($($ty:ty : $raw:ty as $c:literal, |$r:ident, $what:ident| $body:expr;)*) => {$(
        impl CArg for $ty {
            type Raw = $raw;
            const C_TYPE: &'static str = $c;
            #[allow(unused_variables)]
            unsafe fn from_c($r: $raw, $what: &'static str) -> FfiResult<Self> {
                $body
            }
        }
    )*};
}

c_arg! {
    String: *const c_char as "const char *", |raw, what| required_str(raw, what).map(str::to_owned);
    Option<String>: *const c_char as "const char *",
        |raw, what| Ok(optional_str(raw, what)?.map(str::to_owned));
    Value: *const c_char as "const char *", |raw, what| required_json(raw, what);
    Option<Value>: *const c_char as "const char *", |raw, what| optional_json(raw, what);
    bool: bool as "bool", |raw, what| Ok(raw);
    u64: u64 as "uint64_t", |raw, what| Ok(raw);
    // A duration crosses as whole milliseconds.
    Duration: u64 as "uint64_t", |raw, what| Ok(Duration::from_millis(raw));
    // A wait crosses as signed milliseconds: negative means without limit (`None`).
    Option<Duration>: i64 as "int64_t", |raw, what| Ok(u64::try_from(raw).ok().map(Duration::from_millis));
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

/// `c_result!(Type: Out as "C type", empty, |value| conversion)`; `@T Type<T>` for a
/// type generic over a serialisable `T`.
macro_rules! c_result {
    ($($(@$g:ident)? $ty:ty : $out:ty as $c:literal, $empty:expr, |$v:ident| $body:expr;)*) => {$(
        impl$(<$g: Serialize>)? CResult for $ty {
            type Out = $out;
            const C_TYPE: &'static str = $c;
            fn empty() -> $out {
                $empty
            }
            fn into_c(self) -> FfiResult<$out> {
                let $v = self;
                $body
            }
        }
    )*};
}

c_result! {
    bool: bool as "bool", false, |v| Ok(v);
    u64: u64 as "uint64_t", 0, |v| Ok(v);
    Token: u64 as "uint64_t", 0, |v| Ok(v.as_number());
    String: *mut c_char as "char *", null_mut(), |v| into_c_string(v);
    // Text that may be absent: NULL when it is.
    Option<String>: *mut c_char as "char *", null_mut(), |v| v.map_or(Ok(null_mut()), into_c_string);
    @T Json<T>: *mut c_char as "char *", null_mut(), |v| into_c_string(v.into_text()?);
    // A document that may be absent: NULL when it is.
    @T Option<Json<T>>: *mut c_char as "char *", null_mut(),
        |v| v.map_or(Ok(null_mut()), CResult::into_c);
    ConnectionState: gr_connection_state as "enum gr_connection_state",
        gr_connection_state::GR_STATE_NONE, |v| Ok(v.into());
    // A new subscription: the caller owns the handle (`gr_subscription_free`).
    NewSubscription: *mut gr_subscription as "struct gr_subscription *", null_mut(),
        |v| Ok(Box::into_raw(v.0));
    // A new leadership: the caller owns the handle (`gr_leadership_free`).
    NewLeadership: *mut gr_leadership as "struct gr_leadership *", null_mut(),
        |v| Ok(Box::into_raw(v.0));
    // A new assignment: the caller owns the handle (`gr_assignment_free`).
    NewAssignment: *mut gr_assignment as "struct gr_assignment *", null_mut(),
        |v| Ok(Box::into_raw(v.0));
    // A new service provider: the caller owns the handle (`gr_provider_free`).
    NewProvider: *mut gr_provider as "struct gr_provider *", null_mut(),
        |v| Ok(Box::into_raw(v.0));
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
