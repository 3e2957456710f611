"""Event subscriptions: pull style (blocking `get` / iteration with a timeout, usable from
several threads) and callback style (called on a dispatcher thread the native library
owns; a callback that raises is logged and delivery goes on).

Callbacks are kept alive in a table keyed by the `user_data` integer handed to C, and the
native destroy callback removes the entry once the library is done with it, so nothing
is freed while the dispatcher may still call it (the wasmtime-py pattern).
"""

from __future__ import annotations

import ctypes
import itertools
import json
import logging
import threading
import time
import weakref
from ctypes import c_int, c_void_p
from typing import Any, Callable, Generic, Iterator, Optional, TypeVar

from . import _native
from ._native import lib
from .errors import ClosedError
from .types import ConnectionState, Member, MembershipEvent

log = logging.getLogger("group_redis")

T = TypeVar("T")

#: Longest single native wait, so Ctrl-C and close() are noticed while waiting "forever".
_WAIT_SLICE = 0.25

_callbacks: dict[int, Callable[..., None]] = {}
#: Called once when the library is done with a subscription (cancelled, or its connector
#: closed): how group_redis.aio learns that a stream ended.
_end_hooks: dict[int, Callable[[], None]] = {}
_callbacks_lock = threading.Lock()
_next_key = itertools.count(1)


def _register(callback: Callable[..., None], on_end: Optional[Callable[[], None]] = None) -> int:
    key = next(_next_key)
    with _callbacks_lock:
        _callbacks[key] = callback
        if on_end is not None:
            _end_hooks[key] = on_end
    return key


def _lookup(user_data: Optional[int]) -> Optional[Callable[..., None]]:
    with _callbacks_lock:
        return _callbacks.get(user_data or 0)


@_native.MEMBER_CALLBACK  # type: ignore[misc]
def _member_trampoline(event_json: bytes, user_data: Optional[int]) -> None:
    callback = _lookup(user_data)
    if callback is None:
        return
    try:
        callback(MembershipEvent.from_json(json.loads(event_json)))
    except BaseException:  # noqa: BLE001 - a callback must never stop delivery
        log.exception("group_redis: a membership event callback raised; delivery goes on")


@_native.STATE_CALLBACK  # type: ignore[misc]
def _state_trampoline(state: int, user_data: Optional[int]) -> None:
    callback = _lookup(user_data)
    if callback is None:
        return
    try:
        callback(ConnectionState(state))
    except BaseException:  # noqa: BLE001
        log.exception("group_redis: a connection-state callback raised; delivery goes on")


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
    """A running callback subscription. `cancel()` (or leaving the `with` block) returns
    only after the last callback finished. Idempotent; safe from the callback itself."""

    def __init__(self, handle: c_void_p, snapshot: Optional[list[Member]] = None):
        self._handle: Optional[c_void_p] = handle
        self._lock = threading.Lock()
        #: The members when the subscription started (membership subscriptions only).
        self.snapshot: Optional[list[Member]] = snapshot
        self._finalizer = weakref.finalize(self, lib.gr_subscription_cancel, handle)

    def cancel(self) -> None:
        with self._lock:
            if self._handle is None:
                return
            self._handle = None
        self._finalizer()  # gr_subscription_cancel, exactly once

    @property
    def active(self) -> bool:
        return self._handle is not None

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cancel()


def subscribe_member_callback(
    conn: c_void_p,
    callback: Callable[[MembershipEvent], None],
    on_end: Optional[Callable[[], None]] = None,
) -> Subscription:
    if not callable(callback):
        raise TypeError("callback must be callable")
    key = _register(callback, on_end)
    handle = c_void_p()
    snapshot = c_void_p()
    # The library owns `key` from here: on failure it has already run the destroy callback.
    _native.check(
        lib.gr_on_member_event(
            conn,
            _member_trampoline,
            c_void_p(key),
            _destroy_trampoline,
            ctypes.byref(handle),
            ctypes.byref(snapshot),
        )
    )
    members = [Member.from_json(m) for m in _native.take_json(snapshot) or []]
    return Subscription(handle, members)


def subscribe_state_callback(
    conn: c_void_p,
    callback: Callable[[ConnectionState], None],
    on_end: Optional[Callable[[], None]] = None,
) -> Subscription:
    if not callable(callback):
        raise TypeError("callback must be callable")
    key = _register(callback, on_end)
    handle = c_void_p()
    _native.check(
        lib.gr_on_state_change(
            conn, _state_trampoline, c_void_p(key), _destroy_trampoline, ctypes.byref(handle)
        )
    )
    return Subscription(handle)


class _PullSubscription(Generic[T]):
    """Shared logic of the pull subscriptions: sliced waits, iteration, a close that waits
    for in-flight calls so the native handle is never freed under another thread."""

    _free: Callable[[c_void_p], None]

    def __init__(self, handle: c_void_p, timeout: Optional[float]):
        self._handle: Optional[c_void_p] = handle
        self._timeout = timeout
        self._in_flight = 0
        self._idle = threading.Condition()
        self._finalizer = weakref.finalize(self, type(self)._free, handle)

    def _next_native(self, handle: c_void_p, timeout_ms: int) -> Optional[T]:
        raise NotImplementedError

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

    _free = lib.gr_member_subscription_free

    def __init__(self, handle: c_void_p, snapshot: list[Member], timeout: Optional[float]):
        super().__init__(handle, timeout)
        self.snapshot = snapshot

    def _next_native(self, handle: c_void_p, timeout_ms: int) -> Optional[MembershipEvent]:
        text = c_void_p()
        _native.check(lib.gr_member_subscription_next(handle, timeout_ms, ctypes.byref(text)))
        data = _native.take_json(text)
        return None if data is None else MembershipEvent.from_json(data)


class StateEvents(_PullSubscription[ConnectionState]):
    """Connection-state changes, pull style."""

    _free = lib.gr_state_subscription_free

    def _next_native(self, handle: c_void_p, timeout_ms: int) -> Optional[ConnectionState]:
        state = c_int(0)
        _native.check(lib.gr_state_subscription_next(handle, timeout_ms, ctypes.byref(state)))
        return None if state.value == 0 else ConnectionState(state.value)


def subscribe_members(conn: c_void_p, timeout: Optional[float]) -> MemberEvents:
    handle = c_void_p()
    snapshot = c_void_p()
    _native.check(lib.gr_subscribe_members(conn, ctypes.byref(handle), ctypes.byref(snapshot)))
    members = [Member.from_json(m) for m in _native.take_json(snapshot) or []]
    return MemberEvents(handle, members, timeout)


def subscribe_state(conn: c_void_p, timeout: Optional[float]) -> StateEvents:
    handle = c_void_p()
    _native.check(lib.gr_subscribe_state(conn, ctypes.byref(handle)))
    return StateEvents(handle, timeout)
