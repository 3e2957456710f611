//! Membership: join, leave, the member list and payloads.

use grcore::{Member, Value};

use crate::bridge::bridge_fns;
use crate::bridge::values::{Json, Open};

bridge_fns! {
    /// Joins the group as `member_id` (NULL: the configured member id) with the
    /// connector's sub-groups and `payload_json` (NULL: the configured payload). Joining
    /// again with the same id updates the record. If `member_json_out` is not NULL it
    /// receives the member as JSON: {"id","sub_groups":[...],"payload","joined_at" (ms,
    /// Redis time),"session","online" (see `gr_set_online`)}.
    /// Ownership: free `*member_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT (conn), GR_INVALID_ARGUMENT (empty, oversized, not UTF-8,
    /// payload over 64 KiB), GR_INVALID_JSON, GR_MEMBER_EXISTS (another live session holds
    /// the id), GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_SESSION_EXPIRED.
    #[c(gr_join, optional_out = member_json_out)]
    #[jni]
    fn join(conn: Open, member_id: Option<String>, payload_json: Option<Value>) -> Json<Member> {
        Ok(Json(conn.join(member_id.as_deref(), payload_json)?))
    }

    /// Leaves the group as `member_id` (NULL: the configured member id). `*left_out` (may
    /// be NULL) is false when this connector was not that member.
    /// Errors: GR_NULL_ARGUMENT (conn), GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION,
    /// GR_TIMEOUT.
    #[c(gr_leave, optional_out = left_out)]
    #[jni]
    fn leave(conn: Open, member_id: Option<String>) -> bool {
        conn.leave(member_id.as_deref())
    }

    /// Writes every live member of the group, sorted by id, to `*members_json_out` as a
    /// JSON array of member objects (see `gr_join`). One round trip for any group size.
    /// Ownership: free `*members_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT, GR_PROTOCOL.
    #[c(gr_members, out = members_json_out)]
    #[jni]
    fn members(conn: Open) -> Json<Vec<Member>> {
        Ok(Json(conn.members()?))
    }

    /// Replaces the payload of `member_id` (NULL: the configured member id), which this
    /// connector joined; subscribers see an update event.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not joined here, too large),
    /// GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_update_payload)]
    #[jni]
    fn update_payload(conn: Open, member_id: Option<String>, payload_json: Value) -> () {
        conn.update_payload(member_id.as_deref(), payload_json)
    }

    /// Sets `member_id` (NULL: the configured member id), which this connector joined,
    /// online or offline without leaving: it stays a member, `gr_members` shows the flag
    /// ("online") and subscribers see an update event. Members join online; the flag is
    /// restored with the payload after a reconnect.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not joined here), GR_CLOSED,
    /// GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_set_online)]
    #[jni]
    fn set_online(conn: Open, member_id: Option<String>, online: bool) -> () {
        conn.set_online(member_id.as_deref(), online)
    }
}
