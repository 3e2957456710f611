"""The asyncio connector: the blocking `group_redis.Connector`'s operations as coroutines
that never block the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any, AsyncIterator, Iterable, Mapping, Optional, Sequence, Union

from .. import connector as _blocking
from ..connector import _MISSING, Connector, Lock
from ..errors import ClosedError, LockNotAcquiredError
from ..types import ConnectionState, Entry, LockHolder, LockStatus, Member, Versioned
from ._threads import DEFAULT_MAX_THREADS, BlockingCalls
from .. import events as _events
from .._subscribing import _revision
from .._native import encode_name, lib
from .assignments import AsyncAssigning
from .discovery import AsyncDiscovering
from .leader import AsyncElecting
from .events import AsyncDataEvents, AsyncMemberEvents, AsyncStateEvents
from .messages import AsyncMessaging

__all__ = ["connect", "AsyncConnector", "AsyncLock"]

#: Longest single native lock wait (seconds). A wait is a series of these, each a call on
#: the pool, so a cancelled wait frees its thread within one slice and waits queued behind
#: it get their turn.
LOCK_WAIT_SLICE = 1.0


async def connect(
    url: Optional[str] = None,
    *,
    group: str = "default-group",
    member_id: Optional[str] = None,
    session_timeout: float = 10.0,
    heartbeat: Optional[float] = None,
    sub_groups: Sequence[str] = ("default",),
    payload: Any = None,
    command_timeout: float = 5.0,
    tls_root_cert: Union[str, bytes, None] = None,
    max_lease: Optional[float] = None,
    wait_replicas: int = 0,
    wait_replicas_timeout: float = 1.0,
    max_threads: int = DEFAULT_MAX_THREADS,
) -> "AsyncConnector":
    """Connects to Redis and starts a session, without blocking the event loop; the
    options are those of `group_redis.connect`. `max_threads` bounds how many native calls
    (lock waits included) of this connector run at once; more wait their turn.

    Use as `async with await group_redis.aio.connect(url, group="workers") as conn:`.
    Raises ConnectionFailedError when Redis cannot be reached and InvalidArgumentError for
    bad options. Cancelled while connecting, the half-made connector is closed.
    """
    if url is None:
        url = _blocking.default_url()
    make = functools.partial(
        _blocking.connect,
        url,
        group=group,
        member_id=member_id,
        session_timeout=session_timeout,
        heartbeat=heartbeat,
        sub_groups=sub_groups,
        payload=payload,
        command_timeout=command_timeout,
        tls_root_cert=tls_root_cert,
        max_lease=max_lease,
        wait_replicas=wait_replicas,
        wait_replicas_timeout=wait_replicas_timeout,
    )
    calls = BlockingCalls(max_threads)
    job = calls._submit(make)
    try:
        blocking = await asyncio.wrap_future(job)
    except asyncio.CancelledError:
        job.add_done_callback(functools.partial(_close_abandoned, calls))
        raise
    except BaseException:
        calls.shutdown()
        raise
    return AsyncConnector(blocking, _calls=calls)


def _close_abandoned(calls: BlockingCalls, job: Any) -> None:
    # A connect whose caller was cancelled: its session must not live on unseen.
    if not job.cancelled() and job.exception() is None:
        connector: Connector = job.result()
        try:
            calls._submit(connector.close)
        except Exception:  # noqa: BLE001 - the handle's finalizer closes it then
            pass
    calls.shutdown()


class AsyncLock:
    """A lock this connector acquired, with its fencing `token`. `await lock.release()`,
    or `async with` it to release at the end of the block."""

    __slots__ = ("_lock", "_connector")

    def __init__(self, connector: "AsyncConnector", lock: Lock) -> None:
        self._connector = connector
        self._lock = lock

    @property
    def name(self) -> str:
        return self._lock.name

    @property
    def token(self) -> int:
        """The fencing token: strictly increasing per lock name; pass it to the resource."""
        return self._lock.token

    @property
    def member(self) -> Optional[str]:
        return self._lock.member

    async def release(self) -> bool:
        """Releases one hold; False when it was no longer held. Runs to the end even if
        the awaiting task is cancelled."""
        return await self._connector._calls.run_to_completion(self._lock.release)

    def __bool__(self) -> bool:
        return True

    async def __aenter__(self) -> "AsyncLock":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if not self._connector.closed:
            await self.release()

    def __repr__(self) -> str:
        return f"AsyncLock(name={self.name!r}, token={self.token}, member={self.member!r})"


class AsyncConnector(AsyncMessaging, AsyncElecting, AsyncAssigning, AsyncDiscovering):
    """A client's handle on one group, for asyncio. Create with `await
    group_redis.aio.connect(...)`, or wrap a blocking `Connector` you own.

    Every coroutine runs its native call on this connector's thread pool and awaits it, so
    the event loop keeps running meanwhile. Cancelling a coroutine: a call not yet started
    never runs; one already running completes (a join that ran stays joined), except that
    a lock acquired by a cancelled `lock` / `try_lock` is released at once, and `release`
    and `close` always run to the end. Local queries (`state`, `is_held`, `held_token`,
    `session_id`, ...) answer without I/O and are plain methods and properties.

    An async context manager: leaving `async with` closes it.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        max_threads: int = DEFAULT_MAX_THREADS,
        _calls: Optional[BlockingCalls] = None,
    ) -> None:
        self._blocking = connector
        self._calls = _calls if _calls is not None else BlockingCalls(max_threads)

    @property
    def blocking(self) -> Connector:
        """The blocking connector underneath (shares the session; for code outside the
        event loop, such as a worker thread)."""
        return self._blocking

    # -- lifecycle ---------------------------------------------------------------------

    async def close(self) -> None:
        """Leaves every member, releases every lock, deletes the ephemeral keys and ends
        the subscriptions (their `async for` loops finish). Idempotent; runs to the end
        even if the awaiting task is cancelled."""
        try:
            await self._calls.run_to_completion(self._blocking.close)
        except ClosedError:
            pass  # the pool is already shut down: an earlier close ran
        finally:
            self._calls.shutdown()

    @property
    def closed(self) -> bool:
        return self._blocking.closed

    async def __aenter__(self) -> "AsyncConnector":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # -- identity and state (local, no I/O) ----------------------------------------------

    @property
    def session_id(self) -> str:
        """The current session id (changes when a lost session is replaced)."""
        return self._blocking.session_id

    @property
    def member_id(self) -> str:
        """The configured member id (used when a member argument is None)."""
        return self._blocking.member_id

    @property
    def state(self) -> ConnectionState:
        """CONNECTED, SUSPENDED, LOST or CLOSED. Changes: `subscribe_state()`."""
        return self._blocking.state

    @property
    def sub_groups(self) -> list[str]:
        """The sub-groups members of this connector join with."""
        return self._blocking.sub_groups

    def take_restore_failures(self) -> list[dict[str, str]]:
        """What could not be restored when a lost session was replaced; see
        `Connector.take_restore_failures`."""
        return self._blocking.take_restore_failures()

    def is_held(self, name: str) -> bool:
        """Whether this connector holds `name` with a valid lease."""
        return self._blocking.is_held(name)

    def held_token(self, name: str) -> Optional[int]:
        """The fencing token of `name` if this connector holds it."""
        return self._blocking.held_token(name)

    async def lock_holder(self, name: str) -> Optional[LockHolder]:
        """Who holds `name` now, read from Redis; None when it is free."""
        return await self._calls.run(self._blocking.lock_holder, name)

    async def lock_status(self, name: str) -> LockStatus:
        """`lock_holder(name)` and the end of any restart grace; see `Connector.lock_status`."""
        return await self._calls.run(self._blocking.lock_status, name)

    # -- membership ------------------------------------------------------------------------

    async def join(self, member_id: Optional[str] = None, payload: Any = None) -> Member:
        """Joins as `member_id` (default: the configured one); see `Connector.join`.
        Raises MemberExistsError when another live session holds the id."""
        return await self._calls.run(self._blocking.join, member_id, payload)

    async def leave(self, member_id: Optional[str] = None) -> bool:
        """Leaves as `member_id`; False when this connector was not that member."""
        return await self._calls.run(self._blocking.leave, member_id)

    async def members(self) -> list[Member]:
        """Every live member, sorted by id (one round trip)."""
        return await self._calls.run(self._blocking.members)

    async def set_online(self, member_id: Optional[str] = None, online: bool = True) -> None:
        """Sets a member this connector joined online or offline without leaving (see the
        sync `set_online`)."""
        await self._calls.run(self._blocking.set_online, member_id, online)

    async def update_payload(self, member_id: Optional[str] = None, payload: Any = _MISSING) -> None:
        """Replaces the payload of `member_id` (None: the configured member):
        `update_payload(member_id, payload)` as in C and Java, or `update_payload(payload)`."""
        if payload is _MISSING:
            member_id, payload = None, member_id
        await self._calls.run(self._blocking.update_payload, member_id, payload)

    async def add_sub_group(self, sub_group: str) -> None:
        """Adds a sub-group and updates every member this connector joined."""
        await self._calls.run(self._blocking.add_sub_group, sub_group)

    async def remove_sub_group(self, sub_group: str) -> None:
        """Removes a sub-group and updates every member this connector joined."""
        await self._calls.run(self._blocking.remove_sub_group, sub_group)

    # -- locks -------------------------------------------------------------------------------

    async def lock(self, name: str, member: Optional[str] = None) -> Optional[AsyncLock]:
        """Takes the exclusive lock `name` without waiting; None when it is held (by
        anyone, this member too: not re-entrant)."""
        lock = await self._calls.acquire(functools.partial(self._blocking.lock, name, member))
        return None if lock is None else AsyncLock(self, lock)

    async def reentrant_lock(self, name: str, member: Optional[str] = None) -> Optional[AsyncLock]:
        """Takes `name` re-entrantly: a holder taking it again adds a hold (same token)."""
        lock = await self._calls.acquire(
            functools.partial(self._blocking.reentrant_lock, name, member)
        )
        return None if lock is None else AsyncLock(self, lock)

    async def try_lock(
        self,
        name: str,
        wait: Optional[float] = _MISSING,
        member: Optional[str] = None,
        *,
        reentrant: bool = False,
        timeout: Optional[float] = _MISSING,
    ) -> Optional[AsyncLock]:
        """Takes `name`, waiting up to `wait` seconds (None: until it is free) for the
        holder's release; None when the time ran out. The event loop runs meanwhile.
        (`timeout=` is the old name of `wait`.)

        Safe to cancel (also through `asyncio.wait_for`): a lock the cancelled wait still
        obtained is released at once, never left held unknown to the caller."""
        wait = _blocking._wait_argument(wait, timeout, _MISSING)
        if wait is _MISSING:
            raise TypeError("try_lock() needs wait (seconds, or None: until it is free)")
        wait_ms = _blocking._ms(wait, "wait")
        loop = asyncio.get_running_loop()
        forever = wait_ms is None or wait_ms >= 2**62
        deadline = 0.0 if forever else loop.time() + wait_ms / 1000
        while True:
            slice_s = LOCK_WAIT_SLICE if forever else min(LOCK_WAIT_SLICE, max(deadline - loop.time(), 0.0))
            attempt = functools.partial(
                self._blocking.try_lock, name, slice_s, member, reentrant=reentrant
            )
            lock = await self._calls.acquire(attempt)
            if lock is not None:
                return AsyncLock(self, lock)
            if not forever and loop.time() >= deadline:
                return None

    async def release(self, name: str, member: Optional[str] = None) -> bool:
        """Releases one hold of `name`; False when this member of this session does not
        hold it. Runs to the end even if the awaiting task is cancelled."""
        return await self._calls.run_to_completion(self._blocking.release, name, member)

    @contextlib.asynccontextmanager
    async def locked(
        self,
        name: str,
        wait: Optional[float] = _MISSING,
        member: Optional[str] = None,
        *,
        reentrant: bool = False,
        timeout: Optional[float] = _MISSING,
    ) -> AsyncIterator[AsyncLock]:
        """`async with conn.locked("job", wait=5) as lock:` holds `name` for the block
        (`lock.token` is the fencing token) and releases it after, also when the block
        raises or is cancelled. Raises LockNotAcquiredError when `wait` seconds pass first
        (None, the default: waits until it is free)."""
        wait = _blocking._wait_argument(wait, timeout, None)
        lock = await self.try_lock(name, wait, member, reentrant=reentrant)
        if lock is None:
            raise LockNotAcquiredError(f"lock {name!r} not acquired within {wait} s")
        try:
            yield lock
        finally:
            if not self.closed:
                await lock.release()

    # -- ephemeral data ------------------------------------------------------------------

    async def ephemeral_set(self, key: str, value: Any) -> None:
        """Sets the ephemeral `key` (deleted when this session ends) to `value`."""
        await self._calls.run(self._blocking.ephemeral_set, key, value)

    async def ephemeral_get(self, key: str, default: Any = None) -> Any:
        """The value of the ephemeral `key` (anyone's), `default` when absent."""
        return await self._calls.run(self._blocking.ephemeral_get, key, default)

    async def ephemeral_delete(self, key: str) -> bool:
        """Deletes this session's ephemeral `key`; False when it did not exist."""
        return await self._calls.run(self._blocking.ephemeral_delete, key)

    async def ephemeral_list(self, prefix: str = "") -> dict[str, Any]:
        """Every live ephemeral key starting with `prefix`, with its value, sorted."""
        return await self._calls.run(self._blocking.ephemeral_list, prefix)

    # -- persistent data -----------------------------------------------------------------

    async def persistent_set(self, path: str, value: Any) -> int:
        """Sets the persistent `path` to `value`; returns the new version."""
        return await self._calls.run(self._blocking.persistent_set, path, value)

    async def persistent_get(self, path: str, default: Any = None) -> Any:
        """The value of the persistent `path`, `default` when absent."""
        return await self._calls.run(self._blocking.persistent_get, path, default)

    async def persistent_get_versioned(self, path: str) -> Optional[Versioned]:
        """The value of `path` with its version, None when absent."""
        return await self._calls.run(self._blocking.persistent_get_versioned, path)

    async def persistent_delete(self, path: str) -> bool:
        """Deletes the persistent `path`; False when it did not exist."""
        return await self._calls.run(self._blocking.persistent_delete, path)

    async def persistent_list(self, prefix: str = "") -> list[Entry]:
        """Every persistent entry whose path starts with `prefix`, sorted by path."""
        return await self._calls.run(self._blocking.persistent_list, prefix)

    async def persistent_set_many(
        self, entries: Union[Mapping[str, Any], Iterable[tuple[str, Any]]]
    ) -> list[int]:
        """Sets every (path, value) at once (others see all or none); returns the new
        versions in the same order."""
        pairs = list(entries.items() if isinstance(entries, Mapping) else entries)
        return await self._calls.run(self._blocking.persistent_set_many, pairs)

    async def persistent_cas(self, path: str, expected_version: int, value: Any) -> Optional[int]:
        """Writes `value` only if the version of `path` is `expected_version` (0: must not
        exist); the new version, or None when the version did not match."""
        return await self._calls.run(self._blocking.persistent_cas, path, expected_version, value)

    # -- events --------------------------------------------------------------------------

    def _opener(self, native: Any, *args: Any) -> _events.Opener:
        handle = self._blocking._handle
        return lambda out: native(handle, *args, out)

    def subscribe_members(self) -> AsyncMemberEvents:
        """Membership events: `async for event in conn.subscribe_members():`, or
        `async with conn.subscribe_members() as events:` to read `events.snapshot` (the
        members at the start) first. Call from a coroutine; events are delivered on its
        event loop."""
        return AsyncMemberEvents(self, self._opener(lib.gr_subscribe_members), _events.MEMBERS)

    def subscribe_state(self) -> AsyncStateEvents:
        """Connection-state changes: `async for state in conn.subscribe_state():` ends
        after CLOSED. Call from a coroutine."""
        return AsyncStateEvents(self, self._opener(lib.gr_subscribe_state), _events.STATE)

    def watch(self, prefix: str = "", from_revision: Optional[int] = None) -> AsyncDataEvents:
        """Persistent data under `prefix`: `async with conn.watch("cfg/") as changes:`
        (`changes.snapshot` is a DataSnapshot), then `async for event in changes:`. See
        `group_redis.Connector.watch`. Call from a coroutine."""
        opener = self._opener(lib.gr_watch, encode_name(prefix, "prefix"), _revision(from_revision))
        return AsyncDataEvents(self, opener, _events.DATA)

    def watch_ephemeral(
        self, prefix: str = "", from_revision: Optional[int] = None
    ) -> AsyncDataEvents:
        """`watch` over ephemeral keys ("expired" when a key goes with its session)."""
        opener = self._opener(
            lib.gr_watch_ephemeral, encode_name(prefix, "prefix"), _revision(from_revision)
        )
        return AsyncDataEvents(self, opener, _events.DATA)

    def __repr__(self) -> str:
        return f"<group_redis.aio.AsyncConnector {'closed' if self.closed else 'open'}>"
