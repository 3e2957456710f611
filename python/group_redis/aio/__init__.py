"""group_redis.aio: the connector for asyncio. Every operation of the blocking
`group_redis.Connector` as a coroutine that never blocks the event loop, async context
managers for the connector and for locks, and `async for` over membership events and
connection-state changes.

    import asyncio
    from group_redis import aio

    async def main():
        async with await aio.connect("redis://127.0.0.1:6379", group="workers") as conn:
            await conn.join(payload={"port": 8080})
            async with conn.locked("reindex", wait=5) as lock:
                print("fencing token", lock.token)
            async for event in conn.subscribe_members():
                print(event)

    asyncio.run(main())

How it works: each native call runs on the connector's own thread pool (ctypes releases
the GIL), and native callbacks are handed to the event loop with
`loop.call_soon_threadsafe`. A cancelled acquisition never leaves a lock held: see
`AsyncConnector`.
"""

from .connector import AsyncConnector, AsyncLock, connect
from .events import AsyncDataEvents, AsyncMemberEvents, AsyncStateEvents
from .leader import AsyncLeaderEvents, AsyncLeaderViews, AsyncLeadership
from .assignments import AsyncAssignment, AsyncAssignmentEvents
from .discovery import AsyncInstanceEvents, AsyncServiceProvider

__all__ = [
    "connect",
    "AsyncConnector",
    "AsyncLock",
    "AsyncMemberEvents",
    "AsyncStateEvents",
    "AsyncDataEvents",
    "AsyncLeadership",
    "AsyncLeaderEvents",
    "AsyncLeaderViews",
    "AsyncAssignment",
    "AsyncAssignmentEvents",
    "AsyncServiceProvider",
    "AsyncInstanceEvents",
]
