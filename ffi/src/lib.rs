//! The one native library every binding loads: the C ABI (header include/group_redis.h)
//! and the JNI bridge. Each operation on a connector is defined once in `ops`; the
//! `bridge` macro emits its C and its JNI export from that definition. `c_api` and
//! `jni_api` hold what differs by nature (connect, options, events, handles, errors).
//! All of it is thin: arguments are checked and converted, the core's blocking facade is
//! called, errors are mapped; no logic lives here. `logs` forwards the core's log records
//! to whichever binding installed a sink.

pub mod c_api;

/// The one subscription handle behind every event kind (its type is in the header).
pub mod subscription;

/// Recipe handles (leader election; their types are in the header).
pub mod recipes;

/// cbindgen:ignore
mod bridge;

/// cbindgen:ignore
#[doc(hidden)]
pub mod ops;

/// cbindgen:ignore
mod logs;

/// cbindgen:ignore
mod jni_api;
