"""A real redis-server on a free loopback port, no persistence; for tests and the bench."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 6379:
            return port


def make_certificates(directory: str) -> None:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it (openssl)."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=group-redis test CA", "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem")


class RedisServer:
    """`tls=True`: speaks only TLS, with a certificate from a private CA (`ca_pem`)."""

    def __init__(self, tls: bool = False) -> None:
        binary = os.environ.get("REDIS_SERVER", "redis-server")
        if shutil.which(binary) is None:
            raise RuntimeError(f"{binary} not found (install Debian's redis-server package)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="gr-py-redis-")
        self.tls = tls
        if tls:
            make_certificates(self.dir)
            with open(os.path.join(self.dir, "ca.pem")) as f:
                self.ca_pem = f.read()
            listen = [
                "--port", "0", "--tls-port", str(self.port), "--tls-auth-clients", "no",
                "--tls-cert-file", os.path.join(self.dir, "server.pem"),
                "--tls-key-file", os.path.join(self.dir, "server.key"),
                "--tls-ca-cert-file", os.path.join(self.dir, "ca.pem"),
            ]
        else:
            listen = ["--port", str(self.port)]
        self._command = [
            binary,
            *listen,
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self.dir,
        ]
        self.process = subprocess.Popen(
            self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_ready()

    def restart(self) -> None:
        """Kills the server (SIGKILL: without persistence every key is gone) and starts it
        again, empty, on the same port."""
        self.process.kill()
        self.process.wait()
        deadline = time.monotonic() + 10
        while True:
            self.process = subprocess.Popen(
                self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                self._wait_ready()
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if self.tls:
                        return  # listening is enough; the TLS handshake is the test's job
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not answer PING within 20 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
