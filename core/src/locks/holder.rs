//! Who holds a lock, as Redis knows it: for any connector about any lock.

use serde::Serialize;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::names::check_name;

/// Who holds (or held) a lock: the member id the hold was taken as, its session, and the
/// fencing token of the hold. Serializes as `{"member", "session", "token"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockHolder {
    pub member: String,
    pub session: String,
    pub token: u64,
}

/// What [`Connector::lock_status`] sees of a lock: who holds it, and whether grants are
/// held back. Serializes as `{"holder": {...} | null, "grants_held_until_ms": n | null}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockStatus {
    /// The holder, as [`Connector::lock_holder`] reports it; `None` when free.
    pub holder: Option<LockHolder>,
    /// When free but no lock of the group is granted yet: the server time (ms since the
    /// Unix epoch) from which grants resume. Redis lost or rolled back the group's state
    /// (or restarted), and holders from before may still trust their leases until then
    /// (docs/SAFETY.md, "Data loss and restarts"). `lock()` returns not-acquired until then.
    pub grants_held_until_ms: Option<u64>,
}

impl LockHolder {
    /// Reads the reply `{1, owner, session, token}`, `{0}` or `{0, grants_from}` of
    /// script `op`.
    pub(crate) fn from_reply(op: &str, reply: &[redis::Value]) -> Result<Option<LockHolder>> {
        Ok(LockStatus::from_reply(op, reply)?.holder)
    }
}

impl LockStatus {
    fn from_reply(op: &str, reply: &[redis::Value]) -> Result<LockStatus> {
        let text = |value: &redis::Value| -> Result<String> {
            redis::from_redis_value(value.clone())
                .map_err(|e| Error::protocol(format!("{op} reply: {e}")))
        };
        let free = |until| LockStatus {
            holder: None,
            grants_held_until_ms: until,
        };
        match reply {
            [flag] if text(flag)? == "0" => Ok(free(None)),
            [flag, until] if text(flag)? == "0" => {
                Ok(free(Some(text(until)?.parse().map_err(|e| {
                    Error::protocol(format!("{op} grants_from: {e}"))
                })?)))
            }
            [_, member, session, token] => Ok(LockStatus {
                holder: Some(LockHolder {
                    member: text(member)?,
                    session: text(session)?,
                    token: text(token)?
                        .parse()
                        .map_err(|e| Error::protocol(format!("{op} token: {e}")))?,
                }),
                grants_held_until_ms: None,
            }),
            other => Err(Error::protocol(format!("{op} reply: {other:?}"))),
        }
    }
}

impl Connector {
    /// Who holds the lock `name` now, read from Redis (not this connector's own view, see
    /// [`Connector::is_held`]), so any connector can ask about any lock; `None` when it is
    /// free. A re-entrant holder is reported once, with the token of its first hold.
    ///
    /// A holder whose session's deadline has passed on the Redis server clock is not
    /// reported, even before it is reaped: its lease ran out, so by the safety model
    /// (docs/SAFETY.md) it holds nothing and the lock can be taken. The answer can be
    /// stale the moment it arrives (the holder may release, or lose its lease, right
    /// after): use it to look, and fencing tokens to protect a resource. A free lock that
    /// cannot be had yet (a restart grace) is told apart by [`Connector::lock_status`].
    pub async fn lock_holder(&self, name: &str) -> Result<Option<LockHolder>> {
        Ok(self.lock_status(name).await?.holder)
    }

    /// [`Connector::lock_holder`], and whether grants are held back and until when: after
    /// Redis lost or rolled back the group's state, a free lock cannot be taken until the
    /// old holders' leases have surely run out.
    #[tracing::instrument(name = "lock_status", skip_all, fields(group = self.group(), lock = name))]
    pub async fn lock_status(&self, name: &str) -> Result<LockStatus> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let reply: Vec<redis::Value> = self
            .inner
            .run_idempotent(&self.inner.scripts.lock_holder, &[name])
            .await?;
        LockStatus::from_reply("lock_holder", &reply)
    }
}

impl Connector {
    /// Every lock of the group held now, sorted by name, each with its holder, for an
    /// operator's view (grctl `status`). Read in one script from the live sessions'
    /// ownership sets (docs/PROTOCOL.md, `lock_list`), so it costs what is live, never a scan
    /// of the keyspace; a free lock is not listed (it may have no hash at all). A holder
    /// whose deadline has passed on the server clock is left out, as in
    /// [`Connector::lock_holder`].
    #[tracing::instrument(name = "locks", skip_all, fields(group = self.group()))]
    pub async fn locks(&self) -> Result<Vec<(String, LockHolder)>> {
        self.inner.check_open()?;
        let reply: Vec<String> = self
            .inner
            .run_idempotent(&self.inner.scripts.lock_list, &[])
            .await?;
        let mut locks = Vec::with_capacity(reply.len() / 4);
        for held in reply.chunks(4) {
            let [name, owner, session, token] = held else {
                return Err(Error::protocol("lock_list reply: not in fours"));
            };
            let token = token
                .parse()
                .map_err(|e| Error::protocol(format!("lock_list token: {e}")))?;
            let holder = LockHolder {
                member: owner.clone(),
                session: session.clone(),
                token,
            };
            locks.push((name.clone(), holder));
        }
        locks.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(locks)
    }
}
