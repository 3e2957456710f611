//! The protocol every binding and tool depends on: key names and the Lua operations.

pub mod keys;
pub(crate) mod scripts;
