//! One function per command. Errors bubble up as text for main to print.

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use group_redis::blocking::Connector;
use group_redis::{json, Config, Error, Value};

use crate::cli::{Cli, Command};

pub type CmdResult = Result<(), String>;

/// Where grctl looks for Redis when neither --url nor REDIS_URL is given.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

pub fn run(cli: Cli) -> CmdResult {
    let Cli {
        url,
        group,
        command,
    } = cli;
    if let Command::Demo = command {
        return crate::demo::run(url, &group);
    }
    let url = url.unwrap_or_else(|| DEFAULT_URL.to_string());
    match command {
        Command::Demo => unreachable!("handled above"),
        Command::Members => {
            let c = connect(Config::new(url).with_group(group))?;
            for member in c.members().map_err(text)? {
                print_json(&json!({
                    "id": member.id,
                    "sub_groups": member.sub_groups,
                    "payload": member.payload,
                    "joined_at": member.joined_at,
                }));
            }
            close(&c)
        }
        Command::Join {
            id,
            payload,
            sub_groups,
            session_timeout,
            heartbeat,
            ephemerals,
            locks,
        } => {
            let mut config = Config::new(url).with_group(group).with_member_id(&id);
            if let Some(payload) = payload {
                config = config.with_payload(parse_json("--payload", &payload)?);
            }
            if !sub_groups.is_empty() {
                config = config.with_sub_groups(sub_groups);
            }
            if let Some(ms) = session_timeout {
                config = config.with_session_timeout(Duration::from_millis(ms));
            }
            if let Some(ms) = heartbeat {
                config = config.with_heartbeat(Duration::from_millis(ms));
            }
            join_and_stay(config, &ephemerals, &locks)
        }
        Command::Watch => watch(Config::new(url).with_group(group)),
        Command::Lock {
            name,
            member,
            wait,
            hold,
        } => {
            let c = connect(Config::new(url).with_group(group))?;
            let token = c
                .acquire(&name, member.as_deref(), false, Duration::from_millis(wait))
                .map_err(text)?;
            print_json(&json!({"acquired": token.is_some(), "token": token}));
            if token.is_some() {
                std::thread::sleep(Duration::from_millis(hold));
                match member.as_deref() {
                    Some(m) => c.release_as(m, &name),
                    None => c.release(&name),
                }
                .map_err(text)?;
            }
            close(&c)
        }
        Command::Get { path } => {
            let c = connect(Config::new(url).with_group(group))?;
            let value = c.persistent_get(&path).map_err(text)?;
            print_json(&value.unwrap_or(Value::Null));
            close(&c)
        }
        Command::Set { path, json } => {
            let value = parse_json("JSON", &json)?;
            let c = connect(Config::new(url).with_group(group))?;
            let version = c.persistent_set(&path, &value).map_err(text)?;
            print_json(&json!({"path": path, "version": version}));
            close(&c)
        }
        Command::Del { path } => {
            let c = connect(Config::new(url).with_group(group))?;
            let deleted = c.persistent_del(&path).map_err(text)?;
            print_json(&json!({"path": path, "deleted": deleted}));
            close(&c)
        }
        Command::Ls { prefix } => {
            let c = connect(Config::new(url).with_group(group))?;
            for entry in c.persistent_list(&prefix).map_err(text)? {
                print_json(
                    &json!({"path": entry.path, "value": entry.value, "version": entry.version}),
                );
            }
            close(&c)
        }
    }
}

/// Connects, turning "Redis is not there" into one clear line.
pub fn connect(config: Config) -> Result<Connector, String> {
    let shown = config.redacted_url();
    Connector::connect(config).map_err(|err| match err {
        Error::Connection(_) | Error::Timeout(_) => {
            format!("cannot reach Redis at {shown}: {err}")
        }
        other => other.to_string(),
    })
}

fn close(c: &Connector) -> CmdResult {
    c.close().map_err(text)
}

pub fn text(err: Error) -> String {
    err.to_string()
}

fn parse_json(what: &str, text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

/// Prints one JSON line and flushes, so a reader on a pipe sees it at once.
pub fn print_json(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// A channel that receives one message on SIGINT or SIGTERM.
fn interrupted() -> Result<mpsc::Receiver<()>, String> {
    let (sender, receiver) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = sender.send(());
    })
    .map_err(|e| format!("cannot install the signal handler: {e}"))?;
    Ok(receiver)
}

fn join_and_stay(config: Config, ephemerals: &[String], locks: &[String]) -> CmdResult {
    let stop = interrupted()?;
    let c = connect(config)?;
    let member = c.join(None, None).map_err(text)?;
    for spec in ephemerals {
        let (key, value) = spec
            .split_once('=')
            .ok_or_else(|| format!("--ephemeral takes KEY=JSON, not {spec:?}"))?;
        c.ephemeral_set(key, &parse_json("--ephemeral value", value)?)
            .map_err(text)?;
    }
    let mut tokens = serde_json::Map::new();
    for name in locks {
        let token = c.lock(name).map_err(text)?;
        tokens.insert(name.clone(), json!(token));
    }
    print_json(&json!({
        "joined": member.id,
        "session": member.session,
        "joined_at": member.joined_at,
        "locks": tokens,
    }));
    let lock_names: Vec<String> = locks.to_vec();
    let shared = std::sync::Arc::new(c);
    let reporter = std::sync::Arc::clone(&shared);
    let _states = shared.on_state_change(move |state| {
        let held: Vec<&String> = lock_names
            .iter()
            .filter(|name| reporter.is_held(name))
            .collect();
        if state == group_redis::ConnectionState::Reconnected {
            // What another process took while this one was gone is not ours any more.
            let not_restored = reporter.take_restore_failures();
            print_json(&json!({"state": state, "locks_held": held, "not_restored": not_restored}));
        } else {
            print_json(&json!({"state": state, "locks_held": held}));
        }
    });
    let _ = stop.recv();
    shared.close().map_err(text)?;
    print_json(&json!({"left": member.id}));
    Ok(())
}

fn watch(config: Config) -> CmdResult {
    let stop = interrupted()?;
    let c = connect(config)?;
    let (snapshot, _events) = c
        .on_member_event(|event| {
            print_json(&json!({
                "joined_members": event.joined_members,
                "left_members": event.left_members,
                "updated_members": event.updated_members,
                "reason": event.reason,
                "view": event.view,
                "position": event.position,
            }));
        })
        .map_err(text)?;
    print_json(&json!({"snapshot": snapshot}));
    let _ = stop.recv();
    close(&c)
}
