#!/usr/bin/env bash
# Installs the C library: header, libgroup_redis.so (with its SONAME links), libgroup_redis.a,
# pkg-config files and a CMake package config, built from this checkout.
#
#   scripts/install-c.sh [--prefix DIR] [--libdir DIR] [--keep-debug-info] [--no-build]
#
#   --prefix DIR        where to install (default /usr/local): DIR/include/group_redis.h,
#                       DIR/lib/{libgroup_redis.so*,libgroup_redis.a,pkgconfig,cmake/group-redis}
#   --libdir DIR        the library directory (default PREFIX/lib)
#   --keep-debug-info   install the libraries as built (the release profile keeps line tables
#                       for backtraces and debuggers); by default their debug info is stripped
#                       (symbols stay), which takes the .a from about 117 MB to 36 MB
#   --no-build          install what target/release has, without running cargo first
#
# DESTDIR is honoured as usual (files go under $DESTDIR, paths inside them name PREFIX).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGING="$ROOT/ffi/packaging"
BUILT="$ROOT/target/release"
# What libgroup_redis.a needs from the system: rustc's --print native-static-libs for
# x86_64-unknown-linux-gnu, less -lc (the compiler driver adds it).
SYSTEM_LIBS=(gcc_s util rt pthread m dl)

prefix=/usr/local
libdir=""
keep_debug=0
build=1
usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --libdir) [ $# -ge 2 ] || { usage >&2; exit 2; }; libdir="$2"; shift 2 ;;
    --libdir=*) libdir="${1#*=}"; shift ;;
    --keep-debug-info) keep_debug=1; shift ;;
    --no-build) build=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-c.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$prefix" in
  /*) ;;
  *) prefix="$(pwd)/$prefix" ;; # the .pc and CMake files need absolute paths
esac
prefix="${prefix%/}"
[ -n "$libdir" ] || libdir="$prefix/lib"
case "$libdir" in
  /*) ;;
  *) echo "install-c.sh: --libdir must be an absolute path" >&2; exit 2 ;;
esac
includedir="$prefix/include"
dest="${DESTDIR:-}"

if [ "$build" -eq 1 ]; then
  (cd "$ROOT" && cargo build --release --locked -p group-redis-ffi)
fi
for built in libgroup_redis.so libgroup_redis.a; do
  [ -f "$BUILT/$built" ] || {
    echo "install-c.sh: $BUILT/$built is missing: cargo build --release -p group-redis-ffi" >&2
    exit 1
  }
done

# The version and SONAME come from the header, whose macros ffi/build.rs writes from the
# crate version; the library must carry the same SONAME (else it is from another build).
header="$ROOT/include/group_redis.h"
macro() { sed -n "s/^#define $1 \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$header"; }
version="$(macro GROUP_REDIS_VERSION)"
version_major="$(macro GROUP_REDIS_VERSION_MAJOR)"
version_minor="$(macro GROUP_REDIS_VERSION_MINOR)"
soname="$(macro GROUP_REDIS_SONAME)"
[ -n "$version" ] && [ -n "$soname" ] || {
  echo "install-c.sh: no GROUP_REDIS_VERSION / GROUP_REDIS_SONAME in $header" >&2
  exit 1
}
built_soname="$(readelf -d "$BUILT/libgroup_redis.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
if [ "$built_soname" != "$soname" ]; then
  echo "install-c.sh: $BUILT/libgroup_redis.so has SONAME '$built_soname', the header says" \
    "'$soname': rebuild (cargo build --release -p group-redis-ffi)" >&2
  exit 1
fi
shared_file="libgroup_redis.so.$version"
repository="$(sed -n 's/^repository = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml")"

install -d "$dest$includedir" "$dest$libdir/pkgconfig" "$dest$libdir/cmake/group-redis" \
  "$dest$prefix/share/licenses/group-redis"
install -m 0644 "$header" "$dest$includedir/group_redis.h"
install -m 0755 "$BUILT/libgroup_redis.so" "$dest$libdir/$shared_file"
install -m 0644 "$BUILT/libgroup_redis.a" "$dest$libdir/libgroup_redis.a"
if [ "$keep_debug" -eq 0 ]; then
  strip --strip-debug "$dest$libdir/$shared_file" "$dest$libdir/libgroup_redis.a"
fi
# The loader finds the library by its SONAME; the linker's -lgroup_redis by the bare name.
ln -sfn "$shared_file" "$dest$libdir/$soname"
ln -sfn "$soname" "$dest$libdir/libgroup_redis.so"
install -m 0644 "$ROOT/LICENSE" "$dest$prefix/share/licenses/group-redis/LICENSE"

system_libs="$(printf -- '-l%s ' "${SYSTEM_LIBS[@]}")"
cmake_system_libs="$(printf '%s;' "${SYSTEM_LIBS[@]}" | sed -e 's/;$//' -e 's/pthread;//')"
fill() {
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@INCLUDEDIR@|$includedir|g" \
    -e "s|@VERSION@|$version|g" -e "s|@VERSION_MAJOR@|$version_major|g" \
    -e "s|@VERSION_MINOR@|$version_minor|g" -e "s|@SONAME@|$soname|g" \
    -e "s|@SHARED_FILE@|$shared_file|g" -e "s|@REPOSITORY@|$repository|g" \
    -e "s|@SYSTEM_LIBS@|${system_libs% }|g" -e "s|@CMAKE_SYSTEM_LIBS@|$cmake_system_libs|g" \
    "$PACKAGING/$1.in" >"$2"
  chmod 0644 "$2"
}
fill group-redis.pc "$dest$libdir/pkgconfig/group-redis.pc"
fill group-redis-static.pc "$dest$libdir/pkgconfig/group-redis-static.pc"
fill group-redisConfig.cmake "$dest$libdir/cmake/group-redis/group-redisConfig.cmake"
fill group-redisConfigVersion.cmake "$dest$libdir/cmake/group-redis/group-redisConfigVersion.cmake"

size() { stat -c %s "$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'; }
echo "installed group-redis $version under $dest$prefix:"
echo "  $includedir/group_redis.h"
echo "  $libdir/$shared_file ($(size "$dest$libdir/$shared_file")), $soname, libgroup_redis.so"
echo "  $libdir/libgroup_redis.a ($(size "$dest$libdir/libgroup_redis.a"))"
echo "  $libdir/pkgconfig/group-redis.pc, group-redis-static.pc"
echo "  $libdir/cmake/group-redis/group-redisConfig.cmake, group-redisConfigVersion.cmake"
