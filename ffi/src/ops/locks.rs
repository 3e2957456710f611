//! Locks: exclusive and re-entrant, on behalf of a member, with a wait, each acquisition
//! giving a fencing token. Tokens start at 1, so 0 always means "not acquired".
//!
//! Naming rule (the same in every binding): `lock` and `reentrant_lock` make one attempt
//! and never wait; a name with `try` takes a wait and waits up to it; `_as` takes the
//! member before the lock name, as every call with a member does.

use std::time::Duration;

use crate::bridge::bridge_fns;
use crate::bridge::values::{Json, Open, Released, Token};

bridge_fns! {
    /// The general acquire: `member` NULL means the configured member id; `reentrant`
    /// lets a holder take the lock again (one more hold, same token); `wait_ms` 0 tries
    /// once, otherwise waits up to that long for a release (woken by the holder's release,
    /// with the holder's lease deadline as fallback; no polling).
    ///
    /// On GR_OK, `*token_out` is the fencing token (>= 1, strictly increasing per lock
    /// name across the group's lifetime) or 0 when the lock was not acquired (held by
    /// someone else, or by this member with `reentrant` false).
    /// Thread-safety: safe from many threads; each call blocks only its own thread.
    /// Errors: GR_NULL_ARGUMENT (conn, name, token_out), GR_INVALID_ARGUMENT (empty,
    /// oversized, not UTF-8), GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
    #[c(gr_acquire, out = token_out)]
    #[jni]
    fn acquire(conn: Open, member: Option<String>, name: String, reentrant: bool, wait_ms: Duration) -> Token {
        Ok(Token(conn.acquire(member.as_deref(), &name, reentrant, wait_ms)?))
    }

    /// Takes the exclusive lock `name` as the configured member without waiting. Not
    /// re-entrant: a second call by the same member gives token 0. See `gr_acquire` for
    /// the token, thread-safety and errors.
    #[c(gr_lock, out = token_out)]
    fn lock(conn: Open, name: String) -> Token {
        Ok(Token(conn.lock(&name)?))
    }

    /// `gr_lock` on behalf of `member` (required; the seed API's lock(conn, member,
    /// name)). See `gr_acquire`.
    #[c(gr_lock_as, out = token_out)]
    fn lock_as(conn: Open, member: String, name: String) -> Token {
        Ok(Token(conn.lock_as(&member, &name)?))
    }

    /// Takes `name` re-entrantly as the configured member without waiting: a holder
    /// taking it again adds a hold (same token); each `gr_release` removes one, and the
    /// lock is freed at zero. See `gr_acquire`.
    #[c(gr_reentrant_lock, out = token_out)]
    fn reentrant_lock(conn: Open, name: String) -> Token {
        Ok(Token(conn.reentrant_lock(&name)?))
    }

    /// `gr_reentrant_lock` on behalf of `member` (required). See `gr_acquire`.
    #[c(gr_reentrant_lock_as, out = token_out)]
    fn reentrant_lock_as(conn: Open, member: String, name: String) -> Token {
        Ok(Token(conn.reentrant_lock_as(&member, &name)?))
    }

    /// Takes the exclusive lock `name` as the configured member, waiting up to `wait_ms`
    /// for it. `*token_out` is 0 when the time ran out. See `gr_acquire`.
    #[c(gr_try_lock, out = token_out)]
    fn try_lock(conn: Open, name: String, wait_ms: Duration) -> Token {
        Ok(Token(conn.try_lock(&name, wait_ms)?))
    }

    /// Releases one hold of `name` taken by `member` (NULL: the configured member) of
    /// this connector's session (the seed API's release(conn, member, name)). Waiters are
    /// woken when the last hold goes.
    /// Errors: GR_LOCK_NOT_HELD when this member of this session does not hold it (nothing
    /// changed), GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION,
    /// GR_TIMEOUT.
    /// Thread-safety: safe from many threads.
    #[c(gr_release_as)]
    #[jni]
    fn release(conn: Open, member: Option<String>, name: String) -> Released {
        let released = match member {
            Some(member) => conn.release_as(&member, &name)?,
            None => conn.release(&name)?,
        };
        Ok(Released::new(released, &name))
    }

    /// Releases one hold of `name` taken as the configured member: `gr_release_as` with a
    /// NULL member.
    #[c(gr_release)]
    fn release_own(conn: Open, name: String) -> Released {
        Ok(Released::new(conn.release(&name)?, &name))
    }

    /// Writes whether this connector holds `name` with a lease still good to `*held_out`.
    /// Answers locally without I/O; false from the moment the lease may have run out
    /// (LOST).
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
    /// GR_CLOSED.
    #[c(gr_is_held, out = held_out)]
    #[jni]
    fn is_held(conn: Open, name: String) -> bool {
        conn.is_held(&name)
    }

    /// Writes the fencing token of `name` if this connector holds it (see `gr_is_held`),
    /// else 0, to `*token_out`. Answers locally without I/O.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
    /// GR_CLOSED.
    #[c(gr_held_token, out = token_out)]
    #[jni]
    fn held_token(conn: Open, name: String) -> Token {
        Ok(Token(conn.held_token(&name)?))
    }

    /// Writes who holds `name` now, read from Redis (any connector may ask about any
    /// lock), to `*holder_json_out` as JSON {"member": ..., "session": ..., "token": n},
    /// or NULL when the lock is free. A holder whose lease has run out is not reported.
    /// Ownership: free `*holder_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
    /// GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_lock_holder, out = holder_json_out)]
    #[jni]
    fn lock_holder(conn: Open, name: String) -> Option<Json<grcore::LockHolder>> {
        Ok(conn.lock_holder(&name)?.map(Json))
    }

    /// Writes what Redis says of `name` to `*status_json_out` as JSON {"holder": {...} or
    /// null, "grants_held_until_ms": n or null}: the holder as `gr_lock_holder` reports
    /// it, and, when the lock is free but no lock of the group is granted yet (Redis lost
    /// or rolled back the group's state: a restart grace), the server time in ms since the
    /// Unix epoch from which grants resume. `gr_lock` reports not-acquired until then.
    /// Ownership: free `*status_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
    /// GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_lock_status, out = status_json_out)]
    #[jni]
    fn lock_status(conn: Open, name: String) -> Json<grcore::LockStatus> {
        Ok(Json(conn.lock_status(&name)?))
    }
}
