//! Membership: joining and leaving the group, the member list, payloads and sub-groups
//! ([`member`] for the types), and subscriptions to membership events ([`subscription`],
//! [`feed`]).

pub(crate) mod feed;
pub(crate) mod member;
pub(crate) mod subscription;

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::membership::member::{parse_members, Member};
use crate::names::check_name;
use crate::session::record::MemberSpec;
use crate::session::registrations::MemberWrite;
use crate::session::Session;

/// The largest member payload accepted (bytes of JSON): payloads are meant to be small.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

/// Added to a dead holder's lease when `join` waits for its end (see `register_member`).
const WAIT_SLACK: Duration = Duration::from_millis(100);

impl Connector {
    /// Joins the group as `member_id` (the configured member id when `None`) with the
    /// configured sub-groups and `payload` (the configured payload when `None`). Joining
    /// again with the same id updates the record. Fails with [`Error::MemberExists`] when
    /// another live session holds the id. When the holder is past its deadline but this
    /// connector may not end it yet (it has just started: the clock-step rule), waits up to
    /// that session's lease for it to end and then joins, so a process restarted with a
    /// stable member id joins as soon as its old session's lease has run out.
    #[tracing::instrument(
        name = "join",
        skip_all,
        fields(group = self.group(), member = self.member_or_own(member_id))
    )]
    pub async fn join(&self, member_id: Option<&str>, payload: Option<Value>) -> Result<Member> {
        self.inner.check_open()?;
        let id = member_id
            .unwrap_or(&self.inner.config.member_id)
            .to_string();
        check_name("member id", &id)?;
        let payload = payload.unwrap_or_else(|| self.inner.config.payload.clone());
        check_payload(&payload)?;
        let (sid, online) = {
            let record = self.inner.record();
            // Joining again keeps the flag the member set; a new member is online.
            let online = record.memberships.get(&id).map_or(true, |spec| spec.online);
            (record.id.clone(), online)
        };
        self.write_spec(&sid, &id, MemberSpec { payload, online })
            .await
    }

    /// Leaves the group as `member_id` (the configured one when `None`). Returns false when
    /// this connector was not that member.
    #[tracing::instrument(
        name = "leave",
        skip_all,
        fields(group = self.group(), member = self.member_or_own(member_id))
    )]
    pub async fn leave(&self, member_id: Option<&str>) -> Result<bool> {
        self.inner.check_open()?;
        let id = member_id
            .unwrap_or(&self.inner.config.member_id)
            .to_string();
        check_name("member id", &id)?;
        let sid = self.inner.record().id.clone();
        self.inner.record().memberships.remove(&id);
        let left: i64 = self
            .inner
            .run(&self.inner.scripts.leave, &[sid.as_str(), id.as_str()])
            .await?;
        Ok(left == 1)
    }

    /// Every live member of the group with its sub-groups, payload and join time, in one
    /// round trip, sorted by id.
    #[tracing::instrument(name = "members", skip_all, fields(group = self.group()))]
    pub async fn members(&self) -> Result<Vec<Member>> {
        self.inner.check_open()?;
        let records: Vec<String> = self
            .inner
            .run_idempotent(&self.inner.scripts.members, &[])
            .await?;
        let mut members = parse_members(&records);
        members.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(members)
    }

    /// Replaces the payload of `member_id` (which this connector joined); subscribers see
    /// an update event.
    #[tracing::instrument(
        name = "update_payload",
        skip_all,
        fields(group = self.group(), member = self.member_or_own(member_id))
    )]
    pub async fn update_payload(&self, member_id: Option<&str>, payload: Value) -> Result<()> {
        self.inner.check_open()?;
        let id = member_id
            .unwrap_or(&self.inner.config.member_id)
            .to_string();
        check_name("member id", &id)?;
        check_payload(&payload)?;
        let (sid, spec) = self.joined_spec(&id)?;
        self.write_spec(&sid, &id, MemberSpec { payload, ..spec })
            .await
            .map(|_| ())
    }

    /// Sets `member_id` (which this connector joined; the configured one when `None`)
    /// online or offline without leaving: it stays in [`Connector::members`] with the flag
    /// ([`Member::online`]) and subscribers see an update event. Members join online; the
    /// flag is kept across a reconnect, as the payload is.
    #[tracing::instrument(
        name = "set_online",
        skip_all,
        fields(group = self.group(), member = self.member_or_own(member_id), online = online)
    )]
    pub async fn set_online(&self, member_id: Option<&str>, online: bool) -> Result<()> {
        self.inner.check_open()?;
        let id = member_id
            .unwrap_or(&self.inner.config.member_id)
            .to_string();
        check_name("member id", &id)?;
        let (sid, spec) = self.joined_spec(&id)?;
        self.write_spec(&sid, &id, MemberSpec { online, ..spec })
            .await
            .map(|_| ())
    }

    /// The current session and what this connector last set for member `id`.
    fn joined_spec(&self, id: &str) -> Result<(String, MemberSpec)> {
        let record = self.inner.record();
        match record.memberships.get(id) {
            Some(spec) => Ok((record.id.clone(), spec.clone())),
            None => Err(Error::InvalidArgument(format!(
                "member {id} was not joined by this connector"
            ))),
        }
    }

    /// Writes member `id` as `spec` under session `sid` and, if that session is still the
    /// current one, records `spec` so a new session restores it.
    async fn write_spec(&self, sid: &str, id: &str, spec: MemberSpec) -> Result<Member> {
        let member = self.inner.register_member(sid, id, &spec).await?;
        let mut record = self.inner.record();
        if record.id == sid {
            record.memberships.insert(id.to_string(), spec);
        }
        Ok(member)
    }

    /// Adds `sub_group` to this connector's sub-groups and updates every member it joined.
    #[tracing::instrument(
        name = "add_sub_group",
        skip_all,
        fields(group = self.group(), sub_group = sub_group)
    )]
    pub async fn add_sub_group(&self, sub_group: &str) -> Result<()> {
        check_name("sub-group", sub_group)?;
        self.change_sub_groups(|groups| {
            if !groups.iter().any(|g| g == sub_group) {
                groups.push(sub_group.to_string());
            }
        })
        .await
    }

    /// Removes `sub_group` from this connector's sub-groups and updates every member it
    /// joined.
    #[tracing::instrument(
        name = "remove_sub_group",
        skip_all,
        fields(group = self.group(), sub_group = sub_group)
    )]
    pub async fn remove_sub_group(&self, sub_group: &str) -> Result<()> {
        check_name("sub-group", sub_group)?;
        self.change_sub_groups(|groups| groups.retain(|g| g != sub_group))
            .await
    }

    /// The sub-groups members of this connector join with.
    pub fn sub_groups(&self) -> Vec<String> {
        self.inner.sub_groups.lock().unwrap().clone()
    }

    async fn change_sub_groups(&self, change: impl FnOnce(&mut Vec<String>)) -> Result<()> {
        self.inner.check_open()?;
        change(&mut self.inner.sub_groups.lock().unwrap());
        let (sid, joined) = {
            let record = self.inner.record();
            (record.id.clone(), record.memberships.clone())
        };
        for (id, spec) in joined {
            self.inner.register_member(&sid, &id, &spec).await?;
        }
        Ok(())
    }
}

impl Session {
    /// Writes member `id` under session `sid` and returns it as readers will see it.
    ///
    /// When another session holds the id and is past its deadline, but this connector may not
    /// end it yet (a connector that has just started does not yet trust that session's
    /// deadline: the clock-step rule, docs/PROTOCOL.md "Sessions and reaping"), waits up to
    /// that session's lease for it to end, then joins: a process restarted with a stable id
    /// joins as soon as its old session's lease has run out. [`Error::MemberExists`] only
    /// while the holder is alive, or still in doubt after that wait.
    async fn register_member(&self, sid: &str, id: &str, spec: &MemberSpec) -> Result<Member> {
        let mut give_up: Option<Instant> = None;
        let (sub_groups, joined_at) = loop {
            match self.write_member(sid, id, spec).await? {
                MemberWrite::Written(sub_groups, joined_at) => break (sub_groups, joined_at),
                MemberWrite::HolderInDoubt { retry_in, lease } => {
                    // The vouched clock lags the server's by up to a round trip: a little
                    // slack so the last retry lands after the holder's end.
                    let give_up =
                        *give_up.get_or_insert_with(|| Instant::now() + lease + WAIT_SLACK);
                    let left = give_up.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::MemberExists(format!(
                            "member {id} is held by a session past its deadline that did not \
                             end within its lease"
                        )));
                    }
                    tracing::debug!(
                        member = id,
                        ?retry_in,
                        "the member id's holder is past its deadline; waiting for its end"
                    );
                    tokio::time::sleep(retry_in.min(left)).await;
                }
            }
        };
        Ok(Member {
            id: id.to_string(),
            sub_groups,
            payload: spec.payload.clone(),
            joined_at,
            session: sid.to_string(),
            online: spec.online,
        })
    }
}

fn check_payload(payload: &Value) -> Result<()> {
    crate::data::check_depth(payload)?;
    let size = serde_json::to_vec(payload)?.len();
    if size > MAX_PAYLOAD_BYTES {
        return Err(Error::InvalidArgument(format!(
            "member payload is {size} bytes of JSON, more than {MAX_PAYLOAD_BYTES}"
        )));
    }
    Ok(())
}
