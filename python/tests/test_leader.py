"""Leader election from Python: one leader at a time with growing terms, resign / close /
the with block hand over at once, observers see every change including "no leader", the
state events (pull and callback), and a closed leadership or connector."""

from __future__ import annotations

import queue
import time

import pytest

import group_redis
from group_redis import LeaderEvent, LeaderView

from gr_fixtures import PATIENCE


def wait_leading(leadership: group_redis.Leadership) -> int:
    deadline = time.monotonic() + PATIENCE
    while not leadership.is_leader():
        assert time.monotonic() < deadline, "not elected"
        time.sleep(0.005)
    token = leadership.token()
    assert token is not None and token > 0
    return token


def test_one_leader_at_a_time_and_the_next_on_resign(connect):
    a, b, observer = connect("a"), connect("b"), connect("observer")
    views = observer.observe_leader("job")
    assert views.snapshot == LeaderView(None, None)
    first = a.elect("job")
    token = wait_leading(first)
    assert observer.leader("job") == LeaderView("a", token)
    assert views.get(PATIENCE) == LeaderView("a", token)

    second = b.elect("job")
    states = second.events()
    assert states.snapshot == LeaderEvent("FOLLOWER")
    time.sleep(0.2)
    assert not second.is_leader() and second.token() is None

    first.resign()
    assert not first.is_leader()
    event = states.get(PATIENCE)
    assert event is not None and event.leader and event.token > token
    assert wait_leading(second) == event.token
    # The observer reports the latest leader, so a term it has not seen yet may be skipped
    # if it ends first: b's term is observed before b resigns.
    seen = views.get(PATIENCE)
    if seen == LeaderView(None, None):  # "no leader" between the terms
        seen = views.get(PATIENCE)
    assert seen == LeaderView("b", event.token)
    first.close()
    first.close()  # idempotent
    assert not first.is_leader()
    with pytest.raises(group_redis.ClosedError):
        first.events()

    # The with block resigns on the way out.
    with second:
        pass
    assert states.get(PATIENCE) == LeaderEvent("FOLLOWER")
    with pytest.raises(group_redis.ClosedError):
        states.get(PATIENCE)  # ended after the final FOLLOWER
    assert views.get(PATIENCE) == LeaderView(None, None)
    assert observer.leader("job") == LeaderView(None, None)
    views.close()


def test_callbacks_hear_leader_and_follower_and_closing_the_connector_ends_it(connect):
    a, b = connect("a"), connect("b")
    heard: queue.Queue[LeaderEvent] = queue.Queue()
    leadership = a.elect("job")
    subscription = leadership.on_change(heard.put)
    if subscription.snapshot != LeaderEvent("LEADER", leadership.token()):
        assert heard.get(timeout=PATIENCE).leader
    changes: queue.Queue[LeaderView] = queue.Queue()
    b.on_leader_change("job", changes.put)
    rival = b.elect("job")
    a.close()
    assert heard.get(timeout=PATIENCE) == LeaderEvent("FOLLOWER")
    assert not leadership.is_leader()
    token = wait_leading(rival)
    while True:
        view = changes.get(timeout=PATIENCE)
        if view.leader == "b":
            assert view.token == token
            break
    leadership.close()
    rival.close()


def test_bad_names_and_a_closed_connector_are_refused(connect):
    a = connect("a")
    with pytest.raises(group_redis.InvalidArgumentError):
        a.elect("")
    with pytest.raises(group_redis.InvalidArgumentError):
        a.elect(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        a.elect(7)  # type: ignore[arg-type]
    a.close()
    with pytest.raises(group_redis.ClosedError):
        a.elect("job")
    with pytest.raises(group_redis.ClosedError):
        a.leader("job")


def test_asyncio_campaign_hand_over_and_observer(url, group):
    import asyncio

    import group_redis.aio

    async def main() -> None:
        async with await group_redis.aio.connect(url, group=group, member_id="a") as a, \
                await group_redis.aio.connect(url, group=group, member_id="b") as b:
            async with a.observe_leader("job") as views:
                assert views.snapshot == LeaderView(None, None)
                first = await a.elect("job")
                async with first.events() as states:
                    event = states.snapshot if states.snapshot.leader else await states.get(PATIENCE)
                    assert event is not None and event.leader
                assert first.is_leader() and first.token() == event.token
                assert await b.leader("job") == LeaderView("a", event.token)
                assert await views.get(PATIENCE) == LeaderView("a", event.token)
                second = await b.elect("job")
                async with second:  # resigns at the end of the block
                    async with second.events() as states:
                        assert not states.snapshot.leader  # a still leads
                        await first.resign()
                        assert not first.is_leader()
                        state = await states.get(PATIENCE)
                        assert state is not None and state.leader and state.token > event.token
                    assert second.is_leader()
                await first.close()
                async for view in views:
                    if view.leader is None:
                        break

    asyncio.run(asyncio.wait_for(main(), PATIENCE * 3))
