//! One error type for the whole library; every binding maps its variants to a status code
//! or an exception class, so variants are stable and coarse.

use std::fmt;

/// What went wrong. The message never contains a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A caller passed something unusable: an empty or oversized name, a NUL byte, a bad
    /// URL, an impossible timeout.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A value was not valid JSON (or could not be turned into JSON).
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// Redis could not be reached or the connection broke.
    #[error("connection error: {0}")]
    Connection(String),
    /// Redis did not answer in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The connector was closed; nothing more can be done with it.
    #[error("connector is closed")]
    Closed,
    /// The session's lease ran out before the operation could be applied; the connector
    /// is creating a new session.
    #[error("session expired: {0}")]
    SessionExpired(String),
    /// Nothing can be granted now because the session's lease is in doubt: a heartbeat
    /// failed (SUSPENDED). The session has not expired; retry once the state is CONNECTED
    /// again. (Once the lease ran out locally, LOST, the error is [`Error::SessionExpired`].)
    #[error("lease in doubt: {0}")]
    LeaseInDoubt(String),
    /// The member id is held by another live session.
    #[error("member exists: {0}")]
    MemberExists(String),
    /// The ephemeral key belongs to another live session.
    #[error("key owned by another session: {0}")]
    KeyOwned(String),
    /// Redis answered with an error not covered above.
    #[error("redis error: {0}")]
    Redis(String),
    /// Redis answered with data this library did not write (foreign or corrupt keys).
    #[error("protocol error: {0}")]
    Protocol(String),
}

/// Result with the library's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn protocol(what: impl fmt::Display) -> Self {
        Error::Protocol(what.to_string())
    }
}

impl From<redis::RedisError> for Error {
    fn from(err: redis::RedisError) -> Self {
        // Script errors raised with redis.error_reply('CODE message') arrive with the code
        // as the error code; map ours to their variants.
        match err.code() {
            Some("SESSION_EXPIRED") => return Error::SessionExpired(detail(&err)),
            Some("MEMBER_EXISTS") => return Error::MemberExists(detail(&err)),
            Some("KEY_OWNED") => return Error::KeyOwned(detail(&err)),
            Some("NO_MEMBER") => {
                return Error::InvalidArgument(format!("no live member: {}", detail(&err)))
            }
            _ => {}
        }
        if err.is_timeout() {
            Error::Timeout(err.to_string())
        } else if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || err.is_unrecoverable_error()
        {
            Error::Connection(err.to_string())
        } else {
            Error::Redis(err.to_string())
        }
    }
}

fn detail(err: &redis::RedisError) -> String {
    err.detail().unwrap_or_default().to_string()
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::InvalidJson(err.to_string())
    }
}
