#!/usr/bin/env bash
# The main job: grctl's demo. Starts its own redis-server on a free port unless REDIS_URL
# is set. Installs redis-server from Debian's packages if it is missing.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --demo
cargo build --release --locked -q -p grctl
exec target/release/grctl demo "$@"
