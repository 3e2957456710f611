#!/usr/bin/env bash
# Java binding tests: builds the native library, runs the JUnit 5 suite (real redis-server
# per test class, -Xcheck:jni), packages the jar, then checks that the jar alone loads its
# native library from another directory and that the README quick start runs against a
# real Redis. Exits non-zero on any failure.
# Needs: cargo, JDK 11+ (17 tested), Maven 3.8+, /usr/bin/redis-server (Debian redis-server).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

cargo build --release -p group-redis-ffi
mvn -f java -B -Dcargo.skip=true verify

jar="$(ls "$root"/java/target/group-redis-*.jar | grep -v -e sources -e javadoc -e original- | head -n1)"
scratch="$(mktemp -d)"
redis_pid=""
cleanup() {
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# 1. Only the jar on the class path, from an unrelated directory, no java.library.path.
(cd "$scratch" && env -u LD_LIBRARY_PATH java -cp "$jar" group_redis.Version)

# The system property overrides the search (and a wrong path is reported, not worked around).
(cd "$scratch" && java -Dgroup_redis.native.path="$root/target/release/libgroup_redis.so" -cp "$jar" group_redis.Version)
if (cd "$scratch" && java -Dgroup_redis.native.path="$scratch/missing.so" -cp "$jar" group_redis.Version) 2>"$scratch/missing.err"; then
    echo "a missing -Dgroup_redis.native.path was not reported" >&2
    exit 1
fi
grep -q "missing.so" "$scratch/missing.err"
# No extracted copy of the library is left in the temp directory.
if ls "${TMPDIR:-/tmp}"/libgroup_redis-*.so >/dev/null 2>&1; then
    echo "note: older extracted libraries exist in ${TMPDIR:-/tmp} (from earlier killed runs?)" >&2
fi

# 2. The README quick start, single-file source mode, against a real redis-server.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$scratch/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.05
done
(cd "$scratch" && java -cp "$jar" "$root/java/examples/QuickStart.java" "redis://127.0.0.1:$port") | tee "$scratch/quickstart.out"
grep -q "holding reindex with fencing token" "$scratch/quickstart.out"
grep -q "batch size: 500" "$scratch/quickstart.out"
echo "java: jar loads its native library standalone; quick start OK"
