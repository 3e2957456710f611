"""Bad input gives a clear exception, never a crash: names, JSON, options, a closed
connector, Redis down or gone."""

from __future__ import annotations

import math

import pytest

import group_redis
from group_redis import (
    ClosedError,
    ConnectionFailedError,
    InvalidArgumentError,
    InvalidJsonError,
    MemberExistsError,
    OperationTimeoutError,
)
from redis_server import RedisServer, free_port


@pytest.mark.parametrize(
    "name, error",
    [
        ("", InvalidArgumentError),
        ("x" * 1025, InvalidArgumentError),
        ("nul\0byte", InvalidArgumentError),
        ("lone\ud800surrogate", InvalidArgumentError),
        (None, InvalidArgumentError),
        (42, TypeError),
        (b"bytes", TypeError),
    ],
)
def test_bad_names(connect, name, error):
    conn = connect("me")
    with pytest.raises(error):
        conn.lock(name)
    with pytest.raises(error):
        conn.persistent_set(name, 1)
    with pytest.raises(error):
        conn.ephemeral_get(name)
    if name is not None:
        with pytest.raises(error):
            conn.join(name)
    # Refused again, not only the first time: only good names are cached.
    with pytest.raises(error):
        conn.lock(name)
    # The connector still works.
    assert conn.lock("fine")


def test_a_str_subclass_is_encoded_as_itself(connect):
    # Encoded names are cached; a str subclass may define equality its own way, so it is
    # encoded each time and never mistaken for another name it claims to equal.
    class EqualToEverything(str):
        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 0

    conn = connect("me")
    assert conn.lock(EqualToEverything("first")).name == "first"
    assert conn.is_held("first")
    assert not conn.is_held(EqualToEverything("other"))
    assert conn.lock(EqualToEverything("other"))
    assert conn.is_held("other")


@pytest.mark.parametrize(
    "value",
    [{1, 2}, object(), math.nan, math.inf, {"nested": [float("-inf")]}, {("tuple", "key"): 1},
     "lone\ud800"],
)
def test_values_that_are_not_json(connect, value):
    conn = connect("me")
    with pytest.raises(InvalidJsonError):
        conn.persistent_set("p", value)
    with pytest.raises(InvalidJsonError):
        conn.ephemeral_set("k", value)
    assert conn.persistent_get("p") is None


def test_errors_are_also_builtin_kinds(connect):
    conn = connect("me")
    with pytest.raises(ValueError):
        conn.lock("")
    assert issubclass(ConnectionFailedError, ConnectionError)
    assert issubclass(OperationTimeoutError, TimeoutError)
    err = pytest.raises(InvalidArgumentError, conn.lock, "").value
    assert err.status == "GR_INVALID_ARGUMENT" and "must not be empty" in str(err)


def test_oversized_payload(connect):
    conn = connect("me")
    with pytest.raises(InvalidArgumentError, match="payload"):
        conn.join(payload="x" * (70 * 1024))


def test_member_id_of_another_session(connect):
    connect("me").join()
    with pytest.raises(MemberExistsError):
        connect("thief").join("me")


def test_bad_options(url, group):
    with pytest.raises(InvalidArgumentError, match="group"):
        group_redis.connect(url, group="has{brace}")
    with pytest.raises(InvalidArgumentError, match="session timeout"):
        group_redis.connect(url, group=group, session_timeout=0.01)
    with pytest.raises(InvalidArgumentError, match="heartbeat"):
        group_redis.connect(url, group=group, session_timeout=1, heartbeat=2)
    with pytest.raises(InvalidArgumentError):
        group_redis.connect(url, group=group, session_timeout=-1)
    with pytest.raises(TypeError):
        group_redis.connect(url, group=group, sub_groups="default")
    with pytest.raises(InvalidArgumentError):
        group_redis.connect(url, group=group, sub_groups=[""])
    with pytest.raises(InvalidArgumentError, match="URL"):
        group_redis.connect("not a url")
    with pytest.raises(InvalidJsonError):
        group_redis.connect(url, group=group, payload={1, 2})


def test_use_after_close(connect):
    conn = connect("me")
    conn.join()
    events = conn.member_events()
    conn.close()
    conn.close()  # idempotent
    for call in [
        lambda: conn.join(),
        lambda: conn.leave(),
        lambda: conn.members(),
        lambda: conn.lock("x"),
        lambda: conn.try_lock("x", 1),
        lambda: conn.release("x"),
        lambda: conn.is_held("x"),
        lambda: conn.ephemeral_set("k", 1),
        lambda: conn.ephemeral_list(),
        lambda: conn.persistent_get("p"),
        lambda: conn.persistent_set_many({"a": 1}),
        lambda: conn.persistent_cas("p", 0, 1),
        lambda: conn.add_sub_group("s"),
        lambda: conn.member_events(),
        lambda: conn.state_events(),
        lambda: conn.on_member_event(print),
        lambda: conn.session_id,
    ]:
        with pytest.raises(ClosedError):
            call()
    with pytest.raises(ClosedError):
        events.get(1)
    assert conn.state is group_redis.ConnectionState.CLOSED


def test_redis_down_at_connect():
    with pytest.raises(ConnectionFailedError):
        group_redis.connect(f"redis://127.0.0.1:{free_port()}", command_timeout=1)


def test_redis_gone_mid_session(group):
    server = RedisServer()
    try:
        conn = group_redis.connect(server.url, group=group, member_id="me", command_timeout=1)
        conn.join()
        server.stop()
        with pytest.raises((ConnectionFailedError, OperationTimeoutError)):
            conn.persistent_set("p", 1)
        with pytest.raises((ConnectionFailedError, OperationTimeoutError)):
            conn.lock("x")
    finally:
        server.stop()
    # Closing cannot write the leave any more: an error, and the connector is closed anyway.
    with pytest.raises((ConnectionFailedError, OperationTimeoutError)):
        conn.close()
    assert conn.closed
    with pytest.raises(ClosedError):
        conn.members()
