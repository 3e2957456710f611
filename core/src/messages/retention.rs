//! The topic retention timer: a connector that uses topics applies every topic's
//! retention (length and age) once per [`TRIM_EVERY`], so old messages go even when
//! nobody sends or reads (docs/PROTOCOL.md, "Topics").

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::session::Session;
use crate::transport::runtime;

/// How often the retention of every topic is applied.
pub(crate) const TRIM_EVERY: Duration = Duration::from_secs(1);

impl Session {
    /// Starts the retention timer unless it runs already.
    pub(crate) fn start_topic_trimmer(&self) {
        if self.messages.trimmer.swap(true, Ordering::SeqCst) {
            return;
        }
        let Some(me) = self.myself() else { return };
        let weak = Arc::downgrade(&me);
        drop(me);
        let task = runtime::handle().spawn(async move {
            loop {
                tokio::time::sleep(TRIM_EVERY).await;
                let Some(session) = weak.upgrade() else {
                    return;
                };
                let result: crate::Result<u64> = session
                    .run_idempotent(&session.scripts.topic_trim, &[])
                    .await;
                match result {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "topic retention applied"),
                    Err(err) => tracing::debug!(error = %err, "topic retention failed"),
                }
            }
        });
        self.tasks.lock().unwrap().push(task.abort_handle());
    }
}
