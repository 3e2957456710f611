//! The Lua scripts of the protocol. Each is a shared prelude followed by its body, so the
//! reaping logic exists once and every script applies it the same way.

use redis::Script;

/// A script: the listed preludes (files in `lua/`, in order) + its body. The preludes are
/// split so a script defines only the functions it can use: every function a prelude
/// defines is a closure made on every call, a measurable cost on the hot paths.
macro_rules! script {
    ([$($prelude:literal),*], $file:literal) => {
        Script::new(concat!(
            $(include_str!(concat!("lua/", $prelude, ".lua")), "\n",)*
            include_str!(concat!("lua/", $file, ".lua"))
        ))
    };
}

/// Scripts that only touch their own keys.
macro_rules! plain_script {
    ($file:literal) => {
        script!(["base"], $file)
    };
}

/// Scripts that may end sessions.
macro_rules! reaping_script {
    ($file:literal) => {
        script!(["base", "liveness", "reap"], $file)
    };
}

/// Scripts that read what sessions own, or reap in batches.
macro_rules! reading_script {
    ($file:literal) => {
        script!(["base", "liveness", "reap", "reads"], $file)
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
            heartbeat: reading_script!("heartbeat"),
            join: reaping_script!("join"),
            leave: reaping_script!("leave"),
            close: reaping_script!("close"),
            members: reading_script!("members"),
            snapshot: reading_script!("snapshot"),
            lock: reaping_script!("lock"),
            release: plain_script!("release"),
            lock_unwait: plain_script!("lock_unwait"),
            eph_set: reaping_script!("eph_set"),
            eph_get: reaping_script!("eph_get"),
            eph_del: reaping_script!("eph_del"),
            eph_list: reading_script!("eph_list"),
            data_set: plain_script!("data_set"),
            data_del: plain_script!("data_del"),
            data_list: plain_script!("data_list"),
        }
    }
}
