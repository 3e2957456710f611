"""Exceptions: one class per status code of the C ABI, all under GroupRedisError."""

from __future__ import annotations

import builtins
import enum

__all__ = [
    "Status",
    "GroupRedisError",
    "InvalidArgumentError",
    "InvalidJsonError",
    "ConnectionFailedError",
    "OperationTimeoutError",
    "ClosedError",
    "SessionExpiredError",
    "LeaseInDoubtError",
    "MemberExistsError",
    "KeyOwnedError",
    "LockNotHeldError",
    "LockNotAcquiredError",
    "RedisServerError",
    "ProtocolError",
    "InternalError",
]


class Status(enum.IntEnum):
    """The C ABI's status codes (enum gr_status in include/group_redis.h, which
    python/tests/test_header_abi.py checks these against)."""

    GR_OK = 0
    GR_INVALID_ARGUMENT = 1
    GR_NULL_ARGUMENT = 2
    GR_INVALID_JSON = 3
    GR_CONNECTION = 4
    GR_TIMEOUT = 5
    GR_CLOSED = 6
    GR_SESSION_EXPIRED = 7
    GR_MEMBER_EXISTS = 8
    GR_KEY_OWNED = 9
    GR_LOCK_NOT_HELD = 10
    GR_REDIS = 11
    GR_PROTOCOL = 12
    GR_PANIC = 13
    GR_LEASE_IN_DOUBT = 14


class GroupRedisError(Exception):
    """Base class of every error raised by group_redis. `status` is the C status name."""

    status: str = "GR_UNKNOWN_STATUS"

    def __init__(self, message: str, status: str | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class InvalidArgumentError(GroupRedisError, ValueError):
    """An argument is unusable: empty or oversized name, NUL byte, bad URL or option."""

    status = "GR_INVALID_ARGUMENT"


class InvalidJsonError(InvalidArgumentError):
    """A value cannot be represented as JSON (or is not valid JSON)."""

    status = "GR_INVALID_JSON"


class ConnectionFailedError(GroupRedisError, builtins.ConnectionError):
    """Redis could not be reached or the connection broke."""

    status = "GR_CONNECTION"


class OperationTimeoutError(GroupRedisError, builtins.TimeoutError):
    """Redis did not answer in time."""

    status = "GR_TIMEOUT"


class ClosedError(GroupRedisError):
    """The connector (or the subscription's connector) was closed."""

    status = "GR_CLOSED"


class SessionExpiredError(GroupRedisError):
    """The session's lease ran out before the operation was applied."""

    status = "GR_SESSION_EXPIRED"


class LeaseInDoubtError(GroupRedisError):
    """Nothing can be granted now: the session's lease is in doubt (a heartbeat failed:
    SUSPENDED). Not an expiry: retry once the connection state is CONNECTED again."""

    status = "GR_LEASE_IN_DOUBT"


class MemberExistsError(GroupRedisError):
    """The member id is held by another live session."""

    status = "GR_MEMBER_EXISTS"


class KeyOwnedError(GroupRedisError):
    """The ephemeral key belongs to another live session."""

    status = "GR_KEY_OWNED"


class LockNotHeldError(GroupRedisError):
    """The lock is not held by this member of this session."""

    status = "GR_LOCK_NOT_HELD"


class LockNotAcquiredError(GroupRedisError, builtins.TimeoutError):
    """`Connector.locked` could not take the lock within its timeout."""

    status = "GR_OK"


class RedisServerError(GroupRedisError):
    """Redis answered with an error."""

    status = "GR_REDIS"


class ProtocolError(GroupRedisError):
    """Redis holds data this library did not write."""

    status = "GR_PROTOCOL"


class InternalError(GroupRedisError):
    """A bug in the native library (a caught panic)."""

    status = "GR_PANIC"


#: The exception raised for each failure status (every Status but GR_OK).
BY_STATUS: dict[int, type[GroupRedisError]] = {
    Status.GR_INVALID_ARGUMENT: InvalidArgumentError,
    # A NULL never comes from this package; should one, it is an unusable argument too.
    Status.GR_NULL_ARGUMENT: InvalidArgumentError,
    Status.GR_INVALID_JSON: InvalidJsonError,
    Status.GR_CONNECTION: ConnectionFailedError,
    Status.GR_TIMEOUT: OperationTimeoutError,
    Status.GR_CLOSED: ClosedError,
    Status.GR_SESSION_EXPIRED: SessionExpiredError,
    Status.GR_MEMBER_EXISTS: MemberExistsError,
    Status.GR_KEY_OWNED: KeyOwnedError,
    Status.GR_LOCK_NOT_HELD: LockNotHeldError,
    Status.GR_REDIS: RedisServerError,
    Status.GR_PROTOCOL: ProtocolError,
    Status.GR_PANIC: InternalError,
    Status.GR_LEASE_IN_DOUBT: LeaseInDoubtError,
}
