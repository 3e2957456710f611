//! The one tokio runtime of the process. Background work (heartbeats, subscriptions,
//! connection drivers) runs here whatever runtime the caller uses, and the blocking facade
//! and the bindings `block_on` it. User callbacks never run on it.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};

use crate::error::{Error, Result};
use crate::transport::direct::CallerThread;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("group-redis")
            .enable_all()
            .build()
            .expect("group-redis cannot start its tokio runtime")
    })
}

/// The runtime's handle, for spawning background tasks.
pub fn handle() -> Handle {
    runtime().handle().clone()
}

/// Runs `future` to completion from a plain (non-async) thread.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if Handle::try_current().is_ok() {
        return Err(Error::InvalidArgument(
            "a blocking group-redis call was made from inside an async runtime; use the async API there".into(),
        ));
    }
    // Redis calls made while blocked here do their I/O on this thread (see direct.rs).
    let _caller = CallerThread::enter();
    Ok(runtime().block_on(future))
}
