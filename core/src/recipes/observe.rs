//! Who leads a name, for anyone: [`Connector::leader`] asks once,
//! [`Connector::observe_leader`] follows every change, "no leader" included.
//!
//! The answer is always the holder of the campaign's lock as Redis knows it now
//! ([`Connector::lock_holder`]: a holder past its lease deadline is not reported, even
//! before it is reaped). The leader's ephemeral records `leader/<name>/<token>` (written
//! after it wins, deleted when it resigns, gone with its session) only say *when* to ask
//! again: the observer watches them, so a stale record (e.g. restored by an old leader's
//! new session) can never make it report a leader that does not hold the lock. Every
//! answer that differs from the last one delivered is delivered, so the latest state is
//! never skipped.
//!
//! On SUSPENDED / LOST of the observing connector nothing is reported (it cannot ask);
//! when contact is back it asks again and delivers the state then, if it changed.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::names::check_name;
use crate::recipes::{leader_lock, leader_record_prefix, SharedConnector};
use crate::subscription::{Event, Subscription};
use crate::transport::runtime;

/// How often the observer asks anyway while its watch of the records works (a backstop,
/// not the way changes are normally seen).
const RECHECK: Duration = Duration::from_secs(1);

/// How often it asks when the records cannot be watched.
const POLL: Duration = Duration::from_millis(100);

/// Who leads a name: `{"leader":"<member id>","token":N}`, or
/// `{"leader":null,"token":null}` when nobody does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderView {
    /// The leader's member id.
    pub leader: Option<String>,
    /// Its term's fencing token.
    pub token: Option<u64>,
}

impl Event for LeaderView {
    /// Who led when the subscription started.
    type Snapshot = LeaderView;
}

impl Connector {
    /// Who leads `name` now, read from Redis (any connector, campaigning or not).
    pub async fn leader(&self, name: &str) -> Result<LeaderView> {
        check_name("leader name", name)?;
        let holder = self.lock_holder(&leader_lock(name)).await?;
        Ok(LeaderView {
            token: holder.as_ref().map(|h| h.token),
            leader: holder.map(|h| h.member),
        })
    }

    /// Who leads `name` now (the snapshot) and every change after it, "no leader"
    /// included, until dropped or the connector closes.
    pub async fn observe_leader(&self, name: &str) -> Result<Subscription<LeaderView>> {
        check_name("leader name", name)?;
        // Watching first, so a change between the first answer and the watch is not missed.
        let records = self
            .watch_ephemeral(&leader_record_prefix(name), None)
            .await
            .map_err(|err| tracing::debug!(error = %err, "leader records not watchable; polling"))
            .ok();
        let now = self.leader(name).await?;
        let (sender, events) = mpsc::unbounded_channel();
        let connector = SharedConnector::new(self);
        let name = name.to_string();
        let last = now.clone();
        let task = runtime::handle().spawn(async move {
            follow(connector, name, last, records, sender).await;
        });
        Ok(Subscription::new(now, events, task.abort_handle()))
    }
}

async fn follow(
    connector: SharedConnector,
    name: String,
    mut last: LeaderView,
    mut records: Option<Subscription<crate::DataEvent>>,
    sender: mpsc::UnboundedSender<LeaderView>,
) {
    loop {
        match records.as_mut() {
            Some(watch) => {
                tokio::select! {
                    event = watch.next() => if event.is_none() { records = None },
                    _ = tokio::time::sleep(RECHECK) => {}
                }
            }
            None => tokio::time::sleep(POLL).await,
        }
        let now = match connector.leader(&name).await {
            Ok(now) => now,
            Err(Error::Closed) => return,
            // Not reachable now: ask again at the next wake-up.
            Err(_) => continue,
        };
        if now != last {
            if sender.send(now.clone()).is_err() {
                return;
            }
            last = now;
        }
    }
}
