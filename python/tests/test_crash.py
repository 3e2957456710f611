"""A member process killed with SIGKILL is seen leaving (reason "expired") once its lease
runs out, and its lock and ephemeral key go with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap

from gr_fixtures import PATIENCE

CHILD = textwrap.dedent(
    """
    import sys, time
    import group_redis
    url, group = sys.argv[1], sys.argv[2]
    conn = group_redis.connect(url, group=group, member_id="victim", session_timeout=1.0)
    conn.join(payload={"pid": __import__("os").getpid()})
    assert conn.lock("victim-lock")
    conn.ephemeral_set("victim-key", "alive")
    print("ready", flush=True)
    time.sleep(3600)
    """
)


def test_a_killed_member_is_seen_leaving(connect, url, group):
    watcher = connect("watcher")
    events = watcher.member_events()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, group],
        stdout=subprocess.PIPE,
        text=True,
        # Not the source tree: `-c` puts the working directory first on sys.path, and the
        # child must import the installed package (which carries the native library).
        cwd=tempfile.gettempdir(),
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        event = events.get(PATIENCE)
        assert [m.id for m in event.joined_members] == ["victim"]
        assert watcher.lock("victim-lock") is None
        assert watcher.ephemeral_get("victim-key") == "alive"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(PATIENCE)
        event = events.get(PATIENCE)
        assert event is not None, "no leave event within the bound"
        assert [m.id for m in event.left_members] == ["victim"]
        assert event.reason == "expired"
        assert [m.id for m in watcher.members()] == []
        assert watcher.try_lock("victim-lock", PATIENCE)
        assert watcher.ephemeral_get("victim-key") is None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        events.close()
