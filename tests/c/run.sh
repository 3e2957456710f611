#!/usr/bin/env bash
# The C binding's test run:
#  1. builds the release library (libgroup_redis.so/.a) if needed;
#  2. checks that the committed include/group_redis.h is what cbindgen generates now;
#  3. compiles the C tests with gcc -Wall -Wextra -Werror (through the pkg-config file),
#     one statically against libgroup_redis.a, the header as C++ with g++ -Werror, and a
#     CMake project using include/group_redis.cmake when cmake is installed;
#  4. runs them against a redis-server it starts on a free port (never 6379), then again
#     under valgrind memcheck (leaks and errors fail the run; GR_SKIP_VALGRIND=1 skips).
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

echo "== compiling"
mkdir -p "$OUT/pkgconfig"
sed -e "s|@LIBDIR@|$LIBDIR|" -e "s|@INCLUDEDIR@|$ROOT/include|" \
  include/group_redis.pc.in >"$OUT/pkgconfig/group_redis.pc"
export PKG_CONFIG_PATH="$OUT/pkgconfig"
CFLAGS_GR="$(pkg-config --cflags group_redis)"
LIBS_GR="$(pkg-config --libs group_redis)"
CFLAGS=(-std=c11 -O1 -g -Wall -Wextra -Werror -pedantic)
TESTS=()
for source in tests/c/test_*.c; do
  name="$(basename "$source" .c)"
  # shellcheck disable=SC2086
  if gcc "${CFLAGS[@]}" $CFLAGS_GR "$source" -o "$OUT/$name" $LIBS_GR -lpthread \
    -Wl,-rpath,"$LIBDIR"; then
    TESTS+=("$name")
  else
    note_failure "gcc $source"
  fi
done
if gcc "${CFLAGS[@]}" -Iinclude tests/c/test_seed.c -o "$OUT/test_seed_static" \
  "$LIBDIR/libgroup_redis.a" -lpthread -ldl -lm; then
  STATIC_OK=1
else
  STATIC_OK=0
  note_failure "gcc test_seed.c against libgroup_redis.a"
fi
if g++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude tests/c/header_check.cpp \
  -o "$OUT/header_check_cpp" -L"$LIBDIR" -lgroup_redis -Wl,-rpath,"$LIBDIR" &&
  "$OUT/header_check_cpp"; then
  note_pass "g++ -Wall -Werror compiles and links the header"
else
  note_failure "g++ compile of include/group_redis.h"
fi
if command -v cmake >/dev/null; then
  CMAKE_DIR="$OUT/cmake-check"
  rm -rf "$CMAKE_DIR" && mkdir -p "$CMAKE_DIR/src"
  cp tests/c/header_check.cpp "$CMAKE_DIR/src/"
  cat >"$CMAKE_DIR/src/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.13)
project(group_redis_cmake_check CXX)
include("$ROOT/include/group_redis.cmake")
add_executable(check header_check.cpp)
target_link_libraries(check PRIVATE group_redis::group_redis)
CMAKE
  if cmake -S "$CMAKE_DIR/src" -B "$CMAKE_DIR/build" >"$CMAKE_DIR/log" 2>&1 &&
    cmake --build "$CMAKE_DIR/build" >>"$CMAKE_DIR/log" 2>&1 &&
    "$CMAKE_DIR/build/check" >>"$CMAKE_DIR/log" 2>&1; then
    note_pass "CMake snippet builds and links"
  else
    cat "$CMAKE_DIR/log"
    note_failure "CMake snippet (include/group_redis.cmake)"
  fi
else
  echo "cmake not installed: CMake snippet check skipped"
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

# shellcheck disable=SC2086
if gcc "${CFLAGS[@]}" $CFLAGS_GR tests/c/quickstart.c -o "$OUT/quickstart" $LIBS_GR \
  -Wl,-rpath,"$LIBDIR" && "$OUT/quickstart" | tee "$OUT/quickstart.log" &&
  grep -q "holding reindex with fencing token" "$OUT/quickstart.log"; then
  note_pass "README quick start (tests/c/quickstart.c)"
else
  note_failure "README quick start (tests/c/quickstart.c)"
fi

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
