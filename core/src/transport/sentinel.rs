//! Redis Sentinel: `redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]`
//! (`rediss+sentinel://` for TLS to the master and the Sentinels; `?sentinel_username=` and
//! `?sentinel_password=` when the Sentinels require their own credentials; the user part
//! is the master's).
//!
//! The master is asked of the Sentinels (`SENTINEL get-master-addr-by-name`) and checked
//! with `ROLE` before use. redis-rs's `SentinelClient` resolves only when it connects, and
//! clients built on it keep writing to a demoted master (redis-rs#1438); here a watcher
//! asks again when a Sentinel announces `+switch-master`, when a call saw the connection
//! drop or a READONLY reply ([`Endpoint::suspect`]), and every [`POLL`] in case a notice
//! was missed, and moves every connection to the new master ([`Endpoint::switch`]).

use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;

use crate::error::{Error, Result};
use crate::transport::endpoint::Endpoint;
use crate::transport::nodes::{self, MakeClient, SwitchFuture};
use crate::transport::runtime;

/// How often the watcher asks the Sentinels even without a notice.
const POLL: Duration = Duration::from_secs(1);

/// How often the watcher asks the Sentinels at most.
const MIN_ASK: Duration = Duration::from_millis(100);

/// A parsed `redis+sentinel://` URL.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SentinelSpec {
    tls: bool,
    sentinels: Vec<(String, u16)>,
    service: String,
    db: i64,
    /// The master's `user:password` as written in the URL (percent-encoded).
    userinfo: Option<String>,
    sentinel_username: Option<String>,
    sentinel_password: Option<String>,
}

impl std::fmt::Debug for SentinelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentinelSpec")
            .field("tls", &self.tls)
            .field("sentinels", &self.sentinels)
            .field("service", &self.service)
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl SentinelSpec {
    /// The Sentinel form of `url`, `None` when it is not one. Errors name what is wrong,
    /// never the password.
    pub fn parse(url: &str) -> Result<Option<SentinelSpec>> {
        let Some((tls, rest)) = nodes::strip_scheme(url, "sentinel") else {
            return Ok(None);
        };
        let bad = |what: &str| {
            Error::InvalidArgument(format!(
                "bad Sentinel URL {}: {what} (expected redis+sentinel://[user:password@]host:port[,host:port...]/service[/db])",
                crate::config::redact_url(url)
            ))
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hosts) = nodes::split_userinfo(authority);
        let sentinels = nodes::parse_hosts(hosts, "Sentinel", bad)?;
        let mut parts = path.split('/');
        let service = parts.next().unwrap_or_default();
        if service.is_empty() {
            return Err(bad("no service (master) name"));
        }
        let db = match parts.next() {
            None | Some("") => 0,
            Some(db) => db
                .parse()
                .map_err(|_| bad("the database is not a number"))?,
        };
        if parts.next().is_some() {
            return Err(bad("too many path parts"));
        }
        let mut spec = SentinelSpec {
            tls,
            sentinels,
            service: service.to_string(),
            db,
            userinfo,
            sentinel_username: None,
            sentinel_password: None,
        };
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "sentinel_username" => spec.sentinel_username = Some(value.into_owned()),
                "sentinel_password" => spec.sentinel_password = Some(value.into_owned()),
                other => return Err(bad(&format!("unknown option {other:?}"))),
            }
        }
        Ok(Some(spec))
    }

    /// Every password the URL carries (to keep out of error text).
    pub fn passwords(&self) -> Vec<String> {
        nodes::password_of(self.userinfo.as_ref())
            .into_iter()
            .chain(self.sentinel_password.clone())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// The URL of the master at `host:port`, with the master's credentials and database.
    pub fn master_url(&self, host: &str, port: u16) -> String {
        let db = format!("/{}", self.db);
        nodes::node_url(self.tls, self.userinfo.as_ref(), host, port, &db)
    }

    fn sentinel_url(&self, host: &str, port: u16) -> String {
        let mut url = url::Url::parse(&nodes::node_url(self.tls, None, host, port, ""))
            .expect("a host and port make a URL");
        if let Some(user) = &self.sentinel_username {
            let _ = url.set_username(user);
        }
        if let Some(password) = &self.sentinel_password {
            let _ = url.set_password(Some(password));
        }
        url.to_string()
    }
}

/// Resolves and follows the master of one Sentinel service.
pub(crate) struct Resolver {
    spec: SentinelSpec,
    make_client: MakeClient,
    timeout: Duration,
}

impl Resolver {
    pub fn new(spec: SentinelSpec, make_client: MakeClient, timeout: Duration) -> Self {
        Resolver {
            spec,
            make_client,
            timeout,
        }
    }

    /// The master's address as the first Sentinel that knows it says, checked with `ROLE`
    /// on the master itself.
    pub async fn resolve(&self) -> Result<(String, u16)> {
        let addr = self.ask_sentinels(&mut None).await?;
        self.check_master(&addr).await?;
        Ok(addr)
    }

    /// The master's address as the first Sentinel that knows it says. `kept` is a
    /// connection to the Sentinel that answered last, tried first and kept for next time.
    async fn ask_sentinels(
        &self,
        kept: &mut Option<MultiplexedConnection>,
    ) -> Result<(String, u16)> {
        if let Some(conn) = kept.as_mut() {
            match self.ask(conn).await {
                Ok(Some(addr)) => return Ok(addr),
                _ => *kept = None,
            }
        }
        let mut last = Error::Connection(format!(
            "no Sentinel of service {:?} answered",
            self.spec.service
        ));
        for (host, port) in &self.spec.sentinels {
            let conn = match (self.make_client)(&self.spec.sentinel_url(host, *port)) {
                Ok(client) => client
                    .get_multiplexed_async_connection_with_config(&nodes::connection_config(
                        self.timeout,
                    ))
                    .await
                    .map_err(Error::from),
                Err(err) => Err(err),
            };
            let mut conn = match conn {
                Ok(conn) => conn,
                Err(err) => {
                    last = err;
                    continue;
                }
            };
            match self.ask(&mut conn).await {
                Ok(Some(addr)) => {
                    *kept = Some(conn);
                    return Ok(addr);
                }
                Ok(None) => {
                    last = Error::Connection(format!(
                        "Sentinel {host}:{port} does not know service {:?}",
                        self.spec.service
                    ))
                }
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    async fn ask(&self, conn: &mut MultiplexedConnection) -> Result<Option<(String, u16)>> {
        let addr: Option<(String, u16)> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(&self.spec.service)
            .query_async(conn)
            .await?;
        Ok(addr)
    }

    /// A Sentinel's answer can be stale (it has not seen the fail-over yet): the server
    /// itself must say it is a master.
    async fn check_master(&self, addr: &(String, u16)) -> Result<()> {
        let client = self.master_client(&addr.0, addr.1)?;
        let named = format!("named master of {:?}", self.spec.service);
        nodes::check_primary(&client, self.timeout, addr, &named).await
    }

    pub fn master_client(&self, host: &str, port: u16) -> Result<redis::Client> {
        (self.make_client)(&self.spec.master_url(host, port))
    }

    /// Follows the master for as long as `endpoint` lives: a new master is switched to
    /// after `on_switch` ran on it (the caller's chance to prepare the new server).
    pub fn follow(
        self: Arc<Self>,
        endpoint: Weak<Endpoint>,
        mut current: (String, u16),
        on_switch: Arc<dyn Fn(redis::Client) -> SwitchFuture + Send + Sync>,
    ) {
        let notices = Arc::clone(&self);
        let endpoint_for_notices = endpoint.clone();
        runtime::handle().spawn(async move { notices.listen(endpoint_for_notices).await });
        runtime::handle().spawn(async move {
            let mut kept = None;
            let mut asked = tokio::time::Instant::now();
            loop {
                {
                    let Some(strong) = endpoint.upgrade() else {
                        return;
                    };
                    let _ = tokio::time::timeout(POLL, strong.suspected()).await;
                }
                // Every failing call suspects the master: ask at most every MIN_ASK.
                tokio::time::sleep_until(asked + MIN_ASK).await;
                asked = tokio::time::Instant::now();
                let Ok(addr) = self.ask_sentinels(&mut kept).await else {
                    continue;
                };
                if addr == current || self.check_master(&addr).await.is_err() {
                    continue;
                }
                let Ok(client) = self.master_client(&addr.0, addr.1) else {
                    continue;
                };
                if let Err(err) = on_switch(client.clone()).await {
                    tracing::warn!(error = %err, "could not prepare the new master; asking again");
                    continue;
                }
                let Some(strong) = endpoint.upgrade() else {
                    return;
                };
                tracing::warn!(
                    service = self.spec.service.as_str(),
                    from = format!("{}:{}", current.0, current.1),
                    to = format!("{}:{}", addr.0, addr.1),
                    "Sentinel fail-over: moving to the new master"
                );
                strong.switch(client);
                current = addr;
            }
        });
    }

    /// Listens for `+switch-master` on the Sentinels (one at a time, the next when one
    /// fails) and wakes the watcher on a notice for this service.
    async fn listen(&self, endpoint: Weak<Endpoint>) {
        let mut next = 0usize;
        loop {
            if endpoint.strong_count() == 0 {
                return;
            }
            let (host, port) = &self.spec.sentinels[next % self.spec.sentinels.len()];
            next += 1;
            let pubsub = match (self.make_client)(&self.spec.sentinel_url(host, *port)) {
                Ok(client) => tokio::time::timeout(self.timeout, client.get_async_pubsub()).await,
                Err(_) => {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
            };
            let Ok(Ok(mut pubsub)) = pubsub else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            if pubsub.subscribe("+switch-master").await.is_err() {
                continue;
            }
            let mut messages = pubsub.into_on_message();
            loop {
                // Wake now and then to notice the connector is gone.
                match tokio::time::timeout(POLL * 5, messages.next()).await {
                    Ok(Some(message)) => {
                        let payload: String = message.get_payload().unwrap_or_default();
                        // "<service> <old-ip> <old-port> <new-ip> <new-port>"
                        if payload.split(' ').next() == Some(self.spec.service.as_str()) {
                            match endpoint.upgrade() {
                                Some(strong) => strong.suspect(),
                                None => return,
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(_) if endpoint.strong_count() == 0 => return,
                    Err(_) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_urls_parse() {
        let spec = SentinelSpec::parse(
            "redis+sentinel://u:p%40ss@10.0.0.1:26379,[::1]:26380/mymaster/2?sentinel_password=s",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            spec.sentinels,
            vec![("10.0.0.1".into(), 26379), ("::1".into(), 26380)]
        );
        assert_eq!(spec.service, "mymaster");
        assert_eq!(spec.db, 2);
        assert_eq!(
            spec.master_url("10.0.0.9", 6380),
            "redis://u:p%40ss@10.0.0.9:6380/2"
        );
        assert_eq!(spec.sentinel_url("::1", 26380), "redis://:s@[::1]:26380");
        assert_eq!(
            spec.passwords(),
            vec!["p%40ss".to_string(), "s".to_string()]
        );
        assert!(SentinelSpec::parse("redis://h:1").unwrap().is_none());
        let tls = SentinelSpec::parse("rediss+sentinel://h:1/m")
            .unwrap()
            .unwrap();
        assert_eq!(tls.master_url("h2", 2), "rediss://h2:2/0");
    }

    #[test]
    fn bad_sentinel_urls_are_refused_without_the_password() {
        for url in [
            "redis+sentinel://u:s3cret@h:1",
            "redis+sentinel://u:s3cret@h/m",
            "redis+sentinel://u:s3cret@h:x/m",
            "redis+sentinel://u:s3cret@h:1/m/x",
            "redis+sentinel://u:s3cret@h:1/m?nope=1",
        ] {
            let err = SentinelSpec::parse(url).unwrap_err().to_string();
            assert!(!err.contains("s3cret"), "{url} -> {err}");
            assert!(err.contains("Sentinel URL"), "{url} -> {err}");
        }
    }
}
