"""One vocabulary with C and Java: update_payload(member_id, payload), `wait` for lock
waits (the old `timeout` still works, with a DeprecationWarning), $REDIS_URL."""

from __future__ import annotations

import warnings

import pytest

import group_redis
from gr_fixtures import PATIENCE


def test_update_payload_takes_the_member_first_as_in_c_and_java(connect):
    conn = connect("me")
    conn.join("w1", payload={"v": 1})
    conn.update_payload("w1", {"v": 2})
    conn.update_payload(payload={"v": 3}, member_id="w1")
    conn.join(payload={"v": 0})
    conn.update_payload({"v": 4})  # one argument: the configured member's payload
    payloads = {m.id: m.payload for m in conn.members()}
    assert payloads == {"w1": {"v": 3}, "me": {"v": 4}}


def test_lock_waits_are_called_wait_and_timeout_is_deprecated(connect):
    conn = connect("me")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lock = conn.try_lock("L", wait=PATIENCE)
        assert lock
        lock.release()
        with conn.locked("L", wait=1) as held:
            assert held.token
    with pytest.warns(DeprecationWarning, match="wait"):
        lock = conn.try_lock("L", timeout=1)
    assert lock
    lock.release()
    with pytest.warns(DeprecationWarning):
        with conn.locked("L", timeout=1):
            pass
    with pytest.raises(TypeError):
        conn.try_lock("L", wait=1, timeout=1)


def test_the_url_comes_from_redis_url_then_group_redis_url(url, group, monkeypatch):
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("GROUP_REDIS_URL", "redis://127.0.0.1:1")  # never tried
    with group_redis.connect(group=group) as conn:
        assert conn.state is group_redis.ConnectionState.CONNECTED
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setenv("GROUP_REDIS_URL", url)  # the older name still works
    with group_redis.connect(group=group) as conn:
        assert conn.state is group_redis.ConnectionState.CONNECTED


def test_set_online_flags_a_member_without_it_leaving(connect):
    conn = connect("me")
    other = connect("other")
    conn.join(payload={"v": 1})
    assert {m.id: m.online for m in other.members()} == {"me": True}
    conn.set_online(online=False)
    members = other.members()
    assert [(m.id, m.online, m.payload) for m in members] == [("me", False, {"v": 1})]
    conn.set_online("me", True)
    assert [m.online for m in other.members()] == [True]
    with pytest.raises(group_redis.GroupRedisError):
        other.set_online("me", False)  # not joined by that connector
