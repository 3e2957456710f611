"""Controlled assignments for asyncio: `await conn.assignments(topic, ids)` gives an
`AsyncAssignment` over the blocking `Assignment` (see group_redis.assignments)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence

from .. import assignments as _assignments
from .._native import lib
from ..assignments import Assignment, AssignmentEvent
from .events import _AsyncStream

if TYPE_CHECKING:
    from .connector import AsyncConnector


class AsyncAssignmentEvents(_AsyncStream[AssignmentEvent]):
    """A participant's share, each time it changes (`snapshot`: the share when it started)."""


class AsyncAssignment:
    """Taking part in an assignment topic (`await conn.assignments(topic, ids)`); `async
    with` it to leave at the end of the block."""

    def __init__(self, connector: "AsyncConnector", assignment: Assignment) -> None:
        self._connector = connector
        self._assignment = assignment

    @property
    def blocking(self) -> Assignment:
        return self._assignment

    async def share(self) -> AssignmentEvent:
        """This participant's share now."""
        return await self._connector._calls.run(self._assignment.share)  # type: ignore[no-any-return]

    def events(self) -> AsyncAssignmentEvents:
        """`async for share in assignment.events():` each change. Call from a coroutine."""
        handle = self._assignment._live()
        return AsyncAssignmentEvents(
            self._connector, lambda out: lib.gr_assignment_subscribe(handle, out), _assignments.SHARE
        )

    async def close(self) -> None:
        """Leaves the topic (the ids move to the others at once); idempotent."""
        await self._connector._calls.run_to_completion(self._assignment.close)

    async def __aenter__(self) -> "AsyncAssignment":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class AsyncAssigning:
    """Controlled assignments on an `AsyncConnector` (mixed in)."""

    async def assignments(
        self: Any, topic: str, ids: Sequence[str], sub_group: Optional[str] = None
    ) -> AsyncAssignment:
        """Takes part in assigning `ids` among the participants of `topic` (see
        `group_redis.Connector.assignments`)."""
        return AsyncAssignment(
            self, await self._calls.run(self._blocking.assignments, topic, ids, sub_group)
        )
