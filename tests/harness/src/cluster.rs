//! A Redis Cluster on free loopback ports: `primaries` primaries sharing the 16384 slots
//! evenly, each with `replicas` replicas, made with the CLUSTER commands themselves
//! (`redis-cli --cluster create` refuses fewer than 3 primaries, and the benchmark runs
//! 1 and 2). Slots can be migrated by hand, as `redis-cli --cluster reshard` does it.
//! Optionally every node has one password, or speaks only TLS (clients, bus, replication).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{free_port, RedisServer};

pub struct ClusterSet {
    /// Every node: the primaries first, then the replicas (replica `r` of primary `p` at
    /// `primaries + p * replicas + r`), until a fail-over changes the roles.
    pub nodes: Vec<RedisServer>,
    primaries: usize,
    /// The password of every node ([`ClusterSet::start_with_password`]).
    password: Option<String>,
    /// With [`ClusterSet::start_tls`]: the directory of the CA and the nodes' certificate.
    tls_dir: Option<PathBuf>,
}

/// The cluster's node timeout: a primary silent this long is failed over by its replica.
pub const NODE_TIMEOUT: Duration = Duration::from_millis(1000);

/// How many times a node is started with new ports when it exits at start (a port taken
/// between asking for it and binding it).
const START_ATTEMPTS: usize = 5;

impl ClusterSet {
    /// Starts the nodes, assigns the slots, joins them and waits until every node reports
    /// the cluster ok and knows every other node.
    pub fn start(primaries: usize, replicas: usize) -> ClusterSet {
        Self::start_set(primaries, replicas, None, false)
    }

    /// [`ClusterSet::start`] with `password` on every node (`requirepass`, and `masterauth`
    /// for the replicas). [`ClusterSet::url`] carries no password.
    pub fn start_with_password(primaries: usize, replicas: usize, password: &str) -> ClusterSet {
        Self::start_set(primaries, replicas, Some(password), false)
    }

    /// [`ClusterSet::start`] speaking only TLS, all with one throw-away CA and one
    /// certificate for 127.0.0.1: clients, the cluster bus (`tls-cluster`) and replication
    /// (`tls-replication`). [`ClusterSet::url`] is `rediss+cluster://`. Returns the CA
    /// certificate (PEM) a client must trust.
    pub fn start_tls(primaries: usize, replicas: usize) -> (ClusterSet, Vec<u8>) {
        let set = Self::start_set(primaries, replicas, None, true);
        let ca = std::fs::read(set.tls_dir.as_ref().unwrap().join("ca.pem")).unwrap();
        (set, ca)
    }

    fn start_set(
        primaries: usize,
        replicas: usize,
        password: Option<&str>,
        tls: bool,
    ) -> ClusterSet {
        let total = primaries * (1 + replicas);
        let tls_dir = tls.then(|| {
            let dir = std::env::temp_dir().join(format!(
                "gr-cluster-tls-{}-{}",
                std::process::id(),
                free_port().unwrap()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            crate::make_certificates(&dir);
            dir
        });
        // The bus port defaults to port + 10000, which may not exist, so each node gets one
        // of its own. A free port is only free when asked: tests running at the same time
        // may take it (or this node's own port) before the node binds it, and the node then
        // exits at start; it is started again with new ports.
        let start_node = || {
            let mut last = String::new();
            for _ in 0..START_ATTEMPTS {
                let bus = free_port().expect("a free port for the cluster bus");
                let mut args: Vec<String> = [
                    "--cluster-port",
                    &bus.to_string(),
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    &NODE_TIMEOUT.as_millis().to_string(),
                    // A replica may take over whatever its link's age (tests kill
                    // primaries soon after start).
                    "--cluster-replica-validity-factor",
                    "0",
                    // Replicas sync at once, not after the default 5 s wait.
                    "--repl-diskless-sync-delay",
                    "0",
                ]
                .map(String::from)
                .to_vec();
                if let Some(p) = password {
                    args.extend(["--requirepass", p, "--masterauth", p].map(String::from));
                }
                let started = match &tls_dir {
                    Some(dir) => {
                        args.extend(
                            ["--tls-cluster", "yes", "--tls-replication", "yes"].map(String::from),
                        );
                        RedisServer::try_start_tls_with(Some(dir), args)
                    }
                    None => RedisServer::try_start_with(args),
                };
                match started {
                    Ok(node) => return (node, bus),
                    Err(err) => last = err,
                }
            }
            panic!("a cluster node did not start in {START_ATTEMPTS} attempts: {last}")
        };
        let (nodes, buses): (Vec<RedisServer>, Vec<u16>) = (0..total).map(|_| start_node()).unzip();
        let set = ClusterSet {
            nodes,
            primaries,
            password: password.map(str::to_string),
            tls_dir,
        };
        for p in 0..primaries {
            let start = p * 16384 / primaries;
            let end = (p + 1) * 16384 / primaries - 1;
            set.cli(
                p,
                &[
                    "CLUSTER",
                    "ADDSLOTSRANGE",
                    &start.to_string(),
                    &end.to_string(),
                ],
            );
        }
        let first = set.nodes[0].port().to_string();
        for i in 1..total {
            set.cli(
                i,
                &[
                    "CLUSTER",
                    "MEET",
                    "127.0.0.1",
                    &first,
                    &buses[0].to_string(),
                ],
            );
        }
        set.wait("every node knows every other", |s| {
            (0..total).all(|i| s.known_nodes(i) == total)
        });
        for p in 0..primaries {
            let id = set.node_id(p);
            for r in 0..replicas {
                let replica = primaries + p * replicas + r;
                set.wait("a replica takes its primary", |s| {
                    s.cli(replica, &["CLUSTER", "REPLICATE", &id]) == "OK"
                });
            }
        }
        set.wait("the cluster is ok", |s| {
            (0..total).all(|i| s.cli(i, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
        });
        set.wait("every replica is in sync", |s| {
            (primaries..total).all(|i| s.info(i, "replication").contains("master_link_status:up"))
        });
        set
    }

    /// `redis+cluster://` (`rediss+cluster://` with TLS) with every primary as a seed, and
    /// no password.
    pub fn url(&self) -> String {
        let seeds: Vec<String> = (0..self.primaries)
            .map(|p| format!("127.0.0.1:{}", self.nodes[p].port()))
            .collect();
        let scheme = if self.tls_dir.is_some() {
            "rediss"
        } else {
            "redis"
        };
        format!("{scheme}+cluster://{}", seeds.join(","))
    }

    /// Runs one command with redis-cli on node `i` and returns its output, trimmed.
    pub fn cli(&self, i: usize, args: &[&str]) -> String {
        let out = self
            .redis_cli()
            .args(["-h", "127.0.0.1", "-p", &self.nodes[i].port().to_string()])
            .args(args)
            .output()
            .expect("redis-cli is needed for cluster tests");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// redis-cli with the cluster's password and TLS trust.
    fn redis_cli(&self) -> Command {
        let mut command = Command::new("redis-cli");
        if let Some(p) = &self.password {
            command.args(["--no-auth-warning", "-a", p]);
        }
        if let Some(dir) = &self.tls_dir {
            command.arg("--tls").arg("--cacert").arg(dir.join("ca.pem"));
        }
        command
    }

    pub fn info(&self, i: usize, section: &str) -> String {
        self.cli(i, &["INFO", section])
    }

    pub fn node_id(&self, i: usize) -> String {
        self.cli(i, &["CLUSTER", "MYID"])
    }

    fn known_nodes(&self, i: usize) -> usize {
        let info = self.cli(i, &["CLUSTER", "INFO"]);
        info.lines()
            .find_map(|l| l.strip_prefix("cluster_known_nodes:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The slot of `key`.
    pub fn slot(&self, key: &str) -> u16 {
        self.cli(0, &["CLUSTER", "KEYSLOT", key]).parse().unwrap()
    }

    /// The index of the live node that serves `slot` as a primary, as it says itself.
    pub fn owner(&self, slot: u16) -> Option<usize> {
        (0..self.nodes.len()).find(|&i| {
            self.nodes[i].pid().is_some()
                && self.info(i, "replication").contains("role:master")
                && self.serves(i, slot)
        })
    }

    fn serves(&self, i: usize, slot: u16) -> bool {
        self.ranges(i).iter().any(|range| range.contains(&slot))
    }

    /// The slot ranges node `i` serves, as it says itself.
    fn ranges(&self, i: usize) -> Vec<std::ops::RangeInclusive<u16>> {
        let nodes = self.cli(i, &["CLUSTER", "NODES"]);
        let Some(line) = nodes.lines().find(|l| l.contains("myself")) else {
            return Vec::new();
        };
        line.split(' ')
            .skip(8)
            .filter_map(|range| {
                let (a, b) = range.split_once('-').unwrap_or((range, range));
                Some(a.parse::<u16>().ok()?..=b.parse::<u16>().ok()?)
            })
            .collect()
    }

    /// Moves `slot` from its owner to node `to` with `redis-cli --cluster reshard`, which
    /// moves the owner's lowest slots first: every slot of the owner up to `slot` moves,
    /// each key by key (`--cluster-pipeline 1`).
    pub fn reshard_through(&self, slot: u16, to: usize) {
        let from = self.owner(slot).expect("an owner");
        let count: usize = self
            .ranges(from)
            .iter()
            .map(|r| (*r.start()..=(*r.end()).min(slot)).count())
            .sum();
        let out = self
            .redis_cli()
            .args(["--cluster", "reshard"])
            .arg(format!("127.0.0.1:{}", self.nodes[from].port()))
            .args(["--cluster-from", &self.node_id(from)])
            .args(["--cluster-to", &self.node_id(to)])
            .args(["--cluster-slots", &count.to_string()])
            .args(["--cluster-yes", "--cluster-pipeline", "1"])
            .output()
            .expect("redis-cli --cluster reshard");
        let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "reshard failed: {}",
            &said[said.len().saturating_sub(600)..]
        );
        self.wait("the resharded slot has its new owner", |s| {
            s.owner(slot) == Some(to)
        });
    }

    /// Migrates `slot` from node `from` to node `to` as `redis-cli --cluster reshard` does:
    /// IMPORTING on the target, MIGRATING on the source, the keys moved `batch` at a time
    /// with MIGRATE (pausing `between` after each batch, to widen the window in which the
    /// slot is split), then the new owner announced to every primary.
    pub fn migrate_slot(&self, slot: u16, from: usize, to: usize, batch: usize, between: Duration) {
        let slot_s = slot.to_string();
        let (from_id, to_id) = (self.node_id(from), self.node_id(to));
        assert_eq!(
            self.cli(to, &["CLUSTER", "SETSLOT", &slot_s, "IMPORTING", &from_id]),
            "OK"
        );
        assert_eq!(
            self.cli(from, &["CLUSTER", "SETSLOT", &slot_s, "MIGRATING", &to_id]),
            "OK"
        );
        let to_port = self.nodes[to].port().to_string();
        loop {
            let keys = self.cli(
                from,
                &["CLUSTER", "GETKEYSINSLOT", &slot_s, &batch.to_string()],
            );
            let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
            if keys.is_empty() {
                break;
            }
            let mut args = vec!["MIGRATE", "127.0.0.1", &to_port, "", "0", "5000"];
            if let Some(p) = &self.password {
                args.extend(["AUTH", p]);
            }
            args.push("KEYS");
            args.extend(keys.iter());
            let out = self.cli(from, &args);
            assert!(out == "OK" || out == "NOKEY", "MIGRATE: {out}");
            std::thread::sleep(between);
        }
        for i in [to, from] {
            assert_eq!(
                self.cli(i, &["CLUSTER", "SETSLOT", &slot_s, "NODE", &to_id]),
                "OK"
            );
        }
        for i in 0..self.nodes.len() {
            if i != to && i != from && self.nodes[i].pid().is_some() {
                self.cli(i, &["CLUSTER", "SETSLOT", &slot_s, "NODE", &to_id]);
            }
        }
    }

    /// Polls `done` for up to 20 s.
    pub fn wait(&self, what: &str, done: impl Fn(&ClusterSet) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "not within 20 s: {what}\n{}",
                self.cli(0, &["CLUSTER", "NODES"])
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn primaries(&self) -> usize {
        self.primaries
    }
}

impl Drop for ClusterSet {
    fn drop(&mut self) {
        if let Some(dir) = &self.tls_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
