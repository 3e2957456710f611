//! Ephemeral data (owned by the session, deleted when it ends) and persistent data (stays,
//! versioned). Values cross as JSON text.

use std::ffi::c_char;
use std::ptr::null_mut;

use grcore::Value;

use super::connector::{gr_connector, open_connector, outcome};
use super::options::string_array;
use super::status::{gr_status, guard, FfiError};
use super::strings::{
    json_c_string, optional_out, optional_str, out_ptr, required_json, required_str,
};

/// Sets the ephemeral `key` to the JSON `value_json`, replacing this session's earlier
/// value. The key is deleted when the session ends (close, crash, lease run out) and is
/// re-created if the connector has to start a new session.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized key or value over
/// 16 MiB, not UTF-8), GR_INVALID_JSON, GR_KEY_OWNED (another live session owns it),
/// GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
///
/// # Safety
/// `conn` is NULL or live; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn gr_ephemeral_set(
    conn: *const gr_connector,
    key: *const c_char,
    value_json: *const c_char,
) -> gr_status {
    guard(|| {
        let connector = open_connector(conn)?;
        let key = required_str(key, "key")?;
        let value = required_json(value_json, "value_json")?;
        outcome(connector, connector.ephemeral_set(key, &value))
    })
}

/// Writes the JSON value of the ephemeral `key` (anyone's) to `*value_json_out`, or NULL
/// when the key does not exist.
/// Ownership: free `*value_json_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `key` is NULL or NUL-terminated; `value_json_out` is NULL or
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_ephemeral_get(
    conn: *const gr_connector,
    key: *const c_char,
    value_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(value_json_out, "value_json_out", null_mut())?;
        let connector = open_connector(conn)?;
        if let Some(value) = outcome(
            connector,
            connector.ephemeral_get(required_str(key, "key")?),
        )? {
            *out = json_c_string(serde_json::to_string(&value))?;
        }
        Ok(())
    })
}

/// Deletes this session's ephemeral `key`; `*deleted_out` (may be NULL) is false when it
/// did not exist.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `key` is NULL or NUL-terminated; `deleted_out` is NULL or valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_ephemeral_delete(
    conn: *const gr_connector,
    key: *const c_char,
    deleted_out: *mut bool,
) -> gr_status {
    guard(|| {
        let out = optional_out(deleted_out, false);
        let connector = open_connector(conn)?;
        let deleted = outcome(
            connector,
            connector.ephemeral_del(required_str(key, "key")?),
        )?;
        if let Some(out) = out {
            *out = deleted;
        }
        Ok(())
    })
}

/// Writes every live ephemeral key starting with `prefix` (NULL or "": all) with its value
/// to `*entries_json_out` as one JSON object {"key": value, ...}, keys sorted.
/// Ownership: free `*entries_json_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
/// GR_PROTOCOL.
///
/// # Safety
/// `conn` is NULL or live; `prefix` is NULL or NUL-terminated; `entries_json_out` is NULL
/// or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_ephemeral_list(
    conn: *const gr_connector,
    prefix: *const c_char,
    entries_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(entries_json_out, "entries_json_out", null_mut())?;
        let connector = open_connector(conn)?;
        let prefix = optional_str(prefix, "prefix")?.unwrap_or("");
        let entries: serde_json::Map<String, Value> =
            outcome(connector, connector.ephemeral_list(prefix))?
                .into_iter()
                .collect();
        *out = json_c_string(serde_json::to_string(&entries))?;
        Ok(())
    })
}

/// Sets the persistent `path` to the JSON `value_json`; `*version_out` (may be NULL)
/// receives the new version (1 after the first write, +1 per write).
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized path or value over
/// 16 MiB, not UTF-8), GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; strings are NULL or NUL-terminated; `version_out` is NULL or
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_persistent_set(
    conn: *const gr_connector,
    path: *const c_char,
    value_json: *const c_char,
    version_out: *mut u64,
) -> gr_status {
    guard(|| {
        let out = optional_out(version_out, 0);
        let connector = open_connector(conn)?;
        let path = required_str(path, "path")?;
        let value = required_json(value_json, "value_json")?;
        let version = outcome(connector, connector.persistent_set(path, &value))?;
        if let Some(out) = out {
            *out = version;
        }
        Ok(())
    })
}

/// Writes the JSON value of the persistent `path` to `*value_json_out` (NULL when absent)
/// and its version to `*version_out` (may be NULL; 0 when absent).
/// Ownership: free `*value_json_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
/// GR_PROTOCOL.
///
/// # Safety
/// `conn` is NULL or live; `path` is NULL or NUL-terminated; the out pointers are NULL or
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_persistent_get(
    conn: *const gr_connector,
    path: *const c_char,
    value_json_out: *mut *mut c_char,
    version_out: *mut u64,
) -> gr_status {
    guard(|| {
        let out = out_ptr(value_json_out, "value_json_out", null_mut())?;
        let version = optional_out(version_out, 0);
        let connector = open_connector(conn)?;
        if let Some(found) = outcome(
            connector,
            connector.persistent_get_versioned(required_str(path, "path")?),
        )? {
            *out = json_c_string(serde_json::to_string(&found.value))?;
            if let Some(version) = version {
                *version = found.version;
            }
        }
        Ok(())
    })
}

/// Deletes the persistent `path`; `*deleted_out` (may be NULL) is false when it did not
/// exist.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `path` is NULL or NUL-terminated; `deleted_out` is NULL or
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_persistent_delete(
    conn: *const gr_connector,
    path: *const c_char,
    deleted_out: *mut bool,
) -> gr_status {
    guard(|| {
        let out = optional_out(deleted_out, false);
        let connector = open_connector(conn)?;
        let deleted = outcome(
            connector,
            connector.persistent_del(required_str(path, "path")?),
        )?;
        if let Some(out) = out {
            *out = deleted;
        }
        Ok(())
    })
}

/// Writes every persistent entry whose path starts with `prefix` (NULL or "": all) to
/// `*entries_json_out` as a JSON array of {"path","value","version"}, sorted by path. Uses
/// the group's index, never a keyspace scan.
/// Ownership: free `*entries_json_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
/// GR_PROTOCOL.
///
/// # Safety
/// `conn` is NULL or live; `prefix` is NULL or NUL-terminated; `entries_json_out` is NULL
/// or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_persistent_list(
    conn: *const gr_connector,
    prefix: *const c_char,
    entries_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(entries_json_out, "entries_json_out", null_mut())?;
        let connector = open_connector(conn)?;
        let prefix = optional_str(prefix, "prefix")?.unwrap_or("");
        let entries = outcome(connector, connector.persistent_list(prefix))?;
        *out = json_c_string(serde_json::to_string(&entries))?;
        Ok(())
    })
}

/// Sets `count` persistent paths at once: other clients see all of them or none.
/// `paths[i]` gets the JSON `values_json[i]`; `versions_out` (may be NULL) points to room
/// for `count` versions, written in the same order. `count` 0 does nothing (the arrays may
/// then be NULL).
/// Errors: GR_NULL_ARGUMENT (an array or element NULL), GR_INVALID_ARGUMENT,
/// GR_INVALID_JSON (naming the index), GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `paths` and `values_json` are NULL or point to `count` string
/// pointers; `versions_out` is NULL or valid for `count` writes.
#[no_mangle]
pub unsafe extern "C" fn gr_persistent_set_many(
    conn: *const gr_connector,
    paths: *const *const c_char,
    values_json: *const *const c_char,
    count: usize,
    versions_out: *mut u64,
) -> gr_status {
    guard(|| {
        let connector = open_connector(conn)?;
        let paths = string_array(paths, count, "paths")?;
        if count > 0 && values_json.is_null() {
            return Err(FfiError::null("values_json"));
        }
        let entries = paths
            .into_iter()
            .enumerate()
            .map(|(i, path)| {
                let value = required_json(*values_json.add(i), &format!("values_json[{i}]"))?;
                Ok((path, value))
            })
            .collect::<Result<Vec<(String, Value)>, FfiError>>()?;
        let versions = outcome(connector, connector.persistent_set_many(&entries))?;
        if !versions_out.is_null() {
            for (i, version) in versions.iter().take(count).enumerate() {
                versions_out.add(i).write(*version);
            }
        }
        Ok(())
    })
}

/// Compare-and-set: writes the JSON `value_json` to `path` only if its current version is
/// `expected_version` (0: the path must not exist). `*new_version_out` receives the new
/// version, or 0 when the version did not match (nothing was written).
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_INVALID_JSON, GR_CLOSED,
/// GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; strings are NULL or NUL-terminated; `new_version_out` is NULL
/// or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_persistent_cas(
    conn: *const gr_connector,
    path: *const c_char,
    expected_version: u64,
    value_json: *const c_char,
    new_version_out: *mut u64,
) -> gr_status {
    guard(|| {
        let out = out_ptr(new_version_out, "new_version_out", 0)?;
        let connector = open_connector(conn)?;
        let path = required_str(path, "path")?;
        let value = required_json(value_json, "value_json")?;
        let written = connector.persistent_cas(path, expected_version, &value);
        *out = outcome(connector, written)?.unwrap_or(0);
        Ok(())
    })
}
