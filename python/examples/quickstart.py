"""The README's Python quick start (python/tests/test_quickstart.py runs it)."""

import threading

import group_redis

# url defaults to $REDIS_URL (or $GROUP_REDIS_URL), then redis://127.0.0.1:6379
with group_redis.connect(group="workers") as conn:
    conn.join(payload={"port": 8080})  # as <hostname>-<pid>
    print("members:", [m.id for m in conn.members()])

    with conn.locked("reindex", wait=5) as lock:
        print("holding reindex with fencing token", lock.token)

    conn.persistent_set("config/replicas", 3)
    print("replicas:", conn.persistent_get("config/replicas"))

    joined = threading.Event()
    with conn.on_member_event(lambda event: joined.set()):
        conn.join("helper")  # a second member id on the same connector
        joined.wait(5)
    print("saw the helper join:", joined.is_set())
