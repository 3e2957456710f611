//! The protocol every binding and tool depends on (docs/PROTOCOL.md): the Redis key names
//! ([`keys`], their one source), the stored records, and the operations as one Redis
//! function library with the same code as scripts (`scripts`, `lua/`).

pub mod keys;
pub(crate) mod records;
pub(crate) mod scripts;
