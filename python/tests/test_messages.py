"""Messages and the topic log from Python: topic batch send and read (with a wait), info;
messages to a listening member in order (pull and callback), an unknown member refused, a
request answered by an `on_message` handler, a consumer group's consume and fenced ack,
and the asyncio twins."""

from __future__ import annotations

import asyncio
import threading

import pytest

import group_redis
from group_redis import Message, aio
from gr_fixtures import PATIENCE


def test_topic_batch_send_read_and_wait(connect):
    writer = connect("writer")
    reader = connect("reader")
    indexes = writer.topic_send("orders", [{"id": 1}, "two", 3])
    assert indexes == list(range(indexes[0], indexes[0] + 3))
    batch = reader.topic_read("orders", indexes[0], 2)
    assert [m.payload for m in batch.messages] == [{"id": 1}, "two"]
    assert batch.next_index == indexes[1] + 1
    info = reader.topic_info("orders")
    assert (info.first_index, info.last_index, info.length) == (indexes[0], indexes[2], 3)

    later = threading.Timer(0.3, lambda: writer.topic_send("orders", ["late"]))
    later.start()
    waited = reader.topic_read("orders", indexes[2] + 1, 10, wait=PATIENCE)
    later.join()
    assert [m.payload for m in waited.messages] == ["late"]
    assert reader.topic_read("orders", waited.next_index, 10, wait=0.2).messages == []


def test_messages_in_order_and_unknown_member_refused(connect):
    receiver = connect("receiver")
    receiver.join()
    sender = connect("sender")
    with receiver.listen() as inbox:
        assert inbox.snapshot == "receiver"
        for i in range(30):
            sender.send("receiver", i)
        assert sender.broadcast("all") == 1
        got = [inbox.get(PATIENCE) for _ in range(31)]
        assert [m.payload for m in got] == list(range(30)) + ["all"]
        assert got[0].sender == "sender" and got[0].kind == "send" and got[-1].kind == "broadcast"
    with pytest.raises(group_redis.InvalidArgumentError, match="nobody"):
        sender.send("nobody", 1)


def test_on_message_answers_requests(connect):
    server = connect("server")
    server.join()
    seen: list[Message] = []

    def handle(message: Message) -> None:
        seen.append(message)
        if message.is_request:
            server.reply(message, {"double": message.payload * 2})

    server.on_message(handle)
    client = connect("client")
    for n in range(5):
        assert client.request("server", n, timeout=PATIENCE) == {"double": n * 2}
    assert [m.payload for m in seen] == list(range(5))


def test_consumer_group_consume_and_fenced_ack(connect):
    worker = connect("worker")
    indexes = worker.topic_send("jobs", ["a", "b", "c"])
    taken = worker.topic_consume("jobs", "workers", 2)
    assert [m.index for m in taken] == indexes[:2]
    assert worker.topic_ack("jobs", "workers", indexes[:2]) == [True, True]
    assert worker.topic_ack("jobs", "workers", indexes[:2]) == [False, False]
    rest = worker.topic_consume("jobs", "workers", 10, wait=0.1)
    assert [m.payload for m in rest] == ["c"]


def test_asyncio_twins(url, group):
    async def main() -> None:
        async with await aio.connect(url, group=group, member_id="a") as a, await aio.connect(
            url, group=group, member_id="b"
        ) as b:
            await a.join()
            indexes = await b.topic_send("t", [1, 2])
            batch = await a.topic_read("t", indexes[0], 10)
            assert [m.payload for m in batch.messages] == [1, 2]
            await b.send("a", "hello")
            inbox = await asyncio.wait_for(a.listen().__aenter__(), PATIENCE)
            message = await asyncio.wait_for(inbox.__anext__(), PATIENCE)
            assert message.payload == "hello"
            await inbox.__aexit__(None, None, None)

    asyncio.run(main())
