"""Event latency through the Python binding: from a change (a join or leave, a
persistent_set) to each callback, with 1, 10 and 100 callback subscribers in one process.

    python python/bench_events.py [--rounds 200] [--subscribers 1,10,100] [--kinds members,data]

Starts its own redis-server on a free port (python/tests/redis_server.py). Each round makes
one change from a second connector and waits until every subscriber's callback saw it; the
latency of one delivery is the time from just before the change was sent to the callback.
Prints p50 / p99 / max per kind and subscriber count. A benchmark, not a test: nothing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "tests"))

import group_redis  # noqa: E402
from redis_server import RedisServer  # noqa: E402


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class Round:
    """The change in flight: when it was sent, and how many deliveries are still due."""

    def __init__(self) -> None:
        self.started = 0.0
        self.pending = 0
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.latencies: list[float] = []

    def begin(self, deliveries: int) -> None:
        self.pending = deliveries
        self.done.clear()
        self.started = time.perf_counter()

    def delivered(self) -> None:
        now = time.perf_counter()
        with self.lock:
            self.latencies.append(now - self.started)
            self.pending -= 1
            if self.pending == 0:
                self.done.set()


def measure(
    url: str,
    kind: str,
    subscribers: int,
    rounds: int,
) -> list[float]:
    group = f"bench-events-{kind}-{subscribers}-{os.getpid()}"
    watcher = group_redis.connect(url, group=group, member_id="watcher")
    writer = group_redis.connect(url, group=group, member_id="writer")
    current = Round()
    try:
        subscriptions = []
        for _ in range(subscribers):
            if kind == "members":
                subscriptions.append(watcher.on_member_event(lambda event: current.delivered()))
            else:
                subscriptions.append(
                    watcher.on_data_event("bench/", lambda event: current.delivered())
                )
        change: Callable[[int], Any]
        if kind == "members":
            change = lambda i: writer.join() if i % 2 == 0 else writer.leave()  # noqa: E731
        else:
            change = lambda i: writer.persistent_set("bench/key", i)  # noqa: E731
        warmup = 5
        for i in range(rounds + warmup):
            if i == warmup:
                current.latencies.clear()
            current.begin(subscribers)
            change(i)
            if not current.done.wait(30):
                raise RuntimeError(f"round {i}: {current.pending} deliveries missing")
        for subscription in subscriptions:
            subscription.cancel()
        return sorted(current.latencies)
    finally:
        watcher.close()
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--subscribers", default="1,10,100")
    parser.add_argument("--kinds", default="members,data")
    args = parser.parse_args()
    server = RedisServer()
    try:
        print(f"python {sys.version.split()[0]}, library {group_redis.version()}, {args.rounds} changes each")
        print(f"{'kind':8} {'subscribers':>11} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for kind in args.kinds.split(","):
            for count in (int(n) for n in args.subscribers.split(",")):
                latencies = measure(server.url, kind, count, args.rounds)
                p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
                print(
                    f"{kind:8} {count:>11} {p50 * 1000:8.2f} {p99 * 1000:8.2f} "
                    f"{latencies[-1] * 1000:8.2f}",
                    flush=True,
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
