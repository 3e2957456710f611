"""The README's Python quick start runs as written."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"


def test_quickstart_runs(url):
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        env={**os.environ, "GROUP_REDIS_URL": url},
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "holding reindex with fencing token" in result.stdout
    assert "replicas: 3" in result.stdout
    assert "saw the helper join: True" in result.stdout
