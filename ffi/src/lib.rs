//! The one native library every binding loads. The C ABI and JNI modules are added by the
//! bindings work; until then this crate only re-exports the core so the workspace layout is
//! in place.
pub use group_redis as core;
