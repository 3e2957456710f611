//! Replacing a lost session: the old one is ended, a new one registered, and what was
//! registered under the old one (members, ephemeral data; never locks) re-established.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::session::record::new_session_id;
use crate::session::registrations::MemberWrite;
use crate::session::renewal::Beat;
use crate::session::Session;

/// Something a connector could not re-establish under a new session after its old one was
/// lost (another process took the member id or the ephemeral key meanwhile). Recorded before
/// RECONNECTED is published; read with [`crate::Connector::take_restore_failures`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreFailure {
    /// `member` (a member id) or `ephemeral` (an ephemeral key).
    pub kind: String,
    /// The member id or key.
    pub name: String,
    /// Why it could not be restored.
    pub error: String,
}

/// Ends the old session (if Redis still has it), registers a new one and re-establishes
/// the memberships and ephemeral data recorded under the old one. Locks are not re-taken.
#[tracing::instrument(
    name = "restore_session",
    skip_all,
    fields(group = inner.config.group.as_str())
)]
pub(crate) async fn replace_session(inner: &Session, old_sid: &str) -> Result<(Instant, Beat)> {
    inner
        .run::<i64>(&inner.scripts.close, &[old_sid, "expired"])
        .await?;
    let sid = new_session_id();
    let (sent, beat) = inner.register(&sid).await?;
    let (memberships, ephemerals) = {
        let mut record = inner.record();
        record.id = sid.clone();
        record.lease_until = sent + inner.config.local_lease();
        // Stays lost until everything is re-registered: a failure below replaces this
        // session again on the next beat.
        record.held.clear();
        (record.memberships.clone(), record.ephemerals.clone())
    };
    for (id, spec) in memberships {
        let written = match inner.write_member(&sid, &id, &spec).await {
            // Not waited for here: the new session's heartbeats must not wait behind it.
            Ok(MemberWrite::HolderInDoubt { .. }) => Err(Error::MemberExists(format!(
                "member {id} is held by another session, past its deadline but not yet ended"
            ))),
            Ok(MemberWrite::Written(..)) => Ok(()),
            Err(err) => Err(err),
        };
        if let Err(err) = written {
            tracing::warn!(member = %id, error = %err, "could not re-register member");
            if !matches!(err, Error::Connection(_) | Error::Timeout(_)) {
                inner.record().memberships.remove(&id);
                note_failure(inner, "member", &id, &err);
            } else {
                return Err(err);
            }
        }
    }
    for (key, value) in ephemerals {
        if let Err(err) = inner.write_ephemeral(&sid, &key, &value).await {
            tracing::warn!(key = %key, error = %err, "could not re-create ephemeral key");
            if !matches!(err, Error::Connection(_) | Error::Timeout(_)) {
                inner.record().ephemerals.remove(&key);
                note_failure(inner, "ephemeral", &key, &err);
            } else {
                return Err(err);
            }
        }
    }
    inner.record().lost = false;
    Ok((sent, beat))
}

fn note_failure(inner: &Session, kind: &str, name: &str, err: &Error) {
    inner.restore_failures.lock().unwrap().push(RestoreFailure {
        kind: kind.to_string(),
        name: name.to_string(),
        error: err.to_string(),
    });
}
