//! Redis Cluster: `redis+cluster://[user:password@]host:port[,host:port...]` (seed nodes;
//! `rediss+cluster://` for TLS).
//!
//! A connector works in one group, and every key of a group carries the `{group}` hash tag:
//! the whole group lives on one slot, so on one primary. The connector's [`Endpoint`] is
//! that primary, found with `CLUSTER KEYSLOT` and `CLUSTER SLOTS` on any node that answers
//! (the nodes of the last map first, then the seeds) and checked with `ROLE`. Every
//! connection (shared, pooled, pub/sub, stream reads) then goes to it alone, as on a single
//! server: no cluster client, no broadcast. A watcher asks again when a call saw `MOVED`
//! (the slot was migrated), a dropped connection or `READONLY` (a fail-over), and every
//! [`POLL`], and moves every connection to the new owner ([`Endpoint::switch`]).
//! While the slot migrates, calls are refused before they run and retried (see
//! `session/calls.rs` and docs/DEPLOYMENT.md).

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::Value;

use crate::error::{Error, Result};
use crate::transport::endpoint::Endpoint;
use crate::transport::nodes::{self, MakeClient, SwitchFuture};
use crate::transport::runtime;

/// How often the watcher asks even without a sign of change.
const POLL: Duration = Duration::from_secs(1);

/// How often the watcher asks at most.
const MIN_ASK: Duration = Duration::from_millis(50);

/// A parsed `redis+cluster://` URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ClusterSpec {
    tls: bool,
    seeds: Vec<(String, u16)>,
    /// `user:password` as written in the URL (percent-encoded).
    userinfo: Option<String>,
}

impl std::fmt::Debug for ClusterSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterSpec")
            .field("tls", &self.tls)
            .field("seeds", &self.seeds)
            .finish_non_exhaustive()
    }
}

impl ClusterSpec {
    /// The Cluster form of `url`, `None` when it is not one. Errors name what is wrong,
    /// never the password.
    pub fn parse(url: &str) -> Result<Option<ClusterSpec>> {
        let Some((tls, rest)) = nodes::strip_scheme(url, "cluster") else {
            return Ok(None);
        };
        let bad = |what: &str| {
            Error::InvalidArgument(format!(
                "bad Cluster URL {}: {what} (expected redis+cluster://[user:password@]host:port[,host:port...])",
                crate::config::redact_url(url)
            ))
        };
        if rest.contains('?') {
            return Err(bad("no options are supported"));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !matches!(path, "" | "0") {
            return Err(bad("a cluster has only database 0"));
        }
        let (userinfo, hosts) = nodes::split_userinfo(authority);
        let seeds = nodes::parse_hosts(hosts, "seed", bad)?;
        Ok(Some(ClusterSpec {
            tls,
            seeds,
            userinfo,
        }))
    }

    /// The password the URL carries (to keep out of error text).
    pub fn passwords(&self) -> Vec<String> {
        nodes::password_of(self.userinfo.as_ref())
            .into_iter()
            .collect()
    }

    /// The URL of the node at `host:port`, with the URL's credentials.
    pub fn node_url(&self, host: &str, port: u16) -> String {
        nodes::node_url(self.tls, self.userinfo.as_ref(), host, port, "")
    }
}

/// Finds and follows the primary that owns one key's slot.
pub(crate) struct Resolver {
    spec: ClusterSpec,
    make_client: MakeClient,
    timeout: Duration,
    /// A key of the group (the slot is asked of the cluster, once).
    key: String,
    slot: Mutex<Option<u16>>,
    /// Every node of the last slot map: asked before the seeds, which may be gone.
    known: Mutex<Vec<(String, u16)>>,
}

impl Resolver {
    pub fn new(spec: ClusterSpec, make_client: MakeClient, timeout: Duration, key: String) -> Self {
        Resolver {
            spec,
            make_client,
            timeout,
            key,
            slot: Mutex::new(None),
            known: Mutex::new(Vec::new()),
        }
    }

    pub fn node_client(&self, host: &str, port: u16) -> Result<redis::Client> {
        (self.make_client)(&self.spec.node_url(host, port))
    }

    async fn connect(&self, host: &str, port: u16) -> Result<MultiplexedConnection> {
        let client = self.node_client(host, port)?;
        Ok(client
            .get_multiplexed_async_connection_with_config(&nodes::connection_config(self.timeout))
            .await?)
    }

    /// The primary that owns the slot, as the first node that answers says (the nodes of
    /// the last map, then the seeds), checked with `ROLE` on itself.
    pub async fn resolve(&self) -> Result<(String, u16)> {
        let owner = self.owner(&mut None, None).await?;
        self.check_primary(&owner).await?;
        Ok(owner)
    }

    /// The slot's owner as the first node that answers says: `first` (the current owner,
    /// which knows first when it gave the slot away), else the one `kept` is connected to,
    /// then the nodes of the last map, then the seeds. The node that answered is kept.
    async fn owner(
        &self,
        kept: &mut Option<Kept>,
        first: Option<&(String, u16)>,
    ) -> Result<(String, u16)> {
        if first.is_some_and(|first| !kept.as_ref().is_some_and(|(node, _)| node == first)) {
            *kept = None;
        }
        if let Some((node, conn)) = kept.as_mut() {
            let node = node.clone();
            match self.ask(&node, conn).await {
                Ok(owner) => return Ok(owner),
                Err(_) => *kept = None,
            }
        }
        let mut candidates: Vec<(String, u16)> = first.cloned().into_iter().collect();
        candidates.extend(self.known.lock().unwrap().iter().cloned());
        candidates.extend(self.spec.seeds.iter().cloned());
        let mut last = Error::Connection("no node of the Redis Cluster answered".into());
        let mut asked = Vec::new();
        for node in candidates {
            if asked.contains(&node) {
                continue;
            }
            asked.push(node.clone());
            let mut conn = match self.connect(&node.0, node.1).await {
                Ok(conn) => conn,
                Err(err) => {
                    last = err;
                    continue;
                }
            };
            match self.ask(&node, &mut conn).await {
                Ok(owner) => {
                    *kept = Some((node, conn));
                    return Ok(owner);
                }
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    /// The owner of the slot as `node` sees it; remembers every node of its map.
    async fn ask(
        &self,
        (host, port): &(String, u16),
        conn: &mut MultiplexedConnection,
    ) -> Result<(String, u16)> {
        let slot = self.slot(conn).await?;
        let map: Vec<Vec<Value>> = redis::cmd("CLUSTER").arg("SLOTS").query_async(conn).await?;
        let mut nodes = Vec::new();
        let mut owner = None;
        for range in &map {
            let start: i64 = range.first().map(int).unwrap_or(-1);
            let end: i64 = range.get(1).map(int).unwrap_or(-1);
            for (i, node) in range.iter().skip(2).enumerate() {
                let Some(addr) = node_addr(node, host) else {
                    continue;
                };
                if i == 0 && (start..=end).contains(&i64::from(slot)) {
                    owner = Some(addr.clone());
                }
                if !nodes.contains(&addr) {
                    nodes.push(addr);
                }
            }
        }
        if !nodes.is_empty() {
            *self.known.lock().unwrap() = nodes;
        }
        owner.ok_or_else(|| {
            Error::Connection(format!(
                "no node of the Redis Cluster serves slot {slot} (as {host}:{port} sees it)"
            ))
        })
    }

    async fn slot(&self, conn: &mut MultiplexedConnection) -> Result<u16> {
        if let Some(slot) = *self.slot.lock().unwrap() {
            return Ok(slot);
        }
        let slot: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(&self.key)
            .query_async(conn)
            .await?;
        *self.slot.lock().unwrap() = Some(slot);
        Ok(slot)
    }

    /// A node's map can be stale (a fail-over it has not heard of yet): the owner itself
    /// must say it is a primary.
    async fn check_primary(&self, addr: &(String, u16)) -> Result<()> {
        let client = self.node_client(&addr.0, addr.1)?;
        nodes::check_primary(
            &client,
            self.timeout,
            addr,
            "named owner of the group's slot",
        )
        .await
    }

    /// Follows the slot's owner for as long as `endpoint` lives: a new owner is switched to
    /// after `on_switch` ran on it (the caller's chance to prepare the new server).
    pub fn follow(
        self: Arc<Self>,
        endpoint: Weak<Endpoint>,
        mut current: (String, u16),
        on_switch: Arc<dyn Fn(redis::Client) -> SwitchFuture + Send + Sync>,
    ) {
        runtime::handle().spawn(async move {
            let mut asked = tokio::time::Instant::now();
            let mut kept = None;
            loop {
                let suspected = {
                    let Some(strong) = endpoint.upgrade() else {
                        return;
                    };
                    tokio::time::timeout(POLL, strong.suspected()).await.is_ok()
                };
                tokio::time::sleep_until(asked + MIN_ASK).await;
                asked = tokio::time::Instant::now();
                // A call saw MOVED or a lost connection: the owner it went to is asked first.
                let first = suspected.then_some(&current);
                let Ok(owner) = self.owner(&mut kept, first).await else {
                    continue;
                };
                if owner == current || self.check_primary(&owner).await.is_err() {
                    continue;
                }
                let Ok(client) = self.node_client(&owner.0, owner.1) else {
                    continue;
                };
                if let Err(err) = on_switch(client.clone()).await {
                    tracing::warn!(error = %err, "could not prepare the slot's new owner; asking again");
                    continue;
                }
                let Some(strong) = endpoint.upgrade() else {
                    return;
                };
                tracing::info!(
                    from = format!("{}:{}", current.0, current.1),
                    to = format!("{}:{}", owner.0, owner.1),
                    "Redis Cluster: the group's slot moved; following it"
                );
                strong.switch(client);
                current = owner;
            }
        });
    }
}

/// A connection to a node that answered, and its address.
type Kept = ((String, u16), MultiplexedConnection);

fn int(value: &Value) -> i64 {
    redis::from_redis_value(value.clone()).unwrap_or(-1)
}

/// `[ip, port, id, ...]` of `CLUSTER SLOTS`; an empty ip means the node asked.
fn node_addr(node: &Value, asked: &str) -> Option<(String, u16)> {
    let Value::Array(fields) = node else {
        return None;
    };
    let host: String = redis::from_redis_value(fields.first()?.clone()).ok()?;
    let port: u16 = redis::from_redis_value(fields.get(1)?.clone()).ok()?;
    let host = if host.is_empty() || host == "?" {
        asked.to_string()
    } else {
        host
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_parse() {
        let spec = ClusterSpec::parse("redis+cluster://u:p%40ss@10.0.0.1:7000,[::1]:7001")
            .unwrap()
            .unwrap();
        assert_eq!(
            spec.seeds,
            vec![("10.0.0.1".into(), 7000), ("::1".into(), 7001)]
        );
        assert_eq!(
            spec.node_url("10.0.0.9", 7002),
            "redis://u:p%40ss@10.0.0.9:7002"
        );
        assert_eq!(spec.node_url("::1", 7001), "redis://u:p%40ss@[::1]:7001");
        assert_eq!(spec.passwords(), vec!["p%40ss".to_string()]);
        assert!(ClusterSpec::parse("redis://h:1").unwrap().is_none());
        let tls = ClusterSpec::parse("rediss+cluster://h:1/")
            .unwrap()
            .unwrap();
        assert_eq!(tls.node_url("h2", 2), "rediss://h2:2");
    }

    #[test]
    fn bad_cluster_urls_are_refused_without_the_password() {
        for url in [
            "redis+cluster://u:s3cret@h",
            "redis+cluster://u:s3cret@h:x",
            "redis+cluster://u:s3cret@h:1/2",
            "redis+cluster://u:s3cret@:1",
            "redis+cluster://u:s3cret@h:1?x=1",
        ] {
            let err = ClusterSpec::parse(url).unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{url} -> {err}");
            assert!(err.contains("Cluster URL"), "{url} -> {err}");
        }
    }
}
