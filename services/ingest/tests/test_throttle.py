"""The sign-in limits' pure decisions: how long a failure locks, and who the client is behind proxies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from belegflow_ingest import credentials, throttle
from belegflow_ingest.settings import Settings

TRUSTED = throttle.parse_networks("10.0.0.0/8, 192.0.2.7")


def test_failures_lock_for_longer_and_longer_but_never_longer_than_the_maximum() -> None:
    free, cap = 5, 900
    locks = [throttle.lock_s(n, free, cap) for n in range(1, 20)]
    assert locks[:5] == [0, 0, 0, 0, 0]  # the free ones
    assert locks[5:10] == [1, 2, 4, 8, 16]
    assert max(locks) == cap
    assert locks == sorted(locks)
    assert throttle.lock_s(10**6, free, cap) == cap  # no overflow, still bounded


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    # no trusted proxy: X-Forwarded-For is whatever the client wrote, and ignored
    assert throttle.client_address("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"
    # an untrusted peer cannot name another address either
    assert throttle.client_address("203.0.113.9", ["198.51.100.1"], TRUSTED) == "203.0.113.9"
    # a trusted proxy's header names the client
    assert throttle.client_address("10.1.2.3", ["198.51.100.1"], TRUSTED) == "198.51.100.1"


def test_only_what_trusted_proxies_appended_counts() -> None:
    # the client wrote a fake address at the left; the proxies appended the real one and their own
    assert throttle.client_address("10.1.2.3", ["6.6.6.6, 198.51.100.1, 192.0.2.7"], TRUSTED) == "198.51.100.1"
    # headers given twice are read as one list
    assert throttle.client_address("10.1.2.3", ["6.6.6.6", "198.51.100.1"], TRUSTED) == "198.51.100.1"
    # garbage where a proxy's address should be: nothing beyond it is believed
    assert throttle.client_address("10.1.2.3", ["198.51.100.1, not-an-address"], TRUSTED) == "10.1.2.3"
    # only proxies: the farthest of them
    assert throttle.client_address("10.1.2.3", ["10.9.9.9"], TRUSTED) == "10.9.9.9"
    assert throttle.client_address("2001:db8::1", [], ()) == "2001:db8::1"


def test_trusted_proxies_are_checked_when_the_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"DATABASE_URL": "postgresql://ingest@localhost/belegflow", "NATS_URL": "nats://localhost",
                        "S3_ENDPOINT_URL": "http://localhost:9000", "S3_ACCESS_KEY_ID": "k",
                        "S3_SECRET_ACCESS_KEY": "s"}.items():
        monkeypatch.setenv(f"BELEGFLOW_{name}", value)
    assert Settings(trusted_proxies="10.0.0.0/8,192.0.2.7").trusted_proxies  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="neither an IP address nor a network"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example.com")  # type: ignore[call-arg]


def test_a_sessions_row_key_is_a_hash_of_the_cookie_not_the_cookie() -> None:
    cookie, session = credentials.new_session(b"s" * 32, "anna", now=1000, ttl_s=60)
    key = credentials.session_id(session)
    assert len(key) == 64
    assert session.csrf not in key
    assert key not in cookie
    _, other = credentials.new_session(b"s" * 32, "anna", now=1000, ttl_s=60)
    assert credentials.session_id(other) != key
