//! The Lua code of the protocol: one function library (Redis 7 functions), with the same
//! code as plain scripts for servers without functions. Each operation is a body file in
//! `lua/` over shared preludes, so the reaping logic exists once and every operation
//! applies it the same way.
//!
//! Functions are the fast path: the library's helper functions are made once, when the
//! library is loaded, while a script makes every function its preludes define on every
//! call, a measurable share of a lock's server time. The library is loaded on first use
//! (and again when a call finds it missing: a restart without persistence, FUNCTION
//! FLUSH); a server without functions, or a user whose ACL forbids them, gets the scripts
//! (EVALSHA, falling back to EVAL after a restart). See docs/PROTOCOL.md.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::protocol::keys::Keys;
use redis::{Cmd, FromRedisValue, RedisError, RedisResult, Script, ScriptInvocation};

/// One operation: its function in the library and the same code as a script.
pub struct ScriptDef {
    function: String,
    script: Script,
}

/// The preludes of the library, in order: every helper any operation uses.
macro_rules! library_preludes {
    () => {
        concat!(
            include_str!("lua/base.lua"),
            "\n",
            include_str!("lua/holds.lua"),
            "\n",
            include_str!("lua/liveness.lua"),
            "\n",
            include_str!("lua/reap.lua"),
            "\n",
            include_str!("lua/handoff.lua"),
            "\n",
            include_str!("lua/reads.lua"),
            "\n",
            include_str!("lua/topics.lua"),
            "\n",
        )
    };
}

/// The text of an operation as a plain script: the preludes it needs (a script defines
/// only the functions it can use, as each is a closure made per call) + its body.
macro_rules! script_text {
    (plain, $file:ident) => {
        script_text!(@ $file, include_str!("lua/base.lua"), include_str!("lua/holds.lua"))
    };
    (reaping, $file:ident) => {
        script_text!(@ $file,
            include_str!("lua/base.lua"), include_str!("lua/holds.lua"),
            include_str!("lua/liveness.lua"), include_str!("lua/reap.lua"),
            include_str!("lua/handoff.lua"))
    };
    (reading, $file:ident) => {
        script_text!(@ $file,
            include_str!("lua/base.lua"), include_str!("lua/holds.lua"),
            include_str!("lua/liveness.lua"), include_str!("lua/reap.lua"),
            include_str!("lua/handoff.lua"), include_str!("lua/reads.lua"))
    };
    (topic, $file:ident) => {
        script_text!(@ $file, include_str!("lua/base.lua"), include_str!("lua/topics.lua"))
    };
    (@ $file:ident, $($prelude:expr),*) => {
        concat!(
            // base.lua declares locals named KEYS and ARGV; keep the script's globals.
            "local SCRIPT_KEYS, SCRIPT_ARGV = KEYS, ARGV\n",
            $($prelude, "\n",)*
            "begin(SCRIPT_KEYS, SCRIPT_ARGV)\n",
            include_str!(concat!("lua/", stringify!($file), ".lua"))
        )
    };
}

/// Declares every operation once: its body file (`lua/<name>.lua`), the preludes it needs
/// as a script, and its function flags. `allow-oom` goes to the operations that free
/// memory or keep sessions alive, so a full Redis can still release locks and renew
/// leases; the others are refused while Redis is out of memory, as their writes would be.
macro_rules! operations {
    ($($name:ident: $preludes:ident [$($flag:literal),*];)*) => {
        /// Every operation of the protocol.
        pub struct Scripts {
            $(pub $name: ScriptDef,)*
            scripts_only: AtomicBool,
        }

        /// The library without its name line (the name is derived from this text).
        const LIBRARY_BODY: &str = concat!(
            library_preludes!(),
            $(
                "redis.register_function{function_name = FN .. '", stringify!($name),
                "', flags = {", $("'", $flag, "',",)* "}, callback = function(keys, argv)\n",
                "begin(keys, argv)\n",
                include_str!(concat!("lua/", stringify!($name), ".lua")),
                "\nend}\n",
            )*
        );

        impl Scripts {
            pub fn new() -> Self {
                let library = library_name();
                Scripts {
                    $($name: ScriptDef {
                        function: format!("{library}_{}", stringify!($name)),
                        script: Script::new(script_text!($preludes, $name)),
                    },)*
                    scripts_only: AtomicBool::new(false),
                }
            }
        }
    };
}

operations! {
    heartbeat: reading ["allow-oom"];
    join: reaping [];
    leave: reaping ["allow-oom"];
    close: reaping ["allow-oom"];
    members: reading ["allow-oom"];
    snapshot: reading ["allow-oom"];
    lock: reaping [];
    release: reaping ["allow-oom"];
    lock_abandon: reaping ["allow-oom"];
    lock_unwait: reaping ["allow-oom"];
    lock_force_release: reaping ["allow-oom"];
    lock_holder: reaping ["allow-oom"];
    lock_list: reading ["allow-oom"];
    eph_set: reaping [];
    eph_get: reaping ["allow-oom"];
    eph_del: reaping ["allow-oom"];
    eph_list: reading ["allow-oom"];
    data_set: reaping [];
    data_del: reaping ["allow-oom"];
    data_snapshot: reading ["allow-oom"];
    data_list: plain ["allow-oom"];
    topic_send: reaping [];
    topic_info: plain ["allow-oom"];
    topic_retain: topic ["allow-oom"];
    topic_trim: topic ["allow-oom"];
    topic_take: reaping [];
    topic_ack: reaping ["allow-oom"];
    message: reaping [];
    inbox_snapshot: reaping ["allow-oom"];
    reply: plain [];
}

/// The library's name carries a hash of its code, so connectors of different versions
/// each call their own code on one server (function names are global in Redis).
/// Made once per process: every connector and subscription has a `Scripts`.
fn library_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        format!(
            "group_redis_{}",
            &Script::new(LIBRARY_BODY).get_hash()[..16]
        )
    })
}

/// Every line of Lua the protocol runs (for checks against keys.rs).
#[cfg(test)]
pub(crate) fn all_lua() -> &'static str {
    LIBRARY_BODY
}

/// The library as `FUNCTION LOAD` takes it: its name line, then the code.
fn library_code() -> &'static str {
    static CODE: OnceLock<String> = OnceLock::new();
    CODE.get_or_init(|| {
        let name = library_name();
        format!("#!lua name={name}\nlocal FN = '{name}_'\n{LIBRARY_BODY}")
    })
}

/// Why an FCALL failed before running anything, so that trying again is safe.
enum NotRun {
    /// The library is not loaded (first use on this server, restart without persistence).
    NoLibrary,
    /// The server has no functions (Redis before 7.0), or the ACL forbids FCALL.
    NoFunctions,
}

fn not_run(err: &RedisError) -> Option<NotRun> {
    let detail = err.detail().unwrap_or_default().to_ascii_lowercase();
    if detail.contains("function not found") {
        return Some(NotRun::NoLibrary);
    }
    // The command itself refused, not a command inside the function (which may have
    // written already): the message names FCALL.
    let fcall_refused = detail.contains("'fcall'")
        && (err.code() == Some("NOPERM") || detail.contains("unknown command"));
    fcall_refused.then_some(NotRun::NoFunctions)
}

/// At most this many rounds of "load the library, call again" per call: a server flushed
/// again between the load and the call is not worth a loop.
const ATTEMPTS: usize = 3;

impl Scripts {
    fn fcall(&self, op: &ScriptDef, keys: &[String], args: &[&str]) -> Cmd {
        // Sized up front, as redis-rs sizes EVALSHA: growing the buffers costs more than
        // writing the arguments.
        let data = op.function.len()
            + keys.iter().map(String::len).sum::<usize>()
            + args.iter().map(|a| a.len()).sum::<usize>();
        let mut cmd = Cmd::with_capacity(args.len() + 5, data + 16);
        cmd.arg("FCALL")
            .arg(&op.function)
            .arg(keys.len())
            .arg(keys)
            .arg(args);
        cmd
    }

    fn invocation<'a>(op: &'a ScriptDef, keys: &[String], args: &[&str]) -> ScriptInvocation<'a> {
        let mut invocation = op.script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        invocation.arg(args);
        invocation
    }

    /// The keys a call declares: the sessions key, and on a cluster the slot guard.
    fn declared(keys: &Keys) -> Vec<String> {
        if keys.sharded() {
            vec![keys.sessions(), keys.slot_guard()]
        } else {
            vec![keys.sessions()]
        }
    }

    fn load(&self) -> Cmd {
        let mut cmd = redis::cmd("FUNCTION");
        cmd.arg("LOAD").arg(library_code());
        cmd
    }

    /// What to do after a failed library load: another connector loading the same
    /// library at the same moment is success; any other failure means scripts from now.
    fn after_load(&self, result: RedisResult<()>) {
        if let Err(err) = result {
            if !err.to_string().contains("already exists") {
                self.use_scripts(&err);
            }
        }
    }

    /// From now on this connector runs the operations as scripts.
    fn use_scripts(&self, err: &RedisError) {
        tracing::info!(error = %err, "Redis functions unavailable; using scripts");
        self.scripts_only.store(true, Ordering::Relaxed);
    }

    /// Runs `op` on the group of `keys` with `args` on a blocking connection.
    pub fn run_blocking<T: FromRedisValue>(
        &self,
        op: &ScriptDef,
        keys: &Keys,
        args: &[&str],
        conn: &mut redis::Connection,
    ) -> RedisResult<T> {
        let key = &Self::declared(keys);
        let mut last = None;
        for _ in 0..ATTEMPTS {
            if self.scripts_only.load(Ordering::Relaxed) {
                return Self::invocation(op, key, args).invoke(conn);
            }
            let err = match self.fcall(op, key, args).query(conn) {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            match not_run(&err) {
                None => return Err(err),
                Some(NotRun::NoLibrary) => self.after_load(self.load().query(conn)),
                Some(NotRun::NoFunctions) => self.use_scripts(&err),
            }
            last = Some(err);
        }
        Err(last.expect("at least one attempt"))
    }

    /// Runs `op` on the group of `keys` with `args` on an async connection.
    pub async fn run_async<T, C>(
        &self,
        op: &ScriptDef,
        keys: &Keys,
        args: &[&str],
        conn: &mut C,
    ) -> RedisResult<T>
    where
        T: FromRedisValue,
        C: redis::aio::ConnectionLike + Send,
    {
        let key = &Self::declared(keys);
        let mut last = None;
        for _ in 0..ATTEMPTS {
            if self.scripts_only.load(Ordering::Relaxed) {
                return Self::invocation(op, key, args).invoke_async(conn).await;
            }
            let err = match self.fcall(op, key, args).query_async(conn).await {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            match not_run(&err) {
                None => return Err(err),
                Some(NotRun::NoLibrary) => self.after_load(self.load().query_async(conn).await),
                Some(NotRun::NoFunctions) => self.use_scripts(&err),
            }
            last = Some(err);
        }
        Err(last.expect("at least one attempt"))
    }
}
