"""A connector whose session was lost is told what it could not restore under the new
one: here another connector takes its member id and ephemeral key meanwhile."""

from __future__ import annotations

import threading

import redis

from group_redis import ConnectionState
from gr_fixtures import PATIENCE


def test_nothing_to_report_on_a_healthy_connector(connect):
    conn = connect("healthy")
    assert conn.take_restore_failures() == []


def test_what_another_process_took_is_reported_on_reconnected(connect, url, group):
    # A heartbeat every second leaves ample time to take its id and key before it notices.
    lost = connect("phoenix", session_timeout=3.0, heartbeat=1.0)
    other = connect("other")
    lost.join()
    lost.ephemeral_set("phoenix/k", 1)
    reported: list[list[dict[str, str]]] = []
    reconnected = threading.Event()

    def on_state(state: ConnectionState) -> None:
        if state == ConnectionState.RECONNECTED:
            reported.append(lost.take_restore_failures())
            reconnected.set()

    subscription = lost.on_state_change(on_state)
    # Redis forgets the session, as after others reaped it during a long freeze; before the
    # connector notices, another member takes its id and key.
    raw = redis.Redis.from_url(url)
    raw.zrem(f"gr:{{{group}}}:sessions", lost.session_id)
    other.join("phoenix")
    other.ephemeral_set("phoenix/k", 2)

    assert reconnected.wait(PATIENCE), "no RECONNECTED"
    subscription.cancel()
    kinds = sorted((f["kind"], f["name"]) for f in reported[0])
    assert kinds == [("ephemeral", "phoenix/k"), ("member", "phoenix")]
    assert all(f["error"] for f in reported[0])
    assert lost.take_restore_failures() == [], "taken once"
    assert other.ephemeral_get("phoenix/k") == 2
