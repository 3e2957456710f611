"""Cross-language recipes: a Java, a C and a Python member, each a process of its own
(CrossMember.java, cross_member.c, cross_member.py over the line protocol of
test_cross.py), campaign for one leadership and share one assignment topic:

- each sees the others' payload and online flag (MEMBERS), also after one goes offline;
- one leader at a time, and when the leader's process is SIGKILLed a survivor is elected
  with a larger token; twice, so three terms in three languages' hands;
- every id is owned by exactly one live member, the shares balanced, after each kill.

The extra commands (all three members):

    CAMPAIGN <name>          campaign for leadership of <name>
    ASSIGN <topic> <a,b,..>  take part in assigning the ids of <topic>
    LEADER                   "OK LEADER <token>": the term's token while leading (local), else 0
    SHARE                    "OK SHARE <epoch> <id,id,...>" ("-" for none)
    MEMBERS                  "OK MEMBERS <id>:<online 1|0>:<payload's language> ..."
    ONLINE <1|0>             set this member online or offline (without leaving)

A Python observer in this process follows the election (observe_leader) to show that terms
only grow and no two leaders' terms interleave.
"""

from __future__ import annotations

import signal
import time

import pytest

import group_redis
from children import PATIENCE, Child

SESSION_MS = 1000
ELECTION, TOPIC = "cross-leader", "cross-ids"
IDS = [f"id-{i:02}" for i in range(12)]
PY, C, JAVA = "py-member", "c-member", "java-member"
LANGUAGE = {PY: "python", C: "c", JAVA: "java"}


#: The last shares read, for the failure message.
last_shares: dict = {}


def eventually(what: str, check, patience: float = PATIENCE):
    deadline = time.monotonic() + patience
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for: {what} (last shares read: {last_shares})")
        time.sleep(0.02)


def members_seen(child: Child) -> dict[str, tuple[bool, str]]:
    """id -> (online, language) as `child` reads members()."""
    words = child.ask("MEMBERS").split()[2:]
    return {m: (online == "1", language) for m, online, language in (w.split(":") for w in words)}


def leaders(alive: dict[str, Child]) -> dict[str, int]:
    """Who says it leads now, with its token; never two."""
    claims = {m: int(child.ask("LEADER").split()[-1]) for m, child in alive.items()}
    leading = {m: token for m, token in claims.items() if token > 0}
    assert len(leading) <= 1, f"two leaders at once: {leading}"
    return leading


def one_leader_above(alive: dict[str, Child], token: int) -> tuple[str, int]:
    found = eventually(f"a leader with a token above {token}",
                       lambda: [(m, t) for m, t in leaders(alive).items() if t > token])
    return found[0]


def shares(alive: dict[str, Child]) -> dict[str, tuple[int, list[str]]]:
    out = {}
    for m, child in alive.items():
        _, _, epoch, ids = child.ask("SHARE").split()
        out[m] = (int(epoch), [] if ids == "-" else ids.split(","))
    last_shares.clear()
    last_shares.update(out)
    return out


def settled(alive: dict[str, Child]):
    """The shares once the ids are split among the live members exactly once, balanced (read
    twice, the same: shares read one process after the other are only comparable at rest;
    a member's epoch is that of the record that last changed its share)."""
    first = shares(alive)
    owned = sorted(i for _, ids in first.values() for i in ids)
    sizes = [len(ids) for _, ids in first.values()]
    if owned != IDS or max(sizes) - min(sizes) > 1:
        return None
    return first if shares(alive) == first else None


def test_leader_and_assignments_across_java_c_and_python(c_command, java_command, python_command, url, group):
    commands = {PY: python_command, C: c_command, JAVA: java_command}
    children = {m: Child(LANGUAGE[m], [*cmd, url, group, m, str(SESSION_MS)]) for m, cmd in commands.items()}
    observer = group_redis.connect(url, group=group, member_id="observer")
    views = observer.observe_leader(ELECTION)
    report = []
    try:
        for child in children.values():
            child.answer(60.0)  # READY (a JVM may start slowly)
        for child in children.values():
            child.ask("JOIN")

        # Each sees the others' payload and online flag, and a change of the flag.
        everyone = {m: (True, LANGUAGE[m]) for m in children}
        for m, child in children.items():
            eventually(f"{m} sees all three", lambda child=child: members_seen(child) == everyone)
        for m, child in children.items():
            child.ask("ONLINE 0")
            for other, reader in children.items():
                if other != m:
                    eventually(f"{other} sees {m} offline",
                               lambda reader=reader: members_seen(reader)[m] == (False, LANGUAGE[m]))
            child.ask("ONLINE 1")
        for m, child in children.items():
            eventually(f"{m} sees all three online again", lambda child=child: members_seen(child) == everyone)

        for child in children.values():
            child.ask(f"CAMPAIGN {ELECTION}")
            child.ask(f"ASSIGN {TOPIC} {','.join(IDS)}")
        alive = dict(children)
        leader, token = one_leader_above(alive, 0)
        split = eventually("the ids split among three", lambda: settled(alive))
        report.append(f"leader {leader} token {token}; shares "
                      + ", ".join(f"{m} {len(ids)}" for m, (_, ids) in split.items()))

        for _ in range(2):
            alive[leader].process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            alive[leader].process.wait(PATIENCE)
            del alive[leader]
            previous = token
            leader, token = one_leader_above(alive, previous)
            handed_over = time.monotonic() - killed
            split = eventually(f"the ids split among {sorted(alive)}", lambda: settled(alive))
            moved = time.monotonic() - killed
            assert token > previous
            report.append(f"SIGKILL -> {leader} leads with token {token} (> {previous}) after "
                          f"{handed_over * 1000:.0f} ms; ids all owned by the survivors after "
                          f"{moved * 1000:.0f} ms: "
                          + ", ".join(f"{m} {len(ids)}" for m, (_, ids) in split.items()))
        assert list(alive) and len(split[leader][1]) == len(IDS)
    finally:
        for child in children.values():
            child.stop()
        seen = []
        while (view := views.get(0.5)) is not None:
            seen.append(view)
        views.close()
        observer.close()

    # The observer saw the terms in order: each new leader with a larger token, none twice.
    terms = [(v.leader, v.token) for v in seen if v.leader is not None]
    tokens = [t for _, t in terms]
    assert tokens == sorted(set(tokens)), f"terms out of order: {terms}"
    assert len(terms) >= 3, f"the observer saw {terms}"
    print("\nrecipes across languages (session timeout 1 s):\n  " + "\n  ".join(report)
          + f"\n  observer saw terms {terms}")
