//! Listeners: the core calls back on a dispatcher thread of its own; each call is handed to
//! a Java `NativeEventSink` through a global reference, with the thread attached to the JVM.
//! The global reference lives exactly as long as the subscription's dispatcher.

use std::sync::atomic::{AtomicI64, Ordering};

use grcore::blocking::{CallbackHandle, Connector};
use grcore::{ConnectionState, MembershipEvent};
use jni::objects::{JClass, JObject, JString};
use jni::refs::Global;
use jni::sys::jlong;
use jni::vm::{AttachConfig, JavaVM};
use jni::{jni_sig, jni_str, Env, EnvUnowned, JValue};

use super::args::json_error;
use super::errors::{BridgeResult, ThrowGroupRedis};
use super::handles::{borrow, free_handle, into_handle};

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

    /// Calls `sink.deliver(text)` from a dispatcher thread. The Java side catches what a
    /// listener throws; anything that still goes wrong is reported here and delivery goes
    /// on with the next event.
    fn deliver(&self, text: &str) {
        let vm = match JavaVM::singleton() {
            Ok(vm) => vm,
            Err(err) => {
                eprintln!("group-redis: cannot reach the JVM to deliver an event: {err}");
                return;
            }
        };
        // A scoped attachment: the thread is attached only while it delivers. A permanently
        // attached thread counts as a non-daemon Java thread, and the JVM's exit waits for
        // those: a program that forgot to close a listener would never exit. Events are rare
        // (membership and state changes), so the attach cost per event does not matter.
        let config = || {
            AttachConfig::new()
                .scoped(true)
                .thread_name(jni_str!("group-redis-events"))
        };
        let result = vm.attach_current_thread_with_config(
            config,
            Some(16),
            |env| -> jni::errors::Result<()> {
                let arg = JString::from_str(env, text)?;
                env.call_method(
                    self.0.as_obj(),
                    jni_str!("deliver"),
                    jni_sig!("(Ljava/lang/String;)V"),
                    &[JValue::Object(&arg)],
                )?;
                Ok(())
            },
        );
        if let Err(err) = result {
            eprintln!("group-redis: delivering an event to Java failed: {err}");
        }
    }
}

impl Drop for SinkRef {
    fn drop(&mut self) {
        // The Global deletes its JNI reference when dropped right after this.
        LIVE_SINK_REFS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a Java subscription object owns: the running dispatcher (which owns the sink
/// reference) and, for membership, the starting snapshot.
struct Subscription {
    snapshot_json: Option<String>,
    /// Never read: owning it keeps the dispatcher running until the subscription drops.
    _callbacks: CallbackHandle,
}

fn state_name(state: ConnectionState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| format!("{state:?}").to_uppercase())
}

/// Starts delivering membership events (as JSON) to `sink`; returns the subscription
/// handle. The starting snapshot is read with `subscriptionSnapshot`.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_subscribeMembers<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    sink: JObject<'l>,
) -> jlong {
    unowned
        .with_env(|env| -> BridgeResult<jlong> {
            // SAFETY: the Java side passes a live connector handle (or 0).
            let conn: &Connector = unsafe { borrow(handle)? };
            if sink.is_null() {
                return Err(
                    grcore::Error::InvalidArgument("listener must not be null".into()).into(),
                );
            }
            let sink = SinkRef::new(env, &sink)?;
            let (snapshot, callbacks) = conn.on_member_event(move |event: MembershipEvent| {
                match serde_json::to_string(&event) {
                    Ok(text) => sink.deliver(&text),
                    Err(err) => eprintln!("group-redis: cannot encode an event: {err}"),
                }
            })?;
            let snapshot_json = serde_json::to_string(&snapshot).map_err(json_error)?;
            Ok(into_handle(Subscription {
                snapshot_json: Some(snapshot_json),
                _callbacks: callbacks,
            }))
        })
        .resolve::<ThrowGroupRedis>()
}

/// Starts delivering connection-state names (CONNECTED, SUSPENDED, ...) to `sink`.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_subscribeState<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    sink: JObject<'l>,
) -> jlong {
    unowned
        .with_env(|env| -> BridgeResult<jlong> {
            // SAFETY: the Java side passes a live connector handle (or 0).
            let conn: &Connector = unsafe { borrow(handle)? };
            if conn.is_closed() {
                return Err(grcore::Error::Closed.into());
            }
            if sink.is_null() {
                return Err(
                    grcore::Error::InvalidArgument("listener must not be null".into()).into(),
                );
            }
            let sink = SinkRef::new(env, &sink)?;
            let callbacks = conn
                .on_state_change(move |state: ConnectionState| sink.deliver(&state_name(state)));
            Ok(into_handle(Subscription {
                snapshot_json: None,
                _callbacks: callbacks,
            }))
        })
        .resolve::<ThrowGroupRedis>()
}

/// The membership snapshot a subscription started from, as a JSON array (null for a
/// state subscription).
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_subscriptionSnapshot<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    subscription: jlong,
) -> JString<'l> {
    unowned
        .with_env(|env| -> BridgeResult<JString<'l>> {
            // SAFETY: the Java side passes a live subscription handle (or 0).
            let subscription: &Subscription = unsafe { borrow(subscription)? };
            match &subscription.snapshot_json {
                Some(text) => Ok(JString::from_str(env, text)?),
                None => Ok(JString::default()),
            }
        })
        .resolve::<ThrowGroupRedis>()
}

/// Stops a subscription: waits for a running callback to return (unless called from inside
/// one), then releases the sink's global reference.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_unsubscribe<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    subscription: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            // Dropping the subscription drops its CallbackHandle, which stops and joins the
            // dispatcher; the dispatcher's closure owns the sink's global reference.
            // SAFETY: called once per subscription by its Java owner (which zeroes its copy).
            unsafe { free_handle::<Subscription>(subscription) };
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
