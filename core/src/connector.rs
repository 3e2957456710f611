//! The connector: one client's handle on one group, owning one session at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::aio::ConnectionManagerConfig;
use redis::FromRedisValue;
use serde_json::Value;
use tokio::task::AbortHandle;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::membership::member::{Member, MemberRecord};
use crate::names::check_name;
use crate::protocol::keys::Keys;
use crate::protocol::scripts::{ScriptDef, Scripts};
use crate::session::state::{ConnectionState, StateBroadcaster};
use crate::transport::direct::{CallerThread, DirectPool};
use crate::transport::notices::Notices;
use crate::transport::runtime;

/// The largest member payload accepted (bytes of JSON): payloads are meant to be small.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// One held lock as this connector knows it.
#[derive(Debug, Clone)]
pub(crate) struct HeldLock {
    pub token: u64,
    pub holds: u64,
}

/// What this connector registered under its current session, kept so a new session can
/// re-establish it (Curator's PersistentNode behaviour).
#[derive(Debug)]
pub(crate) struct Session {
    pub id: String,
    /// Local monotonic end of the lease: when the last successful renewal was sent plus the
    /// session timeout.
    pub lease_until: Instant,
    /// Set once the lease is known to be gone; the next contact starts a new session.
    pub lost: bool,
    pub held: HashMap<String, HeldLock>,
    pub memberships: BTreeMap<String, MemberSpec>,
    pub ephemerals: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub(crate) struct MemberSpec {
    pub payload: Value,
}

pub(crate) struct Inner {
    /// This connector itself, for background work it starts (never a strong cycle).
    me: std::sync::Weak<Inner>,
    pub config: Config,
    pub keys: Keys,
    pub client: redis::Client,
    pub conn: ConnectionManager,
    pub scripts: Scripts,
    pub session: Mutex<Session>,
    pub sub_groups: Mutex<Vec<String>>,
    pub state: StateBroadcaster,
    pub closed: AtomicBool,
    pub notices: Notices,
    pub direct: DirectPool,
    pub tasks: Mutex<Vec<AbortHandle>>,
    /// The group's epoch as this connector last saw it (see `lua/reap.lua`).
    pub epoch: Mutex<EpochSeen>,
    /// What this connector vouches for about the server's clock (see `clock.rs`).
    pub clock: crate::session::clock::ServerClock,
    /// Wakes the heartbeat loop for an immediate beat (a call found the session gone).
    pub beat_now: tokio::sync::Notify,
    /// When the shared async connection last carried a request (for the idle check).
    pub async_used: Mutex<Instant>,
    /// What the last session replacements could not restore, until the application reads it.
    pub restore_failures: Mutex<Vec<crate::membership::member::RestoreFailure>>,
}

/// What this connector knows of the group's epoch: reported back to the scripts, so a
/// Redis that lost the group's state is recognised as such (not as a new group) and new
/// grants wait out the longest lease anyone may still trust.
#[derive(Debug, Clone, Default)]
pub(crate) struct EpochSeen {
    pub id: String,
    pub max_lease_ms: u64,
}

/// A client's handle on one group (async API). Create with [`Connector::connect`]; every
/// method is safe to call from many tasks at once. Dropping it closes it in the background;
/// call [`Connector::close`] to wait for the clean leave.
pub struct Connector {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) fn new_session_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Connector {
    /// Connects, starts a session and its heartbeat. Fails with [`Error::Connection`] when
    /// Redis cannot be reached, [`Error::InvalidArgument`] for bad options.
    #[tracing::instrument(
        name = "connect",
        skip_all,
        fields(group = config.group.as_str(), url = %config.redacted_url())
    )]
    pub async fn connect(config: Config) -> Result<Connector> {
        config.validate()?;
        install_tls_provider();
        let password = config.password();
        let scrub = move |err: Error| scrub_password(err, password.as_deref());
        let client = config.client()?;
        let conn = runtime::handle()
            .spawn(open_manager(client.clone(), config.command_timeout, None))
            .await
            .map_err(|e| Error::Connection(e.to_string()))?
            .map_err(|e| scrub(Error::from(e)))?;
        let keys = Keys::new(&config.group);
        let session = Session {
            id: new_session_id(),
            lease_until: Instant::now(),
            lost: false,
            held: HashMap::new(),
            memberships: BTreeMap::new(),
            ephemerals: BTreeMap::new(),
        };
        let inner = Arc::new_cyclic(|me| Inner {
            me: me.clone(),
            sub_groups: Mutex::new(config.sub_groups.clone()),
            keys: keys.clone(),
            notices: Notices::start(client.clone(), &keys),
            direct: DirectPool::new(client.clone(), config.command_timeout),
            config,
            client,
            conn,
            scripts: Scripts::new(),
            session: Mutex::new(session),
            state: StateBroadcaster::new(),
            closed: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
            epoch: Mutex::new(EpochSeen::default()),
            clock: crate::session::clock::ServerClock::default(),
            beat_now: tokio::sync::Notify::new(),
            async_used: Mutex::new(Instant::now()),
            restore_failures: Mutex::new(Vec::new()),
        });
        let sent = Instant::now();
        let sid = inner.session().id.clone();
        let beat = inner.heartbeat_call(&sid, true).await.map_err(scrub)?;
        if !beat.alive {
            return Err(Error::protocol("Redis refused to register a new session"));
        }
        inner.session().lease_until = sent + inner.config.local_lease();
        let task =
            runtime::handle().spawn(crate::session::heartbeat::run(Arc::downgrade(&inner), beat));
        inner.tasks.lock().unwrap().push(task.abort_handle());
        Ok(Connector { inner })
    }

    /// The options this connector was created with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The current session id (changes when a lost session is replaced).
    pub fn session_id(&self) -> String {
        self.inner.session().id.clone()
    }

    /// The connection state as last observed (never RECONNECTED: that is an event and then
    /// reads as CONNECTED).
    pub fn state(&self) -> ConnectionState {
        self.inner.state.current()
    }

    /// Leaves every member, frees every lock and deletes every ephemeral key of this
    /// connector right away, then stops its background work. Idempotent.
    #[tracing::instrument(name = "close", skip_all, fields(group = self.group()))]
    pub async fn close(&self) -> Result<()> {
        if self.inner.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.inner.shutdown_tasks();
        let sid = self.inner.session().id.clone();
        let result = self
            .inner
            .run_unmasked::<i64>(&self.inner.scripts.close, &[sid.as_str(), "left"], false)
            .await;
        {
            let mut session = self.inner.session();
            session.held.clear();
            session.memberships.clear();
            session.ephemerals.clear();
        }
        self.inner.direct.clear();
        self.inner.state.publish(ConnectionState::Closed);
        self.inner.state.close_listeners();
        result.map(|_| ())
    }

    /// What could not be restored when a lost session was replaced (a member id or an
    /// ephemeral key another process took meanwhile), oldest first, and forgets it. Filled
    /// before RECONNECTED is published, so a state listener can call this on RECONNECTED.
    pub fn take_restore_failures(&self) -> Vec<crate::membership::member::RestoreFailure> {
        std::mem::take(&mut *self.inner.restore_failures.lock().unwrap())
    }

    /// Whether [`Connector::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::SeqCst)
    }

    /// Joins the group as `member_id` (the configured member id when `None`) with the
    /// configured sub-groups and `payload` (the configured payload when `None`). Joining
    /// again with the same id updates the record. Fails with [`Error::MemberExists`] when
    /// another live session holds the id.
    #[tracing::instrument(
        name = "join",
        skip_all,
        fields(group = self.group(), member = self.member_or_own(member_id))
    )]
    pub async fn join(&self, member_id: Option<&str>, payload: Option<Value>) -> Result<Member> {
        self.inner.check_open()?;
        let id = member_id
            .unwrap_or(&self.inner.config.member_id)
            .to_string();
        check_name("member id", &id)?;
        let payload = payload.unwrap_or_else(|| self.inner.config.payload.clone());
        check_payload(&payload)?;
        let sid = self.inner.session().id.clone();
        let member = self.inner.register_member(&sid, &id, &payload).await?;
        let mut session = self.inner.session();
        if session.id == sid {
            session.memberships.insert(id, MemberSpec { payload });
        }
        Ok(member)
    }

    /// Leaves the group as `member_id` (the configured one when `None`). Returns false when
    /// this connector was not that member.
    #[tracing::instrument(
        name = "leave",
        skip_all,
        fields(group = self.group(), member = self.member_or_own(member_id))
    )]
    pub async fn leave(&self, member_id: Option<&str>) -> Result<bool> {
        self.inner.check_open()?;
        let id = member_id
            .unwrap_or(&self.inner.config.member_id)
            .to_string();
        check_name("member id", &id)?;
        let sid = self.inner.session().id.clone();
        self.inner.session().memberships.remove(&id);
        let left: i64 = self
            .inner
            .run(&self.inner.scripts.leave, &[sid.as_str(), id.as_str()])
            .await?;
        Ok(left == 1)
    }

    /// Every live member of the group with its sub-groups, payload and join time, in one
    /// round trip, sorted by id.
    #[tracing::instrument(name = "members", skip_all, fields(group = self.group()))]
    pub async fn members(&self) -> Result<Vec<Member>> {
        self.inner.check_open()?;
        let records: Vec<String> = self
            .inner
            .run_idempotent(&self.inner.scripts.members, &[])
            .await?;
        let mut members = parse_members(&records);
        members.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(members)
    }

    /// Replaces the payload of `member_id` (which this connector joined); subscribers see
    /// an update event.
    #[tracing::instrument(
        name = "update_payload",
        skip_all,
        fields(group = self.group(), member = self.member_or_own(member_id))
    )]
    pub async fn update_payload(&self, member_id: Option<&str>, payload: Value) -> Result<()> {
        self.inner.check_open()?;
        let id = member_id
            .unwrap_or(&self.inner.config.member_id)
            .to_string();
        check_name("member id", &id)?;
        check_payload(&payload)?;
        if !self.inner.session().memberships.contains_key(&id) {
            return Err(Error::InvalidArgument(format!(
                "member {id} was not joined by this connector"
            )));
        }
        self.join(Some(&id), Some(payload)).await.map(|_| ())
    }

    /// Adds `sub_group` to this connector's sub-groups and updates every member it joined.
    #[tracing::instrument(
        name = "add_sub_group",
        skip_all,
        fields(group = self.group(), sub_group = sub_group)
    )]
    pub async fn add_sub_group(&self, sub_group: &str) -> Result<()> {
        check_name("sub-group", sub_group)?;
        self.change_sub_groups(|groups| {
            if !groups.iter().any(|g| g == sub_group) {
                groups.push(sub_group.to_string());
            }
        })
        .await
    }

    /// Removes `sub_group` from this connector's sub-groups and updates every member it
    /// joined.
    #[tracing::instrument(
        name = "remove_sub_group",
        skip_all,
        fields(group = self.group(), sub_group = sub_group)
    )]
    pub async fn remove_sub_group(&self, sub_group: &str) -> Result<()> {
        check_name("sub-group", sub_group)?;
        self.change_sub_groups(|groups| groups.retain(|g| g != sub_group))
            .await
    }

    /// The sub-groups members of this connector join with.
    pub fn sub_groups(&self) -> Vec<String> {
        self.inner.sub_groups.lock().unwrap().clone()
    }

    async fn change_sub_groups(&self, change: impl FnOnce(&mut Vec<String>)) -> Result<()> {
        self.inner.check_open()?;
        change(&mut self.inner.sub_groups.lock().unwrap());
        let (sid, joined) = {
            let session = self.inner.session();
            (session.id.clone(), session.memberships.clone())
        };
        for (id, spec) in joined {
            self.inner.register_member(&sid, &id, &spec.payload).await?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("url", &self.inner.config.redacted_url())
            .field("group", &self.inner.config.group)
            .field("member_id", &self.inner.config.member_id)
            .field("session", &self.session_id())
            .field("state", &self.state())
            .finish()
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        if self.inner.closed.load(Ordering::SeqCst) {
            return;
        }
        let inner = Arc::clone(&self.inner);
        runtime::handle().spawn(async move {
            let connector = Connector { inner };
            if let Err(err) = connector.close().await {
                tracing::warn!(error = %err, "closing a dropped connector failed");
            }
        });
    }
}

/// Outcome of one heartbeat script call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Beat {
    pub alive: bool,
    pub server_now_ms: i64,
    /// Earliest lease deadline of another session, -1 when none.
    pub next_deadline_ms: i64,
}

impl Inner {
    pub fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap()
    }

    /// A strong handle on this connector, unless it is being dropped.
    pub fn myself(&self) -> Option<Arc<Inner>> {
        self.me.upgrade()
    }

    pub fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    fn shutdown_tasks(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
        self.notices.shutdown();
        self.direct.clear();
    }

    /// Runs one protocol script with the group's sessions key and prefix. A call cut
    /// short by a concurrent close reports [`Error::Closed`], not its symptom.
    pub async fn run<T: FromRedisValue>(&self, script: &ScriptDef, args: &[&str]) -> Result<T> {
        self.masked(self.run_unmasked(script, args, false).await)
    }

    /// [`Inner::run`] for a script that may safely run twice (reads, reaping): it is retried
    /// once if a blocking caller's pooled connection turns out stale.
    pub async fn run_idempotent<T: FromRedisValue>(
        &self,
        script: &ScriptDef,
        args: &[&str],
    ) -> Result<T> {
        self.masked(self.run_unmasked(script, args, true).await)
    }

    fn masked<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_err() && self.closed.load(Ordering::SeqCst) {
            return Err(Error::Closed);
        }
        result
    }

    /// Runs a script reporting the error as it is (for `close` itself).
    async fn run_unmasked<T: FromRedisValue>(
        &self,
        script: &ScriptDef,
        args: &[&str],
        idempotent: bool,
    ) -> Result<T> {
        // Every call starts with the group's prefix and ends with the connector's
        // evidence about time (lua/base.lua).
        let evidence = self.clock.args();
        let mut all = Vec::with_capacity(args.len() + 3);
        all.push(self.keys.prefix());
        all.extend_from_slice(args);
        all.extend(evidence.iter().map(String::as_str));
        let key = self.keys.sessions();
        let result = if CallerThread::active() {
            self.direct.run(idempotent, |conn| {
                self.scripts.run_blocking(script, &key, &all, conn)
            })
        } else {
            let mut conn = self.async_connection().await;
            self.scripts.run_async(script, &key, &all, &mut conn).await
        };
        result.map_err(|e| self.error(e))
    }

    /// The shared async connection, checked first when it sat idle: a server with a
    /// `timeout` setting closes idle connections, and the request that finds one closed
    /// would fail although Redis is fine. A PING finds out instead, and the connection
    /// manager reconnects before the real request goes out (redis-py's health check).
    async fn async_connection(&self) -> ConnectionManager {
        let mut conn = self.conn.clone();
        let idle = {
            let mut used = self.async_used.lock().unwrap();
            let idle = used.elapsed();
            *used = Instant::now();
            idle
        };
        if idle >= crate::transport::direct::IDLE_CHECK_AFTER {
            for _ in 0..2 {
                let ping: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut conn).await;
                if ping.is_ok() {
                    break;
                }
            }
        }
        conn
    }

    /// Runs one read-only plain command (on the caller's thread for blocking callers).
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let result = if CallerThread::active() {
            self.direct.run(true, |conn| cmd.query(conn))
        } else {
            cmd.query_async(&mut self.async_connection().await).await
        };
        self.masked(result.map_err(|e| self.error(e)))
    }

    /// Publishes a connection-state change. Any change means the server may have gone
    /// away or come back, so blocking callers' idle connections are dropped.
    pub fn publish_state(&self, state: ConnectionState) {
        self.direct.clear();
        self.state.publish(state);
    }

    fn error(&self, err: redis::RedisError) -> Error {
        scrub_password(Error::from(err), self.config.password().as_deref())
    }

    pub async fn heartbeat_call(&self, sid: &str, create: bool) -> Result<Beat> {
        let timeout_ms = self.config.session_timeout.as_millis().to_string();
        let (known, max_lease) = self.epoch_args();
        let reply: Vec<i64> = self
            .run(
                &self.scripts.heartbeat,
                &[
                    sid,
                    &timeout_ms,
                    if create { "1" } else { "0" },
                    &known,
                    &max_lease,
                ],
            )
            .await?;
        match reply.as_slice() {
            [alive, now, next, _reaped, epoch, max_lease, server_now] => {
                self.clock.observe(*server_now, Instant::now());
                self.note_epoch(*epoch, *max_lease);
                Ok(Beat {
                    alive: *alive == 1,
                    server_now_ms: *now,
                    next_deadline_ms: *next,
                })
            }
            other => Err(Error::protocol(format!("heartbeat reply {other:?}"))),
        }
    }

    /// The epoch id this connector last saw ('' when none) and the longest lease it knows
    /// of in the group, as script arguments.
    pub fn epoch_args(&self) -> (String, String) {
        let seen = self.epoch.lock().unwrap();
        let own = self.config.session_timeout.as_millis() as u64;
        (seen.id.clone(), seen.max_lease_ms.max(own).to_string())
    }

    fn note_epoch(&self, id: i64, max_lease_ms: i64) {
        let mut seen = self.epoch.lock().unwrap();
        seen.id = id.to_string();
        seen.max_lease_ms = seen.max_lease_ms.max(max_lease_ms.max(0) as u64);
    }

    pub async fn register_member(&self, sid: &str, id: &str, payload: &Value) -> Result<Member> {
        let sub_groups = self.sub_groups.lock().unwrap().clone();
        let record = serde_json::to_string(&MemberRecord {
            id,
            session: sid,
            sub_groups: &sub_groups,
            payload,
        })?;
        let (_kind, joined_at): (String, u64) =
            self.run(&self.scripts.join, &[sid, id, &record]).await?;
        Ok(Member {
            id: id.to_string(),
            sub_groups,
            payload: payload.clone(),
            joined_at,
            session: sid.to_string(),
        })
    }

    /// Records that the lease is gone: locks are dropped locally and listeners told LOST.
    pub fn mark_lost(&self) {
        let newly_lost = {
            let mut session = self.session();
            session.held.clear();
            !std::mem::replace(&mut session.lost, true)
        };
        if newly_lost && !self.closed.load(Ordering::SeqCst) {
            tracing::warn!("the session's lease ran out: LOST, every held lock is gone");
            self.publish_state(ConnectionState::Lost);
        }
    }

    /// Whether the lease is still good on the local clock.
    pub fn lease_valid(session: &Session) -> bool {
        !session.lost && Instant::now() < session.lease_until
    }
}

pub(crate) fn parse_member(record: &str) -> Result<Member> {
    serde_json::from_str(record)
        .map_err(|e| Error::protocol(format!("bad member record {record:?}: {e}")))
}

/// The members among `records` that parse. A record this library cannot read (written by
/// a foreign or broken client) is skipped with a warning: it must not hide everyone else.
pub(crate) fn parse_members<'a>(records: impl IntoIterator<Item = &'a String>) -> Vec<Member> {
    records
        .into_iter()
        .filter_map(|record| match parse_member(record) {
            Ok(member) => Some(member),
            Err(err) => {
                tracing::warn!(error = %err, "skipping a member record");
                None
            }
        })
        .collect()
}

fn check_payload(payload: &Value) -> Result<()> {
    crate::data::check_depth(payload)?;
    let size = serde_json::to_vec(payload)?.len();
    if size > MAX_PAYLOAD_BYTES {
        return Err(Error::InvalidArgument(format!(
            "member payload is {size} bytes of JSON, more than {MAX_PAYLOAD_BYTES}"
        )));
    }
    Ok(())
}

/// Opens a reconnecting connection. `extra_response_time` lengthens the response timeout
/// for connections that run blocking reads.
pub(crate) async fn open_manager(
    client: redis::Client,
    command_timeout: Duration,
    extra_response_time: Option<Duration>,
) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(command_timeout))
        .set_response_timeout(Some(
            command_timeout + extra_response_time.unwrap_or_default(),
        ))
        .set_number_of_retries(2)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500));
    client.get_connection_manager_with_config(config).await
}

/// Makes sure no error text carries the password (Redis or the driver may echo a URL).
pub(crate) fn scrub_password(err: Error, password: Option<&str>) -> Error {
    let Some(password) = password else {
        return err;
    };
    let scrub = |text: String| text.replace(password, "***");
    match err {
        Error::InvalidArgument(m) => Error::InvalidArgument(scrub(m)),
        Error::Connection(m) => Error::Connection(scrub(m)),
        Error::Timeout(m) => Error::Timeout(scrub(m)),
        Error::Redis(m) => Error::Redis(scrub(m)),
        Error::Protocol(m) => Error::Protocol(scrub(m)),
        other => other,
    }
}

fn install_tls_provider() {
    // rediss:// needs a process-wide rustls provider; another library may have set one.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
