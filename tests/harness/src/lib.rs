//! A real `redis-server` on a free loopback port, without persistence, stopped (and its
//! directory removed) on drop. Used by the tests and the benchmarks (`grctl demo` has its own,
//! grctl/src/embedded_redis.rs, so the tool does not depend on test code). It never
//! touches port 6379 unless the OS hands that port out as free.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod cluster;
mod proxy;
mod sentinel;
pub use cluster::ClusterSet;
pub use proxy::Proxy;
pub use sentinel::SentinelSet;

/// A running redis-server owned by this process.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    tls: bool,
    /// With a shifted clock: the file the LD_PRELOAD shim reads its offset from.
    clock_offset_file: Option<PathBuf>,
    /// More redis-server arguments (a replica's `--replicaof`).
    extra_args: Vec<String>,
}

impl RedisServer {
    /// Starts redis-server on a free port. Panics with a clear message when it cannot.
    pub fn start() -> RedisServer {
        Self::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts redis-server on a free port.
    pub fn try_start() -> Result<RedisServer, String> {
        Self::try_start_with(Vec::new())
    }

    /// Starts redis-server on a free port as a replica of the server on `master_port`.
    pub fn start_replica_of(master_port: u16) -> RedisServer {
        Self::try_start_with(vec![
            "--replicaof".into(),
            "127.0.0.1".into(),
            master_port.to_string(),
        ])
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts redis-server on a free port with more arguments (`--requirepass`, ...).
    pub fn start_with_args(extra_args: Vec<String>) -> RedisServer {
        Self::try_start_with(extra_args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A free port is only free when asked: a test running at the same time may bind it
    /// first, and redis-server then exits at start; it is started again on a new port.
    pub(crate) fn try_start_with(extra_args: Vec<String>) -> Result<RedisServer, String> {
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let dir = std::env::temp_dir().join(format!("gr-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir:?}: {e}"))?;
            let mut server = RedisServer {
                port,
                dir,
                child: None,
                tls: false,
                clock_offset_file: None,
                extra_args: extra_args.clone(),
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    /// Starts redis-server speaking only TLS on a free port, with a throw-away CA and a
    /// server certificate for 127.0.0.1 made by `openssl`. Returns the CA certificate (PEM)
    /// a client must trust.
    pub fn start_tls() -> (RedisServer, Vec<u8>) {
        let server = Self::start_tls_with(None, Vec::new());
        let ca = std::fs::read(server.dir.join("ca.pem")).unwrap();
        (server, ca)
    }

    /// [`RedisServer::start_tls`] with the certificates [`make_certificates`] made in
    /// `certificates` (new ones when `None`), and more arguments.
    pub(crate) fn start_tls_with(
        certificates: Option<&std::path::Path>,
        extra_args: Vec<String>,
    ) -> RedisServer {
        Self::try_start_tls_with(certificates, extra_args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`RedisServer::start_tls_with`], with the failure to start returned.
    pub(crate) fn try_start_tls_with(
        certificates: Option<&std::path::Path>,
        extra_args: Vec<String>,
    ) -> Result<RedisServer, String> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("gr-redis-tls-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        match certificates {
            None => make_certificates(&dir),
            Some(from) => {
                for file in ["ca.pem", "server.pem", "server.key"] {
                    std::fs::copy(from.join(file), dir.join(file)).unwrap();
                }
            }
        }
        let mut server = RedisServer {
            port,
            dir,
            child: None,
            tls: true,
            clock_offset_file: None,
            extra_args,
        };
        server.spawn()?;
        Ok(server)
    }

    /// Starts redis-server on a free port with its wall clock under the test's control
    /// (the LD_PRELOAD shim `tests/tools/clockshift.c`, compiled here with `cc`); see
    /// [`RedisServer::shift_clock`].
    pub fn start_with_shiftable_clock() -> RedisServer {
        let port = free_port().unwrap();
        let dir =
            std::env::temp_dir().join(format!("gr-redis-clock-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let offset = dir.join("clock-offset-ms");
        std::fs::write(&offset, "0").unwrap();
        let mut server = RedisServer {
            port,
            dir,
            child: None,
            tls: false,
            clock_offset_file: Some(offset),
            extra_args: Vec::new(),
        };
        server.spawn().unwrap_or_else(|e| panic!("{e}"));
        server
    }

    /// Steps the server's wall clock to `offset_ms` from the real time (it takes effect
    /// within 10 ms). Only for a server from [`RedisServer::start_with_shiftable_clock`].
    pub fn shift_clock(&self, offset_ms: i64) {
        let file = self
            .clock_offset_file
            .as_ref()
            .expect("a server with a shiftable clock");
        let staged = file.with_extension("new");
        std::fs::write(&staged, offset_ms.to_string()).unwrap();
        std::fs::rename(&staged, file).unwrap();
    }

    fn spawn(&mut self) -> Result<(), String> {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let mut command = Command::new(&binary);
        if let Some(offset) = &self.clock_offset_file {
            command
                .env("LD_PRELOAD", build_clock_shim(&self.dir)?)
                .env("GR_CLOCK_OFFSET_FILE", offset);
        }
        if self.tls {
            command
                .args(["--port", "0", "--tls-port", &self.port.to_string()])
                .args(["--tls-auth-clients", "no"])
                .arg("--tls-cert-file")
                .arg(self.dir.join("server.pem"))
                .arg("--tls-key-file")
                .arg(self.dir.join("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(self.dir.join("ca.pem"));
        } else {
            command.args(["--port", &self.port.to_string()]);
        }
        let child = command
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--protected-mode", "no"])
            // Fault tests stall the server with DEBUG SLEEP.
            .args(["--enable-debug-command", "local"])
            .args(&self.extra_args)
            .arg("--dir")
            .arg(&self.dir)
            // Read back when it exits at start, to say why.
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start {binary} (install Debian's redis-server package): {e}")
            })?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.ping() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let log =
                        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default();
                    let last: Vec<&str> = log.lines().rev().take(3).collect();
                    return Err(format!(
                        "redis-server on port {} exited at start: {status}; its log ends: {}",
                        self.port,
                        last.into_iter().rev().collect::<Vec<_>>().join(" | ")
                    ));
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer PING within 20 s".into())
    }

    fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        if self.tls {
            // Accepting connections is as ready as we can tell without a TLS client.
            return true;
        }
        let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut reply = [0u8; 7];
        // A server with a password answers NOAUTH: it is up.
        stream.read_exact(&mut reply).is_ok() && (&reply == b"+PONG\r\n" || &reply == b"-NOAUTH")
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>` (`rediss://` for a TLS server).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server (SIGKILL): every key is gone, since it runs without persistence.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Writes the dataset to disk (`SAVE`) and returns a copy of the RDB file, to restore
    /// later with [`RedisServer::restart_from`] (an older snapshot: a rollback).
    pub fn snapshot(&self) -> Vec<u8> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect for SAVE");
        stream.write_all(b"SAVE\r\n").unwrap();
        let mut reply = [0u8; 5];
        stream.read_exact(&mut reply).unwrap();
        assert_eq!(&reply, b"+OK\r\n", "SAVE failed");
        std::fs::read(self.dir.join("dump.rdb")).expect("read dump.rdb")
    }

    /// Kills the server and starts it again on the same port from `rdb` (as
    /// [`RedisServer::snapshot`] returned it): Redis restarted with older data.
    pub fn restart_from(&mut self, rdb: &[u8]) {
        self.stop();
        std::fs::write(self.dir.join("dump.rdb"), rdb).expect("write dump.rdb");
        self.restart_keeping_files();
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(self.dir.join("dump.rdb"));
        self.restart_keeping_files();
    }

    /// Starts the stopped server again with the files in its directory.
    fn restart_keeping_files(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("redis-server restart: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Sends a signal to the server process (`STOP`, `CONT`, ...).
    pub fn signal(&self, signal: &str) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .args([format!("-{signal}"), pid.to_string()])
                .status();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.signal("CONT");
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Compiles the clock shim into `dir` and returns the library's path.
fn build_clock_shim(dir: &std::path::Path) -> Result<PathBuf, String> {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/clockshift.c");
    let library = dir.join("libclockshift.so");
    if library.exists() {
        return Ok(library);
    }
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o"])
        .arg(&library)
        .arg(&source)
        .arg("-ldl")
        .status()
        .map_err(|e| format!("cannot run the C compiler for the clock shim: {e}"))?;
    if !status.success() {
        return Err(format!("compiling {source:?} failed"));
    }
    Ok(library)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// [`make_certificates`] unless `dir` has them already.
pub(crate) fn make_certificates_once(dir: &std::path::Path) {
    if !dir.join("server.key").exists() {
        make_certificates(dir);
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it, in `dir` (`ca.pem`,
/// `server.pem`, `server.key`).
pub(crate) fn make_certificates(dir: &std::path::Path) {
    let openssl = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is needed for the TLS test");
        assert!(status.success(), "openssl {args:?} failed");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=group-redis test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
}
