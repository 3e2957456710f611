//! The Lua scripts of the protocol. Each is a shared prelude followed by its body, so the
//! reaping logic exists once and every script applies it the same way.

use redis::Script;

/// A script that only touches its own keys: base prelude + body.
macro_rules! script {
    ($file:literal) => {
        Script::new(concat!(
            include_str!("lua/base.lua"),
            "\n",
            include_str!($file)
        ))
    };
}

/// A script that may end sessions: base, liveness and reaping preludes + body. The
/// preludes are split so a script defines only the functions it can use: every function a
/// prelude defines is a closure made on every call, a measurable cost on the hot paths.
macro_rules! reaping_script {
    ($file:literal) => {
        Script::new(concat!(
            include_str!("lua/base.lua"),
            "\n",
            include_str!("lua/liveness.lua"),
            "\n",
            include_str!("lua/reap.lua"),
            "\n",
            include_str!($file)
        ))
    };
}

/// A script that reads what sessions own or reaps in batches: every prelude + body.
macro_rules! reading_script {
    ($file:literal) => {
        Script::new(concat!(
            include_str!("lua/base.lua"),
            "\n",
            include_str!("lua/liveness.lua"),
            "\n",
            include_str!("lua/reap.lua"),
            "\n",
            include_str!("lua/reads.lua"),
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
    pub lock_unwait: Script,
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
            heartbeat: reading_script!("lua/heartbeat.lua"),
            join: reaping_script!("lua/join.lua"),
            leave: reaping_script!("lua/leave.lua"),
            close: reaping_script!("lua/close.lua"),
            members: reading_script!("lua/members.lua"),
            snapshot: reading_script!("lua/snapshot.lua"),
            lock: reaping_script!("lua/lock.lua"),
            release: script!("lua/release.lua"),
            lock_unwait: script!("lua/lock_unwait.lua"),
            eph_set: reaping_script!("lua/eph_set.lua"),
            eph_get: reaping_script!("lua/eph_get.lua"),
            eph_del: reaping_script!("lua/eph_del.lua"),
            eph_list: reading_script!("lua/eph_list.lua"),
            data_set: script!("lua/data_set.lua"),
            data_del: script!("lua/data_del.lua"),
            data_list: script!("lua/data_list.lua"),
        }
    }
}
