"""What the Python binding shows under faults, against real redis-server processes:

a. a holder cut off from Redis (a proxy that stops forwarding) hears LOST before anyone
   else holds its lock, and the next holder's fencing token is greater (3 trials);
b. while the lease is in doubt (SUSPENDED, before LOST) a lock call raises
   LeaseInDoubtError, and after it ran out (LOST) SessionExpiredError, instead of being
   granted;
c. values nested deeper than 100 levels are refused with InvalidJsonError, 100 is fine;
d. errors for Redis URLs that do not parse never contain the password;
e. after Redis restarts empty, no lock is granted for one lease, the old holder hears
   LOST first, and tokens keep growing.

The measured margins are printed even without `-s`."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator, Optional

import pytest

import group_redis
from group_redis import ConnectionState
from gr_fixtures import PATIENCE
from redis_server import RedisServer
from tcp_proxy import TcpProxy


def nested(depth: int) -> Any:
    """`depth` arrays around a number: nested(1) == [1], depth 1 for the core."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms"


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """Prints a measurement to the terminal whether or not pytest captures output."""

    def emit(line: str) -> None:
        with capsys.disabled():
            print(f"\n    [faults] {line}", flush=True)

    return emit


class StateLog:
    """A connector's connection-state changes, each with the monotonic time its callback
    ran: the moment the application learned it."""

    def __init__(self, conn: group_redis.Connector) -> None:
        self.seen: list[tuple[ConnectionState, float]] = []
        self._changed = threading.Condition()
        self.subscription = conn.on_state_change(self._record)

    def _record(self, state: ConnectionState) -> None:
        with self._changed:
            self.seen.append((state, time.monotonic()))
            self._changed.notify_all()

    def _first(self, state: ConnectionState) -> Optional[float]:
        return next((at for s, at in self.seen if s == state), None)

    def first(self, state: ConnectionState) -> Optional[float]:
        """When `state` first arrived, None if it has not (yet)."""
        with self._changed:
            return self._first(state)

    def wait_for(self, state: ConnectionState, timeout: float = PATIENCE) -> float:
        with self._changed:
            arrived = self._changed.wait_for(lambda: self._first(state) is not None, timeout)
            assert arrived, f"no {state.name} within {timeout} s; seen: {self.states()}"
            return self._first(state)  # type: ignore[return-value]

    def states(self) -> list[str]:
        return [s.name for s, _ in self.seen]


class Waiter(threading.Thread):
    """`conn.try_lock(name, PATIENCE)` on a thread of its own; records when it returned and
    whether `holder` still believed it held `name` at that moment."""

    def __init__(self, conn: group_redis.Connector, name: str,
                 holder: Optional[group_redis.Connector] = None) -> None:
        super().__init__(daemon=True)
        self.conn, self.name, self.holder = conn, name, holder
        self.lock: Optional[group_redis.Lock] = None
        self.returned_at: Optional[float] = None
        self.holder_held: Optional[bool] = None
        self.error: Optional[BaseException] = None

    def run(self) -> None:
        try:
            self.lock = self.conn.try_lock(self.name, PATIENCE)
            self.returned_at = time.monotonic()
            if self.holder is not None:
                self.holder_held = self.holder.is_held(self.name)
        except BaseException as err:  # noqa: BLE001 - re-raised by result()
            self.error = err

    def result(self) -> group_redis.Lock:
        self.join(PATIENCE + 10)
        assert not self.is_alive(), "try_lock did not return"
        if self.error is not None:
            raise self.error
        assert self.lock is not None, f"try_lock({self.name!r}, {PATIENCE}) timed out"
        return self.lock


@pytest.fixture
def proxy(redis_server: RedisServer) -> Iterator[TcpProxy]:
    with TcpProxy(redis_server.port) as p:
        yield p


# -- a. LOST before anyone else holds the lock -------------------------------------------


@pytest.mark.parametrize("delay_ms", [0, 70, 140])
def test_a_holder_cut_off_hears_lost_before_anyone_else_holds(proxy, connect, report, delay_ms):
    holder = connect("holder", via=proxy.url, session_timeout=1.0, heartbeat=0.25,
                     command_timeout=0.2)
    waiter = connect("waiter", session_timeout=1.0, heartbeat=0.25)
    log = StateLog(holder)
    held = holder.lock("L")
    assert held is not None and holder.is_held("L")
    time.sleep(delay_ms / 1000)  # vary where in the heartbeat period the cut falls

    proxy.pause()
    cut = time.monotonic()
    waiting = Waiter(waiter, "L", holder)
    waiting.start()
    taken = waiting.result()

    lost = log.first(ConnectionState.LOST)
    assert lost is not None, f"the waiter holds L and the holder was never told LOST: {log.states()}"
    assert waiting.returned_at is not None
    assert lost < waiting.returned_at, (
        f"LOST came {ms(lost - waiting.returned_at)} after the waiter held L")
    assert waiting.holder_held is False, "the holder still believed it held L"
    assert not holder.is_held("L") and holder.held_token("L") is None
    assert taken.token > held.token, f"token went backwards: {held.token} then {taken.token}"
    report(f"partition, pause after {delay_ms} ms: holder LOST {ms(lost - cut)} after the cut, "
           f"waiter held L {ms(waiting.returned_at - cut)} after it: "
           f"margin {ms(waiting.returned_at - lost)}; tokens {held.token} -> {taken.token}")

    proxy.resume()
    log.wait_for(ConnectionState.RECONNECTED)
    assert holder.lock("L") is None, "the waiter holds L now"


# -- b. no lock while the lease is in doubt ------------------------------------------------


def test_b_lock_raises_while_suspended_and_after_lost(proxy, connect, report):
    # A long lease next to a short heartbeat: SUSPENDED comes within ~0.5 s of the cut,
    # LOST only ~2.7 s after the last renewal, so the calls below fall between the two.
    holder = connect("holder", via=proxy.url, session_timeout=3.0, heartbeat=0.25,
                     command_timeout=0.2)
    other = connect("other")
    log = StateLog(holder)
    held = holder.lock("L")
    assert held is not None

    proxy.pause()
    cut = time.monotonic()
    suspended = log.wait_for(ConnectionState.SUSPENDED)
    assert holder.state == ConnectionState.SUSPENDED
    with pytest.raises(group_redis.LeaseInDoubtError):
        holder.lock("M")
    with pytest.raises(group_redis.LeaseInDoubtError):
        holder.try_lock("M", 0.5)
    with pytest.raises(group_redis.LeaseInDoubtError):
        holder.reentrant_lock("L")  # not even another hold of a lock it has
    checked = time.monotonic()
    # All of that happened while SUSPENDED, before LOST.
    assert log.first(ConnectionState.LOST) is None, "LOST came too early for this test"
    assert holder.state == ConnectionState.SUSPENDED
    # Nothing was granted in Redis behind the holder's back: M is free.
    m = other.lock("M")
    assert m is not None
    assert m.release()

    lost = log.wait_for(ConnectionState.LOST)
    assert not holder.is_held("L")
    with pytest.raises(group_redis.SessionExpiredError):
        holder.lock("N")  # the local lease ran out (Redis still unreachable)
    report(f"suspended: SUSPENDED {ms(suspended - cut)} after the cut, lock calls refused "
           f"until {ms(checked - cut)}, LOST {ms(lost - cut)} after it")

    proxy.resume()
    log.wait_for(ConnectionState.RECONNECTED)
    # With a renewed session the same calls are granted again.
    n = holder.lock("N")
    assert n is not None and holder.is_held("N")


# -- c. bounded JSON depth -------------------------------------------------------------------


def test_c_json_nested_deeper_than_100_is_refused(connect):
    conn = connect("deep")
    with pytest.raises(group_redis.InvalidJsonError):
        conn.join(payload=nested(101))
    assert conn.members() == []
    with pytest.raises(group_redis.InvalidJsonError):
        conn.persistent_set("deep", nested(101))
    assert conn.persistent_get("deep") is None
    with pytest.raises(group_redis.InvalidJsonError):
        conn.ephemeral_set("deep", nested(101))
    assert conn.ephemeral_get("deep") is None

    # Exactly 100 levels is accepted everywhere, and reads back unchanged.
    member = conn.join(payload=nested(100))
    assert member.payload == nested(100)
    assert [m.payload for m in conn.members()] == [nested(100)]
    with pytest.raises(group_redis.InvalidJsonError):
        conn.update_payload(nested(101))
    assert [m.payload for m in conn.members()] == [nested(100)]
    assert conn.persistent_set("ok", nested(100)) == 1
    assert conn.persistent_get("ok") == nested(100)
    conn.ephemeral_set("ok", nested(100))
    assert conn.ephemeral_get("ok") == nested(100)
    # Objects count like arrays.
    deep_object: Any = 1
    for _ in range(101):
        deep_object = {"k": deep_object}
    with pytest.raises(group_redis.InvalidJsonError):
        conn.persistent_set("deep-object", deep_object)


# -- d. no password in URL errors ----------------------------------------------------------


@pytest.mark.parametrize("url", [
    "redis://user:hunter2@127.0.0.1:99999",    # port out of range
    "redis://user:hunter2@bad host:6379",      # a space in the host
    "redis://user:hunter2@[::1:6379",          # IPv6 bracket never closed
    "user:hunter2@127.0.0.1:6379",             # no scheme
    "redis://:hunter2@127.0.0.1:99999/0",      # password only, with a database
])
def test_d_no_password_in_errors_for_urls_that_do_not_parse(url):
    # A bad URL is a bad argument (InvalidArgumentError), whatever its shape.
    with pytest.raises(group_redis.InvalidArgumentError) as caught:
        group_redis.connect(url, group="no-password", command_timeout=2.0)
    err = caught.value
    for text in (str(err), repr(err), *map(str, err.args)):
        assert "hunter2" not in text, f"{type(err).__name__} shows the password: {text}"
    assert str(err), "the error says nothing"


# -- e. Redis restarted empty ------------------------------------------------------------------


def test_e_after_redis_restarts_empty_no_lock_for_a_lease_lost_first_tokens_grow(group, report):
    lease = 2.0
    server = RedisServer()
    try:
        a = group_redis.connect(server.url, group=group, member_id="a",
                                session_timeout=lease, heartbeat=0.25)
        b = group_redis.connect(server.url, group=group, member_id="b",
                                session_timeout=lease, heartbeat=0.25)
        try:
            a_log = StateLog(a)
            held = a.lock("L")
            assert held is not None

            server.restart()
            restarted = time.monotonic()
            # Until B's session is registered again its calls raise; once they do not, the
            # restart grace still holds every grant back: lock() says "not acquired".
            deadline = restarted + PATIENCE
            while True:
                try:
                    early = b.lock("L")
                    break
                except (group_redis.SessionExpiredError, group_redis.ConnectionFailedError,
                        group_redis.OperationTimeoutError):
                    assert time.monotonic() < deadline, "B never got a session back"
                    time.sleep(0.02)
            answered = time.monotonic()
            assert early is None, (
                f"lock() granted L {ms(answered - restarted)} after a restart that lost it "
                f"(lease {lease} s)")
            # The grace is visible: L is free, but grants are held back until a known time.
            status = b.lock_status("L")
            assert status.holder is None, status
            assert status.grants_held_until is not None, status
            assert status.grants_held_until > time.time() - 0.5, status

            waiting = Waiter(b, "L", a)
            waiting.start()
            taken = waiting.result()
            acquired = waiting.returned_at
            assert acquired is not None
            assert acquired - restarted >= 0.9 * lease, (
                f"B held L {ms(acquired - restarted)} after the restart, before one lease")
            lost = a_log.first(ConnectionState.LOST)
            assert lost is not None, f"A was never told LOST: {a_log.states()}"
            assert lost < acquired, f"A heard LOST {ms(lost - acquired)} after B held L"
            assert waiting.holder_held is False and not a.is_held("L")
            assert taken.token > held.token, f"token went backwards: {held.token} then {taken.token}"
            report(f"restart empty: B's lock() refused (None) {ms(answered - restarted)} after "
                   f"it, A LOST {ms(lost - restarted)} after it, B held L "
                   f"{ms(acquired - restarted)} after it (margin {ms(acquired - lost)}); "
                   f"tokens {held.token} -> {taken.token}")
        finally:
            a.close()
            b.close()
    finally:
        server.stop()
