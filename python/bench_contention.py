#!/usr/bin/env python3
"""Contention sweep for python/bench.py (`bench.py --contention`): waiters on one lock,
from Python threads. Prints numbers; asserts nothing.

Each waiter is a thread looping `try_lock("hot", wait=30)` + `release("hot")` for
`seconds`; a process's waiters are spread round-robin over 4 connectors (as in
gr-bench-locks, bench/src/locks.rs, and the issue's Python rows), so up to 4 of them wait
in the native library at once per connector and the rest queue behind their connector's
member (a lock is not re-entrant). "several processes" rows split the waiters over child
processes (this file run with --child), each with its share of threads and its own 4
connectors. Redis `CONFIG RESETSTAT` once every waiter is connected, `INFO commandstats`
when they stop: commands counts every command Redis ran (a script's own included),
Redis us the time of the top-level script calls (FCALL's time includes its commands'),
both per acquisition, as gr-bench-locks counts them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import group_redis
import redis

CONNECTORS = 4
GROUP = "bench-contention"
LOCK = "hot"


def command_totals(client: "redis.Redis") -> tuple[float, float]:
    """(calls, usec) from INFO commandstats, as gr-bench-locks reads them."""
    calls = usec = 0.0
    for key, fields in client.info("commandstats").items():
        name = key.removeprefix("cmdstat_")
        if name in ("info", "config"):
            continue
        calls += float(fields["calls"])
        if name in ("fcall", "evalsha", "eval"):
            usec += float(fields["usec"])
    return calls, usec


def connectors(url: str, tag: str, waiters: int) -> list["group_redis.Connector"]:
    return [
        group_redis.connect(url, group=GROUP, member_id=f"{tag}-{i}")
        for i in range(max(1, min(waiters, CONNECTORS)))
    ]


def run_waiters(conns: list, waiters: int, seconds: float) -> tuple[list[int], list[float]]:
    """Each waiter thread loops try_lock + release for `seconds` from the start line;
    returns the grants per waiter and every wait in microseconds."""
    grants = [0] * waiters
    waits: list[list[float]] = [[] for _ in range(waiters)]
    start_line = threading.Barrier(waiters + 1)
    end = [0.0]

    def waiter(i: int) -> None:
        conn = conns[i % len(conns)]
        mine = waits[i]
        clock = time.perf_counter
        start_line.wait()
        n = 0
        while clock() < end[0]:
            started = clock()
            lock = conn.try_lock(LOCK, wait=30)
            mine.append((clock() - started) * 1e6)
            if lock is None:
                raise RuntimeError("try_lock timed out after 30 s")
            n += 1
            lock.release()
        grants[i] = n

    threads = [threading.Thread(target=waiter, args=(i,)) for i in range(waiters)]
    for t in threads:
        t.start()
    end[0] = time.perf_counter() + seconds
    start_line.wait()
    for t in threads:
        t.join()
    return grants, [w for ws in waits for w in ws]


def child(url: str, waiters: int, seconds: float) -> None:
    """A process of the "several processes" rows: prints "ready", waits for a line on
    stdin, contends, prints "grants ..." and "waits ..." (the protocol of gr-bench-locks)."""
    conns = connectors(url, f"p{os.getpid()}", waiters)
    print("ready", flush=True)
    sys.stdin.readline()
    grants, waits = run_waiters(conns, waiters, seconds)
    print("grants " + " ".join(map(str, grants)))
    print("waits " + " ".join(f"{w:.0f}" for w in waits), flush=True)
    for c in conns:
        c.close()


def several(url: str, client: "redis.Redis", waiters: int, procs: int, seconds: float):
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", url,
             str(waiters // procs + (p < waiters % procs)), str(seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ,
        )
        for p in range(procs)
    ]
    for c in children:
        line = c.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"child said {line!r}")
    client.execute_command("CONFIG", "RESETSTAT")
    start = time.perf_counter()
    for c in children:
        c.stdin.write("go\n")
        c.stdin.flush()
    grants: list[int] = []
    waits: list[float] = []
    for c in children:
        for _ in range(2):
            kind, *words = c.stdout.readline().split()
            if kind == "grants":
                grants.extend(int(w) for w in words)
            elif kind == "waits":
                waits.extend(float(w) for w in words)
            else:
                raise RuntimeError(f"child said {kind!r}")
    elapsed = time.perf_counter() - start
    calls, usec = command_totals(client)
    for c in children:
        c.wait()
    return grants, waits, elapsed, calls, usec


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]


def sweep(url: str, points: list[int], processes: int, seconds: float) -> None:
    client = redis.Redis.from_url(url)
    print()
    print(f"## contention sweep: waiter threads on one lock, try_lock(wait=30 s) + release, "
          f"{seconds:g} s per point, {CONNECTORS} connectors per process; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| waiters | processes | acq/s | Redis commands per acq | Redis us per acq "
          "| wait p50 ms | wait p99 ms | wait max ms | max/min grants per waiter |")
    print("|---|---|---|---|---|---|---|---|---|")
    for waiters in points:
        for procs in (1, processes):
            if procs > 1 and waiters < procs:
                continue
            if procs == 1:
                conns = connectors(url, "one", waiters)
                client.execute_command("CONFIG", "RESETSTAT")
                start = time.perf_counter()
                grants, waits = run_waiters(conns, waiters, seconds)
                elapsed = time.perf_counter() - start
                calls, usec = command_totals(client)
                for c in conns:
                    c.close()
            else:
                grants, waits, elapsed, calls, usec = several(url, client, waiters, procs, seconds)
            acquisitions = sum(grants)
            most, least = max(grants), min(grants)
            ratio = f"{most}/0" if least == 0 else f"{most / least:.2f} ({most}/{least})"
            n = max(acquisitions, 1)
            print(f"| {waiters} | {procs} | {acquisitions / elapsed:.0f} | {calls / n:.1f} "
                  f"| {usec / n:.1f} | {percentile(waits, 0.5) / 1000:.2f} "
                  f"| {percentile(waits, 0.99) / 1000:.2f} | {percentile(waits, 1.0) / 1000:.0f} "
                  f"| {ratio} |", flush=True)
    print(f"(load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    client.close()


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--child":
    child(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
