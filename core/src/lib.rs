//! # group-redis
//!
//! Group coordination over Redis: members join a group and see each other come and go,
//! take locks with fencing tokens, keep data that dies with them (ephemeral) or stays
//! (persistent). One session per connector carries a lease renewed by a heartbeat in one
//! round trip; when a process crashes or freezes past its lease, any live connector reaps
//! it atomically: its members leave (reason `expired`), its locks are freed, its ephemeral
//! keys are deleted.
//!
//! The Redis key layout and scripts are documented in `docs/PROTOCOL.md`.
//!
//! ```no_run
//! use group_redis::{Config, Connector};
//! use std::time::Duration;
//!
//! # async fn demo() -> group_redis::Result<()> {
//! let config = Config::new("redis://127.0.0.1:6379").with_group("workers");
//! let connector = Connector::connect(config).await?;
//! connector.join(None, Some(serde_json::json!({"port": 8080}))).await?;
//! let mut events = connector.subscribe_members().await?;
//! println!("members now: {:?}", events.snapshot());
//! if let Some(token) = connector.try_lock("reindex", Duration::from_secs(5)).await? {
//!     println!("holding reindex with fencing token {token}");
//!     connector.release("reindex").await?;
//! }
//! connector.close().await?;
//! # Ok(()) }
//! ```
//!
//! Threads without an async runtime use [`blocking::Connector`], which has the same methods.
//!
//! ## Where things live
//!
//! Each area is a module; the operations are `impl Connector` blocks in their area.
//!
//! | module | what lives there |
//! |---|---|
//! | `transport` | the one place Redis clients and connections are made (client and TLS, the shared multiplexed connection, the blocking callers' pool, subscription and pub/sub connections), the process's tokio runtime |
//! | `protocol` | [`keys`] (the one source of key names), the stored records, the Lua operations (`scripts`, `lua/`: Redis functions with an EVALSHA fallback) |
//! | `session` | the session a connector holds: lease and what it registered, heartbeat, restore of a lost session, server-clock evidence, epoch, [`ConnectionState`], the calls every operation makes |
//! | `connector` | [`Connector`] itself: connect, close, what it reports about its session |
//! | `subscription` | [`Subscription`] for every kind of [`Event`], and the one follower of a group's event streams (snapshot, ordered events, resume, gap detection, resync) |
//! | `membership` | join, leave, members, payloads, sub-groups, [`Member`], membership events and subscriptions |
//! | `locks` | lock, re-entrant lock, waiting, release, forced release, [`LockHolder`] |
//! | `data` | ephemeral and persistent data, value checks, watching data ([`DataEvent`]) |
//! | `recipes` | built on the public API above only: leader election ([`Leadership`], [`LeaderEvent`]), who leads ([`LeaderView`]), the balanced sticky plan of controlled assignments ([`assignment_plan`]) |
//! | `messages` | messages to live members ([`Message`]: send, broadcast, request/reply, listen) and the durable topic log ([`TopicMessage`]) |
//! | [`blocking`] | the blocking facade and callback dispatch |
//! | [`names`], `config`, `error`, [`logs`] | name checks, options, errors, what is logged |
//!
//! The areas depend downwards only: transport and protocol know nothing of sessions,
//! session knows nothing of the connector or the operations built on it.

pub mod blocking;
mod config;
mod connector;
mod data;
mod error;
mod locks;
pub mod logs;
mod membership;
mod messages;
pub mod names;
mod protocol;
mod recipes;
mod session;
mod subscription;
mod transport;

pub use protocol::keys;

pub use config::{
    default_member_id, redact_url, Config, WaitReplicas, DEFAULT_COMMAND_TIMEOUT, DEFAULT_GROUP,
    DEFAULT_SESSION_TIMEOUT, DEFAULT_SUB_GROUP,
};
pub use connector::Connector;
pub use data::events::{DataEvent, DataEventKind, DataSnapshot};
pub use data::{Entry, Versioned, MAX_JSON_DEPTH, MAX_VALUE_BYTES};
pub use error::{Error, Result};
pub use locks::{LockHolder, LockStatus};
pub use membership::member::{LeaveReason, Member, MembershipEvent};
pub use membership::MAX_PAYLOAD_BYTES;
pub use messages::{
    InboxSnapshot, Message, MessageKind, MessageSubscription, TopicBatch, TopicInfo, TopicMessage,
};
pub use recipes::assignments::participant::{Assignment, AssignmentEvent};
pub use recipes::assignments::plan as assignment_plan;
pub use recipes::discovery::{InstancesChanged, ProviderOptions, ServiceProvider, Strategy};
pub use recipes::leader::{LeaderEvent, Leadership};
pub use recipes::observe::LeaderView;
pub use session::restore::RestoreFailure;
pub use session::state::ConnectionState;
pub use subscription::{Event, MemberSubscription, StateSubscription, Subscription};

/// Re-exported so callers build values without adding serde_json themselves.
pub use serde_json::{json, Value};
