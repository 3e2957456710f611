"""rediss+sentinel:// through the Python binding: Sentinels and servers with passwords of
their own, TLS with a private CA, and a master SIGKILLed under a holder (the Rust suite,
core/tests/sentinel.rs, tests the fail-over in depth; this is the binding's URL and
options reaching it)."""

from __future__ import annotations

import time

import pytest

import group_redis
from gr_fixtures import PATIENCE
from sentinel_set import SentinelSet


@pytest.fixture(scope="module")
def sentinels():
    s = SentinelSet(server_password="m4ster", sentinel_password="s3ntinel")
    yield s
    s.stop()


def test_wrong_passwords_are_refused_without_being_shown(sentinels, group):
    for server, sentinel in (("m4ster", "wr0ngS"), ("wr0ngM", "s3ntinel")):
        with pytest.raises(group_redis.GroupRedisError) as refused:
            group_redis.connect(sentinels.url(server, sentinel), group=group,
                                tls_root_cert=sentinels.ca_pem, command_timeout=2)
        for secret in ("m4ster", "s3ntinel", "wr0ngS", "wr0ngM"):
            assert secret not in str(refused.value)


def test_a_fail_over_is_followed_over_tls(sentinels, group):
    with group_redis.connect(
        sentinels.url("m4ster", "s3ntinel"), group=group, member_id="a",
        session_timeout=1.0, command_timeout=0.5, tls_root_cert=sentinels.ca_pem,
    ) as conn:
        first = conn.lock("L")
        assert first is not None
        old = sentinels.master_port()
        sentinels.kill(old)
        killed = time.monotonic()
        sentinels.wait_for_new_master(old, PATIENCE)
        named = time.monotonic()
        again = conn.try_lock("L", wait=PATIENCE)
        assert again is not None, "L not had again after the fail-over"
        assert again.token > first.token, f"token went backwards: {first.token} -> {again.token}"
        print(f"python sentinel TLS: new master named after {named - killed:.2f} s, "
              f"L held again after {time.monotonic() - killed:.2f} s")
