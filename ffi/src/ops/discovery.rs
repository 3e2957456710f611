//! Service discovery: a [`gr_provider`] handle over a live, event-fed cache of the group's
//! online members (see grcore's `recipes::discovery`), its changes through the one
//! subscription handle.

use std::time::Duration;

use grcore::{Error, Member, ProviderOptions, Strategy, Value};
use serde::Deserialize;

use crate::bridge::bridge_fns;
use crate::bridge::values::{Json, Open};
use crate::recipes::{gr_provider, NewProvider};
use crate::subscription::{gr_subscription, NewSubscription};

/// The provider options as every binding sends them (JSON); what is left out is the core's
/// default.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProviderSpec {
    strategy: Option<Strategy>,
    sub_group: Option<String>,
    election: Option<String>,
    down_for_ms: Option<u64>,
    error_threshold: Option<u32>,
}

fn provider_options(json: Option<Value>) -> grcore::Result<ProviderOptions> {
    let spec = match json {
        None | Some(Value::Null) => ProviderSpec::default(),
        Some(json) => serde_json::from_value(json)
            .map_err(|e| Error::InvalidArgument(format!("provider options: {e}")))?,
    };
    let defaults = ProviderOptions::default();
    Ok(ProviderOptions {
        strategy: spec.strategy.unwrap_or(defaults.strategy),
        sub_group: spec.sub_group,
        down_for: spec
            .down_for_ms
            .map_or(defaults.down_for, Duration::from_millis),
        error_threshold: spec.error_threshold.unwrap_or(defaults.error_threshold),
        election: spec.election,
    })
}

bridge_fns! {
    /// Opens a service provider: a live cache of the group's online members (of
    /// "sub_group" only, when given), fed by membership events (a gap in history is
    /// resynced), that picks one to call. `options_json` (NULL: all defaults) is
    /// {"strategy":S,"sub_group":G,"election":E,"down_for_ms":N,"error_threshold":N}, each
    /// optional: S is "random", "round-robin" (the default), "sticky", "first" or "leader"
    /// (the member leading the election E now, as `gr_observe_leader` follows it; E is
    /// required by "leader" and refused by the others); "all" is `gr_provider_instances`.
    /// `gr_provider_note_error` takes a member out for down_for_ms (default 30000) after
    /// error_threshold (default 2) errors. The provider holds no lease: while cut off it
    /// serves what it last knew and catches up once reconnected.
    /// Ownership: free `*provider_out` with `gr_provider_free`.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (unknown strategy or field, "leader"
    /// without an election), GR_INVALID_JSON, GR_CLOSED, GR_CONNECTION, GR_TIMEOUT.
    #[c(gr_service_provider, out = provider_out)]
    #[jni]
    fn service_provider(conn: Open, options_json: Option<Value>) -> NewProvider {
        let inner = conn.service_provider(provider_options(options_json)?)?;
        Ok(NewProvider(Box::new(gr_provider { inner })))
    }

    /// Picks one instance by the provider's strategy, among those not taken out by
    /// `gr_provider_note_error` (among all when every one is), answered locally, and writes
    /// its member record (as in `gr_members`) to `*member_json_out`, or NULL when there is
    /// none (no online member; for "leader": nobody leads, or the leader is not an
    /// instance).
    /// Ownership: free `*member_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_provider_instance, out = member_json_out)]
    #[jni]
    fn provider_instance(provider: gr_provider) -> Option<Json<Member>> {
        Ok(provider.instance().map(Json))
    }

    /// Writes every instance now (online, in the sub-group if given, including those
    /// taken out by errors), sorted by id, to `*members_json_out` as a JSON array of member
    /// records. Answered locally.
    /// Ownership: free `*members_json_out` with `gr_string_free`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_provider_instances, out = members_json_out)]
    #[jni]
    fn provider_instances(provider: gr_provider) -> Json<Vec<Member>> {
        Ok(Json(provider.instances()))
    }

    /// Notes an error calling `member_id`: after error_threshold errors, each within
    /// down_for_ms of the previous one, it is not picked for down_for_ms (unless no other
    /// instance is left). Local; a member that leaves and comes back starts afresh.
    /// Errors: GR_NULL_ARGUMENT, GR_INVALID_ARGUMENT (not UTF-8).
    #[c(gr_provider_note_error)]
    #[jni]
    fn provider_note_error(provider: gr_provider, member_id: String) -> () {
        provider.note_error(&member_id);
        Ok(())
    }

    /// Subscribes to changes of the provider's instances. The snapshot is the instances now
    /// (as `gr_provider_instances` writes them); each event is
    /// {"added":[member...],"removed":[member...],"updated":[member...],"view":N}: a member
    /// that joins, comes back online or enters the sub-group is added; one that leaves,
    /// goes offline or leaves the sub-group is removed; one whose record (payload) changed
    /// is updated. It ends when the provider is freed or the connector closes.
    /// Ownership: free `*subscription_out` with `gr_subscription_free`.
    /// Errors: GR_NULL_ARGUMENT.
    #[c(gr_provider_subscribe, out = subscription_out)]
    #[jni]
    fn provider_subscribe(provider: gr_provider) -> NewSubscription {
        gr_subscription::open(Ok(provider.subscribe()))
    }
}
