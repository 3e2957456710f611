//! The setters of `gr_options`, one value each (C only: Java sends its options as one JSON
//! document, read by the same `ConfigSpec`). The values are checked by `gr_connect`.

use grcore::Value;

use crate::bridge::bridge_fns;
use crate::c_api::options::gr_options;

bridge_fns! {
    /// Sets the group to coordinate in (non-empty, at most 1024 bytes, no '{' or '}':
    /// checked by `gr_connect`).
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8).
    #[c(gr_options_set_group)]
    fn options_set_group(options: gr_options, group: String) -> () {
        options.set(|s| s.group = Some(group))
    }

    /// Sets the member id `gr_join` and the locks use when given NULL (default
    /// "<hostname>-<pid>").
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8).
    #[c(gr_options_set_member_id)]
    fn options_set_member_id(options: gr_options, member_id: String) -> () {
        options.set(|s| s.member_id = Some(member_id))
    }

    /// Sets the session lease in milliseconds (100 ms to 24 h: checked by `gr_connect`). A
    /// crashed or frozen process is gone this long after its last heartbeat.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_options_set_session_timeout_ms)]
    fn options_set_session_timeout_ms(options: gr_options, timeout_ms: u64) -> () {
        options.set(|s| s.session_timeout_ms = Some(timeout_ms))
    }

    /// Sets the heartbeat period in milliseconds (default: a third of the session timeout;
    /// must be above 0 and below the session timeout: checked by `gr_connect`).
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_options_set_heartbeat_ms)]
    fn options_set_heartbeat_ms(options: gr_options, heartbeat_ms: u64) -> () {
        options.set(|s| s.heartbeat_ms = Some(heartbeat_ms))
    }

    /// Sets the longest session timeout any member of the group uses, in milliseconds
    /// (default: this connector's own session timeout; at most 24 h, checked by
    /// `gr_connect`). After Redis restarted without the group's data, a connector that never
    /// saw the group waits this long from the server's start before its first lock grant,
    /// so a holder from before the restart cannot overlap it (docs/SAFETY.md). Set it when
    /// members use different session timeouts.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_options_set_max_lease_ms)]
    fn options_set_max_lease_ms(options: gr_options, max_lease_ms: u64) -> () {
        options.set(|s| s.max_lease_ms = Some(max_lease_ms))
    }

    /// Makes lock grants wait for `replicas` replicas of the Redis master to acknowledge
    /// them (Redis `WAIT`), up to `timeout_ms` (0: 1000 ms; must be below the command
    /// timeout, checked by `gr_connect`). 0 replicas (the default) turns it off. A grant
    /// not acknowledged in time is given back and the lock call fails with GR_TIMEOUT; the
    /// lock is then not held (docs/SAFETY.md).
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_options_set_wait_replicas)]
    fn options_set_wait_replicas(options: gr_options, replicas: u64, timeout_ms: u64) -> () {
        options.set(|s| {
            s.wait_replicas = Some(replicas);
            s.wait_replicas_timeout_ms = (timeout_ms > 0).then_some(timeout_ms);
        })
    }

    /// Sets how long one Redis command may take before it fails with GR_TIMEOUT (default
    /// 5000 ms; 0 is refused by `gr_connect`).
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_options_set_command_timeout_ms)]
    fn options_set_command_timeout_ms(options: gr_options, timeout_ms: u64) -> () {
        options.set(|s| s.command_timeout_ms = Some(timeout_ms))
    }

    /// Sets the payload members join with: JSON text (a small document: address, port,
    /// role; at most 64 KiB, checked by `gr_join`).
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8), GR_INVALID_JSON.
    #[c(gr_options_set_payload)]
    fn options_set_payload(options: gr_options, payload_json: Value) -> () {
        options.set(|s| s.payload = Some(payload_json))
    }

    /// For `rediss://` and `rediss+sentinel://` URLs (the Sentinels and the master): trusts
    /// this CA certificate (PEM text, e.g. the contents of ca.pem) instead of the system's
    /// roots, for servers with a private CA. The text is copied; a certificate that cannot
    /// be used makes `gr_connect` fail.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8).
    #[c(gr_options_set_tls_root_cert)]
    fn options_set_tls_root_cert(options: gr_options, pem: String) -> () {
        options.set(|s| s.tls_root_cert_pem = Some(pem))
    }
}
