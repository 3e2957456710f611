#!/usr/bin/env bash
# The cross-language tests: a Java, a C and a Python member in one group (test_cross.py,
# test_cross_recipes.py and test_cross_cluster.py say what they prove). Builds what the three members load: the
# release library, the project's jar (Maven, tests skipped: java/run-tests.sh runs them) and
# the Python venv; then pytest compiles the C member with gcc and the Java member with javac
# (the Python member is this interpreter, in-process or cross_member.py), and starts its own
# redis-server (or, for the cluster test, three cluster primaries) on free ports. A missing compiler or JDK fails the test, never skips it.
# Extra arguments go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

echo "== building the release library and the jar"
cargo build --release -p group-redis-ffi
mvn -f java -B -q -Dcargo.skip=true -Dmaven.test.skip=true -Dmaven.javadoc.skip=true \
  -Dmaven.source.skip=true package

scripts/python-venv.sh

echo "== pytest"
# From outside the source tree, so `import group_redis` is the installed package.
cd "$ROOT/target"
exec "$ROOT/target/python-venv/bin/python" -m pytest -p no:cacheprovider -v -s "$@" "$ROOT/tests/cross"
