"""Leader election over the native leadership handle (gr_elect): `Connector.elect(name)`
campaigns in the background and returns a `Leadership`; `Connector.leader(name)` and
`observe_leader(name)` say who leads, for anyone. A campaign waits for the lock
"leader/<name>"; the term's fencing token is that lock's token, which only grows.

SUSPENDED: a leader reports UNSURE and `is_leader()` is False until the lease is renewed.
LOST: it reports FOLLOWER before anyone else can be elected, and campaigns again under its
new session. `resign()` / `close()` give leadership up at once (the next leader is elected
without waiting for a lease)."""

from __future__ import annotations

import ctypes
import threading
import weakref
from ctypes import c_bool, c_uint64, c_void_p
from typing import Any, Callable, Optional

from . import _native, events
from ._native import encode_name, lib
from .errors import ClosedError
from .types import LeaderEvent, LeaderView

# Each event is the whole new state, so folding one into a snapshot is taking it.
LEADER: events.Kind[LeaderEvent] = events.Kind(
    "leadership", LeaderEvent.from_json, LeaderEvent.from_json, lambda _, event: event
)
LEADER_VIEW: events.Kind[LeaderView] = events.Kind(
    "leader", LeaderView.from_json, LeaderView.from_json, lambda _, event: event
)


class LeaderEvents(events._PullSubscription[LeaderEvent]):
    """A leadership's states, pull style; `snapshot` is the state when it subscribed. Ends
    after the final FOLLOWER once resigned, closed, or the connector closed."""


class LeaderViews(events._PullSubscription[LeaderView]):
    """Who leads a name, pull style; `snapshot` is who led when it subscribed, then every
    change ("no leader" included)."""


class Leadership:
    """A campaign for leadership of one name (`Connector.elect`). Thread-safe. A context
    manager: leaving the block resigns and frees it."""

    def __init__(self, handle: c_void_p, name: str):
        self._handle: Optional[c_void_p] = handle
        self._lock = threading.Lock()
        self.name = name
        #: Callback subscriptions, kept until cancelled or their stream ended.
        self._subscriptions: set[events.Subscription] = set()
        self._finalizer = weakref.finalize(self, lib.gr_leadership_free, handle)

    def _live(self) -> c_void_p:
        if self._handle is None:
            raise ClosedError("leadership is closed")
        return self._handle

    def is_leader(self) -> bool:
        """Whether this connector leads now, answered locally: the term is held, the lease
        is good and the connection is not SUSPENDED. False once closed."""
        with self._lock:
            if self._handle is None:
                return False
            out = c_bool()
            _native.check(lib.gr_leadership_is_leader(self._handle, ctypes.byref(out)))
            return bool(out.value)

    def token(self) -> Optional[int]:
        """The term's fencing token while `is_leader()`, else None."""
        with self._lock:
            if self._handle is None:
                return None
            out = c_uint64()
            _native.check(lib.gr_leadership_token(self._handle, ctypes.byref(out)))
            return out.value or None

    def events(self, timeout: Optional[float] = None) -> LeaderEvents:
        """Every change of state from now on, pull style (see `LeaderEvents`)."""
        with self._lock:
            handle = self._live()
            return LeaderEvents(
                lambda out: lib.gr_leadership_subscribe(handle, out), LEADER, timeout
            )

    def on_change(self, callback: Callable[[LeaderEvent], None]) -> events.Subscription:
        """Calls `callback(event)` for every change of state on a dispatcher thread until
        the returned subscription is cancelled or the leadership ends; `.snapshot` of it is
        the state when it started. Kept by the leadership: dropping the returned object does
        not stop it."""
        with self._lock:
            handle = self._live()
            return events.subscribe_callback(
                lambda out: lib.gr_leadership_subscribe(handle, out),
                LEADER,
                callback,
                self._subscriptions,
            )

    def resign(self) -> None:
        """Stops campaigning and gives leadership up now (the lock is released, so the next
        leader is elected at once). Idempotent; returns when done."""
        with self._lock:
            if self._handle is None:
                return
            _native.check(lib.gr_leadership_resign(self._handle))

    def close(self) -> None:
        """Resigns and frees the native handle. Idempotent."""
        with self._lock:
            if self._handle is None:
                return
            self._handle = None
        self._finalizer()  # gr_leadership_free (resigns first), exactly once

    def __enter__(self) -> "Leadership":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Leadership(name={self.name!r}, leader={self.is_leader()})"


class Electing:
    """Leader election on a connector (mixed into `Connector`)."""

    _handle: c_void_p
    _subscriptions: set[events.Subscription]

    def elect(self, name: str) -> Leadership:
        """Campaigns for leadership of `name` as this connector's member id and returns at
        once (see `Leadership`); one campaign per name per connector."""
        native_name = encode_name(name, "leader name")
        handle = c_void_p()
        _native.check(lib.gr_elect(self._handle, native_name, ctypes.byref(handle)))
        return Leadership(handle, name)

    def leader(self, name: str) -> LeaderView:
        """Who leads `name` now, read from Redis."""
        native_name = encode_name(name, "leader name")
        text = c_void_p()
        _native.check(lib.gr_leader(self._handle, native_name, ctypes.byref(text)))
        return LeaderView.from_json(_native.take_json(text))

    def observe_leader(self, name: str, timeout: Optional[float] = None) -> LeaderViews:
        """Who leads `name` (`.snapshot`) and every change after it, pull style."""
        native_name = encode_name(name, "leader name")
        return LeaderViews(
            lambda out: lib.gr_observe_leader(self._handle, native_name, out), LEADER_VIEW, timeout
        )

    def on_leader_change(
        self, name: str, callback: Callable[[LeaderView], None]
    ) -> events.Subscription:
        """Calls `callback(view)` for every change of who leads `name` on a dispatcher
        thread; kept by the connector like `on_member_event`."""
        native_name = encode_name(name, "leader name")
        return events.subscribe_callback(
            lambda out: lib.gr_observe_leader(self._handle, native_name, out),
            LEADER_VIEW,
            callback,
            self._subscriptions,
        )
