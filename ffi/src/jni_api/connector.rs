//! Native methods of `group_redis.NativeLib` that act on a connector: connect/close,
//! membership, locks, ephemeral and persistent data. Each converts its arguments, calls
//! the core's blocking facade and converts the reply; no logic of its own.

use grcore::blocking::Connector;
use grcore::{Config, Error, Value};
use jni::objects::{JClass, JString};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};

use super::args::{json, json_error, millis, optional, required};
use super::errors::{BridgeResult, ThrowGroupRedis};
use super::handles::{borrow, free_handle, into_handle};
use super::ABI_VERSION;

/// Runs a native method body that needs the connector behind `handle`.
macro_rules! with_connector {
    ($unowned:ident, $handle:ident, |$env:ident, $conn:ident| $body:expr) => {
        $unowned
            .with_env(|$env: &mut Env<'_>| -> BridgeResult<_> {
                // SAFETY: the Java side passes a live handle from `connect` (or 0).
                let $conn: &Connector = unsafe { borrow($handle)? };
                $body
            })
            .resolve::<ThrowGroupRedis>()
    };
}

/// Returns a Java string, or null for `None`.
fn java_string<'local>(
    env: &mut Env<'local>,
    text: Option<String>,
) -> BridgeResult<JString<'local>> {
    match text {
        Some(text) => Ok(JString::from_str(env, text)?),
        None => Ok(JString::default()),
    }
}

fn token_or_minus_one(token: Option<u64>) -> jlong {
    token.map_or(-1, |t| t as jlong)
}

/// Builds a core `Config` from the JSON the Java `GroupConfig` writes.
fn config_from_json(text: &str) -> BridgeResult<Config> {
    let value = json(text)?;
    let field = |name: &str| value.get(name).filter(|v| !v.is_null());
    let text_field = |name: &str| -> BridgeResult<Option<String>> {
        match field(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::InvalidArgument(format!("{name} must be a string")).into()),
        }
    };
    let millis_field = |name: &str| -> BridgeResult<Option<std::time::Duration>> {
        match field(name) {
            None => Ok(None),
            Some(v) => match v.as_i64() {
                Some(ms) => millis(ms, name).map(Some),
                None => Err(Error::InvalidArgument(format!("{name} must be an integer")).into()),
            },
        }
    };
    let url = text_field("url")?
        .ok_or_else(|| Error::InvalidArgument("the Redis URL must not be null".into()))?;
    let mut config = Config::new(url);
    if let Some(group) = text_field("group")? {
        config = config.with_group(group);
    }
    if let Some(member) = text_field("memberId")? {
        config = config.with_member_id(member);
    }
    if let Some(timeout) = millis_field("sessionTimeoutMs")? {
        config = config.with_session_timeout(timeout);
    }
    if let Some(every) = millis_field("heartbeatMs")? {
        config = config.with_heartbeat(every);
    }
    if let Some(timeout) = millis_field("commandTimeoutMs")? {
        config = config.with_command_timeout(timeout);
    }
    if let Some(groups) = field("subGroups") {
        let names = groups
            .as_array()
            .and_then(|items| items.iter().map(|v| v.as_str().map(String::from)).collect())
            .ok_or_else(|| Error::InvalidArgument("sub-groups must be a list of strings".into()))?;
        config = config.with_sub_groups::<Vec<String>, String>(names);
    }
    if let Some(payload) = field("payload") {
        config = config.with_payload(payload.clone());
    }
    if let Some(pem) = text_field("tlsRootCertPem")? {
        config = config.with_tls_root_cert(pem.into_bytes());
    }
    Ok(config)
}

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
            let config = config_from_json(&required(env, &config_json, "config")?)?;
            let connector = Connector::connect(config)?;
            Ok(into_handle(connector))
        })
        .resolve::<ThrowGroupRedis>()
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_close<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    with_connector!(unowned, handle, |_env, conn| Ok(conn.close()?))
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

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_sessionId<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| java_string(
        env,
        Some(conn.session_id())
    ))
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_state<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let state = serde_json::to_value(conn.state()).map_err(json_error)?;
        java_string(env, state.as_str().map(String::from))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_subGroups<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let text = serde_json::to_string(&conn.sub_groups()).map_err(json_error)?;
        java_string(env, Some(text))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_join<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    member: JString<'l>,
    payload_json: JString<'l>,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let member = optional(env, &member)?;
        let payload = optional(env, &payload_json)?
            .map(|t| json(&t))
            .transpose()?;
        let joined = conn.join(member.as_deref(), payload)?;
        let text = serde_json::to_string(&joined).map_err(json_error)?;
        java_string(env, Some(text))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_leave<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    member: JString<'l>,
) -> jboolean {
    with_connector!(unowned, handle, |env, conn| {
        let member = optional(env, &member)?;
        Ok(conn.leave(member.as_deref())?)
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_members<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let text = serde_json::to_string(&conn.members()?).map_err(json_error)?;
        java_string(env, Some(text))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_takeRestoreFailures<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let text = serde_json::to_string(&conn.take_restore_failures()).map_err(json_error)?;
        java_string(env, Some(text))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_updatePayload<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    member: JString<'l>,
    payload_json: JString<'l>,
) {
    with_connector!(unowned, handle, |env, conn| {
        let member = optional(env, &member)?;
        let payload = json(&required(env, &payload_json, "payload")?)?;
        Ok(conn.update_payload(member.as_deref(), payload)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_addSubGroup<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    sub_group: JString<'l>,
) {
    with_connector!(unowned, handle, |env, conn| {
        Ok(conn.add_sub_group(&required(env, &sub_group, "sub-group")?)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_removeSubGroup<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    sub_group: JString<'l>,
) {
    with_connector!(unowned, handle, |env, conn| {
        Ok(conn.remove_sub_group(&required(env, &sub_group, "sub-group")?)?)
    })
}

/// Takes a lock; returns its fencing token, or -1 when not acquired within `wait_ms`.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_acquire<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    member: JString<'l>,
    reentrant: jboolean,
    wait_ms: jlong,
) -> jlong {
    with_connector!(unowned, handle, |env, conn| {
        let name = required(env, &name, "lock name")?;
        let member = optional(env, &member)?;
        let wait = millis(wait_ms, "wait")?;
        let token = conn.acquire(&name, member.as_deref(), reentrant, wait)?;
        Ok(token_or_minus_one(token))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_release<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
    member: JString<'l>,
) -> jboolean {
    with_connector!(unowned, handle, |env, conn| {
        let name = required(env, &name, "lock name")?;
        Ok(match optional(env, &member)? {
            Some(member) => conn.release_as(&member, &name)?,
            None => conn.release(&name)?,
        })
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_heldToken<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
) -> jlong {
    with_connector!(unowned, handle, |env, conn| {
        let name = required(env, &name, "lock name")?;
        Ok(token_or_minus_one(conn.held_token(&name)?))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_ephemeralSet<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    key: JString<'l>,
    value_json: JString<'l>,
) {
    with_connector!(unowned, handle, |env, conn| {
        let key = required(env, &key, "ephemeral key")?;
        let value = json(&required(env, &value_json, "value")?)?;
        Ok(conn.ephemeral_set(&key, &value)?)
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_ephemeralGet<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    key: JString<'l>,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let value = conn.ephemeral_get(&required(env, &key, "ephemeral key")?)?;
        java_string(env, value.map(|v| v.to_string()))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_ephemeralDel<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    key: JString<'l>,
) -> jboolean {
    with_connector!(unowned, handle, |env, conn| {
        Ok(conn.ephemeral_del(&required(env, &key, "ephemeral key")?)?)
    })
}

/// Lists ephemeral keys as a JSON array of `{"key": .., "value": ..}` in key order.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_ephemeralList<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    prefix: JString<'l>,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let prefix = optional(env, &prefix)?.unwrap_or_default();
        let entries: Vec<Value> = conn
            .ephemeral_list(&prefix)?
            .into_iter()
            .map(|(key, value)| serde_json::json!({ "key": key, "value": value }))
            .collect();
        java_string(env, Some(Value::Array(entries).to_string()))
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_persistentSet<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    path: JString<'l>,
    value_json: JString<'l>,
) -> jlong {
    with_connector!(unowned, handle, |env, conn| {
        let path = required(env, &path, "path")?;
        let value = json(&required(env, &value_json, "value")?)?;
        Ok(conn.persistent_set(&path, &value)? as jlong)
    })
}

/// Sets many paths atomically from a JSON array of `[path, value]` pairs; returns the new
/// versions as a JSON array in the same order.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_persistentSetMany<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    entries_json: JString<'l>,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let pairs = json(&required(env, &entries_json, "entries")?)?;
        let bad = || Error::InvalidArgument("entries must be [path, value] pairs".into());
        let entries = pairs
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(path), value]) => Ok((path.clone(), value.clone())),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let versions = conn.persistent_set_many(&entries)?;
        let text = serde_json::to_string(&versions).map_err(json_error)?;
        java_string(env, Some(text))
    })
}

/// Compare-and-set; returns the new version, or -1 when the version did not match.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_persistentCas<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    path: JString<'l>,
    expected_version: jlong,
    value_json: JString<'l>,
) -> jlong {
    with_connector!(unowned, handle, |env, conn| {
        let path = required(env, &path, "path")?;
        let expected = u64::try_from(expected_version)
            .map_err(|_| Error::InvalidArgument("expected version must not be negative".into()))?;
        let value = json(&required(env, &value_json, "value")?)?;
        Ok(token_or_minus_one(
            conn.persistent_cas(&path, expected, &value)?,
        ))
    })
}

/// The value and version of a path as JSON `{"value": .., "version": ..}`, null if absent.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_persistentGet<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    path: JString<'l>,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let found = conn.persistent_get_versioned(&required(env, &path, "path")?)?;
        let text = found
            .map(|v| serde_json::to_string(&v).map_err(json_error))
            .transpose()?;
        java_string(env, text)
    })
}

#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_persistentDel<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    path: JString<'l>,
) -> jboolean {
    with_connector!(unowned, handle, |env, conn| {
        Ok(conn.persistent_del(&required(env, &path, "path")?)?)
    })
}

/// Entries under a prefix as a JSON array of `{"path", "value", "version"}`.
#[no_mangle]
pub extern "system" fn Java_group_1redis_NativeLib_persistentList<'l>(
    mut unowned: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    prefix: JString<'l>,
) -> JString<'l> {
    with_connector!(unowned, handle, |env, conn| {
        let prefix = optional(env, &prefix)?.unwrap_or_default();
        let text = serde_json::to_string(&conn.persistent_list(&prefix)?).map_err(json_error)?;
        java_string(env, Some(text))
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn refused(text: &str) -> String {
        match config_from_json(text) {
            Err(super::super::errors::BridgeError::Core(Error::InvalidArgument(m)))
            | Err(super::super::errors::BridgeError::Core(Error::InvalidJson(m))) => m,
            other => panic!(
                "expected a refusal for {text}, got {:?}",
                other.map(|c| c.group().to_string())
            ),
        }
    }

    #[test]
    fn config_json_sets_every_option_and_leaves_the_rest_at_defaults() {
        let config = config_from_json(
            r#"{"url":"redis://h:1","group":"g","memberId":"m","sessionTimeoutMs":3000,
                "heartbeatMs":1000,"commandTimeoutMs":500,"subGroups":["a","b"],"payload":{"p":1}}"#,
        )
        .unwrap();
        assert_eq!(config.group(), "g");
        assert_eq!(config.member_id(), "m");
        assert_eq!(config.session_timeout(), Duration::from_secs(3));
        assert_eq!(config.heartbeat(), Duration::from_secs(1));
        config.validate().unwrap();

        let defaults = config_from_json(r#"{"url":"redis://h","group":null}"#).unwrap();
        assert_eq!(defaults.group(), grcore::DEFAULT_GROUP);
        assert_eq!(defaults.session_timeout(), grcore::DEFAULT_SESSION_TIMEOUT);
    }

    #[test]
    fn bad_config_json_is_refused_with_a_reason() {
        assert!(refused(r#"{}"#).contains("URL"));
        assert!(refused(r#"{"url":"redis://h","group":5}"#).contains("group"));
        assert!(refused(r#"{"url":"redis://h","sessionTimeoutMs":-1}"#).contains("negative"));
        assert!(refused(r#"{"url":"redis://h","heartbeatMs":"x"}"#).contains("integer"));
        assert!(refused(r#"{"url":"redis://h","subGroups":[1]}"#).contains("sub-groups"));
        refused("not json");
    }
}
