#!/usr/bin/env bash
# Benchmark: lock+release throughput of group-redis (Java, through JNI) next to Redisson's
# RLock on one redis-server the benchmark starts itself, plus JNI per-call overhead.
# Prints numbers; asserts nothing. Needs cargo, a JDK 11+, Maven and /usr/bin/redis-server.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
cargo build --release -p group-redis-ffi
mvn -f java -B -q -Pbench -Dcargo.skip=true test-compile
mvn -f java -B -q -Pbench -Dcargo.skip=true exec:exec \
    -Dexec.executable=java \
    -Dexec.classpathScope=test \
    -Dexec.args="-cp %classpath group_redis.LockBenchmark"
