//! Persistent data: paths that stay, each with a version for compare-and-set, listed by
//! prefix through the group's index (never a keyspace scan).

use serde_json::Value;

use crate::connector::Connector;
use crate::data::{decode, encode, Entry, Versioned};
use crate::error::{Error, Result};
use crate::names::{check_name, check_prefix};

impl Connector {
    /// Sets the persistent `path` to `value`; returns the new version.
    #[tracing::instrument(
        name = "persistent_set",
        skip_all,
        fields(group = self.group(), path = path)
    )]
    pub async fn persistent_set(&self, path: &str, value: &Value) -> Result<u64> {
        let versions = self.write_data("", &[(path, value)]).await?;
        versions
            .and_then(|v| v.first().copied())
            .ok_or_else(|| Error::protocol("persistent set reply"))
    }

    /// Sets every pair at once: other clients see all of them or none.
    #[tracing::instrument(
        name = "persistent_set_many",
        skip_all,
        fields(group = self.group(), count = entries.len())
    )]
    pub async fn persistent_set_many(&self, entries: &[(String, Value)]) -> Result<Vec<u64>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let pairs: Vec<(&str, &Value)> = entries.iter().map(|(p, v)| (p.as_str(), v)).collect();
        self.write_data("", &pairs)
            .await?
            .ok_or_else(|| Error::protocol("persistent set_many reply"))
    }

    /// Compare-and-set: writes `value` only if the current version of `path` is
    /// `expected_version` (`0`: the path must not exist). Returns the new version, or `None`
    /// when the version did not match (nothing written).
    #[tracing::instrument(
        name = "persistent_cas",
        skip_all,
        fields(group = self.group(), path = path)
    )]
    pub async fn persistent_cas(
        &self,
        path: &str,
        expected_version: u64,
        value: &Value,
    ) -> Result<Option<u64>> {
        let expected = expected_version.to_string();
        Ok(self
            .write_data(&expected, &[(path, value)])
            .await?
            .and_then(|v| v.first().copied()))
    }

    /// Compare-and-set over several paths: writes every pair at once, only if the version
    /// of the first pair's path is `expected_version` (`0`: it must not exist). Returns the
    /// new versions, or `None` when the version did not match (nothing written). The
    /// assignment leader writes its record's head with the shares that changed this way, so
    /// the head's version fences them all.
    pub(crate) async fn persistent_cas_many(
        &self,
        expected_version: u64,
        entries: &[(String, Value)],
    ) -> Result<Option<Vec<u64>>> {
        let pairs: Vec<(&str, &Value)> = entries.iter().map(|(p, v)| (p.as_str(), v)).collect();
        if pairs.is_empty() {
            return Err(Error::protocol("compare-and-set of nothing"));
        }
        self.write_data(&expected_version.to_string(), &pairs).await
    }

    async fn write_data(
        &self,
        expected: &str,
        pairs: &[(&str, &Value)],
    ) -> Result<Option<Vec<u64>>> {
        self.inner.check_open()?;
        let mut args: Vec<String> = vec![expected.to_string()];
        for (path, value) in pairs {
            check_name("path", path)?;
            args.push(path.to_string());
            args.push(encode(value)?);
        }
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let reply: Vec<i64> = self
            .inner
            .run(&self.inner.scripts.data_set, &arg_refs)
            .await?;
        match reply.split_first() {
            Some((1, versions)) => Ok(Some(versions.iter().map(|v| *v as u64).collect())),
            Some((0, _)) => Ok(None),
            _ => Err(Error::protocol(format!("data write reply {reply:?}"))),
        }
    }

    /// The value of the persistent `path`, `None` when absent.
    pub async fn persistent_get(&self, path: &str) -> Result<Option<Value>> {
        Ok(self.persistent_get_versioned(path).await?.map(|v| v.value))
    }

    /// The value of the persistent `path` with its version.
    #[tracing::instrument(
        name = "persistent_get_versioned",
        skip_all,
        fields(group = self.group(), path = path)
    )]
    pub async fn persistent_get_versioned(&self, path: &str) -> Result<Option<Versioned>> {
        self.inner.check_open()?;
        check_name("path", path)?;
        let mut hmget = redis::cmd("HMGET");
        hmget
            .arg(self.inner.keys.data(path))
            .arg("value")
            .arg("version");
        let (text, version): (Option<String>, Option<u64>) = self.inner.query(&hmget).await?;
        match text {
            None => Ok(None),
            Some(text) => Ok(Some(Versioned {
                value: decode(path, &text)?,
                version: version.unwrap_or(0),
            })),
        }
    }

    /// Deletes the persistent `path`. Returns false when it did not exist.
    #[tracing::instrument(
        name = "persistent_del",
        skip_all,
        fields(group = self.group(), path = path)
    )]
    pub async fn persistent_del(&self, path: &str) -> Result<bool> {
        self.inner.check_open()?;
        check_name("path", path)?;
        let deleted: i64 = self
            .inner
            .run(&self.inner.scripts.data_del, &[path])
            .await?;
        Ok(deleted == 1)
    }

    /// Every persistent entry whose path starts with `prefix` (all when empty), sorted by
    /// path. Uses the group's index, never a keyspace scan.
    #[tracing::instrument(
        name = "persistent_list",
        skip_all,
        fields(group = self.group(), prefix = prefix)
    )]
    pub async fn persistent_list(&self, prefix: &str) -> Result<Vec<Entry>> {
        self.inner.check_open()?;
        check_prefix(prefix)?;
        let flat: Vec<String> = self
            .inner
            .run_idempotent(&self.inner.scripts.data_list, &[prefix])
            .await?;
        flat.chunks(3)
            .map(|triple| match triple {
                [path, text, version] => Ok(Entry {
                    path: path.clone(),
                    value: decode(path, text)?,
                    version: version
                        .parse()
                        .map_err(|_| Error::protocol("bad version in data list"))?,
                }),
                _ => Err(Error::protocol("odd data list reply")),
            })
            .collect()
    }
}
