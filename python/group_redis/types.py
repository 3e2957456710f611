"""Plain data returned by the connector: members, events, entries, connection states."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Optional

__all__ = [
    "ConnectionState", "Member", "MembershipEvent", "Entry", "Versioned", "DataEvent", "DataSnapshot",
]


class ConnectionState(enum.Enum):
    """The connector's view of its session (Curator style)."""

    #: The session is alive and its lease was renewed on time.
    CONNECTED = 1
    #: A heartbeat failed: Redis is unreachable or slow; locks may be at risk.
    SUSPENDED = 2
    #: The lease ran out on the local clock: treat every lock as gone.
    LOST = 3
    #: Contact is back (an event only; as a query this reads as CONNECTED).
    RECONNECTED = 4
    #: The connector was closed.
    CLOSED = 5


@dataclass
class Member:
    """One live member of the group."""

    id: str
    sub_groups: list[str]
    payload: Any
    #: When it joined: Redis server time, milliseconds since the Unix epoch.
    joined_at: int
    #: The session that holds it.
    session: str = ""
    #: Whether it is online (set without leaving with `set_online`).
    online: bool = True

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Member":
        return cls(
            id=data["id"],
            sub_groups=list(data.get("sub_groups", [])),
            payload=data.get("payload"),
            joined_at=int(data.get("joined_at", 0)),
            session=data.get("session", ""),
            online=data.get("online", True) is not False,
        )


@dataclass
class MembershipEvent:
    """One change of the group's membership, in the seed's shape plus updates."""

    joined_members: list[Member] = field(default_factory=list)
    left_members: list[Member] = field(default_factory=list)
    updated_members: list[Member] = field(default_factory=list)
    #: Why left_members left: "left", "expired" or "resync"; None when nobody left.
    reason: Optional[str] = None
    #: The group's view counter after this change.
    view: int = 0
    #: Stream position of the change ("<ms>-<seq>"), empty for a resync.
    position: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MembershipEvent":
        return cls(
            joined_members=[Member.from_json(m) for m in data.get("joined_members", [])],
            left_members=[Member.from_json(m) for m in data.get("left_members", [])],
            updated_members=[Member.from_json(m) for m in data.get("updated_members", [])],
            reason=data.get("reason"),
            view=int(data.get("view", 0)),
            position=data.get("position", ""),
        )


@dataclass
class Entry:
    """One persistent entry from `Connector.persistent_list`."""

    path: str
    value: Any
    version: int


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock now (read from Redis): the member, its session and the fencing
    token of the hold."""

    member: str
    session: str
    token: int

    @classmethod
    def from_json(cls, found: Any) -> Optional["LockHolder"]:
        """The holder as gr_lock_holder writes it (None: free)."""
        return None if found is None else cls(found["member"], found["session"], int(found["token"]))


@dataclass(frozen=True)
class LockStatus:
    """What Redis says of a lock: its `holder` (None when free) and, when it is free but no
    lock of the group is granted yet (Redis lost or rolled back the group's state, so holders
    from before may still trust their leases), `grants_held_until`: the server time (seconds
    since the Unix epoch) from which grants resume. `lock()` returns None until then."""

    holder: Optional[LockHolder]
    grants_held_until: Optional[float]

    @classmethod
    def from_json(cls, found: Any) -> "LockStatus":
        """The status as gr_lock_status writes it (the grace's end in ms)."""
        until = found["grants_held_until_ms"]
        return cls(LockHolder.from_json(found["holder"]), None if until is None else until / 1000.0)


@dataclass
class Versioned:
    """A persistent value with its version (1 after the first write, +1 per write)."""

    value: Any
    version: int


@dataclass
class DataEvent:
    """One change of watched data (`Connector.watch`, `watch_ephemeral`)."""

    path: str
    #: "put", "delete", or "expired" (an ephemeral key that went with its session).
    kind: str
    #: The value after a put; None for delete and expired.
    value: Any
    #: The key's version after a put, or the version it had (delete, expired).
    version: int
    #: The group's data revision of the change (one counter, only grows).
    revision: int
    #: True when history was lost and this event is part of the difference to the current
    #: data (apply it like any other).
    resync: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DataEvent":
        return cls(
            path=data["path"],
            kind=data["kind"],
            value=data.get("value"),
            version=int(data.get("version", 0)),
            revision=int(data.get("revision", 0)),
            resync=bool(data.get("resync", False)),
        )


@dataclass
class DataSnapshot:
    """What a data watch starts from: the matching entries at `revision`, sorted by path."""

    revision: int
    entries: list[Entry]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DataSnapshot":
        entries = [Entry(e["path"], e.get("value"), int(e["version"])) for e in data["entries"]]
        return cls(revision=int(data.get("revision", 0)), entries=entries)


@dataclass(frozen=True)
class LeaderEvent:
    """A leadership's state (`Leadership.events`, `Leadership.on_change`): "LEADER" with the
    term's fencing token, "UNSURE" (the lease is in doubt: act as not leading) with the
    token it led with, or "FOLLOWER"."""

    state: str
    token: Optional[int] = None

    @property
    def leader(self) -> bool:
        return self.state == "LEADER"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LeaderEvent":
        token = data.get("token")
        return cls(state=data["state"], token=None if token is None else int(token))


@dataclass(frozen=True)
class LeaderView:
    """Who leads a name (`Connector.leader`, `observe_leader`): the leader's member id and
    its term's fencing token, both None when nobody leads."""

    leader: Optional[str]
    token: Optional[int]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LeaderView":
        token = data.get("token")
        return cls(leader=data.get("leader"), token=None if token is None else int(token))
