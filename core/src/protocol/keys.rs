//! The Redis key layout of one group (documented in docs/PROTOCOL.md). Every key carries the
//! hash tag `{<group>}`, so a group lives on one Redis Cluster slot and one Lua script can
//! touch all of it atomically.

/// Key names of one group.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
    /// On a Redis Cluster: every script also declares [`Keys::slot_guard`].
    sharded: bool,
}

impl Keys {
    /// Keys for `group` (already validated).
    pub fn new(group: &str) -> Self {
        Keys {
            prefix: format!("gr:{{{group}}}:"),
            sharded: false,
        }
    }

    /// The same keys on a Redis Cluster (`sharded`): see [`Keys::slot_guard`].
    pub fn on_cluster(mut self, sharded: bool) -> Self {
        self.sharded = sharded;
        self
    }

    /// Whether the group lives on a Redis Cluster.
    pub fn sharded(&self) -> bool {
        self.sharded
    }

    /// A key that never exists, declared by every script on a Redis Cluster after the
    /// sessions key. While the group's slot is being migrated, Redis refuses a command
    /// with a declared key it does not have (TRYAGAIN, ASK) before running it: so no
    /// script ever starts while the group's keys are split between two nodes, and none
    /// stops half-way with "non local key" after some of its writes (docs/PROTOCOL.md).
    pub fn slot_guard(&self) -> String {
        format!("{}slot-guard", self.prefix)
    }

    /// `gr:{g}:` — passed to every script, which derives the other keys from it.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Sorted set: session id -> lease deadline (server time, ms).
    pub fn sessions(&self) -> String {
        format!("{}sessions", self.prefix)
    }

    /// Hash: session id -> its lease (session timeout, ms), written when it registers.
    pub fn leases(&self) -> String {
        format!("{}leases", self.prefix)
    }

    /// Set: what session `session` owns (`m:<member>`, `l:<lock>`, `e:<ephemeral key>`).
    pub fn owned(&self, session: &str) -> String {
        format!("{}owned:{session}", self.prefix)
    }

    /// Hash: member id -> member record (JSON).
    pub fn members(&self) -> String {
        format!("{}members", self.prefix)
    }

    /// Stream of membership events.
    pub fn events(&self) -> String {
        format!("{}events", self.prefix)
    }

    /// String (integer): the group's view counter, +1 on every membership change.
    pub fn view(&self) -> String {
        format!("{}view", self.prefix)
    }

    /// Hash: the group's current epoch (id, run id, token floor, grant grace; see
    /// docs/PROTOCOL.md).
    pub fn epoch(&self) -> String {
        format!("{}epoch", self.prefix)
    }

    /// Pub/sub channel of one connector's lock listener (`listener`, a random id): a
    /// release that hands a lock to one of its waiters publishes "<wait id> <token>" here.
    pub fn wake_channel(&self, listener: &str) -> String {
        format!("{}wake:{listener}", self.prefix)
    }

    /// Pub/sub channel on which a new session announces its first deadline.
    pub fn session_added_channel(&self) -> String {
        format!("{}session-added", self.prefix)
    }

    /// Hash of one ephemeral key: value, session, version.
    pub fn ephemeral(&self, key: &str) -> String {
        format!("{}eph:{key}", self.prefix)
    }

    /// Sorted set of every ephemeral key (all scores 0), for prefix listing.
    pub fn ephemeral_index(&self) -> String {
        format!("{}eph-index", self.prefix)
    }

    /// Hash of one persistent path: value, version.
    pub fn data(&self, path: &str) -> String {
        format!("{}data:{path}", self.prefix)
    }

    /// Sorted set of every persistent path (all scores 0), for prefix listing.
    pub fn data_index(&self) -> String {
        format!("{}data-index", self.prefix)
    }

    /// String (integer): the group's data revision, +1 on every data change (persistent or
    /// ephemeral), never below the epoch's token floor.
    pub fn data_revision(&self) -> String {
        format!("{}data-rev", self.prefix)
    }

    /// Stream of data changes, one entry per change with id `<revision>-0`.
    pub fn data_events(&self) -> String {
        format!("{}data-events", self.prefix)
    }

    /// Hash of one lock: owner, session, count, token (see docs/PROTOCOL.md). Deleted
    /// when the lock is free and nothing else is recorded for it.
    pub fn lock(&self, name: &str) -> String {
        format!("{}lock:{name}", self.prefix)
    }

    /// List: the FIFO wait queue of one lock ("<sid> <wait id> <member>", oldest first).
    pub fn lock_queue(&self, name: &str) -> String {
        format!("{}lockwait:{name}", self.prefix)
    }

    /// String (integer): the group's fencing token high-water mark; every grant exceeds it.
    pub fn fence(&self) -> String {
        format!("{}fence", self.prefix)
    }

    /// Stream of one topic: entry id `<index>-0`, fields `m` (message JSON), `t` (server ms).
    pub fn topic(&self, name: &str) -> String {
        format!("{}topic:{name}", self.prefix)
    }

    /// Hash: topic name -> its last index (the next send starts above it).
    pub fn topics(&self) -> String {
        format!("{}topics", self.prefix)
    }

    /// Hash: topic name -> its retention, `"<max_len> <max_age_ms>"` (0: no limit).
    pub fn topic_retention(&self) -> String {
        format!("{}topic-retention", self.prefix)
    }

    /// Stream: the inbox of one live member (messages sent to it); deleted when it leaves.
    pub fn inbox(&self, member: &str) -> String {
        format!("{}inbox:{member}", self.prefix)
    }

    /// Hash: member id -> the counter of the last message put in its inbox.
    pub fn inbox_seq(&self) -> String {
        format!("{}inbox-seq", self.prefix)
    }

    /// List: the reply to one request (expires on its own).
    pub fn reply(&self, request_id: &str) -> String {
        format!("{}reply:{request_id}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key name the Lua code builds from the prefix (`P .. '<name>'`): the scripts
    /// derive their keys themselves, so this checks them against this file.
    fn names_in_lua() -> Vec<String> {
        let lua = crate::protocol::scripts::all_lua();
        let mut names: Vec<String> = lua
            .split("P .. '")
            .skip(1)
            .filter_map(|rest| rest.split_once('\'').map(|(name, _)| name.to_string()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn every_key_the_scripts_use_is_named_here() {
        let keys = Keys::new("g");
        let known: Vec<String> = [
            keys.sessions(),
            keys.leases(),
            keys.owned(""),
            keys.members(),
            keys.events(),
            keys.view(),
            keys.epoch(),
            keys.wake_channel(""),
            keys.session_added_channel(),
            keys.ephemeral(""),
            keys.ephemeral_index(),
            keys.data(""),
            keys.data_index(),
            keys.data_revision(),
            keys.data_events(),
            keys.lock(""),
            keys.lock_queue(""),
            keys.fence(),
            keys.topic(""),
            keys.topics(),
            keys.topic_retention(),
            keys.inbox(""),
            keys.inbox_seq(),
            keys.reply(""),
        ]
        .iter()
        .map(|key| key.strip_prefix(keys.prefix()).unwrap().to_string())
        .collect();
        let used = names_in_lua();
        assert!(used.len() >= 10, "found only {used:?} in the Lua code");
        for name in &used {
            assert!(
                known.contains(name),
                "lua/ uses key {name:?}, not in keys.rs"
            );
        }
    }
}
