//! Giving a lock back: one hold of this member and session, or (forced) whoever holds it;
//! a release whose reply was lost is reconciled, never left orphaned.

use std::time::Duration;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::locks::LockHolder;
use crate::names::check_name;
use crate::session::Session;
use crate::transport::runtime;

/// Background release attempts after an ambiguous failure, at most.
const BACKGROUND_RELEASE_TRIES: u32 = 50;

impl Connector {
    /// Frees `name` whoever holds it, as an operator would for a holder known to be stuck
    /// (Redisson's `forceUnlock`), and returns who held it, or None when nobody did.
    ///
    /// The holder is not told: its connector still reports the lock held until it releases
    /// it (that release then returns false) or its session ends. The lock keeps its last
    /// fencing token, so the next holder's token is larger and a resource that checks
    /// tokens (docs/SAFETY.md) refuses the old holder's writes. Waiters are woken.
    #[tracing::instrument(name = "force_release", skip_all, fields(group = self.group(), lock = name))]
    pub async fn force_release(&self, name: &str) -> Result<Option<LockHolder>> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let reply: Vec<redis::Value> = self
            .inner
            .run(&self.inner.scripts.lock_force_release, &[name])
            .await?;
        LockHolder::from_reply("force_release", &reply)
    }

    #[tracing::instrument(
        name = "release",
        skip_all,
        fields(group = self.group(), lock = name, member = self.member_or_own(member))
    )]
    pub(super) async fn release_as_inner(&self, name: &str, member: Option<&str>) -> Result<bool> {
        self.inner.check_open()?;
        check_name("lock name", name)?;
        let owner = member.unwrap_or(&self.inner.config.member_id);
        check_name("member id", owner)?;
        let sid = self.inner.record().id.clone();
        let args = [sid.as_str(), name, owner, "0"];
        let release = || {
            self.inner
                .run::<Vec<i64>>(&self.inner.scripts.release, &args)
        };
        let (reply, retried) = match release().await {
            Err(err) if is_ambiguous(&err) => match release().await {
                Ok(reply) => (reply, true),
                Err(again) => {
                    self.inner.record().held.remove(name);
                    self.inner.release_in_background(&sid, name, owner);
                    return Err(again);
                }
            },
            other => (other?, false),
        };
        match reply.as_slice() {
            // The first call was applied; only its reply was lost.
            [0] if retried => {
                self.inner.record().held.remove(name);
                Ok(true)
            }
            [1, remaining] => {
                let mut session = self.inner.record();
                if *remaining == 0 {
                    session.held.remove(name);
                } else if let Some(held) = session.held.get_mut(name) {
                    held.holds = *remaining as u64;
                }
                Ok(true)
            }
            [0] => Ok(false),
            other => Err(Error::protocol(format!("release reply {other:?}"))),
        }
    }
}

impl Session {
    /// Releases `name` held by `owner` under `sid` from the background, retrying while
    /// Redis does not answer, so a lock taken by a call whose reply was lost is never left
    /// orphaned under a live session. Stops once the session is no longer this connector's
    /// (ending a session frees its locks anyway).
    pub(super) fn release_in_background(&self, sid: &str, name: &str, owner: &str) {
        let Some(inner) = self.myself() else { return };
        let (sid, name, owner) = (sid.to_string(), name.to_string(), owner.to_string());
        runtime::handle().spawn(async move {
            let mut pause = Duration::from_millis(100);
            for _ in 0..BACKGROUND_RELEASE_TRIES {
                if inner.closed.load(std::sync::atomic::Ordering::SeqCst)
                    || inner.record().id != sid
                {
                    return;
                }
                let reply = inner
                    .run::<Vec<i64>>(&inner.scripts.release, &[&sid, &name, &owner, "1"])
                    .await;
                if reply.is_ok() {
                    return;
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            tracing::warn!(lock = %name, "could not release a lock after a lost reply");
        });
    }
}

/// A failure after which Redis may or may not have applied the call.
pub(super) fn is_ambiguous(err: &Error) -> bool {
    matches!(err, Error::Timeout(_) | Error::Connection(_))
}
