//! Ephemeral data (owned by the session, gone with it: [`ephemeral`]) and persistent data
//! (stays, with a version per path for compare-and-set: [`persistent`]). Values are JSON
//! documents stored as JSON text; this file holds their checks and encoding.

mod ephemeral;
pub(crate) mod events;
mod feed;
mod persistent;
mod watch;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

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
    /// The value.
    pub value: Value,
    /// Its version.
    pub version: u64,
}

/// One entry with its version: returned by [`crate::Connector::persistent_list`], and the
/// entries of a [`crate::DataSnapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The path (or ephemeral key name).
    pub path: String,
    /// The value.
    pub value: Value,
    /// Its version (1 after the first write, +1 per write).
    pub version: u64,
}

pub(crate) fn encode(value: &Value) -> Result<String> {
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

pub(crate) fn decode(name: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| Error::protocol(format!("value of {name:?} is not JSON: {e}")))
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
