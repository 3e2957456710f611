"""Service discovery over the native provider handle (gr_service_provider):
`Connector.service_provider(strategy=..., sub_group=..., election=...)` keeps a live,
event-fed cache of the group's online members (of `sub_group` only, when given) and picks
one to call with `instance()`.

Strategies: "random", "round-robin" (the default), "sticky", "first" (the member that
joined first: every caller picks the same one) and "leader" (the member leading the
election `election` now, followed as `observe_leader` follows it); "all" is `instances()`.
`note_error(member_id)` takes a member out for `down_for` seconds after `error_threshold`
errors (Curator's DownInstancePolicy). `events()` / `on_change()` tell which members were
added, removed (left, went offline, left the sub-group) or updated (e.g. a new payload).

The provider holds no lease: while the connector is cut off it serves what it last knew,
and once reconnected the cache catches up (resyncing after a gap in history) and tells
subscribers the difference. Picks and `instances()` are answered locally, without I/O."""

from __future__ import annotations

import ctypes
import threading
import weakref
from ctypes import c_void_p
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from . import _native, events
from ._native import encode_json, encode_name, lib
from .errors import ClosedError
from .types import Member

#: The strategies `service_provider` accepts.
STRATEGIES = ("random", "round-robin", "sticky", "first", "leader")


@dataclass(frozen=True)
class InstancesChanged:
    """A change of a provider's instances: who was added, removed (their last record) and
    updated (a changed record, e.g. its payload); `view` is the membership view after it."""

    added: list[Member] = field(default_factory=list)
    removed: list[Member] = field(default_factory=list)
    updated: list[Member] = field(default_factory=list)
    view: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "InstancesChanged":
        return cls(
            added=[Member.from_json(m) for m in data.get("added", [])],
            removed=[Member.from_json(m) for m in data.get("removed", [])],
            updated=[Member.from_json(m) for m in data.get("updated", [])],
            view=int(data.get("view", 0)),
        )


def _members(data: Any) -> list[Member]:
    return [Member.from_json(m) for m in data]


def _fold(instances: list[Member], change: InstancesChanged) -> list[Member]:
    by_id = {m.id: m for m in instances}
    for member in change.removed:
        by_id.pop(member.id, None)
    for member in change.added + change.updated:
        by_id[member.id] = member
    return sorted(by_id.values(), key=lambda m: m.id)


CHANGES: events.Kind[InstancesChanged] = events.Kind(
    "provider", InstancesChanged.from_json, _members, _fold
)


class InstanceEvents(events._PullSubscription[InstancesChanged]):
    """A provider's changes, pull style; `snapshot` is the instances (a list of `Member`)
    when it subscribed. Ends when the provider is closed or the connector closes."""


class ServiceProvider:
    """A service provider (`Connector.service_provider`). Thread-safe; a context manager
    (leaving the block stops its cache)."""

    def __init__(self, handle: c_void_p, strategy: str):
        self._handle: Optional[c_void_p] = handle
        self._lock = threading.Lock()
        self.strategy = strategy
        self._subscriptions: set[events.Subscription] = set()
        self._finalizer = weakref.finalize(self, lib.gr_provider_free, handle)

    def _live(self) -> c_void_p:
        if self._handle is None:
            raise ClosedError("service provider is closed")
        return self._handle

    def instance(self) -> Optional[Member]:
        """One instance picked by the strategy among those not taken out by `note_error`
        (among all when every one is); None when there is none (for "leader": nobody leads,
        or the leader is offline or outside the sub-group). Local, no I/O."""
        with self._lock:
            text = c_void_p()
            _native.check(lib.gr_provider_instance(self._live(), ctypes.byref(text)))
            data = _native.take_json(text)
            return None if data is None else Member.from_json(data)

    def instances(self) -> list[Member]:
        """Every instance now (the "all" strategy), sorted by id, including those taken out
        by `note_error`. Local, no I/O."""
        with self._lock:
            text = c_void_p()
            _native.check(lib.gr_provider_instances(self._live(), ctypes.byref(text)))
            return _members(_native.take_json(text))

    def note_error(self, member_id: str) -> None:
        """Notes a failed call to `member_id`: after `error_threshold` errors, each within
        `down_for` of the previous, it is not picked for `down_for` seconds (unless no other
        instance is left)."""
        native_id = encode_name(member_id, "member id")
        with self._lock:
            _native.check(lib.gr_provider_note_error(self._live(), native_id))

    def events(self, timeout: Optional[float] = None) -> InstanceEvents:
        """Every change of the instances, pull style (see `InstanceEvents`)."""
        with self._lock:
            handle = self._live()
            return InstanceEvents(lambda out: lib.gr_provider_subscribe(handle, out), CHANGES, timeout)

    def on_change(self, callback: Callable[[InstancesChanged], None]) -> events.Subscription:
        """Calls `callback(change)` on a dispatcher thread for every change of the
        instances; kept by the provider until cancelled or it ends. `.snapshot` of the
        returned subscription is the instances when it started."""
        with self._lock:
            handle = self._live()
            return events.subscribe_callback(
                lambda out: lib.gr_provider_subscribe(handle, out), CHANGES, callback, self._subscriptions
            )

    def close(self) -> None:
        """Stops the cache and frees the native handle (its subscriptions end). Idempotent."""
        with self._lock:
            if self._handle is None:
                return
            self._handle = None
        self._finalizer()  # gr_provider_free, exactly once

    def __enter__(self) -> "ServiceProvider":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServiceProvider(strategy={self.strategy!r})"


def provider_options(
    strategy: str,
    sub_group: Optional[str],
    election: Optional[str],
    down_for: Optional[float],
    error_threshold: Optional[int],
) -> bytes:
    """The options as gr_service_provider reads them (JSON); None fields are left out."""
    options: dict[str, Any] = {"strategy": strategy}
    if sub_group is not None:
        options["sub_group"] = sub_group
    if election is not None:
        options["election"] = election
    if down_for is not None:
        options["down_for_ms"] = int(down_for * 1000)
    if error_threshold is not None:
        options["error_threshold"] = error_threshold
    return encode_json(options, "provider options")


class Discovering:
    """Service discovery on a connector (mixed into `Connector`)."""

    _handle: c_void_p

    def service_provider(
        self,
        strategy: str = "round-robin",
        sub_group: Optional[str] = None,
        *,
        election: Optional[str] = None,
        down_for: Optional[float] = None,
        error_threshold: Optional[int] = None,
    ) -> ServiceProvider:
        """A provider over the group's online members (of `sub_group`, when given) that
        picks by `strategy` (see `STRATEGIES`; "leader" needs `election`, the name passed to
        `elect`). `down_for` (seconds, default 30) and `error_threshold` (default 2) tune
        `note_error`. Raises InvalidArgumentError for an unknown strategy."""
        options = provider_options(strategy, sub_group, election, down_for, error_threshold)
        handle = c_void_p()
        _native.check(lib.gr_service_provider(self._handle, options, ctypes.byref(handle)))
        return ServiceProvider(handle, strategy)
