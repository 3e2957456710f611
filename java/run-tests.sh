#!/usr/bin/env bash
# Java binding tests: builds the native library, runs the JUnit 5 suite (real redis-server
# per test class, -Xcheck:jni), packages the jar, compiles the seed-style RedisConn examples
# (src/test/seed, JUnit 4) against the jar alone and runs them (SeedExamplesIT, failsafe),
# then checks what is published (the jar's
# license and module name, the sources and javadoc jars), that the jar alone loads its
# native library from another directory, and that the README quick start runs against a
# real Redis on a Java runtime without a compiler (made here with jlink). Exits non-zero on
# any failure.
# Needs: cargo, JDK 11+ (17 tested, with jlink), Maven 3.8+, /usr/bin/redis-server (Debian
# redis-server).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

cargo build --release -p group-redis-ffi
mvn -f java -B -Dcargo.skip=true verify

jar="$(ls "$root"/java/target/group-redis-*.jar | grep -v -e sources -e javadoc -e original- | head -n1)"
version="$(basename "$jar" .jar)"; version="${version#group-redis-}"
scratch="$(mktemp -d)"
redis_pid=""
cleanup() {
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT

# 0. What Maven installs and deploys: the jar with its license and module name, sources, javadoc.
for attached in sources javadoc; do
    test -s "$root/java/target/group-redis-$version-$attached.jar" || { echo "no $attached jar" >&2; exit 1; }
done
# entry JAR NAME: prints one file of a jar (python3's zipfile: no unzip needed).
entry() { python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$1" "$2"; }
entry "$root/java/target/group-redis-$version-sources.jar" group_redis/GroupConnector.java >"$scratch/source.java"
grep -q "class GroupConnector" "$scratch/source.java"
entry "$root/java/target/group-redis-$version-javadoc.jar" group_redis/GroupConnector.html >"$scratch/javadoc.html"
grep -q "tryLockAsync" "$scratch/javadoc.html"
entry "$jar" META-INF/LICENSE >"$scratch/LICENSE"
cmp "$scratch/LICENSE" "$root/LICENSE"
entry "$jar" META-INF/MANIFEST.MF >"$scratch/MANIFEST.MF"
grep -q "^Automatic-Module-Name: io.github.group_redis" "$scratch/MANIFEST.MF"
grep -q "<groupId>io.github.group-redis</groupId>" "$root/java/target/dependency-reduced-pom.xml"
# On the module path, under its module name.
(cd "$scratch" && java -p "$jar" -m io.github.group_redis/group_redis.Version) | tee "$scratch/module.out"
grep -q "^group-redis $version " "$scratch/module.out"

# 1. Only the jar on the class path, from an unrelated directory, no java.library.path.
(cd "$scratch" && env -u LD_LIBRARY_PATH java -cp "$jar" group_redis.Version)

# The system property overrides the search (and a wrong path is reported, not worked around).
(cd "$scratch" && java -Dgroup_redis.native.path="$root/target/release/libgroup_redis.so" -cp "$jar" group_redis.Version)
if (cd "$scratch" && java -Dgroup_redis.native.path="$scratch/missing.so" -cp "$jar" group_redis.Version) 2>"$scratch/missing.err"; then
    echo "a missing -Dgroup_redis.native.path was not reported" >&2
    exit 1
fi
grep -q "missing.so" "$scratch/missing.err"
# A library of another ABI version is refused, and the error says where it was found.
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
mkdir -p "$scratch/stale"
cat >"$scratch/stale.c" <<'EOF'
#include <jni.h>
JNIEXPORT jint JNICALL Java_group_1redis_NativeLib_abiVersion(JNIEnv *env, jclass cls) { return 99; }
EOF
gcc -shared -fPIC -I"$java_home/include" -I"$java_home/include/linux" "$scratch/stale.c" \
    -o "$scratch/stale/libgroup_redis.so"
for how in "-Dgroup_redis.native.path=$scratch/stale/libgroup_redis.so" "-Djava.library.path=$scratch/stale"; do
    if (cd "$scratch" && java "$how" -cp "$jar" group_redis.Version) 2>"$scratch/stale.err"; then
        echo "a library of another ABI version was used ($how)" >&2
        exit 1
    fi
    grep -q "loaded from .*stale.* has ABI version 99 but this jar needs" "$scratch/stale.err"
done
# No extracted copy of the library is left in the temp directory.
if ls "${TMPDIR:-/tmp}"/libgroup_redis-*.so >/dev/null 2>&1; then
    echo "note: older extracted libraries exist in ${TMPDIR:-/tmp} (from earlier killed runs?)" >&2
fi

# 2. The README quick start, run by a Java runtime that has no compiler (what a JRE-only
# machine has), against a real redis-server. The runtime holds the modules the README lists.
jre="$root/java/target/jre"
if [ ! -x "$jre/bin/java" ]; then
    jlink --add-modules java.base,java.logging --no-header-files --no-man-pages --strip-debug --output "$jre"
fi
if "$jre/bin/java" --list-modules | grep -q "^jdk.compiler"; then
    echo "the runtime made by jlink has jdk.compiler: it would not prove a JRE is enough" >&2
    exit 1
fi
test ! -e "$jre/bin/javac"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
/usr/bin/redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$scratch/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.05
done
(cd "$scratch" && env -u LD_LIBRARY_PATH "$jre/bin/java" -cp "$jar" group_redis.examples.QuickStart \
    "redis://127.0.0.1:$port") | tee "$scratch/quickstart.out"
grep -q "holding reindex with fencing token" "$scratch/quickstart.out"
grep -q "^batch size: 500" "$scratch/quickstart.out"
grep -q "^batch size, asynchronously: 500" "$scratch/quickstart.out"
echo "java: jar, sources and javadoc jars as published; jar loads its native library standalone; quick start OK on a JRE without a compiler"
