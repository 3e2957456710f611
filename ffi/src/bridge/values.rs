//! The result types both bridges share, so a result has one shape in every language.

use grcore::Error;
use serde::Serialize;

/// A connector argument that must be open: a closed connector is refused (GR_CLOSED,
/// `ConnectorClosedException`).
pub(crate) struct Open;

/// A connector argument in any state (close, state).
pub(crate) struct Any;

/// A document sent as JSON text.
pub(crate) struct Json<T>(pub T);

impl<T: Serialize> Json<T> {
    pub(crate) fn into_text(self) -> Result<String, Error> {
        serde_json::to_string(&self.0).map_err(|e| Error::InvalidJson(e.to_string()))
    }
}

/// A fencing token or version that may be absent. Tokens and versions start at 1, so
/// absent is 0 in every binding (C `uint64_t`, Java `long`).
pub(crate) struct Token(pub Option<u64>);

impl Token {
    pub(crate) fn as_number(&self) -> u64 {
        self.0.unwrap_or(0)
    }
}

/// The outcome of a release: C reports a lock not held as GR_LOCK_NOT_HELD, Java as
/// `false`.
pub(crate) enum Released {
    Yes,
    /// The lock (named) was not held by this member of this session; nothing changed.
    NotHeld(String),
}

impl Released {
    pub(crate) fn new(released: bool, name: &str) -> Self {
        if released {
            Released::Yes
        } else {
            Released::NotHeld(name.to_string())
        }
    }
}
