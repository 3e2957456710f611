//! Native methods of `group_redis.NativeLib` for the connector's life: the ABI version,
//! connect and free. The operations on a connector are defined once in ffi/src/ops, which
//! emits their JNI exports.

use grcore::blocking::Connector;
use jni::objects::{JClass, JString};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;

use super::args::required;
use super::errors::{BridgeResult, ThrowGroupRedis};
use super::handles::{free_handle, into_handle};
use super::ABI_VERSION;
use crate::bridge::config::ConfigSpec;

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_abiVersion<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> jint {
    unowned
        .with_env(|_env| -> BridgeResult<jint> { Ok(ABI_VERSION) })
        .resolve::<ThrowGroupRedis>()
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_connect<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    config_json: JString<'l>,
) -> jlong {
    unowned
        .with_env(|env| -> BridgeResult<jlong> {
            let config =
                ConfigSpec::from_json(&required(env, &config_json, "config")?)?.into_config()?;
            let connector = Connector::connect(config)?;
            Ok(into_handle(connector))
        })
        .resolve::<ThrowGroupRedis>()
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_free<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            // SAFETY: called once, by the Java side's last user of the handle.
            unsafe { free_handle::<Connector>(handle) };
            Ok(())
        })
        .resolve::<ThrowGroupRedis>()
}

/// Panics on purpose: lets the Java tests check that a panic inside a native method comes
/// out as a `GroupRedisException` (never an abort) and that the library stays usable.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_selfTestPanic<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> jlong {
    unowned
        .with_env(|_env| -> BridgeResult<jlong> {
            panic!("self-test panic (expected by the test)");
        })
        .resolve::<ThrowGroupRedis>()
}
