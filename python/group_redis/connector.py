"""The connector: one process's handle on one group (membership, locks, data, events)."""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from ctypes import byref, c_bool, c_char_p, c_int, c_uint64, c_void_p
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import warnings

from . import _native, events, logs
from ._subscribing import Subscribing
from .assignments import Assigning
from .discovery import Discovering
from .leader import Electing
from .messages import Messaging
from .lock import Lock
from ._native import encode_json, encode_name, lib
from .errors import InvalidArgumentError, LockNotAcquiredError, Status
from .types import ConnectionState, Entry, LockHolder, LockStatus, Member, Versioned

__all__ = ["connect", "Connector", "Lock", "DEFAULT_URL"]

#: Used when neither `url` nor $REDIS_URL (or the older $GROUP_REDIS_URL) is given.
DEFAULT_URL = "redis://127.0.0.1:6379"

_MISSING: Any = object()


def default_url() -> str:
    """$REDIS_URL (the variable grctl and the examples read), then $GROUP_REDIS_URL (this
    package's older name), then DEFAULT_URL."""
    return os.environ.get("REDIS_URL") or os.environ.get("GROUP_REDIS_URL") or DEFAULT_URL


def _wait_argument(wait: Any, timeout: Any, default: Any) -> Any:
    """`wait`, the README's name in every language; `timeout`, this package's older name
    for it, still works with a DeprecationWarning."""
    if timeout is _MISSING:
        return default if wait is _MISSING else wait
    if wait is not _MISSING:
        raise TypeError("pass wait, not both wait and its old name timeout")
    warnings.warn("the lock argument timeout is now called wait", DeprecationWarning, stacklevel=3)
    return timeout

#: Longest single native lock wait, so a wait without limit stays interruptible.
_LOCK_WAIT_SLICE_MS = 1000


def _ms(seconds: Optional[float], what: str) -> Optional[int]:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number of seconds")
    if seconds < 0 or seconds != seconds:
        raise InvalidArgumentError(f"{what} must be a non-negative number of seconds")
    if seconds == float("inf"):
        return 2**62
    # Clamped to the C side's 64-bit milliseconds (ctypes would wrap a larger int around);
    # 2**62 ms is over 100 million years, which is "without limit" in practice.
    return min(int(round(seconds * 1000)), 2**62)


def connect(
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
) -> "Connector":
    """Connects to Redis and starts a session (lease `session_timeout` seconds, renewed
    every `heartbeat` seconds, default a third of it). Does not join: call `join()`.

    `url` defaults to $REDIS_URL, then $GROUP_REDIS_URL, then redis://127.0.0.1:6379. `member_id` defaults
    to "<hostname>-<pid>". `payload` is any JSON-serialisable object members join with.
    `tls_root_cert` (PEM text) is the CA to trust for a `rediss://` server with a private CA
    (for `rediss+sentinel://`, the Sentinels' and the master's).
    `max_lease` (seconds) is the longest session timeout any member of the group uses
    (default: `session_timeout`): after Redis restarted without the group's data, the first
    lock grant waits this long from the server's start (docs/SAFETY.md).
    `wait_replicas` (default 0: off) makes a lock grant count only once that many replicas
    of the Redis master acknowledged it (Redis WAIT), waiting up to `wait_replicas_timeout`
    seconds (below `command_timeout`); a grant not acknowledged in time is given back and
    the lock call raises OperationTimeoutError (docs/SAFETY.md, docs/DEPLOYMENT.md).
    Raises ConnectionFailedError when Redis cannot be reached and InvalidArgumentError for
    bad options. The library's log records go to the ``group_redis`` loggers (see
    `group_redis.logs`); their levels are read again here.
    """
    logs.refresh_for_connect()
    if url is None:
        url = default_url()
    if isinstance(sub_groups, str):
        raise TypeError("sub_groups must be a sequence of names, not one str")
    url_bytes = encode_name(url, "url")
    options = c_void_p()
    _native.check(lib.gr_options_new(byref(options)))
    try:
        _native.check(lib.gr_options_set_group(options, encode_name(group, "group")))
        if member_id is not None:
            _native.check(lib.gr_options_set_member_id(options, encode_name(member_id, "member_id")))
        _native.check(
            lib.gr_options_set_session_timeout_ms(options, _ms(session_timeout, "session_timeout"))
        )
        if heartbeat is not None:
            _native.check(lib.gr_options_set_heartbeat_ms(options, _ms(heartbeat, "heartbeat")))
        _native.check(
            lib.gr_options_set_command_timeout_ms(options, _ms(command_timeout, "command_timeout"))
        )
        if max_lease is not None:
            _native.check(lib.gr_options_set_max_lease_ms(options, _ms(max_lease, "max_lease")))
        if wait_replicas:
            if wait_replicas < 0:
                raise InvalidArgumentError("wait_replicas must not be negative")
            _native.check(
                lib.gr_options_set_wait_replicas(
                    options, wait_replicas, _ms(wait_replicas_timeout, "wait_replicas_timeout")
                )
            )
        names = [encode_name(s, "sub-group") for s in sub_groups]
        array = (c_char_p * max(len(names), 1))(*names)
        _native.check(lib.gr_options_set_sub_groups(options, array, len(names)))
        if payload is not None:
            _native.check(lib.gr_options_set_payload(options, encode_json(payload, "payload")))
        if tls_root_cert is not None:
            pem = tls_root_cert.decode("ascii") if isinstance(tls_root_cert, bytes) else tls_root_cert
            _native.check(lib.gr_options_set_tls_root_cert(options, encode_name(pem, "tls_root_cert")))
        handle = c_void_p()
        _native.check(lib.gr_connect(url_bytes, options, byref(handle)))
    finally:
        lib.gr_options_free(options)
    return Connector(handle)


class Connector(Subscribing, Messaging, Electing, Assigning, Discovering):
    """A client's handle on one group. Create with `connect()`. Every method is safe to
    call from many threads at once, and blocking calls release the GIL. A context manager:
    leaving the `with` block closes it."""

    def __init__(self, handle: c_void_p):
        self._handle = handle
        self._closed = False
        self._close_lock = threading.Lock()
        self._subscriptions: set[events.Subscription] = set()
        self._fanouts: dict[Any, Any] = {}
        # Frees the native handle (closing it first) when this object is collected or at
        # interpreter exit; never while a method runs, since the method holds `self`.
        self._finalizer = weakref.finalize(self, lib.gr_connector_free, handle)

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Leaves every member, releases every lock, deletes the ephemeral keys, stops the
        heartbeat and ends subscriptions. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        _native.check(lib.gr_connector_close(self._handle))

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Connector":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _string(self, function: Callable[..., int], *args: Any) -> Optional[str]:
        out = c_void_p()
        _native.check(function(self._handle, *args, byref(out)))
        return _native.take_string(out)

    def _json(self, function: Callable[..., int], *args: Any) -> Any:
        out = c_void_p()
        _native.check(function(self._handle, *args, byref(out)))
        return _native.take_json(out)

    # -- identity and state --------------------------------------------------------------

    @property
    def session_id(self) -> str:
        """The current session id (changes when a lost session is replaced)."""
        return self._string(lib.gr_connector_session_id) or ""

    @property
    def member_id(self) -> str:
        """The configured member id (used when a member argument is None)."""
        return self._string(lib.gr_connector_member_id) or ""

    @property
    def state(self) -> ConnectionState:
        """CONNECTED, SUSPENDED, LOST or CLOSED, answered locally."""
        out = c_int(0)
        _native.check(lib.gr_connector_state(self._handle, byref(out)))
        return ConnectionState(out.value)

    # -- membership ------------------------------------------------------------------------

    def join(self, member_id: Optional[str] = None, payload: Any = None) -> Member:
        """Joins as `member_id` (default: the configured one) with the connector's
        sub-groups and `payload` (default: the configured payload). Joining again updates
        the record. Raises MemberExistsError when another live session holds the id."""
        out = c_void_p()
        _native.check(
            lib.gr_join(
                self._handle,
                encode_name(member_id, "member_id", optional=True),
                None if payload is None else encode_json(payload, "payload"),
                byref(out),
            )
        )
        return Member.from_json(_native.take_json(out))

    def leave(self, member_id: Optional[str] = None) -> bool:
        """Leaves as `member_id`; False when this connector was not that member."""
        left = c_bool(False)
        _native.check(
            lib.gr_leave(
                self._handle, encode_name(member_id, "member_id", optional=True), byref(left)
            )
        )
        return left.value

    def members(self) -> list[Member]:
        """Every live member, sorted by id (one round trip)."""
        return [Member.from_json(m) for m in self._json(lib.gr_members)]

    def take_restore_failures(self) -> list[dict[str, str]]:
        """What could not be restored when a lost session was replaced.

        A member id or ephemeral key another process took while this one was gone: each
        entry has ``kind`` ("member" or "ephemeral"), ``name`` and ``error``, oldest first;
        the list is emptied. Filled before RECONNECTED is delivered, so a state listener may
        call this on RECONNECTED.
        """
        failures: list[dict[str, str]] = self._json(lib.gr_take_restore_failures)
        return failures

    def update_payload(self, member_id: Optional[str] = None, payload: Any = _MISSING) -> None:
        """Replaces the payload of `member_id` (None: the configured member), which this
        connector joined: `update_payload(member_id, payload)`, the order of C and Java.
        With one argument, `update_payload(payload)`, it is the configured member's."""
        if payload is _MISSING:
            member_id, payload = None, member_id
        _native.check(
            lib.gr_update_payload(
                self._handle,
                encode_name(member_id, "member_id", optional=True),
                encode_json(payload, "payload"),
            )
        )

    def set_online(self, member_id: Optional[str] = None, online: bool = True) -> None:
        """Sets `member_id` (None: the configured member), which this connector joined,
        online or offline without leaving: `members()` shows the flag (`"online"`) and
        subscribers see an update event. Members join online; the flag is restored with the
        payload after a reconnect."""
        _native.check(
            lib.gr_set_online(
                self._handle, encode_name(member_id, "member_id", optional=True), bool(online)
            )
        )

    def add_sub_group(self, sub_group: str) -> None:
        """Adds a sub-group and updates every member this connector joined."""
        _native.check(lib.gr_add_sub_group(self._handle, encode_name(sub_group, "sub_group")))

    def remove_sub_group(self, sub_group: str) -> None:
        """Removes a sub-group and updates every member this connector joined."""
        _native.check(lib.gr_remove_sub_group(self._handle, encode_name(sub_group, "sub_group")))

    @property
    def sub_groups(self) -> list[str]:
        """The sub-groups members of this connector join with."""
        return list(self._json(lib.gr_sub_groups))

    # -- locks -------------------------------------------------------------------------------

    def _acquire(
        self, name: str, member: Optional[str], reentrant: bool, wait_ms: int
    ) -> Optional[Lock]:
        native_name = encode_name(name, "lock name")
        native_member = encode_name(member, "member", optional=True)
        token = c_uint64(0)
        # The lock calls and is_held test the status inline rather than through
        # _native.check: the extra Python call is a measurable part of is_held.
        status = lib.gr_acquire(
            self._handle, native_member, native_name, reentrant, wait_ms, byref(token)
        )
        if status:
            raise _native.error(status)
        value = token.value
        return Lock(self, name, value, member, native_name, native_member) if value else None

    def lock(self, name: str, member: Optional[str] = None) -> Optional[Lock]:
        """Takes the exclusive lock `name` without waiting (as `member`, default the
        configured member). Returns a Lock carrying the fencing token, or None when it is
        held, by anyone (this member too: not re-entrant)."""
        return self._acquire(name, member, False, 0)

    def reentrant_lock(self, name: str, member: Optional[str] = None) -> Optional[Lock]:
        """Takes `name` re-entrantly: a holder taking it again adds a hold (same token);
        each release removes one."""
        return self._acquire(name, member, True, 0)

    def try_lock(
        self,
        name: str,
        wait: Optional[float] = _MISSING,
        member: Optional[str] = None,
        *,
        reentrant: bool = False,
        timeout: Optional[float] = _MISSING,
    ) -> Optional[Lock]:
        """Takes `name`, waiting up to `wait` seconds (None: until it is free) for the
        holder's release. Returns None when the time ran out. (`timeout=` is the old name
        of `wait`.)"""
        wait = _wait_argument(wait, timeout, _MISSING)
        if wait is _MISSING:
            raise TypeError("try_lock() needs wait (seconds, or None: until it is free)")
        if wait is None:
            while True:
                lock = self._acquire(name, member, reentrant, _LOCK_WAIT_SLICE_MS)
                if lock is not None:
                    return lock
        wait_ms = _ms(wait, "wait")
        assert wait_ms is not None
        return self._acquire(name, member, reentrant, wait_ms)

    def release(self, name: str, member: Optional[str] = None) -> bool:
        """Releases one hold of `name`; False when this member of this session does not
        hold it."""
        return self._release(
            encode_name(name, "lock name"), encode_name(member, "member", optional=True)
        )

    def _release(self, native_name: bytes, native_member: Optional[bytes]) -> bool:
        status = lib.gr_release_as(self._handle, native_member, native_name)
        if status:
            if status == Status.GR_LOCK_NOT_HELD:
                return False
            raise _native.error(status)
        return True

    def is_held(self, name: str) -> bool:
        """Whether this connector holds `name` with a lease still good (local, no I/O)."""
        held = c_bool(False)
        status = lib.gr_is_held(self._handle, encode_name(name, "lock name"), byref(held))
        if status:
            raise _native.error(status)
        return held.value

    def held_token(self, name: str) -> Optional[int]:
        """The fencing token of `name` if this connector holds it (local, no I/O)."""
        token = c_uint64(0)
        status = lib.gr_held_token(self._handle, encode_name(name, "lock name"), byref(token))
        if status:
            raise _native.error(status)
        return token.value or None

    def lock_holder(self, name: str) -> Optional[LockHolder]:
        """Who holds `name` now, read from Redis (any connector may ask about any lock);
        None when it is free. A holder whose lease has run out is not reported."""
        return LockHolder.from_json(self._json(lib.gr_lock_holder, encode_name(name, "lock name")))

    def lock_status(self, name: str) -> LockStatus:
        """`lock_holder(name)`, and whether grants are held back and until when: after Redis
        lost or rolled back the group's state, a free lock cannot be had until the leases
        from before have surely run out (a restart grace; docs/SAFETY.md)."""
        return LockStatus.from_json(self._json(lib.gr_lock_status, encode_name(name, "lock name")))

    @contextlib.contextmanager
    def locked(
        self,
        name: str,
        wait: Optional[float] = _MISSING,
        member: Optional[str] = None,
        *,
        reentrant: bool = False,
        timeout: Optional[float] = _MISSING,
    ) -> Iterator[Lock]:
        """`with conn.locked("job", wait=5) as lock:` holds `name` for the block and
        releases it after. Raises LockNotAcquiredError when `wait` seconds pass first
        (None, the default: waits until it is free)."""
        wait = _wait_argument(wait, timeout, None)
        lock = self.try_lock(name, wait, member, reentrant=reentrant)
        if lock is None:
            raise LockNotAcquiredError(f"lock {name!r} not acquired within {wait} s")
        try:
            yield lock
        finally:
            if not self._closed:
                lock.release()

    # -- ephemeral data ------------------------------------------------------------------

    def ephemeral_set(self, key: str, value: Any) -> None:
        """Sets the ephemeral `key` (deleted when this session ends) to `value`."""
        _native.check(
            lib.gr_ephemeral_set(self._handle, encode_name(key, "key"), encode_json(value, "value"))
        )

    def ephemeral_get(self, key: str, default: Any = None) -> Any:
        """The value of the ephemeral `key` (anyone's), `default` when absent."""
        out = c_void_p()
        _native.check(lib.gr_ephemeral_get(self._handle, encode_name(key, "key"), byref(out)))
        return default if not out.value else _native.take_json(out)

    def ephemeral_delete(self, key: str) -> bool:
        """Deletes this session's ephemeral `key`; False when it did not exist."""
        deleted = c_bool(False)
        _native.check(
            lib.gr_ephemeral_delete(self._handle, encode_name(key, "key"), byref(deleted))
        )
        return deleted.value

    def ephemeral_list(self, prefix: str = "") -> dict[str, Any]:
        """Every live ephemeral key starting with `prefix`, with its value, sorted."""
        return dict(self._json(lib.gr_ephemeral_list, encode_name(prefix, "prefix")))

    # -- persistent data -----------------------------------------------------------------

    def persistent_set(self, path: str, value: Any) -> int:
        """Sets the persistent `path` to `value`; returns the new version."""
        version = c_uint64(0)
        _native.check(
            lib.gr_persistent_set(
                self._handle,
                encode_name(path, "path"),
                encode_json(value, "value"),
                byref(version),
            )
        )
        return version.value

    def persistent_get(self, path: str, default: Any = None) -> Any:
        """The value of the persistent `path`, `default` when absent."""
        found = self.persistent_get_versioned(path)
        return default if found is None else found.value

    def persistent_get_versioned(self, path: str) -> Optional[Versioned]:
        """The value of `path` with its version, None when absent."""
        found = self._json(lib.gr_persistent_get, encode_name(path, "path"))
        if found is None:
            return None
        return Versioned(found["value"], int(found["version"]))

    def persistent_delete(self, path: str) -> bool:
        """Deletes the persistent `path`; False when it did not exist."""
        deleted = c_bool(False)
        _native.check(
            lib.gr_persistent_delete(self._handle, encode_name(path, "path"), byref(deleted))
        )
        return deleted.value

    def persistent_list(self, prefix: str = "") -> list[Entry]:
        """Every persistent entry whose path starts with `prefix`, sorted by path."""
        entries = self._json(lib.gr_persistent_list, encode_name(prefix, "prefix"))
        return [Entry(e["path"], e["value"], int(e["version"])) for e in entries]

    def persistent_set_many(
        self, entries: Union[Mapping[str, Any], Iterable[tuple[str, Any]]]
    ) -> list[int]:
        """Sets every (path, value) at once (others see all or none); returns the new
        versions in the same order."""
        pairs = list(entries.items() if isinstance(entries, Mapping) else entries)
        if not pairs:
            return []
        # One JSON array of [path, value] pairs: each path checked as every name is (a
        # str without NUL), each value encoded as a single value would be.
        parts = []
        for path, value in pairs:
            encode_name(path, "path")
            parts.append(b"[" + encode_json(path, "path") + b"," + encode_json(value, "value") + b"]")
        document = b"[" + b",".join(parts) + b"]"
        return [int(v) for v in self._json(lib.gr_persistent_set_many, document)]

    def persistent_cas(self, path: str, expected_version: int, value: Any) -> Optional[int]:
        """Writes `value` only if the version of `path` is `expected_version` (0: must not
        exist). Returns the new version, or None when the version did not match."""
        if isinstance(expected_version, bool) or not isinstance(expected_version, int):
            raise TypeError("expected_version must be an int")
        if expected_version < 0:
            raise InvalidArgumentError("expected_version must not be negative")
        new_version = c_uint64(0)
        _native.check(
            lib.gr_persistent_cas(
                self._handle,
                encode_name(path, "path"),
                expected_version,
                encode_json(value, "value"),
                byref(new_version),
            )
        )
        return new_version.value or None

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<group_redis.Connector {state}>"


