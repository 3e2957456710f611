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
# shellcheck source=tools/cachegrind_redis.sh
. "$here/bench/tools/cachegrind_redis.sh"

count() { # arguments calls -> $instructions
    cachegrind_redis_start
    redis-cli -p "$port" function load "#!lua name=argument_cost
redis.register_function('returns_one', function(keys, argv) return 1 end)" >/dev/null
    local args=()
    for i in $(seq "$1"); do args+=("179652622674$i"); done
    redis-benchmark -p "$port" -n "$2" -c 1 -q FCALL returns_one 1 'gr:{bench}:sessions' \
        "${args[@]}" >/dev/null
    cachegrind_redis_stop
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
