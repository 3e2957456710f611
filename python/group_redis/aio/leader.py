"""Leader election for asyncio: `await conn.elect(name)` gives an `AsyncLeadership` over the
blocking `Leadership` (its round trips run on the connector's threads, the local queries
answer at once); `conn.leader(name)` and `conn.observe_leader(name)` say who leads. See
group_redis.leader for what each connection state does to a leader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .. import leader as _leader
from .._native import lib
from ..leader import Leadership
from ..types import LeaderEvent, LeaderView
from .events import _AsyncStream

if TYPE_CHECKING:
    from .connector import AsyncConnector


class AsyncLeaderEvents(_AsyncStream[LeaderEvent]):
    """A leadership's states from the moment of subscribing (`snapshot`: the state then);
    ends after the final FOLLOWER once resigned or closed."""


class AsyncLeaderViews(_AsyncStream[LeaderView]):
    """Who leads a name (`snapshot`) and every change, "no leader" included."""


class AsyncLeadership:
    """A campaign for leadership (`await conn.elect(name)`). `async with` it to resign at
    the end of the block."""

    def __init__(self, connector: "AsyncConnector", leadership: Leadership) -> None:
        self._connector = connector
        self._leadership = leadership

    @property
    def name(self) -> str:
        return self._leadership.name

    @property
    def blocking(self) -> Leadership:
        """The blocking leadership underneath."""
        return self._leadership

    def is_leader(self) -> bool:
        """Whether this connector leads now (local, no I/O)."""
        return self._leadership.is_leader()

    def token(self) -> Optional[int]:
        """The term's fencing token while leading, else None (local)."""
        return self._leadership.token()

    def events(self) -> AsyncLeaderEvents:
        """`async for event in leadership.events():` every change of state. Call from a
        coroutine."""
        handle = self._leadership._live()
        return AsyncLeaderEvents(
            self._connector, lambda out: lib.gr_leadership_subscribe(handle, out), _leader.LEADER
        )

    async def resign(self) -> None:
        """Gives leadership up now (the next leader is elected at once); runs to the end
        even if the awaiting task is cancelled."""
        await self._connector._calls.run_to_completion(self._leadership.resign)

    async def close(self) -> None:
        """Resigns and frees the native handle; idempotent."""
        await self._connector._calls.run_to_completion(self._leadership.close)

    async def __aenter__(self) -> "AsyncLeadership":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncLeadership(name={self.name!r}, leader={self.is_leader()})"


class AsyncElecting:
    """Leader election on an `AsyncConnector` (mixed in)."""

    async def elect(self: Any, name: str) -> AsyncLeadership:
        """Campaigns for leadership of `name` and returns at once (see `Leadership`)."""
        return AsyncLeadership(self, await self._calls.run(self._blocking.elect, name))

    async def leader(self: Any, name: str) -> LeaderView:
        """Who leads `name` now, read from Redis."""
        return await self._calls.run(self._blocking.leader, name)  # type: ignore[no-any-return]

    def observe_leader(self: Any, name: str) -> AsyncLeaderViews:
        """`async with conn.observe_leader(name) as views:` (`views.snapshot` is who leads),
        then `async for view in views:` every change. Call from a coroutine."""
        from .._native import encode_name

        native_name = encode_name(name, "leader name")
        return AsyncLeaderViews(
            self, self._opener(lib.gr_observe_leader, native_name), _leader.LEADER_VIEW
        )
