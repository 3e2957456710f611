"""Exceptions: one class per status code of the C ABI, all under GroupRedisError."""

from __future__ import annotations

import builtins

__all__ = [
    "GroupRedisError",
    "InvalidArgumentError",
    "InvalidJsonError",
    "ConnectionFailedError",
    "OperationTimeoutError",
    "ClosedError",
    "SessionExpiredError",
    "MemberExistsError",
    "KeyOwnedError",
    "LockNotHeldError",
    "LockNotAcquiredError",
    "RedisServerError",
    "ProtocolError",
    "InternalError",
]


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


BY_STATUS: dict[int, type[GroupRedisError]] = {
    1: InvalidArgumentError,
    2: InvalidArgumentError,  # GR_NULL_ARGUMENT: a NULL never comes from this package
    3: InvalidJsonError,
    4: ConnectionFailedError,
    5: OperationTimeoutError,
    6: ClosedError,
    7: SessionExpiredError,
    8: MemberExistsError,
    9: KeyOwnedError,
    10: LockNotHeldError,
    11: RedisServerError,
    12: ProtocolError,
    13: InternalError,
}
