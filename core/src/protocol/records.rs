//! The JSON records the protocol stores (docs/PROTOCOL.md). A stored member record is read
//! back as a [`crate::Member`].

use serde::Serialize;
use serde_json::Value;

/// The record a connector writes for a member; the join script prepends `joined_at`.
#[derive(Serialize)]
pub(crate) struct MemberRecord<'a> {
    pub id: &'a str,
    pub session: &'a str,
    pub sub_groups: &'a [String],
    pub payload: &'a Value,
    pub online: bool,
}
