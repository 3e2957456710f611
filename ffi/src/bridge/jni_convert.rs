//! How the JNI export of an operation converts its arguments and result. Documents cross
//! as JSON text in Java `String`s; the Java side parses them with its JSON library.

use std::time::Duration;

use grcore::{ConnectionState, Error, Value};
use jni::objects::JString;
use jni::sys::{jboolean, jlong};
use jni::Env;
use serde::Serialize;

use super::values::{Json, Released, Token};
use crate::jni_api::args::{json, millis, optional, required};
use crate::jni_api::errors::BridgeResult;
use crate::subscription::NewSubscription;

/// An argument type: its JNI form and how it is read.
pub(crate) trait JniArg: Sized {
    type Raw<'l>;
    /// Its type in the Java `native` declaration.
    #[cfg_attr(not(test), allow(dead_code))] // read by the declarations tests
    const JAVA_TYPE: &'static str;
    fn from_jni(env: &mut Env<'_>, raw: Self::Raw<'_>, what: &'static str) -> BridgeResult<Self>;
}

impl JniArg for String {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn from_jni(env: &mut Env<'_>, raw: JString<'_>, what: &'static str) -> BridgeResult<Self> {
        required(env, &raw, what)
    }
}

impl JniArg for Option<String> {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn from_jni(env: &mut Env<'_>, raw: JString<'_>, _what: &'static str) -> BridgeResult<Self> {
        optional(env, &raw)
    }
}

impl JniArg for Value {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn from_jni(env: &mut Env<'_>, raw: JString<'_>, what: &'static str) -> BridgeResult<Self> {
        json(&required(env, &raw, what)?)
    }
}

impl JniArg for Option<Value> {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn from_jni(env: &mut Env<'_>, raw: JString<'_>, _what: &'static str) -> BridgeResult<Self> {
        optional(env, &raw)?.map(|text| json(&text)).transpose()
    }
}

impl JniArg for bool {
    type Raw<'l> = jboolean;
    const JAVA_TYPE: &'static str = "boolean";
    fn from_jni(_env: &mut Env<'_>, raw: jboolean, _what: &'static str) -> BridgeResult<Self> {
        Ok(raw)
    }
}

/// Java has no unsigned `long`: a negative one is refused rather than wrapped.
impl JniArg for u64 {
    type Raw<'l> = jlong;
    const JAVA_TYPE: &'static str = "long";
    fn from_jni(_env: &mut Env<'_>, raw: jlong, what: &'static str) -> BridgeResult<Self> {
        u64::try_from(raw)
            .map_err(|_| Error::InvalidArgument(format!("{what} must not be negative")).into())
    }
}

/// A duration crosses as whole milliseconds; negative is refused.
impl JniArg for Duration {
    type Raw<'l> = jlong;
    const JAVA_TYPE: &'static str = "long";
    fn from_jni(_env: &mut Env<'_>, raw: jlong, what: &'static str) -> BridgeResult<Self> {
        millis(raw, what)
    }
}

/// A result returned to Java.
pub(crate) trait JniResult: Sized {
    type Raw<'l>: Default;
    /// Its type in the Java `native` declaration.
    #[cfg_attr(not(test), allow(dead_code))] // read by the declarations tests
    const JAVA_TYPE: &'static str;
    fn into_jni<'l>(self, env: &mut Env<'l>) -> BridgeResult<Self::Raw<'l>>;
}

impl JniResult for () {
    type Raw<'l> = ();
    const JAVA_TYPE: &'static str = "void";
    fn into_jni<'l>(self, _env: &mut Env<'l>) -> BridgeResult<()> {
        Ok(())
    }
}

impl JniResult for bool {
    type Raw<'l> = jboolean;
    const JAVA_TYPE: &'static str = "boolean";
    fn into_jni<'l>(self, _env: &mut Env<'l>) -> BridgeResult<jboolean> {
        Ok(self)
    }
}

impl JniResult for Released {
    type Raw<'l> = jboolean;
    const JAVA_TYPE: &'static str = "boolean";
    fn into_jni<'l>(self, _env: &mut Env<'l>) -> BridgeResult<jboolean> {
        Ok(matches!(self, Released::Yes))
    }
}

/// Versions stay below 2^63 (they count writes), so they fit a Java `long`.
impl JniResult for u64 {
    type Raw<'l> = jlong;
    const JAVA_TYPE: &'static str = "long";
    fn into_jni<'l>(self, _env: &mut Env<'l>) -> BridgeResult<jlong> {
        Ok(self as jlong)
    }
}

impl JniResult for Token {
    type Raw<'l> = jlong;
    const JAVA_TYPE: &'static str = "long";
    fn into_jni<'l>(self, _env: &mut Env<'l>) -> BridgeResult<jlong> {
        Ok(self.as_number() as jlong)
    }
}

impl JniResult for String {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn into_jni<'l>(self, env: &mut Env<'l>) -> BridgeResult<JString<'l>> {
        Ok(JString::from_str(env, self)?)
    }
}

impl<T: Serialize> JniResult for Json<T> {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn into_jni<'l>(self, env: &mut Env<'l>) -> BridgeResult<JString<'l>> {
        self.into_text()?.into_jni(env)
    }
}

/// A document that may be absent: Java `null` when it is.
impl<T: Serialize> JniResult for Option<Json<T>> {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn into_jni<'l>(self, env: &mut Env<'l>) -> BridgeResult<JString<'l>> {
        match self {
            Some(json) => json.into_jni(env),
            None => Ok(JString::default()),
        }
    }
}

/// The state's lower-case name, as in the core's serde form ("connected", "lost", ...).
impl JniResult for ConnectionState {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn into_jni<'l>(self, env: &mut Env<'l>) -> BridgeResult<JString<'l>> {
        let name = serde_json::to_value(self).map_err(|e| Error::InvalidJson(e.to_string()))?;
        name.as_str().unwrap_or_default().to_string().into_jni(env)
    }
}

/// A wait in milliseconds: negative means without limit (`None`).
impl JniArg for Option<Duration> {
    type Raw<'l> = jlong;
    const JAVA_TYPE: &'static str = "long";
    fn from_jni(_env: &mut Env<'_>, raw: jlong, _what: &'static str) -> BridgeResult<Self> {
        Ok(u64::try_from(raw).ok().map(Duration::from_millis))
    }
}

/// Text that may be absent: Java `null` when it is.
impl JniResult for Option<String> {
    type Raw<'l> = JString<'l>;
    const JAVA_TYPE: &'static str = "String";
    fn into_jni<'l>(self, env: &mut Env<'l>) -> BridgeResult<JString<'l>> {
        self.map_or(Ok(JString::default()), |text| text.into_jni(env))
    }
}

/// A new subscription: Java owns the handle (`subscriptionFree`).
impl JniResult for NewSubscription {
    type Raw<'l> = jlong;
    const JAVA_TYPE: &'static str = "long";
    fn into_jni<'l>(self, _env: &mut Env<'l>) -> BridgeResult<jlong> {
        Ok(Box::into_raw(self.0) as jlong)
    }
}
