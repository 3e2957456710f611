"""Cross-language on Redis Cluster: a Java, a C and a Python member in one group reached
through a `redis+cluster://` URL of three primaries (each binding hands the URL to the one
core, which routes the group to the primary owning its slot). The same members and line
protocol as test_cross.py: they see each other join, take turns on one lock with the same
checks inside it (never two holders, tokens in grant order), read each other's values, and
leave; all of the group's keys live on one node."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from children import PATIENCE, Child
from cluster_set import cluster_url, nodes_holding, three_primaries
from test_cross import C, DOCUMENT, JAVA, PY, PythonMember, differences

ROUNDS = 30


@pytest.fixture(scope="module")
def cluster():
    if shutil.which("redis-cli") is None:
        pytest.fail("redis-cli is needed (Debian's redis-tools, installed by scripts/install-deps.sh)")
    with three_primaries() as ports:
        yield ports


def test_java_c_and_python_share_a_group_on_a_cluster(c_command, java_command, cluster):
    url = cluster_url(cluster)
    group = f"cross-cluster-{os.getpid()}"
    python = PythonMember(url, group)
    children = {C: Child("C", [*c_command, url, group, C]),
                JAVA: Child("Java", [*java_command, url, group, JAVA])}
    try:
        for child in children.values():
            child.answer(60.0)  # READY
        for child in children.values():
            child.ask("JOIN")
        python.conn.join(payload={"language": "python"})
        others = {C: [JAVA, PY], JAVA: [C, PY]}
        for member, child in children.items():
            for other in others[member]:
                child.ask(f"SEEN_JOIN {other}")
        for other in (C, JAVA):
            python.await_event(other, leaving=False)
        assert python.joined[C] == {"language": "c"} and python.joined[JAVA] == {"language": "java"}

        started = time.monotonic()
        for child in children.values():
            child.send(f"LOCK {ROUNDS}")
        python.lock_rounds(ROUNDS)
        for child in children.values():
            answer, _ = child.answer()
            assert answer == f"OK LOCK {ROUNDS}"
        lock_seconds = time.monotonic() - started
        log = python.conn.persistent_get("cross/grants")
        tokens = [token for token, _ in log]
        assert len(log) == 3 * ROUNDS
        assert all(a < b for a, b in zip(tokens, tokens[1:])), f"tokens out of order: {tokens}"
        assert {m: sum(1 for _, by in log if by == m) for m in (PY, C, JAVA)} == \
            {PY: ROUNDS, C: ROUNDS, JAVA: ROUNDS}
        assert python.conn.persistent_get("cross/holders") == 0

        python.conn.persistent_set(f"json/{PY}", DOCUMENT)
        python.conn.ephemeral_set(f"json/{PY}", DOCUMENT)
        for child in children.values():
            child.ask("WRITE")
        for member, child in children.items():
            for other in others[member]:
                child.ask(f"CHECK {other}")
        for other in (C, JAVA):
            assert differences(DOCUMENT, python.conn.persistent_get(f"json/{other}"), other) == []

        holding = nodes_holding(cluster, group)
        assert len(holding) == 1, f"the group's keys are on {holding}"

        for leaving in (JAVA, C):
            children[leaving].ask("LEAVE")
            assert python.await_event(leaving, leaving=True) < PATIENCE
            assert python.left[leaving] == "left"
    finally:
        for child in children.values():
            child.stop()
        python.close()
    for child in children.values():
        assert child.process.returncode == 0, f"{child.name} exited {child.process.returncode}: {child.output}"
    print(f"\ncluster: {3 * ROUNDS} grants across Java, C and Python in {lock_seconds:.2f} s, "
          f"tokens {tokens[0]}..{tokens[-1]}, the group on the primary at port {holding[0]}")
