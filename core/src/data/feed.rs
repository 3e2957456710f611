//! Data events as a [`Feed`] of the group's data events stream (`gr:{g}:data-events`): one
//! entry per change with the data revision as its id, one stream for persistent and
//! ephemeral data; a watcher follows every entry (the revisions must be contiguous) and
//! reports those of its kind of data under its prefix.

use std::collections::BTreeMap;

use redis::aio::ConnectionManager;
use redis::streams::StreamId;
use serde_json::Value;

use crate::data::events::{DataEvent, DataEventKind};
use crate::data::{decode, Entry};
use crate::error::{Error, Result};
use crate::protocol::keys::Keys;
use crate::protocol::scripts::Scripts;
use crate::subscription::follower::{field, number, Feed, Position, Stamp};

/// Which data a watch follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    Persistent,
    Ephemeral,
}

impl Space {
    /// Its tag in the stream entries and the snapshot script.
    fn tag(self) -> &'static str {
        match self {
            Space::Persistent => "p",
            Space::Ephemeral => "e",
        }
    }
}

/// What a watcher knows: the watched keys with versions and values.
pub(crate) struct Watched {
    pub entries: BTreeMap<String, (u64, Value)>,
    /// Set while a watcher resumed from an old revision is replaying history up to this
    /// revision: its idea of the subscriber's keys is not exact until then, so a resync in
    /// that time reports every key.
    pub catching_up_to: Option<u64>,
    /// The oldest and newest revision the stream held at the snapshot (0: none).
    pub history: (u64, u64),
}

impl Watched {
    /// The entries as a sorted list.
    pub fn list(&self) -> Vec<Entry> {
        self.entries
            .iter()
            .map(|(path, (version, value))| Entry {
                path: path.clone(),
                value: value.clone(),
                version: *version,
            })
            .collect()
    }
}

/// Follows `gr:{g}:data-events` for keys of one space starting with `prefix`.
pub(crate) struct DataFeed {
    keys: Keys,
    stream: String,
    scripts: Scripts,
    space: Space,
    prefix: String,
}

impl DataFeed {
    pub fn new(keys: Keys, space: Space, prefix: &str) -> Self {
        DataFeed {
            stream: keys.data_events(),
            keys,
            scripts: Scripts::new(),
            space,
            prefix: prefix.to_string(),
        }
    }
}

impl Feed for DataFeed {
    type Event = DataEvent;
    type State = Watched;

    fn stream(&self) -> &str {
        &self.stream
    }

    async fn snapshot(&self, conn: &mut ConnectionManager) -> Result<(Position, Watched)> {
        // No evidence about time: a watcher never ends sessions (lua/liveness.lua).
        let [vouched, trusted_since] = crate::session::clock::NO_EVIDENCE;
        let reply: Vec<String> = self
            .scripts
            .run_async(
                &self.scripts.data_snapshot,
                &self.keys,
                &[
                    self.keys.prefix(),
                    self.space.tag(),
                    &self.prefix,
                    vouched,
                    trusted_since,
                ],
                conn,
            )
            .await?;
        let [epoch, revision, first, last, rest @ ..] = reply.as_slice() else {
            return Err(Error::protocol("short data snapshot reply"));
        };
        let mut entries = BTreeMap::new();
        for triple in rest.chunks(3) {
            let [path, text, version] = triple else {
                return Err(Error::protocol("odd data snapshot reply"));
            };
            // A value this library cannot read is left out with a warning, never fatal.
            match decode(path, text) {
                Ok(value) => {
                    entries.insert(path.clone(), (number(version, "version")?, value));
                }
                Err(err) => tracing::warn!(error = %err, "skipping a watched key"),
            }
        }
        let revision = number(revision, "data revision")?;
        let position = Position {
            epoch: epoch.clone(),
            counter: revision,
            last_id: format!("{revision}-0"),
        };
        let watched = Watched {
            entries,
            catching_up_to: None,
            history: (number(first, "revision")?, number(last, "revision")?),
        };
        Ok((position, watched))
    }

    fn stamp(&self, entry: &StreamId) -> Result<Stamp> {
        let (revision, _) = entry
            .id
            .split_once('-')
            .ok_or_else(|| Error::protocol("bad data event id"))?;
        Ok(Stamp {
            epoch: None,
            counter: number(revision, "data event id")?,
        })
    }

    fn apply(
        &self,
        watched: &mut Watched,
        entry: &StreamId,
        position: &Position,
    ) -> Result<Vec<DataEvent>> {
        if watched
            .catching_up_to
            .is_some_and(|until| position.counter >= until)
        {
            watched.catching_up_to = None;
        }
        let path = field(entry, "path")?;
        if field(entry, "space")? != self.space.tag() || !path.starts_with(&self.prefix) {
            return Ok(vec![]);
        }
        let version = number(&field(entry, "version")?, "version")?;
        let (kind, value) = match field(entry, "kind")?.as_str() {
            "put" => {
                let value = decode(&path, &field(entry, "value")?)?;
                watched
                    .entries
                    .insert(path.clone(), (version, value.clone()));
                (DataEventKind::Put, value)
            }
            "delete" => (DataEventKind::Delete, Value::Null),
            "expired" => (DataEventKind::Expired, Value::Null),
            _ => return Ok(vec![]),
        };
        if kind != DataEventKind::Put {
            watched.entries.remove(&path);
        }
        Ok(vec![DataEvent {
            path,
            kind,
            value,
            version,
            revision: position.counter,
            resync: false,
        }])
    }

    /// One event per path that differs, in path order: `delete` for a key gone (with the
    /// version it had), `put` for a key new or changed; all at the fresh revision, marked
    /// `resync`. A watcher still replaying history is told every key of the fresh state.
    fn diff(&self, old: &Watched, fresh: &Watched, position: &Position) -> Vec<DataEvent> {
        let exact = old.catching_up_to.is_none();
        let event = |path: &String, kind, value: &Value, version| DataEvent {
            path: path.clone(),
            kind,
            value: value.clone(),
            version,
            revision: position.counter,
            resync: true,
        };
        let mut events = Vec::new();
        for (path, (version, _)) in &old.entries {
            if !fresh.entries.contains_key(path) {
                events.push(event(path, DataEventKind::Delete, &Value::Null, *version));
            }
        }
        for (path, now) in &fresh.entries {
            if !exact || old.entries.get(path) != Some(now) {
                events.push(event(path, DataEventKind::Put, &now.1, now.0));
            }
        }
        events.sort_by(|a, b| a.path.cmp(&b.path));
        events
    }
}
