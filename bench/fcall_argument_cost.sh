#!/usr/bin/env bash
# redis-server instructions per FCALL of a function that does nothing but return 1, by the
# number of ARGV it is sent (one key): the fixed cost of a call and what each argument adds
# (Redis builds the KEYS and ARGV tables one element at a time and interns every argument as
# a Lua string), counted by valgrind (cachegrind, no cache simulation). Each count is
# (a run of 12000 calls - a run of 2000 calls) / 10000, driven by redis-benchmark.
#   bench/fcall_argument_cost.sh [argument counts...]     (default 0 4 8 9 12)
# Needs valgrind, redis-server, redis-benchmark and cc.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# A fixed hash seed, so that two runs collide in Redis's hash tables alike.
cc -shared -fPIC -O2 -o "$work/libfixedseed.so" "$here/bench/tools/fixedseed.c" -ldl

count() { # arguments calls -> $instructions
    local port
    while :; do
        port=$((20000 + RANDOM % 20000))
        redis-cli -p "$port" ping >/dev/null 2>&1 || break
    done
    LD_PRELOAD="$work/libfixedseed.so" valgrind --tool=cachegrind --cache-sim=no \
        --cachegrind-out-file="$work/cg.out" redis-server --port "$port" --hz 1 --save "" \
        --appendonly no --dir "$work" >"$work/vg.log" 2>&1 &
    server=$!
    for _ in $(seq 150); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
    redis-cli -p "$port" function load "#!lua name=argument_cost
redis.register_function('returns_one', function(keys, argv) return 1 end)" >/dev/null
    local args=()
    for i in $(seq "$1"); do args+=("179652622674$i"); done
    redis-benchmark -p "$port" -n "$2" -c 1 -q FCALL returns_one 1 'gr:{bench}:sessions' \
        "${args[@]}" >/dev/null
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$server" || true
    server=""
    instructions=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
}

counts=("$@")
if [ ${#counts[@]} -eq 0 ]; then counts=(0 4 8 9 12); fi
echo "redis-server instructions per FCALL of a function that returns 1 (one key):"
for n in "${counts[@]}"; do
    count "$n" 2000
    few=$instructions
    count "$n" 12000
    echo "  $n ARGV: $(((instructions - few) / 10000))"
done
