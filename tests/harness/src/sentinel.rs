//! A master, one replica and three Sentinels on free loopback ports (Debian's
//! `redis-sentinel` package), for fail-over tests. The Sentinels declare the master down
//! after [`SentinelSet::DOWN_AFTER`] and fail over with a quorum of two.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, Proxy, RedisServer};

/// The service name the Sentinels monitor.
pub const SERVICE: &str = "grmaster";

pub struct SentinelSet {
    /// The servers, master first until a fail-over.
    pub servers: Vec<RedisServer>,
    sentinels: Vec<(u16, Child)>,
    dir: PathBuf,
    /// The Sentinels' own password, if they have one.
    sentinel_password: Option<String>,
    /// With [`SentinelSet::start_behind_proxy`]: the proxy everyone reaches the first
    /// master through.
    pub proxy: Option<Proxy>,
    /// With [`SentinelSet::start_tls`]: the Sentinels' TLS ports (clients use these; the
    /// harness asks on the plain ones).
    tls_ports: Vec<u16>,
}

impl SentinelSet {
    /// How long a master must be silent before the Sentinels call it down.
    pub const DOWN_AFTER: Duration = Duration::from_millis(1000);
    /// Sentinel's failover-timeout (bounds a stuck fail-over, and retries).
    pub const FAILOVER_TIMEOUT: Duration = Duration::from_millis(3000);

    /// Starts everything and waits until the Sentinels know the replica and each other.
    pub fn start() -> SentinelSet {
        Self::start_with_passwords(None, None)
    }

    /// [`SentinelSet::start`] with the first master reachable only through a proxy
    /// (Sentinels, the replica and clients alike): pausing it cuts the master off while it
    /// lives on, and resuming lets it back as a minority that the Sentinels demote.
    pub fn start_behind_proxy() -> SentinelSet {
        Self::start_set(None, None, true, false)
    }

    /// [`SentinelSet::start`] speaking TLS, all with one throw-away CA: the master and the
    /// replica only TLS (replication too), the Sentinels TLS to them and to each other and
    /// on a TLS port for clients ([`SentinelSet::url`] is `rediss+sentinel://`). Returns
    /// the CA certificate (PEM) a client must trust.
    pub fn start_tls() -> (SentinelSet, Vec<u8>) {
        let set = Self::start_set(None, None, false, true);
        let ca = std::fs::read(set.dir.join("ca.pem")).unwrap();
        (set, ca)
    }

    /// [`SentinelSet::start`] with a password on the master and replica (`requirepass`)
    /// and one on the Sentinels themselves.
    pub fn start_with_passwords(
        master_password: Option<&str>,
        sentinel_password: Option<&str>,
    ) -> SentinelSet {
        Self::start_set(master_password, sentinel_password, false, false)
    }

    fn start_set(
        master_password: Option<&str>,
        sentinel_password: Option<&str>,
        behind_proxy: bool,
        tls: bool,
    ) -> SentinelSet {
        let dir = std::env::temp_dir().join(format!(
            "gr-sentinels-{}-{}",
            std::process::id(),
            free_port().unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let start = |mut args: Vec<String>| {
            if tls {
                crate::make_certificates_once(&dir);
                args.extend(["--tls-replication".into(), "yes".into()]);
                RedisServer::start_tls_with(Some(&dir), args)
            } else {
                RedisServer::start_with_args(args)
            }
        };
        let mut auth: Vec<String> = master_password
            .map(|p| {
                vec![
                    "--requirepass".into(),
                    p.into(),
                    "--masterauth".into(),
                    p.into(),
                ]
            })
            .unwrap_or_default();
        let master = start(auth.clone());
        let proxy = behind_proxy.then(|| Proxy::start(master.port()));
        let master_port = proxy.as_ref().map_or(master.port(), Proxy::port);
        let mut replica_args = std::mem::take(&mut auth);
        replica_args.extend([
            "--replicaof".into(),
            "127.0.0.1".into(),
            master_port.to_string(),
        ]);
        let replica = start(replica_args);
        let mut set = SentinelSet {
            servers: vec![master, replica],
            sentinels: Vec::new(),
            dir,
            sentinel_password: sentinel_password.map(str::to_string),
            proxy,
            tls_ports: Vec::new(),
        };
        let mut extra = String::new();
        if let Some(p) = master_password {
            extra.push_str(&format!("sentinel auth-pass {SERVICE} {p}\n"));
        }
        if let Some(p) = sentinel_password {
            extra.push_str(&format!("requirepass {p}\nsentinel sentinel-pass {p}\n"));
        }
        for _ in 0..3 {
            // A free port is only free when asked: a test running at the same time may bind
            // it first, and the Sentinel then exits at start; it is started again on a new
            // port (and a new TLS port).
            let mut attempt = 0;
            loop {
                attempt += 1;
                let port = free_port().unwrap();
                let mut tls_conf = String::new();
                let tls_port = tls.then(|| free_port().unwrap());
                if let Some(tls_port) = tls_port {
                    let file = |name: &str| set.dir.join(name).display().to_string();
                    tls_conf = format!(
                        "tls-port {tls_port}\ntls-cert-file {}\ntls-key-file {}\n\
                         tls-ca-cert-file {}\ntls-auth-clients no\ntls-replication yes\n",
                        file("server.pem"),
                        file("server.key"),
                        file("ca.pem")
                    );
                }
                let conf = set.dir.join(format!("sentinel-{port}.conf"));
                std::fs::write(
                    &conf,
                    format!(
                        "port {port}\nbind 127.0.0.1\nprotected-mode no\ndaemonize no\n\
                         dir {dir}\n\
                         sentinel monitor {SERVICE} 127.0.0.1 {master} 2\n\
                         sentinel down-after-milliseconds {SERVICE} {down}\n\
                         sentinel failover-timeout {SERVICE} {failover}\n\
                         sentinel parallel-syncs {SERVICE} 1\n{extra}{tls_conf}",
                        dir = set.dir.display(),
                        master = master_port,
                        down = Self::DOWN_AFTER.as_millis(),
                        failover = Self::FAILOVER_TIMEOUT.as_millis(),
                    ),
                )
                .unwrap();
                let mut child = Command::new(
                    std::env::var("REDIS_SENTINEL").unwrap_or_else(|_| "redis-sentinel".into()),
                )
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("cannot start redis-sentinel (install Debian's redis-sentinel package)");
                if set.answers(port, &mut child) {
                    set.sentinels.push((port, child));
                    set.tls_ports.extend(tls_port);
                    break;
                }
                let _ = child.kill();
                let _ = child.wait();
                assert!(
                    attempt < 5,
                    "a Sentinel did not start in {attempt} attempts"
                );
            }
        }
        set.wait_until_ready();
        set
    }

    /// Whether the Sentinel just started on `port` answers PING (waiting up to 10 s); false
    /// when it exited at start.
    fn answers(&self, port: u16, child: &mut std::process::Child) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.query(port, &["PING"]).is_some() {
                return true;
            }
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.sentinels.iter().all(|(port, _)| {
                list_len(self.query(*port, &["SENTINEL", "replicas", SERVICE])) == 1
                    && list_len(self.query(*port, &["SENTINEL", "sentinels", SERVICE])) == 2
            });
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Sentinels did not find the replica and each other within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `redis+sentinel://127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>/grmaster`
    /// (`rediss+sentinel://` and the TLS ports for a set from [`SentinelSet::start_tls`]).
    pub fn url(&self) -> String {
        let (scheme, ports): (&str, Vec<u16>) = if self.tls_ports.is_empty() {
            (
                "redis",
                self.sentinels.iter().map(|(port, _)| *port).collect(),
            )
        } else {
            ("rediss", self.tls_ports.clone())
        };
        let hosts: Vec<String> = ports
            .iter()
            .map(|port| format!("127.0.0.1:{port}"))
            .collect();
        format!("{scheme}+sentinel://{}/{SERVICE}", hosts.join(","))
    }

    /// The master's port as the first Sentinel that answers names it.
    pub fn master_port(&self) -> Option<u16> {
        self.sentinels.iter().find_map(|(port, _)| {
            match self.query(*port, &["SENTINEL", "get-master-addr-by-name", SERVICE])? {
                Reply::List(addr) => match addr.get(1)? {
                    Reply::Text(p) => p.parse().ok(),
                    _ => None,
                },
                _ => None,
            }
        })
    }

    fn query(&self, port: u16, args: &[&str]) -> Option<Reply> {
        sentinel_query(port, self.sentinel_password.as_deref(), args)
    }

    /// The server listening on `port`.
    pub fn server(&mut self, port: u16) -> &mut RedisServer {
        self.servers
            .iter_mut()
            .find(|s| s.port() == port)
            .expect("a server of the set")
    }

    /// Starts the stopped server on `port` again, empty, as a replica of `master` (as a
    /// restarted old master whose configuration the Sentinels rewrote; one left to come
    /// back as a master is turned into a replica only after Sentinel's 8-18 s of checks).
    pub fn restart_as_replica(&mut self, port: u16, master: u16) {
        let server = self.server(port);
        if let Some(at) = server.extra_args.iter().position(|a| a == "--replicaof") {
            server.extra_args.drain(at..at + 3);
        }
        server
            .extra_args
            .extend(["--replicaof".into(), "127.0.0.1".into(), master.to_string()]);
        server.restart();
    }

    /// Waits until the Sentinels name a master other than `old`, returns its port.
    pub fn wait_for_new_master(&self, old: u16, within: Duration) -> u16 {
        let deadline = Instant::now() + within;
        loop {
            if let Some(port) = self.master_port().filter(|p| *p != old) {
                return port;
            }
            assert!(Instant::now() < deadline, "no fail-over within {within:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A RESP reply, as far as these queries need one.
enum Reply {
    Nil,
    Text(String),
    List(Vec<Reply>),
}

/// Sends one command to the Sentinel on `port` (after AUTH with `password`) and reads
/// the reply.
fn sentinel_query(port: u16, password: Option<&str>, args: &[&str]) -> Option<Reply> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .ok()?;
    let mut request = String::new();
    if let Some(password) = password {
        request.push_str(&encode(&["AUTH", password]));
    }
    request.push_str(&encode(args));
    stream.write_all(request.as_bytes()).ok()?;
    let mut reader = BufReader::new(stream);
    if password.is_some() {
        read_reply(&mut reader)?;
    }
    read_reply(&mut reader)
}

fn encode(args: &[&str]) -> String {
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    request
}

fn read_reply(reader: &mut BufReader<TcpStream>) -> Option<Reply> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let line = line.trim_end();
    let (kind, rest) = line.split_at(1);
    match kind {
        "+" | ":" => Some(Reply::Text(rest.to_string())),
        "$" => {
            let len: i64 = rest.parse().ok()?;
            if len < 0 {
                return Some(Reply::Nil);
            }
            let mut data = vec![0u8; len as usize + 2];
            reader.read_exact(&mut data).ok()?;
            data.truncate(len as usize);
            Some(Reply::Text(String::from_utf8(data).ok()?))
        }
        "*" => {
            let len: i64 = rest.parse().ok()?;
            if len < 0 {
                return Some(Reply::Nil);
            }
            let items = (0..len)
                .map(|_| read_reply(reader))
                .collect::<Option<Vec<_>>>()?;
            Some(Reply::List(items))
        }
        _ => None,
    }
}

fn list_len(reply: Option<Reply>) -> usize {
    match reply {
        Some(Reply::List(items)) => items.len(),
        _ => 0,
    }
}

impl Drop for SentinelSet {
    fn drop(&mut self) {
        for (_, child) in &mut self.sentinels {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
