"""Redis Cluster from Python: the `redis+cluster://` URL goes through the core unchanged.
Three primaries (no replicas) on free loopback ports, each group on the primary that owns
its slot. The core's tests (core/tests/cluster.rs) cover resharding and fail-over."""

from __future__ import annotations

import os
import shutil

import pytest

import group_redis
from cluster_set import cluster_url, nodes_holding, three_primaries


@pytest.fixture(scope="module")
def cluster():
    """Ports of three primaries sharing the 16384 slots."""
    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli not installed")
    with three_primaries() as ports:
        yield ports


def test_groups_on_a_cluster_live_on_the_primary_that_owns_their_slot(cluster) -> None:
    url = cluster_url(cluster)
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
            assert len(nodes_holding(cluster, group)) == 1
        finally:
            conn.close()
