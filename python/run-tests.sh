#!/usr/bin/env bash
# The Python binding's test run: builds the release library if needed, installs ./python
# with its pinned dev dependencies into a venv (target/python-venv, scripts/python-venv.sh),
# and runs pytest on python/tests (the cross-language test, tests/cross, has its own run:
# tests/cross/run.sh). The suite starts its own redis-server on a free port. Exits non-zero
# on any failure. Extra arguments go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/target/python-venv"

echo "== building the release library"
cargo build --release -p group-redis-ffi

scripts/python-venv.sh

echo "== pytest"
# Run from outside the source tree so `import group_redis` finds the installed package
# (with its native library), not python/group_redis.
cd "$ROOT/target"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -v "$@" "$ROOT/python/tests"
