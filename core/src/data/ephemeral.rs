//! Ephemeral data: keys owned by the session, deleted when it ends, re-created under a new
//! session after a lost one.

use serde_json::Value;

use crate::connector::Connector;
use crate::data::{decode, encode};
use crate::error::{Error, Result};
use crate::names::{check_name, check_prefix};

impl Connector {
    /// Sets the ephemeral `key` to `value`, replacing this session's earlier value. The key
    /// is deleted when the session ends (close, crash, lease run out) and re-created if the
    /// connector has to start a new session. A key of another live session is refused with
    /// [`Error::KeyOwned`].
    #[tracing::instrument(
        name = "ephemeral_set",
        skip_all,
        fields(group = self.group(), key = key)
    )]
    pub async fn ephemeral_set(&self, key: &str, value: &Value) -> Result<()> {
        self.inner.check_open()?;
        check_name("ephemeral key", key)?;
        let text = encode(value)?;
        let sid = self.inner.record().id.clone();
        self.inner.write_ephemeral(&sid, key, &text).await?;
        let mut record = self.inner.record();
        if record.id == sid {
            record.ephemerals.insert(key.to_string(), text);
        }
        Ok(())
    }

    /// The value of the ephemeral `key` (anyone's), `None` when absent.
    #[tracing::instrument(
        name = "ephemeral_get",
        skip_all,
        fields(group = self.group(), key = key)
    )]
    pub async fn ephemeral_get(&self, key: &str) -> Result<Option<Value>> {
        self.inner.check_open()?;
        check_name("ephemeral key", key)?;
        let text: Option<String> = self
            .inner
            .run_idempotent(&self.inner.scripts.eph_get, &[key])
            .await?;
        text.map(|t| decode(key, &t)).transpose()
    }

    /// Deletes this session's ephemeral `key`. Returns false when it did not exist.
    #[tracing::instrument(
        name = "ephemeral_del",
        skip_all,
        fields(group = self.group(), key = key)
    )]
    pub async fn ephemeral_del(&self, key: &str) -> Result<bool> {
        self.inner.check_open()?;
        check_name("ephemeral key", key)?;
        let sid = self.inner.record().id.clone();
        self.inner.record().ephemerals.remove(key);
        let deleted: i64 = self
            .inner
            .run(&self.inner.scripts.eph_del, &[&sid, key])
            .await?;
        Ok(deleted == 1)
    }

    /// Every live ephemeral key starting with `prefix` (all when empty), sorted, with values.
    #[tracing::instrument(
        name = "ephemeral_list",
        skip_all,
        fields(group = self.group(), prefix = prefix)
    )]
    pub async fn ephemeral_list(&self, prefix: &str) -> Result<Vec<(String, Value)>> {
        self.inner.check_open()?;
        check_prefix(prefix)?;
        let flat: Vec<String> = self
            .inner
            .run_idempotent(&self.inner.scripts.eph_list, &[prefix])
            .await?;
        flat.chunks(2)
            .map(|pair| match pair {
                [key, text] => Ok((key.clone(), decode(key, text)?)),
                _ => Err(Error::protocol("odd ephemeral list reply")),
            })
            .collect()
    }
}
