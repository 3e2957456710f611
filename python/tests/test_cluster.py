"""Redis Cluster from Python: the `redis+cluster://` URL goes through the core unchanged.
Three primaries (no replicas) on free loopback ports, each group on the primary that owns
its slot. The core's tests (core/tests/cluster.rs) cover resharding and fail-over."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pytest

import group_redis
from redis_server import free_port


def cli(port: int, *args: str) -> str:
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def wait(what: str, done) -> None:
    deadline = time.monotonic() + 20
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster():
    """Ports of three primaries sharing the 16384 slots."""
    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli not installed")
    nodes = []
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
    try:
        for port, *_ in nodes:
            wait("redis-server answers", lambda: subprocess.run(
                ["redis-cli", "-p", str(port), "PING"], capture_output=True).returncode == 0)
        for i, (port, *_) in enumerate(nodes):
            cli(port, "CLUSTER", "ADDSLOTSRANGE", str(i * 16384 // 3), str((i + 1) * 16384 // 3 - 1))
        for port, *_ in nodes[1:]:
            cli(port, "CLUSTER", "MEET", "127.0.0.1", str(nodes[0][0]), str(nodes[0][1]))
        wait("the cluster is ok", lambda: all(
            "cluster_state:ok" in cli(port, "CLUSTER", "INFO") for port, *_ in nodes))
        yield [port for port, *_ in nodes]
    finally:
        for _, _, process, directory in nodes:
            process.kill()
            process.wait()
            shutil.rmtree(directory, ignore_errors=True)


def test_groups_on_a_cluster_live_on_the_primary_that_owns_their_slot(cluster) -> None:
    url = "redis+cluster://" + ",".join(f"127.0.0.1:{port}" for port in cluster)
    for n in range(6):
        group = f"py-cluster-{os.getpid()}-{n}"
        conn = group_redis.connect(url, group=group, member_id="a")
        try:
            conn.join()
            lock = conn.lock("L")
            assert lock is not None
            conn.persistent_set("cfg", {"n": n})
            assert conn.persistent_get("cfg") == {"n": n}
            assert [m.id for m in conn.members()] == ["a"]
            slot = cli(cluster[0], "CLUSTER", "KEYSLOT", f"gr:{{{group}}}:sessions")
            counts = [int(cli(port, "CLUSTER", "COUNTKEYSINSLOT", slot)) for port in cluster]
            assert sum(1 for c in counts if c > 0) == 1, counts
        finally:
            conn.close()
