#!/usr/bin/env bash
# The C binding's test run:
#  1. builds the release library (libgroup_redis.so/.a) if needed;
#  2. checks that the committed include/group_redis.h is what cbindgen generates now;
#  3. installs with scripts/install-c.sh into a scratch prefix and checks what it installed:
#     the SONAME and its links, debug info stripped, the version macros;
#  4. compiles everything against the installed copy: the C tests with gcc -Wall -Wextra
#     -Werror through pkg-config (group-redis), one statically (group-redis-static), the
#     header as C++ with g++ -Werror, and the quick start three ways: pkg-config (shared),
#     pkg-config --static, and a CMake project with find_package(group-redis);
#  5. runs them against a redis-server it starts on a free port (never 6379), then the C
#     tests again under valgrind memcheck (leaks and errors fail the run; GR_SKIP_VALGRIND=1
#     skips).
# Prints "c: N passed, M failed" last and exits non-zero on any failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/c-tests"
LIBDIR="$ROOT/target/release"
mkdir -p "$OUT"

passed=0
failed=0
note_failure() { echo "FAIL $1"; failed=$((failed + 1)); }
note_pass() { echo "PASS $1"; passed=$((passed + 1)); }
finish() {
  echo "c: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

REDIS_PID=""
cleanup() {
  if [ -n "$REDIS_PID" ]; then
    kill "$REDIS_PID" 2>/dev/null
    wait "$REDIS_PID" 2>/dev/null
  fi
  [ -n "${REDIS_DIR:-}" ] && rm -rf "$REDIS_DIR"
}
trap cleanup EXIT

echo "== building the release library"
if ! cargo build --release -p group-redis-ffi; then
  note_failure "cargo build --release -p group-redis-ffi"
  finish
fi

echo "== checking the committed header is current"
if ! git ls-files --error-unmatch include/group_redis.h >/dev/null 2>&1; then
  note_failure "include/group_redis.h is not committed"
elif ! git diff --exit-code -- include/group_redis.h; then
  note_failure "include/group_redis.h differs from what cbindgen generates: commit the regenerated header"
else
  note_pass "header is current"
fi
if grep -qi "jni" include/group_redis.h; then
  note_failure "the JNI module leaked into include/group_redis.h"
else
  note_pass "header has no JNI symbols"
fi

echo "== installing into a scratch prefix"
PREFIX="$OUT/prefix"
rm -rf "$PREFIX"
if ! scripts/install-c.sh --no-build --prefix "$PREFIX"; then
  note_failure "scripts/install-c.sh --prefix $PREFIX"
  finish
fi
PREFIX_LIB="$PREFIX/lib"
header_macro() { sed -n "s/^#define $1 \"\(.*\)\"$/\1/p" include/group_redis.h; }
SONAME="$(header_macro GROUP_REDIS_SONAME)"
VERSION="$(header_macro GROUP_REDIS_VERSION)"
installed_soname="$(readelf -d "$PREFIX_LIB/libgroup_redis.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
if [ -n "$SONAME" ] && [ "$installed_soname" = "$SONAME" ]; then
  note_pass "installed library has SONAME $SONAME"
else
  note_failure "installed SONAME '$installed_soname', header says '$SONAME'"
fi
if [ "$(readlink "$PREFIX_LIB/libgroup_redis.so")" = "$SONAME" ] &&
  [ "$(readlink "$PREFIX_LIB/$SONAME")" = "libgroup_redis.so.$VERSION" ] &&
  [ -f "$PREFIX_LIB/libgroup_redis.so.$VERSION" ] && [ ! -L "$PREFIX_LIB/libgroup_redis.so.$VERSION" ]; then
  note_pass "libgroup_redis.so -> $SONAME -> libgroup_redis.so.$VERSION"
else
  ls -l "$PREFIX_LIB"
  note_failure "SONAME links in $PREFIX_LIB"
fi
if readelf -S --wide "$PREFIX_LIB/libgroup_redis.so.$VERSION" "$PREFIX_LIB/libgroup_redis.a" |
  grep -q '\.debug_info'; then
  note_failure "installed libraries still carry debug info"
else
  note_pass "installed libraries are stripped of debug info"
fi
echo "sizes: built $(stat -c %s "$LIBDIR/libgroup_redis.so") / $(stat -c %s "$LIBDIR/libgroup_redis.a")," \
  "installed $(stat -c %s "$PREFIX_LIB/libgroup_redis.so.$VERSION") / $(stat -c %s "$PREFIX_LIB/libgroup_redis.a") bytes (.so / .a)"

echo "== compiling against the installed copy"
export PKG_CONFIG_PATH="$PREFIX_LIB/pkgconfig"
CFLAGS_GR="$(pkg-config --cflags group-redis)"
LIBS_GR="$(pkg-config --libs group-redis)"
LIBS_GR_STATIC="$(pkg-config --libs --static group-redis-static)"
RPATH=(-Wl,-rpath,"$PREFIX_LIB")
CFLAGS=(-std=c11 -O1 -g -Wall -Wextra -Werror -pedantic)
TESTS=()
for source in tests/c/test_*.c; do
  name="$(basename "$source" .c)"
  # shellcheck disable=SC2086
  if gcc "${CFLAGS[@]}" $CFLAGS_GR "$source" -o "$OUT/$name" $LIBS_GR -lpthread "${RPATH[@]}"; then
    TESTS+=("$name")
  else
    note_failure "gcc $source"
  fi
done
# shellcheck disable=SC2086
if gcc "${CFLAGS[@]}" $CFLAGS_GR tests/c/test_seed.c -o "$OUT/test_seed_static" $LIBS_GR_STATIC; then
  STATIC_OK=1
else
  STATIC_OK=0
  note_failure "gcc test_seed.c with pkg-config --static group-redis-static"
fi
# shellcheck disable=SC2086
if g++ -std=c++11 -Wall -Wextra -Werror -pedantic $CFLAGS_GR tests/c/header_check.cpp \
  -o "$OUT/header_check_cpp" $LIBS_GR "${RPATH[@]}" && "$OUT/header_check_cpp"; then
  note_pass "g++ -Wall -Werror compiles and links the header"
else
  note_failure "g++ compile of include/group_redis.h"
fi

# The quick start, built the ways the README gives; each binary is run once redis is up.
QUICKSTARTS=()
# shellcheck disable=SC2086
if gcc "${CFLAGS[@]}" tests/c/quickstart.c -o "$OUT/quickstart_pkgconfig" \
  $(pkg-config --cflags --libs group-redis) "${RPATH[@]}"; then
  QUICKSTARTS+=("$OUT/quickstart_pkgconfig")
  # Captured first: with pipefail, `readelf | grep -q` fails when grep exits before
  # readelf has written everything (SIGPIPE), which made this check flaky.
  needed=$(readelf -d "$OUT/quickstart_pkgconfig")
  loaded=$(ldd "$OUT/quickstart_pkgconfig")
  if grep -q "(NEEDED).*\[$SONAME\]" <<<"$needed" &&
    grep -q "$SONAME => $PREFIX_LIB/$SONAME" <<<"$loaded"; then
    note_pass "the quick start needs $SONAME and finds it in the prefix"
  else
    readelf -d "$OUT/quickstart_pkgconfig" | grep NEEDED
    ldd "$OUT/quickstart_pkgconfig"
    note_failure "the quick start does not load $PREFIX_LIB/$SONAME"
  fi
else
  note_failure "gcc quickstart.c \$(pkg-config --cflags --libs group-redis)"
fi
# shellcheck disable=SC2046
if gcc "${CFLAGS[@]}" tests/c/quickstart.c -o "$OUT/quickstart_static" \
  $(pkg-config --cflags --libs --static group-redis-static); then
  QUICKSTARTS+=("$OUT/quickstart_static")
  if grep -q "libgroup_redis" <<<"$(readelf -d "$OUT/quickstart_static")"; then
    note_failure "the static quick start still needs a shared libgroup_redis"
  else
    note_pass "the static quick start needs no shared libgroup_redis"
  fi
else
  note_failure "gcc quickstart.c \$(pkg-config --cflags --libs --static group-redis-static)"
fi
CMAKE_DIR="$OUT/cmake-check"
rm -rf "$CMAKE_DIR" && mkdir -p "$CMAKE_DIR/src"
cp tests/c/quickstart.c tests/c/header_check.cpp "$CMAKE_DIR/src/"
cat >"$CMAKE_DIR/src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.13)
project(group_redis_cmake_check C CXX)
find_package(group-redis ${GR_FIND_VERSION} REQUIRED)
add_executable(quickstart quickstart.c)
target_link_libraries(quickstart PRIVATE group_redis::group_redis)
add_executable(quickstart_static quickstart.c)
target_link_libraries(quickstart_static PRIVATE group_redis::group_redis_static)
add_executable(header_check header_check.cpp)
target_link_libraries(header_check PRIVATE group_redis::group_redis)
CMAKE
if cmake -S "$CMAKE_DIR/src" -B "$CMAKE_DIR/build" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DGR_FIND_VERSION="$(header_macro GROUP_REDIS_VERSION | cut -d. -f1,2)" >"$CMAKE_DIR/log" 2>&1 &&
  cmake --build "$CMAKE_DIR/build" >>"$CMAKE_DIR/log" 2>&1 &&
  "$CMAKE_DIR/build/header_check" >>"$CMAKE_DIR/log" 2>&1; then
  note_pass "CMake find_package(group-redis) builds and links, shared and static"
  QUICKSTARTS+=("$CMAKE_DIR/build/quickstart" "$CMAKE_DIR/build/quickstart_static")
else
  cat "$CMAKE_DIR/log"
  note_failure "CMake find_package(group-redis)"
fi
# A version the installed package does not satisfy is refused: before 1.0 another minor
# version is another ABI (CMake's default rule, same major, would accept it).
WRONG_VERSION=0.0.1
if cmake -S "$CMAKE_DIR/src" -B "$CMAKE_DIR/build-wrong-version" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DGR_FIND_VERSION="$WRONG_VERSION" >"$CMAKE_DIR/log-wrong-version" 2>&1; then
  note_failure "find_package(group-redis $WRONG_VERSION) accepted version $VERSION"
elif grep -q "considered but not accepted" "$CMAKE_DIR/log-wrong-version"; then
  note_pass "find_package(group-redis $WRONG_VERSION) refuses version $VERSION"
else
  cat "$CMAKE_DIR/log-wrong-version"
  note_failure "find_package(group-redis $WRONG_VERSION) failed for another reason"
fi

echo "== starting redis-server"
port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 40000))
  if [ "$candidate" -ne 6379 ] && port_is_free "$candidate"; then
    PORT=$candidate
    break
  fi
done
[ -n "$PORT" ] || { note_failure "no free port for redis-server"; finish; }
REDIS_DIR="$(mktemp -d)"
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$REDIS_DIR" >"$REDIS_DIR/log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; then
    break
  fi
  sleep 0.05
done
export REDIS_URL="redis://127.0.0.1:$PORT"
echo "redis-server on $REDIS_URL"

# Runs one test binary (with an optional wrapper), counts its PASS/FAIL lines.
run_binary() {
  local label="$1"
  shift
  local log="$OUT/$label.log"
  "$@" >"$log" 2>&1
  local status=$?
  cat "$log"
  local p f
  p=$(grep -c '^PASS ' "$log")
  f=$(grep -c '^FAIL ' "$log")
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    note_failure "$label exited with status $status"
  fi
}

echo "== running the C tests"
for name in "${TESTS[@]}"; do
  run_binary "$name" timeout 300 "$OUT/$name"
done
if [ "$STATIC_OK" -eq 1 ]; then
  run_binary "test_seed_static" timeout 300 "$OUT/test_seed_static"
fi

for quickstart in "${QUICKSTARTS[@]}"; do
  label="quick start ${quickstart#"$OUT/"}"
  if timeout 60 "$quickstart" >"$quickstart.log" 2>&1 &&
    grep -q "holding reindex with fencing token" "$quickstart.log"; then
    note_pass "$label"
  else
    cat "$quickstart.log"
    note_failure "$label"
  fi
done

if [ "${GR_SKIP_VALGRIND:-0}" = "1" ]; then
  echo "GR_SKIP_VALGRIND=1: valgrind runs skipped"
elif ! command -v valgrind >/dev/null; then
  note_failure "valgrind is not installed (apt-get install valgrind)"
else
  echo "== running the C tests under valgrind"
  for name in "${TESTS[@]}"; do
    run_binary "valgrind-$name" timeout 600 valgrind --quiet --leak-check=full \
      --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
      --suppressions="$ROOT/tests/c/valgrind.supp" --gen-suppressions=all \
      "$OUT/$name"
  done
fi

finish
