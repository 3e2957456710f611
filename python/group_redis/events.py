"""Event subscriptions over the native library's one subscription handle, the same for
every kind of event (membership, connection state, data watches): pull style (blocking
`get` / iteration with a timeout, usable from several threads) and callback style (called
on a dispatcher thread the native library owns; a callback that raises is logged and
delivery goes on). A kind is only how its JSON becomes Python objects (`Kind`).

Callbacks are kept alive in a table keyed by the `user_data` integer handed to C, and the
native destroy callback removes the entry once the library is done with it (the stream
ended or the subscription was freed), so nothing is freed while the dispatcher may still
call it (the wasmtime-py pattern). A callback subscription object is kept by its
connector until it is cancelled or its stream ended (the connector closed, and every event
was delivered), so dropping it does not stop the callbacks.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import logging
import threading
import time
import weakref
from ctypes import c_void_p
from typing import Any, Callable, Generic, Iterator, MutableSet, Optional, TypeVar

from . import _native
from ._native import lib
from .errors import ClosedError
from .types import ConnectionState, DataEvent, DataSnapshot, Entry, Member, MembershipEvent

log = logging.getLogger("group_redis")

T = TypeVar("T")

#: Longest single native wait, so Ctrl-C and close() are noticed while waiting "forever".
_WAIT_SLICE = 0.25


class Kind(Generic[T]):
    """How one kind of event and its snapshot are decoded from their JSON, and how an event
    changes the snapshot (`fold`), so that one native subscription can serve many callbacks
    that subscribed at different times (group_redis.fanout)."""

    def __init__(
        self,
        name: str,
        event: Callable[[Any], T],
        snapshot: Callable[[Any], Any],
        fold: Callable[[Any, T], Any],
    ):
        self.name = name
        self.event = event
        self.snapshot = snapshot
        self.fold = fold


def _fold_members(members: list[Member], event: MembershipEvent) -> list[Member]:
    by_id = {m.id: m for m in members}
    for member in event.left_members:
        by_id.pop(member.id, None)
    for member in event.joined_members + event.updated_members:
        by_id[member.id] = member
    return sorted(by_id.values(), key=lambda m: m.id)


def _fold_data(snapshot: DataSnapshot, event: DataEvent) -> DataSnapshot:
    by_path = {e.path: e for e in snapshot.entries}
    if event.kind == "put":
        by_path[event.path] = Entry(event.path, event.value, event.version)
    else:
        by_path.pop(event.path, None)
    return DataSnapshot(event.revision, sorted(by_path.values(), key=lambda e: e.path))


MEMBERS: Kind[MembershipEvent] = Kind(
    "membership",
    MembershipEvent.from_json,
    lambda s: [Member.from_json(m) for m in s],
    _fold_members,
)
STATE: Kind[ConnectionState] = Kind(
    "connection-state",
    ConnectionState.__getitem__,
    ConnectionState.__getitem__,
    lambda state, event: event,
)
DATA: Kind[DataEvent] = Kind("data", DataEvent.from_json, DataSnapshot.from_json, _fold_data)

#: A native opener with its arguments bound: writes the new handle to its argument.
Opener = Callable[[Any], int]


def open_native(opener: Opener) -> c_void_p:
    """Runs a native opener (gr_subscribe_members, gr_watch, ...) and returns the handle."""
    handle = c_void_p()
    _native.check(opener(ctypes.byref(handle)))
    return handle


def _snapshot(handle: c_void_p, kind: Kind[Any]) -> Any:
    text = c_void_p()
    _native.check(lib.gr_subscription_snapshot(handle, ctypes.byref(text)))
    return kind.snapshot(_native.take_json(text))


_callbacks: dict[int, Callable[[bytes], None]] = {}
#: Called once when the library is done with a subscription (its stream ended, or it was
#: freed): how group_redis.aio learns that a stream ended.
_end_hooks: dict[int, Callable[[], None]] = {}
_callbacks_lock = threading.Lock()
_next_key = itertools.count(1)


@_native.EVENT_CALLBACK  # type: ignore[misc]
def _event_trampoline(event_json: bytes, user_data: Optional[int]) -> None:
    with _callbacks_lock:
        deliver = _callbacks.get(user_data or 0)
    if deliver is not None:
        deliver(event_json)


@_native.DESTROY_CALLBACK  # type: ignore[misc]
def _destroy_trampoline(user_data: Optional[int]) -> None:
    with _callbacks_lock:
        _callbacks.pop(user_data or 0, None)
        on_end = _end_hooks.pop(user_data or 0, None)
    if on_end is not None:
        try:
            on_end()
        except BaseException:  # noqa: BLE001
            log.exception("group_redis: a subscription end hook raised")


class Subscription:
    """A running callback subscription, of any kind. `cancel()` (or leaving the `with`
    block) returns only after the last callback finished. Idempotent; safe from the
    callback itself. Kept alive by its connector until cancelled or its stream ended:
    dropping this object does not stop the callbacks."""

    def __init__(
        self, stop: Callable[[], None], snapshot: Any, keeper: Optional[MutableSet[Any]]
    ):
        self._stop: Optional[Callable[[], None]] = stop
        self._lock = threading.Lock()
        #: What the subscription started from (members, the state, or a DataSnapshot).
        self.snapshot = snapshot
        self._keeper = keeper
        if keeper is not None:
            keeper.add(self)

    def cancel(self) -> None:
        with self._lock:
            stop, self._stop = self._stop, None
        if stop is None:
            return
        self._release()
        stop()

    def _release(self) -> None:
        """The package lets go of it (cancelled, or its stream ended)."""
        if self._keeper is not None:
            self._keeper.discard(self)

    @property
    def active(self) -> bool:
        return self._stop is not None

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cancel()


def subscribe_callback(
    opener: Opener,
    kind: Kind[T],
    callback: Callable[[T], None],
    keeper: Optional[MutableSet[Any]] = None,
    on_end: Optional[Callable[[], None]] = None,
) -> Subscription:
    """Opens a subscription of `kind` and hands every event to `callback` on the native
    dispatcher thread. `keeper` holds the subscription until it is cancelled or its stream
    ended; `on_end` runs once when the library is done with it."""
    if not callable(callback):
        raise TypeError("callback must be callable")
    handle = open_native(opener)
    try:
        snapshot = _snapshot(handle, kind)
    except BaseException:
        lib.gr_subscription_free(handle)
        raise
    subscription = Subscription(lambda: None, snapshot, keeper)
    # Frees the handle exactly once: on cancel, or when the object is collected.
    subscription._stop = weakref.finalize(subscription, lib.gr_subscription_free, handle)

    def deliver(event_json: bytes) -> None:
        try:
            callback(kind.event(json.loads(event_json)))
        except BaseException:  # noqa: BLE001 - a callback must never stop delivery
            log.exception("group_redis: a %s event callback raised; delivery goes on", kind.name)

    def ended() -> None:
        subscription._release()
        if on_end is not None:
            on_end()

    key = next(_next_key)
    with _callbacks_lock:
        _callbacks[key] = deliver
        _end_hooks[key] = ended
    # The library owns `key` from here: on failure it has already run the destroy callback.
    try:
        _native.check(
            lib.gr_subscription_listen(handle, _event_trampoline, c_void_p(key), _destroy_trampoline)
        )
    except BaseException:
        subscription.cancel()
        raise
    return subscription


class _PullSubscription(Generic[T]):
    """Pull style over the one handle, for every kind: sliced waits, iteration, a close that
    waits for in-flight calls so the native handle is never freed under another thread.
    `snapshot` is what it started from."""

    def __init__(self, opener: Opener, kind: Kind[T], timeout: Optional[float] = None):
        handle = open_native(opener)
        self._finalizer = weakref.finalize(self, lib.gr_subscription_free, handle)
        self._handle: Optional[c_void_p] = handle
        self._kind = kind
        self._timeout = timeout
        self._in_flight = 0
        self._idle = threading.Condition()
        #: What the subscription started from (members, the state, or a DataSnapshot).
        self.snapshot: Any = _snapshot(handle, kind)

    def _next_native(self, handle: c_void_p, timeout_ms: int) -> Optional[T]:
        text = c_void_p()
        _native.check(lib.gr_subscription_next(handle, timeout_ms, ctypes.byref(text)))
        raw = _native.take_string(text)
        return None if raw is None else self._kind.event(json.loads(raw))

    def get(self, timeout: Optional[float] = None) -> Optional[T]:
        """The next event, waiting up to `timeout` seconds (None: until one comes).
        Returns None when the time ran out; raises ClosedError once the connector closed
        and every pending event was taken (or after `close()`)."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        with self._idle:
            if self._handle is None:
                raise ClosedError("subscription is closed")
            handle = self._handle
            self._in_flight += 1
        try:
            while True:
                if deadline is None:
                    slice_s = _WAIT_SLICE
                else:
                    slice_s = min(_WAIT_SLICE, max(deadline - time.monotonic(), 0.0))
                event = self._next_native(handle, int(slice_s * 1000))
                if event is not None:
                    return event
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                if self._handle is None:
                    raise ClosedError("subscription is closed")
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def __iter__(self) -> Iterator[T]:
        """Yields events; ends when the subscription's timeout (if any) passes without an
        event, or when the connector closes."""
        while True:
            try:
                event = self.get(self._timeout)
            except ClosedError:
                return
            if event is None:
                return
            yield event

    def close(self) -> None:
        """Stops the subscription (waits for other threads' `get` calls to return)."""
        with self._idle:
            if self._handle is None:
                return
            self._handle = None
            while self._in_flight:
                self._idle.wait()
        self._finalizer()

    def __enter__(self: Any) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class MemberEvents(_PullSubscription[MembershipEvent]):
    """Membership events, pull style; `snapshot` is the members at the start."""


class StateEvents(_PullSubscription[ConnectionState]):
    """Connection-state changes, pull style; `snapshot` is the state when it subscribed."""


class DataEvents(_PullSubscription[DataEvent]):
    """Data changes under a prefix, pull style; `snapshot` is a DataSnapshot."""
