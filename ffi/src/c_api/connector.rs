//! `gr_connector`: the handle, connect and free. The operations on it are defined once in
//! ffi/src/ops, which emits their C exports.

use std::ffi::c_char;
use std::ptr::null_mut;

use grcore::blocking::Connector;
use grcore::ConnectionState;

use super::options::gr_options;
use super::status::{free_handle, gr_status, guard};
use super::strings::{out_ptr, required_str};

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
    /// No state: what `gr_connector_state` writes when it fails.
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

/// Connects to Redis at `url` (`redis://[user:password@]host[:port][/db]`, `rediss://` for
/// TLS; `redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]` for the
/// master Redis Sentinel names, `rediss+sentinel://` for TLS to the Sentinels and the
/// master, `?sentinel_password=` when the Sentinels have their own;
/// `redis+cluster://[user:password@]host:port[,host:port...]` for a Redis Cluster by its
/// seed nodes, `rediss+cluster://` for TLS), starts a session and its heartbeat. `options`
/// may be NULL (all defaults); it is copied, so it may be freed right after. Does not join
/// the group: call `gr_join`.
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
        let config = gr_options::config(options.as_ref(), url)?;
        let inner = Connector::connect(config)?;
        *out = Box::into_raw(Box::new(gr_connector { inner }));
        Ok(())
    })
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
