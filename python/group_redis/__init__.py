"""group_redis: group coordination over Redis (membership, fenced locks, ephemeral and
persistent data, events), through the same native library as the C and Java bindings.

    import group_redis

    with group_redis.connect("redis://127.0.0.1:6379", group="workers") as conn:
        conn.join(payload={"port": 8080})
        with conn.locked("reindex", wait=5) as lock:
            print("fencing token", lock.token)
"""

from ._native import library_path, version
from .connector import DEFAULT_URL, Connector, Lock, connect
from . import errors
from .logs import refresh_log_level
from .errors import *  # noqa: F403  (the exception classes, listed in errors.__all__)
from .events import DataEvents, MemberEvents, StateEvents, Subscription
from .leader import LeaderEvents, LeaderViews, Leadership
from .assignments import Assignment, AssignmentEvent, AssignmentEvents
from .discovery import InstanceEvents, InstancesChanged, ServiceProvider
from .messages import Message, MessageEvents, TopicBatch, TopicInfo, TopicMessage
from .types import (
    ConnectionState, DataEvent, DataSnapshot, Entry, LeaderEvent, LeaderView, LockHolder,
    LockStatus, Member, MembershipEvent, Versioned,
)

__version__ = "0.1.0"

__all__ = [
    "connect",
    "Connector",
    "Lock",
    "LockHolder",
    "LockStatus",
    "DEFAULT_URL",
    "Member",
    "MembershipEvent",
    "ConnectionState",
    "Entry",
    "Versioned",
    "MemberEvents",
    "StateEvents",
    "DataEvents",
    "DataEvent",
    "DataSnapshot",
    "Subscription",
    "Leadership",
    "Assignment",
    "AssignmentEvent",
    "AssignmentEvents",
    "ServiceProvider",
    "InstancesChanged",
    "InstanceEvents",
    "LeaderEvent",
    "LeaderEvents",
    "LeaderView",
    "LeaderViews",
    "Message",
    "MessageEvents",
    "TopicMessage",
    "TopicBatch",
    "TopicInfo",
    "library_path",
    "refresh_log_level",
    "version",
]
__all__ += errors.__all__
