//! `gr_connector`: connect, close, identity, connection state, membership and sub-groups.

use std::ffi::c_char;
use std::ptr::null_mut;

use grcore::blocking::Connector;
use grcore::ConnectionState;

use super::options::gr_options;
use super::status::{free_handle, gr_status, guard, FfiError, FfiResult};
use super::strings::{
    into_c_string, json_c_string, optional_json, optional_out, optional_str, out_ptr,
    required_json, required_str,
};

/// One client's handle on one group: owns one session (lease, heartbeat), the members it
/// joined, the locks it holds and its ephemeral keys. Create with `gr_connect`; every
/// function may be called on it from many threads at once. `gr_connector_close` ends the
/// session; `gr_connector_free` (after every other call on it returned) releases the
/// handle.
#[allow(non_camel_case_types)]
pub struct gr_connector {
    pub(crate) inner: Connector,
}

/// The connection state as a C enum.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum gr_connection_state {
    /// No state: written when a wait for a state change timed out.
    GR_STATE_NONE = 0,
    /// The session is alive and its lease was renewed on time.
    GR_STATE_CONNECTED = 1,
    /// A heartbeat failed: Redis is unreachable or slow; locks may be at risk.
    GR_STATE_SUSPENDED = 2,
    /// The lease ran out on the local clock: treat every lock as gone.
    GR_STATE_LOST = 3,
    /// Contact is back (an event only; as a query this reads as CONNECTED). After LOST it
    /// is a new session: members and ephemeral keys were re-registered, locks were not.
    GR_STATE_RECONNECTED = 4,
    /// The connector was closed.
    GR_STATE_CLOSED = 5,
}

impl From<ConnectionState> for gr_connection_state {
    fn from(state: ConnectionState) -> Self {
        match state {
            ConnectionState::Connected => gr_connection_state::GR_STATE_CONNECTED,
            ConnectionState::Suspended => gr_connection_state::GR_STATE_SUSPENDED,
            ConnectionState::Lost => gr_connection_state::GR_STATE_LOST,
            ConnectionState::Reconnected => gr_connection_state::GR_STATE_RECONNECTED,
            ConnectionState::Closed => gr_connection_state::GR_STATE_CLOSED,
        }
    }
}

/// The connector behind a handle, whatever its state.
pub(crate) unsafe fn any_connector<'a>(conn: *const gr_connector) -> FfiResult<&'a Connector> {
    conn.as_ref()
        .map(|c| &c.inner)
        .ok_or_else(|| FfiError::null("connector"))
}

/// The connector behind a handle, refusing a closed one with GR_CLOSED.
pub(crate) unsafe fn open_connector<'a>(conn: *const gr_connector) -> FfiResult<&'a Connector> {
    let connector = any_connector(conn)?;
    if connector.is_closed() {
        return Err(grcore::Error::Closed.into());
    }
    Ok(connector)
}

/// Maps the outcome of a core call on `connector`. A call that fails because the connector
/// was closed while it ran (the close script ended the session under it, so the core
/// reports e.g. an expired session) is reported as GR_CLOSED, as it would have been had it
/// started a moment later.
pub(crate) fn outcome<T>(connector: &Connector, result: grcore::Result<T>) -> FfiResult<T> {
    match result {
        Err(err @ (grcore::Error::InvalidArgument(_) | grcore::Error::InvalidJson(_))) => {
            Err(err.into())
        }
        Err(err) if connector.is_closed() => Err(FfiError::new(
            gr_status::GR_CLOSED,
            format!("connector is closed (it was closed during the call: {err})"),
        )),
        other => Ok(other?),
    }
}

/// Connects to Redis at `url` (`redis://[user:password@]host[:port][/db]`, `rediss://` for
/// TLS), starts a session and its heartbeat. `options` may be NULL (all defaults); it is
/// copied, so it may be freed right after. Does not join the group: call `gr_join`.
///
/// Ownership: on GR_OK `*conn_out` belongs to the caller: close it with
/// `gr_connector_close` and free it with `gr_connector_free`. On error it is NULL.
/// Thread-safety: safe from any thread. Blocks until Redis answered (or the command timeout).
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (bad URL, option or UTF-8),
/// GR_CONNECTION (Redis unreachable), GR_TIMEOUT.
///
/// # Safety
/// `url` is NULL or a NUL-terminated string; `options` is NULL or live; `conn_out` is NULL
/// or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_connect(
    url: *const c_char,
    options: *const gr_options,
    conn_out: *mut *mut gr_connector,
) -> gr_status {
    guard(|| {
        let out = out_ptr(conn_out, "conn_out", null_mut())?;
        let url = required_str(url, "url")?;
        let config = gr_options::config(options.as_ref(), url);
        let inner = Connector::connect(config)?;
        *out = Box::into_raw(Box::new(gr_connector { inner }));
        Ok(())
    })
}

/// Closes the connector: every member it joined leaves (event reason "left"), every lock
/// it holds is released, its ephemeral keys are deleted, its heartbeat stops and its
/// subscriptions end. Idempotent: closing again returns GR_OK. Afterwards every call on the
/// handle except `gr_connector_state` and `gr_connector_free` fails with GR_CLOSED.
///
/// Thread-safety: safe while other threads use the handle (their calls fail with
/// GR_CLOSED or finish). Errors: GR_NULL_ARGUMENT; GR_CONNECTION / GR_TIMEOUT when the
/// clean leave could not be written (the connector is closed anyway; the session then
/// expires after its lease).
///
/// # Safety
/// `conn` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn gr_connector_close(conn: *mut gr_connector) -> gr_status {
    guard(|| Ok(any_connector(conn)?.close()?))
}

/// Frees the handle, closing the connector first if it is still open (errors of that close
/// are ignored). NULL is accepted.
///
/// Thread-safety: no other call may use `conn` during or after this one. Subscriptions made
/// from it stay valid (they end) and must still be freed.
///
/// # Safety
/// `conn` is NULL or a live handle from `gr_connect`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn gr_connector_free(conn: *mut gr_connector) {
    if conn.is_null() {
        return;
    }
    // Close first (synchronously) so the members' leave is visible when this returns.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (*conn).inner.close()));
    free_handle(conn);
}

/// Writes the connection state to `*state_out` (CONNECTED, SUSPENDED, LOST or CLOSED; never
/// RECONNECTED, which is only an event). Answers locally without I/O; works after close.
/// Errors: GR_NULL_ARGUMENT.
///
/// # Safety
/// `conn` is NULL or live; `state_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_connector_state(
    conn: *const gr_connector,
    state_out: *mut gr_connection_state,
) -> gr_status {
    guard(|| {
        let out = out_ptr(state_out, "state_out", gr_connection_state::GR_STATE_NONE)?;
        *out = any_connector(conn)?.state().into();
        Ok(())
    })
}

/// Writes the current session id (32 hex digits; it changes when a lost session is
/// replaced) to `*session_id_out`.
/// Ownership: free `*session_id_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
///
/// # Safety
/// `conn` is NULL or live; `session_id_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_connector_session_id(
    conn: *const gr_connector,
    session_id_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(session_id_out, "session_id_out", null_mut())?;
        *out = into_c_string(open_connector(conn)?.session_id())?;
        Ok(())
    })
}

/// Writes the configured member id (used when a member argument is NULL) to
/// `*member_id_out`.
/// Ownership: free `*member_id_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
///
/// # Safety
/// `conn` is NULL or live; `member_id_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_connector_member_id(
    conn: *const gr_connector,
    member_id_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(member_id_out, "member_id_out", null_mut())?;
        *out = into_c_string(open_connector(conn)?.config().member_id().to_string())?;
        Ok(())
    })
}

/// Joins the group as `member_id` (NULL: the configured member id) with the connector's
/// sub-groups and `payload_json` (NULL: the configured payload). Joining again with the
/// same id updates the record. If `member_json_out` is not NULL it receives the member as
/// JSON: {"id","sub_groups":[...],"payload","joined_at" (ms, Redis time),"session"}.
///
/// Ownership: free `*member_json_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT (conn), GR_INVALID_ARGUMENT (empty, oversized, not UTF-8,
/// payload over 64 KiB), GR_INVALID_JSON, GR_MEMBER_EXISTS (another live session holds the
/// id), GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
///
/// # Safety
/// `conn` is NULL or live; strings are NULL or NUL-terminated; `member_json_out` is NULL
/// or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_join(
    conn: *const gr_connector,
    member_id: *const c_char,
    payload_json: *const c_char,
    member_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = optional_out(member_json_out, null_mut());
        let connector = open_connector(conn)?;
        let member_id = optional_str(member_id, "member_id")?;
        let payload = optional_json(payload_json, "payload_json")?;
        let member = outcome(connector, connector.join(member_id, payload))?;
        if let Some(out) = out {
            *out = json_c_string(serde_json::to_string(&member))?;
        }
        Ok(())
    })
}

/// Leaves the group as `member_id` (NULL: the configured member id). `*left_out` (may be
/// NULL) is false when this connector was not that member.
/// Errors: GR_NULL_ARGUMENT (conn), GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION,
/// GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `member_id` is NULL or NUL-terminated; `left_out` is NULL or
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_leave(
    conn: *const gr_connector,
    member_id: *const c_char,
    left_out: *mut bool,
) -> gr_status {
    guard(|| {
        let out = optional_out(left_out, false);
        let connector = open_connector(conn)?;
        let left = outcome(
            connector,
            connector.leave(optional_str(member_id, "member_id")?),
        )?;
        if let Some(out) = out {
            *out = left;
        }
        Ok(())
    })
}

/// Writes every live member of the group, sorted by id, to `*members_json_out` as a JSON
/// array of member objects (see `gr_join`). One round trip for any group size.
///
/// Ownership: free `*members_json_out` with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_PROTOCOL.
///
/// # Safety
/// `conn` is NULL or live; `members_json_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_members(
    conn: *const gr_connector,
    members_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(members_json_out, "members_json_out", null_mut())?;
        let members = open_connector(conn)?.members()?;
        *out = json_c_string(serde_json::to_string(&members))?;
        Ok(())
    })
}

/// What could not be restored when a lost session was replaced (a member id or ephemeral
/// key another process took meanwhile), oldest first, as a JSON array of
/// `{"kind":"member"|"ephemeral","name":…,"error":…}`; the list is emptied. Filled before
/// RECONNECTED is delivered, so a state callback may call this on RECONNECTED. Free
/// `*failures_json_out` with gr_string_free.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
///
/// # Safety
/// `conn` is NULL or live; `failures_json_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn gr_take_restore_failures(
    conn: *const gr_connector,
    failures_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(failures_json_out, "failures_json_out", null_mut())?;
        let failures = open_connector(conn)?.take_restore_failures();
        *out = json_c_string(serde_json::to_string(&failures))?;
        Ok(())
    })
}

/// Replaces the payload of `member_id` (NULL: the configured member id), which this
/// connector joined; subscribers see an update event.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not joined here, too large),
/// GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn gr_update_payload(
    conn: *const gr_connector,
    member_id: *const c_char,
    payload_json: *const c_char,
) -> gr_status {
    guard(|| {
        let connector = open_connector(conn)?;
        let member_id = optional_str(member_id, "member_id")?;
        let payload = required_json(payload_json, "payload_json")?;
        outcome(connector, connector.update_payload(member_id, payload))
    })
}

/// Adds `sub_group` to the connector's sub-groups and updates every member it joined.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `sub_group` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn gr_add_sub_group(
    conn: *const gr_connector,
    sub_group: *const c_char,
) -> gr_status {
    guard(|| {
        let connector = open_connector(conn)?;
        outcome(
            connector,
            connector.add_sub_group(required_str(sub_group, "sub_group")?),
        )
    })
}

/// Removes `sub_group` from the connector's sub-groups and updates every member it joined.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
///
/// # Safety
/// `conn` is NULL or live; `sub_group` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn gr_remove_sub_group(
    conn: *const gr_connector,
    sub_group: *const c_char,
) -> gr_status {
    guard(|| {
        let connector = open_connector(conn)?;
        outcome(
            connector,
            connector.remove_sub_group(required_str(sub_group, "sub_group")?),
        )
    })
}

/// Writes the connector's sub-groups as a JSON array of strings to `*sub_groups_json_out`.
/// Answers locally. Ownership: free it with `gr_string_free`.
/// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
///
/// # Safety
/// `conn` is NULL or live; `sub_groups_json_out` is NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_sub_groups(
    conn: *const gr_connector,
    sub_groups_json_out: *mut *mut c_char,
) -> gr_status {
    guard(|| {
        let out = out_ptr(sub_groups_json_out, "sub_groups_json_out", null_mut())?;
        let sub_groups = open_connector(conn)?.sub_groups();
        *out = json_c_string(serde_json::to_string(&sub_groups))?;
        Ok(())
    })
}
