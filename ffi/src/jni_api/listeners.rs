//! The listener form of every subscription kind for Java, and freeing: the library's
//! listener thread hands each event to a Java `NativeEventSink` through a global reference,
//! attached to the JVM while it delivers. The global reference lives exactly as long as the
//! listener. Openers, snapshot and next are bridged definitions (ffi/src/ops).

use std::sync::atomic::{AtomicI64, Ordering};

use jni::objects::{JClass, JObject, JString};
use jni::refs::Global;
use jni::sys::jlong;
use jni::vm::{AttachConfig, JavaVM};
use jni::{jni_sig, jni_str, Env, EnvUnowned, JValue};

use super::errors::{BridgeResult, ThrowGroupRedis};
use super::handles::{borrow, free_handle};
use crate::subscription::{gr_subscription, Sink};

/// Global references to Java sinks currently held, for the leak test.
static LIVE_SINK_REFS: AtomicI64 = AtomicI64::new(0);

/// A global reference to a Java `NativeEventSink`, counted while alive.
struct SinkRef(Global<JObject<'static>>);

impl SinkRef {
    fn new(env: &Env<'_>, sink: &JObject<'_>) -> BridgeResult<SinkRef> {
        let global = env.new_global_ref(sink)?;
        LIVE_SINK_REFS.fetch_add(1, Ordering::SeqCst);
        Ok(SinkRef(global))
    }

    /// Calls `sink.<method>(args)` from the listener thread. The Java side catches what a
    /// listener throws; anything that still goes wrong is reported here and delivery goes
    /// on with the next event.
    fn call(&self, text: Option<&str>) {
        let vm = match JavaVM::singleton() {
            Ok(vm) => vm,
            Err(err) => {
                eprintln!("group-redis: cannot reach the JVM to deliver an event: {err}");
                return;
            }
        };
        // A scoped attachment: the thread is attached only while it delivers. A permanently
        // attached thread counts as a non-daemon Java thread, and the JVM's exit waits for
        // those: a program that forgot to close a listener would never exit.
        let config = || {
            AttachConfig::new()
                .scoped(true)
                .thread_name(jni_str!("group-redis-events"))
        };
        let result = vm.attach_current_thread_with_config(
            config,
            Some(16),
            |env| -> jni::errors::Result<()> {
                match text {
                    Some(text) => {
                        let arg = JString::from_str(env, text)?;
                        env.call_method(
                            self.0.as_obj(),
                            jni_str!("deliver"),
                            jni_sig!("(Ljava/lang/String;)V"),
                            &[JValue::Object(&arg)],
                        )?;
                    }
                    None => {
                        env.call_method(self.0.as_obj(), jni_str!("ended"), jni_sig!("()V"), &[])?;
                    }
                }
                Ok(())
            },
        );
        if let Err(err) = result {
            eprintln!("group-redis: delivering an event to Java failed: {err}");
        }
    }
}

impl Sink for SinkRef {
    fn deliver(&mut self, event_json: &str) {
        self.call(Some(event_json));
    }

    fn ended(&mut self) {
        self.call(None);
    }
}

impl Drop for SinkRef {
    fn drop(&mut self) {
        // The Global deletes its JNI reference when dropped right after this.
        LIVE_SINK_REFS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// From now on every event of the subscription (any kind) goes to `sink.deliver(json)` on
/// the library's listener thread, then `sink.ended()` once.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_subscriptionListen<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    subscription: jlong,
    sink: JObject<'l>,
) {
    unowned
        .with_env(|env| -> BridgeResult<()> {
            // SAFETY: the Java side passes a live subscription handle (or 0).
            let subscription: &gr_subscription = unsafe { borrow(subscription)? };
            if sink.is_null() {
                return Err(
                    grcore::Error::InvalidArgument("listener must not be null".into()).into(),
                );
            }
            Ok(subscription.listen(SinkRef::new(env, &sink)?)?)
        })
        .resolve::<ThrowGroupRedis>()
}

/// Stops a subscription and frees it: waits for a running delivery to return (unless
/// called from inside one), then releases the sink's global reference.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_subscriptionFree<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    subscription: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            // SAFETY: called once per subscription by its Java owner (which zeroes its copy).
            unsafe { free_handle::<gr_subscription>(subscription) };
            Ok(())
        })
        .resolve::<ThrowGroupRedis>()
}

/// How many sink global references are alive (test hook for leak checks).
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_liveSinkRefs<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> jlong {
    unowned
        .with_env(|_env| -> BridgeResult<jlong> { Ok(LIVE_SINK_REFS.load(Ordering::SeqCst)) })
        .resolve::<ThrowGroupRedis>()
}
