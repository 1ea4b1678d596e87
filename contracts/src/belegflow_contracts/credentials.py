"""HTTP credentials, shared by ingest (which checks them) and the operator CLI (which issues them).

Roles and tenant grants; passwords hashed with Argon2id (memory-hard); API keys shown once and kept as a SHA-256;
and the SQL of the two tables ingest's schema keeps them in (``http_users``, ``api_keys``; ingest's migrations
create them). Needs the ``credentials`` extra (argon2-cffi).

An API key is ``bfk_<key id>_<secret>``; the key id finds its row, the secret (32 random bytes) is compared by
hash in constant time. A high-entropy secret needs no slow hash; a password, chosen by a person, does.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from belegflow_contracts.types import normalize_tenant

if TYPE_CHECKING:
    from belegflow_contracts.runtime.db import Connection

ALL_TENANTS: Final = "*"


class Role(StrEnum):
    CLERK = "clerk"
    """Uploads, corrects, chooses suppliers, rejects; repeats or cancels recognitions."""
    APPROVER = "approver"
    """Everything a clerk does, and approves."""
    OPERATOR = "operator"
    """Uploads and runs the system: device slots, recognitions."""
    INTEGRATOR = "integrator"
    """Reads documents, nothing else."""


def parse_roles(values: list[str] | tuple[str, ...]) -> frozenset[Role]:
    roles = set()
    for value in values:
        try:
            roles.add(Role(value.strip().lower()))
        except ValueError:
            raise ValueError(f"unknown role {value!r}: use {', '.join(r.value for r in Role)}") from None
    if not roles:
        raise ValueError("at least one role is required")
    return frozenset(roles)


def parse_tenants(values: list[str] | tuple[str, ...]) -> frozenset[str]:
    tenants = {ALL_TENANTS if v.strip() == ALL_TENANTS else normalize_tenant(v) for v in values}
    if not tenants:
        raise ValueError("at least one tenant (or '*' for every tenant) is required")
    return frozenset(tenants)


# --- passwords and API keys ---------------------------------------------------------------------------------------

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


# --- the tables (in ingest's schema; the connection's search_path names it) ---------------------------------------


USER_NAME: Final = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class CredentialExistsError(ValueError):
    """A user of that name exists already."""


async def add_user(conn: Connection, *, name: str, password_hash: str, roles: list[str], tenants: list[str]) -> None:
    if not USER_NAME.fullmatch(name):
        raise ValueError(f"user name {name!r} is not valid: 1-64 of a-z, 0-9, '.', '_', '@', '-'")
    added = await conn.fetchval(
        "INSERT INTO http_users (name, password_hash, roles, tenants) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (name) DO NOTHING RETURNING 1",
        name, password_hash, roles, tenants,
    )
    if added is None:
        raise CredentialExistsError(f"user {name!r} exists already")


async def set_password(conn: Connection, name: str, password_hash: str) -> bool:
    """A user's new password hash; every review page session of the user ends with it (a trigger in ingest's
    schema, so whatever writes the hash ends them). False when there is no such user."""
    status: str = await conn.execute("UPDATE http_users SET password_hash = $2 WHERE name = $1", name, password_hash)
    return status.endswith(" 1")


async def add_key(conn: Connection, *, key_id: str, name: str, secret_sha256: str, roles: list[str],
                  tenants: list[str]) -> None:
    """Insert an API key; the same key given again (the stack's bootstrap key at every start) is kept as it is."""
    await conn.execute(
        "INSERT INTO api_keys (key_id, name, secret_sha256, roles, tenants) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (key_id) DO NOTHING",
        key_id, name, secret_sha256, roles, tenants,
    )


async def revoke_key(conn: Connection, key_id: str) -> bool:
    status: str = await conn.execute(
        "UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL", key_id
    )
    return status.endswith(" 1")


async def list_keys(conn: Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT key_id, name, roles, tenants, created_at, revoked_at FROM api_keys ORDER BY created_at"
    )
    return [dict(r) for r in rows]


# --- approval limits (the review desk's four eyes) ---------------------------------------------------------------


async def user_exists(conn: Connection, name: str) -> bool:
    return await conn.fetchval("SELECT 1 FROM http_users WHERE name = $1", name) is not None


async def set_approval_limit(conn: Connection, name: str, tenant: str, amount: Decimal | None) -> bool:
    """How much gross ``name`` may approve alone in ``tenant`` (``None``: the limit is removed). False when there is
    no such user."""
    if not await user_exists(conn, name):
        return False
    if amount is None:
        await conn.execute("DELETE FROM approval_limits WHERE user_name = $1 AND tenant = $2", name, tenant)
    else:
        await conn.execute(
            "INSERT INTO approval_limits (user_name, tenant, amount) VALUES ($1, $2, $3) ON CONFLICT (user_name, "
            "tenant) DO UPDATE SET amount = EXCLUDED.amount, set_at = now()", name, tenant, amount)
    return True


async def approval_limits(conn: Connection, name: str) -> dict[str, Decimal]:
    rows = await conn.fetch("SELECT tenant, amount FROM approval_limits WHERE user_name = $1 ORDER BY tenant", name)
    return {row["tenant"]: row["amount"] for row in rows}


def parse_approval_limit(text: str) -> tuple[str, Decimal | None]:
    """``TENANT=AMOUNT`` (``AMOUNT`` in the document's currency, ``none`` removes the limit)."""
    tenant, sep, amount = text.partition("=")
    if not sep or not tenant.strip():
        raise ValueError(f"approval limit {text!r}: expected TENANT=AMOUNT, e.g. acme=5000")
    (name,) = parse_tenants([tenant.strip()])
    if name == "*":
        raise ValueError("an approval limit names one tenant, not '*'")
    if amount.strip().lower() == "none":
        return name, None
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise ValueError(f"approval limit {text!r}: {amount!r} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"approval limit {text!r}: the amount must be 0 or more")
    return name, value.quantize(Decimal("0.01"))
