//! Ephemeral data (owned by the session, gone with it) and persistent data (stays, with a
//! version per path for compare-and-set). Values are JSON documents stored as JSON text.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::connector::{Connector, Inner};
use crate::error::{Error, Result};
use crate::names::{check_name, check_prefix};

/// The largest value accepted (bytes of JSON text).
pub const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

/// The deepest nesting of arrays and objects accepted in a value or payload (`[]` is 1).
/// Every reader, in every language, must be able to parse what was stored: serde_json stops
/// at 128 levels and a member record or event wraps a payload in up to three more.
pub const MAX_JSON_DEPTH: usize = 100;

/// Refuses values nested deeper than [`MAX_JSON_DEPTH`] with [`Error::InvalidJson`].
pub(crate) fn check_depth(value: &Value) -> Result<()> {
    // Iterative, so a pathological value cannot overflow the stack here either.
    let mut pending: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((value, depth)) = pending.pop() {
        if !(value.is_array() || value.is_object()) {
            continue;
        }
        if depth + 1 > MAX_JSON_DEPTH {
            return Err(Error::InvalidJson(format!(
                "value is nested more than {MAX_JSON_DEPTH} levels deep"
            )));
        }
        match value {
            Value::Array(items) => pending.extend(items.iter().map(|child| (child, depth + 1))),
            Value::Object(fields) => {
                pending.extend(fields.values().map(|child| (child, depth + 1)))
            }
            _ => {}
        }
    }
    Ok(())
}

/// A persistent value with its version (1 after the first write, +1 per write).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned {
    pub value: Value,
    pub version: u64,
}

/// One persistent entry returned by [`Connector::persistent_list`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub value: Value,
    pub version: u64,
}

fn encode(value: &Value) -> Result<String> {
    check_depth(value)?;
    let text = serde_json::to_string(value)?;
    if text.len() > MAX_VALUE_BYTES {
        return Err(Error::InvalidArgument(format!(
            "value is {} bytes of JSON, more than {MAX_VALUE_BYTES}",
            text.len()
        )));
    }
    Ok(text)
}

fn decode(name: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| Error::protocol(format!("value of {name:?} is not JSON: {e}")))
}

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
        let sid = self.inner.session().id.clone();
        self.inner.set_ephemeral_raw(&sid, key, &text).await?;
        let mut session = self.inner.session();
        if session.id == sid {
            session.ephemerals.insert(key.to_string(), text);
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
        let sid = self.inner.session().id.clone();
        self.inner.session().ephemerals.remove(key);
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

impl Inner {
    pub async fn set_ephemeral_raw(&self, sid: &str, key: &str, text: &str) -> Result<()> {
        let _: i64 = self.run(&self.scripts.eph_set, &[sid, key, text]).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> Value {
        let mut value = Value::Null;
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        value
    }

    #[test]
    fn depth_is_bounded_at_write() {
        assert!(check_depth(&nested(MAX_JSON_DEPTH)).is_ok());
        assert!(matches!(
            check_depth(&nested(MAX_JSON_DEPTH + 1)),
            Err(Error::InvalidJson(_))
        ));
        assert!(check_depth(&serde_json::json!({"a": 1})).is_ok());
    }

    /// What a value keeps through storage (parsed from a binding's text, stored, parsed
    /// again): integers from i64::MIN to u64::MAX exactly, every finite double bit for bit
    /// (serde_json's float_roundtrip: the default parser gets about 3 in 10 random doubles
    /// wrong by one unit in the last place), -0.0 as -0.0.
    #[test]
    fn numbers_survive_storage_exactly() {
        let stored = |text: &str| {
            let parsed: Value = serde_json::from_str(text).unwrap();
            decode("n", &encode(&parsed).unwrap()).unwrap()
        };
        assert_eq!(stored("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(stored("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(stored("9007199254740993").as_u64(), Some((1 << 53) + 1));
        // Beyond u64 an integer is a double: the limit the README documents.
        assert!(stored("18446744073709551616").is_f64());
        for text in [
            "2.7715077941825975e-163",
            "2.2790121708605243e+274",
            "1.2345678901234567e-300",
            "123456789012345680000.0",
            "9007199254740993.0",
            "5e-324",
            "1.7976931348623157e308",
            "0.1",
            "-0.0",
        ] {
            let want: f64 = text.parse().unwrap();
            let got = stored(text).as_f64().unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{text} came back as {got:e}");
        }
    }
}
