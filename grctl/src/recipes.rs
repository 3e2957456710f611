//! The recipe commands: `elect` (campaign until interrupted), `leader` (who leads, once or
//! every change), `assign` (take part in an assignment topic), and `lock NAME -- CMD` (run a command holding a lock, as flock(1) and
//! `etcdctl lock NAME CMD` do).

use std::process::{Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use group_redis::{json, Config, LeaderEvent, LeaderView};

use crate::commands::{connect, failure, print_json, CmdResult};
use crate::exit::{Exit, Failure};
use crate::verbose::verbose;

/// The environment variable `lock -- CMD` passes the fencing token in.
pub const TOKEN_VARIABLE: &str = "GR_FENCING_TOKEN";

/// What the main thread of a holding command waits for.
enum Wake {
    /// SIGINT or SIGTERM.
    Interrupted,
    /// The command ran `lock -- CMD` ended with this exit code (signal: 128 + number).
    Exited(i32),
}

/// One channel woken by SIGINT / SIGTERM (more senders may be cloned from it).
fn wake_on_signals() -> Result<(mpsc::Sender<Wake>, mpsc::Receiver<Wake>), Failure> {
    let (sender, receiver) = mpsc::channel();
    let on_signal = sender.clone();
    ctrlc::set_handler(move || {
        let _ = on_signal.send(Wake::Interrupted);
    })
    .map_err(|e| Failure::from(format!("cannot install the signal handler: {e}")))?;
    Ok((sender, receiver))
}

/// The line `elect` prints for a leadership event.
fn leadership_line(event: LeaderEvent) -> group_redis::Value {
    match event {
        LeaderEvent::Leader { token } => json!({"leader": true, "token": token}),
        LeaderEvent::Unsure { token } => json!({"leader": false, "unsure": true, "token": token}),
        LeaderEvent::Follower => json!({"leader": false}),
    }
}

/// `elect NAME`: campaigns, prints a line each time leadership is won or lost, and on
/// SIGINT/SIGTERM resigns (the next leader is elected at once) and leaves.
pub fn elect(config: Config, name: &str) -> CmdResult {
    let (_, stop) = wake_on_signals()?;
    let c = connect(config)?;
    let leadership = c.elect(name).map_err(|e| failure(&c, e))?;
    verbose!("campaigning for {name:?}");
    let events = leadership.subscribe();
    if let LeaderEvent::Leader { .. } = events.snapshot() {
        print_json(&leadership_line(*events.snapshot()));
    }
    let _printer = events.into_callback("grctl-elect", |event| {
        verbose!("leadership: {event:?}");
        print_json(&leadership_line(event));
    });
    let _ = stop.recv();
    verbose!("interrupted: resigning");
    leadership.resign().map_err(|e| failure(&c, e))?;
    c.close().map_err(|e| failure(&c, e))?;
    Ok(())
}

/// `assign TOPIC --ids a,b,c`: joins (so `--sub-group` filters it), takes part, prints its
/// share each time it changes, and leaves on SIGINT/SIGTERM.
pub fn assign(config: Config, topic: &str, ids: &[String], sub_group: Option<&str>) -> CmdResult {
    let (_, stop) = wake_on_signals()?;
    let c = connect(config)?;
    c.join(None, None).map_err(|e| failure(&c, e))?;
    let assignment = c
        .assignments(topic, ids, sub_group)
        .map_err(|e| failure(&c, e))?;
    verbose!("taking part in {topic:?} with {} id(s)", ids.len());
    let shares = assignment.subscribe();
    // The share may have come before the subscription: the callback sees only changes.
    if !shares.snapshot().ids.is_empty() {
        print_json(&json!(shares.snapshot()));
    }
    let _printer = shares.into_callback("grctl-assign", |share| {
        print_json(&json!(share));
    });
    let _ = stop.recv();
    verbose!("interrupted: leaving the topic");
    assignment.close().map_err(|e| failure(&c, e))?;
    c.close().map_err(|e| failure(&c, e))
}

fn view_line(view: &LeaderView) -> group_redis::Value {
    json!({"leader": view.leader, "token": view.token})
}

/// `leader NAME [--follow]`: who leads now, and with `--follow` every change until
/// interrupted.
pub fn leader(config: Config, name: &str, follow: bool) -> CmdResult {
    if !follow {
        let c = connect(config)?;
        let view = c.leader(name).map_err(|e| failure(&c, e))?;
        print_json(&view_line(&view));
        return c.close().map_err(|e| failure(&c, e));
    }
    let (_, stop) = wake_on_signals()?;
    let c = connect(config)?;
    let views = c.observe_leader(name).map_err(|e| failure(&c, e))?;
    print_json(&view_line(views.snapshot()));
    let _printer = views.into_callback("grctl-leader", |view| print_json(&view_line(&view)));
    let _ = stop.recv();
    c.close().map_err(|e| failure(&c, e))
}

/// `lock NAME [--wait MS] -- CMD [ARGS...]`: runs CMD holding the lock, with the token in
/// $GR_FENCING_TOKEN; releases when CMD exits and exits with its code. SIGINT/SIGTERM
/// release at once, then CMD is sent SIGTERM and waited for.
pub fn lock_and_run(
    config: Config,
    name: &str,
    member: Option<&str>,
    wait: u64,
    command: &[String],
) -> CmdResult {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Failure::new(Exit::Usage, "nothing to run after --"))?;
    let (wake, woken) = wake_on_signals()?;
    let c = connect(config)?;
    verbose!("asking for lock {name:?}, waiting up to {wait} ms");
    let asked = Instant::now();
    let token = c
        .acquire(member, name, false, Duration::from_millis(wait))
        .map_err(|e| failure(&c, e))?;
    let Some(token) = token else {
        c.close().map_err(|e| failure(&c, e))?;
        return Err(Failure::new(
            Exit::NotAcquired,
            format!("lock {name:?} not acquired within {wait} ms: another session holds it"),
        ));
    };
    verbose!(
        "acquired with fencing token {token} after {} ms; running {program:?}",
        asked.elapsed().as_millis()
    );
    let release = || {
        match member {
            Some(m) => c.release_as(m, name),
            None => c.release(name),
        }
        .map_err(|e| failure(&c, e))
    };
    let mut child = match Process::new(program)
        .args(args)
        .env(TOKEN_VARIABLE, token.to_string())
        .stdin(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(err) => {
            release()?;
            c.close().map_err(|e| failure(&c, e))?;
            return Err(Failure::new(
                Exit::Failed,
                format!("cannot run {program:?}: {err}"),
            ));
        }
    };
    let pid = child.id();
    std::thread::spawn(move || {
        let code = match child.wait() {
            Ok(status) => exit_code(status),
            Err(_) => 1,
        };
        let _ = wake.send(Wake::Exited(code));
    });
    let code = match woken.recv() {
        Ok(Wake::Exited(code)) => {
            verbose!("{program:?} exited with {code}; releasing {name:?}");
            release()?;
            code
        }
        Ok(Wake::Interrupted) | Err(_) => {
            verbose!("interrupted: releasing {name:?} now, then stopping {program:?}");
            release()?;
            // SAFETY: kill(2) with a pid of our own child (not yet reaped: the waiter
            // thread reports its exit on the channel read below).
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            loop {
                match woken.recv() {
                    Ok(Wake::Exited(code)) => break code,
                    Ok(Wake::Interrupted) => continue,
                    Err(_) => break 1,
                }
            }
        }
    };
    c.close().map_err(|e| failure(&c, e))?;
    std::process::exit(code)
}

/// A child's exit code as a shell reports it (128 + signal for a killed one).
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1)
}
