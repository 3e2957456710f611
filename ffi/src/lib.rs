//! The one native library every binding loads: the C ABI (`c_api`, header
//! include/group_redis.h) and the JNI bridge (`jni_api`). Both are thin: they check and
//! convert arguments, call the core's blocking facade and map errors; no logic lives here.
//! `logs` forwards the core's log records to whichever binding installed a sink.

pub mod c_api;

/// cbindgen:ignore
mod bridge;

/// cbindgen:ignore
#[doc(hidden)]
pub mod ops;

/// cbindgen:ignore
mod logs;

/// cbindgen:ignore
mod jni_api;
