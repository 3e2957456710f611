//! The connect options, parsed in one place for both bridges: Java sends them as one JSON
//! document (written by `GroupConfig`), C sets them one by one on a `gr_options`; both
//! end up in a [`ConfigSpec`] and become a core `Config` through [`ConfigSpec::into_config`].
//! The values themselves (ranges, names) are checked by the core when connecting.

use std::time::Duration;

use grcore::{Config, Error, Value};
use serde::Deserialize;

/// Every connect option; `None` keeps the library default. Field names in JSON are the
/// Java ones (camelCase).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConfigSpec {
    pub url: Option<String>,
    pub group: Option<String>,
    pub member_id: Option<String>,
    pub session_timeout_ms: Option<u64>,
    pub heartbeat_ms: Option<u64>,
    pub command_timeout_ms: Option<u64>,
    pub sub_groups: Option<Vec<String>>,
    /// `null` and absent are the same: no payload.
    pub payload: Option<Value>,
    /// PEM text of the root certificate(s) to trust for `rediss://`.
    pub tls_root_cert_pem: Option<String>,
    /// The longest session timeout any member of the group uses (see `Config::with_max_lease`).
    pub max_lease_ms: Option<u64>,
    /// Lock grants wait for this many replicas (see `Config::with_wait_replicas`).
    pub wait_replicas: Option<u64>,
    /// ... up to this long (default 1000 ms).
    pub wait_replicas_timeout_ms: Option<u64>,
}

/// How long lock grants wait for replicas when no timeout is given.
const DEFAULT_WAIT_REPLICAS_TIMEOUT_MS: u64 = 1000;

impl ConfigSpec {
    /// Parses the JSON document; a wrong type names the field it is in.
    pub(crate) fn from_json(text: &str) -> grcore::Result<ConfigSpec> {
        let mut parser = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut parser).map_err(|err| {
            let field = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                Error::InvalidJson(format!("config: {inner}"))
            } else {
                Error::InvalidArgument(format!("config field {field}: {inner}"))
            }
        })
    }

    /// The core configuration; the URL is required.
    pub(crate) fn into_config(self) -> grcore::Result<Config> {
        let url = self
            .url
            .ok_or_else(|| Error::InvalidArgument("the Redis URL must not be null".into()))?;
        let mut config = Config::new(url);
        if let Some(group) = self.group {
            config = config.with_group(group);
        }
        if let Some(member_id) = self.member_id {
            config = config.with_member_id(member_id);
        }
        if let Some(ms) = self.session_timeout_ms {
            config = config.with_session_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = self.heartbeat_ms {
            config = config.with_heartbeat(Duration::from_millis(ms));
        }
        if let Some(ms) = self.command_timeout_ms {
            config = config.with_command_timeout(Duration::from_millis(ms));
        }
        if let Some(sub_groups) = self.sub_groups {
            config = config.with_sub_groups(sub_groups);
        }
        if let Some(payload) = self.payload.filter(|p| !p.is_null()) {
            config = config.with_payload(payload);
        }
        if let Some(ms) = self.max_lease_ms {
            config = config.with_max_lease(Duration::from_millis(ms));
        }
        if let Some(replicas) = self.wait_replicas {
            let replicas = u32::try_from(replicas).map_err(|_| {
                Error::InvalidArgument(format!("wait_replicas {replicas} is too large"))
            })?;
            let timeout = self
                .wait_replicas_timeout_ms
                .unwrap_or(DEFAULT_WAIT_REPLICAS_TIMEOUT_MS);
            config = config.with_wait_replicas(replicas, Duration::from_millis(timeout));
        }
        if let Some(pem) = self.tls_root_cert_pem {
            config = config.with_tls_root_cert(pem.into_bytes());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        match ConfigSpec::from_json(text).and_then(ConfigSpec::into_config) {
            Err(Error::InvalidArgument(m)) | Err(Error::InvalidJson(m)) => m,
            other => panic!(
                "expected a refusal for {text}, got {:?}",
                other.map(|c| c.group().to_string())
            ),
        }
    }

    #[test]
    fn config_json_sets_every_option_and_leaves_the_rest_at_defaults() {
        let config = ConfigSpec::from_json(
            r#"{"url":"redis://h:1","group":"g","memberId":"m","sessionTimeoutMs":3000,
                "heartbeatMs":1000,"commandTimeoutMs":500,"subGroups":["a","b"],"payload":{"p":1},
                "maxLeaseMs":60000,"waitReplicas":1,"waitReplicasTimeoutMs":250}"#,
        )
        .and_then(ConfigSpec::into_config)
        .unwrap();
        assert_eq!(config.group(), "g");
        assert_eq!(config.member_id(), "m");
        assert_eq!(config.session_timeout(), Duration::from_secs(3));
        assert_eq!(config.heartbeat(), Duration::from_secs(1));
        assert_eq!(config.max_lease(), Duration::from_secs(60));
        assert_eq!(
            config.wait_replicas(),
            Some(grcore::WaitReplicas {
                replicas: 1,
                timeout: Duration::from_millis(250)
            })
        );
        config.validate().unwrap();

        let defaults = ConfigSpec::from_json(r#"{"url":"redis://h","group":null}"#)
            .and_then(ConfigSpec::into_config)
            .unwrap();
        assert_eq!(defaults.group(), grcore::DEFAULT_GROUP);
        assert_eq!(defaults.session_timeout(), grcore::DEFAULT_SESSION_TIMEOUT);
        assert_eq!(defaults.max_lease(), grcore::DEFAULT_SESSION_TIMEOUT);
        assert_eq!(defaults.wait_replicas(), None);
    }

    #[test]
    fn bad_config_json_is_refused_naming_the_field() {
        assert!(refused(r#"{}"#).contains("URL"));
        assert!(refused(r#"{"url":"redis://h","group":5}"#).contains("group"));
        assert!(
            refused(r#"{"url":"redis://h","sessionTimeoutMs":-1}"#).contains("sessionTimeoutMs")
        );
        assert!(refused(r#"{"url":"redis://h","heartbeatMs":"x"}"#).contains("heartbeatMs"));
        assert!(refused(r#"{"url":"redis://h","subGroups":[1]}"#).contains("subGroups"));
        assert!(refused(r#"{"url":"redis://h","sessionTimeout":1}"#).contains("sessionTimeout"));
        refused("not json");
    }
}
