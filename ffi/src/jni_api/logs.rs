//! Log records to Java: each record is handed to the static `group_redis.Logs.deliver(int,
//! String, String)`, which passes it to `System.Logger` "group_redis". The class is held
//! as a global reference taken when Java installs the sink, on a Java thread whose class
//! loader can see it (a library thread's FindClass could not).

use grcore::Error;
use jni::objects::{JClass, JString};
use jni::refs::Global;
use jni::sys::jint;
use jni::vm::{AttachConfig, JavaVM};
use jni::{jni_sig, jni_str, Env, EnvUnowned, JValue};

use super::errors::{BridgeResult, ThrowGroupRedis};
use crate::logs::{install, level_number, LogSink};

/// The Java class records are delivered to.
struct JavaSink {
    logs_class: Global<JClass<'static>>,
}

impl LogSink for JavaSink {
    fn deliver(&self, level: tracing::Level, target: &str, message: &str) {
        let Ok(vm) = JavaVM::singleton() else { return };
        // Scoped, as for events: a thread attached only for this record, so a library
        // thread never counts as a live Java thread that the JVM's exit waits for. A Java
        // thread inside a native call is already attached and keeps its attachment.
        let config = || {
            AttachConfig::new()
                .scoped(true)
                .thread_name(jni_str!("group-redis-log"))
        };
        let _ = vm.attach_current_thread_with_config(
            config,
            Some(8),
            |env| -> jni::errors::Result<()> {
                let result = call_deliver(env, &self.logs_class, level, target, message);
                // Logs.deliver catches everything; should anything still be thrown (an
                // OutOfMemoryError making the strings), it must not surface in whatever
                // Java call this thread is making.
                if env.exception_check() {
                    env.exception_clear();
                }
                result
            },
        );
    }
}

fn call_deliver(
    env: &mut Env<'_>,
    logs_class: &Global<JClass<'static>>,
    level: tracing::Level,
    target: &str,
    message: &str,
) -> jni::errors::Result<()> {
    let target = JString::from_str(env, target)?;
    let message = JString::from_str(env, message)?;
    env.call_static_method(
        &**logs_class,
        jni_str!("deliver"),
        jni_sig!("(ILjava/lang/String;Ljava/lang/String;)V"),
        &[
            JValue::Int(jint::from(level_number(&level))),
            JValue::Object(&target),
            JValue::Object(&message),
        ],
    )?;
    Ok(())
}

/// Delivers records at `level` (1 = ERROR .. 5 = TRACE) or more severe to
/// `group_redis.Logs.deliver`; 0 turns forwarding off.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_setLogLevel<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    level: jint,
) {
    unowned
        .with_env(|env| -> BridgeResult<()> {
            let level = u8::try_from(level)
                .ok()
                .filter(|level| *level <= 5)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!("log level {level} is not 0 (off) .. 5"))
                })?;
            let sink = if level == 0 {
                None
            } else {
                let class = env.find_class(jni_str!("group_redis/Logs"))?;
                let logs_class = env.new_global_ref(&class)?;
                Some(Box::new(JavaSink { logs_class }) as Box<dyn LogSink>)
            };
            install(sink, level.max(1)).map_err(Error::InvalidArgument)?;
            Ok(())
        })
        .resolve::<ThrowGroupRedis>()
}
