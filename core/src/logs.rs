//! What the library logs, and how to see it.
//!
//! Records are [`tracing`] events; nothing is printed unless the application installs a
//! subscriber, e.g. `tracing_subscriber::fmt::init()`. Programs that use the `log` crate's
//! loggers (env_logger, ...) instead enable tracing's `log` feature in their own
//! Cargo.toml (`tracing = { version = "0.1", features = ["log"] }`): with no tracing
//! subscriber installed, every record then reaches the `log` logger as well.
//!
//! Targets are the module paths (`group_redis::connector`, `group_redis::session::heartbeat`,
//! `group_redis::membership::member`, ...).
//! Levels:
//! - `ERROR`: a callback of the application panicked (delivery goes on);
//! - `WARN`: something the application should know about and the library worked around: a
//!   stored record it cannot read was skipped, a heartbeat failed (SUSPENDED), the lease ran
//!   out (LOST), a member or ephemeral key could not be restored in a new session, the
//!   Redis server clock stepped, a lock whose reply was lost could not be released;
//! - `INFO`: contact is back (RECONNECTED);
//! - `DEBUG`: retries of background work (event reads, pub/sub, a new session not there yet).
//!
//! Each public operation runs in a span at `INFO` level named after it, with the group and
//! what the operation is about, so a record says where it came from:
//!
//! | span | fields |
//! |---|---|
//! | `connect` | `group`, `url` (password replaced by `***`) |
//! | `join`, `leave`, `update_payload` | `group`, `member` |
//! | `members`, `close`, `subscribe` | `group` |
//! | `add_sub_group`, `remove_sub_group` | `group`, `sub_group` |
//! | `lock` (every lock variant), `release` | `group`, `lock`, `member` |
//! | `force_release`, `lock_holder` | `group`, `lock` |
//! | `ephemeral_set/get/del`, `ephemeral_list` | `group`, `key` / `prefix` |
//! | `persistent_*` | `group`, `path` / `prefix` / `count` |
//! | `heartbeat` (one round), `restore_session` (a lost session replaced) | `group` |
//!
//! A `subscribe` span lasts as long as its subscription, so records of its background
//! reader carry it. Passwords and URLs with a password never appear in any field or message.
//!
//! The C, Python and Java bindings forward these records to the language's own logging
//! (`gr_set_log_callback`, the `logging` module, `System.Logger`); see README.md, "Logs".
//! Their level filters spans as it filters events: below INFO (WARN, ERROR) a record comes
//! without its span, and operations pay nothing for tracing.

use crate::connector::Connector;

impl Connector {
    /// The group name, for span fields.
    pub(crate) fn group(&self) -> &str {
        &self.inner.config.group
    }

    /// `member`, or this connector's own member id when `None`: the member an operation
    /// acts for, for span fields.
    pub(crate) fn member_or_own<'a>(&'a self, member: Option<&'a str>) -> &'a str {
        member.unwrap_or(&self.inner.config.member_id)
    }
}
