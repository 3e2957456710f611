//! `gr_options`: what `gr_connect` needs besides the URL. Every setter validates its
//! argument's form (NULL, UTF-8, JSON) and fills the same [`ConfigSpec`] the Java side sends
//! as JSON; the values themselves are checked by `gr_connect`.

use std::ffi::c_char;
use std::sync::Mutex;

use grcore::Config;

use crate::bridge::config::ConfigSpec;

use super::status::{free_handle, gr_status, guard, FfiError, FfiResult};
use super::strings::{out_ptr, required_json, required_str};

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
}

/// Checks the handle and applies `change` to its settings.
unsafe fn update(options: *mut gr_options, change: impl FnOnce(&mut ConfigSpec)) -> FfiResult<()> {
    let options = options.as_ref().ok_or_else(|| FfiError::null("options"))?;
    change(&mut options.inner.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(())
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

/// Sets the group to coordinate in (non-empty, at most 1024 bytes, no '{' or '}': checked
/// by `gr_connect`).
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8).
///
/// # Safety
/// `options` is NULL or live; `group` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_group(
    options: *mut gr_options,
    group: *const c_char,
) -> gr_status {
    guard(|| {
        let group = required_str(group, "group")?.to_string();
        update(options, |s| s.group = Some(group))
    })
}

/// Sets the member id `gr_join` and the locks use when given NULL (default
/// "<hostname>-<pid>").
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8).
///
/// # Safety
/// `options` is NULL or live; `member_id` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_member_id(
    options: *mut gr_options,
    member_id: *const c_char,
) -> gr_status {
    guard(|| {
        let member_id = required_str(member_id, "member_id")?.to_string();
        update(options, |s| s.member_id = Some(member_id))
    })
}

/// Sets the session lease in milliseconds (100 ms to 24 h: checked by `gr_connect`). A
/// crashed or frozen process is gone this long after its last heartbeat.
/// Errors: GR_NULL_ARGUMENT.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_session_timeout_ms(
    options: *mut gr_options,
    timeout_ms: u64,
) -> gr_status {
    guard(|| update(options, |s| s.session_timeout_ms = Some(timeout_ms)))
}

/// Sets the heartbeat period in milliseconds (default: a third of the session timeout;
/// must be above 0 and below the session timeout: checked by `gr_connect`).
/// Errors: GR_NULL_ARGUMENT.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_heartbeat_ms(
    options: *mut gr_options,
    heartbeat_ms: u64,
) -> gr_status {
    guard(|| update(options, |s| s.heartbeat_ms = Some(heartbeat_ms)))
}

/// Sets the longest session timeout any member of the group uses, in milliseconds (default:
/// this connector's own session timeout; at most 24 h, checked by `gr_connect`). After Redis
/// restarted without the group's data, a connector that never saw the group waits this long
/// from the server's start before its first lock grant, so a holder from before the restart
/// cannot overlap it (docs/SAFETY.md). Set it when members use different session timeouts.
/// Errors: GR_NULL_ARGUMENT.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_max_lease_ms(
    options: *mut gr_options,
    max_lease_ms: u64,
) -> gr_status {
    guard(|| update(options, |s| s.max_lease_ms = Some(max_lease_ms)))
}

/// Sets how long one Redis command may take before it fails with GR_TIMEOUT (default
/// 5000 ms; 0 is refused by `gr_connect`).
/// Errors: GR_NULL_ARGUMENT.
///
/// # Safety
/// `options` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_command_timeout_ms(
    options: *mut gr_options,
    timeout_ms: u64,
) -> gr_status {
    guard(|| update(options, |s| s.command_timeout_ms = Some(timeout_ms)))
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
        update(options, |s| s.sub_groups = Some(names))
    })
}

/// Sets the payload members join with: JSON text (a small document: address, port, role;
/// at most 64 KiB, checked by `gr_join`).
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8), GR_INVALID_JSON.
///
/// # Safety
/// `options` is NULL or live; `payload_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_payload(
    options: *mut gr_options,
    payload_json: *const c_char,
) -> gr_status {
    guard(|| {
        let payload = required_json(payload_json, "payload_json")?;
        update(options, |s| s.payload = Some(payload))
    })
}

/// For `rediss://` URLs: trusts this CA certificate (PEM text, e.g. the contents of
/// ca.pem) instead of the system's roots, for servers with a private CA. The text is
/// copied; a certificate that cannot be used makes `gr_connect` fail.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8).
///
/// # Safety
/// `options` is NULL or live; `pem` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn gr_options_set_tls_root_cert(
    options: *mut gr_options,
    pem: *const c_char,
) -> gr_status {
    guard(|| {
        let pem = required_str(pem, "pem")?.to_string();
        update(options, |s| s.tls_root_cert_pem = Some(pem))
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
