//! How the JNI export of an operation converts its arguments and result. Documents cross
//! as JSON text in Java `String`s; the Java side parses them with its JSON library. One
//! line per type (`jni_arg!`, `jni_result!`): its JNI form, its Java spelling, the
//! conversion.

use std::time::Duration;

use grcore::{ConnectionState, Error, Value};
use jni::objects::JString;
use jni::sys::{jboolean, jlong};
use jni::Env;
use serde::Serialize;

use super::values::{Json, Released, Token};
use crate::jni_api::args::{json, millis, optional, required};
use crate::jni_api::errors::BridgeResult;
use crate::recipes::{NewAssignment, NewLeadership, NewProvider};
use crate::subscription::NewSubscription;

/// An argument type: its JNI form and how it is read.
pub(crate) trait JniArg: Sized {
    type Raw<'l>;
    /// Its type in the Java `native` declaration.
    #[cfg_attr(not(test), allow(dead_code))] // read by the declarations tests
    const JAVA_TYPE: &'static str;
    fn from_jni(env: &mut Env<'_>, raw: Self::Raw<'_>, what: &'static str) -> BridgeResult<Self>;
}

/// `jni_arg!(Type: Raw as "Java type", |env, raw, what| conversion)`.
macro_rules! jni_arg {
    ($($ty:ty : $raw:ident as $java:literal, |$env:ident, $r:ident, $what:ident| $body:expr;)*) => {$(
        impl JniArg for $ty {
            type Raw<'l> = jni_arg!(@raw $raw 'l);
            const JAVA_TYPE: &'static str = $java;
            #[allow(unused_variables)]
            fn from_jni(
                $env: &mut Env<'_>,
                $r: Self::Raw<'_>,
                $what: &'static str,
            ) -> BridgeResult<Self> {
                $body
            }
        }
    )*};
    (@raw JString $l:lifetime) => { JString<$l> };
    (@raw $raw:ident $l:lifetime) => { $raw };
}

jni_arg! {
    String: JString as "String", |env, raw, what| required(env, &raw, what);
    Option<String>: JString as "String", |env, raw, what| optional(env, &raw);
    Value: JString as "String", |env, raw, what| json(&required(env, &raw, what)?);
    Option<Value>: JString as "String", |env, raw, what| optional(env, &raw)?.map(|t| json(&t)).transpose();
    bool: jboolean as "boolean", |env, raw, what| Ok(raw);
    // Java has no unsigned `long`: a negative one is refused rather than wrapped.
    u64: jlong as "long", |env, raw, what| u64::try_from(raw)
        .map_err(|_| Error::InvalidArgument(format!("{what} must not be negative")).into());
    // A duration crosses as whole milliseconds; negative is refused.
    Duration: jlong as "long", |env, raw, what| millis(raw, what);
    // A wait in milliseconds: negative means without limit (`None`).
    Option<Duration>: jlong as "long", |env, raw, what| Ok(u64::try_from(raw).ok().map(Duration::from_millis));
}

/// A result returned to Java.
pub(crate) trait JniResult: Sized {
    type Raw<'l>: Default;
    /// Its type in the Java `native` declaration.
    #[cfg_attr(not(test), allow(dead_code))] // read by the declarations tests
    const JAVA_TYPE: &'static str;
    fn into_jni<'l>(self, env: &mut Env<'l>) -> BridgeResult<Self::Raw<'l>>;
}

/// `jni_result!(Type: Raw as "Java type", |value, env| conversion)`; `@T Type<T>` for a
/// type generic over a serialisable `T`.
macro_rules! jni_result {
    ($($(@$g:ident)? $ty:ty : $raw:ident as $java:literal, |$v:ident, $env:ident| $body:expr;)*) => {$(
        impl$(<$g: Serialize>)? JniResult for $ty {
            type Raw<'l> = jni_arg!(@raw $raw 'l);
            const JAVA_TYPE: &'static str = $java;
            #[allow(unused_variables)]
            fn into_jni<'l>(self, $env: &mut Env<'l>) -> BridgeResult<Self::Raw<'l>> {
                let $v = self;
                $body
            }
        }
    )*};
}

type Void = ();

jni_result! {
    (): Void as "void", |v, env| Ok(());
    bool: jboolean as "boolean", |v, env| Ok(v);
    Released: jboolean as "boolean", |v, env| Ok(matches!(v, Released::Yes));
    // Versions stay below 2^63 (they count writes), so they fit a Java `long`.
    u64: jlong as "long", |v, env| Ok(v as jlong);
    Token: jlong as "long", |v, env| Ok(v.as_number() as jlong);
    String: JString as "String", |v, env| Ok(JString::from_str(env, v)?);
    // Text that may be absent: Java `null` when it is.
    Option<String>: JString as "String", |v, env| v.map_or(Ok(JString::default()), |t| t.into_jni(env));
    @T Json<T>: JString as "String", |v, env| v.into_text()?.into_jni(env);
    // A document that may be absent: Java `null` when it is.
    @T Option<Json<T>>: JString as "String", |v, env| v.map_or(Ok(JString::default()), |j| j.into_jni(env));
    // The state's name, as in the core's serde form ("CONNECTED", "LOST", ...).
    ConnectionState: JString as "String", |v, env| {
        let name = serde_json::to_value(v).map_err(|e| Error::InvalidJson(e.to_string()))?;
        name.as_str().unwrap_or_default().to_string().into_jni(env)
    };
    // A new subscription: Java owns the handle (`subscriptionFree`).
    NewSubscription: jlong as "long", |v, env| Ok(Box::into_raw(v.0) as jlong);
    // A new leadership: Java owns the handle (`leadershipFree`).
    NewLeadership: jlong as "long", |v, env| Ok(Box::into_raw(v.0) as jlong);
    // A new assignment: Java owns the handle (`assignmentFree`).
    NewAssignment: jlong as "long", |v, env| Ok(Box::into_raw(v.0) as jlong);
    // A new service provider: Java owns the handle (`providerFree`).
    NewProvider: jlong as "long", |v, env| Ok(Box::into_raw(v.0) as jlong);
}
