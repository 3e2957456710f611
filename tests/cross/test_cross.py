"""Cross-language: a C program (compiled by gcc against the committed header) and this
Python process join one group, each sees the other, and they contend for one lock; the
fencing tokens both see strictly increase across the two languages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

import group_redis
from c_linking import link_args

ROOT = Path(__file__).resolve().parents[2]
PATIENCE = 20.0
ROUNDS = 40


@pytest.fixture(scope="module")
def c_member() -> str:
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed for the cross-language test")
    out = Path(tempfile.mkdtemp(prefix="gr-cross-")) / "cross_member"
    subprocess.run(
        [
            "gcc", "-std=c11", "-Wall", "-Wextra", "-Werror",
            str(ROOT / "tests" / "cross" / "cross_member.c"),
            "-o", str(out),
            *link_args(group_redis.library_path(), out.parent),
        ],
        check=True,
    )
    return str(out)


def test_c_and_python_share_a_group_and_a_lock(c_member, url, group):
    # redis_server fixture comes from python/tests/conftest.py via the url fixture.
    with group_redis.connect(url, group=group, member_id="py-member") as conn:
        conn.join(payload={"language": "python"})
        child = subprocess.Popen(
            [c_member, url, group, "c-member", "py-member", str(ROUNDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(child.stdout))
        reader.start()
        try:
            # Python sees the C member.
            with conn.member_events() as events:
                ids = {m.id for m in events.snapshot}
                while "c-member" not in ids:
                    event = events.get(PATIENCE)
                    assert event is not None, "the C member never joined"
                    ids |= {m.id for m in event.joined_members}
            [c_record] = [m for m in conn.members() if m.id == "c-member"]
            assert c_record.payload == {"language": "c"}

            python_tokens: list[int] = []
            violations: list[str] = []
            for _ in range(ROUNDS):
                with conn.locked("cross-lock", timeout=PATIENCE) as lock:
                    last = conn.persistent_get("cross/last-token")
                    if last is not None and last >= lock.token:
                        violations.append(f"token {lock.token} not above last {last}")
                    conn.persistent_set("cross/last-token", lock.token)
                    mine = f"py-member:{lock.token}"
                    conn.persistent_set("cross/holder", mine)
                    if conn.persistent_get("cross/holder") != mine:
                        violations.append(f"holder changed while {mine} held the lock")
                    python_tokens.append(lock.token)
            assert child.wait(60) == 0, "".join(lines)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            reader.join(PATIENCE)

    output = "".join(lines)
    assert "SEEN py-member" in output, output
    assert "VIOLATION" not in output and "ERROR" not in output, output
    assert output.rstrip().endswith("DONE 0"), output
    c_tokens = [int(line.split()[1]) for line in lines if line.startswith("TOKEN ")]
    assert len(c_tokens) == ROUNDS and len(python_tokens) == ROUNDS
    assert violations == []
    # Each side's tokens strictly increase, and no token was handed out twice.
    assert c_tokens == sorted(set(c_tokens))
    assert python_tokens == sorted(set(python_tokens))
    assert not set(c_tokens) & set(python_tokens)
