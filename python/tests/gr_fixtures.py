"""Shared fixtures (python/tests and tests/cross): one real redis-server per test session on a free port, a fresh group per
test, and connectors that are closed after the test."""

from __future__ import annotations

import itertools
import os
import sys
from typing import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import group_redis  # noqa: E402
from redis_server import RedisServer  # noqa: E402

#: How long a test waits for something that should happen (ends as soon as it does).
PATIENCE = 20.0

_groups = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def group(request: pytest.FixtureRequest) -> str:
    return f"py-{request.node.name[:40]}-{os.getpid()}-{next(_groups)}"


@pytest.fixture
def connect(url: str, group: str) -> Iterator:
    """connect(member_id, via=None, **options) -> Connector in this test's group, to Redis
    directly or `via` another URL (a proxy's), closed afterwards."""
    made: list[group_redis.Connector] = []

    def make(member_id: str | None = None, via: str | None = None, **options) -> group_redis.Connector:
        options.setdefault("group", group)
        conn = group_redis.connect(via or url, member_id=member_id, **options)
        made.append(conn)
        return conn

    yield make
    for conn in made:
        try:
            conn.close()
        except group_redis.GroupRedisError:
            pass
