#!/usr/bin/env bash
# Installs what the demo and the tests need on a Debian machine, skipping what is there:
# redis-server (the tests start their own on free ports), redis-sentinel (fail-over tests), redis-tools
# (redis-cli: cluster tests), openssl (TLS tests), valgrind, pkg-config and
# cmake (C tests: the installed library is used through both), a JDK with
# Maven and binutils' strip (Java binding), Python's venv module (Python binding). Rust must be installed
# (rustup); everything else comes from Debian's packages. Idempotent.
#
#   scripts/install-deps.sh          # everything the tests need
#   scripts/install-deps.sh --demo   # only what the demo needs
set -euo pipefail

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v openssl >/dev/null || need+=(openssl)
if [ "${1:-}" != "--demo" ]; then
  command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
  # redis-cli sets up and reshards the Redis Cluster of the cluster tests.
  command -v redis-cli >/dev/null || need+=(redis-tools)
  command -v valgrind >/dev/null || need+=(valgrind)
  command -v pkg-config >/dev/null || need+=(pkg-config)
  command -v cmake >/dev/null || need+=(cmake)
  command -v gcc >/dev/null || need+=(gcc)
  command -v g++ >/dev/null || need+=(g++)
  command -v strip >/dev/null || need+=(binutils)
  command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || need+=(maven)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing from Debian's packages: ${need[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

command -v cargo >/dev/null || {
  echo "cargo not found: install Rust with rustup (https://rustup.rs), then run this again" >&2
  exit 1
}
