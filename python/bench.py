#!/usr/bin/env python3
"""Lock benchmark: group_redis (Python, over the native library) next to redis-py, in one
run against one redis-server it starts on a free port. Prints numbers; asserts nothing.

    cargo build --release -p group-redis-ffi
    target/python-venv/bin/python python/bench.py [--seconds 3]
(any Python with redis-py installed works; python/run-tests.sh creates that venv).

Measures:
  1. uncontended lock+release pairs/s on one thread: group_redis `lock()`/`release()`,
     redis-py's `Lock` (acquire/release), and a raw redis-py loop (SET NX PX + a Lua
     compare-and-delete, the least a correct lock can do);
  2. 8 threads on 8 locks: group_redis through one connector vs redis-py `Lock` with 8
     threads sharing one client (connection pool);
  3. per-call overhead: a call without I/O (`is_held`) from Python (package API and raw
     ctypes) and from C, and lock+release through C (tests/c/bench_calls.c, compiled here)
     vs through Python.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from ctypes import byref, c_bool
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "tests"))
# Run as a script, python/ is first on sys.path and the source package is imported: point
# it at the freshly built library unless told otherwise.
_BUILT = ROOT / "target" / "release" / "libgroup_redis.so"
if "GROUP_REDIS_LIB" not in os.environ and _BUILT.is_file():
    os.environ["GROUP_REDIS_LIB"] = str(_BUILT)

import group_redis  # noqa: E402
import redis  # noqa: E402
from group_redis import _native  # noqa: E402
from redis_server import RedisServer  # noqa: E402

RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def rate(body: Callable[[], None], seconds: float, batch: int = 50) -> float:
    """Calls `body` (one pair per call) for `seconds`; returns calls per second."""
    for _ in range(200):  # warm up: connections, script caches
        body()
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(batch):
            body()
        done += batch
    return done / elapsed


def threaded_rate(make_body: Callable[[int], Callable[[], None]], threads: int, seconds: float) -> float:
    """`threads` threads, each calling its own body for `seconds`; total calls/s."""
    bodies = [make_body(i) for i in range(threads)]
    for body in bodies:
        for _ in range(50):
            body()
    counts = [0] * threads
    barrier = threading.Barrier(threads + 1)
    stop = threading.Event()

    def run(i: int) -> None:
        body = bodies[i]
        barrier.wait()
        n = 0
        while not stop.is_set():
            for _ in range(20):
                body()
            n += 20
        counts[i] = n

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join()
    return sum(counts) / (time.perf_counter() - start)


def ns_per_call(body: Callable[[], None], seconds: float) -> float:
    calls = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(1000):
            body()
        calls += 1000
    return elapsed * 1e9 / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement (default 3)")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    seconds, threads = args.seconds, args.threads

    server = RedisServer()
    try:
        version = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True
        ).stdout.split()[2]
        print(f"# group_redis {group_redis.version()} ({group_redis.library_path()})")
        print(f"# redis-py {redis.__version__}, redis-server {version}, Python {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, {seconds:g} s per measurement")
        group = f"bench-{uuid.uuid4().hex[:8]}"
        conn = group_redis.connect(server.url, group=group, member_id="py-bench")
        client = redis.Redis(port=server.port)
        release_script = client.register_script(RELEASE_LUA)
        results: dict[str, float] = {}

        # 1. one thread, uncontended
        def gr_pair() -> None:
            lock = conn.lock("py-bench-lock")
            lock.release()

        results["group_redis"] = rate(gr_pair, seconds)
        rp_lock = client.lock("rp-bench-lock", timeout=30)

        def rp_pair() -> None:
            rp_lock.acquire()
            rp_lock.release()

        results["redis_py_lock"] = rate(rp_pair, seconds)
        token = uuid.uuid4().hex

        def raw_pair() -> None:
            client.set("raw-bench-lock", token, nx=True, px=30000)
            release_script(keys=["raw-bench-lock"], args=[token])

        results["raw"] = rate(raw_pair, seconds)
        print()
        print("## uncontended lock+release, 1 thread")
        print(f"group_redis lock()+release()               {results['group_redis']:9.0f} pairs/s")
        print(f"redis-py Lock acquire()+release()          {results['redis_py_lock']:9.0f} pairs/s")
        print(f"raw redis-py SET NX PX + Lua delete        {results['raw']:9.0f} pairs/s")
        print(f"group_redis / redis-py Lock                {results['group_redis'] / results['redis_py_lock']:9.2f} x  (target >= 1.7)")
        print(f"group_redis / raw redis-py                 {results['group_redis'] / results['raw']:9.2f} x")

        # 2. threads on their own locks
        def gr_body(i: int) -> Callable[[], None]:
            name = f"py-bench-lock-{i}"

            def body() -> None:
                conn.lock(name).release()

            return body

        def rp_body(i: int) -> Callable[[], None]:
            lock = client.lock(f"rp-bench-lock-{i}", timeout=30)

            def body() -> None:
                lock.acquire()
                lock.release()

            return body

        results["group_redis_threads"] = threaded_rate(gr_body, threads, seconds)
        results["redis_py_threads"] = threaded_rate(rp_body, threads, seconds)
        print()
        print(f"## {threads} threads on {threads} locks")
        print(f"group_redis, one connector                 {results['group_redis_threads']:9.0f} pairs/s"
              f"  ({results['group_redis_threads'] / results['group_redis']:.2f}x its 1 thread)")
        print(f"redis-py Lock, one client                  {results['redis_py_threads']:9.0f} pairs/s"
              f"  ({results['redis_py_threads'] / results['redis_py_lock']:.2f}x its 1 thread)")
        print(f"group_redis / redis-py                     {results['group_redis_threads'] / results['redis_py_threads']:9.2f} x")

        # 3. per-call overhead
        assert conn.lock("py-bench-held")
        held = c_bool(False)
        handle = conn._handle
        name = b"py-bench-held"
        raw_is_held = _native.lib.gr_is_held
        python_api_ns = ns_per_call(lambda: conn.is_held("py-bench-held"), seconds / 2)
        ctypes_ns = ns_per_call(lambda: raw_is_held(handle, name, byref(held)), seconds / 2)
        print()
        print("## per-call overhead")
        print(f"is_held (no I/O) via Python API            {python_api_ns:9.0f} ns/call")
        print(f"is_held (no I/O) via raw ctypes            {ctypes_ns:9.0f} ns/call")
        c_results = run_c_bench(server.url, f"{group}-c", seconds)
        if c_results:
            c_ns = c_results["c_is_held_ns_per_call"]
            print(f"is_held (no I/O) from C                    {c_ns:9.0f} ns/call")
            print(f"trivial export (gr_status_name) from C     {c_results['c_trivial_export_ns_per_call']:9.1f} ns/call")
            c_pairs = c_results["c_lock_release_pairs_per_s"]
            print(f"lock+release from C                        {c_pairs:9.0f} pairs/s"
                  f"  ({1e6 / c_pairs:.1f} us/pair)")
            print(f"lock+release from Python                   {results['group_redis']:9.0f} pairs/s"
                  f"  ({1e6 / results['group_redis']:.1f} us/pair, "
                  f"+{1e6 / results['group_redis'] - 1e6 / c_pairs:.1f} us over C)")
        conn.close()
    finally:
        server.stop()


def run_c_bench(url: str, group: str, seconds: float) -> dict[str, float]:
    if shutil.which("gcc") is None:
        print("(gcc not found: C numbers skipped)")
        return {}
    library_dir = group_redis.library_path().parent
    binary = Path(tempfile.mkdtemp(prefix="gr-bench-")) / "bench_calls"
    subprocess.run(
        ["gcc", "-O2", "-std=c11", "-I", str(ROOT / "include"), str(ROOT / "tests" / "c" / "bench_calls.c"),
         "-o", str(binary), "-L", str(library_dir), "-lgroup_redis", f"-Wl,-rpath,{library_dir}"],
        check=True,
    )
    out = subprocess.run([str(binary), url, group, str(seconds)], capture_output=True, text=True, check=True)
    return {line.split()[0]: float(line.split()[1]) for line in out.stdout.splitlines() if line.strip()}


if __name__ == "__main__":
    main()
