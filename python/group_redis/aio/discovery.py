"""Service discovery for asyncio: `await conn.service_provider(...)` gives an
`AsyncServiceProvider` over the blocking `ServiceProvider` (see group_redis.discovery). Its
picks are local (no I/O), so they are plain methods; the changes of its instances come as
`async for change in provider.events()`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from .. import discovery as _discovery
from .._native import lib
from ..discovery import InstancesChanged, ServiceProvider
from ..types import Member
from .events import _AsyncStream

if TYPE_CHECKING:
    from .connector import AsyncConnector


class AsyncInstanceEvents(_AsyncStream[InstancesChanged]):
    """A provider's changes (`snapshot`: the instances when it started, a list of Member);
    ends when the provider is closed or the connector closes."""


class AsyncServiceProvider:
    """A service provider (`await conn.service_provider(...)`); `async with` it to stop its
    cache at the end of the block."""

    def __init__(self, connector: "AsyncConnector", provider: ServiceProvider) -> None:
        self._connector = connector
        self._provider = provider

    @property
    def blocking(self) -> ServiceProvider:
        """The blocking provider underneath."""
        return self._provider

    def instance(self) -> Optional[Member]:
        """One instance picked by the strategy, or None (local, no I/O)."""
        return self._provider.instance()

    def instances(self) -> list[Member]:
        """Every instance now, sorted by id (local, no I/O)."""
        return self._provider.instances()

    def note_error(self, member_id: str) -> None:
        """Notes a failed call to `member_id` (see `ServiceProvider.note_error`)."""
        self._provider.note_error(member_id)

    def events(self) -> AsyncInstanceEvents:
        """`async for change in provider.events():` every change of the instances. Call
        from a coroutine."""
        handle = self._provider._live()
        return AsyncInstanceEvents(
            self._connector, lambda out: lib.gr_provider_subscribe(handle, out), _discovery.CHANGES
        )

    async def close(self) -> None:
        """Stops the cache and frees the native handle; idempotent."""
        await self._connector._calls.run_to_completion(self._provider.close)

    async def __aenter__(self) -> "AsyncServiceProvider":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class AsyncDiscovering:
    """Service discovery on an `AsyncConnector` (mixed in)."""

    async def service_provider(
        self: Any,
        strategy: str = "round-robin",
        sub_group: Optional[str] = None,
        *,
        election: Optional[str] = None,
        down_for: Optional[float] = None,
        error_threshold: Optional[int] = None,
    ) -> AsyncServiceProvider:
        """A provider over the group's online members (see
        `group_redis.Connector.service_provider`)."""
        provider = await self._calls.run(
            lambda: self._blocking.service_provider(
                strategy, sub_group, election=election, down_for=down_for,
                error_threshold=error_threshold,
            )
        )
        return AsyncServiceProvider(self, provider)
