#!/usr/bin/env python3
"""Instructions per uncontended lock+release pair, on the server and in the client, counted
by valgrind (cachegrind, no cache simulation). Unlike pairs/s these counts do not move
with the load of a shared machine, so two builds can be compared exactly; they leave out
the kernel's share (the system calls are the same for both builds).

    cargo build --release -p group-redis-ffi
    target/python-venv/bin/python bench/lock_instructions.py
    # against an older build: its library and its python/ directory
    target/python-venv/bin/python bench/lock_instructions.py \\
        --lib /tmp/old/target/release/libgroup_redis.so --package /tmp/old/python

Each count is (a run of N pairs) - (a run of 0 pairs), divided by N, so connecting,
starting up and the warm-up cancel out. Needs valgrind and redis-server on PATH.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python" / "tests"))
from redis_server import free_port  # noqa: E402

CLIENT = """
import sys
sys.path.insert(0, sys.argv[1])
import group_redis
conn = group_redis.connect(sys.argv[2], group=sys.argv[3], member_id="bench")
for _ in range(200):
    conn.lock("x").release()
for _ in range(int(sys.argv[4])):
    conn.lock("x").release()
conn.close()
"""


def instructions(log: str) -> int:
    match = re.search(r"I\s+refs:\s+([\d,]+)", log)
    if not match:
        raise SystemExit(f"no instruction count in valgrind's output:\n{log[-2000:]}")
    return int(match.group(1).replace(",", ""))


def valgrind(*command: str) -> list[str]:
    return ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *command]


def run(args: argparse.Namespace, pairs: int, client_script: str) -> tuple[int, int]:
    """(server, client) instructions for one run of `pairs` pairs on a fresh server."""
    port = free_port()
    with tempfile.TemporaryFile(mode="w+") as server_log:
        server = subprocess.Popen(
            valgrind("redis-server", "--port", str(port), "--save", "", "--appendonly", "no"),
            stdout=subprocess.DEVNULL,
            stderr=server_log,
        )
        try:
            deadline = time.monotonic() + 60
            while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() != b"PONG":
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server under valgrind did not start")
                time.sleep(0.2)
            # The epoch record remembers LASTSAVE only once its second has passed.
            time.sleep(1.2)
            env = dict(os.environ, GROUP_REDIS_LIB=str(args.lib))
            client = subprocess.run(
                valgrind(sys.executable, client_script, str(args.package), f"redis://127.0.0.1:{port}",
                         f"bench-{pairs}", str(pairs)),
                env=env, capture_output=True, text=True,
            )
            if client.returncode != 0:
                raise SystemExit(f"the client failed:\n{client.stderr[-2000:]}")
        finally:
            subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
            server.wait(timeout=60)
        server_log.seek(0)
        return instructions(server_log.read()), instructions(client.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", type=Path, default=ROOT / "target" / "release" / "libgroup_redis.so")
    parser.add_argument("--package", type=Path, default=ROOT / "python",
                        help="the directory holding the group_redis package to use")
    parser.add_argument("--pairs", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(CLIENT)
    try:
        server0, client0 = run(args, 0, script.name)
        server1, client1 = run(args, args.pairs, script.name)
    finally:
        os.unlink(script.name)
    server = (server1 - server0) / args.pairs
    client = (client1 - client0) / args.pairs
    print(f"# {args.lib}, package {args.package}, {args.pairs} pairs")
    print(f"server instructions per lock+release pair  {server:9.0f}")
    print(f"client instructions per lock+release pair  {client:9.0f}  (Python + native library)")
    print(f"total                                      {server + client:9.0f}")


if __name__ == "__main__":
    main()
