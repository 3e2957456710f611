//! Members of the group and membership events.

pub(crate) mod events;
pub(crate) mod member;
