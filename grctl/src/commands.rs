//! One function per command. Failures carry their exit code (see `exit.rs`) up to main.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use group_redis::blocking::Connector;
use group_redis::{json, Config, Error, Value};

use crate::cli::{Cli, Command, EphemeralCommand};
use crate::exit::{Exit, Failure};
use crate::json_arg;
use crate::verbose::verbose;

pub type CmdResult = Result<(), Failure>;

/// Where grctl looks for Redis when neither --url nor REDIS_URL is given.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

pub fn run(cli: Cli) -> CmdResult {
    let Cli {
        url,
        group,
        max_lease,
        tls_ca,
        wait_replicas,
        wait_replicas_timeout,
        verbose: _,
        command,
    } = cli;
    if let Command::Demo = command {
        return crate::demo::run(url, &group);
    }
    let url = url.unwrap_or_else(|| DEFAULT_URL.to_string());
    let mut config = Config::new(url).with_group(&group);
    if let Some(ms) = max_lease {
        config = config.with_max_lease(Duration::from_millis(ms));
    }
    if let Some(path) = tls_ca {
        let pem = std::fs::read(&path).map_err(|e| {
            Failure::new(
                Exit::Usage,
                format!("cannot read the --tls-ca file {}: {e}", path.display()),
            )
        })?;
        config = config.with_tls_root_cert(pem);
    }
    if wait_replicas > 0 {
        config =
            config.with_wait_replicas(wait_replicas, Duration::from_millis(wait_replicas_timeout));
    }
    match command {
        Command::Demo => unreachable!("handled above"),
        Command::Members => {
            let c = connect(config)?;
            let members = c.members().map_err(|e| failure(&c, e))?;
            verbose!("{} live member(s)", members.len());
            for member in members {
                // The same object as in `watch`'s events, so the two can be compared.
                print_json(&json!(member));
            }
            close(&c)
        }
        Command::Status => {
            let c = connect(config)?;
            let members = c.members().map_err(|e| failure(&c, e))?;
            let locks = c.locks().map_err(|e| failure(&c, e))?;
            verbose!("{} live member(s), {} lock(s)", members.len(), locks.len());
            let locks: Vec<Value> = locks
                .into_iter()
                .map(|(name, holder)| json!({"name": name, "holder": holder}))
                .collect();
            print_json(&json!({"group": group, "members": members, "locks": locks}));
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
            wait,
        } => {
            let mut config = config.with_member_id(&id);
            if let Some(payload) = payload {
                config = config.with_payload(json_arg::parse("--payload", &payload)?);
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
            join_and_stay(config, &ephemerals, &locks, wait)
        }
        Command::Watch => watch(config),
        Command::Broadcast { json, sub_group } => {
            crate::messages::broadcast(config, &json, sub_group.as_deref())
        }
        Command::Send { member, json } => crate::messages::send(config, &member, &json),
        Command::Request {
            member,
            json,
            timeout,
        } => crate::messages::request(config, &member, &json, timeout),
        Command::Listen {
            id,
            sub_groups,
            reply,
        } => crate::messages::listen(config, &id, sub_groups, reply.as_deref()),
        Command::Topic(command) => crate::messages::topic(config, command),
        Command::WatchData {
            prefix,
            from_revision,
            ephemeral,
        } => watch_data(config, &prefix, from_revision, ephemeral),
        Command::Lock {
            name,
            member,
            wait,
            hold: _,
            command,
        } if !command.is_empty() => {
            crate::recipes::lock_and_run(config, &name, member.as_deref(), wait, &command)
        }
        Command::Lock {
            name,
            member,
            wait,
            hold,
            command: _,
        } => lock(config, &name, member.as_deref(), wait, hold),
        Command::DemoMember {
            id,
            session_timeout,
        } => {
            let mut config = config.with_member_id(id);
            if let Some(ms) = session_timeout {
                config = config.with_session_timeout(Duration::from_millis(ms));
            }
            crate::demo_leader::member(config)
        }
        Command::Elect {
            name,
            member,
            session_timeout,
        } => {
            let mut config = config;
            if let Some(member) = member {
                config = config.with_member_id(member);
            }
            if let Some(ms) = session_timeout {
                config = config.with_session_timeout(Duration::from_millis(ms));
            }
            crate::recipes::elect(config, &name)
        }
        Command::Leader { name, follow } => crate::recipes::leader(config, &name, follow),
        Command::Assign {
            topic,
            ids,
            member,
            sub_group,
            session_timeout,
        } => {
            let mut config = config;
            if let Some(member) = member {
                config = config.with_member_id(member);
            }
            if let Some(sub_group) = &sub_group {
                config = config.with_sub_groups(vec![sub_group.clone()]);
            }
            if let Some(ms) = session_timeout {
                config = config.with_session_timeout(Duration::from_millis(ms));
            }
            crate::recipes::assign(config, &topic, &ids, sub_group.as_deref())
        }
        Command::Release { name } => {
            let c = connect(config)?;
            verbose!("freeing lock {name:?} whoever holds it");
            let holder = c.force_release(&name).map_err(|e| failure(&c, e))?;
            close(&c)?;
            match holder {
                Some(holder) => {
                    verbose!(
                        "freed: held by {} (session {})",
                        holder.member,
                        holder.session
                    );
                    print_json(&json!({
                        "released": true,
                        "member": holder.member,
                        "session": holder.session,
                        "token": holder.token,
                    }));
                    Ok(())
                }
                None => Err(Failure::new(
                    Exit::NotFound,
                    format!("lock {name:?} in group {group:?} is not held"),
                )),
            }
        }
        Command::Holder { name } => {
            let c = connect(config)?;
            verbose!("asking who holds lock {name:?}");
            let status = c.lock_status(&name).map_err(|e| failure(&c, e))?;
            close(&c)?;
            let holder = status.holder.map(|holder| json!(holder));
            print_found(holder, || match status.grants_held_until_ms {
                Some(until) => format!(
                    "lock {name:?} in group {group:?} is not held, but no lock is granted \
                     until {} (server time): Redis lost or rolled back the group's state, and \
                     holders from before may still trust their leases",
                    format_ms(until)
                ),
                None => format!("lock {name:?} in group {group:?} is not held"),
            })
        }
        Command::Get { path } => {
            let c = connect(config)?;
            verbose!("reading the persistent value at {path:?}");
            let value = c.persistent_get(&path).map_err(|e| failure(&c, e))?;
            close(&c)?;
            print_found(value, || {
                format!("no persistent value at {path:?} in group {group:?}")
            })
        }
        Command::Set { path, json } => {
            let value = json_arg::parse(&format!("the value for {path:?}"), &json)?;
            let c = connect(config)?;
            let version = c
                .persistent_set(&path, &value)
                .map_err(|e| failure(&c, e))?;
            verbose!("wrote {path:?}, version {version}");
            print_json(&json!({"path": path, "version": version}));
            close(&c)
        }
        Command::Del { path } => {
            let c = connect(config)?;
            let deleted = c.persistent_del(&path).map_err(|e| failure(&c, e))?;
            verbose!(
                "{path:?} {}",
                if deleted { "deleted" } else { "did not exist" }
            );
            print_json(&json!({"path": path, "deleted": deleted}));
            close(&c)
        }
        Command::Ls { prefix } => {
            let c = connect(config)?;
            let entries = c.persistent_list(&prefix).map_err(|e| failure(&c, e))?;
            verbose!("{} persistent value(s) under {prefix:?}", entries.len());
            for entry in entries {
                print_json(
                    &json!({"path": entry.path, "value": entry.value, "version": entry.version}),
                );
            }
            close(&c)
        }
        Command::Ephemeral(EphemeralCommand::Get { key }) => {
            let c = connect(config)?;
            verbose!("reading the ephemeral key {key:?}");
            let value = c.ephemeral_get(&key).map_err(|e| failure(&c, e))?;
            close(&c)?;
            print_found(value, || {
                format!("no ephemeral key {key:?} in group {group:?}")
            })
        }
        Command::Ephemeral(EphemeralCommand::Ls { prefix }) => {
            let c = connect(config)?;
            let entries = c.ephemeral_list(&prefix).map_err(|e| failure(&c, e))?;
            verbose!("{} ephemeral key(s) under {prefix:?}", entries.len());
            for (key, value) in entries {
                print_json(&json!({"key": key, "value": value}));
            }
            close(&c)
        }
    }
}

fn lock(config: Config, name: &str, member: Option<&str>, wait: u64, hold: u64) -> CmdResult {
    let stop = interrupted()?;
    let waits_for_replicas = config.wait_replicas().is_some();
    let c = connect(config)?;
    verbose!("asking for lock {name:?}, waiting up to {wait} ms");
    let asked = Instant::now();
    let token = match c.acquire(member, name, false, Duration::from_millis(wait)) {
        // With --wait-replicas a timeout is (also) a grant no replica confirmed, given back:
        // the lock was not acquired, and the library's message says which it was.
        Err(Error::Timeout(why)) if waits_for_replicas => {
            print_json(&json!({"acquired": false, "token": null}));
            close(&c)?;
            return Err(Failure::new(
                Exit::NotAcquired,
                format!("lock {name:?} not acquired: {why}"),
            ));
        }
        other => other.map_err(|e| failure(&c, e))?,
    };
    print_json(&json!({"acquired": token.is_some(), "token": token}));
    let Some(token) = token else {
        verbose!("not acquired after {} ms", asked.elapsed().as_millis());
        close(&c)?;
        return Err(Failure::new(
            Exit::NotAcquired,
            format!(
                "lock {name:?} not acquired within {wait} ms: another session holds it \
                 (or Redis restarted recently and grants wait one lease)"
            ),
        ));
    };
    verbose!(
        "acquired with fencing token {token} after {} ms; holding it {hold} ms",
        asked.elapsed().as_millis()
    );
    // SIGINT/SIGTERM end the hold early: released now, not after a lease.
    if stop.recv_timeout(Duration::from_millis(hold)).is_ok() {
        verbose!("interrupted: releasing {name:?} now");
    }
    match member {
        Some(m) => c.release_as(m, name),
        None => c.release(name),
    }
    .map_err(|e| failure(&c, e))?;
    verbose!("released {name:?}");
    close(&c)
}

/// Prints a value that was there (a stored `null` prints `null`), or fails with
/// [`Exit::NotFound`] and `missing()` when there was none.
/// Unix time in ms as UTC `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn format_ms(ms: u64) -> String {
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn print_found(value: Option<Value>, missing: impl FnOnce() -> String) -> CmdResult {
    match value {
        Some(value) => {
            print_json(&value);
            Ok(())
        }
        None => Err(Failure::new(Exit::NotFound, missing())),
    }
}

/// Connects, turning "Redis is not there" and "Redis refused the password" into one clear
/// line each.
pub fn connect(config: Config) -> Result<Connector, Failure> {
    let shown = config.redacted_url();
    verbose!("connecting to {shown}, group {:?}", config.group());
    let started = Instant::now();
    let c = Connector::connect(config).map_err(|err| Failure::from_core(err, &shown))?;
    verbose!(
        "connected in {} ms, session {}",
        started.elapsed().as_millis(),
        c.session_id()
    );
    Ok(c)
}

fn close(c: &Connector) -> CmdResult {
    verbose!("closing the session (leaves its members, frees its locks and ephemeral keys)");
    c.close().map_err(|e| failure(c, e))?;
    verbose!("closed");
    Ok(())
}

/// A library error from a call on `c`, classified with its URL for the message.
pub fn failure(c: &Connector, err: Error) -> Failure {
    Failure::from_core(err, &c.config().redacted_url())
}

/// Prints one JSON line and flushes, so a reader on a pipe sees it at once.
pub fn print_json(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

/// A channel that receives one message on SIGINT or SIGTERM.
pub fn interrupted() -> Result<mpsc::Receiver<()>, Failure> {
    let (sender, receiver) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = sender.send(());
    })
    .map_err(|e| Failure::from(format!("cannot install the signal handler: {e}")))?;
    Ok(receiver)
}

fn join_and_stay(config: Config, ephemerals: &[String], locks: &[String], wait: u64) -> CmdResult {
    // Bad input is refused before anything is written to Redis.
    let ephemerals = ephemerals
        .iter()
        .map(|spec| parse_ephemeral(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let stop = interrupted()?;
    let c = connect(config)?;
    let member = c.join(None, None).map_err(|e| failure(&c, e))?;
    verbose!("joined as {:?}", member.id);
    for (key, value) in &ephemerals {
        c.ephemeral_set(key, value).map_err(|e| failure(&c, e))?;
        verbose!("set the ephemeral key {key:?}");
    }
    let mut tokens = serde_json::Map::new();
    let mut not_acquired = Vec::new();
    for name in locks {
        let token = c
            .try_lock(name, Duration::from_millis(wait))
            .map_err(|e| failure(&c, e))?;
        verbose!("lock {name:?}: token {token:?}");
        if token.is_none() {
            eprintln!(
                "grctl: lock {name:?} not acquired within {wait} ms: another session holds it"
            );
            not_acquired.push(name.clone());
        }
        tokens.insert(name.clone(), json!(token));
    }
    print_json(&json!({
        "joined": member.id,
        "session": member.session,
        "joined_at": member.joined_at,
        "locks": tokens,
        "not_acquired": not_acquired,
    }));
    let lock_names: Vec<String> = locks.to_vec();
    let shared = std::sync::Arc::new(c);
    let reporter = std::sync::Arc::clone(&shared);
    let _states = shared.on_state_change(move |state| {
        let held: Vec<&String> = lock_names
            .iter()
            // Each name was taken as a lock above, so none is refused as a bad name.
            .filter(|name| reporter.is_held(name).unwrap_or(false))
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
    verbose!("interrupted: leaving");
    close(&shared)?;
    print_json(&json!({"left": member.id}));
    Ok(())
}

/// `KEY=JSON` of `--ephemeral`.
fn parse_ephemeral(spec: &str) -> Result<(String, Value), Failure> {
    let (key, value) = spec.split_once('=').ok_or_else(|| {
        Failure::new(
            Exit::Usage,
            format!("--ephemeral takes KEY=JSON, not {spec:?}"),
        )
    })?;
    let what = format!("the --ephemeral value for {key:?}");
    Ok((key.to_string(), json_arg::parse(&what, value)?))
}

fn watch(config: Config) -> CmdResult {
    let stop = interrupted()?;
    let c = connect(config)?;
    let events = c.subscribe_members().map_err(|e| failure(&c, e))?;
    // The snapshot line comes first: events are printed only once it is out.
    print_json(&json!({"snapshot": events.snapshot()}));
    let _events = events.into_callback("grctl-watch", |event| {
        print_json(&json!({
            "joined_members": event.joined_members,
            "left_members": event.left_members,
            "updated_members": event.updated_members,
            "reason": event.reason,
            "view": event.view,
            "position": event.position,
        }));
    });
    let _ = stop.recv();
    close(&c)
}

fn watch_data(
    config: Config,
    prefix: &str,
    from_revision: Option<u64>,
    ephemeral: bool,
) -> CmdResult {
    let stop = interrupted()?;
    let c = connect(config)?;
    let events = if ephemeral {
        c.watch_ephemeral(prefix, from_revision)
    } else {
        c.watch(prefix, from_revision)
    }
    .map_err(|e| failure(&c, e))?;
    verbose!(
        "watching {} under {prefix:?} from revision {}",
        if ephemeral {
            "ephemeral keys"
        } else {
            "persistent data"
        },
        events.snapshot().revision
    );
    print_json(&json!({"snapshot": events.snapshot()}));
    let _events = events.into_callback("grctl-watch-data", |event| print_json(&json!(event)));
    let _ = stop.recv();
    close(&c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn format_ms_is_utc() {
        assert_eq!(super::format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::format_ms(1_709_210_096_789),
            "2024-02-29T12:34:56.789Z"
        );
    }
}
