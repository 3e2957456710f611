//! The writes of what a session registers (member records, ephemeral keys), shared by the
//! operations that add them and by the restore of a replaced session.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::protocol::records::MemberRecord;
use crate::session::record::MemberSpec;
use crate::session::Session;

/// What the join script did with a member record.
pub(crate) enum MemberWrite {
    /// Written (joined, updated or unchanged): the sub-groups written and the join time
    /// (server ms).
    Written(Vec<String>, u64),
    /// Another session holds the id and is past its deadline on the server clock, but this
    /// connector may not end it yet (it has not watched the server clock for a whole lease of
    /// that session since its last renewal: the clock-step rule, docs/PROTOCOL.md "Sessions
    /// and reaping"). Ask again after `retry_in`; `lease` is that session's lease.
    HolderInDoubt { retry_in: Duration, lease: Duration },
}

impl Session {
    /// Writes the record of member `id` under session `sid` with the connector's current
    /// sub-groups.
    pub async fn write_member(
        &self,
        sid: &str,
        id: &str,
        spec: &MemberSpec,
    ) -> Result<MemberWrite> {
        let sub_groups = self.sub_groups.lock().unwrap().clone();
        let record = serde_json::to_string(&MemberRecord {
            id,
            session: sid,
            sub_groups: &sub_groups,
            payload: &spec.payload,
            online: spec.online,
        })?;
        let reply: Vec<String> = self.run(&self.scripts.join, &[sid, id, &record]).await?;
        let number = |text: &str| {
            text.parse::<u64>()
                .map_err(|_| Error::protocol(format!("bad number {text:?} in join reply")))
        };
        match reply.as_slice() {
            [kind, retry_ms, lease_ms] if kind == "wait" => Ok(MemberWrite::HolderInDoubt {
                retry_in: Duration::from_millis(number(retry_ms)?),
                lease: Duration::from_millis(number(lease_ms)?),
            }),
            [_kind, joined_at] => Ok(MemberWrite::Written(sub_groups, number(joined_at)?)),
            _ => Err(Error::protocol(format!("bad join reply {reply:?}"))),
        }
    }

    /// Sets ephemeral `key` to the JSON `text` under session `sid`.
    pub async fn write_ephemeral(&self, sid: &str, key: &str, text: &str) -> Result<()> {
        let _: i64 = self.run(&self.scripts.eph_set, &[sid, key, text]).await?;
        Ok(())
    }
}
