//! Connector options. The URL may carry a password, so `Debug` redacts it.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::names::{check_group, check_name};

/// The group used when none is given.
pub const DEFAULT_GROUP: &str = "default-group";
/// The sub-group a member joins when none is given.
pub const DEFAULT_SUB_GROUP: &str = "default";
/// Lease of a session when none is given.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one command may wait for Redis before it fails with [`Error::Timeout`].
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// How to connect and who to be. Build with [`Config::new`] and the `with_*` methods.
#[derive(Clone)]
pub struct Config {
    pub(crate) url: String,
    pub(crate) group: String,
    pub(crate) member_id: String,
    pub(crate) session_timeout: Duration,
    pub(crate) heartbeat: Option<Duration>,
    pub(crate) sub_groups: Vec<String>,
    pub(crate) payload: Value,
    pub(crate) command_timeout: Duration,
    pub(crate) tls_root_cert: Option<Vec<u8>>,
    pub(crate) max_lease: Option<Duration>,
    pub(crate) wait_replicas: Option<WaitReplicas>,
}

/// A lock grant is reported acquired only once this many replicas acknowledged it
/// (Redis `WAIT`), see [`Config::with_wait_replicas`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitReplicas {
    /// How many replicas must have the grant.
    pub replicas: u32,
    /// How long to wait for them.
    pub timeout: Duration,
}

impl Config {
    /// Options for `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://` for
    /// TLS; `redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]` for
    /// the master a set of Redis Sentinels names, followed through fail-overs;
    /// `rediss+sentinel://` for TLS to the Sentinels and the master, `?sentinel_password=`
    /// when the Sentinels have a password of their own) with every other option at its
    /// default.
    pub fn new(url: impl Into<String>) -> Self {
        Config {
            url: url.into(),
            group: DEFAULT_GROUP.to_string(),
            member_id: default_member_id(),
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            heartbeat: None,
            sub_groups: vec![DEFAULT_SUB_GROUP.to_string()],
            payload: Value::Null,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            tls_root_cert: None,
            max_lease: None,
            wait_replicas: None,
        }
    }

    /// The group to coordinate in (no `{` or `}`).
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// The member id [`crate::Connector::join`] uses by default (`<hostname>-<pid>` otherwise).
    pub fn with_member_id(mut self, member_id: impl Into<String>) -> Self {
        self.member_id = member_id.into();
        self
    }

    /// The session lease: a crashed or frozen process is gone this long after its last
    /// heartbeat.
    pub fn with_session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self
    }

    /// How often the lease is renewed (default: a third of the session timeout).
    pub fn with_heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = Some(every);
        self
    }

    /// The sub-groups members join with.
    pub fn with_sub_groups<I, S>(mut self, sub_groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.sub_groups = sub_groups.into_iter().map(Into::into).collect();
        self
    }

    /// The payload members join with (small JSON: address, port, role...).
    pub fn with_payload(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }

    /// How long one Redis command may take before it fails with a timeout.
    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// For `rediss://` and `rediss+sentinel://` (the Sentinels and the master alike): trust
    /// this CA certificate (PEM) instead of the system's roots, for servers with a private CA.
    pub fn with_tls_root_cert(mut self, pem: Vec<u8>) -> Self {
        self.tls_root_cert = Some(pem);
        self
    }

    /// The longest session timeout any member of the group uses, as the deployment
    /// states it. Stating it closes a gap: after Redis restarted without the group's data,
    /// a connector that never saw the group cannot tell the group from a new one, and a
    /// holder from before may still trust its lease. With this option set, such a
    /// connector grants nothing until the server has run this long (docs/SAFETY.md, "Data
    /// loss and restarts"); the cost is that on a freshly started Redis the group's first
    /// grants also wait until then. Unset (the default), a fresh connector grants at once.
    /// A value below the session timeout counts as the session timeout.
    pub fn with_max_lease(mut self, max_lease: Duration) -> Self {
        self.max_lease = Some(max_lease);
        self
    }

    /// Reports a lock grant acquired only once `replicas` replicas of the Redis master
    /// acknowledged it (Redis `WAIT`), waiting up to `timeout` (below the command timeout).
    /// Off by default (0 replicas). A grant that is not acknowledged in time is given back
    /// at once and the call fails with [`Error::Timeout`] (a waiting `try_lock` tries again
    /// until its wait runs out): the lock is then not held, and a later holder's token is
    /// larger. It keeps a grant from being reported to a holder when a fail-over to a
    /// replica could lose it, and a master cut off from its replicas from granting at all
    /// (docs/SAFETY.md, docs/DEPLOYMENT.md). Lock calls then take one more round trip and
    /// run on a connection of their own, since `WAIT` holds up the connection it runs on.
    pub fn with_wait_replicas(mut self, replicas: u32, timeout: Duration) -> Self {
        self.wait_replicas = (replicas > 0).then_some(WaitReplicas { replicas, timeout });
        self
    }

    /// The replica acknowledgement lock grants wait for, if any.
    pub fn wait_replicas(&self) -> Option<WaitReplicas> {
        self.wait_replicas
    }

    /// The longest lease this connector assumes any member uses: the stated
    /// [`Config::with_max_lease`], at least its own session timeout (its own session
    /// timeout when none is stated).
    pub fn max_lease(&self) -> Duration {
        self.max_lease
            .map_or(self.session_timeout, |m| m.max(self.session_timeout))
    }

    /// The group name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The default member id.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The session lease.
    pub fn session_timeout(&self) -> Duration {
        self.session_timeout
    }

    /// The heartbeat period in effect.
    pub fn heartbeat(&self) -> Duration {
        self.heartbeat.unwrap_or(self.session_timeout / 3)
    }

    /// How much earlier than the server could end the lease this connector declares LOST:
    /// a tenth of the session timeout. It covers the timer's and the scheduler's lateness
    /// and clock-rate drift, so LOST is delivered before anyone else can take a lock.
    pub fn lost_margin(&self) -> Duration {
        self.session_timeout / 10
    }

    /// How long after a renewal was sent the lease is trusted locally: the session
    /// timeout less [`Config::lost_margin`].
    pub fn local_lease(&self) -> Duration {
        self.session_timeout - self.lost_margin()
    }

    /// Checks every option; called by `connect`.
    pub fn validate(&self) -> Result<()> {
        check_group(&self.group)?;
        check_name("member id", &self.member_id)?;
        for sub_group in &self.sub_groups {
            check_name("sub-group", sub_group)?;
        }
        if self.session_timeout < Duration::from_millis(100) {
            return Err(Error::InvalidArgument(
                "session timeout must be at least 100 ms".into(),
            ));
        }
        if self.session_timeout > Duration::from_secs(24 * 3600) {
            return Err(Error::InvalidArgument(
                "session timeout must be at most 24 h".into(),
            ));
        }
        let heartbeat = self.heartbeat();
        if heartbeat.is_zero() || heartbeat >= self.local_lease() {
            return Err(Error::InvalidArgument(format!(
                "heartbeat must be above zero and below the session timeout less the LOST \
                 margin ({} ms of {} ms)",
                self.local_lease().as_millis(),
                self.session_timeout.as_millis()
            )));
        }
        if self
            .max_lease
            .is_some_and(|m| m > Duration::from_secs(24 * 3600))
        {
            return Err(Error::InvalidArgument(
                "max lease must be at most 24 h".into(),
            ));
        }
        if let Some(wait) = self.wait_replicas {
            if wait.timeout.is_zero() || wait.timeout >= self.command_timeout {
                return Err(Error::InvalidArgument(format!(
                    "wait_replicas timeout must be above zero and below the command timeout \
                     ({} ms)",
                    self.command_timeout.as_millis()
                )));
            }
        }
        if self.command_timeout.is_zero() {
            return Err(Error::InvalidArgument(
                "command timeout must be above zero".into(),
            ));
        }
        Ok(())
    }

    /// The URL with any password replaced by `***`, for logs and messages.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }

    pub(crate) fn password(&self) -> Option<String> {
        url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.password().map(|p| p.to_string()))
            .filter(|p| !p.is_empty())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.redacted_url())
            .field("group", &self.group)
            .field("member_id", &self.member_id)
            .field("session_timeout", &self.session_timeout)
            .field("heartbeat", &self.heartbeat())
            .field("sub_groups", &self.sub_groups)
            .field("payload", &self.payload)
            .field("command_timeout", &self.command_timeout)
            .field("tls_root_cert", &self.tls_root_cert.is_some())
            .field("max_lease", &self.max_lease())
            .field("wait_replicas", &self.wait_replicas)
            .finish()
    }
}

/// `<hostname>-<pid>`: two processes on one host are two members.
pub fn default_member_id() -> String {
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{host}-{}", std::process::id())
}

/// Replaces the password of a URL with `***`. Text that does not parse as a URL (a port
/// out of range, a space in the host, no scheme) is redacted by its shape instead: whatever
/// stands between the first `:` of the user part and the last `@` before the path.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) if parsed.has_host() || !url.contains('@') => url.to_string(),
        _ => redact_unparsed(url),
    }
}

fn redact_unparsed(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    let user_info = &rest[..at];
    match user_info.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..start],
            &user_info[..colon],
            &rest[at..]
        ),
        // No colon: the whole user part may be a password (`redis://secret@host`).
        None => format!("{}***{}", &url[..start], &rest[at..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let config = Config::new("redis://user:s3cret@localhost:6400/2");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
        assert_eq!(config.password().as_deref(), Some("s3cret"));
    }

    #[test]
    fn defaults_follow_the_design() {
        let config = Config::new("redis://localhost");
        assert_eq!(config.group(), "default-group");
        assert_eq!(config.heartbeat(), Duration::from_secs(10) / 3);
        assert!(config
            .member_id()
            .ends_with(&format!("-{}", std::process::id())));
        config.validate().unwrap();
    }

    #[test]
    fn bad_options_are_refused() {
        let base = || Config::new("redis://localhost");
        assert!(base().with_group("").validate().is_err());
        assert!(base().with_group("a{b").validate().is_err());
        assert!(base().with_member_id("").validate().is_err());
        assert!(base()
            .with_session_timeout(Duration::from_millis(10))
            .validate()
            .is_err());
        assert!(base()
            .with_heartbeat(Duration::from_secs(20))
            .validate()
            .is_err());
        assert!(base().with_sub_groups([""]).validate().is_err());
    }
}
