//! The JNI bridge behind the Java classes in package `group_redis` (java/ in this repo).
//!
//! Every native method lives on one Java class, `group_redis.NativeLib`, as a static
//! method taking plain values: handles as `long`, names as `String`, JSON documents as
//! `String`. The Java side turns JSON text into Java objects with a JSON library, so this
//! layer never walks Java collections and keeps the JNI surface small.
//!
//! Rules every export here follows:
//! - its body runs inside `EnvUnowned::with_env`, which catches panics, and its outcome is
//!   resolved by [`errors::ThrowGroupRedis`]: a core error becomes the matching
//!   `group_redis.*Exception`, a panic a `GroupRedisException`; nothing crosses unwinding;
//! - handles are raw pointers to boxes owned by the Java objects, which count their callers
//!   so a box is freed only after its last call returned (see `NativeHandle.java`);
//! - Java objects kept beyond a call (listeners) are held as global references that are
//!   dropped when the subscription ends.

pub(crate) mod args;
mod connector;
pub(crate) mod errors;
pub(crate) mod handles;
mod listeners;
mod logs;

/// Bumped whenever a native signature changes; the Java loader refuses a library whose
/// number differs from the one it was compiled against.
pub(crate) const ABI_VERSION: i32 = 4;
