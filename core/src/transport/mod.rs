//! Redis clients and connections, and the runtime that drives them.

pub(crate) mod direct;
pub(crate) mod notices;
pub(crate) mod runtime;
