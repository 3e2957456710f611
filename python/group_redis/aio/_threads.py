"""Where the asyncio API runs the blocking native calls: a private thread pool per
connector, so a coroutine awaiting a Redis round trip or a lock wait never blocks the event
loop (ctypes releases the GIL for the call's duration).

Three ways to await a call, by what cancelling the awaiting task must mean:

- `run`: a call still queued never starts; one already running finishes and its result is
  dropped (a join that ran is a join: the caller asked for it).
- `run_to_completion`: the call happens even if the awaiting task is cancelled (release,
  close: cancelling the cleanup must not skip it).
- `acquire`: a lock acquisition whose caller was cancelled is released as soon as it
  completes, so a cancelled `try_lock` never leaves a lock held that nobody knows about.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
from typing import Any, Callable, Optional, TypeVar

from ..connector import Lock
from ..errors import ClosedError

log = logging.getLogger("group_redis")

T = TypeVar("T")

#: Default size of a connector's pool: the most native calls (lock waits included) that
#: run at once; more are queued. The native side keeps one pooled Redis connection per
#: concurrently calling thread, up to 128 idle.
DEFAULT_MAX_THREADS = 32


class BlockingCalls:
    """A connector's thread pool and the three ways to await a call on it."""

    def __init__(self, max_threads: int = DEFAULT_MAX_THREADS) -> None:
        if isinstance(max_threads, bool) or not isinstance(max_threads, int) or max_threads < 1:
            raise ValueError("max_threads must be a positive int")
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_threads, thread_name_prefix="group-redis-aio"
        )

    def _submit(self, function: Callable[..., T], *args: Any) -> "concurrent.futures.Future[T]":
        try:
            return self._pool.submit(function, *args)
        except RuntimeError:  # the pool was shut down by close()
            raise ClosedError("connector is closed") from None

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Runs `function(*args)` on the pool; cancellable while it is still queued."""
        return await asyncio.wrap_future(self._submit(function, *args))

    async def run_to_completion(self, function: Callable[..., T], *args: Any) -> T:
        """Runs `function(*args)` on the pool; cancelling the awaiting task does not stop
        it (a failure nobody awaits any more is logged)."""
        call = self._submit(function, *args)
        try:
            return await asyncio.shield(asyncio.wrap_future(call))
        except asyncio.CancelledError:
            call.add_done_callback(functools.partial(_log_unawaited_failure, function))
            raise

    async def acquire(self, function: Callable[[], Optional[Lock]]) -> Optional[Lock]:
        """Runs a lock acquisition on the pool. If the awaiting task is cancelled, the
        acquisition is either never started (still queued) or, once it returns, whatever
        it acquired is released on the pool: the caller never saw the Lock, so nobody
        else would release it before the session ends."""
        call = self._submit(function)
        try:
            return await asyncio.wrap_future(call)
        except asyncio.CancelledError:
            # Also covers the result arriving just as the task was cancelled: the future
            # is done then and the callback runs at once.
            call.add_done_callback(self._release_abandoned)
            raise

    def _release_abandoned(self, call: "concurrent.futures.Future[Optional[Lock]]") -> None:
        # Runs on a pool thread when the acquisition finishes, or on the event loop when it
        # had already finished: either way only submits, never blocks.
        if call.cancelled() or call.exception() is not None:
            return
        lock = call.result()
        if lock is None:
            return
        try:
            self._pool.submit(_release_quietly, lock)
        except RuntimeError:
            pass  # closed meanwhile: closing released every lock

    def shutdown(self) -> None:
        """Stops taking calls; queued ones still run (and fail with ClosedError after
        close), then the threads exit."""
        self._pool.shutdown(wait=False)


def _release_quietly(lock: Lock) -> None:
    try:
        lock.release()
    except Exception:  # noqa: BLE001 - nobody awaits this; the session end frees it anyway
        log.warning(
            "group_redis.aio: could not release %r after its acquisition was cancelled; "
            "it is freed when the session ends",
            lock,
            exc_info=True,
        )


def _log_unawaited_failure(function: Callable[..., Any], call: concurrent.futures.Future) -> None:
    if not call.cancelled() and call.exception() is not None:
        log.warning(
            "group_redis.aio: %s failed after its caller was cancelled",
            getattr(function, "__name__", function),
            exc_info=call.exception(),
        )
