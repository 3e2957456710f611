"""Membership and connection-state events, pull style (iterator, several threads) and
callback style (dispatcher thread, raising callbacks, cancel)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

import group_redis
from group_redis import ConnectionState, MembershipEvent
from gr_fixtures import PATIENCE


def test_an_event_after_join_pull_style(connect):
    watcher = connect("watcher")
    events = watcher.member_events(timeout=PATIENCE)
    assert events.snapshot == []
    joiner = connect("joiner")
    joiner.join(payload={"n": 1})
    event = events.get(PATIENCE)
    assert [m.id for m in event.joined_members] == ["joiner"]
    assert event.joined_members[0].payload == {"n": 1}
    assert event.left_members == [] and event.reason is None
    joiner.leave()
    event = events.get(PATIENCE)
    assert [m.id for m in event.left_members] == ["joiner"]
    assert event.reason == "left"
    assert events.get(0) is None  # nothing pending
    events.close()
    events.close()  # idempotent
    with pytest.raises(group_redis.ClosedError):
        events.get(0)


def test_iteration_ends_when_the_connector_closes(connect):
    watcher = connect("watcher")
    joiner = connect("joiner")
    with watcher.member_events() as events:
        joiner.join()
        first = next(iter(events))
        assert first.joined_members[0].id == "joiner"
        watcher.close()
        # Iteration without a timeout still ends: the subscription ended with its connector.
        assert list(events) == []


def test_several_threads_pull_from_one_subscription(connect):
    watcher = connect("watcher")
    joiner = connect("joiner")
    count = 12
    events = watcher.member_events()
    seen: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def pull() -> None:
        while not done.is_set():
            event = events.get(0.1)
            if event is None:
                continue
            with lock:
                seen.extend(m.id for m in event.joined_members)
                if len(seen) >= count:
                    done.set()

    threads = [threading.Thread(target=pull) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(count):
        joiner.join(f"joiner-{i}")
    assert done.wait(PATIENCE)
    for t in threads:
        t.join(PATIENCE)
    # Every event went to exactly one thread.
    assert sorted(seen) == sorted(f"joiner-{i}" for i in range(count))
    events.close()


def test_callbacks_run_on_a_dispatcher_thread(connect):
    watcher = connect("watcher")
    target = connect("target")
    received: list[MembershipEvent] = []
    threads: set[int] = set()
    arrived = threading.Condition()

    def on_event(event: MembershipEvent) -> None:
        with arrived:
            received.append(event)
            threads.add(threading.get_ident())
            arrived.notify_all()

    subscription = watcher.on_member_event(on_event)
    assert subscription.snapshot == []
    target.join()
    target.leave()
    with arrived:
        assert arrived.wait_for(lambda: len(received) >= 2, PATIENCE)
    assert received[0].joined_members[0].id == "target"
    assert received[1].reason == "left"
    assert threading.get_ident() not in threads
    subscription.cancel()
    subscription.cancel()  # idempotent
    assert not subscription.active


def test_a_raising_callback_is_logged_and_delivery_goes_on(connect, caplog):
    watcher = connect("watcher")
    target = connect("target")
    calls: list[str] = []
    arrived = threading.Condition()

    def flaky(event: MembershipEvent) -> None:
        with arrived:
            calls.append(event.joined_members[0].id if event.joined_members else "other")
            arrived.notify_all()
        if len(calls) == 1:
            raise RuntimeError("boom from a callback")

    with caplog.at_level(logging.ERROR, logger="group_redis"):
        with watcher.on_member_event(flaky):
            target.join("first")
            target.join("second")
            with arrived:
                assert arrived.wait_for(lambda: len(calls) >= 2, PATIENCE)
    assert calls[:2] == ["first", "second"]
    assert any("boom from a callback" in r.exc_text for r in caplog.records if r.exc_text)


def test_cancel_returns_after_the_last_callback(connect):
    watcher = connect("watcher")
    target = connect("target")
    inside = threading.Event()
    finish = threading.Event()
    finished: list[bool] = []

    def slow(event: MembershipEvent) -> None:
        inside.set()
        finish.wait(PATIENCE)
        finished.append(True)

    subscription = watcher.on_member_event(slow)
    target.join()
    assert inside.wait(PATIENCE)
    canceller = threading.Thread(target=subscription.cancel)
    canceller.start()
    canceller.join(0.2)
    assert canceller.is_alive()  # cancel waits for the running callback
    finish.set()
    canceller.join(PATIENCE)
    assert not canceller.is_alive() and finished == [True]


def test_cancel_from_inside_the_callback(connect):
    watcher = connect("watcher")
    target = connect("target")
    calls: list[int] = []
    holder: dict[str, group_redis.Subscription] = {}
    ready = threading.Event()
    cancelled = threading.Event()

    def once(event: MembershipEvent) -> None:
        ready.wait(PATIENCE)
        calls.append(1)
        holder["sub"].cancel()
        cancelled.set()

    holder["sub"] = watcher.on_member_event(once)
    ready.set()
    target.join("a")
    assert cancelled.wait(PATIENCE)
    assert calls == [1]
    assert not holder["sub"].active


def test_state_events_both_styles(connect):
    conn = connect("me")
    states: list[ConnectionState] = []
    got_closed = threading.Event()

    def on_state(state: ConnectionState) -> None:
        states.append(state)
        if state is ConnectionState.CLOSED:
            got_closed.set()

    subscription = conn.on_state_change(on_state)
    pull = conn.state_events()
    assert pull.get(0) is None
    conn.close()
    assert pull.get(PATIENCE) is ConnectionState.CLOSED
    with pytest.raises(group_redis.ClosedError):
        pull.get(PATIENCE)
    assert got_closed.wait(PATIENCE)
    assert states == [ConnectionState.CLOSED]
    subscription.cancel()
    pull.close()


def test_callbacks_are_kept_alive_by_the_package(connect):
    """The returned subscription is dropped at once; the package keeps it (and the
    callback) until the connector closes, so the callback still runs."""
    import gc

    watcher = connect("watcher")
    target = connect("target")
    arrived = threading.Event()
    states: list[ConnectionState] = []
    watcher.on_member_event(lambda event: arrived.set())
    watcher.on_state_change(states.append)
    gc.collect()
    target.join()
    assert arrived.wait(PATIENCE)
    watcher.close()
    deadline = time.monotonic() + PATIENCE
    while ConnectionState.CLOSED not in states and time.monotonic() < deadline:
        time.sleep(0.01)
    assert states == [ConnectionState.CLOSED]
    from group_redis import events as events_module

    # The ended streams ran their destroy callbacks: the package holds nothing any more.
    while (events_module._callbacks or watcher._subscriptions) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not events_module._callbacks, "the destroy callback removed the entry"
    assert not watcher._subscriptions


def test_a_cancelled_callback_subscription_is_released_by_the_package(connect):
    watcher = connect("watcher")
    subscription = watcher.on_member_event(lambda event: None)
    assert subscription in watcher._subscriptions
    subscription.cancel()
    assert subscription not in watcher._subscriptions
    assert not subscription.active


def test_a_callback_subscribed_later_starts_from_the_current_members(connect):
    """Callbacks on one connector share one native subscription; a later one gets the
    members as they are now and only the events after that, in order, once."""
    watcher = connect("watcher")
    target = connect("target")
    first: list[MembershipEvent] = []
    second: list[MembershipEvent] = []
    changed = threading.Condition()

    def recorder(into: list[MembershipEvent]):
        def record(event: MembershipEvent) -> None:
            with changed:
                into.append(event)
                changed.notify_all()

        return record

    early = watcher.on_member_event(recorder(first))
    target.join("a")
    with changed:
        assert changed.wait_for(lambda: len(first) == 1, PATIENCE)
    late = watcher.on_member_event(recorder(second))
    assert [m.id for m in late.snapshot] == ["a"]
    assert early.snapshot == []
    target.join("b")
    with changed:
        assert changed.wait_for(lambda: len(first) == 2 and len(second) == 1, PATIENCE)
    assert [m.id for m in second[0].joined_members] == ["b"]
    early.cancel()
    target.leave("a")
    with changed:
        assert changed.wait_for(lambda: len(second) == 2, PATIENCE)
    assert second[1].reason == "left" and len(first) == 2
    late.cancel()
    assert not watcher._fanouts, "the last cancel closed the shared subscription"
