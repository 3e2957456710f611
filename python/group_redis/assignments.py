"""Controlled assignments over the native assignment handle (gr_assignments):
`Connector.assignments(topic, ids, sub_group=None)` takes part in distributing `ids` among
the participants of a topic and returns an `Assignment` whose share (`AssignmentEvent`:
the ids this member owns, the record's epoch, a fencing token per id) changes as members
come and go. An id moves only after its previous owner let it go or its session ended; a
participant that loses its lease (LOST) drops its share at once."""

from __future__ import annotations

import ctypes
import threading
import weakref
from ctypes import c_void_p
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from . import _native, events
from ._native import encode_json, encode_name, lib
from .errors import ClosedError


@dataclass(frozen=True)
class AssignmentEvent:
    """A participant's share: the ids it owns, the leader's record epoch, and each id's
    fencing token (grows with every assignment of the id: pass it to the resource)."""

    member: str
    epoch: int
    ids: list[str]
    tokens: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "AssignmentEvent":
        return cls(
            member=data["member"],
            epoch=int(data.get("epoch", 0)),
            ids=list(data.get("ids", [])),
            tokens={k: int(v) for k, v in data.get("tokens", {}).items()},
        )


SHARE: events.Kind[AssignmentEvent] = events.Kind(
    "assignment", AssignmentEvent.from_json, AssignmentEvent.from_json, lambda _, event: event
)


class AssignmentEvents(events._PullSubscription[AssignmentEvent]):
    """A participant's share, pull style; `snapshot` is the share when it subscribed."""


class Assignment:
    """Taking part in one assignment topic. Thread-safe; a context manager (leaving the
    block leaves the topic: the ids move to the others at once)."""

    def __init__(self, handle: c_void_p, topic: str):
        self._handle: Optional[c_void_p] = handle
        self._lock = threading.Lock()
        self.topic = topic
        self._subscriptions: set[events.Subscription] = set()
        self._finalizer = weakref.finalize(self, lib.gr_assignment_free, handle)

    def _live(self) -> c_void_p:
        if self._handle is None:
            raise ClosedError("assignment is closed")
        return self._handle

    def share(self) -> AssignmentEvent:
        """This participant's share now."""
        with self._lock:
            text = c_void_p()
            _native.check(lib.gr_assignment_share(self._live(), ctypes.byref(text)))
            return AssignmentEvent.from_json(_native.take_json(text))

    def events(self, timeout: Optional[float] = None) -> AssignmentEvents:
        """Every change of the share, pull style."""
        with self._lock:
            handle = self._live()
            return AssignmentEvents(lambda out: lib.gr_assignment_subscribe(handle, out), SHARE, timeout)

    def on_change(self, callback: Callable[[AssignmentEvent], None]) -> events.Subscription:
        """Calls `callback(share)` on a dispatcher thread each time the share changes; kept
        by the assignment until cancelled or it ends."""
        with self._lock:
            handle = self._live()
            return events.subscribe_callback(
                lambda out: lib.gr_assignment_subscribe(handle, out), SHARE, callback, self._subscriptions
            )

    def close(self) -> None:
        """Leaves the topic and frees the native handle. Idempotent."""
        with self._lock:
            if self._handle is None:
                return
            self._handle = None
        self._finalizer()  # gr_assignment_free (leaves first), exactly once

    def __enter__(self) -> "Assignment":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Assigning:
    """Controlled assignments on a connector (mixed into `Connector`)."""

    _handle: c_void_p

    def assignments(
        self, topic: str, ids: Sequence[str], sub_group: Optional[str] = None
    ) -> Assignment:
        """Takes part in assigning `ids` among the participants of `topic` (of
        `sub_group` only, when given: the members must have joined it). Every participant
        passes the id set; the leader's is used."""
        native_topic = encode_name(topic, "assignment topic")
        ids_json = encode_json(list(ids), "ids")
        native_sub_group = encode_name(sub_group, "sub-group", optional=True)
        handle = c_void_p()
        _native.check(
            lib.gr_assignments(self._handle, native_topic, ids_json, native_sub_group, ctypes.byref(handle))
        )
        return Assignment(handle, topic)
