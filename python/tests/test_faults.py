"""What the Python binding shows under faults: LOST before anyone else holds a lock when
the holder is cut off (a proxy that stops forwarding), no lock while the lease is in doubt,
tokens that keep growing across a Redis restart that lost everything, bounded JSON depth,
and no password in any error."""

from __future__ import annotations

import threading
import time

import pytest

import group_redis
from group_redis import ConnectionState
from gr_fixtures import PATIENCE
from redis_server import RedisServer
from tcp_proxy import TcpProxy


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


class StateLog:
    """Connection-state changes with the monotonic time each one arrived."""

    def __init__(self, conn: group_redis.Connector) -> None:
        self.seen: list[tuple[ConnectionState, float]] = []
        self.changed = threading.Condition()
        self.subscription = conn.on_state_change(self._record)

    def _record(self, state: ConnectionState) -> None:
        with self.changed:
            self.seen.append((state, time.monotonic()))
            self.changed.notify_all()

    def first(self, state: ConnectionState) -> float | None:
        with self.changed:
            return next((at for s, at in self.seen if s == state), None)

    def wait_for(self, state: ConnectionState) -> float:
        with self.changed:
            assert self.changed.wait_for(lambda: self.first_unlocked(state), PATIENCE), state
            return self.first_unlocked(state)  # type: ignore[return-value]

    def first_unlocked(self, state: ConnectionState) -> float | None:
        return next((at for s, at in self.seen if s == state), None)


@pytest.mark.parametrize("trial", [0, 1, 2])
def test_a_holder_cut_off_hears_lost_before_anyone_else_holds(redis_server, group, trial):
    proxy = TcpProxy(redis_server.port)
    holder = group_redis.connect(proxy.url, group=group, member_id="holder",
                                 session_timeout=1.0, heartbeat=0.25, command_timeout=0.2)
    waiter = group_redis.connect(redis_server.url, group=group, member_id="waiter",
                                 session_timeout=1.0, heartbeat=0.25)
    try:
        log = StateLog(holder)
        lock = holder.lock("L")
        assert lock is not None
        time.sleep(trial * 0.07)  # vary where in the heartbeat period the cut falls

        proxy.pause()
        cut = time.monotonic()
        result: dict[str, object] = {}

        def wait() -> None:
            result["lock"] = waiter.try_lock("L", PATIENCE)
            result["at"] = time.monotonic()

        thread = threading.Thread(target=wait)
        thread.start()
        log.wait_for(ConnectionState.SUSPENDED)
        if log.first(ConnectionState.LOST) is None:
            # The lease is in doubt: no lock may be granted, so the call raises.
            with pytest.raises(group_redis.GroupRedisError):
                holder.lock("other")
        thread.join(PATIENCE)
        taken = result["lock"]
        assert taken is not None and taken.token > lock.token
        lost = log.first(ConnectionState.LOST)
        assert lost is not None and lost < result["at"], "LOST came after the waiter held L"
        assert not holder.is_held("L")
        print(f"partition, trial {trial}: LOST {1000 * (lost - cut):.0f} ms after the cut, "
              f"waiter held L {1000 * (result['at'] - cut):.0f} ms after it: "
              f"margin {1000 * (result['at'] - lost):.0f} ms")
        proxy.resume()
        log.wait_for(ConnectionState.RECONNECTED)
    finally:
        holder.close()
        waiter.close()
        proxy.close()


def test_tokens_grow_and_lost_comes_first_across_a_redis_restart_without_data(group):
    server = RedisServer()
    try:
        a = group_redis.connect(server.url, group=group, member_id="a",
                                session_timeout=1.2, heartbeat=0.3)
        b = group_redis.connect(server.url, group=group, member_id="b",
                                session_timeout=1.2, heartbeat=0.3)
        log = StateLog(a)
        held = a.lock("L")
        assert held is not None
        server.restart()
        started = time.monotonic()
        taken = b.try_lock("L", PATIENCE)
        acquired = time.monotonic()
        assert taken is not None
        assert not a.is_held("L")
        lost = log.first(ConnectionState.LOST)
        assert lost is not None and lost < acquired
        assert taken.token > held.token
        print(f"restart without data: A LOST {1000 * (lost - started):.0f} ms after it, "
              f"B held L after {1000 * (acquired - started):.0f} ms; "
              f"tokens {held.token} -> {taken.token}")
        a.close()
        b.close()
    finally:
        server.stop()


def test_json_nested_deeper_than_100_is_refused(connect):
    conn = connect("deep")
    conn.persistent_set("ok", nested(99))  # 99 arrays around a number: depth 99
    with pytest.raises(group_redis.InvalidJsonError):
        conn.persistent_set("deep", nested(101))
    with pytest.raises(group_redis.InvalidJsonError):
        conn.join(payload=nested(101))
    assert conn.persistent_get("deep") is None
    assert conn.members() == []


@pytest.mark.parametrize("url", [
    "redis://user:hunter2@127.0.0.1:99999",
    "redis://user:hunter2@bad host:6379",
    "redis://user:hunter2@[::1:6379",
    "user:hunter2@127.0.0.1:6379",
])
def test_no_password_in_errors_for_urls_that_do_not_parse(url):
    with pytest.raises(group_redis.GroupRedisError) as caught:
        group_redis.connect(url)
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value)
