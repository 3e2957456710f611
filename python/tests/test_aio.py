"""group_redis.aio against a real redis-server: coroutines that never block the event loop,
cancellation that never leaves a lock held, async context managers, async iteration."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Awaitable, Callable, List, Optional

import pytest
import redis

import group_redis
from group_redis import aio
from group_redis.aio import connector as aio_connector
from gr_fixtures import PATIENCE

#: The ticker's period, and the longest gap between ticks a free event loop may show (a
#: blocked loop shows the whole lock wait, seconds): generous for a loaded 2-core machine.
TICK = 0.01
MAX_TICK_GAP = 0.5


def run(coroutine: Awaitable[Any]) -> Any:
    """Runs a test coroutine with an overall bound, so a hang fails instead of stalling."""

    async def bounded() -> Any:
        return await asyncio.wait_for(coroutine, PATIENCE * 3)

    return asyncio.run(bounded())


class Ticker:
    """Records when the event loop got to run a 10 ms sleep loop."""

    def __init__(self) -> None:
        self.ticks: List[float] = []
        self._task: Optional[asyncio.Task] = None

    async def _tick(self) -> None:
        while True:
            self.ticks.append(time.monotonic())
            await asyncio.sleep(TICK)

    def __enter__(self) -> "Ticker":
        self._task = asyncio.ensure_future(self._tick())
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._task is not None
        self._task.cancel()

    async def wait_for_ticks(self, count: int) -> None:
        start = len(self.ticks)
        while len(self.ticks) < start + count:
            await asyncio.sleep(TICK)

    def max_gap(self, since: float, until: float) -> float:
        inside = [t for t in self.ticks if since <= t <= until]
        points = [since, *inside, until]
        return max(b - a for a, b in zip(points, points[1:]))


@pytest.fixture
def aconnect(url: str, group: str) -> Callable[..., Awaitable[aio.AsyncConnector]]:
    """aconnect(member_id, **options) -> AsyncConnector in this test's group (the test
    closes it, usually through `async with`)."""

    async def make(member_id: Optional[str] = None, **options: Any) -> aio.AsyncConnector:
        options.setdefault("group", group)
        return await aio.connect(url, member_id=member_id, **options)

    return make


async def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_try_lock_waits_for_another_members_release_while_the_loop_keeps_ticking(aconnect):
    async def main() -> None:
        async with await aconnect("holder") as holder, await aconnect("waiter") as waiter:
            held = await holder.lock("L")
            assert held is not None
            with Ticker() as ticker:
                started = time.monotonic()
                waiting = asyncio.ensure_future(waiter.try_lock("L", PATIENCE))
                # 100 ticks (about a second) while the waiter's native wait is in progress.
                await ticker.wait_for_ticks(100)
                assert not waiting.done(), "try_lock returned while the lock was held"
                await held.release()
                got = await waiting
                ended = time.monotonic()
            assert got is not None and got.token > held.token
            assert ticker.max_gap(started, ended) < MAX_TICK_GAP
            assert waiter.is_held("L")
            await got.release()

    run(main())


def test_try_lock_that_times_out_returns_none_without_blocking_the_loop(aconnect):
    async def main() -> None:
        async with await aconnect("holder") as holder, await aconnect("waiter") as waiter:
            assert await holder.lock("L") is not None
            with Ticker() as ticker:
                started = time.monotonic()
                assert await waiter.try_lock("L", 1.5) is None
                ended = time.monotonic()
            assert ended - started >= 1.4
            assert ticker.max_gap(started, ended) < MAX_TICK_GAP

    run(main())


def test_a_cancelled_try_lock_that_acquires_afterwards_releases_at_once(
    aconnect, monkeypatch, url, group
):
    # One long native wait, so the acquisition surely happens after the cancellation:
    # the holder releases while the cancelled waiter's native call is still waiting.
    monkeypatch.setattr(aio_connector, "LOCK_WAIT_SLICE", PATIENCE)

    async def main() -> None:
        async with await aconnect("holder") as holder, await aconnect(
            "waiter"
        ) as waiter, await aconnect("third") as third:
            held = await holder.lock("L")
            assert held is not None
            in_native_call = threading.Event()
            original = waiter.blocking.try_lock

            def observed_try_lock(*args: Any, **kwargs: Any) -> Any:
                in_native_call.set()
                return original(*args, **kwargs)

            waiter.blocking.try_lock = observed_try_lock  # type: ignore[method-assign]
            waiting = asyncio.ensure_future(waiter.try_lock("L", None))
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(None, in_native_call.wait, PATIENCE)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await held.release()  # the cancelled wait now gets the lock, and must let go
            # Only then may the third member try (it could win the race to the free lock):
            # the group's token high-water mark (`fence`, docs/PROTOCOL.md) shows the
            # waiter's grant, made by the release itself (the hand-off to the oldest waiter).
            raw = redis.Redis.from_url(url)
            await wait_until(
                lambda: int(raw.get(f"gr:{{{group}}}:fence") or 0) == held.token + 1
            )
            raw.close()

            got = await third.try_lock("L", PATIENCE)
            assert got is not None, "the cancelled waiter kept the lock"
            # Grants are numbered group-wide: the waiter's abandoned grant came in between.
            assert got.token == held.token + 2
            # The waiter's release is made on its pool after the cancellation; Redis freed
            # the lock (third has it) but the release call may not have returned yet, and
            # is_held turns false when it does.
            await wait_until(lambda: not waiter.is_held("L"))
            await got.release()

    run(main())


def test_wait_for_timeout_on_try_lock_leaves_the_lock_free(aconnect):
    async def main() -> None:
        async with await aconnect("holder") as holder, await aconnect("waiter") as waiter:
            held = await holder.lock("L")
            assert held is not None
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(waiter.try_lock("L", None), 0.3)
            await held.release()
            again = await holder.try_lock("L", PATIENCE)
            assert again is not None
            # If the release handed the lock to the cancelled wait before its unwait
            # arrived, the wait got it and released it on the pool; Redis freed it (holder
            # has it again) but that release call may not have returned yet, and is_held
            # turns false when it does (as in the test above).
            await wait_until(lambda: not waiter.is_held("L"))

    run(main())


def test_locked_releases_after_the_block_on_error_and_on_cancellation(aconnect):
    async def main() -> None:
        async with await aconnect("a") as conn, await aconnect("b") as other:
            async with conn.locked("L", wait=PATIENCE) as lock:
                assert conn.is_held("L") and lock.token == conn.held_token("L")
                assert await other.lock("L") is None
            assert not conn.is_held("L")

            with pytest.raises(RuntimeError, match="boom"):
                async with conn.locked("L", wait=PATIENCE):
                    raise RuntimeError("boom")
            assert not conn.is_held("L")

            entered = asyncio.Event()

            async def hold_forever() -> None:
                async with conn.locked("L", wait=PATIENCE):
                    entered.set()
                    await asyncio.sleep(PATIENCE * 10)

            task = asyncio.ensure_future(hold_forever())
            await entered.wait()
            assert conn.is_held("L")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not conn.is_held("L")
            assert await other.lock("L") is not None

            with pytest.raises(group_redis.LockNotAcquiredError):
                async with conn.locked("L", wait=0):
                    raise AssertionError("acquired a lock another member holds")

    run(main())


def test_an_async_lock_releases_at_the_end_of_its_block(aconnect):
    async def main() -> None:
        async with await aconnect("a") as conn:
            lock = await conn.lock("L")
            assert lock is not None and lock.name == "L"
            async with lock:
                assert conn.is_held("L")
            assert not conn.is_held("L")
            assert await lock.release() is False  # already released

    run(main())


def test_member_events_arrive_through_async_for(aconnect):
    async def main() -> None:
        async with await aconnect("watcher") as watcher:
            await watcher.join()
            async with watcher.subscribe_members() as events:
                assert [m.id for m in events.snapshot] == ["watcher"]
                async with await aconnect("newcomer") as newcomer:
                    await newcomer.join(payload={"port": 1})
                    async for event in events:
                        assert [m.id for m in event.joined_members] == ["newcomer"]
                        assert event.joined_members[0].payload == {"port": 1}
                        break
                # Leaving the inner block closed the newcomer: it leaves.
                event = await events.get(PATIENCE)
                assert event is not None
                assert [m.id for m in event.left_members] == ["newcomer"]
                assert event.reason == "left"
            assert events.closed
            with pytest.raises(group_redis.ClosedError):
                await events.get(0)

    run(main())


def test_async_for_ends_when_the_connector_closes(aconnect):
    async def main() -> None:
        conn = await aconnect("a")
        seen: List[group_redis.MembershipEvent] = []
        events = await conn.subscribe_members()  # started: the join below is seen

        async def consume() -> None:
            async for event in events:
                seen.append(event)

        consumer = asyncio.ensure_future(consume())
        await conn.join("second")
        await wait_until(lambda: any(m.id == "second" for e in seen for m in e.joined_members))
        await conn.close()
        await asyncio.wait_for(consumer, PATIENCE)  # ended, not hanging
        assert conn.closed

    run(main())


def test_state_changes_reach_async_code_and_end_with_closed(aconnect):
    async def main() -> None:
        conn = await aconnect("a")
        assert conn.state == group_redis.ConnectionState.CONNECTED
        states = await conn.subscribe_state()
        await conn.close()
        seen = [state async for state in states]
        assert seen[-1] == group_redis.ConnectionState.CLOSED
        assert conn.state == group_redis.ConnectionState.CLOSED

    run(main())


def test_suspended_lost_and_reconnected_arrive_through_async_for(redis_server, group):
    from tcp_proxy import TcpProxy

    State = group_redis.ConnectionState

    async def next_state(states: aio.AsyncStateEvents) -> group_redis.ConnectionState:
        state = await states.get(PATIENCE)
        assert state is not None, "no state change in time"
        return state

    async def main() -> None:
        with TcpProxy(redis_server.port) as proxy:
            conn = await aio.connect(proxy.url, group=group, member_id="cut-off",
                                     session_timeout=1.5, heartbeat=0.25, command_timeout=0.2)
            async with conn:
                states = await conn.subscribe_state()
                await conn.join()
                with Ticker() as ticker:
                    proxy.pause()
                    cut = time.monotonic()
                    assert await next_state(states) == State.SUSPENDED
                    assert await next_state(states) == State.LOST
                    assert conn.state == State.LOST
                    lost = time.monotonic()
                    proxy.resume()
                    assert await next_state(states) == State.RECONNECTED
                assert ticker.max_gap(cut, lost) < MAX_TICK_GAP
            assert await next_state(states) == State.CLOSED
            with pytest.raises(group_redis.ClosedError):
                await states.get(0)

    run(main())


def test_every_operation_is_awaitable_and_errors_arrive_as_exceptions(aconnect):
    async def main() -> None:
        async with await aconnect("a", sub_groups=["web"]) as conn, await aconnect("b") as other:
            member = await conn.join(payload={"v": 1})
            assert member.id == "a" and conn.member_id == "a" and conn.sub_groups == ["web"]
            assert len(conn.session_id) == 32
            with pytest.raises(group_redis.MemberExistsError):
                await other.join("a")
            await conn.update_payload({"v": 2})
            await conn.add_sub_group("api")
            await conn.remove_sub_group("web")
            (only,) = await other.members()
            assert only.payload == {"v": 2} and only.sub_groups == ["api"] and only.online
            await conn.set_online(online=False)
            (only,) = await other.members()
            assert not only.online and only.payload == {"v": 2}

            await conn.ephemeral_set("addr", "10.0.0.1")
            assert await other.ephemeral_get("addr") == "10.0.0.1"
            assert await conn.ephemeral_list("") == {"addr": "10.0.0.1"}
            assert await conn.ephemeral_delete("addr") is True
            assert await conn.ephemeral_get("addr", "gone") == "gone"

            assert await conn.persistent_set("cfg/a", 1) == 1
            assert await conn.persistent_set_many({"cfg/b": 2, "cfg/c": 3}) == [1, 1]
            assert await conn.persistent_cas("cfg/a", 1, 10) == 2
            assert await conn.persistent_cas("cfg/a", 1, 11) is None
            versioned = await other.persistent_get_versioned("cfg/a")
            assert versioned is not None and (versioned.value, versioned.version) == (10, 2)
            assert [e.path for e in await conn.persistent_list("cfg/")] == ["cfg/a", "cfg/b", "cfg/c"]
            assert await conn.persistent_delete("cfg/b") is True
            assert await conn.persistent_get("cfg/b", "none") == "none"

            first = await conn.reentrant_lock("R")
            second = await conn.reentrant_lock("R")
            assert first is not None and second is not None and first.token == second.token
            assert await conn.release("R") is True
            assert conn.is_held("R")
            assert await conn.release("R") is True
            assert await conn.release("R") is False

            with pytest.raises(group_redis.InvalidArgumentError):
                await conn.try_lock("L", -1)
            assert await conn.leave() is True
            assert conn.take_restore_failures() == []
        assert conn.closed
        with pytest.raises(group_redis.ClosedError):
            await conn.members()
        await conn.close()  # idempotent

    run(main())


def test_connect_failure_raises_without_blocking_the_loop():
    async def main() -> None:
        with Ticker() as ticker:
            started = time.monotonic()
            with pytest.raises(group_redis.ConnectionFailedError):
                # A closed port on loopback: refused at once, never 6379.
                from redis_server import free_port

                await aio.connect(f"redis://127.0.0.1:{free_port()}", command_timeout=1.0)
            ended = time.monotonic()
        assert ticker.max_gap(started, ended) < MAX_TICK_GAP

    run(main())


def test_the_async_connector_has_every_operation_of_the_blocking_one():
    # Event subscriptions take the async shape (subscribe_members / subscribe_state / listen).
    replaced = {"member_events", "on_member_event", "state_events", "on_state_change", "on_data_event", "on_message",
                "on_leader_change"}
    blocking = {n for n in dir(group_redis.Connector) if not n.startswith("_")} - replaced
    missing = blocking - set(dir(aio.AsyncConnector))
    assert not missing, f"AsyncConnector lacks {sorted(missing)}"
