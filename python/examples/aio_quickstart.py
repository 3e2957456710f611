"""The README's asyncio quick start (python/tests/test_quickstart.py runs it)."""

import asyncio

from group_redis import aio


async def print_states(states: aio.AsyncStateEvents) -> None:
    async for state in states:  # SUSPENDED, LOST, RECONNECTED, ...; ends after CLOSED
        print("state:", state.name)


async def main() -> None:
    # url defaults to $REDIS_URL (or $GROUP_REDIS_URL), then redis://127.0.0.1:6379
    async with await aio.connect(group="workers") as conn:
        watcher = asyncio.ensure_future(print_states(await conn.subscribe_state()))
        await conn.join(payload={"port": 8080})  # as <hostname>-<pid>
        print("members:", [m.id for m in await conn.members()])

        # Waits for the holder's release without blocking the event loop; raises
        # LockNotAcquiredError after 5 s; released at the end of the block. Cancelling the
        # wait (asyncio.wait_for, task.cancel) is safe: a lock it still got is released.
        async with conn.locked("reindex", wait=5) as lock:
            print("holding reindex with fencing token", lock.token)

        await conn.persistent_set("config/replicas", 3)
        print("replicas:", await conn.persistent_get("config/replicas"))

        async with conn.subscribe_members() as events:
            print("snapshot:", [m.id for m in events.snapshot])
            await conn.join("helper")  # a second member id on the same connector
            async for event in events:
                print("joined:", [m.id for m in event.joined_members])
                break
    await watcher  # the connector closed: the state stream ended with CLOSED


asyncio.run(main())
