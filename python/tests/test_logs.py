"""The native library's log records reach the logging module: a member record that is not
JSON, written into Redis as a foreign client would, is skipped with a WARNING on the
group_redis.membership.member logger naming the operation and the group."""

from __future__ import annotations

import logging

import pytest
import redis

import group_redis
from group_redis import logs


def write_garbage_member(url: str, group: str) -> None:
    """As a foreign client would: a member record that is not JSON."""
    with redis.Redis.from_url(url) as raw:
        assert raw.hset(f"gr:{{{group}}}:members", "garbage", "{not json") == 1


def skipped_record_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "skipping a member record" in r.getMessage()]


def test_an_unreadable_record_is_a_warning_on_the_group_redis_logger(connect, url, group, caplog):
    # At INFO the operation's span is recorded too, so the warning names it.
    caplog.set_level(logging.INFO, logger="group_redis")
    conn = connect("good")
    conn.join()
    write_garbage_member(url, group)

    assert [m.id for m in conn.members()] == ["good"]

    [record] = skipped_record_warnings(caplog)
    assert record.levelno == logging.WARNING
    assert record.name == "group_redis.membership.member"
    assert record.target == "group_redis::membership::member"
    assert record.getMessage().startswith(f"members{{group={group}}}: skipping a member record")
    assert "{not json" in record.getMessage()

    # At WARNING spans are not recorded (as tracing's level filter does): no prefix.
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="group_redis")
    group_redis.refresh_log_level()
    assert [m.id for m in conn.members()] == ["good"]
    [record] = skipped_record_warnings(caplog)
    assert record.getMessage().startswith("skipping a member record")
    assert "{not json" in record.getMessage()


def test_levels_follow_the_logger(connect, url, group, caplog):
    conn = connect("good")
    write_garbage_member(url, group)

    # Raised above WARNING: the library is told at the next refresh, and sends nothing.
    caplog.set_level(logging.ERROR, logger="group_redis")
    group_redis.refresh_log_level()
    assert logs._installed_level == 1
    conn.members()
    assert skipped_record_warnings(caplog) == []

    # Lowered to DEBUG: DEBUG records are asked for.
    caplog.set_level(logging.DEBUG, logger="group_redis")
    group_redis.refresh_log_level()
    assert logs._installed_level == 4
    conn.members()
    assert len(skipped_record_warnings(caplog)) == 1


class Explode(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.calls += 1
        raise RuntimeError("a broken filter")


def test_an_exception_while_logging_never_reaches_the_library(connect, url, group, caplog):
    caplog.set_level(logging.WARNING, logger="group_redis")
    conn = connect("good")
    conn.join()
    write_garbage_member(url, group)
    logger = logging.getLogger("group_redis.membership.member")
    broken = Explode()
    logger.addFilter(broken)
    try:
        # The filter raises inside the callback: the call goes on and returns normally.
        assert [m.id for m in conn.members()] == ["good"]
        assert [m.id for m in conn.members()] == ["good"]
    finally:
        logger.removeFilter(broken)
    assert broken.calls == 2
    assert skipped_record_warnings(caplog) == []
    # And forwarding still works afterwards.
    conn.members()
    assert len(skipped_record_warnings(caplog)) == 1
