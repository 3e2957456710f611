#!/usr/bin/env bash
# Benchmarks of group-redis (Java, through JNI) next to Redisson (3.52.0, pinned in the pom's
# bench profile; never a dependency of the tests or the jar), each on a redis-server it starts
# itself on a free port. Prints numbers; asserts nothing.
#   java/bench.sh                   both below
#   java/bench.sh pairs             lock+release pairs/s (1 thread; 16 threads on 16 locks) and JNI overhead
#   java/bench.sh sweep [s] [n,..]  contention sweep: n threads on one lock (default 1,2,8,32,128), s seconds
#                                   each (default 3): acq/s, Redis commands and us per acquisition
#                                   (INFO commandstats), p50/p99 wait, max/min grants per thread
# Needs cargo, a JDK 11+, Maven and /usr/bin/redis-server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
what="${1:-all}"
shift || true
cargo build --release -p group-redis-ffi
mvn -f java -B -q -Pbench -Dcargo.skip=true test-compile
bench() {
    mvn -f java -B -q -Pbench -Dcargo.skip=true exec:exec \
        -Dexec.executable=java \
        -Dexec.classpathScope=test \
        -Dexec.args="-cp %classpath $*"
}
case "$what" in
    pairs) bench group_redis.LockBenchmark ;;
    sweep) bench group_redis.LockSweep "$@" ;;
    all) bench group_redis.LockBenchmark && bench group_redis.LockSweep ;;
    *) echo "usage: java/bench.sh [pairs|sweep [seconds] [threads,...]]" >&2; exit 2 ;;
esac
