//! Arguments from Java: strings that must be present, strings that may be null, and JSON
//! text. A null where a value is required is the caller's mistake and says so.

use grcore::{Error, Value};
use jni::objects::JString;
use jni::Env;

use super::errors::BridgeResult;

/// The Rust string of a required Java string; null gives `InvalidArgumentException`.
pub(crate) fn required(env: &Env<'_>, text: &JString<'_>, what: &str) -> BridgeResult<String> {
    if text.is_null() {
        return Err(Error::InvalidArgument(format!("{what} must not be null")).into());
    }
    Ok(text.try_to_string(env)?)
}

/// The Rust string of an optional Java string (`None` for null).
pub(crate) fn optional(env: &Env<'_>, text: &JString<'_>) -> BridgeResult<Option<String>> {
    if text.is_null() {
        return Ok(None);
    }
    Ok(Some(text.try_to_string(env)?))
}

/// Parses JSON text produced by the Java side.
pub(crate) fn json(text: &str) -> BridgeResult<Value> {
    serde_json::from_str(text).map_err(|e| Error::InvalidJson(e.to_string()).into())
}

/// A Java `long` duration in milliseconds; negative values are refused.
pub(crate) fn millis(value: i64, what: &str) -> BridgeResult<std::time::Duration> {
    u64::try_from(value)
        .map(std::time::Duration::from_millis)
        .map_err(|_| Error::InvalidArgument(format!("{what} must not be negative")).into())
}
