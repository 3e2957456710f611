"""The asyncio twins of the message and topic calls (see group_redis.messages), mixed into
`AsyncConnector`: each runs its native call on the connector's thread pool."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from .._native import encode_name, lib
from ..messages import MESSAGES, Message, TopicBatch, TopicInfo, TopicMessage
from .events import _AsyncStream

__all__ = ["AsyncMessaging", "AsyncMessages"]


class AsyncMessages(_AsyncStream[Message]):
    """A member's messages: `async with conn.listen() as inbox: async for message in
    inbox:`; `snapshot` is the member id once started."""


class AsyncMessaging:
    """Messages and topics of an `AsyncConnector`."""

    _calls: Any
    _blocking: Any

    async def topic_send(self, topic: str, messages: Sequence[Any]) -> list[int]:
        """See `group_redis.Connector.topic_send`."""
        return await self._calls.run(self._blocking.topic_send, topic, messages)

    async def topic_read(
        self, topic: str, from_index: int = 0, max_count: int = 100, wait: Optional[float] = None
    ) -> TopicBatch:
        """See `group_redis.Connector.topic_read` (a wait occupies one pool thread)."""
        return await self._calls.run(self._blocking.topic_read, topic, from_index, max_count, wait)

    async def topic_info(self, topic: str) -> TopicInfo:
        return await self._calls.run(self._blocking.topic_info, topic)

    async def topic_set_retention(self, topic: str, max_len: int = 0, max_age: float = 0.0) -> int:
        return await self._calls.run(self._blocking.topic_set_retention, topic, max_len, max_age)

    async def topic_consume(
        self, topic: str, group: str, max_count: int = 100, wait: Optional[float] = None
    ) -> list[TopicMessage]:
        return await self._calls.run(self._blocking.topic_consume, topic, group, max_count, wait)

    async def topic_ack(self, topic: str, group: str, indexes: Sequence[int]) -> list[bool]:
        return await self._calls.run(self._blocking.topic_ack, topic, group, indexes)

    async def send(self, member_id: str, payload: Any) -> None:
        await self._calls.run(self._blocking.send, member_id, payload)

    async def broadcast(self, payload: Any, sub_group: Optional[str] = None) -> int:
        return await self._calls.run(self._blocking.broadcast, payload, sub_group)

    async def request(self, member_id: str, payload: Any, timeout: float = 5.0) -> Any:
        return await self._calls.run(self._blocking.request, member_id, payload, timeout)

    async def reply(self, request: Message, payload: Any) -> None:
        await self._calls.run(self._blocking.reply, request, payload)

    def listen(self, member_id: Optional[str] = None) -> AsyncMessages:
        """A member's messages (default: this connector's member id), delivered on the
        calling coroutine's event loop. Call from a coroutine."""
        handle = self._blocking._handle
        native = None if member_id is None else encode_name(member_id, "member_id")
        opener = lambda out: lib.gr_listen(handle, native, out)  # noqa: E731
        return AsyncMessages(self, opener, MESSAGES)  # type: ignore[arg-type]
