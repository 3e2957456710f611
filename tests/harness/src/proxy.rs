//! A TCP proxy on a free loopback port in front of a redis-server, for partition tests:
//! `pause` stops it forwarding in both directions while every connection stays open (the
//! client sees a silent network, not a refused one), `resume` lets the held bytes through.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// A running proxy; stops accepting and closes its connections when dropped.
pub struct Proxy {
    port: u16,
    paused: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
}

impl Proxy {
    /// Forwards a free loopback port to `127.0.0.1:target_port`.
    pub fn start(target_port: u16) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("proxy: bind");
        listener.set_nonblocking(true).expect("proxy: nonblocking");
        let port = listener.local_addr().unwrap().port();
        let paused = Arc::new(AtomicBool::new(false));
        let stopped = Arc::new(AtomicBool::new(false));
        let (p, s) = (Arc::clone(&paused), Arc::clone(&stopped));
        thread::spawn(move || accept_loop(listener, target_port, p, s));
        Proxy {
            port,
            paused,
            stopped,
        }
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

    /// Forwards again, including what waited.
    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(
    listener: TcpListener,
    target: u16,
    paused: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
) {
    while !stopped.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                for (from, to) in [(&client, &server), (&server, &client)] {
                    let (from, to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
                    let (p, s) = (Arc::clone(&paused), Arc::clone(&stopped));
                    thread::spawn(move || pump(from, to, p, s));
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, paused: Arc<AtomicBool>, stopped: Arc<AtomicBool>) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(10)));
    let mut buffer = [0u8; 16 * 1024];
    while !stopped.load(Ordering::SeqCst) {
        if paused.load(Ordering::SeqCst) {
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
