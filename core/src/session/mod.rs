//! The session: its heartbeat, the evidence about server time, the connection state.

pub(crate) mod clock;
pub(crate) mod heartbeat;
pub(crate) mod state;
