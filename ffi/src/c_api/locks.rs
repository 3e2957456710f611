//! Locks: exclusive and re-entrant, on behalf of a member, with a wait, each acquisition
//! giving a fencing token. Tokens start at 1, so 0 always means "not acquired".

use std::ffi::c_char;
use std::time::Duration;

use super::connector::{gr_connector, open_connector, outcome};
use super::status::{gr_status, guard, FfiError};
use super::strings::{optional_str, out_ptr, required_str};

/// The general acquire: `member` NULL means the configured member id; `reentrant` lets a
/// holder take the lock again (one more hold, same token); `wait_ms` 0 tries once,
/// otherwise waits up to that long for a release (woken by the holder's release, with the
/// holder's lease deadline as fallback; no polling).
///
/// On GR_OK, `*token_out` is the fencing token (>= 1, strictly increasing per lock name
/// across the group's lifetime) or 0 when the lock was not acquired (held by someone else,
/// or by this member with `reentrant` false).
/// Thread-safety: safe from many threads; each call blocks only its own thread.
/// Errors: GR_NULL_ARGUMENT (conn, name, token_out), GR_INVALID_ARGUMENT (empty, oversized,
/// not UTF-8), GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
///
/// # Safety
/// `conn` is NULL or live; strings are NULL or NUL-terminated; `token_out` is NULL or valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_acquire(
    conn: *const gr_connector,
    name: *const c_char,
    member: *const c_char,
    reentrant: bool,
    wait_ms: u64,
    token_out: *mut u64,
) -> gr_status {
    guard(|| {
        let out = out_ptr(token_out, "token_out", 0)?;
        let connector = open_connector(conn)?;
        let name = required_str(name, "lock name")?;
        let member = optional_str(member, "member")?;
        let wait = Duration::from_millis(wait_ms);
        let acquired = connector.acquire(name, member, reentrant, wait);
        *out = outcome(connector, acquired)?.unwrap_or(0);
        Ok(())
    })
}

/// Takes the exclusive lock `name` as the configured member without waiting. Not
/// re-entrant: a second call by the same member gives token 0. See `gr_acquire` for the
/// token, thread-safety and errors.
///
/// # Safety
/// As `gr_acquire`.
#[no_mangle]
pub unsafe extern "C" fn gr_lock(
    conn: *const gr_connector,
    name: *const c_char,
    token_out: *mut u64,
) -> gr_status {
    gr_acquire(conn, name, std::ptr::null(), false, 0, token_out)
}

/// `gr_lock` on behalf of `member` (required; the seed API's lock(conn, member, name)).
/// See `gr_acquire`.
///
/// # Safety
/// As `gr_acquire`.
#[no_mangle]
pub unsafe extern "C" fn gr_lock_as(
    conn: *const gr_connector,
    member: *const c_char,
    name: *const c_char,
    token_out: *mut u64,
) -> gr_status {
    if member.is_null() {
        return guard(|| Err(FfiError::null("member")));
    }
    gr_acquire(conn, name, member, false, 0, token_out)
}

/// Takes `name` re-entrantly as the configured member without waiting: a holder taking it
/// again adds a hold (same token); each `gr_release` removes one, and the lock is freed at
/// zero. See `gr_acquire`.
///
/// # Safety
/// As `gr_acquire`.
#[no_mangle]
pub unsafe extern "C" fn gr_reentrant_lock(
    conn: *const gr_connector,
    name: *const c_char,
    token_out: *mut u64,
) -> gr_status {
    gr_acquire(conn, name, std::ptr::null(), true, 0, token_out)
}

/// `gr_reentrant_lock` on behalf of `member` (required). See `gr_acquire`.
///
/// # Safety
/// As `gr_acquire`.
#[no_mangle]
pub unsafe extern "C" fn gr_reentrant_lock_as(
    conn: *const gr_connector,
    member: *const c_char,
    name: *const c_char,
    token_out: *mut u64,
) -> gr_status {
    if member.is_null() {
        return guard(|| Err(FfiError::null("member")));
    }
    gr_acquire(conn, name, member, true, 0, token_out)
}

/// Takes the exclusive lock `name` as the configured member, waiting up to `wait_ms` for
/// it. `*token_out` is 0 when the time ran out. See `gr_acquire`.
///
/// # Safety
/// As `gr_acquire`.
#[no_mangle]
pub unsafe extern "C" fn gr_try_lock(
    conn: *const gr_connector,
    name: *const c_char,
    wait_ms: u64,
    token_out: *mut u64,
) -> gr_status {
    gr_acquire(conn, name, std::ptr::null(), false, wait_ms, token_out)
}

/// Releases one hold of `name` taken by `member` (NULL: the configured member) of this
/// connector's session. Waiters are woken when the last hold goes.
///
/// Errors: GR_LOCK_NOT_HELD when this member of this session does not hold it (nothing
/// changed), GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
/// Thread-safety: safe from many threads.
///
/// # Safety
/// `conn` is NULL or live; strings are NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn gr_release_member(
    conn: *const gr_connector,
    name: *const c_char,
    member: *const c_char,
) -> gr_status {
    guard(|| {
        let connector = open_connector(conn)?;
        let name = required_str(name, "lock name")?;
        let released = match optional_str(member, "member")? {
            Some(member) => outcome(connector, connector.release_as(member, name))?,
            None => outcome(connector, connector.release(name))?,
        };
        if released {
            Ok(())
        } else {
            Err(FfiError::new(
                gr_status::GR_LOCK_NOT_HELD,
                format!("lock {name:?} is not held by this member of this session"),
            ))
        }
    })
}

/// Releases one hold of `name` taken as the configured member. See `gr_release_member`.
///
/// # Safety
/// As `gr_release_member`.
#[no_mangle]
pub unsafe extern "C" fn gr_release(conn: *const gr_connector, name: *const c_char) -> gr_status {
    gr_release_member(conn, name, std::ptr::null())
}

/// Releases one hold of `name` taken on behalf of `member` (required). See
/// `gr_release_member`.
///
/// # Safety
/// As `gr_release_member`.
#[no_mangle]
pub unsafe extern "C" fn gr_release_as(
    conn: *const gr_connector,
    member: *const c_char,
    name: *const c_char,
) -> gr_status {
    if member.is_null() {
        return guard(|| Err(FfiError::null("member")));
    }
    gr_release_member(conn, name, member)
}

/// Writes whether this connector holds `name` with a lease still good to `*held_out`.
/// Answers locally without I/O; false from the moment the lease may have run out (LOST).
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8), GR_CLOSED.
///
/// # Safety
/// `conn` is NULL or live; `name` is NULL or NUL-terminated; `held_out` is NULL or valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_is_held(
    conn: *const gr_connector,
    name: *const c_char,
    held_out: *mut bool,
) -> gr_status {
    guard(|| {
        let out = out_ptr(held_out, "held_out", false)?;
        let connector = open_connector(conn)?;
        *out = connector.is_held(required_str(name, "lock name")?)?;
        Ok(())
    })
}

/// Writes the fencing token of `name` if this connector holds it (see `gr_is_held`), else
/// 0, to `*token_out`. Answers locally without I/O.
/// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8), GR_CLOSED.
///
/// # Safety
/// `conn` is NULL or live; `name` is NULL or NUL-terminated; `token_out` is NULL or valid
/// for writes.
#[no_mangle]
pub unsafe extern "C" fn gr_held_token(
    conn: *const gr_connector,
    name: *const c_char,
    token_out: *mut u64,
) -> gr_status {
    guard(|| {
        let out = out_ptr(token_out, "token_out", 0)?;
        let connector = open_connector(conn)?;
        *out = connector
            .held_token(required_str(name, "lock name")?)?
            .unwrap_or(0);
        Ok(())
    })
}
