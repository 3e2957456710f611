//! Redis clients and connections: the one place they are made. A connector's
//! [`Transport`] holds its client, the multiplexed connection its async callers and
//! background work share, and the pool of plain connections its blocking callers borrow;
//! subscriptions and the pub/sub listener open their own connections from the same client.
//! The process's one tokio runtime, which drives all of them, lives here too.

pub(crate) mod client;
pub(crate) mod direct;
pub(crate) mod notices;
pub(crate) mod runtime;
pub(crate) mod shared;

use std::future::Future;
use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::transport::client::{open_client, scrub_password};
use crate::transport::direct::DirectPool;
use crate::transport::shared::{open_manager, SharedConnection};

/// One connector's ways to Redis.
pub(crate) struct Transport {
    client: redis::Client,
    command_timeout: Duration,
    password: Option<String>,
    pub shared: SharedConnection,
    pub direct: DirectPool,
}

impl Transport {
    /// Connects the shared connection (its driver runs on the library's runtime, whatever
    /// runtime the caller uses). Fails with [`Error::Connection`] when Redis cannot be
    /// reached, [`Error::InvalidArgument`] for a bad URL or certificate.
    pub async fn open(config: &Config) -> Result<Transport> {
        let client = open_client(config)?;
        let password = config.password();
        let conn = runtime::handle()
            .spawn(open_manager(client.clone(), config.command_timeout, None))
            .await
            .map_err(|e| Error::Connection(e.to_string()))?
            .map_err(|e| scrub_password(Error::from(e), password.as_deref()))?;
        Ok(Transport {
            direct: DirectPool::new(client.clone(), config.command_timeout),
            shared: SharedConnection::new(conn),
            client,
            command_timeout: config.command_timeout,
            password,
        })
    }

    /// The client, for the connections that need one of their own (pub/sub).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Opens a connection for a subscription's blocking reads, which wait up to `block` on
    /// the server. The future owns what it needs, so it can be spawned.
    pub fn open_reader(
        &self,
        block: Duration,
    ) -> impl Future<Output = redis::RedisResult<ConnectionManager>> + Send + 'static {
        open_manager(self.client.clone(), self.command_timeout, Some(block))
    }

    /// A driver error as the library reports it: never with the password in its text.
    pub fn error(&self, err: redis::RedisError) -> Error {
        scrub_password(Error::from(err), self.password.as_deref())
    }
}
