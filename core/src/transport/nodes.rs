//! What the Sentinel and the Cluster URL forms share: a `redis+<kind>://` scheme with a
//! `rediss+<kind>://` TLS twin, `[user:password@]host:port[,host:port...]`, the URL of one
//! node, and asking a server whether it is a primary (`ROLE`) before trusting a map or a
//! Sentinel that named it, since either may not have seen a fail-over yet.

use std::sync::Arc;
use std::time::Duration;

use redis::AsyncConnectionConfig;

use crate::error::{Error, Result};

/// How to make a client for a URL (the TLS trust of the configuration).
pub(crate) type MakeClient = Arc<dyn Fn(&str) -> Result<redis::Client> + Send + Sync>;

/// What preparing a new primary returns.
pub(crate) type SwitchFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send>>;

/// `(tls, the rest after the scheme)` when `url` is of the `redis+<kind>://` or
/// `rediss+<kind>://` form.
pub(crate) fn strip_scheme<'a>(url: &'a str, kind: &str) -> Option<(bool, &'a str)> {
    if let Some(rest) = url.strip_prefix(&format!("redis+{kind}://")) {
        Some((false, rest))
    } else {
        url.strip_prefix(&format!("rediss+{kind}://"))
            .map(|rest| (true, rest))
    }
}

/// `user:password@hosts` split into the user part (as written, percent-encoded) and hosts.
pub(crate) fn split_userinfo(authority: &str) -> (Option<String>, &str) {
    match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (Some(userinfo.to_string()), hosts),
        None => (None, authority),
    }
}

/// `host:port[,host:port...]` (an IPv6 host in brackets); `what` names one entry in errors
/// ("Sentinel", "seed"), `bad` words them.
pub(crate) fn parse_hosts(
    hosts: &str,
    what: &str,
    bad: impl Fn(&str) -> Error,
) -> Result<Vec<(String, u16)>> {
    hosts
        .split(',')
        .map(|host| {
            let (name, port) = host
                .rsplit_once(':')
                .ok_or_else(|| bad(&format!("every {what} needs host:port")))?;
            let port = port
                .parse()
                .map_err(|_| bad(&format!("a {what} port is not a number")))?;
            let name = name.trim_start_matches('[').trim_end_matches(']');
            if name.is_empty() {
                return Err(bad(&format!("a {what} host is empty")));
            }
            Ok((name.to_string(), port))
        })
        .collect()
}

/// The password of a `user:password` part, unless empty.
pub(crate) fn password_of(userinfo: Option<&String>) -> Option<String> {
    userinfo
        .and_then(|u| u.split_once(':'))
        .map(|(_, p)| p.to_string())
        .filter(|p| !p.is_empty())
}

/// `scheme://[userinfo@]host:port[path]`, an IPv6 host in brackets.
pub(crate) fn node_url(
    tls: bool,
    userinfo: Option<&String>,
    host: &str,
    port: u16,
    path: &str,
) -> String {
    let scheme = if tls { "rediss" } else { "redis" };
    let host = bracketed(host);
    match userinfo {
        Some(userinfo) => format!("{scheme}://{userinfo}@{host}:{port}{path}"),
        None => format!("{scheme}://{host}:{port}{path}"),
    }
}

pub(crate) fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// Connect and reply timeouts for the resolvers' own connections.
pub(crate) fn connection_config(timeout: Duration) -> AsyncConnectionConfig {
    AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
}

/// Ok when the server behind `client` says (`ROLE`) it is a primary; otherwise an error
/// naming it as `named` ("named master of \"svc\"") and the role it has.
pub(crate) async fn check_primary(
    client: &redis::Client,
    timeout: Duration,
    (host, port): &(String, u16),
    named: &str,
) -> Result<()> {
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&connection_config(timeout))
        .await?;
    let role: Vec<redis::Value> = redis::cmd("ROLE").query_async(&mut conn).await?;
    let first = role
        .first()
        .and_then(|v| redis::from_redis_value::<String>(v.clone()).ok());
    if first.as_deref() == Some("master") {
        Ok(())
    } else {
        Err(Error::Connection(format!(
            "{host}:{port}, {named}, is a {}",
            first.unwrap_or_default()
        )))
    }
}
