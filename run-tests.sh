#!/usr/bin/env bash
# Every test in every language, each against redis-server instances the tests start
# themselves on free ports (never 6379). Installs missing system packages first.
#
#   ./run-tests.sh              # Rust, C (+ valgrind), Python, Java, cross-language
#   ./run-tests.sh rust python  # only some suites
set -uo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh || exit 1

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(rust c python java cross)

run_suite() {
  case "$1" in
    rust) cargo test --workspace --locked --no-fail-fast ;;
    c) tests/c/run.sh ;;
    python) python/run-tests.sh ;;
    java) java/run-tests.sh ;;
    cross) tests/cross/run.sh ;;
    *) echo "unknown suite $1 (rust, c, python, java, cross)" >&2; return 2 ;;
  esac
}

passed=0
failed=0
failures=()
for suite in "${suites[@]}"; do
  echo "=== $suite"
  start=$SECONDS
  if run_suite "$suite"; then
    passed=$((passed + 1))
    echo "=== $suite: passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1))
    failures+=("$suite")
    echo "=== $suite: FAILED after $((SECONDS - start)) s"
  fi
done

[ $failed -eq 0 ] || echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
