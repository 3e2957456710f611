"""Service discovery from Python (sync and asyncio): each strategy (random, round-robin,
sticky, first, leader; "all" is instances()), online members only, a sub-group, note_error
with its down-time, the added / removed / updated changes (a payload update, the online
flag), and the payload and online flag a member last set restored after a reconnect."""

from __future__ import annotations

import asyncio
import queue
import time
from typing import Any, Callable

import pytest

import group_redis
from group_redis import InstancesChanged, aio

from gr_fixtures import PATIENCE
from tcp_proxy import TcpProxy


def ids(members: list[group_redis.Member]) -> list[str]:
    return [m.id for m in members]


def eventually(what: str, check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + PATIENCE
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.01)


def picked(provider: group_redis.ServiceProvider) -> str | None:
    member = provider.instance()
    return None if member is None else member.id


def test_strategies_pick_among_online_members(connect):
    svc = connect("svc")
    for member_id in ("a", "b", "c"):
        svc.join(member_id, payload={"port": 80})
    svc.set_online("c", online=False)
    client = connect("client")

    with client.service_provider("round-robin") as round_robin:
        assert ids(round_robin.instances()) == ["a", "b"], "c is offline"
        assert [picked(round_robin) for _ in range(4)] == ["a", "b", "a", "b"]
    with pytest.raises(group_redis.ClosedError):
        round_robin.instance()

    first = client.service_provider("first")
    assert {picked(first) for _ in range(3)} == {"a"}
    sticky = client.service_provider("sticky")
    kept = picked(sticky)
    assert {picked(sticky) for _ in range(5)} == {kept}
    svc.set_online(kept, online=False)
    eventually("the sticky pick moves", lambda: picked(sticky) not in (kept, None))
    svc.set_online(kept, online=True)
    random = client.service_provider("random")
    eventually("a and b are instances", lambda: ids(random.instances()) == ["a", "b"])
    assert {picked(random) for _ in range(200)} == {"a", "b"}

    with pytest.raises(group_redis.InvalidArgumentError):
        client.service_provider("nearest")
    with pytest.raises(group_redis.InvalidArgumentError):
        client.service_provider("leader")  # no election


def test_a_sub_group_serves_only_its_members(connect):
    web = connect("web-1", sub_groups=["web"])
    web.join()
    db = connect("db-1", sub_groups=["db"])
    db.join()
    provider = connect("client").service_provider(sub_group="web")
    assert ids(provider.instances()) == ["web-1"]
    db.add_sub_group("web")
    eventually("db-1 entered web", lambda: ids(provider.instances()) == ["db-1", "web-1"])


def test_note_error_takes_a_member_out_for_its_down_time(connect):
    svc = connect("svc")
    svc.join("a")
    svc.join("b")
    provider = connect("client").service_provider("round-robin", down_for=0.3, error_threshold=2)
    provider.note_error("a")
    assert "a" in {picked(provider) for _ in range(4)}, "one error is under the threshold"
    provider.note_error("a")
    noted = time.monotonic()
    picks = [picked(provider) for _ in range(4)]
    if time.monotonic() - noted < 0.3:
        assert picks == ["b"] * 4, "a is out"
    time.sleep(0.35)
    assert {picked(provider) for _ in range(4)} == {"a", "b"}, "back after its down-time"


def test_the_leader_strategy_follows_the_election(connect):
    a, b = connect("a"), connect("b")
    a.join()
    b.join()
    first = a.elect("svc")
    eventually("a leads", first.is_leader)
    second = b.elect("svc")
    provider = connect("client").service_provider("leader", election="svc")
    assert picked(provider) == "a"
    first.close()  # resigns: b is elected
    eventually("the provider picks b", lambda: picked(provider) == "b")
    second.close()
    eventually("nobody leads", lambda: picked(provider) is None)
    assert ids(provider.instances()) == ["a", "b"]


def test_changes_tell_added_removed_and_updated(connect):
    svc = connect("svc")
    svc.join("a")
    client = connect("client")
    provider = client.service_provider()
    changes = provider.events()
    assert ids(changes.snapshot) == ["a"]
    heard: "queue.Queue[InstancesChanged]" = queue.Queue()
    provider.on_change(heard.put)

    svc.join("b")
    change = changes.get(PATIENCE)
    assert change is not None and ids(change.added) == ["b"] and change.removed == []
    svc.update_payload("b", {"port": 9})
    change = changes.get(PATIENCE)
    assert change is not None and ids(change.updated) == ["b"]
    assert change.updated[0].payload == {"port": 9}
    svc.set_online("a", online=False)
    change = changes.get(PATIENCE)
    assert change is not None and ids(change.removed) == ["a"]
    (a,) = [m for m in client.members() if m.id == "a"]
    assert a.online is False, "still a member, shown offline"
    svc.leave("b")
    change = changes.get(PATIENCE)
    assert change is not None and ids(change.removed) == ["b"]
    callbacks = [heard.get(timeout=PATIENCE) for _ in range(4)]
    assert [ids(c.added + c.updated + c.removed) for c in callbacks] == [["b"], ["b"], ["a"], ["b"]]

    provider.close()
    with pytest.raises(group_redis.ClosedError):
        changes.get(PATIENCE)  # ends with its provider


def test_payload_and_online_flag_are_restored_after_a_reconnect(connect, redis_server):
    with TcpProxy(redis_server.port) as proxy:
        svc = connect("svc", via=proxy.url, session_timeout=1.0, heartbeat=0.25, command_timeout=0.2)
        svc.join(payload={"port": 1})
        svc.update_payload(payload={"port": 2})
        svc.set_online(online=False)
        before = svc.session_id
        provider = connect("client").service_provider()
        changes = provider.events()
        proxy.pause()  # svc's lease runs out: it is reaped
        time.sleep(1.5)
        proxy.resume()
        client = connect("observer")

        def restored() -> Any:
            found = [m for m in client.members() if m.id == "svc" and m.session != before]
            return found[0] if found else None

        member = eventually("svc back under a new session", restored)
        assert member.payload == {"port": 2} and member.online is False
        # Offline all along: the provider never offered it.
        assert provider.instances() == [] and changes.get(0.2) is None
        svc.set_online(online=True)
        change = changes.get(PATIENCE)
        assert change is not None and ids(change.added) == ["svc"]
        assert change.added[0].payload == {"port": 2}


def test_asyncio_provider(url, group):
    async def main() -> None:
        async with await aio.connect(url, group=group, member_id="svc") as svc, \
                await aio.connect(url, group=group, member_id="client") as client:
            await svc.join(payload={"port": 1})
            async with await client.service_provider("first") as provider:
                assert [m.id for m in provider.instances()] == ["svc"]
                assert provider.instance() is not None
                provider.note_error("svc")
                async with provider.events() as changes:
                    assert [m.id for m in changes.snapshot] == ["svc"]
                    await svc.update_payload(payload={"port": 2})
                    change = await asyncio.wait_for(changes.__anext__(), PATIENCE)
                    assert change.updated[0].payload == {"port": 2}
                    await svc.set_online(online=False)
                    change = await asyncio.wait_for(changes.__anext__(), PATIENCE)
                    assert [m.id for m in change.removed] == ["svc"]
                assert provider.instance() is None
            with pytest.raises(group_redis.InvalidArgumentError):
                await client.service_provider("first", election="svc")

    asyncio.run(asyncio.wait_for(main(), PATIENCE * 3))
