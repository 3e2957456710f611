//! Messages to live members: to one member, to every member (of a sub-group), and
//! request/reply; and listening to a member's messages. A message goes to the recipient's
//! inbox in one script that checks the recipient is live, so an unknown or dead member is
//! an error at send time, never a silent drop (docs/PROTOCOL.md, "Messages").

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::connector::Connector;
use crate::data::{decode, encode};
use crate::error::{Error, Result};
use crate::messages::inbox::Inbox;
use crate::messages::readers::WAIT_SLICE;
use crate::messages::{InboxSnapshot, Message, MessageSubscription};
use crate::names::check_name;
use crate::session::calls::SlotMove;
use crate::subscription::follower::connection;
use crate::subscription::follower::Known;
use crate::subscription::open::Start;

/// How long a reply waits for its requester to take it (then Redis drops it).
const REPLY_KEPT: Duration = Duration::from_secs(60);

impl Connector {
    async fn deliver(
        &self,
        mode: &str,
        target: &str,
        kind: &str,
        payload: &Value,
        request_id: &str,
    ) -> Result<u64> {
        self.inner.check_open()?;
        let text = encode(payload)?;
        let sid = self.session_id();
        let from = self.config().member_id().to_string();
        self.inner
            .run(
                &self.inner.scripts.message,
                &[mode, target, &from, &sid, kind, &text, request_id],
            )
            .await
    }

    /// Sends `payload` to the live member `member_id`. It is delivered to that member's
    /// listeners, after the messages this connector sent it before. An unknown member, or
    /// one whose lease ran out, is [`Error::InvalidArgument`] naming it.
    #[tracing::instrument(name = "send", skip_all, fields(group = self.group(), to = member_id))]
    pub async fn send(&self, member_id: &str, payload: &Value) -> Result<()> {
        check_name("member id", member_id)?;
        self.deliver("to", member_id, "send", payload, "").await?;
        Ok(())
    }

    /// Sends `payload` to every live member of the group, or of `sub_group`; returns how
    /// many members it went to. Each of them gets it once, in the order this connector sent.
    #[tracing::instrument(name = "broadcast", skip_all, fields(group = self.group()))]
    pub async fn broadcast(&self, payload: &Value, sub_group: Option<&str>) -> Result<u64> {
        if let Some(sub_group) = sub_group {
            check_name("sub-group", sub_group)?;
        }
        self.deliver("all", sub_group.unwrap_or(""), "broadcast", payload, "")
            .await
    }

    /// Sends a request to the live member `member_id` and waits up to `timeout` for its
    /// [`Connector::reply`]. An unknown or dead member is [`Error::InvalidArgument`]; no
    /// reply in time is [`Error::Timeout`] (the member may still answer later: the late
    /// reply is dropped).
    #[tracing::instrument(name = "request", skip_all, fields(group = self.group(), to = member_id))]
    pub async fn request(
        &self,
        member_id: &str,
        payload: &Value,
        timeout: Duration,
    ) -> Result<Value> {
        check_name("member id", member_id)?;
        let request_id = format!("{:032x}", rand::random::<u128>());
        let key = self.inner.keys.reply(&request_id);
        let deadline = Instant::now() + timeout;
        let mut slot_move = SlotMove::new();
        // The reader is ready before the request goes out, so the wait starts at once.
        let mut conn = self.inner.borrow_reader().await?;
        if let Err(err) = self
            .deliver("to", member_id, "request", payload, &request_id)
            .await
        {
            self.inner.return_reader(conn);
            return Err(err);
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.inner.return_reader(conn);
                return Err(Error::Timeout(format!(
                    "no reply from member {member_id} within {timeout:?}"
                )));
            }
            self.inner.check_open()?;
            let slice = left.min(WAIT_SLICE).as_secs_f64().max(0.001);
            let reply: Option<(String, String)> = match redis::cmd("BLPOP")
                .arg(&key)
                .arg(format!("{slice:.3}"))
                .query_async(
                    connection(&mut conn)
                        .await
                        .map_err(|e| self.inner.transport.error(e))?,
                )
                .await
            {
                // The group's slot is moving (Redis Cluster): wait again once it settled.
                Err(err) if self.inner.transport.is_cluster() && slot_move.retry(&err) => {
                    let _ = self.inner.transport.error(err);
                    slot_move.pause().await;
                    continue;
                }
                result => result.map_err(|e| self.inner.transport.error(e))?,
            };
            if let Some((_, text)) = reply {
                self.inner.return_reader(conn);
                return decode("reply", &text);
            }
        }
    }

    /// Answers `request` (a message of kind request) with `payload`.
    pub async fn reply(&self, request: &Message, payload: &Value) -> Result<()> {
        self.inner.check_open()?;
        let Some(request_id) = request.request_id.as_deref() else {
            return Err(Error::InvalidArgument(format!(
                "message {} is a {:?}, not a request",
                request.id, request.kind
            )));
        };
        let text = encode(payload)?;
        let kept = REPLY_KEPT.as_millis().to_string();
        let _: i64 = self
            .inner
            .run(&self.inner.scripts.reply, &[request_id, &text, &kept])
            .await?;
        Ok(())
    }

    /// Subscribes to the messages of `member_id` (default: the connector's member id), a
    /// member this connector joined. The first listener gets every message in the member's
    /// inbox (those sent before it started too); a later listener of this connector starts
    /// after what an earlier one was given. Messages arrive in the order they were sent
    /// (per sender), each once, also across a broken connection: the inbox lives as long
    /// as the member's session. When the member leaves, its inbox and undelivered
    /// messages go; the subscription stays and, if the member joins again (also under a
    /// new session after a lost one), delivers from the new inbox's first message.
    #[tracing::instrument(name = "listen", skip_all, fields(group = self.group()))]
    pub async fn listen(&self, member_id: Option<&str>) -> Result<MessageSubscription> {
        let member = member_id.unwrap_or(self.config().member_id()).to_string();
        check_name("member id", &member)?;
        let feed = Inbox::new(
            self.inner.keys.clone(),
            &member,
            self.inner.messages.delivered.clone(),
        );
        self.follow(feed, move |feed, position, state| Start {
            known: Known {
                position: feed.start(position),
                state,
            },
            resync_first: false,
            snapshot: InboxSnapshot { member_id: member },
        })
        .await
    }
}
