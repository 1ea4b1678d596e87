"""Local credentials: passwords and API keys (``belegflow_contracts.credentials``), the review page's sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

# passwords and API keys: shared with the operator CLI, which issues them
from belegflow_contracts.credentials import (
    KEY_PREFIX,
    MIN_PASSWORD,
    NewKey,
    hash_password,
    key_from_secret,
    key_matches,
    new_key,
    password_matches,
    split_key,
)

# --- the review page's sessions: a signed cookie naming the user, its expiry and its CSRF token; the session is
# valid only while its row in ``desk_sessions`` exists (sign-out and a password change delete it) ------------


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    expires: int
    csrf: str


def _mac(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def new_session(secret: bytes, user: str, *, now: int, ttl_s: int) -> tuple[str, Session]:
    """A session and its cookie value: ``user|expires|csrf|mac`` (the user name cannot hold ``|``)."""
    session = Session(user=user, expires=now + ttl_s, csrf=secrets.token_urlsafe(24))
    payload = f"{session.user}|{session.expires}|{session.csrf}"
    return f"{payload}|{_mac(secret, payload)}", session


def session_id(session: Session) -> str:
    """The key of the session's row (``desk_sessions``): a hash of the cookie's payload, so the row opens nothing."""
    return hashlib.sha256(f"{session.user}|{session.expires}|{session.csrf}".encode()).hexdigest()


def read_session(secret: bytes, cookie: str | None, *, now: int) -> Session | None:
    """The session a cookie carries; None when missing, forged or expired."""
    if not cookie:
        return None
    payload, _, mac = cookie.rpartition("|")
    parts = payload.split("|")
    if len(parts) != 3 or not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    user, expires, csrf = parts
    if not expires.isdigit() or int(expires) < now:
        return None
    return Session(user=user, expires=int(expires), csrf=csrf)


__all__ = ["KEY_PREFIX", "MIN_PASSWORD", "NewKey", "Session", "hash_password", "key_from_secret", "key_matches",
           "new_key", "new_session", "password_matches", "read_session", "session_id", "split_key"]
