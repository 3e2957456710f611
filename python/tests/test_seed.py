"""The seed library's documented scenarios and every data capability, from Python."""

from __future__ import annotations

import os
import socket

import group_redis
from group_redis import ConnectionState, Entry, Versioned


def test_join_two_and_get_members(connect):
    a = connect("member-a")
    b = connect("member-b")
    joined = a.join()
    assert joined.id == "member-a" and joined.sub_groups == ["default"]
    b.join(payload={"port": 7001})
    members = a.members()
    assert [m.id for m in members] == ["member-a", "member-b"]
    assert members[0].sub_groups == ["default"]
    assert members[1].payload == {"port": 7001}
    assert members[0].joined_at > 1_600_000_000_000
    assert b.leave() is True
    assert b.leave() is False
    assert [m.id for m in a.members()] == ["member-a"]


def test_default_member_id_is_host_and_pid(url, group):
    with group_redis.connect(url, group=group) as conn:
        assert conn.member_id == f"{socket.gethostname()}-{os.getpid()}"
        assert len(conn.session_id) == 32
        assert conn.state is ConnectionState.CONNECTED
        assert conn.join().id == conn.member_id
    assert conn.closed
    assert conn.state is ConnectionState.CLOSED


def test_sub_groups_and_payload(connect):
    conn = connect("worker", sub_groups=("readers", "writers"), payload={"role": "primary"})
    conn.join()
    [member] = conn.members()
    assert member.sub_groups == ["readers", "writers"]
    assert member.payload == {"role": "primary"}
    conn.add_sub_group("admins")
    conn.remove_sub_group("readers")
    assert conn.sub_groups == ["writers", "admins"]
    conn.update_payload({"role": "standby"})
    [member] = conn.members()
    assert member.sub_groups == ["writers", "admins"]
    assert member.payload == {"role": "standby"}


def test_lock_sequence_from_the_seed_docs(connect):
    c = connect("me")
    lock = c.lock("my-lock")
    assert lock and lock.token >= 1
    assert c.is_held("my-lock") and c.held_token("my-lock") == lock.token
    assert c.lock("my-lock") is None  # not re-entrant
    assert c.release("my-lock", member="another-member") is False
    assert c.release("my-lock") is True
    assert c.release("my-lock") is False
    assert not c.is_held("my-lock") and c.held_token("my-lock") is None
    again = c.lock("my-lock")
    assert again.token > lock.token  # fencing tokens only grow
    assert again.release() is True


def test_reentrant_lock_sequence_from_the_seed_docs(connect):
    c = connect("me")
    first = c.reentrant_lock("r")
    second = c.reentrant_lock("r")
    assert first and second and first.token == second.token
    assert c.reentrant_lock("r", member="another-member") is None
    assert c.release("r", member="another-member") is False
    assert c.release("r") is True
    assert c.is_held("r")  # one hold remains
    assert c.release("r") is True
    assert not c.is_held("r")
    assert c.release("r") is False


def test_lock_on_behalf_of_another_member(connect):
    c = connect("me")
    assert c.lock("job", member="worker-7")
    assert c.lock("job") is None
    assert c.release("job") is False
    assert c.release("job", member="worker-7") is True


def test_locked_context_manager_and_try_lock(connect):
    holder = connect("holder")
    waiter = connect("waiter")
    with holder.locked("shared", wait=1) as lock:
        assert holder.is_held("shared")
        assert waiter.try_lock("shared", 0.05) is None
        try:
            with waiter.locked("shared", wait=0.05):
                raise AssertionError("must not get here")
        except group_redis.LockNotAcquiredError:
            pass
    assert not holder.is_held("shared")
    got = waiter.try_lock("shared", 20)
    assert got and got.token > lock.token


def test_ephemeral_and_persistent_round_trips(connect):
    c = connect("me")
    other = connect("other")
    c.ephemeral_set("mykey1", 1)
    assert c.ephemeral_get("mykey1") == 1
    c.ephemeral_set("mykey1", {"replaced": True})
    c.ephemeral_set("mykey2", [1, 2])
    assert other.ephemeral_get("mykey1") == {"replaced": True}
    assert other.ephemeral_list("mykey") == {"mykey1": {"replaced": True}, "mykey2": [1, 2]}
    try:
        other.ephemeral_set("mykey1", 2)
        raise AssertionError("another session's key must be refused")
    except group_redis.KeyOwnedError:
        pass
    assert c.ephemeral_delete("mykey2") is True
    assert c.ephemeral_get("mykey2", "absent") == "absent"

    doc = {"a": [1, 2.5, "x", None, True], "b": {"c": -3}, "u": "é中", "big": 2**62}
    assert c.persistent_set("config/x", doc) == 1
    assert other.persistent_get("config/x") == doc
    assert other.persistent_get_versioned("config/x") == Versioned(doc, 1)
    assert c.persistent_get("missing") is None
    assert c.persistent_get_versioned("missing") is None

    assert c.persistent_cas("config/x", 1, "v2") == 2
    assert other.persistent_cas("config/x", 1, "stale") is None
    assert c.persistent_cas("config/new", 0, True) == 1
    assert c.persistent_set_many({"config/y": 10, "config/z": {"k": "v"}}) == [1, 1]
    assert c.persistent_set_many([("config/y", 11)]) == [2]
    assert c.persistent_set_many({}) == []
    assert other.persistent_list("config/") == [
        Entry("config/new", True, 1),
        Entry("config/x", "v2", 2),
        Entry("config/y", 11, 2),
        Entry("config/z", {"k": "v"}, 1),
    ]
    assert c.persistent_delete("config/y") is True
    assert c.persistent_delete("config/y") is False

    c.close()
    assert other.ephemeral_get("mykey1") is None  # died with the session
    assert other.persistent_get("config/z") == {"k": "v"}  # stays
