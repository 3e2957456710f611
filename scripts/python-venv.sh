#!/usr/bin/env bash
# Makes (or refreshes) the Python venv the tests use, target/python-venv: the pinned dev
# dependencies (python/requirements-dev.txt) and ./python installed with the release library
# already built in target/release. Used by python/run-tests.sh and tests/cross/run.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/target/python-venv"
PYTHON="${PYTHON:-python3}"

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
