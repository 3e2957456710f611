//! The connector's session: the lease and what was registered under it ([`record`]), the
//! heartbeat that renews it and reaps others ([`heartbeat`]), the replacement of a lost
//! one ([`restore`]), the evidence about server time ([`clock`]), the group's epoch and the
//! renewal call ([`renewal`]), the connection state ([`state`]), and the calls every
//! operation makes under it ([`calls`]).
//!
//! [`Session`] is what a connector shares with its background work. It lives as long as
//! the connector; the session *id* in its record is replaced when the lease is lost.

pub(crate) mod calls;
pub(crate) mod clock;
pub(crate) mod heartbeat;
pub(crate) mod record;
pub(crate) mod registrations;
pub(crate) mod renewal;
pub(crate) mod restore;
pub(crate) mod state;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::task::AbortHandle;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::protocol::keys::Keys;
use crate::protocol::scripts::Scripts;
use crate::session::clock::ServerClock;
use crate::session::record::Record;
use crate::session::renewal::EpochSeen;
use crate::session::restore::RestoreFailure;
use crate::session::state::{ConnectionState, StateBroadcaster};
use crate::transport::notices::Notices;
use crate::transport::Transport;

/// One connector's session and everything that lives with it.
pub(crate) struct Session {
    /// This value itself, for background work it starts (never a strong cycle).
    me: Weak<Session>,
    pub config: Config,
    pub keys: Keys,
    pub transport: Transport,
    pub scripts: Scripts,
    record: Mutex<Record>,
    pub sub_groups: Mutex<Vec<String>>,
    pub state: StateBroadcaster,
    pub closed: AtomicBool,
    pub notices: Notices,
    pub tasks: Mutex<Vec<AbortHandle>>,
    /// The group's epoch as this connector last saw it (see `lua/reap.lua`).
    pub epoch: Mutex<EpochSeen>,
    /// What this connector vouches for about the server's clock (see `clock.rs`).
    pub clock: ServerClock,
    /// Wakes the heartbeat loop for an immediate beat (a call found the session gone).
    pub beat_now: tokio::sync::Notify,
    /// What the last session replacements could not restore, until the application reads it.
    pub restore_failures: Mutex<Vec<RestoreFailure>>,
    /// Reader connections, the topic retention timer, inbox cursors (`messages/`).
    pub messages: crate::messages::Local,
    /// The one reader per event stream that this connector's subscriptions share.
    pub hubs: crate::subscription::hub::Hubs,
    /// The end of the restart grace last reported in a log record (one record per grace).
    pub grace_logged: Mutex<i64>,
}

impl Session {
    /// A session not yet registered in Redis (see [`heartbeat::start`]).
    pub fn new(config: Config, transport: Transport) -> Arc<Session> {
        let keys = Keys::new(&config.group).on_cluster(transport.is_cluster());
        Arc::new_cyclic(|me| Session {
            me: me.clone(),
            sub_groups: Mutex::new(config.sub_groups.clone()),
            notices: Notices::start(Arc::clone(transport.endpoint()), &keys),
            keys,
            config,
            transport,
            scripts: Scripts::new(),
            record: Mutex::new(Record::new()),
            state: StateBroadcaster::new(),
            closed: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
            epoch: Mutex::new(EpochSeen::default()),
            clock: ServerClock::default(),
            beat_now: tokio::sync::Notify::new(),
            restore_failures: Mutex::new(Vec::new()),
            messages: Default::default(),
            hubs: Default::default(),
            grace_logged: Mutex::new(0),
        })
    }

    /// The current session's record.
    pub fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap()
    }

    /// A strong handle on this session, unless its connector is being dropped.
    pub fn myself(&self) -> Option<Arc<Session>> {
        self.me.upgrade()
    }

    pub fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// Stops the heartbeat, the subscriptions and the pub/sub listener.
    pub fn shutdown_tasks(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
        self.notices.shutdown();
        self.transport.direct.clear();
    }

    /// Publishes a connection-state change. Any change means the server may have gone
    /// away or come back, so blocking callers' idle connections are dropped.
    pub fn publish_state(&self, state: ConnectionState) {
        self.transport.direct.clear();
        self.state.publish(state);
    }
}
