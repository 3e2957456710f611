# Sourced (after setting `here`, the repository root) by the bench scripts that count
# redis-server's instructions under valgrind (cachegrind, no cache simulation): a scratch
# directory `$work` holding the fixed-seed shim, and a redis-server started and stopped in
# it. An EXIT trap stops a server still running and removes the directory.
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# A fixed hash seed, so that two runs collide in Redis's hash tables alike (fixedseed.c).
cc -shared -fPIC -O2 -o "$work/libfixedseed.so" "$here/bench/tools/fixedseed.c" -ldl

# Starts redis-server under cachegrind on a free port, its counts going to $work/cg.out,
# with --hz 1 (its timer work grows with the length of a run); sets $server and $port.
# Call it in the script's own shell (not in $(...)), so that the EXIT trap sees $server if
# a run fails.
cachegrind_redis_start() {
    while :; do
        port=$((20000 + RANDOM % 20000))
        redis-cli -p "$port" ping >/dev/null 2>&1 || break # nothing there yet
    done
    LD_PRELOAD="$work/libfixedseed.so" valgrind --tool=cachegrind --cache-sim=no \
        --cachegrind-out-file="$work/cg.out" redis-server --port "$port" --hz 1 --save "" \
        --appendonly no --dir "$work" >"$work/vg.log" 2>&1 &
    server=$!
    for _ in $(seq 150); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
    if ! kill -0 "$server" 2>/dev/null; then
        echo "redis-server under valgrind did not start on port $port:" >&2
        tail -20 "$work/vg.log" >&2
        exit 1
    fi
}

# Shuts the server down (its counts are complete then) and sets $instructions, the
# redis-server instructions of the whole run.
cachegrind_redis_stop() {
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$server" || true
    server=""
    instructions=$(awk '/^summary:/ { print $2 }' "$work/cg.out")
}
