//! Recipes: leader election (a [`gr_leadership`] handle whose events go through the one
//! subscription handle), who leads a name, and controlled assignments (a
//! [`gr_assignment`] handle).

use crate::bridge::bridge_fns;
use grcore::Value;

use crate::bridge::values::{Json, Open, Token};
use crate::recipes::{gr_assignment, gr_leadership, NewAssignment, NewLeadership};
use crate::subscription::{gr_subscription, NewSubscription};

bridge_fns! {
    /// Campaigns for leadership of `name` as the configured member and returns at once;
    /// the campaign goes on in the background (through SUSPENDED, LOST and Redis restarts)
    /// until `gr_leadership_resign` or `gr_leadership_free`, or the connector closes. A
    /// campaign waits for the lock "leader/<name>"; the term's fencing token is that lock's
    /// token, which only grows. At most one live session leads a name. SUSPENDED: a leader
    /// reports {"state":"UNSURE","token":N} and is not leader until renewed; LOST: it
    /// reports {"state":"FOLLOWER"} before anyone else can be elected, and campaigns again
    /// under its new session. Run one campaign per name per connector.
    /// Ownership: free `*leadership_out` with `gr_leadership_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (empty, oversized, not UTF-8),
    /// GR_CLOSED.
    #[c(gr_elect, out = leadership_out)]
    #[jni]
    fn elect(conn: Open, name: String) -> NewLeadership {
        Ok(NewLeadership(Box::new(gr_leadership { inner: conn.elect(&name)? })))
    }

    /// Whether this connector leads now, answered locally without I/O: the term is held,
    /// the lease is good and the connection is not SUSPENDED.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_leadership_is_leader, out = is_leader_out)]
    #[jni]
    fn leadership_is_leader(leadership: gr_leadership) -> bool {
        Ok(leadership.is_leader())
    }

    /// The term's fencing token while `gr_leadership_is_leader` holds, else 0 (locally).
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_leadership_token, out = token_out)]
    #[jni]
    fn leadership_token(leadership: gr_leadership) -> Token {
        Ok(Token(leadership.token()))
    }

    /// Subscribes to the leadership's changes of state. The snapshot is the state now and
    /// each event a new state, as JSON: {"state":"LEADER","token":N},
    /// {"state":"UNSURE","token":N} (lease in doubt: act as not leading) or
    /// {"state":"FOLLOWER"}. It ends (GR_CLOSED from `gr_subscription_next`) after the
    /// final FOLLOWER once resigned, freed or the connector closed.
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_leadership_subscribe, out = subscription_out)]
    #[jni]
    fn leadership_subscribe(leadership: gr_leadership) -> NewSubscription {
        gr_subscription::open(Ok(leadership.subscribe()))
    }

    /// Stops campaigning and gives leadership up now: the lock is released (the next
    /// leader is elected without waiting for a lease) and the term's record deleted.
    /// Returns when done. Idempotent; the handle is still freed with `gr_leadership_free`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_leadership_resign)]
    #[jni]
    fn leadership_resign(leadership: gr_leadership) -> () {
        leadership.resign()
    }

    /// Writes who leads `name` now, read from Redis (any connector, campaigning or not),
    /// to `*leader_json_out`: {"leader":"<member id>","token":N}, or
    /// {"leader":null,"token":null} when nobody does.
    /// Ownership: free `*leader_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_leader, out = leader_json_out)]
    #[jni]
    fn leader(conn: Open, name: String) -> Json<grcore::LeaderView> {
        Ok(Json(conn.leader(&name)?))
    }

    /// Subscribes to who leads `name`: the snapshot is the leader now and each event the
    /// new one, "no leader" included, as `gr_leader` writes them; every change is
    /// delivered (the latest state is never skipped).
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_observe_leader, out = subscription_out)]
    #[jni]
    fn observe_leader(conn: Open, name: String) -> NewSubscription {
        gr_subscription::open(conn.observe_leader(&name))
    }

    /// Takes part in assigning the ids of `ids_json` (a JSON array of strings) among the
    /// participants of `topic` (those of `sub_group` only, when not NULL: they must have
    /// joined it) as the configured member: every id to exactly one participant, shares
    /// differing by at most one, an id moving only when balance needs it and only after its
    /// previous owner let it go or its session ended. Every participant passes the id set;
    /// the leader's is the one used. Returns at once; the share comes through
    /// `gr_assignment_subscribe`. On LOST the share is dropped at once.
    /// Ownership: free `*assignment_out` with `gr_assignment_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT, GR_INVALID_JSON, GR_CLOSED,
    /// GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_assignments, out = assignment_out)]
    #[jni]
    fn assignments(conn: Open, topic: String, ids_json: Value, sub_group: Option<String>) -> NewAssignment {
        let ids: Vec<String> = serde_json::from_value(ids_json)
            .map_err(|e| grcore::Error::InvalidArgument(format!("ids_json must be an array of strings: {e}")))?;
        let inner = conn.assignments(&topic, &ids, sub_group.as_deref())?;
        Ok(NewAssignment(Box::new(gr_assignment { inner })))
    }

    /// Writes this participant's share now to `*share_json_out`:
    /// {"member":"<id>","epoch":N,"ids":[...],"tokens":{"<id>":N,...}} (each id's fencing
    /// token grows with every assignment of the id).
    /// Ownership: free `*share_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_assignment_share, out = share_json_out)]
    #[jni]
    fn assignment_share(assignment: gr_assignment) -> Json<grcore::AssignmentEvent> {
        Ok(Json(assignment.share()))
    }

    /// Subscribes to this participant's share: the snapshot is the share now, each event
    /// the new share when it changes, as `gr_assignment_share` writes it.
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_assignment_subscribe, out = subscription_out)]
    #[jni]
    fn assignment_subscribe(assignment: gr_assignment) -> NewSubscription {
        gr_subscription::open(Ok(assignment.subscribe()))
    }
}
