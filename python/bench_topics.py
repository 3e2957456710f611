#!/usr/bin/env python3
"""Topic log and broadcast benchmark through the Python binding (issue 18), next to
redis-py doing the same on the same redis-server in the same run. Prints numbers; asserts
nothing.

    cargo build --release -p group-redis-ffi
    $(scripts/python-bench-venv.sh) python/bench_topics.py [--rounds 7] [--messages 10000]

scripts/python-bench-venv.sh makes target/python-bench-venv with the pinned redis-py and
hiredis of python/requirements-bench.txt and prints its python (any Python with redis-py
works: without hiredis the hiredis column is left out).

Measures, with 10,000 messages of 100 bytes of JSON text each (a 98-character string):

  1. send and read back, as a user would write it, in two shapes:
       - "one batch": `topic_send(topic, all)` in one call, read back with `topic_read` in
         pages of 1,000; against one redis-py pipeline of 10,000 XADD, read back with
         XRANGE in pages of 1,000;
       - "batches of 100": 100 `topic_send` calls of 100, read back in pages of 100;
         against 100 redis-py pipelines of 100 XADD, XRANGE pages of 100.
     Both sides encode every message with the same `json.dumps` (the binding's encoding)
     and decode every message read back with `json.loads`; the redis-py side keeps each
     entry as (id, payload), group_redis gives `TopicMessage(index, payload, time)`. The
     redis-py pipelines are not transactions (no MULTI/EXEC) and XADD only the message
     (group_redis also stores the server time and gives explicit ids), so they are the
     least a raw stream writer does. redis-py is measured twice, with its pure-Python
     reply parser and with hiredis's (C), each on its own connection. Each round runs every contender once, on fresh keys,
     alternating which side goes first; the report gives the median msgs/s over the
     rounds and the median of the per-round ratios group_redis / redis-py.
  2. broadcast latency: 10 members, each on its own connector, listen (callbacks with
     `on_message`, then pull with `listen().get()` on a thread each); a sender broadcasts
     a number and waits until all 10 got it; the latency of one delivery is from just
     before `broadcast` to the listener having the decoded message. p50 / p99 / max.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

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
from redis_server import RedisServer  # noqa: E402


def encode(value: Any) -> str:
    """The binding's JSON encoding (group_redis._native.encode_json), per message."""
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def payloads(count: int) -> list[str]:
    values = [f"{i:0>98}" for i in range(count)]
    assert len(encode(values[0]).encode()) == 100
    return values


# -- send and read back ---------------------------------------------------------------------


def gr_send(conn: "group_redis.Connector", topic: str, messages: list[Any], batch: int) -> int:
    """Sends in calls of `batch`; returns the first index."""
    first = None
    for start in range(0, len(messages), batch):
        indexes = conn.topic_send(topic, messages[start:start + batch])
        if first is None:
            first = indexes[0]
    assert first is not None
    return first


def gr_read(conn: "group_redis.Connector", topic: str, first: int, count: int, page: int) -> list[Any]:
    read: list[Any] = []
    index = first
    while len(read) < count:
        batch = conn.topic_read(topic, index, page)
        read.extend(batch.messages)
        index = batch.next_index
    return read


def raw_send(client: "redis.Redis", key: str, messages: list[Any], batch: int) -> bytes:
    """Pipelines of `batch` XADDs; returns the first entry id."""
    first = None
    for start in range(0, len(messages), batch):
        pipe = client.pipeline(transaction=False)
        for message in messages[start:start + batch]:
            pipe.xadd(key, {"m": encode(message)})
        ids = pipe.execute()
        if first is None:
            first = ids[0]
    assert first is not None
    return first


def raw_read(client: "redis.Redis", key: str, first: bytes, count: int, page: int) -> list[Any]:
    read: list[Any] = []
    start: bytes = first
    while len(read) < count:
        entries = client.xrange(key, min=start, max="+", count=page)
        read.extend((entry_id, json.loads(fields[b"m"])) for entry_id, fields in entries)
        start = b"(" + entries[-1][0]
    return read


def timed(body: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = body()
    return time.perf_counter() - started, result


def redis_py_clients(port: int) -> list[tuple[str, "redis.Redis"]]:
    """redis-py with its pure-Python reply parser, and with hiredis's when that is
    installed (redis-py's default then): the baseline with and without the C parser."""
    from redis._parsers import _HiredisParser, _RESP2Parser

    clients = [("redis-py", redis.Redis(connection_pool=redis.ConnectionPool(port=port, parser_class=_RESP2Parser)))]
    if redis.utils.HIREDIS_AVAILABLE:
        pool = redis.ConnectionPool(port=port, parser_class=_HiredisParser)
        clients.append(("redis-py+hiredis", redis.Redis(connection_pool=pool)))
    return clients


def send_and_read(url: str, port: int, messages: list[Any], rounds: int, shapes: list[tuple[str, int, int]]) -> None:
    conn = group_redis.connect(url, group=f"bench-topics-{os.getpid()}", member_id="bench")
    clients = redis_py_clients(port)
    count = len(messages)
    # results[shape][contender] -> per-round (send msgs/s, read msgs/s, send + read msgs/s)
    names = ["group_redis"] + [name for name, _ in clients]
    results: dict[str, dict[str, list[tuple[float, float, float]]]] = {
        shape: {name: [] for name in names} for shape, _, _ in shapes
    }
    try:
        for round_no in range(rounds + 1):  # round 0 warms every side up and is not counted
            for shape, batch, page in shapes:
                topic = f"t-{shape.replace(' ', '-')}-{round_no}"

                def ours() -> tuple[float, float]:
                    send_s, first = timed(lambda: gr_send(conn, topic, messages, batch))
                    read_s, read = timed(lambda: gr_read(conn, topic, first, count, page))
                    assert [m.payload for m in read] == messages
                    return send_s, read_s

                def theirs(client: "redis.Redis", key: str) -> tuple[float, float]:
                    send_s, first = timed(lambda: raw_send(client, key, messages, batch))
                    read_s, read = timed(lambda: raw_read(client, key, first, count, page))
                    assert [payload for _, payload in read] == messages
                    client.delete(key)
                    return send_s, read_s

                contenders: list[tuple[str, Callable[[], tuple[float, float]]]] = [("group_redis", ours)]
                for name, client in clients:
                    key = f"raw-{name}-{topic}"
                    contenders.append((name, lambda client=client, key=key: theirs(client, key)))
                # Each round starts with a different contender, so that none always runs
                # first (or last) in a round.
                shift = round_no % len(contenders)
                for name, run in contenders[shift:] + contenders[:shift]:
                    send_s, read_s = run()
                    if round_no > 0:
                        results[shape][name].append((count / send_s, count / read_s, count / (send_s + read_s)))
    finally:
        conn.close()
        for _, client in clients:
            client.close()

    print(f"\n{count} messages of 100 B, msgs/s, median of {rounds} rounds; ratio: median of the")
    print("per-round ratios group_redis / that redis-py (target >= 0.80)")
    header = f"{'':34} {'group_redis':>12}"
    for name, _ in clients:
        header += f" {name:>17} {'ratio':>6}"
    print(header)
    for shape, batch, page in shapes:
        for column, label in enumerate(("send", "read back", "send + read back")):
            ours_values = [r[column] for r in results[shape]["group_redis"]]
            line = f"{shape + ': ' + label:34} {statistics.median(ours_values):12.0f}"
            for name, _ in clients:
                raw_values = [r[column] for r in results[shape][name]]
                ratio = statistics.median(a / b for a, b in zip(ours_values, raw_values))
                line += f" {statistics.median(raw_values):17.0f} {ratio:6.2f}"
            print(line)
    print("(" + "; ".join(f"{shape}: sent in calls of {b}, read in pages of {p}" for shape, b, p in shapes) + ")")


# -- broadcast latency ------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))]


class Deliveries:
    """The broadcast in flight: when it was sent, and how many deliveries are still due."""

    def __init__(self) -> None:
        self.started = 0.0
        self.expected = -1
        self.pending = 0
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.wrong = 0

    def begin(self, number: int, deliveries: int) -> None:
        with self.lock:
            self.expected = number
            self.pending = deliveries
            self.done.clear()
            self.started = time.perf_counter()

    def delivered(self, message: "group_redis.Message") -> None:
        now = time.perf_counter()
        with self.lock:
            if message.payload != self.expected:
                self.wrong += 1
                return
            self.latencies.append(now - self.started)
            self.pending -= 1
            if self.pending == 0:
                self.done.set()


def broadcast_latency(url: str, mode: str, listeners: int, broadcasts: int) -> list[float]:
    group = f"bench-broadcast-{mode}-{os.getpid()}"
    current = Deliveries()
    members = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    pulls = []
    sender = None
    try:
        for i in range(listeners):
            member = group_redis.connect(url, group=group, member_id=f"l{i}")
            members.append(member)
            member.join()
            if mode == "callback":
                member.on_message(current.delivered)
            else:
                events = member.listen()
                pulls.append(events)

                def pull(events: Any = events) -> None:
                    while not stop.is_set():
                        message = events.get(0.2)
                        if message is not None:
                            current.delivered(message)

                threads.append(threading.Thread(target=pull, daemon=True))
                threads[-1].start()
        sender = group_redis.connect(url, group=group, member_id="sender")
        warmup = 20
        for n in range(warmup + broadcasts):
            if n == warmup:
                with current.lock:
                    current.latencies.clear()
            current.begin(n, listeners)
            reached = sender.broadcast(n)
            if reached != listeners:
                raise RuntimeError(f"broadcast {n} reached {reached} members, not {listeners}")
            if not current.done.wait(30):
                raise RuntimeError(f"broadcast {n}: {current.pending} deliveries missing")
        if current.wrong:
            raise RuntimeError(f"{current.wrong} deliveries of a broadcast not in flight")
        return sorted(current.latencies)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for events in pulls:
            events.close()
        for conn in [*members, *([sender] if sender else [])]:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--listeners", type=int, default=10)
    parser.add_argument("--broadcasts", type=int, default=300)
    args = parser.parse_args()
    server = RedisServer()
    try:
        version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
        print(f"# group_redis {group_redis.version()} ({group_redis.library_path()})")
        print(f"# redis-py {redis.__version__}, redis-server {version}, Python {platform.python_version()}, "
              f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        messages = payloads(args.messages)
        send_and_read(
            server.url, server.port, messages, args.rounds,
            [("one batch", args.messages, 1000), ("batches of 100", 100, 100)],
        )
        print(f"\nbroadcast -> delivered to each of {args.listeners} listeners, {args.broadcasts} broadcasts")
        print(f"{'listeners':24} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for mode in ("callback", "pull"):
            latencies = broadcast_latency(server.url, mode, args.listeners, args.broadcasts)
            print(
                f"{mode + ' (on_message)' if mode == 'callback' else mode + ' (listen().get)':24} "
                f"{percentile(latencies, 0.5) * 1000:8.2f} {percentile(latencies, 0.99) * 1000:8.2f} "
                f"{latencies[-1] * 1000:8.2f}",
                flush=True,
            )
        print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
