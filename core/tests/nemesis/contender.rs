//! A contender: a process of its own (this test binary run again for one test), so the
//! nemesis can freeze it with SIGSTOP. It connects, reports `GRN ready`, then takes the
//! lock, "writes" while `held_token` says it holds it, releases, and again, reporting each
//! acquisition and write on stdout until its stdin closes.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use group_redis::{Config, Connector};

use crate::checker::{now_us, Event};

/// The lock every contender wants.
const LOCK: &str = "R";

/// The test that runs a contender when this binary is started by [`Contender::spawn`]
/// (and does nothing in the suite).
pub const ENTRY: &str = "contender_process";

/// What a contender process is told, through its environment.
pub struct Orders {
    pub url: String,
    pub group: String,
    pub member: usize,
    pub lease: Duration,
    pub command_timeout: Duration,
}

impl Orders {
    fn to_env(&self, command: &mut Command) {
        command
            .env("GR_NEMESIS_URL", &self.url)
            .env("GR_NEMESIS_GROUP", &self.group)
            .env("GR_NEMESIS_MEMBER", self.member.to_string())
            .env("GR_NEMESIS_LEASE_MS", self.lease.as_millis().to_string())
            .env(
                "GR_NEMESIS_COMMAND_MS",
                self.command_timeout.as_millis().to_string(),
            );
    }

    /// The orders of this process, if it is a contender.
    pub fn from_env() -> Option<Orders> {
        let var = |name: &str| std::env::var(name).ok();
        let millis = |name: &str| Some(Duration::from_millis(var(name)?.parse().ok()?));
        Some(Orders {
            url: var("GR_NEMESIS_URL")?,
            group: var("GR_NEMESIS_GROUP")?,
            member: var("GR_NEMESIS_MEMBER")?.parse().ok()?,
            lease: millis("GR_NEMESIS_LEASE_MS")?,
            command_timeout: millis("GR_NEMESIS_COMMAND_MS")?,
        })
    }
}

/// The contender's side: runs until stdin closes.
pub fn run(orders: Orders) {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_on_eof = Arc::clone(&stop);
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        stop_on_eof.store(true, Ordering::SeqCst);
    });
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(contend(orders, stop));
}

async fn contend(orders: Orders, stop: Arc<AtomicBool>) {
    let member = orders.member;
    let config = Config::new(&orders.url)
        .with_group(&orders.group)
        .with_member_id(format!("m{member}"))
        .with_session_timeout(orders.lease)
        .with_heartbeat(orders.lease / 4)
        .with_command_timeout(orders.command_timeout);
    let c = Connector::connect(config)
        .await
        .expect("contender connects");
    println!("GRN ready");
    while !stop.load(Ordering::SeqCst) {
        let asked = now_us();
        let token = match c.try_lock(LOCK, Duration::from_millis(500)).await {
            Ok(Some(token)) => token,
            Ok(None) => continue,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let got = now_us();
        println!(
            "{}",
            Event::Acquired {
                member,
                token,
                asked,
                got
            }
            .line()
        );
        // Write while the lock is believed held, for 0.1 to 1.5 s: often past one lease,
        // so a holder cut off or frozen is still writing when its lease runs out.
        for _ in 0..3 + (got / 7) % 48 {
            let from = now_us();
            match c.held_token(LOCK) {
                Ok(Some(held)) if held == token => {
                    let to = now_us();
                    println!(
                        "{}",
                        Event::Wrote {
                            member,
                            token,
                            from,
                            to
                        }
                        .line()
                    );
                }
                _ => break,
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        let _ = c.release(LOCK).await;
    }
    let _ = c.close().await;
}

/// The test's handle on a contender process: its reports land in `history`.
pub struct Contender {
    child: Child,
    stdin: Option<ChildStdin>,
    reader: Option<std::thread::JoinHandle<()>>,
    ready: Arc<AtomicBool>,
    frozen: bool,
}

impl Contender {
    pub fn spawn(orders: &Orders, history: Arc<Mutex<Vec<Event>>>) -> Contender {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([ENTRY, "--exact", "--nocapture", "--test-threads", "1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        orders.to_env(&mut command);
        let mut child = command.spawn().expect("start a contender process");
        let stdout = child.stdout.take().unwrap();
        let ready = Arc::new(AtomicBool::new(false));
        let ready_seen = Arc::clone(&ready);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.ends_with("GRN ready") {
                    ready_seen.store(true, Ordering::SeqCst);
                } else if let Some(event) = Event::parse(&line) {
                    history.lock().unwrap().push(event);
                }
            }
        });
        Contender {
            stdin: child.stdin.take(),
            child,
            reader: Some(reader),
            ready,
            frozen: false,
        }
    }

    pub fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.ready.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "a contender did not connect");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGSTOP (`true`) or SIGCONT (`false`).
    pub fn freeze(&mut self, frozen: bool) {
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal}");
        self.frozen = frozen;
    }

    /// Tells it to stop (closes its stdin) and waits until it has, with every report read.
    pub fn finish(&mut self) {
        if self.frozen {
            self.freeze(false);
        }
        self.stdin = None;
        let status = self.child.wait().unwrap();
        assert!(status.success(), "a contender failed: {status}");
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
    }
}

impl Drop for Contender {
    fn drop(&mut self) {
        // A failed test must not leave processes behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
