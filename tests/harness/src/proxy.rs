//! A TCP proxy on a free loopback port in front of a redis-server, for partition tests:
//! `pause` stops it forwarding in both directions while every connection stays open (the
//! client sees a silent network, not a refused one), `resume` lets the held bytes through.
//! `hold_open_connections` stops only the connections open at that moment, so requests on
//! new connections overtake the held ones: a reordering the tests can make happen.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// A running proxy; stops accepting and closes its connections when dropped.
pub struct Proxy {
    port: u16,
    paused: Arc<AtomicBool>,
    /// Connections numbered below this are held (0: none).
    held_below: Arc<AtomicU64>,
    /// The number the next accepted connection gets (they start at 1).
    next_connection: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
}

/// What a pump checks before forwarding.
#[derive(Clone)]
struct Gate {
    connection: u64,
    paused: Arc<AtomicBool>,
    held_below: Arc<AtomicU64>,
    stopped: Arc<AtomicBool>,
}

impl Gate {
    fn closed(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
            || self.connection < self.held_below.load(Ordering::SeqCst)
    }
}

impl Proxy {
    /// Forwards a free loopback port to `127.0.0.1:target_port`.
    pub fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("proxy: bind");
        listener.set_nonblocking(true).expect("proxy: nonblocking");
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            paused: Arc::new(AtomicBool::new(false)),
            held_below: Arc::new(AtomicU64::new(0)),
            next_connection: Arc::new(AtomicU64::new(1)),
            stopped: Arc::new(AtomicBool::new(false)),
        };
        let gate = Gate {
            connection: 0,
            paused: Arc::clone(&proxy.paused),
            held_below: Arc::clone(&proxy.held_below),
            stopped: Arc::clone(&proxy.stopped),
        };
        let next = Arc::clone(&proxy.next_connection);
        thread::spawn(move || accept_loop(listener, target_port, gate, next));
        proxy
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<proxy port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops forwarding (both directions); connections stay open, bytes wait.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    /// Stops forwarding (both directions) on the connections open now only; connections
    /// made from now on pass.
    pub fn hold_open_connections(&self) {
        let next = self.next_connection.load(Ordering::SeqCst);
        self.held_below.store(next, Ordering::SeqCst);
    }

    /// Forwards again on every connection, including what waited.
    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
        self.held_below.store(0, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(listener: TcpListener, target: u16, gate: Gate, next: Arc<AtomicU64>) {
    while !gate.stopped.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let gate = Gate {
                    connection: next.fetch_add(1, Ordering::SeqCst),
                    ..gate.clone()
                };
                for (from, to) in [(&client, &server), (&server, &client)] {
                    let (from, to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
                    let gate = gate.clone();
                    thread::spawn(move || pump(from, to, gate));
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, gate: Gate) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(10)));
    let mut buffer = [0u8; 16 * 1024];
    while !gate.stopped.load(Ordering::SeqCst) {
        if gate.closed() {
            thread::sleep(Duration::from_millis(2));
            continue;
        }
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
