//! The redis-server `grctl demo` starts for itself when no URL is given: loopback only, a
//! port the OS says is free (so never a user's 6379 by assumption), no persistence, a
//! scratch directory; killed and cleaned up when dropped.
//!
//! grctl's own, so the shipped binary does not depend on the test harness (which also
//! knows TLS, clock shifting and restarts the demo has no use for).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a freshly started server may take to answer PING.
const STARTUP_PATIENCE: Duration = Duration::from_secs(20);

/// A redis-server child process owned by the demo.
pub struct EmbeddedRedis {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl EmbeddedRedis {
    /// Starts `redis-server` (or `$REDIS_SERVER`) and waits until it answers PING.
    pub fn start() -> Result<EmbeddedRedis, String> {
        // The listener is dropped at once: the port is only reserved long enough to learn
        // a free one. Another process could take it in between; the server then fails to
        // bind and that is reported below, not hidden.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("no free loopback port for redis-server: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("grctl-demo-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir:?}: {e}"))?;
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let spawned = Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = spawned.map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            format!("cannot start {binary} (install Debian's redis-server package): {e}")
        })?;
        let mut server = EmbeddedRedis { child, port, dir };
        server.wait_until_it_answers()?;
        Ok(server)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn wait_until_it_answers(&mut self) -> Result<(), String> {
        let give_up = Instant::now() + STARTUP_PATIENCE;
        while Instant::now() < give_up {
            if self.answers_ping() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "redis-server exited at start ({status}); is port {} taken?",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "redis-server did not answer PING within {} s",
            STARTUP_PATIENCE.as_secs()
        ))
    }

    /// One inline PING; anything but +PONG (refused, loading, timeout) means not yet.
    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) else {
            return false;
        };
        let mut reply = [0u8; 7];
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .is_ok()
            && stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && reply == *b"+PONG\r\n"
    }
}

impl Drop for EmbeddedRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
