//! The Lua scripts of the protocol. Each is the shared prelude followed by its body, so the
//! reaping logic exists once and every script applies it the same way.

use redis::Script;

macro_rules! script {
    ($file:literal) => {
        Script::new(concat!(
            include_str!("lua/prelude.lua"),
            "\n",
            include_str!($file)
        ))
    };
}

/// Every script, loaded once per connector (EVALSHA, falling back to EVAL after a restart).
pub struct Scripts {
    pub heartbeat: Script,
    pub join: Script,
    pub leave: Script,
    pub close: Script,
    pub members: Script,
    pub snapshot: Script,
    pub lock: Script,
    pub release: Script,
    pub eph_set: Script,
    pub eph_get: Script,
    pub eph_del: Script,
    pub eph_list: Script,
    pub data_set: Script,
    pub data_del: Script,
    pub data_list: Script,
}

impl Scripts {
    pub fn new() -> Self {
        Scripts {
            heartbeat: script!("lua/heartbeat.lua"),
            join: script!("lua/join.lua"),
            leave: script!("lua/leave.lua"),
            close: script!("lua/close.lua"),
            members: script!("lua/members.lua"),
            snapshot: script!("lua/snapshot.lua"),
            lock: script!("lua/lock.lua"),
            release: script!("lua/release.lua"),
            eph_set: script!("lua/eph_set.lua"),
            eph_get: script!("lua/eph_get.lua"),
            eph_del: script!("lua/eph_del.lua"),
            eph_list: script!("lua/eph_list.lua"),
            data_set: script!("lua/data_set.lua"),
            data_del: script!("lua/data_del.lua"),
            data_list: script!("lua/data_list.lua"),
        }
    }
}
