//! Command-line arguments.

use clap::{Parser, Subcommand};

/// Inspect and drive a group-redis group.
#[derive(Parser, Debug)]
#[command(name = "grctl", version, about, after_help = crate::exit::HELP)]
pub struct Cli {
    /// Redis URL (redis://[user:password@]host[:port][/db], rediss:// for TLS,
    /// redis+sentinel://host:port[,host:port...]/service[/db] for Sentinel, rediss+sentinel://
    /// for Sentinel over TLS, redis+cluster://host:port[,host:port...] for Redis Cluster).
    /// Default:
    /// $REDIS_URL, then redis://127.0.0.1:6379; `demo` starts its own redis-server when
    /// neither --url nor REDIS_URL is given.
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    pub url: Option<String>,

    /// Group name.
    #[arg(long, default_value = group_redis::DEFAULT_GROUP, global = true)]
    pub group: String,

    /// The longest session timeout (ms) any member of the group uses. When set, a lock
    /// taken on a Redis younger than that waits until it is that old, so a holder from
    /// before an empty restart cannot overlap (docs/SAFETY.md).
    #[arg(long, global = true)]
    pub max_lease: Option<u64>,

    /// A PEM file with the CA certificate(s) to trust for rediss:// URLs (TLS to Redis,
    /// Sentinel or Cluster), besides the system's roots: for a server with a private CA.
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_ca: Option<std::path::PathBuf>,

    /// Report a lock acquired only once this many replicas of the Redis master have it
    /// (Redis WAIT); a grant they do not confirm in time is given back and the lock is not
    /// acquired (docs/SAFETY.md, "Waiting for replicas"). Default 0: off.
    #[arg(long, global = true, default_value_t = 0, value_name = "N")]
    pub wait_replicas: u32,

    /// How long (ms) a grant waits for --wait-replicas.
    #[arg(long, global = true, default_value_t = 1000, value_name = "MS")]
    pub wait_replicas_timeout: u64,

    /// Print each step with a timestamp on stderr (stdout keeps only the JSON lines).
    #[arg(long, short, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print every live member, one JSON object per line (as `watch` shows them): id,
    /// sub-groups, payload, online flag, join time, session.
    Members,
    /// Print the group at a glance, one JSON line: {"group", "members": [...] (as `members`
    /// prints them), "locks": [{"name", "holder": {"member","session","token"} or null}]}.
    Status,
    /// Join as ID and stay until SIGINT/SIGTERM, then leave cleanly. Prints one JSON line
    /// when joined and one per connection-state change.
    Join {
        /// Member id.
        id: String,
        /// Member payload (JSON).
        #[arg(long)]
        payload: Option<String>,
        /// Sub-group to join (repeatable; default: "default").
        #[arg(long = "sub-group")]
        sub_groups: Vec<String>,
        /// Session lease in milliseconds.
        #[arg(long)]
        session_timeout: Option<u64>,
        /// Heartbeat period in milliseconds.
        #[arg(long)]
        heartbeat: Option<u64>,
        /// Also set an ephemeral key: KEY=JSON (repeatable).
        #[arg(long = "ephemeral")]
        ephemerals: Vec<String>,
        /// Also take a lock and hold it while joined (repeatable).
        #[arg(long = "lock")]
        locks: Vec<String>,
        /// Wait up to this many milliseconds for each --lock (default: do not wait); a
        /// lock not acquired is listed in "not_acquired" and said on stderr.
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// Print one JSON line per membership event until interrupted: {"snapshot":[...]}
    /// first. After a gap (Redis restarted, history trimmed) one event with reason
    /// "resync" lists each member id at most once, at the fresh snapshot's view and position.
    Watch,
    /// Watch persistent data (or ephemeral keys) under PREFIX until interrupted: one JSON
    /// line {"snapshot":{"revision","entries"}} first, then one per change
    /// {"path","kind":"put"|"delete"|"expired","value","version","revision","resync"}.
    WatchData {
        /// Path prefix ("" for every path).
        #[arg(default_value = "")]
        prefix: String,
        /// Deliver every change after this revision (from an earlier run's last line);
        /// when that history is gone, resync events instead.
        #[arg(long = "from")]
        from_revision: Option<u64>,
        /// Watch ephemeral keys instead of persistent data.
        #[arg(long)]
        ephemeral: bool,
    },
    /// Take a lock, print {"acquired":bool,"token":N}, hold it, release it. Exits 4 when
    /// it was not acquired within --wait.
    Lock {
        /// Lock name.
        name: String,
        /// Take it on behalf of this member id.
        #[arg(long)]
        member: Option<String>,
        /// Wait up to this many milliseconds for it.
        #[arg(long, default_value_t = 0)]
        wait: u64,
        /// Hold it this many milliseconds before releasing (SIGINT/SIGTERM release at
        /// once).
        #[arg(long, default_value_t = 0)]
        hold: u64,
        /// Run this command while holding the lock instead of --hold, with the fencing
        /// token in $GR_FENCING_TOKEN; release when it exits and exit with its code.
        #[arg(last = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Campaign for leadership of NAME until SIGINT/SIGTERM, then resign (the next leader
    /// is elected at once). Prints {"leader":true,"token":N} when elected, and
    /// {"leader":false} (with "unsure":true while the lease is in doubt) when not leading
    /// any more.
    Elect {
        /// Leadership name.
        name: String,
        /// Campaign as this member id.
        #[arg(long)]
        member: Option<String>,
        /// Session lease in milliseconds.
        #[arg(long)]
        session_timeout: Option<u64>,
    },
    /// Take part in assigning ids among the participants of TOPIC until SIGINT/SIGTERM
    /// (then leave: the ids move to the others at once). Prints
    /// {"member":ID,"epoch":N,"ids":[...],"tokens":{...}} each time its own share changes.
    Assign {
        /// Assignment topic.
        topic: String,
        /// The ids to distribute, comma-separated (the leader's list is the one used).
        #[arg(long, value_delimiter = ',')]
        ids: Vec<String>,
        /// Take part as this member id.
        #[arg(long)]
        member: Option<String>,
        /// Only members of this sub-group take part (joined into it).
        #[arg(long)]
        sub_group: Option<String>,
        /// Session lease in milliseconds.
        #[arg(long)]
        session_timeout: Option<u64>,
    },
    /// Print who leads NAME: {"leader":ID or null,"token":N or null}; with --follow, one
    /// line per change until interrupted.
    Leader {
        /// Leadership name.
        name: String,
        /// Print every change, "no leader" included.
        #[arg(long)]
        follow: bool,
    },
    /// Free a lock whoever holds it (an operator's tool for a stuck holder, as Redisson's
    /// forceUnlock): prints {"released":true,"member","session","token"} of the old hold.
    /// The holder is not told; the next holder's fencing token is larger. Exits 3 when the
    /// lock was not held.
    Release {
        /// Lock name.
        name: String,
    },
    /// Print who holds a lock now, as Redis knows it: {"member","session","token"}. A
    /// holder whose lease ran out is not reported. Exits 3 when the lock is free; the
    /// message then says whether grants are held back (a restart grace) and until when.
    Holder {
        /// Lock name.
        name: String,
    },
    /// Print a persistent value (`null` when null is stored). Exits 3 when there is none.
    Get { path: String },
    /// Set a persistent value (JSON).
    Set { path: String, json: String },
    /// Delete a persistent value.
    Del { path: String },
    /// List persistent values under a prefix.
    Ls {
        #[arg(default_value = "")]
        prefix: String,
    },
    /// Read ephemeral keys (anyone's). They are written by `join --ephemeral`, since a key
    /// lives only as long as the session that set it.
    #[command(subcommand, visible_alias = "eph")]
    Ephemeral(EphemeralCommand),
    /// Send JSON to every live member (or those of --sub-group); prints {"recipients":N}.
    Broadcast {
        json: String,
        #[arg(long = "sub-group")]
        sub_group: Option<String>,
    },
    /// Send JSON to one live member; exits 2 when it is not a live member.
    Send { member: String, json: String },
    /// Send a request to a live member and print its reply; exits 5 when none came in
    /// --timeout milliseconds.
    Request {
        member: String,
        json: String,
        #[arg(long, default_value_t = 5000)]
        timeout: u64,
    },
    /// Join as ID and print every message sent to it, one JSON line each, until
    /// interrupted. With --reply, requests are answered with that JSON.
    Listen {
        id: String,
        #[arg(long = "sub-group")]
        sub_groups: Vec<String>,
        #[arg(long)]
        reply: Option<String>,
    },
    /// The durable topic log: send, read, tail, info.
    #[command(subcommand)]
    Topic(TopicCommand),
    /// The README's demo: several members, a contended lock, a crash, a leader killed and
    /// its ids moving.
    Demo,
    /// The demo's leader in a child process (used by `demo`).
    #[command(hide = true)]
    DemoMember {
        /// Member id.
        id: String,
        /// Session lease in milliseconds.
        #[arg(long)]
        session_timeout: Option<u64>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TopicCommand {
    /// Append messages (each argument one JSON document, in one round trip); prints
    /// {"indexes":[...]}.
    Send {
        topic: String,
        #[arg(required = true)]
        json: Vec<String>,
    },
    /// Print messages from index --from on, one {"index","payload","time"} line each, then
    /// {"next_index":N}. With --wait MS, waits that long for a first message.
    Read {
        topic: String,
        #[arg(long, default_value_t = 0)]
        from: u64,
        #[arg(long, default_value_t = 100)]
        max: usize,
        #[arg(long)]
        wait: Option<u64>,
    },
    /// Print every new message (from --from, default: after the last) until interrupted.
    Tail {
        topic: String,
        #[arg(long)]
        from: Option<u64>,
    },
    /// Take messages of consumer group GROUP as this process's session, print each
    /// {"index","payload","time","acked":bool} after acknowledging it, until interrupted
    /// (or once with --once).
    Consume {
        topic: String,
        /// The consumer group (not the --group the members are in).
        #[arg(value_name = "GROUP")]
        consumer_group: String,
        #[arg(long, default_value_t = 100)]
        max: usize,
        #[arg(long)]
        once: bool,
    },
    /// Print {"first_index","last_index","length"}.
    Info { topic: String },
    /// Set retention: --max-len N messages, --max-age MS (0: no limit).
    Retain {
        topic: String,
        #[arg(long, default_value_t = 0)]
        max_len: u64,
        #[arg(long, default_value_t = 0)]
        max_age: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum EphemeralCommand {
    /// Print an ephemeral value (`null` when null is stored). Exits 3 when there is none.
    Get { key: String },
    /// List live ephemeral keys under a prefix: {"key","value"} per line.
    Ls {
        #[arg(default_value = "")]
        prefix: String,
    },
}
