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
     the C ABI from a C program (tests/c/bench_calls.c, compiled here), redis-py's
     `Lock`, and a raw redis-py loop (SET NX PX + a Lua compare-and-delete: the least a
     correct lock can do);
  2. the Python layer's own cost: `conn.lock(name).release()` and `conn.is_held(name)`
     against the same native functions called through raw ctypes with ready-made
     arguments (the floor for any ctypes binding), alternated in small blocks so that
     both see the same machine load; reported as medians and the median of the ratios
     of neighbouring blocks (`--python-layer-only` runs just this);
  3. N threads on N locks: group_redis through one connector vs redis-py `Lock` with N
     threads sharing one client (connection pool);
  4. the cost of a call without I/O (`is_held`) from C;
  5. the Rust baseline (unless --no-rust): the same lock+release and is_held straight on
     the core's blocking connector and through the `gr_` exports, from Rust
     (bench/src/call_costs.rs, the binary gr-call-costs run with `cargo run --release`),
     against the same redis-server.

`--contention` runs only the contention sweep instead (bench_contention.py): 1, 2, 8, 32
and 128 waiter threads (`--waiters`) on one lock, in one process and split over
`--processes` (default 4) processes, `--contention-seconds` (default 3) per point:
acquisitions/s, Redis commands and Redis us per acquisition (INFO commandstats), p50/p99
wait, max/min grants per waiter.
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

import bench_contention  # noqa: E402
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


def alternating_blocks(
    bodies: dict[str, Callable[[], None]], blocks: int, calls_per_block: int
) -> dict[str, list[float]]:
    """Runs each body `calls_per_block` times in turn, `blocks` times over, reversing the
    order every other block; returns each body's ns per call of every block. Blocks a few
    milliseconds long put neighbouring blocks of two bodies under the same machine load,
    which rounds of a second do not on a shared machine."""
    timings: dict[str, list[float]] = {name: [] for name in bodies}
    order = list(bodies.items())
    clock = time.perf_counter_ns
    for block in range(blocks):
        for name, body in order if block % 2 else reversed(order):
            start = clock()
            for _ in range(calls_per_block):
                body()
            timings[name].append((clock() - start) / calls_per_block)
    return timings


def python_layer_cost(conn: "group_redis.Connector", pairs: int) -> None:
    """Section 2: the Python API against raw ctypes calls of the same native functions."""
    lib = _native.lib
    handle = conn._handle
    token = c_uint64(0)
    token_ref = byref(token)
    raw_acquire, raw_release = lib.gr_acquire, lib.gr_release_as

    def api_pair() -> None:
        conn.lock("layer-api").release()

    def raw_pair() -> None:
        raw_acquire(handle, None, b"layer-raw", False, 0, token_ref)
        raw_release(handle, None, b"layer-raw")

    assert conn.lock("layer-held")
    held = c_bool(False)
    held_ref = byref(held)
    raw_is_held = lib.gr_is_held

    def api_is_held() -> None:
        conn.is_held("layer-held")

    def raw_is_held_call() -> None:
        raw_is_held(handle, b"layer-held", held_ref)

    print()
    print("## the Python layer's cost: API vs raw ctypes on the same functions, alternating blocks")
    for what, bodies, blocks, per_block, unit, scale in (
        ("lock+release", {"Python API": api_pair, "raw ctypes": raw_pair},
         max(pairs // 20, 10), 20, "us/pair", 1e-3),
        ("is_held", {"Python API": api_is_held, "raw ctypes": raw_is_held_call},
         200, 1000, "ns/call", 1.0),
    ):
        for body in bodies.values():  # warm up
            for _ in range(per_block * 5):
                body()
        timings = alternating_blocks(bodies, blocks, per_block)
        api, raw = timings["Python API"], timings["raw ctypes"]
        for name, values in timings.items():
            print(f"{what + ', ' + name:40s} {statistics.median(values) * scale:9.2f} {unit} "
                  f"(median of {blocks} blocks of {per_block})")
        print(f"{what + ', Python API / raw ctypes':40s} {median_ratio(api, raw):9.3f} x"
              + ("  (target <= 1.10)" if what == "lock+release" else ""))
    conn.release("layer-held")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="per contender (default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-rust", action="store_true", help="skip the Rust baseline (needs cargo)")
    parser.add_argument("--layer-pairs", type=int, default=20000,
                        help="lock+release pairs per contender in section 2 (default 20000)")
    parser.add_argument("--python-layer-only", action="store_true",
                        help="run only section 2, the Python layer against raw ctypes")
    parser.add_argument("--contention", action="store_true",
                        help="run only the contention sweep (bench_contention.py)")
    parser.add_argument("--waiters", default="1,2,8,32,128", help="sweep points (default 1,2,8,32,128)")
    parser.add_argument("--processes", type=int, default=4,
                        help="processes of the sweep's several-process rows (default 4)")
    parser.add_argument("--contention-seconds", type=float, default=3.0,
                        help="length of each sweep point (default 3)")
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
              f"{os.cpu_count()} CPUs"
              + ("" if args.contention else f"; {args.rounds} interleaved rounds of {per_round:g} s per contender"))
        if args.contention:
            bench_contention.sweep(server.url, [int(n) for n in args.waiters.split(",")],
                                   args.processes, args.contention_seconds)
            return
        group = f"bench-{uuid.uuid4().hex[:8]}"
        conn = group_redis.connect(server.url, group=group, member_id="py-bench")
        if args.python_layer_only:
            python_layer_cost(conn, args.layer_pairs)
            conn.close()
            return
        client = redis.Redis(port=server.port)
        release_script = client.register_script(RELEASE_LUA)
        c_binary = compile_c_bench()

        # 1. one thread, uncontended
        def gr_api() -> None:
            conn.lock("py-bench-lock").release()

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

        # 2. the Python layer against raw ctypes
        python_layer_cost(conn, args.layer_pairs)

        # 3. threads on their own locks
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

        # 4. a call without I/O from C: the cost of the boundary itself (Python's is in 2)
        if c_binary:
            c = run_c(c_binary, server.url, f"{group}-c2", per_round)
            print()
            print("## a call without I/O from C")
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
