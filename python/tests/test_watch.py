"""Data watches (persistent and ephemeral) through the one subscription mechanism: pull
style with a snapshot, events in the order of the changes (a delete and a re-create are two
events), the callback form, resuming from a revision, and asyncio."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

import group_redis
from group_redis import DataEvent, DataSnapshot, aio
from gr_fixtures import PATIENCE


def test_snapshot_then_every_change_in_order(connect):
    writer = connect("writer")
    watcher = connect("watcher")
    writer.persistent_set("cfg/a", {"size": 1})
    writer.persistent_set("other/x", 1)
    with watcher.watch("cfg/") as changes:
        snapshot = changes.snapshot
        assert isinstance(snapshot, DataSnapshot)
        assert [(e.path, e.value, e.version) for e in snapshot.entries] == [("cfg/a", {"size": 1}, 1)]
        writer.persistent_set("cfg/a", 2)
        writer.persistent_set("other/x", 2)  # outside the prefix
        writer.persistent_delete("cfg/a")
        writer.persistent_set("cfg/a", 3)
        events = [changes.get(PATIENCE) for _ in range(3)]
        assert [(e.path, e.kind, e.value) for e in events] == [
            ("cfg/a", "put", 2),
            ("cfg/a", "delete", None),
            ("cfg/a", "put", 3),  # the re-create is an event of its own
        ]
        assert events[0].version == 2 and not events[0].resync
        revisions = [e.revision for e in events]
        assert snapshot.revision < revisions[0] < revisions[1] < revisions[2]
        assert changes.get(0.2) is None


def test_resume_from_a_revision_delivers_what_came_after(connect):
    writer = connect("writer")
    watcher = connect("watcher")
    first = writer.persistent_set("r/a", 1)
    assert first == 1
    with watcher.watch("r/") as changes:
        start = changes.snapshot.revision
    writer.persistent_set("r/a", 2)
    writer.persistent_set("r/b", 1)
    with watcher.watch("r/", from_revision=start) as resumed:
        events = [resumed.get(PATIENCE) for _ in range(2)]
    assert [(e.path, e.value) for e in events] == [("r/a", 2), ("r/b", 1)]


def test_on_data_event_runs_even_if_the_subscription_is_dropped(connect):
    writer = connect("writer")
    watcher = connect("watcher")
    seen: list[DataEvent] = []
    arrived = threading.Event()

    def record(event: DataEvent) -> None:
        seen.append(event)
        if len(seen) == 2:
            arrived.set()

    watcher.on_data_event("jobs/", record)
    gc.collect()
    writer.persistent_set("jobs/1", "queued")
    writer.persistent_delete("jobs/1")
    assert arrived.wait(PATIENCE)
    assert [(e.path, e.kind) for e in seen] == [("jobs/1", "put"), ("jobs/1", "delete")]


def test_ephemeral_watch_sees_puts_and_the_owner_closing(connect):
    owner = connect("owner")
    watcher = connect("watcher")
    owner.ephemeral_set("svc/a", "10.0.0.1")
    with watcher.watch_ephemeral("svc/") as changes:
        assert [e.path for e in changes.snapshot.entries] == ["svc/a"]
        owner.ephemeral_set("svc/b", "10.0.0.2")
        owner.close()  # a close is a delete, never "expired"
        events = [changes.get(PATIENCE) for _ in range(3)]
    assert events[0].path == "svc/b" and events[0].kind == "put"
    assert sorted((e.path, e.kind) for e in events[1:]) == [("svc/a", "delete"), ("svc/b", "delete")]


def test_bad_watch_arguments_are_refused(connect):
    conn = connect("me")
    with pytest.raises(group_redis.InvalidArgumentError):
        conn.watch("p", from_revision=0)
    with pytest.raises(TypeError):
        conn.watch(b"p")  # type: ignore[arg-type]
    conn.close()
    with pytest.raises(group_redis.ClosedError):
        conn.watch("p")


def test_watch_through_async_for(url, group):
    async def main() -> list[tuple[str, str]]:
        async with await aio.connect(url, group=group, member_id="w") as conn:
            async with conn.watch("a/") as changes:
                assert changes.snapshot.entries == []
                await conn.persistent_set("a/x", 1)
                await conn.persistent_delete("a/x")
                seen = []
                async for event in changes:
                    seen.append((event.path, event.kind))
                    if len(seen) == 2:
                        break
                return seen

    assert asyncio.run(asyncio.wait_for(main(), PATIENCE)) == [("a/x", "put"), ("a/x", "delete")]
