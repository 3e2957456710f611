"""Cross-language: a Java, a C and a Python member in one group, each through its own
binding of the one native library.

This process is the Python member and drives the other two (tests/cross/CrossMember.java,
compiled with javac against the project's jar, and tests/cross/cross_member.c, compiled with
gcc against the committed header) over a line protocol on their stdin/stdout: one command
per line, answered by one line "OK ..." or "FAIL ..." (GRANT lines come before the answer
to LOCK):

    JOIN                join the group as the member id given on the command line
    SEEN_JOIN <id>      wait (bounded) until the membership subscription showed <id> join
    SEEN_LEAVE <id>     ... showed <id> leave; answers with the leave reason
    LOCK <rounds>       take and release "cross-lock" <rounds> times (the lock round below)
    WRITE               write the test's JSON document as ephemeral and persistent json/<id>
    CHECK <id>          read <id>'s two documents and compare them exactly with its own
    LEAVE, QUIT
    LISTEN              (C) listen to its own messages; RECEIVE <n> prints "MSG <json>" for
                        the next n
    SERVE               (C) answer every request with {"from":"c","echo":<payload>}
    BROADCAST <n>       (Java) broadcast {"seq":i,"from":"java"} for i in 0..n-1
    CONSUME <topic> <g> consume the topic in consumer group <g> until a second passes without
                        a message: "DONE <index>" per message it acknowledged

The lock round, the same in all three languages: take the lock (waiting up to 20 s), then
- read the persistent counter cross/holders with its version: it must be absent or 0; write
  1 by compare-and-set on that version (a second holder's write in between makes it fail);
- read the grant log cross/grants ([[token, member], ...]): its last token must be below
  ours; append ours by compare-and-set;
- read cross/holders again: still 1, still the version we wrote;
- write 0 by compare-and-set on our version; release.
Two holders at once would find the counter at 1, or make a compare-and-set fail. The log
gives the grant order across the three processes, checked here at the end.
"""

from __future__ import annotations

import json
import math
import statistics
import struct
import time
from typing import Any, Optional

import pytest

import group_redis
from children import PATIENCE, Child

ROUNDS = 150
LOCK = "cross-lock"
PY, C, JAVA = "py-member", "c-member", "java-member"

#: The document every member writes and expects from the others (also spelled out in
#: CrossMember.java and cross_member.c). Integers beyond 2^53 and up to the core's limits
#: (i64 min, u64 max: beyond those an integer becomes a double), doubles that a parser
#: without correct rounding gets wrong, the extremes, -0.0 and 1.0 (a float, not an int),
#: non-BMP characters, a combining mark, escapes, NUL, unusual keys, nesting.
DOCUMENT = {
    "integers": [0, -1, 9007199254740993, -9007199254740993, 9223372036854775807,
                 -9223372036854775808, 18446744073709551615],
    "floats": [0.1, 1e300, 5e-324, 1.7976931348623157e308, 2.2250738585072014e-308,
               0.30000000000000004, 2.7715077941825975e-163, 1.5, -0.0, 1.0, -2.5e-10],
    "text": ["\U0001F600", "e\u0301", "\U0001D11E clef", "\u65e5\u672c\u8a9e",
             "quote \" backslash \\ newline \n tab \t", "\x00nul", "\x7f\u2028\ufeff", ""],
    "keys": {"\U0001F600": 1, "e\u0301": 2, "": 3},
    "nested": {"a": [1, [2, [3, {"b": None}]], []], "t": True, "f": False, "empty": {}},
}


def differences(expected: Any, got: Any, where: str = "") -> list[str]:
    """Where `got` is not exactly `expected`: same types (1 is not 1.0, True is not 1),
    floats bit for bit (-0.0 is not 0.0), same keys."""
    if type(expected) is not type(got):
        return [f"{where}: expected {expected!r} ({type(expected).__name__}), got {got!r} ({type(got).__name__})"]
    if isinstance(expected, float):
        same = struct.pack("<d", expected) == struct.pack("<d", got)
        return [] if same else [f"{where}: expected {expected!r}, got {got!r}"]
    if isinstance(expected, dict):
        if expected.keys() != got.keys():
            return [f"{where}: keys {sorted(expected)} != {sorted(got)}"]
        return [d for k in expected for d in differences(expected[k], got[k], f"{where}.{k}")]
    if isinstance(expected, list):
        if len(expected) != len(got):
            return [f"{where}: {len(got)} items, expected {len(expected)}"]
        return [d for i, (e, g) in enumerate(zip(expected, got)) for d in differences(e, g, f"{where}[{i}]")]
    return [] if expected == got else [f"{where}: expected {expected!r}, got {got!r}"]


def test_the_strict_comparison_sees_what_plain_equality_misses():
    assert differences(DOCUMENT, DOCUMENT) == []
    assert differences([1.0], [1]) and differences([-0.0], [0.0]) and differences([True], [1])
    assert differences({"a": 18446744073709551615}, {"a": float(18446744073709551615)})
    assert differences([0.1], [math.nextafter(0.1, 1.0)])


# --------------------------------------------------------------------- the two children


# --------------------------------------------------------------------- the Python member


def await_waiters(url: str, group: str, count: int) -> int:
    """Waits until `count` waiters are queued on LOCK (docs/PROTOCOL.md: the lock's wait
    queue `lockwait:<name>`) and returns how many are."""
    import redis  # redis-py, from python/requirements-dev.txt

    raw = redis.Redis.from_url(url)
    deadline = time.monotonic() + PATIENCE
    try:
        while True:
            waiters = int(raw.llen(f"gr:{{{group}}}:lockwait:{LOCK}"))
            if waiters >= count:
                return waiters
            assert time.monotonic() < deadline, f"only {waiters} waiters on {LOCK} after {PATIENCE} s"
            time.sleep(0.005)
    finally:
        raw.close()


class PythonMember:
    """This process's member: the same operations as the children's commands."""

    def __init__(self, url: str, group: str):
        self.conn = group_redis.connect(url, group=group, member_id=PY)
        self.events = self.conn.member_events()
        self.joined: dict[str, Any] = {}  # id -> payload
        self.left: dict[str, Optional[str]] = {}  # id -> reason

    def await_event(self, member: str, leaving: bool) -> float:
        """Seconds until the subscription showed `member` join (or leave)."""
        start = time.monotonic()
        seen = self.left if leaving else self.joined
        while member not in seen:
            event = self.events.get(max(0.0, start + PATIENCE - time.monotonic()))
            assert event is not None, f"Python saw no {'leave' if leaving else 'join'} of {member}"
            self.joined.update({m.id: m.payload for m in event.joined_members})
            self.left.update({m.id: event.reason for m in event.left_members})
        return time.monotonic() - start

    def lock_rounds(self, rounds: int) -> list[tuple[int, float]]:
        """(token, seconds waited) per grant; fails on any violation."""
        grants = []
        for _ in range(rounds):
            asked = time.monotonic()
            lock = self.conn.try_lock(LOCK, PATIENCE)
            waited = time.monotonic() - asked
            assert lock is not None, f"Python did not get {LOCK} within {PATIENCE} s"
            with lock:
                self.inside_the_lock(lock.token)
            grants.append((lock.token, waited))
        return grants

    def inside_the_lock(self, token: int) -> None:
        conn = self.conn
        holders = conn.persistent_get_versioned("cross/holders")
        assert holders is None or holders.value == 0, f"entered with holders={holders}"
        mine = conn.persistent_cas("cross/holders", holders.version if holders else 0, 1)
        assert mine is not None, f"holders changed between read and write at token {token}"
        log = conn.persistent_get_versioned("cross/grants")
        entries = log.value if log else []
        assert not entries or entries[-1][0] < token, f"token {token} not above the last grant {entries[-1]}"
        assert conn.persistent_cas("cross/grants", log.version if log else 0, entries + [[token, PY]]), \
            f"grant log changed under token {token}"
        still = conn.persistent_get_versioned("cross/holders")
        assert still is not None and (still.value, still.version) == (1, mine), \
            f"holders became {still} while token {token} held the lock"
        assert conn.persistent_cas("cross/holders", mine, 0), f"holders changed while {token} held the lock"

    def close(self) -> None:
        self.events.close()
        self.conn.close()


# --------------------------------------------------------------------- the scenario


def test_java_c_and_python_share_a_group_a_lock_and_values(c_command, java_command, url, group):
    python = PythonMember(url, group)
    c = Child("C", [*c_command, url, group, C])
    java = Child("Java", [*java_command, url, group, JAVA])
    children = {C: c, JAVA: java}
    try:
        for child in children.values():
            child.answer(60.0)  # READY: connected and subscribed (a JVM may start slowly)
        others = {PY: [C, JAVA], C: [JAVA, PY], JAVA: [C, PY]}

        # Joins: each member's subscription shows the other two join.
        for child in children.values():
            child.ask("JOIN")
        python.conn.join(payload={"language": "python"})
        waits = {}
        for member, child in children.items():
            for other in others[member]:
                waits[f"{member} saw {other} join"] = int(child.ask(f"SEEN_JOIN {other}").split()[-1])
        for other in others[PY]:
            waits[f"{PY} saw {other} join"] = round(python.await_event(other, leaving=False) * 1000)
        assert python.joined[C] == {"language": "c"} and python.joined[JAVA] == {"language": "java"}

        # One lock, three languages at once. A start line first: Python holds the lock until
        # Redis counts both children among its waiters (a JVM still warming up would
        # otherwise start after the others are done), then lets go and takes its turns.
        start_line = python.conn.try_lock(LOCK, PATIENCE)
        assert start_line is not None
        started = time.monotonic()
        for child in children.values():
            child.send(f"LOCK {ROUNDS}")
        await_waiters(url, group, 2)
        start_line.release()
        py_grants = python.lock_rounds(ROUNDS)
        grants = {PY: py_grants}
        for member, child in children.items():
            answer, lines = child.answer()
            assert answer == f"OK LOCK {ROUNDS}"
            grants[member] = [(int(line.split()[1]), int(line.split()[2]) / 1000) for line in lines
                              if line.startswith("GRANT ")]
        lock_seconds = time.monotonic() - started
        log = python.conn.persistent_get("cross/grants")
        tokens = [token for token, _ in log]
        assert len(log) == 3 * ROUNDS
        assert all(a < b for a, b in zip(tokens, tokens[1:])), f"tokens out of order: {tokens}"
        for member, taken in grants.items():
            assert len(taken) == ROUNDS, member
            assert sorted(t for t, _ in taken) == [t for t, m in log if m == member], member
        assert python.conn.persistent_get("cross/holders") == 0
        # Concurrent, not one after the other: the start line above saw both children
        # counted as waiters at once, so all three contended from the first grant. (The
        # order of grants proves nothing more: the lock is not fair, a releaser often takes
        # it again before a woken waiter does, and a slow JVM can lose every race; runs of
        # consecutive grants by one member are printed.)
        places = {member: [i for i, (_, m) in enumerate(log) if m == member] for member in grants}
        runs = {member: 1 + sum(1 for a, b in zip(at, at[1:]) if b != a + 1) for member, at in places.items()}

        # Values: each writes the document both ways, each reads the other two's.
        python.conn.ephemeral_set(f"json/{PY}", DOCUMENT)
        python.conn.persistent_set(f"json/{PY}", DOCUMENT)
        for child in children.values():
            child.ask("WRITE")
        for member, child in children.items():
            for other in others[member]:
                child.ask(f"CHECK {other}")
        for other in others[PY]:
            assert differences(DOCUMENT, python.conn.ephemeral_get(f"json/{other}"), f"ephemeral {other}") == []
            assert differences(DOCUMENT, python.conn.persistent_get(f"json/{other}"), f"persistent {other}") == []

        # Leaves, one at a time; every member sees each of the other two leave.
        for leaving in (JAVA, C, PY):
            if leaving == PY:
                assert python.conn.leave()
            else:
                children[leaving].ask("LEAVE")
            for member, child in children.items():
                if member != leaving:
                    answer = child.ask(f"SEEN_LEAVE {leaving}")
                    _, _, who, reason, ms = answer.split()
                    assert (who, reason) == (leaving, "left"), answer
                    waits[f"{member} saw {leaving} leave"] = int(ms)
            if leaving != PY:
                waits[f"{PY} saw {leaving} leave"] = round(python.await_event(leaving, leaving=True) * 1000)
                assert python.left[leaving] == "left"
    finally:
        for child in children.values():
            child.stop()
        python.close()
    for child in children.values():
        assert child.process.returncode == 0, f"{child.name} exited {child.process.returncode}: {child.output}"

    print(f"\nlock: {3 * ROUNDS} grants in {lock_seconds:.2f} s, tokens {tokens[0]}..{tokens[-1]}, "
          f"runs of consecutive grants per member {runs}")
    for member, taken in grants.items():
        waited = [w for _, w in taken]
        print(f"  {member}: {len(taken)} rounds, wait median {statistics.median(waited) * 1000:.1f} ms, "
              f"max {max(waited) * 1000:.1f} ms")
    print("event waits (ms): " + ", ".join(f"{k} {v}" for k, v in waits.items()))


# --------------------------------------------------------------------- messages


BROADCASTS = 50
TOPIC_MESSAGES = 300


def test_messages_and_a_consumer_group_across_java_c_and_python(c_command, java_command, url, group):
    """A Java member broadcasts, the Python and C members receive every message once and in
    order; the C member answers a Python request; one consumer group with a member in each
    language processes a topic once."""
    python = PythonMember(url, group)
    c = Child("C", [*c_command, url, group, C])
    java = Child("Java", [*java_command, url, group, JAVA])
    children = {C: c, JAVA: java}
    try:
        for child in children.values():
            child.answer(60.0)
        for child in children.values():
            child.ask("JOIN")
        python.conn.join(payload={"language": "python"})
        for other in (C, JAVA):
            python.await_event(other, leaving=False)

        c.ask("LISTEN")
        with python.conn.listen() as inbox:
            java.ask(f"BROADCAST {BROADCASTS}")
            expected = [{"seq": i, "from": "java"} for i in range(BROADCASTS)]
            got = [inbox.get(PATIENCE) for _ in range(BROADCASTS)]
            assert [m.payload for m in got] == expected
            assert {(m.sender, m.kind) for m in got} == {(JAVA, "broadcast")}
            assert inbox.get(0.3) is None, "a broadcast delivered twice to Python"
        c.send(f"RECEIVE {BROADCASTS}")
        _, lines = c.answer()
        received = [json.loads(line[len("MSG "):]) for line in lines if line.startswith("MSG ")]
        assert [m["payload"] for m in received] == expected
        assert {(m["from"], m["kind"], m["to"]) for m in received} == {(JAVA, "broadcast", C)}

        c.ask("SERVE")
        for n in range(5):
            reply = python.conn.request(C, {"n": n}, timeout=PATIENCE)
            assert reply == {"from": "c", "echo": {"n": n}}

        indexes = python.conn.topic_send("cross-topic", [{"job": i} for i in range(TOPIC_MESSAGES)])
        for child in children.values():
            child.send("CONSUME cross-topic cross-workers")
        done: dict[int, list[str]] = {}
        while True:
            taken = python.conn.topic_consume("cross-topic", "cross-workers", 10, wait=1.0)
            if not taken:
                break
            for message in taken:
                if python.conn.topic_ack("cross-topic", "cross-workers", [message.index]) == [True]:
                    done.setdefault(message.index, []).append(PY)
        for member, child in children.items():
            answer, lines = child.answer()
            assert answer == "OK CONSUME"
            for line in lines:
                verdict, index = line.split()
                if verdict == "DONE":
                    done.setdefault(int(index), []).append(member)
        twice = {index: by for index, by in done.items() if len(by) > 1}
        assert not twice, f"processed more than once: {twice}"
        assert sorted(done) == indexes, f"{len(done)} of {len(indexes)} processed"
        shares = {member: sum(1 for by in done.values() if by == [member]) for member in (PY, C, JAVA)}
    finally:
        for child in children.values():
            child.stop()
        python.close()
    for child in children.values():
        assert child.process.returncode == 0, f"{child.name} exited {child.process.returncode}: {child.output}"
    print(f"\nmessages: {BROADCASTS} broadcasts from Java received in order by Python and C; "
          f"5 requests answered by C; {TOPIC_MESSAGES} topic messages processed once, shares {shares}")
