//! How failures reach Java: one exception class per core error variant, thrown by the
//! error policy that resolves every native method's outcome.

use std::any::Any;

use grcore::Error;
use jni::errors::ErrorPolicy;
use jni::strings::{JNIStr, JNIString};
use jni::{jni_str, Env};

/// Anything a native method body can fail with.
#[derive(Debug)]
pub(crate) enum BridgeError {
    /// The core refused or failed (mapped to a specific exception class).
    Core(Error),
    /// A JNI call failed, or Java code we called threw (then the exception is pending).
    Jni(jni::errors::Error),
}

impl From<Error> for BridgeError {
    fn from(err: Error) -> Self {
        BridgeError::Core(err)
    }
}

impl From<jni::errors::Error> for BridgeError {
    fn from(err: jni::errors::Error) -> Self {
        BridgeError::Jni(err)
    }
}

/// Result of a native method body.
pub(crate) type BridgeResult<T> = Result<T, BridgeError>;

/// The base class; also used for JNI failures and panics.
const BASE_EXCEPTION: &JNIStr = jni_str!("group_redis/GroupRedisException");

fn exception_class(err: &Error) -> &'static JNIStr {
    match err {
        Error::InvalidArgument(_) => jni_str!("group_redis/InvalidArgumentException"),
        Error::InvalidJson(_) => jni_str!("group_redis/InvalidJsonException"),
        Error::Connection(_) => jni_str!("group_redis/ConnectionException"),
        Error::Timeout(_) => jni_str!("group_redis/RedisTimeoutException"),
        Error::Closed => jni_str!("group_redis/ConnectorClosedException"),
        Error::SessionExpired(_) => jni_str!("group_redis/SessionExpiredException"),
        Error::MemberExists(_) => jni_str!("group_redis/MemberExistsException"),
        Error::KeyOwned(_) => jni_str!("group_redis/KeyOwnedException"),
        Error::Redis(_) => jni_str!("group_redis/RedisErrorException"),
        Error::Protocol(_) => jni_str!("group_redis/ProtocolException"),
        Error::LeaseInDoubt(_) => jni_str!("group_redis/LeaseInDoubtException"),
    }
}

/// Throws `class` with `message`. `throw_new` reports the now-pending exception as an
/// `Err`, which is exactly the state we want to return to Java in, so it is ignored.
fn throw(env: &mut Env<'_>, class: &JNIStr, message: &str) {
    let _ = env.throw_new(class, JNIString::from(message));
}

/// Error policy of every native method: throw the matching `group_redis` exception and
/// return the type's default (ignored by Java, since an exception is pending).
#[derive(Debug, Default)]
pub(crate) struct ThrowGroupRedis;

impl<T: Default> ErrorPolicy<T, BridgeError> for ThrowGroupRedis {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        err: BridgeError,
    ) -> jni::errors::Result<T> {
        if env.exception_check() {
            // Java code we called threw, or a JNI call did: let that exception propagate.
            return Ok(T::default());
        }
        match err {
            BridgeError::Core(err) => throw(env, exception_class(&err), &err.to_string()),
            BridgeError::Jni(err) => throw(env, BASE_EXCEPTION, &format!("JNI error: {err}")),
        }
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let what = panic_message(payload.as_ref());
        // A Java exception may be pending from before the panic; ours is more telling.
        env.exception_clear();
        throw(
            env,
            BASE_EXCEPTION,
            &format!("internal error in group-redis native code (please report): {what}"),
        );
        Ok(T::default())
    }
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-text panic payload".to_string()
    }
}
