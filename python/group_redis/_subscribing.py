"""The connector's subscriptions, every kind over the one native handle: pull style
(`member_events`, `state_events`, `watch`, `watch_ephemeral`) and callback style
(`on_member_event`, `on_state_change`, `on_data_event`). Mixed into `Connector`."""

from __future__ import annotations

from ctypes import c_void_p
from typing import Any, Callable, Optional

from . import events, fanout
from ._native import encode_name, lib
from .errors import InvalidArgumentError
from .types import ConnectionState, DataEvent, MembershipEvent


def _revision(from_revision: Optional[int]) -> int:
    """None (start from now) crosses as 0, as every "none" does."""
    if from_revision is None:
        return 0
    if isinstance(from_revision, bool) or not isinstance(from_revision, int):
        raise TypeError("from_revision must be an int or None")
    if from_revision < 1:
        raise InvalidArgumentError("from_revision must be at least 1 (None: from now)")
    return from_revision


class Subscribing:
    """Subscriptions of a connector (see the module docs)."""

    _handle: c_void_p
    #: Callback subscriptions, kept until cancelled or their stream ended.
    _subscriptions: set[events.Subscription]
    #: The native subscriptions the callbacks share, by kind (and prefix).
    _fanouts: dict[Any, "fanout.Fanout[Any]"]

    def _data_opener(self, prefix: str, from_revision: Optional[int], ephemeral: bool) -> Any:
        native_prefix = encode_name(prefix, "prefix")
        revision = _revision(from_revision)
        opener = lib.gr_watch_ephemeral if ephemeral else lib.gr_watch
        return lambda out: opener(self._handle, native_prefix, revision, out)

    def member_events(self, timeout: Optional[float] = None) -> events.MemberEvents:
        """Membership events, pull style: `.snapshot` (the members at the start), then
        `.get(timeout)` or iteration (which ends when `timeout` seconds pass without an
        event, or the connector closes). Several threads may pull from one subscription;
        each event goes to one of them."""
        return events.MemberEvents(
            lambda out: lib.gr_subscribe_members(self._handle, out), events.MEMBERS, timeout
        )

    def state_events(self, timeout: Optional[float] = None) -> events.StateEvents:
        """Connection-state changes, pull style (like `member_events`); `.snapshot` is the
        state when it subscribed, CLOSED the last event."""
        return events.StateEvents(
            lambda out: lib.gr_subscribe_state(self._handle, out), events.STATE, timeout
        )

    def watch(
        self, prefix: str = "", from_revision: Optional[int] = None, timeout: Optional[float] = None
    ) -> events.DataEvents:
        """Persistent data under `prefix` ("" : all), pull style: `.snapshot` (a
        DataSnapshot: the entries with their versions and the revision), then one DataEvent
        per change, in order, each exactly once. `from_revision` resumes after that
        revision (if that history is gone, resync events carry the difference)."""
        opener = self._data_opener(prefix, from_revision, ephemeral=False)
        return events.DataEvents(opener, events.DATA, timeout)

    def watch_ephemeral(
        self, prefix: str = "", from_revision: Optional[int] = None, timeout: Optional[float] = None
    ) -> events.DataEvents:
        """`watch` over ephemeral keys; a key that goes with its session when the lease runs
        out gives kind "expired"."""
        opener = self._data_opener(prefix, from_revision, ephemeral=True)
        return events.DataEvents(opener, events.DATA, timeout)

    def _shared(self, key: Any, opener: Any, kind: Any, callback: Any) -> events.Subscription:
        return fanout.subscribe(self._fanouts, key, opener, kind, callback, self._subscriptions)

    def on_member_event(self, callback: Callable[[MembershipEvent], None]) -> events.Subscription:
        """Calls `callback(event)` for every membership event on a dispatcher thread until
        the returned subscription is cancelled or the connector closes (the connector keeps
        it: dropping the returned object does not stop it). `.snapshot` of the returned
        subscription is the members its events start from. The callbacks of one kind on one
        connector share one native subscription and its dispatcher thread, and run in the
        order they subscribed (see group_redis.fanout)."""
        opener = lambda out: lib.gr_subscribe_members(self._handle, out)  # noqa: E731
        return self._shared("members", opener, events.MEMBERS, callback)

    def on_state_change(self, callback: Callable[[ConnectionState], None]) -> events.Subscription:
        """Calls `callback(state)` for every connection-state change on a dispatcher thread
        (CLOSED is the last one); kept and shared like `on_member_event`."""
        opener = lambda out: lib.gr_subscribe_state(self._handle, out)  # noqa: E731
        return self._shared("state", opener, events.STATE, callback)

    def on_data_event(
        self,
        prefix: str,
        callback: Callable[[DataEvent], None],
        *,
        from_revision: Optional[int] = None,
        ephemeral: bool = False,
    ) -> events.Subscription:
        """Calls `callback(event)` for every change of the data under `prefix` (ephemeral
        keys with `ephemeral=True`) on a dispatcher thread; `.snapshot` of the returned
        subscription is where it started. Kept like `on_member_event`, and shared like it
        unless it resumes `from_revision`."""
        opener = self._data_opener(prefix, from_revision, ephemeral)
        if from_revision is not None:
            return events.subscribe_callback(opener, events.DATA, callback, self._subscriptions)
        return self._shared(("data", prefix, ephemeral), opener, events.DATA, callback)
