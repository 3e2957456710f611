"""Messages to live members and the durable topic log (see docs/MESSAGES.md): the types,
how message events are decoded, and the `Messaging` mixin of `Connector`.

Messages (`send`, `broadcast`, `request`/`reply`, `listen`/`on_message`) go to live
members and die with them; a topic (`topic_send`, `topic_read`, consumer groups with
`topic_consume`/`topic_ack`) is durable and read from an index.
"""

from __future__ import annotations

import json
from ctypes import byref, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from . import _native, events
from ._native import encode_json, encode_name, lib

__all__ = ["Message", "TopicMessage", "TopicBatch", "TopicInfo", "Messaging", "MESSAGES"]


@dataclass(frozen=True)
class Message:
    """One message delivered to a member."""

    #: The member it was delivered to.
    to: str
    #: The sender's member id and session.
    sender: str
    session: str
    #: "send", "broadcast" or "request".
    kind: str
    payload: Any
    #: For a request: the id the reply goes to.
    request_id: Optional[str]
    #: Its id in the recipient's inbox (grows in delivery order).
    id: str

    @property
    def is_request(self) -> bool:
        return self.kind == "request"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Message":
        return cls(
            to=data["to"],
            sender=data["from"],
            session=data["session"],
            kind=data["kind"],
            payload=data.get("payload"),
            request_id=data.get("request_id"),
            id=data["id"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "to": self.to,
            "from": self.sender,
            "session": self.session,
            "kind": self.kind,
            "payload": self.payload,
            "request_id": self.request_id,
            "id": self.id,
        }


@dataclass(frozen=True)
class TopicMessage:
    """One message of a topic: its index (only grows), payload, and server time (ms)."""

    index: int
    payload: Any
    time: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TopicMessage":
        return cls(int(data["index"]), data.get("payload"), int(data.get("time", 0)))


@dataclass(frozen=True)
class TopicBatch:
    """What `topic_read` returns: messages in index order, and where to read next."""

    messages: list[TopicMessage]
    next_index: int


@dataclass(frozen=True)
class TopicInfo:
    """A topic's first index held and last index given (None: none), and its length."""

    first_index: Optional[int]
    last_index: Optional[int]
    length: int


MESSAGES: events.Kind[Message] = events.Kind(
    "messages",
    Message.from_json,
    lambda snapshot: snapshot["member_id"],
    lambda member_id, _event: member_id,
)


class MessageEvents(events._PullSubscription[Message]):
    """A member's messages, pull style; `snapshot` is the member id."""


def _wait_ms(wait: Optional[float]) -> int:
    """A wait in seconds as the bridge's signed milliseconds (0: no wait)."""
    if wait is None:
        return 0
    if wait < 0:
        raise ValueError("wait must be at least 0 seconds")
    return min(int(round(wait * 1000)), 2**62)


class Messaging:
    """Messages and topics of a connector (see the module docs). Mixed into `Connector`."""

    _handle: c_void_p
    _subscriptions: set[events.Subscription]

    def _json(self, function: Callable[..., int], *args: Any) -> Any:  # defined by Connector
        raise NotImplementedError

    # -- the topic log -------------------------------------------------------------------

    def topic_send(self, topic: str, messages: Sequence[Any]) -> list[int]:
        """Appends `messages` to `topic` in one round trip; returns their indexes."""
        batch = encode_json(list(messages), "messages")
        return [int(i) for i in self._json(lib.gr_topic_send, encode_name(topic, "topic"), batch)]

    def topic_read(
        self, topic: str, from_index: int = 0, max_count: int = 100, wait: Optional[float] = None
    ) -> TopicBatch:
        """Up to `max_count` messages from `from_index` on (a trimmed index reads from the
        first one held); with `wait` seconds, waits that long for a first message."""
        found = self._json(
            lib.gr_topic_read, encode_name(topic, "topic"), from_index, max_count, _wait_ms(wait)
        )
        messages = [TopicMessage.from_json(m) for m in found["messages"]]
        return TopicBatch(messages, int(found["next_index"]))

    def topic_info(self, topic: str) -> TopicInfo:
        """The topic's first index held, last index given and length."""
        found = self._json(lib.gr_topic_info, encode_name(topic, "topic"))
        return TopicInfo(found["first_index"], found["last_index"], int(found["length"]))

    def topic_set_retention(self, topic: str, max_len: int = 0, max_age: float = 0.0) -> int:
        """Keeps at most `max_len` messages and none older than `max_age` seconds (0: no
        limit); returns how many were removed now."""
        removed = c_uint64(0)
        _native.check(
            lib.gr_topic_set_retention(
                self._handle, encode_name(topic, "topic"), max_len, _wait_ms(max_age), byref(removed)
            )
        )
        return removed.value

    def topic_consume(
        self, topic: str, group: str, max_count: int = 100, wait: Optional[float] = None
    ) -> list[TopicMessage]:
        """Messages of `topic` for this connector in consumer `group`: first those of
        consumers whose session ended, then new ones. Acknowledge with `topic_ack`."""
        found = self._json(
            lib.gr_topic_consume,
            encode_name(topic, "topic"),
            encode_name(group, "group"),
            max_count,
            _wait_ms(wait),
        )
        return [TopicMessage.from_json(m) for m in found]

    def topic_ack(self, topic: str, group: str, indexes: Sequence[int]) -> list[bool]:
        """Acknowledges messages; False for one this session no longer holds (drop that
        work: another consumer has it)."""
        found = self._json(
            lib.gr_topic_ack,
            encode_name(topic, "topic"),
            encode_name(group, "group"),
            encode_json([int(i) for i in indexes], "indexes"),
        )
        return [bool(a) for a in found]

    # -- messages to live members --------------------------------------------------------

    def send(self, member_id: str, payload: Any) -> None:
        """Sends `payload` to the live member `member_id` (InvalidArgumentError when it is
        not a live member)."""
        _native.check(
            lib.gr_send(self._handle, encode_name(member_id, "member_id"), encode_json(payload, "payload"))
        )

    def broadcast(self, payload: Any, sub_group: Optional[str] = None) -> int:
        """Sends `payload` to every live member (of `sub_group`); returns how many."""
        count = c_uint64(0)
        native_sub_group = None if sub_group is None else encode_name(sub_group, "sub_group")
        _native.check(
            lib.gr_broadcast(self._handle, encode_json(payload, "payload"), native_sub_group, byref(count))
        )
        return count.value

    def request(self, member_id: str, payload: Any, timeout: float = 5.0) -> Any:
        """Sends a request and returns the reply (TimeoutError-like `GroupRedisError` with
        status TIMEOUT when none came within `timeout` seconds)."""
        return self._json(
            lib.gr_request,
            encode_name(member_id, "member_id"),
            encode_json(payload, "payload"),
            _wait_ms(timeout),
        )

    def reply(self, request: Message, payload: Any) -> None:
        """Answers `request` (a Message whose kind is "request") with `payload`."""
        _native.check(
            lib.gr_reply(
                self._handle,
                json.dumps(request.to_json()).encode("utf-8"),
                encode_json(payload, "payload"),
            )
        )

    def _listen_opener(self, member_id: Optional[str]) -> events.Opener:
        native = None if member_id is None else encode_name(member_id, "member_id")
        return lambda out: lib.gr_listen(self._handle, native, out)

    def listen(self, member_id: Optional[str] = None, timeout: Optional[float] = None) -> MessageEvents:
        """The messages of `member_id` (default: this connector's member id), pull style:
        `.get(timeout)` or iteration, in send order per sender, each once."""
        return MessageEvents(self._listen_opener(member_id), MESSAGES, timeout)

    def on_message(
        self, callback: Callable[[Message], None], member_id: Optional[str] = None
    ) -> events.Subscription:
        """Calls `callback(message)` for every message of `member_id` on a dispatcher
        thread until cancelled or the connector closes (the connector keeps it)."""
        return events.subscribe_callback(
            self._listen_opener(member_id), MESSAGES, callback, self._subscriptions
        )
