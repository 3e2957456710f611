#!/usr/bin/env bash
# Makes (or refreshes) the venv the Python benchmarks run in, target/python-bench-venv:
# the pinned python/requirements-bench.txt (redis-py and hiredis). The benchmarks import
# group_redis from python/ and load target/release/libgroup_redis.so (build it first:
# cargo build --release -p group-redis-ffi). Prints the venv's python.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/python-bench-venv"
PYTHON="${PYTHON:-python3}"

# A venv moved from another directory points its scripts into the old one: make it again.
if [ -f "$VENV/bin/pip" ] && [ "$(head -c $((${#VENV} + 7)) "$VENV/bin/pip")" != "#!$VENV/bin/" ]; then
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" >&2
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/python/requirements-bench.txt" >&2
echo "$VENV/bin/python"
