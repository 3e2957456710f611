//! `gr_options`: what `gr_connect` needs besides the URL. Every setter validates its
//! argument's form (NULL, UTF-8, JSON) and fills the same [`ConfigSpec`] the Java side sends
//! as JSON; the values themselves are checked by `gr_connect`. The setters of one value are
//! bridged definitions (ffi/src/ops/options.rs); the array one is here.

use std::ffi::c_char;
use std::sync::Mutex;

use grcore::Config;

use crate::bridge::config::ConfigSpec;

use super::status::{free_handle, gr_status, guard, FfiError, FfiResult};
use super::strings::{out_ptr, required_str};

/// Connect options. Create with `gr_options_new`, free with `gr_options_free`. Unset
/// options keep the library defaults (group "default-group", member id
/// "<hostname>-<pid>", session timeout 10 s, heartbeat a third of it, sub-group
/// "default", payload null, command timeout 5 s). Thread-safe.
#[allow(non_camel_case_types)]
pub struct gr_options {
    inner: Mutex<ConfigSpec>,
}

impl gr_options {
    /// The core configuration for `url` with these options applied (parsed as the Java
    /// side's options are: [`ConfigSpec`]).
    pub(crate) fn config(options: Option<&gr_options>, url: &str) -> grcore::Result<Config> {
        let mut spec = options
            .map(|o| o.inner.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default();
        spec.url = Some(url.to_string());
        spec.into_config()
    }

    /// Applies `change` to the settings (the setters in ffi/src/ops/options.rs).
    pub(crate) fn set(&self, change: impl FnOnce(&mut ConfigSpec)) -> grcore::Result<()> {
        change(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()));
        Ok(())
    }
}

/// Creates an options object with every option at its default.
///
/// Ownership: `*options_out` belongs to the caller; free it with `gr_options_free` (it may
/// be freed right after `gr_connect`, which copies it).
/// Errors: GR_NULL_ARGUMENT when `options_out` is NULL.
///
/// # Safety
/// `options_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_options_new(options_out: *mut *mut gr_options) -> gr_status {
    guard(|| {
        let out = out_ptr(options_out, "options_out", std::ptr::null_mut())?;
        *out = Box::into_raw(Box::new(gr_options {
            inner: Mutex::new(ConfigSpec::default()),
        }));
        Ok(())
    })
}

/// Frees an options object. NULL is accepted.
///
/// Thread-safety: no other call may use `options` during or after this one.
///
/// # Safety
/// `options` is NULL or a live pointer from `gr_options_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_options_free(options: *mut gr_options) {
    free_handle(options);
}

/// Sets the sub-groups members join with (default: "default"). `sub_groups` points to
/// `count` strings (the array and strings are copied); `count` 0 means none, and then
/// `sub_groups` may be NULL.
/// Errors: GR_NULL_ARGUMENT (array or an element NULL), GR_INVALID_ARGUMENT (not UTF-8).
///
/// # Safety
/// `options` is NULL or live; `sub_groups` is NULL or points to `count` pointers, each
/// NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_sub_groups(
    options: *mut gr_options,
    sub_groups: *const *const c_char,
    count: usize,
) -> gr_status {
    guard(|| {
        let names = string_array(sub_groups, count, "sub_groups")?;
        let options = options.as_ref().ok_or_else(|| FfiError::null("options"))?;
        Ok(options.set(|s| s.sub_groups = Some(names))?)
    })
}

/// Copies an array of `count` C strings.
///
/// # Safety
/// `array` is NULL or points to `count` pointers, each NULL or a NUL-terminated string.
pub(crate) unsafe fn string_array(
    array: *const *const c_char,
    count: usize,
    what: &str,
) -> FfiResult<Vec<String>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if array.is_null() {
        return Err(FfiError::null(what));
    }
    (0..count)
        .map(|i| required_str(*array.add(i), &format!("{what}[{i}]")).map(str::to_string))
        .collect()
}
