#!/usr/bin/env python3
"""Lock benchmark: group_redis (Python over the native library, and C) next to redis-py,
in one run against one redis-server it starts on a free port. Prints numbers; asserts
nothing.

    cargo build --release -p group-redis-ffi
    target/python-venv/bin/python python/bench.py [--seconds 5] [--rounds 5]

(any Python with redis-py installed works; python/run-tests.sh creates that venv; gcc is
needed for the C numbers).

The machine this was written on is small and shared, so the contenders are interleaved:
each round measures every contender for seconds/rounds, and the report gives the median
over the rounds, plus the median of the per-round ratios.

Measures:
  1. uncontended lock+release pairs/s on one thread: group_redis `lock()`/`release()`,
     the same two calls through raw ctypes, the C ABI from a C program
     (tests/c/bench_calls.c, compiled here), redis-py's `Lock`, and a raw redis-py loop
     (SET NX PX + a Lua compare-and-delete: the least a correct lock can do);
  2. N threads on N locks: group_redis through one connector vs redis-py `Lock` with N
     threads sharing one client (connection pool);
  3. the cost of a call without I/O (`is_held`) from Python and from C;
  4. the Rust baseline (unless --no-rust): the same lock+release and is_held straight on
     the core's blocking connector and through the `gr_` exports, from Rust
     (bench/src/call_costs.rs, the binary gr-call-costs run with `cargo run --release`),
     against the same redis-server.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from ctypes import byref, c_bool, c_uint64
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
from c_linking import link_args  # noqa: E402
from redis_server import RedisServer  # noqa: E402

RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def rate(body: Callable[[], None], seconds: float, batch: int = 25) -> float:
    """Calls `body` (one pair per call) for `seconds`; returns calls per second."""
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(batch):
            body()
        done += batch
    return done / elapsed


def threaded_rate(bodies: list[Callable[[], None]], seconds: float) -> float:
    """One thread per body, each calling it for `seconds`; total calls per second."""
    counts = [0] * len(bodies)
    barrier = threading.Barrier(len(bodies) + 1)
    stop = threading.Event()

    def run(i: int) -> None:
        body = bodies[i]
        barrier.wait()
        n = 0
        while not stop.is_set():
            for _ in range(10):
                body()
            n += 10
        counts[i] = n

    workers = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
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


def compile_c_bench() -> str | None:
    if shutil.which("gcc") is None:
        return None
    binary = Path(tempfile.mkdtemp(prefix="gr-bench-")) / "bench_calls"
    subprocess.run(
        ["gcc", "-O2", "-std=c11", str(ROOT / "tests" / "c" / "bench_calls.c"), "-o", str(binary),
         *link_args(group_redis.library_path(), binary.parent)],
        check=True,
    )
    return str(binary)


def run_c(binary: str, url: str, group: str, seconds: float, *mode: str) -> dict[str, float]:
    out = subprocess.run([binary, url, group, str(seconds), *mode], capture_output=True, text=True, check=True)
    return {line.split()[0]: float(line.split()[1]) for line in out.stdout.splitlines() if line.strip()}


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="per contender (default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-rust", action="store_true", help="skip the Rust baseline (needs cargo)")
    args = parser.parse_args()
    per_round = args.seconds / args.rounds
    threads = args.threads

    server = RedisServer()
    # Until the server's LASTSAVE (its start, here) is a whole second old, every script
    # also asks INFO for the run id (a restart in that same second must not go unseen):
    # measure the steady state, as a server that has been up for more than a second.
    time.sleep(1.1)
    try:
        version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
        print(f"# group_redis {group_redis.version()} ({group_redis.library_path()})")
        print(f"# redis-py {redis.__version__}, redis-server {version}, Python {platform.python_version()}, "
              f"{os.cpu_count()} CPUs; {args.rounds} interleaved rounds of {per_round:g} s per contender")
        group = f"bench-{uuid.uuid4().hex[:8]}"
        conn = group_redis.connect(server.url, group=group, member_id="py-bench")
        client = redis.Redis(port=server.port)
        release_script = client.register_script(RELEASE_LUA)
        c_binary = compile_c_bench()

        # 1. one thread, uncontended
        def gr_api() -> None:
            conn.lock("py-bench-lock").release()

        handle = conn._handle
        token = c_uint64(0)
        raw_lock, raw_release = _native.lib.gr_lock, _native.lib.gr_release

        def gr_ctypes() -> None:
            raw_lock(handle, b"ct-bench-lock", byref(token))
            raw_release(handle, b"ct-bench-lock")

        rp_lock = client.lock("rp-bench-lock", timeout=30)

        def rp_pair() -> None:
            rp_lock.acquire()
            rp_lock.release()

        owner = uuid.uuid4().hex

        def raw_pair() -> None:
            client.set("raw-bench-lock", owner, nx=True, px=30000)
            release_script(keys=["raw-bench-lock"], args=[owner])

        contenders = {
            "group_redis (Python API)": gr_api,
            "group_redis (raw ctypes)": gr_ctypes,
            "redis-py Lock": rp_pair,
            "raw redis-py SET NX PX + Lua delete": raw_pair,
        }
        for body in contenders.values():  # warm up: connections, script caches
            for _ in range(300):
                body()
        single: dict[str, list[float]] = {name: [] for name in contenders}
        if c_binary:
            single["group_redis (C program)"] = []
        for _ in range(args.rounds):
            for name, body in contenders.items():
                single[name].append(rate(body, per_round))
            if c_binary:
                c = run_c(c_binary, server.url, f"{group}-c", per_round, "pairs")
                single["group_redis (C program)"].append(c["c_lock_release_pairs_per_s"])
        print()
        print("## uncontended lock+release, 1 thread (median pairs/s over rounds)")
        for name, values in single.items():
            print(f"{name:40s} {statistics.median(values):9.0f} pairs/s  "
                  f"({1e6 / statistics.median(values):6.1f} us/pair; rounds: {', '.join(f'{v:.0f}' for v in values)})")
        api, rp = single["group_redis (Python API)"], single["redis-py Lock"]
        print(f"{'group_redis / redis-py Lock':40s} {median_ratio(api, rp):9.2f} x  (target >= 1.7)")
        print(f"{'group_redis / raw redis-py':40s} {median_ratio(api, single['raw redis-py SET NX PX + Lua delete']):9.2f} x")

        # 2. threads on their own locks
        def gr_body(i: int) -> Callable[[], None]:
            name = f"py-bench-lock-{i}"
            return lambda: conn.lock(name).release()

        def rp_body(i: int) -> Callable[[], None]:
            lock = client.lock(f"rp-bench-lock-{i}", timeout=30)

            def body() -> None:
                lock.acquire()
                lock.release()

            return body

        gr_bodies = [gr_body(i) for i in range(threads)]
        rp_bodies = [rp_body(i) for i in range(threads)]
        gr_threads: list[float] = []
        rp_threads: list[float] = []
        for _ in range(args.rounds):
            gr_threads.append(threaded_rate(gr_bodies, per_round))
            rp_threads.append(threaded_rate(rp_bodies, per_round))
        print()
        print(f"## {threads} threads on {threads} locks (median pairs/s over rounds)")
        print(f"{'group_redis, one connector':40s} {statistics.median(gr_threads):9.0f} pairs/s  "
              f"({median_ratio(gr_threads, api):.2f}x its 1 thread)")
        print(f"{'redis-py Lock, one client':40s} {statistics.median(rp_threads):9.0f} pairs/s  "
              f"({median_ratio(rp_threads, rp):.2f}x its 1 thread)")
        print(f"{'group_redis / redis-py':40s} {median_ratio(gr_threads, rp_threads):9.2f} x")

        # 3. a call without I/O: the cost of the boundary itself
        assert conn.lock("py-bench-held")
        held = c_bool(False)
        raw_is_held = _native.lib.gr_is_held
        print()
        print("## a call without I/O (is_held)")
        print(f"{'Python API conn.is_held()':40s} "
              f"{ns_per_call(lambda: conn.is_held('py-bench-held'), per_round):9.0f} ns/call")
        print(f"{'raw ctypes gr_is_held':40s} "
              f"{ns_per_call(lambda: raw_is_held(handle, b'py-bench-held', byref(held)), per_round):9.0f} ns/call")
        if c_binary:
            c = run_c(c_binary, server.url, f"{group}-c2", per_round)
            print(f"{'C gr_is_held':40s} {c['c_is_held_ns_per_call']:9.0f} ns/call")
            print(f"{'C gr_status_name (trivial export)':40s} {c['c_trivial_export_ns_per_call']:9.1f} ns/call")
        conn.close()
        if not args.no_rust and shutil.which("cargo"):
            rust = run_rust(server.url, per_round, args.rounds)
            print()
            print("## Rust baseline (same server; medians over its own interleaved rounds)")
            print(f"{'core blocking API lock+release':40s} {rust['rust_lock_release_pairs_per_s']:9.0f} pairs/s")
            print(f"{'gr_lock+gr_release called from Rust':40s} {rust['rust_c_abi_lock_release_pairs_per_s']:9.0f} pairs/s")
            print(f"{'core blocking API is_held':40s} {rust['rust_is_held_ns']:9.1f} ns/call")
            print(f"{'gr_is_held called from Rust':40s} {rust['rust_c_abi_is_held_ns']:9.1f} ns/call")
    finally:
        server.stop()


def run_rust(url: str, per_round: float, rounds: int) -> dict[str, float]:
    print("\n(building and running the Rust baseline: cargo run --release -p gr-bench --bin gr-call-costs)",
          flush=True)
    out = subprocess.run(
        ["cargo", "run", "--release", "--locked", "-q", "-p", "gr-bench", "--bin", "gr-call-costs"],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": url, "GR_BENCH_ROUND_SECONDS": str(per_round),
             "GR_BENCH_ROUNDS": str(rounds)},
        capture_output=True,
        text=True,
        check=True,
    )
    values = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("rust_"):
            values[parts[0]] = float(parts[1])
    return values


if __name__ == "__main__":
    main()
