"""Three Redis Cluster primaries (no replicas) on free loopback ports sharing the 16384
slots, for the Python and cross-language tests (the Rust harness's ClusterSet,
tests/harness/src/cluster.rs, also does replicas, resharding and fail-over)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from typing import Iterator

from redis_server import free_port


def cli(port: int, *args: str) -> str:
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _wait(what: str, done) -> None:
    deadline = time.monotonic() + 20
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting until {what}")
        time.sleep(0.05)


@contextmanager
def three_primaries() -> Iterator[list[int]]:
    """Ports of three primaries, each owning a third of the slots, once the cluster is ok."""
    nodes = []
    try:
        for _ in range(3):
            port, bus = free_port(), free_port()
            directory = tempfile.mkdtemp(prefix="gr-py-cluster-")
            process = subprocess.Popen(
                [os.environ.get("REDIS_SERVER", "redis-server"), "--port", str(port),
                 "--cluster-port", str(bus), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--cluster-enabled", "yes", "--cluster-config-file",
                 "nodes.conf", "--dir", directory],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            nodes.append((port, bus, process, directory))
        for port, *_ in nodes:
            _wait("redis-server answers", lambda: subprocess.run(
                ["redis-cli", "-p", str(port), "PING"], capture_output=True).returncode == 0)
        for i, (port, *_) in enumerate(nodes):
            cli(port, "CLUSTER", "ADDSLOTSRANGE", str(i * 16384 // 3), str((i + 1) * 16384 // 3 - 1))
        for port, *_ in nodes[1:]:
            cli(port, "CLUSTER", "MEET", "127.0.0.1", str(nodes[0][0]), str(nodes[0][1]))
        _wait("the cluster is ok", lambda: all(
            "cluster_state:ok" in cli(port, "CLUSTER", "INFO") for port, *_ in nodes))
        yield [port for port, *_ in nodes]
    finally:
        for _, _, process, directory in nodes:
            process.kill()
            process.wait()
            shutil.rmtree(directory, ignore_errors=True)


def cluster_url(ports: list[int]) -> str:
    return "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in ports)


def nodes_holding(ports: list[int], group: str) -> list[int]:
    """The nodes that hold any key of `group` (its keys share the `{group}` hash tag)."""
    slot = cli(ports[0], "CLUSTER", "KEYSLOT", f"gr:{{{group}}}:sessions")
    return [port for port in ports if int(cli(port, "CLUSTER", "COUNTKEYSINSLOT", slot)) > 0]
