"""rediss:// to a TLS-only redis-server whose certificate comes from a private CA: trusted
through `tls_root_cert`, refused without it."""

from __future__ import annotations

import shutil

import pytest

import group_redis
from redis_server import RedisServer


@pytest.fixture(scope="module")
def tls_server():
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test certificates")
    server = RedisServer(tls=True)
    yield server
    server.stop()


def test_private_ca_is_trusted_when_given(tls_server, group):
    with group_redis.connect(
        tls_server.url, group=group, member_id="tls-member", tls_root_cert=tls_server.ca_pem
    ) as conn:
        conn.join()
        assert [m.id for m in conn.members()] == ["tls-member"]
        assert conn.lock("over-tls")


def test_without_the_ca_the_server_is_refused(tls_server, group):
    with pytest.raises((group_redis.ConnectionFailedError, group_redis.OperationTimeoutError)):
        group_redis.connect(tls_server.url, group=group, command_timeout=2)


def test_a_bad_certificate_is_an_error_not_a_crash(tls_server, group):
    with pytest.raises(group_redis.GroupRedisError):
        group_redis.connect(tls_server.url, group=group, tls_root_cert="not a certificate")
