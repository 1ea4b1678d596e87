"""Credentials and access decisions, without a server: keys, passwords, sessions, roles and tenants."""

from __future__ import annotations

import pytest

from belegflow_ingest import credentials
from belegflow_ingest.access import AccessError, Principal, Role, authorize, is_open, parse_roles, parse_tenants

CLERK = Principal(name="user:anna", roles=frozenset({Role.CLERK}), tenants=frozenset({"acme"}))
OPERATOR = Principal(name="key:ops", roles=frozenset({Role.OPERATOR}), tenants=frozenset({"*"}))


def test_an_api_key_is_shown_once_and_checked_by_its_hash() -> None:
    key = credentials.new_key()
    assert key.secret.startswith(f"bfk_{key.key_id}_")
    assert key.secret_sha256 not in key.secret
    key_id, token = credentials.split_key(key.secret) or ("", "")
    assert key_id == key.key_id
    assert credentials.key_matches(key.secret_sha256, token)
    assert not credentials.key_matches(key.secret_sha256, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert credentials.key_from_secret(key.secret) == key
    for bad in ("bfk_x_y", "bearer", key.secret + "x"):
        assert credentials.split_key(bad) is None


def test_passwords_are_hashed_memory_hard_and_short_ones_refused() -> None:
    hashed = credentials.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert credentials.password_matches(hashed, "correct horse battery")
    assert not credentials.password_matches(hashed, "correct horse batterY")
    assert not credentials.password_matches(None, "correct horse battery")
    with pytest.raises(ValueError, match="at least 12"):
        credentials.hash_password("short")


def test_a_session_cookie_is_signed_and_expires() -> None:
    secret = b"s" * 32
    cookie, session = credentials.new_session(secret, "anna", now=1000, ttl_s=60)
    assert credentials.read_session(secret, cookie, now=1059) == session
    assert credentials.read_session(secret, cookie, now=1061) is None
    assert credentials.read_session(b"t" * 32, cookie, now=1000) is None
    assert credentials.read_session(secret, cookie.replace("anna", "bert"), now=1000) is None
    assert credentials.read_session(secret, "garbage", now=1000) is None


def test_the_tenant_comes_from_the_credential() -> None:
    assert CLERK.tenant(None) == "acme"
    assert CLERK.tenant("ACME") == "acme"
    with pytest.raises(AccessError) as caught:
        CLERK.tenant("evil")
    assert (caught.value.status_code, caught.value.code) == (403, "tenant-not-granted")
    assert OPERATOR.tenant(None) is None
    assert OPERATOR.tenant("any") == "any"


@pytest.mark.parametrize(
    ("principal", "method", "path", "allowed"),
    [
        (CLERK, "GET", "/v1/documents/abc", True),
        (CLERK, "POST", "/v1/documents/abc/review/correct", True),
        (CLERK, "POST", "/v1/documents/abc/review/approve", False),
        (CLERK, "POST", "/v1/devices", False),
        (OPERATOR, "POST", "/v1/devices/kasse-01/reset", True),
        (OPERATOR, "POST", "/v1/documents/abc/review/reject", False),
    ],
)
def test_roles_decide_the_routes(principal: Principal, method: str, path: str, allowed: bool) -> None:
    if allowed:
        authorize(principal, method, path)
    else:
        with pytest.raises(AccessError) as caught:
            authorize(principal, method, path)
        assert caught.value.status_code == 403


def test_only_liveness_the_api_description_pairing_and_the_page_are_open() -> None:
    assert is_open("GET", "/healthz")
    assert is_open("POST", "/v1/devices/pair")
    assert is_open("GET", "/desk/login")
    assert not is_open("GET", "/v1/documents")
    assert not is_open("POST", "/v1/devices")


def test_roles_and_tenants_are_checked_when_granted() -> None:
    assert parse_roles(["Clerk", "approver"]) == frozenset({Role.CLERK, Role.APPROVER})
    with pytest.raises(ValueError, match="unknown role"):
        parse_roles(["admin"])
    assert parse_tenants(["*", "ACME"]) == frozenset({"*", "acme"})
    with pytest.raises(ValueError, match="is not valid"):
        parse_tenants(["not a tenant!"])
