"""One native subscription shared by every Python callback of one kind (and prefix) on one
connector. Python callbacks run one at a time under the GIL anyway; giving each its own
native subscription costs a Redis reader and a dispatcher thread each, and a GIL hand-off
per callback per event. Here one native dispatcher thread decodes each event once and calls
the callbacks in the order they subscribed.

A callback that subscribes later starts from the current state: the first snapshot with
every event since folded in (`Kind.fold`), taken under the same lock the dispatcher applies
events under, so it gets exactly the events after its snapshot, in order, once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, Generic, MutableSet, Optional, TypeVar

from . import events

log = logging.getLogger("group_redis")

T = TypeVar("T")


class Fanout(Generic[T]):
    """The shared native subscription and its callbacks."""

    def __init__(self, opener: events.Opener, kind: events.Kind[T], on_end: Callable[[], None]):
        self._kind = kind
        self._on_end = on_end
        self._lock = threading.Condition()
        self._callbacks: Dict[int, tuple[Callable[[T], None], events.Subscription]] = {}
        self._next_key = 0
        #: The key of the callback running now, and on which thread.
        self._running: Optional[int] = None
        self._dispatcher: Optional[int] = None
        self.ended = False
        # Held while opening: an event the dispatcher delivers at once waits for the state.
        with self._lock:
            self._native = events.subscribe_callback(opener, kind, self._dispatch, None, self._end)
            self._state = self._native.snapshot

    def add(self, callback: Callable[[T], None], keeper: MutableSet[Any]) -> events.Subscription:
        with self._lock:
            if self.ended:
                raise events.ClosedError("subscription ended: its connector was closed")
            key = self._next_key
            self._next_key += 1
            subscription = events.Subscription(lambda: self._remove(key), self._state, keeper)
            self._callbacks[key] = (callback, subscription)
            return subscription

    def _remove(self, key: int) -> None:
        """Cancels one callback: waits for its running call unless called from inside it;
        the last one closes the native subscription."""
        with self._lock:
            self._callbacks.pop(key, None)
            if threading.get_ident() != self._dispatcher:
                self._lock.wait_for(lambda: self._running != key)
            last = not self._callbacks and not self.ended
            if last:
                self.ended = True
        if last:
            self._on_end()
            self._native.cancel()

    def _dispatch(self, event: T) -> None:
        with self._lock:
            self._dispatcher = threading.get_ident()
            self._state = self._kind.fold(self._state, event)
            keys = list(self._callbacks)
        for key in keys:
            with self._lock:
                entry = self._callbacks.get(key)
                if entry is None:
                    continue  # cancelled meanwhile
                self._running = key
            try:
                entry[0](event)
            except BaseException:  # noqa: BLE001 - a callback must never stop delivery
                log.exception(
                    "group_redis: a %s event callback raised; delivery goes on", self._kind.name
                )
            finally:
                with self._lock:
                    self._running = None
                    self._lock.notify_all()

    def _end(self) -> None:
        """The native stream ended (the connector closed): every callback is done."""
        with self._lock:
            self.ended = True
            entries = list(self._callbacks.values())
            self._callbacks.clear()
        for _, subscription in entries:
            subscription._stop = None
            subscription._release()
        self._on_end()


_registry_lock = threading.Lock()


def subscribe(
    registry: Dict[Any, "Fanout[Any]"],
    key: Any,
    opener: events.Opener,
    kind: events.Kind[T],
    callback: Callable[[T], None],
    keeper: MutableSet[Any],
) -> events.Subscription:
    """`callback` on the connector's shared subscription `key` (opened on first use)."""
    if not callable(callback):
        raise TypeError("callback must be callable")
    with _registry_lock:
        fanout = registry.get(key)
        if fanout is None or fanout.ended:

            def forget() -> None:
                with _registry_lock:
                    if registry.get(key) is fanout:
                        del registry[key]

            fanout = Fanout(opener, kind, forget)
            registry[key] = fanout
        return fanout.add(callback, keeper)
