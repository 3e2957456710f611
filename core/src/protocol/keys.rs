//! The Redis key layout of one group (documented in docs/PROTOCOL.md). Every key carries the
//! hash tag `{<group>}`, so a group lives on one Redis Cluster slot and one Lua script can
//! touch all of it atomically.

/// Key names of one group.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// Keys for `group` (already validated).
    pub fn new(group: &str) -> Self {
        Keys {
            prefix: format!("gr:{{{group}}}:"),
        }
    }

    /// `gr:{g}:` — passed to every script, which derives the other keys from it.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Sorted set: session id -> lease deadline (server time, ms).
    pub fn sessions(&self) -> String {
        format!("{}sessions", self.prefix)
    }

    /// Hash: member id -> member record (JSON).
    pub fn members(&self) -> String {
        format!("{}members", self.prefix)
    }

    /// Stream of membership events.
    pub fn events(&self) -> String {
        format!("{}events", self.prefix)
    }

    /// Hash: the group's current epoch (id, run id, token floor, grant grace; see
    /// docs/PROTOCOL.md).
    pub fn epoch(&self) -> String {
        format!("{}epoch", self.prefix)
    }

    /// Pub/sub channel on which freed lock names are published.
    pub fn released_channel(&self) -> String {
        format!("{}released", self.prefix)
    }

    /// Pub/sub channel on which a new session announces its first deadline.
    pub fn session_added_channel(&self) -> String {
        format!("{}session-added", self.prefix)
    }

    /// Hash of one ephemeral key: value, session.
    pub fn ephemeral(&self, key: &str) -> String {
        format!("{}eph:{key}", self.prefix)
    }

    /// Hash of one persistent path: value, version.
    pub fn data(&self, path: &str) -> String {
        format!("{}data:{path}", self.prefix)
    }

    /// Hash of one lock: owner, session, count, token.
    pub fn lock(&self, name: &str) -> String {
        format!("{}lock:{name}", self.prefix)
    }
}
