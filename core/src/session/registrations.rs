//! The writes of what a session registers (member records, ephemeral keys), shared by the
//! operations that add them and by the restore of a replaced session.

use serde_json::Value;

use crate::error::Result;
use crate::protocol::records::MemberRecord;
use crate::session::Session;

impl Session {
    /// Writes the record of member `id` under session `sid` with the connector's current
    /// sub-groups. Returns the sub-groups written and the join time (server ms).
    pub async fn write_member(
        &self,
        sid: &str,
        id: &str,
        payload: &Value,
    ) -> Result<(Vec<String>, u64)> {
        let sub_groups = self.sub_groups.lock().unwrap().clone();
        let record = serde_json::to_string(&MemberRecord {
            id,
            session: sid,
            sub_groups: &sub_groups,
            payload,
        })?;
        let (_kind, joined_at): (String, u64) =
            self.run(&self.scripts.join, &[sid, id, &record]).await?;
        Ok((sub_groups, joined_at))
    }

    /// Sets ephemeral `key` to the JSON `text` under session `sid`.
    pub async fn write_ephemeral(&self, sid: &str, key: &str, text: &str) -> Result<()> {
        let _: i64 = self.run(&self.scripts.eph_set, &[sid, key, text]).await?;
        Ok(())
    }
}
