#!/usr/bin/env bash
# Instructions redis-server runs per uncontended lock+release pair, this build's Lua and a
# baseline's (gr-lock-cost, GR_BENCH_BASELINE), counted by valgrind (cachegrind, no cache
# simulation): unlike microseconds, they do not move with the load of a shared machine.
# Each count is (a run of N pairs) - (a run of 0 pairs), divided by N.
#   bench/lock_cost_instructions.sh [pairs]      (default 3000)
# The same count for group-redis against Redisson's locks: bench/lock_instructions_vs_redisson.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
pairs="${1:-3000}"
cargo build --release -q -p gr-bench --bin gr-lock-cost
bin="$here/target/release/gr-lock-cost"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
count() { # version pairs -> instructions
    local port=$((20000 + RANDOM % 20000))
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$work/cg.out" \
        redis-server --port "$port" --save "" --appendonly no --dir "$work" >"$work/vg.log" 2>&1 &
    local pid=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
    REDIS_URL="redis://127.0.0.1:$port" GR_BENCH_ONLY="$1" GR_BENCH_PAIRS="$2" GR_BENCH_ROUNDS=1 \
        "$bin" >/dev/null
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" || true
    grep -E '^summary:' "$work/cg.out" | awk '{print $2}'
}
for version in before now; do
    zero=$(count "$version" 0)
    many=$(count "$version" "$pairs")
    echo "$version: $(( (many - zero) / pairs )) redis-server instructions per lock+release pair ($pairs pairs)"
done
