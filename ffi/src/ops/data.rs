//! Ephemeral data (owned by the session, deleted when it ends) and persistent data (stays,
//! versioned). Values cross as JSON text.

use grcore::{Error, Value};

use crate::bridge::bridge_fns;
use crate::bridge::values::{Json, Open, Token};

/// `[[path, value], ...]` as the pairs `persistent_set_many` takes.
fn path_value_pairs(entries: Value) -> grcore::Result<Vec<(String, Value)>> {
    let bad =
        || Error::InvalidArgument("entries must be a JSON array of [path, value] pairs".into());
    let Value::Array(pairs) = entries else {
        return Err(bad());
    };
    pairs
        .into_iter()
        .map(|pair| match pair {
            Value::Array(mut items) if items.len() == 2 => {
                let value = items.pop().unwrap_or_default();
                match items.pop() {
                    Some(Value::String(path)) => Ok((path, value)),
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        })
        .collect()
}

bridge_fns! {
    /// Sets the ephemeral `key` to the JSON `value_json`, replacing this session's earlier
    /// value. The key is deleted when the session ends (close, crash, lease run out) and is
    /// re-created if the connector has to start a new session.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized key or value over
    /// 16 MiB, not UTF-8), GR_INVALID_JSON, GR_KEY_OWNED (another live session owns it),
    /// GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
    #[c(gr_ephemeral_set)]
    #[jni]
    fn ephemeral_set(conn: Open, key: String, value_json: Value) -> () {
        conn.ephemeral_set(&key, &value_json)
    }

    /// Writes the JSON value of the ephemeral `key` (this session's or another live
    /// one's) to `*value_json_out`, or NULL when the key does not exist.
    /// Ownership: free `*value_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_ephemeral_get, out = value_json_out)]
    #[jni]
    fn ephemeral_get(conn: Open, key: String) -> Option<Json<Value>> {
        Ok(conn.ephemeral_get(&key)?.map(Json))
    }

    /// Deletes this session's ephemeral `key`; `*deleted_out` (may be NULL) is false when it
    /// did not exist.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_ephemeral_delete, optional_out = deleted_out)]
    #[jni]
    fn ephemeral_del(conn: Open, key: String) -> bool {
        conn.ephemeral_del(&key)
    }

    /// Writes every live ephemeral key starting with `prefix` (NULL or "": all) with its
    /// value to `*entries_json_out` as one JSON object {"key": value, ...}, keys sorted.
    /// Ownership: free `*entries_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
    /// GR_PROTOCOL.
    #[c(gr_ephemeral_list, out = entries_json_out)]
    #[jni]
    fn ephemeral_list(conn: Open, prefix: Option<String>) -> Json<serde_json::Map<String, Value>> {
        let entries = conn.ephemeral_list(prefix.as_deref().unwrap_or(""))?;
        Ok(Json(entries.into_iter().collect()))
    }

    /// Sets the persistent `path` to the JSON `value_json`; `*version_out` (may be NULL)
    /// receives the new version (1 after the first write, +1 per write).
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized path or value over
    /// 16 MiB, not UTF-8), GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_persistent_set, optional_out = version_out)]
    #[jni]
    fn persistent_set(conn: Open, path: String, value_json: Value) -> u64 {
        conn.persistent_set(&path, &value_json)
    }

    /// Sets many paths in one atomic step. `entries_json` is a JSON array of
    /// `[path, value]` pairs; `*versions_json_out` (may be NULL) receives the new versions
    /// as a JSON array in the same order. Either every path is written or none.
    /// Ownership: free `*versions_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not pairs, a bad path or value),
    /// GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_persistent_set_many, optional_out = versions_json_out)]
    #[jni]
    fn persistent_set_many(conn: Open, entries_json: Value) -> Json<Vec<u64>> {
        Ok(Json(conn.persistent_set_many(&path_value_pairs(entries_json)?)?))
    }

    /// Compare-and-set: writes the JSON `value_json` to `path` only if its current version
    /// is `expected_version` (0: the path must not exist). `*new_version_out` receives the
    /// new version, or 0 when the version did not match (nothing was written).
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_INVALID_JSON, GR_CLOSED,
    /// GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_persistent_cas, out = new_version_out)]
    #[jni]
    fn persistent_cas(conn: Open, path: String, expected_version: u64, value_json: Value) -> Token {
        Ok(Token(conn.persistent_cas(&path, expected_version, &value_json)?))
    }

    /// Writes the persistent `path` as JSON {"value": ..., "version": n} to
    /// `*versioned_json_out`, or NULL when the path does not exist.
    /// Ownership: free `*versioned_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
    /// GR_PROTOCOL.
    #[c(gr_persistent_get, out = versioned_json_out)]
    #[jni]
    fn persistent_get(conn: Open, path: String) -> Option<Json<grcore::Versioned>> {
        Ok(conn.persistent_get_versioned(&path)?.map(Json))
    }

    /// Deletes the persistent `path`; `*deleted_out` (may be NULL) is false when it did not
    /// exist.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_persistent_delete, optional_out = deleted_out)]
    #[jni]
    fn persistent_del(conn: Open, path: String) -> bool {
        conn.persistent_del(&path)
    }

    /// Writes every persistent entry whose path starts with `prefix` (NULL or "": all) to
    /// `*entries_json_out` as a JSON array of {"path","value","version"}, sorted by path.
    /// Uses the group's index, never a keyspace scan.
    /// Ownership: free `*entries_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT,
    /// GR_PROTOCOL.
    #[c(gr_persistent_list, out = entries_json_out)]
    #[jni]
    fn persistent_list(conn: Open, prefix: Option<String>) -> Json<Vec<grcore::Entry>> {
        Ok(Json(conn.persistent_list(prefix.as_deref().unwrap_or(""))?))
    }
}
