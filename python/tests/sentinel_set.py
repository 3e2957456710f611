"""A master, one replica and three Sentinels on free loopback ports, all speaking TLS with
one throw-away CA, with a password on the servers and another on the Sentinels (the Rust
harness's SentinelSet, tests/harness/src/sentinel.rs, in its TLS and password forms). The
Sentinels also listen in plain text, for the harness's own questions."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

from redis_server import free_port, make_certificates

SERVICE = "grmaster"


def _encode(*args: str) -> bytes:
    out = f"*{len(args)}\r\n".encode()
    for arg in args:
        data = arg.encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def _read(reader):
    line = reader.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:]
    if kind in (b"+", b":"):
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b"$":
        length = int(rest)
        if length < 0:
            return None
        data = reader.read(length + 2)
        return data[:-2].decode()
    if kind == b"*":
        length = int(rest)
        return None if length < 0 else [_read(reader) for _ in range(length)]
    raise RuntimeError(f"unexpected reply {line!r}")


class SentinelSet:
    def __init__(self, server_password: str, sentinel_password: str) -> None:
        for binary in ("redis-server", "redis-sentinel", "openssl"):
            if shutil.which(binary) is None:
                raise RuntimeError(f"{binary} not found (scripts/install-deps.sh installs it)")
        self.dir = tempfile.mkdtemp(prefix="gr-py-sentinels-")
        make_certificates(self.dir)
        with open(os.path.join(self.dir, "ca.pem")) as f:
            self.ca_pem = f.read()
        self.sentinel_password = sentinel_password
        tls = [
            "--tls-cert-file", os.path.join(self.dir, "server.pem"),
            "--tls-key-file", os.path.join(self.dir, "server.key"),
            "--tls-ca-cert-file", os.path.join(self.dir, "ca.pem"),
            "--tls-auth-clients", "no", "--tls-replication", "yes",
        ]
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--requirepass", server_password, "--masterauth", server_password]
        self.servers: dict[int, subprocess.Popen] = {}
        master = free_port()
        replica = free_port()
        for port, extra in ((master, []), (replica, ["--replicaof", "127.0.0.1", str(master)])):
            self.servers[port] = subprocess.Popen(
                ["redis-server", "--port", "0", "--tls-port", str(port), *tls, *common,
                 "--dir", self.dir, *extra],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        self.sentinels: list[tuple[int, int, subprocess.Popen]] = []
        for _ in range(3):
            plain, tls_port = free_port(), free_port()
            conf = os.path.join(self.dir, f"sentinel-{plain}.conf")
            with open(conf, "w") as f:
                f.write(
                    f"port {plain}\ntls-port {tls_port}\nbind 127.0.0.1\nprotected-mode no\n"
                    f"dir {self.dir}\n"
                    f"tls-cert-file {self.dir}/server.pem\ntls-key-file {self.dir}/server.key\n"
                    f"tls-ca-cert-file {self.dir}/ca.pem\ntls-auth-clients no\n"
                    "tls-replication yes\n"
                    f"sentinel monitor {SERVICE} 127.0.0.1 {master} 2\n"
                    f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                    f"sentinel failover-timeout {SERVICE} 3000\n"
                    f"sentinel auth-pass {SERVICE} {server_password}\n"
                    f"requirepass {sentinel_password}\nsentinel sentinel-pass {sentinel_password}\n"
                )
            process = subprocess.Popen(["redis-sentinel", conf],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.sentinels.append((plain, tls_port, process))
        self._wait_ready()

    def url(self, server_password: str, sentinel_password: str) -> str:
        hosts = ",".join(f"127.0.0.1:{tls}" for _, tls, _ in self.sentinels)
        return (f"rediss+sentinel://:{server_password}@{hosts}/{SERVICE}"
                f"?sentinel_password={sentinel_password}")

    def _ask(self, port: int, *args: str):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(_encode("AUTH", self.sentinel_password) + _encode(*args))
                reader = s.makefile("rb")
                _read(reader)
                return _read(reader)
        except (OSError, RuntimeError):
            return None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(len(self._ask(p, "SENTINEL", "replicas", SERVICE) or []) == 1
                   and len(self._ask(p, "SENTINEL", "sentinels", SERVICE) or []) == 2
                   for p, _, _ in self.sentinels):
                return
            time.sleep(0.1)
        raise RuntimeError("the Sentinels did not find the replica and each other in 30 s")

    def master_port(self) -> int | None:
        for plain, _, _ in self.sentinels:
            addr = self._ask(plain, "SENTINEL", "get-master-addr-by-name", SERVICE)
            if addr:
                return int(addr[1])
        return None

    def kill(self, port: int) -> None:
        self.servers[port].kill()
        self.servers[port].wait()

    def wait_for_new_master(self, old: int, within: float) -> int:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            port = self.master_port()
            if port is not None and port != old:
                return port
            time.sleep(0.05)
        raise RuntimeError(f"no fail-over within {within} s")

    def stop(self) -> None:
        for process in [p for _, _, p in self.sentinels] + list(self.servers.values()):
            process.kill()
            process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
