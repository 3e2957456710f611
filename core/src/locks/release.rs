//! Giving a lock back: one hold of this member and session, or (forced) whoever holds it;
//! a call whose reply was lost is followed up, so no hold is left orphaned and no late
//! request takes away a newer one.

use std::time::Duration;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::locks::{attempt_id, LockHolder};
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
    /// it (that release then returns false) or its session ends. Tokens only grow, so the
    /// next holder's token is larger and a resource that checks tokens (docs/SAFETY.md)
    /// refuses the old holder's writes. The lock goes to its oldest live waiter, if any.
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
        let (sid, token) = {
            let record = self.inner.record();
            let token = record.held.get(name).map(|held| held.token.to_string());
            (record.id.clone(), token)
        };
        // The hold this connector knows it has: a release that arrives late must not take
        // a later one away (release.lua).
        let token_arg = token.as_deref().unwrap_or("");
        let id = attempt_id();
        let args = [sid.as_str(), name, owner, token_arg, id.as_str()];
        let release = || self.inner.run::<i64>(&self.inner.scripts.release, &args);
        let (reply, retried) = match release().await {
            // The same id again: if the first call was applied, the retry is a no-op.
            Err(err) if is_ambiguous(&err) => match release().await {
                Ok(reply) => (reply, true),
                Err(again) => {
                    self.inner.record().held.remove(name);
                    if let Some(token) = &token {
                        self.inner.clean_up_in_background(
                            &sid,
                            name,
                            Cleanup::Release { owner, token },
                        );
                    }
                    return Err(again);
                }
            },
            other => (other?, false),
        };
        // release.lua's reply: the holds that remain, or -1 when not released.
        match reply {
            // The first call freed it; only its reply was lost.
            -1 if retried => {
                self.inner.record().held.remove(name);
                Ok(true)
            }
            remaining @ 0.. => {
                let mut session = self.inner.record();
                if remaining == 0 {
                    // Unless the lock was handed straight to another waiter of this
                    // connector and session (same member id), whose notice came first.
                    let handed = session.held.get(name).map(|held| held.token.to_string());
                    if token.is_none() || handed == token {
                        session.held.remove(name);
                    }
                } else if let Some(held) = session.held.get_mut(name) {
                    held.holds = remaining as u64;
                }
                Ok(true)
            }
            -1 => Ok(false),
            other => Err(Error::protocol(format!("release reply {other:?}"))),
        }
    }
}

/// What is left to put right after a call whose every reply was lost.
pub(super) enum Cleanup<'a> {
    /// Free the hold of `owner` with fencing token `token` (whatever its count).
    Release { owner: &'a str, token: &'a str },
    /// Give up the lock attempts `attempts` ('a b') of `owner`, and the hold one took.
    Abandon { owner: &'a str, attempts: &'a str },
}

impl Session {
    /// Puts `cleanup` right from the background, retrying while Redis does not answer, so
    /// a hold taken or kept by a call whose reply was lost is never left orphaned under a
    /// live session. Both scripts are safe to repeat and touch no other hold. Stops once
    /// the session is no longer this connector's (ending a session frees its locks anyway).
    pub(super) fn clean_up_in_background(&self, sid: &str, name: &str, cleanup: Cleanup<'_>) {
        let Some(inner) = self.myself() else { return };
        let (abandon, args) = match cleanup {
            Cleanup::Release { owner, token } => (
                false,
                // '*': whatever the hold count (release.lua).
                [sid, name, owner, token, "*"].map(String::from).to_vec(),
            ),
            Cleanup::Abandon { owner, attempts } => (
                true,
                [sid, name, owner, attempts].map(String::from).to_vec(),
            ),
        };
        let (sid, name) = (sid.to_string(), name.to_string());
        runtime::handle().spawn(async move {
            let script = if abandon {
                &inner.scripts.lock_abandon
            } else {
                &inner.scripts.release
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut pause = Duration::from_millis(100);
            for _ in 0..BACKGROUND_RELEASE_TRIES {
                if inner.closed.load(std::sync::atomic::Ordering::SeqCst)
                    || inner.record().id != sid
                {
                    return;
                }
                // Only whether it ran matters (release and lock_abandon reply differently).
                if inner.run::<redis::Value>(script, &args).await.is_ok() {
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
