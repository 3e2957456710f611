//! Redis clients and connections: the one place they are made. A connector's
//! [`Transport`] holds its [`Endpoint`] (a fixed server, the master Redis Sentinel names
//! now: [`sentinel`], or the Cluster primary that owns the group's slot: [`cluster`]; what
//! the two share: [`nodes`]), the multiplexed connection its async callers and background work
//! share, and the pool of plain connections its blocking callers borrow; subscriptions and
//! the pub/sub listener open their own connections from the same endpoint. The process's
//! one tokio runtime, which drives all of them, lives here too.

pub(crate) mod client;
pub(crate) mod cluster;
pub(crate) mod direct;
pub(crate) mod endpoint;
pub(crate) mod nodes;
pub(crate) mod notices;
pub(crate) mod runtime;
pub(crate) mod sentinel;
pub(crate) mod shared;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::protocol::keys::Keys;
use crate::transport::client::{open_client, open_client_for, scrub_passwords};
use crate::transport::cluster::ClusterSpec;
use crate::transport::direct::DirectPool;
use crate::transport::endpoint::{Endpoint, FollowingConnection};
use crate::transport::nodes::SwitchFuture;
use crate::transport::sentinel::{Resolver, SentinelSpec};
use crate::transport::shared::{open_manager, SharedConnection};

/// One connector's ways to Redis.
pub(crate) struct Transport {
    endpoint: Arc<Endpoint>,
    command_timeout: Duration,
    passwords: Vec<String>,
    /// Redis Cluster: the group's slot owner (see [`cluster`]).
    cluster: bool,
    pub shared: SharedConnection,
    pub direct: DirectPool,
    /// For lock calls followed by `WAIT` (`Config::with_wait_replicas`): `WAIT` holds up
    /// the connection it runs on, which must not be the shared one (heartbeats use it).
    pub waits: Option<SharedConnection>,
}

impl Transport {
    /// Connects the shared connection (its driver runs on the library's runtime, whatever
    /// runtime the caller uses). Fails with [`Error::Connection`] when Redis cannot be
    /// reached, [`Error::InvalidArgument`] for a bad URL or certificate.
    pub async fn open(config: &Config) -> Result<Transport> {
        let sentinel = SentinelSpec::parse(&config.url)?;
        let cluster = ClusterSpec::parse(&config.url)?;
        let mut passwords: Vec<String> = config.password().into_iter().collect();
        if let Some(spec) = &sentinel {
            passwords.extend(spec.passwords());
        }
        if let Some(spec) = &cluster {
            passwords.extend(spec.passwords());
        }
        let scrub = |err: Error| scrub_passwords(err, &passwords);
        let is_cluster = cluster.is_some();
        let endpoint = match (sentinel, cluster) {
            (Some(spec), _) => runtime::handle()
                .spawn(follow_sentinels(config.clone(), spec))
                .await
                .map_err(|e| Error::Connection(e.to_string()))?
                .map_err(scrub)?,
            (None, Some(spec)) => runtime::handle()
                .spawn(follow_cluster(config.clone(), spec))
                .await
                .map_err(|e| Error::Connection(e.to_string()))?
                .map_err(scrub)?,
            (None, None) => Endpoint::new(open_client(config)?),
        };
        let (client, generation) = endpoint.client();
        let conn = runtime::handle()
            .spawn(open_manager(client, config.command_timeout, None))
            .await
            .map_err(|e| Error::Connection(e.to_string()))?
            .map_err(|e| scrub(Error::from(e)))?;
        let waits = match config.wait_replicas() {
            None => None,
            Some(_) => {
                let (client, generation) = endpoint.client();
                let conn = runtime::handle()
                    .spawn(open_manager(client, config.command_timeout, None))
                    .await
                    .map_err(|e| Error::Connection(e.to_string()))?
                    .map_err(|e| scrub(Error::from(e)))?;
                Some(SharedConnection::new(
                    Arc::clone(&endpoint),
                    config.command_timeout,
                    conn,
                    generation,
                ))
            }
        };
        Ok(Transport {
            waits,
            direct: DirectPool::new(Arc::clone(&endpoint), config.command_timeout),
            shared: SharedConnection::new(
                Arc::clone(&endpoint),
                config.command_timeout,
                conn,
                generation,
            ),
            endpoint,
            command_timeout: config.command_timeout,
            passwords,
            cluster: is_cluster,
        })
    }

    /// Whether the connector runs on a Redis Cluster: its scripts then declare the slot
    /// guard key and publish on shard channels (docs/PROTOCOL.md).
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// Where the connections go, for the ones that need one of their own (pub/sub).
    pub fn endpoint(&self) -> &Arc<Endpoint> {
        &self.endpoint
    }

    /// Opens a connection for a subscription's blocking reads, which wait up to `block` on
    /// the server; it follows the endpoint to a new master. The future owns what it needs,
    /// so it can be spawned.
    pub fn open_reader(
        &self,
        block: Duration,
    ) -> impl Future<Output = redis::RedisResult<FollowingConnection>> + Send + 'static {
        FollowingConnection::open(
            Arc::clone(&self.endpoint),
            self.command_timeout,
            Some(block),
        )
    }

    /// A driver error as the library reports it: never with a password in its text. A
    /// dropped connection or a READONLY reply may mean the master failed over: the
    /// Sentinel watcher is asked to look now.
    pub fn error(&self, err: redis::RedisError) -> Error {
        if matches!(err.code(), Some("READONLY" | "MOVED" | "CLUSTERDOWN"))
            || err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
        {
            self.endpoint.suspect();
        }
        scrub_passwords(Error::from(err), &self.passwords)
    }
}

/// Resolves the master of `spec` and follows it from then on.
async fn follow_sentinels(config: Config, spec: SentinelSpec) -> Result<Arc<Endpoint>> {
    let for_clients = config.clone();
    let resolver = Arc::new(Resolver::new(
        spec,
        Arc::new(move |url: &str| open_client_for(&for_clients, url)),
        config.command_timeout,
    ));
    let addr = resolver.resolve().await?;
    let endpoint = Endpoint::new(resolver.master_client(&addr.0, addr.1)?);
    let keys = Keys::new(&config.group);
    let prepare = Arc::new(move |client: redis::Client| -> SwitchFuture {
        let keys = keys.clone();
        Box::pin(async move { force_epoch_check(client, &keys).await })
    });
    resolver.follow(Arc::downgrade(&endpoint), addr, prepare);
    Ok(endpoint)
}

/// Finds the primary that owns the group's slot and follows it from then on.
async fn follow_cluster(config: Config, spec: ClusterSpec) -> Result<Arc<Endpoint>> {
    let for_clients = config.clone();
    let keys = Keys::new(&config.group);
    let resolver = Arc::new(cluster::Resolver::new(
        spec,
        Arc::new(move |url: &str| open_client_for(&for_clients, url)),
        config.command_timeout,
        keys.sessions(),
    ));
    let addr = resolver.resolve().await?;
    let endpoint = Endpoint::new(resolver.node_client(&addr.0, addr.1)?);
    let prepare = Arc::new(move |client: redis::Client| -> SwitchFuture {
        let keys = keys.clone();
        Box::pin(async move { force_epoch_check(client, &keys).await })
    });
    resolver.follow(Arc::downgrade(&endpoint), addr, prepare);
    Ok(endpoint)
}

/// Makes the next script on a new master compare the server's run id with the epoch
/// record's (lua/reap.lua). The scripts ask for the run id only when `LASTSAVE` moved, and
/// a promoted replica started in the same second as its old master could show the same
/// `LASTSAVE`: the stored value is spoilt so that the check runs. Like a new epoch or a
/// grace written to the record, it moves the group's fence, so that no grant takes the record as checked
/// without reading it (lua/handoff.lua). The new run id then starts a new epoch: sessions
/// from before end, and grants wait one maximum lease, since the replica may lack the
/// last writes (docs/SAFETY.md).
async fn force_epoch_check(client: redis::Client, keys: &Keys) -> Result<()> {
    let mut conn = client.get_multiplexed_async_connection().await?;
    redis::Script::new(
        "if redis.call('EXISTS', KEYS[1]) == 1 then \
         redis.call('HSET', KEYS[1], 'lastsave', '-1') redis.call('INCR', KEYS[2]) end return 0",
    )
    .key(keys.epoch())
    .key(keys.fence())
    .invoke_async::<i64>(&mut conn)
    .await?;
    Ok(())
}
