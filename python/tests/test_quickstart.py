"""The README's Python quick starts (blocking and asyncio) run as written."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run_example(name: str, url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        env={**os.environ, "REDIS_URL": url},
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_quickstart_runs(url):
    result = run_example("quickstart.py", url)
    assert result.returncode == 0, result.stderr
    assert "holding reindex with fencing token" in result.stdout
    assert "replicas: 3" in result.stdout
    assert "saw the helper join: True" in result.stdout


def test_asyncio_quickstart_runs(url):
    result = run_example("aio_quickstart.py", url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("holding reindex with fencing token ") for line in lines)
    assert "replicas: 3" in lines
    assert "joined: ['helper']" in lines
    assert lines[-1] == "state: CLOSED"
