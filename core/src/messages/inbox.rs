//! A member's inbox as a [`Feed`]: each entry carries the inbox counter `n` (one more per
//! message) and the inbox's incarnation as its epoch (the member's session and join time),
//! so the generic follower resumes after a broken connection, skips what it delivered, and
//! notices a trimmed or replaced inbox. A resync delivers from the first message still held.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use redis::aio::ConnectionManager;
use redis::streams::StreamId;

use crate::data::decode;
use crate::error::{Error, Result};
use crate::messages::{Message, MessageKind};
use crate::protocol::keys::Keys;
use crate::protocol::scripts::Scripts;
use crate::subscription::follower::{field, number, Feed, Position, Stamp};

/// Follows `gr:{g}:inbox:<member>`.
pub(crate) struct Inbox {
    keys: Keys,
    member: String,
    stream: String,
    scripts: Scripts,
    /// The connector's record of what its listeners were given (see `messages::Local`).
    delivered: Arc<Mutex<HashMap<String, (u64, String)>>>,
}

/// Where an inbox incarnation's delivery record is kept.
pub(crate) fn delivered_key(member: &str, incarnation: &str) -> String {
    format!("{member}\n{incarnation}")
}

impl Inbox {
    pub fn new(
        keys: Keys,
        member: &str,
        delivered: Arc<Mutex<HashMap<String, (u64, String)>>>,
    ) -> Self {
        Inbox {
            stream: keys.inbox(member),
            member: member.to_string(),
            keys,
            scripts: Scripts::new(),
            delivered,
        }
    }

    /// Where a new listener starts: after what an earlier listener of this connector was
    /// given, if that is further than `position`.
    pub fn start(&self, position: Position) -> Position {
        let key = delivered_key(&self.member, &position.epoch);
        match self.delivered.lock().unwrap().get(&key) {
            Some((counter, id)) if *counter > position.counter => Position {
                counter: *counter,
                last_id: id.clone(),
                ..position
            },
            _ => position,
        }
    }
}

fn kind(text: &str) -> Result<MessageKind> {
    Ok(match text {
        "send" => MessageKind::Send,
        "broadcast" => MessageKind::Broadcast,
        "request" => MessageKind::Request,
        other => return Err(Error::protocol(format!("unknown message kind {other:?}"))),
    })
}

impl Feed for Inbox {
    type Event = Message;
    type State = ();

    fn stream(&self) -> &str {
        &self.stream
    }

    async fn snapshot(&self, conn: &mut ConnectionManager) -> Result<(Position, ())> {
        // No evidence about time: a reader never ends sessions (lua/liveness.lua).
        let [vouched, trusted_since] = crate::session::clock::NO_EVIDENCE;
        let (incarnation, first, last, _last_id): (String, u64, u64, String) = self
            .scripts
            .run_async(
                &self.scripts.inbox_snapshot,
                &self.keys,
                &[self.keys.prefix(), &self.member, vouched, trusted_since],
                conn,
            )
            .await
            .map_err(Error::from)?;
        // From the first message held: what a listener started on (or came back to after
        // a gap) is delivered, not only what is sent from now on.
        let counter = if first > 0 { first - 1 } else { last };
        let position = Position {
            epoch: incarnation,
            counter,
            last_id: "0-0".to_string(),
        };
        Ok((position, ()))
    }

    fn stamp(&self, entry: &StreamId) -> Result<Stamp> {
        Ok(Stamp {
            epoch: Some(field(entry, "epoch")?),
            counter: number(&field(entry, "n")?, "message counter")?,
        })
    }

    fn apply(&self, _: &mut (), entry: &StreamId, position: &Position) -> Result<Vec<Message>> {
        self.delivered.lock().unwrap().insert(
            delivered_key(&self.member, &position.epoch),
            (position.counter, entry.id.clone()),
        );
        let request = field(entry, "request")?;
        Ok(vec![Message {
            to: self.member.clone(),
            from: field(entry, "from")?,
            session: field(entry, "session")?,
            kind: kind(&field(entry, "kind")?)?,
            payload: decode("message", &field(entry, "payload")?)?,
            request_id: (!request.is_empty()).then_some(request),
            id: entry.id.clone(),
        }])
    }

    fn diff(&self, _: &(), _: &(), position: &Position) -> Vec<Message> {
        tracing::warn!(
            member = self.member.as_str(),
            from = position.counter + 1,
            "messages to this member were lost (its inbox was trimmed or replaced); delivering from the first one held"
        );
        Vec::new()
    }
}
