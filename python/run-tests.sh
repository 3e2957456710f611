#!/usr/bin/env bash
# The Python binding's test run: builds the release library if needed, installs ./python
# with its pinned dev dependencies into a venv (target/python-venv), and runs pytest on
# python/tests and the cross-language test in tests/cross (which compiles a C member with
# gcc against the committed header). Each suite starts its own redis-server on a free port.
# Exits non-zero on any failure. Extra arguments go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/target/python-venv"
PYTHON="${PYTHON:-python3}"

echo "== building the release library"
cargo build --release -p group-redis-ffi

echo "== installing ./python into $VENV"
# A venv copied or moved from another directory still runs, but its scripts (pip, pytest)
# point into the old one: make it again. pip and pytest run as `python -m` for the same reason.
if [ -f "$VENV/bin/pip" ] && [ "$(head -c $((${#VENV} + 7)) "$VENV/bin/pip")" != "#!$VENV/bin/" ]; then
  echo "$VENV was made in another directory; making it again"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r python/requirements-dev.txt
# --force-reinstall: the package version does not change when the library does.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python

echo "== pytest"
# Run from outside the source tree so `import group_redis` finds the installed package
# (with its native library), not python/group_redis.
cd "$ROOT/target"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -v "$@" "$ROOT/python/tests" "$ROOT/tests/cross"
