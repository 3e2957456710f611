"""Controlled assignments from Python: a join splits the ids (the old owner lets go first),
closing hands them over, the share's tokens, bad input."""

from __future__ import annotations

import time

import pytest

import group_redis

from gr_fixtures import PATIENCE


def wait_share(assignment: group_redis.Assignment, n: int) -> group_redis.AssignmentEvent:
    deadline = time.monotonic() + PATIENCE
    while True:
        share = assignment.share()
        if len(share.ids) == n:
            return share
        assert time.monotonic() < deadline, f"share {share}"
        time.sleep(0.005)


def test_a_join_splits_the_ids_and_closing_hands_them_over(connect):
    one, two = connect("one"), connect("two")
    ids = ["a", "b", "c", "d"]
    first = one.assignments("jobs", ids)
    share = wait_share(first, 4)
    assert share.member == "one" and share.ids == ids and set(share.tokens) == set(ids)
    changes = first.events()
    with two.assignments("jobs", ids) as second:
        shrunk = changes.get(PATIENCE)
        assert shrunk is not None and len(shrunk.ids) == 2
        theirs = wait_share(second, 2)
        assert not set(theirs.ids) & set(shrunk.ids)
        for id_ in theirs.ids:
            assert theirs.tokens[id_] > share.tokens[id_]
        first.close()
        wait_share(second, 4)
    changes.close()


def test_bad_input_is_refused(connect):
    c = connect("c")
    with pytest.raises(group_redis.InvalidArgumentError):
        c.assignments("", ["a"])
    with pytest.raises(group_redis.InvalidArgumentError):
        c.assignments("jobs", [1, 2])  # type: ignore[list-item]


def test_asyncio_share_and_events(url, group):
    import asyncio

    import group_redis.aio

    async def main() -> None:
        async with await group_redis.aio.connect(url, group=group, member_id="one") as one, \
                await group_redis.aio.connect(url, group=group, member_id="two") as two:
            first = await one.assignments("jobs", ["a", "b"])
            async with first.events() as shares:
                share = shares.snapshot
                while len(share.ids) != 2:
                    share = await shares.get(PATIENCE)
                async with await two.assignments("jobs", ["a", "b"]) as second:
                    share = await shares.get(PATIENCE)
                    assert share is not None and len(share.ids) == 1
                    deadline = time.monotonic() + PATIENCE
                    while len((await second.share()).ids) != 1:
                        assert time.monotonic() < deadline
                        await asyncio.sleep(0.005)
            await first.close()

    asyncio.run(asyncio.wait_for(main(), PATIENCE * 3))
