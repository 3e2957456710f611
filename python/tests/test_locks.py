"""Locks from many Python threads: mutual exclusion, growing fencing tokens, and the GIL
released while a call blocks."""

from __future__ import annotations

import threading

import pytest

import group_redis
from gr_fixtures import PATIENCE


def test_threads_contend_for_one_lock(connect):
    conn = connect("threads")
    rounds, workers = 30, 6
    state = {"inside": 0, "overlaps": 0, "last": 0, "regressions": 0, "acquired": 0}
    guard = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(rounds):
                lock = conn.try_lock("contended", PATIENCE)
                assert lock is not None
                with guard:
                    if state["inside"]:
                        state["overlaps"] += 1
                    state["inside"] += 1
                    if lock.token <= state["last"]:
                        state["regressions"] += 1
                    state["last"] = lock.token
                    state["acquired"] += 1
                with guard:
                    state["inside"] -= 1
                assert lock.release()
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert state["overlaps"] == 0
    assert state["regressions"] == 0
    assert state["acquired"] == rounds * workers


def test_connectors_in_threads_contend_with_locked(connect):
    """Separate connectors (separate sessions), the context-manager form."""
    conns = [connect(f"worker-{i}") for i in range(4)]
    inside = []
    tokens: list[int] = []
    guard = threading.Lock()
    overlaps = []

    def work(conn) -> None:
        for _ in range(10):
            with conn.locked("shared", wait=PATIENCE) as lock:
                with guard:
                    if inside:
                        overlaps.append(lock.token)
                    inside.append(lock.token)
                    tokens.append(lock.token)
                with guard:
                    inside.remove(lock.token)

    threads = [threading.Thread(target=work, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    assert len(tokens) == 40 and tokens == sorted(tokens) and len(set(tokens)) == 40


def test_blocking_calls_release_the_gil(connect):
    holder = connect("holder")
    waiter = connect("waiter")
    assert holder.lock("gil")
    entered = threading.Event()
    returned = threading.Event()
    result = {}

    def wait_for_lock() -> None:
        entered.set()
        result["lock"] = waiter.try_lock("gil", PATIENCE)
        returned.set()

    thread = threading.Thread(target=wait_for_lock)
    thread.start()
    assert entered.wait(PATIENCE)
    # The waiter is blocked in the native call until the holder releases. This thread
    # runs Python meanwhile, which is only possible if that call released the GIL.
    total = sum(range(100_000))
    assert total > 0
    assert not returned.is_set()
    assert holder.release("gil")
    thread.join(PATIENCE)
    assert returned.is_set() and result["lock"]


def test_an_enormous_timeout_is_no_limit_not_an_overflow(connect):
    conn = connect("me")
    assert conn.try_lock("huge", 1e30)
    assert conn.try_lock("infinite", float("inf"))
    assert conn.try_lock("huge-reentrant", float(2**70), reentrant=True)


def test_close_while_threads_lock_and_release(connect):
    # Every call racing close either completes or raises ClosedError: the native handle
    # stays valid until the connector object is gone, and the library refuses calls on a
    # closed one. Nothing crashes and no thread is left blocked.
    conn = connect("closing")
    warmed_up = [threading.Event() for _ in range(4)]
    outcome: dict[int, BaseException] = {}

    def hammer(i: int) -> None:
        pairs = 0
        try:
            while True:
                lock = conn.lock(f"race-{i}")
                assert lock, "an uncontended lock of this connector"
                conn.is_held(f"race-{i}")
                conn.held_token(f"race-{i}")
                lock.release()
                pairs += 1
                if pairs == 20:
                    warmed_up[i].set()
        except BaseException as err:  # noqa: BLE001  (the test looks at what ended it)
            outcome[i] = err

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(len(warmed_up))]
    for thread in threads:
        thread.start()
    for event in warmed_up:
        assert event.wait(PATIENCE)
    conn.close()
    for thread in threads:
        thread.join(PATIENCE)
        assert not thread.is_alive()
    assert {type(err).__name__ for err in outcome.values()} == {"ClosedError"}, outcome
    assert len(outcome) == len(threads)


def test_a_lock_released_after_close_says_closed(connect):
    conn = connect("me")
    lock = conn.lock("kept")
    assert lock and conn.held_token("kept") == lock.token
    conn.close()
    with pytest.raises(group_redis.ClosedError):
        lock.release()
    with pytest.raises(group_redis.ClosedError):
        conn.held_token("kept")


def test_lock_holder_is_read_from_redis_by_any_connector(connect):
    holder, asker = connect(member_id="holder"), connect(member_id="asker")
    assert asker.lock_holder("job") is None
    lock = holder.lock("job", member="worker-9")
    assert lock is not None
    assert asker.lock_holder("job") == group_redis.LockHolder(
        "worker-9", holder.session_id, lock.token
    )
    lock.release()
    assert asker.lock_holder("job") is None
    with pytest.raises(group_redis.InvalidArgumentError):
        asker.lock_holder("")


def test_local_answers_check_names_like_every_call(connect):
    conn = connect()
    for bad in ("", "x" * 1025):
        with pytest.raises(group_redis.InvalidArgumentError):
            conn.is_held(bad)
        with pytest.raises(group_redis.InvalidArgumentError):
            conn.held_token(bad)


def test_max_lease_is_an_option_and_lock_status_reports_the_holder(connect):
    # With max_lease, grants of a group on a server younger than it wait (the restart case
    # of docs/SAFETY.md): a group of its own, so the locks below are not held back.
    connect("max-lease", max_lease=3.0, group="max-lease-group")
    with pytest.raises(group_redis.InvalidArgumentError):
        connect("bad-max-lease", max_lease=-1, group="max-lease-group")
    conn = connect("status")
    lock = conn.lock("status")
    assert lock is not None
    status = conn.lock_status("status")
    assert status.holder is not None and status.holder.token == lock.token
    assert status.grants_held_until is None
    assert lock.release()
    assert conn.lock_status("status") == group_redis.LockStatus(None, None)


def test_wait_replicas_with_no_replica_gives_the_grant_back(connect):
    # No replica runs here: a grant waiting for one is never reported as acquired; it is
    # given back, and the lock call raises (docs/SAFETY.md, "Waiting for replicas"). A real
    # replica is exercised in core/tests/wait_replicas.rs.
    with pytest.raises(group_redis.InvalidArgumentError):
        connect("bad-wait", wait_replicas=-1)
    conn = connect("wait", wait_replicas=1, wait_replicas_timeout=0.2)
    with pytest.raises(group_redis.OperationTimeoutError):
        conn.lock("waited")
    assert not conn.is_held("waited")
    assert conn.lock_status("waited").holder is None
