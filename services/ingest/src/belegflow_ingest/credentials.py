"""Local credentials: passwords hashed with Argon2id (memory-hard), API keys shown once and kept as a SHA-256.

An API key is ``bfk_<key id>_<secret>``; the key id finds its row, the secret (32 random bytes) is compared by
hash in constant time. A high-entropy secret needs no slow hash; a password, chosen by a person, does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

KEY_PREFIX: Final = "bfk"
_KEY_RE: Final = re.compile(r"^bfk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_HASHER: Final = PasswordHasher()  # Argon2id with the library's (RFC 9106 low-memory) parameters
MIN_PASSWORD: Final = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored_hash`` was made from; ``None`` (no such user) costs the same time."""
    try:
        return _HASHER.verify(stored_hash or _NOBODY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


_NOBODY: Final = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class NewKey:
    """A fresh API key: ``secret`` is shown once and never stored; ``secret_sha256`` is."""

    key_id: str
    secret: str
    secret_sha256: str


def new_key() -> NewKey:
    key_id = secrets.token_hex(6)
    token = secrets.token_urlsafe(32)
    return NewKey(key_id=key_id, secret=f"{KEY_PREFIX}_{key_id}_{token}", secret_sha256=_sha256(token))


def key_from_secret(secret: str) -> NewKey:
    """The id and hash of a given key (the bootstrap key the stack generated)."""
    key_id, token = split_key(secret) or ("", "")
    if not key_id:
        raise ValueError(f"not an API key: expected {KEY_PREFIX}_<12 hex>_<43 characters>")
    return NewKey(key_id=key_id, secret=secret, secret_sha256=_sha256(token))


def split_key(secret: str) -> tuple[str, str] | None:
    """``(key id, token)`` of something shaped like an API key, else None."""
    match = _KEY_RE.match(secret.strip())
    return (match.group(1), match.group(2)) if match else None


def key_matches(stored_sha256: str, token: str) -> bool:
    return hmac.compare_digest(stored_sha256, _sha256(token))


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
