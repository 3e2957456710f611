"""Event streams for asyncio, one generic stream for every kind (membership events,
connection-state changes, data watches), consumed with `async for` (or `await
stream.get(timeout)`).

The native library calls back on its own dispatcher thread; each callback only hands the
event to the event loop with `loop.call_soon_threadsafe`, so nothing runs on the
dispatcher thread but that, and consumers run on the loop. Events wait in an unbounded
buffer until taken. The stream ends when it is closed or the connector closes (for state
streams CLOSED is the last item).
"""

from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING, Any, Callable, Deque, Generator, Generic, Optional, Set, TypeVar

from .. import events as _events
from ..errors import ClosedError
from ..types import ConnectionState, DataEvent, MembershipEvent

if TYPE_CHECKING:
    from .connector import AsyncConnector

__all__ = ["AsyncMemberEvents", "AsyncStateEvents", "AsyncDataEvents"]

T = TypeVar("T")
S = TypeVar("S", bound="_AsyncStream[Any]")


class _Buffer(Generic[T]):
    """Items delivered on the loop, awaited by any number of consumers. Lives apart from the
    stream object so the native callback holds only this, and an abandoned stream can be
    garbage collected (which cancels its native subscription)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: Deque[T] = collections.deque()
        self._waiters: Set["asyncio.Future[None]"] = set()
        self.ended = False

    # -- native dispatcher thread ------------------------------------------------------

    def push_threadsafe(self, item: T) -> None:
        self._call_on_loop(self._push, item)

    def end_threadsafe(self) -> None:
        self._call_on_loop(self.end)

    def push_last_threadsafe(self, item: T) -> None:
        """Delivers `item` and ends the stream in one step on the loop, so no consumer can
        take the item and then find the stream still open."""
        self._call_on_loop(self._push_last, item)

    def _push_last(self, item: T) -> None:
        self._push(item)
        self.end()

    def _call_on_loop(self, function: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(function, *args)
        except RuntimeError:
            pass  # the loop is closed: nobody is left to deliver to

    # -- event loop ----------------------------------------------------------------------

    def _push(self, item: T) -> None:
        if not self.ended:
            self._items.append(item)
            self._wake()

    def end(self) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def take(self, timeout: Optional[float]) -> Optional[T]:
        """The next item; None when `timeout` seconds passed first; ClosedError once ended
        and drained. Cancelling the caller loses nothing: items stay buffered until a
        consumer returns them."""
        deadline = None if timeout is None else self._loop.time() + max(timeout, 0.0)
        while True:
            if self._items:
                return self._items.popleft()
            if self.ended:
                raise ClosedError("event stream ended")
            remaining = None if deadline is None else deadline - self._loop.time()
            if remaining is not None and remaining <= 0:
                return None
            waiter: "asyncio.Future[None]" = self._loop.create_future()
            self._waiters.add(waiter)
            try:
                # asyncio.wait never cancels `waiter` nor drops a result: safe on timeout.
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                self._waiters.discard(waiter)


class _AsyncStream(Generic[T]):
    """One stream for every kind: lazy start (the native subscribe is a round trip, run on
    the connector's threads), async iteration, async context manager, close. `snapshot` is
    what it started from (None before it started)."""

    def __init__(
        self, connector: "AsyncConnector", opener: _events.Opener, kind: _events.Kind[T]
    ) -> None:
        self._connector = connector
        self._opener = opener
        self._kind = kind
        self._loop = asyncio.get_running_loop()
        self._buffer: _Buffer[T] = _Buffer(self._loop)
        self._native: Optional[_events.Subscription] = None
        self._starting: Optional["asyncio.Future[None]"] = None
        self._closed = False
        #: What the subscription started from (None before it started).
        self.snapshot: Any = None

    def _deliver(self, buffer: _Buffer[T]) -> Callable[[T], None]:
        """What the native callback does with an event (runs on the dispatcher thread)."""
        return buffer.push_threadsafe

    def _subscribe(self, buffer: _Buffer[T]) -> _events.Subscription:
        """Runs on a pool thread: the native subscribe, delivering into `buffer`. The
        stream owns the subscription (closing it cancels it), not the connector."""
        subscription = _events.subscribe_callback(
            self._opener, self._kind, self._deliver(buffer), None, buffer.end_threadsafe
        )
        self.snapshot = subscription.snapshot
        return subscription

    async def start(self) -> None:
        """Subscribes, if not done yet (iteration, `await` and `async with` call this)."""
        if self._closed:
            raise ClosedError("event stream is closed")
        if self._starting is None:
            self._starting = asyncio.ensure_future(
                self._connector._calls.run_to_completion(self._subscribe, self._buffer)
            )
            self._starting.add_done_callback(self._started)
        # Shielded: a consumer cancelled while subscribing leaves the subscription to the
        # stream (closed with it), not half made.
        await asyncio.shield(self._starting)

    def _started(self, starting: "asyncio.Future[Any]") -> None:
        if starting.cancelled() or starting.exception() is not None:
            return
        self._native = starting.result()
        if self._closed:  # closed while subscribing
            self._cancel_native()

    async def get(self, timeout: Optional[float] = None) -> Optional[T]:
        """The next item, waiting up to `timeout` seconds (None: until one comes). Returns
        None when the time ran out; raises ClosedError once the stream ended (closed, or
        its connector closed) and every buffered item was taken."""
        await self.start()
        return await self._buffer.take(timeout)

    def __aiter__(self: S) -> S:
        return self

    async def __anext__(self) -> T:
        try:
            item = await self.get()
        except ClosedError:
            raise StopAsyncIteration from None
        assert item is not None  # no timeout: only an item or the end
        return item

    def __await__(self: S) -> Generator[Any, None, S]:
        return self._start_and_return().__await__()

    async def _start_and_return(self: S) -> S:
        await self.start()
        return self

    async def __aenter__(self: S) -> S:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stops the subscription; items already buffered can still be taken, then the
        stream ends. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._buffer.end()
        if self._native is not None:
            # The cancel waits for an in-flight callback, so it runs on the pool.
            native, self._native = self._native, None
            try:
                await self._connector._calls.run_to_completion(native.cancel)
            except ClosedError:
                native.cancel()  # pool gone: the connector closed and the stream with it

    def _cancel_native(self) -> None:
        native, self._native = self._native, None
        if native is not None:
            try:
                self._connector._calls._submit(native.cancel)
            except ClosedError:
                native.cancel()

    @property
    def closed(self) -> bool:
        """True once `aclose()` was called or the stream ended."""
        return self._closed or self._buffer.ended


class AsyncMemberEvents(_AsyncStream[MembershipEvent]):
    """Membership events of the group from the moment of subscribing, in order.

    `async for event in conn.subscribe_members():` starts it on first use; `async with
    conn.subscribe_members() as events:` or `events = await conn.subscribe_members()`
    start it first, so `events.snapshot` (the members at the start) is there.
    """


class AsyncStateEvents(_AsyncStream[ConnectionState]):
    """Connection-state changes (SUSPENDED, LOST, RECONNECTED, CLOSED, ...) from the moment
    of subscribing; CLOSED is the last, then iteration ends. The current state is
    `conn.state`."""

    def _deliver(self, buffer: _Buffer[ConnectionState]) -> Callable[[ConnectionState], None]:
        def deliver(state: ConnectionState) -> None:
            # CLOSED is the last state: the stream ends with it, not when the native
            # subscription is torn down a moment later.
            if state == ConnectionState.CLOSED:
                buffer.push_last_threadsafe(state)
            else:
                buffer.push_threadsafe(state)

        return deliver


class AsyncDataEvents(_AsyncStream[DataEvent]):
    """Changes of the data under a prefix (`conn.watch`, `conn.watch_ephemeral`), in
    order; `snapshot` is a DataSnapshot once started."""
