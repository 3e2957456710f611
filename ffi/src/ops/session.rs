//! The connector's own state: close, connection state, identity and sub-groups, and what
//! a replaced session could not restore.

use grcore::ConnectionState;

use crate::bridge::bridge_fns;
use crate::bridge::values::{Any, Json, Open};

bridge_fns! {
    /// Closes the connector: every member it joined leaves (event reason "left"), every
    /// lock it holds is released, its ephemeral keys are deleted, its heartbeat stops and
    /// its subscriptions end. Idempotent: closing again returns GR_OK. Afterwards every call
    /// on the handle except `gr_connector_state` and `gr_connector_free` fails with
    /// GR_CLOSED.
    ///
    /// Thread-safety: safe while other threads use the handle (their calls fail with
    /// GR_CLOSED or finish). Errors: GR_NULL_ARGUMENT; GR_CONNECTION / GR_TIMEOUT when the
    /// clean leave could not be written (the connector is closed anyway; the session then
    /// expires after its lease).
    #[c(gr_connector_close)]
    #[jni]
    fn close(conn: Any) -> () {
        conn.close()
    }

    /// Writes the connection state to `*state_out` (CONNECTED, SUSPENDED, LOST or CLOSED;
    /// never RECONNECTED, which is only an event). Answers locally without I/O; works after
    /// close.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_connector_state, out = state_out)]
    #[jni]
    fn state(conn: Any) -> ConnectionState {
        Ok(conn.state())
    }

    /// Writes the current session id (32 hex digits; it changes when a lost session is
    /// replaced) to `*session_id_out`.
    /// Ownership: free `*session_id_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
    #[c(gr_connector_session_id, out = session_id_out)]
    #[jni]
    fn session_id(conn: Open) -> String {
        Ok(conn.session_id())
    }

    /// Writes the configured member id (used when a member argument is NULL) to
    /// `*member_id_out`.
    /// Ownership: free `*member_id_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
    #[c(gr_connector_member_id, out = member_id_out)]
    #[jni]
    fn member_id(conn: Open) -> String {
        Ok(conn.config().member_id().to_string())
    }

    /// Writes the connector's sub-groups as a JSON array of strings to
    /// `*sub_groups_json_out`. Answers locally.
    /// Ownership: free `*sub_groups_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
    #[c(gr_sub_groups, out = sub_groups_json_out)]
    #[jni]
    fn sub_groups(conn: Open) -> Json<Vec<String>> {
        Ok(Json(conn.sub_groups()))
    }

    /// Adds `sub_group` to the connector's sub-groups and updates every member it joined.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_add_sub_group)]
    #[jni]
    fn add_sub_group(conn: Open, sub_group: String) -> () {
        conn.add_sub_group(&sub_group)
    }

    /// Removes `sub_group` from the connector's sub-groups and updates every member it
    /// joined.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_remove_sub_group)]
    #[jni]
    fn remove_sub_group(conn: Open, sub_group: String) -> () {
        conn.remove_sub_group(&sub_group)
    }

    /// What could not be restored when a lost session was replaced (a member id or
    /// ephemeral key another process took meanwhile), oldest first, as a JSON array of
    /// `{"kind":"member"|"ephemeral","name":…,"error":…}`; the list is emptied. Filled
    /// before RECONNECTED is delivered, so a state callback may call this on RECONNECTED.
    /// Ownership: free `*failures_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_CLOSED.
    #[c(gr_take_restore_failures, out = failures_json_out)]
    #[jni]
    fn take_restore_failures(conn: Open) -> Json<Vec<grcore::RestoreFailure>> {
        Ok(Json(conn.take_restore_failures()))
    }
}
