"""Ingest's SQL about HTTP credentials: local users and API keys (hashes only), review page sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from belegflow_ingest.access import Principal, parse_roles, parse_tenants

if TYPE_CHECKING:
    from belegflow_contracts.runtime.db import Connection


USER_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class CredentialExistsError(ValueError):
    """A user of that name exists already."""


@dataclass(frozen=True, slots=True)
class Stored:
    """A credential's hash and what it grants."""

    hash: str
    principal: Principal


def _principal(name: str, row: Any) -> Principal:
    return Principal(name=name, roles=parse_roles(list(row["roles"])), tenants=parse_tenants(list(row["tenants"])))


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


async def user(conn: Connection, name: str) -> Stored | None:
    row = await conn.fetchrow(
        "SELECT password_hash, roles, tenants FROM http_users WHERE name = $1 AND disabled_at IS NULL", name
    )
    return Stored(hash=row["password_hash"], principal=_principal(f"user:{name}", row)) if row else None


async def set_password(conn: Connection, name: str, password_hash: str) -> bool:
    """A user's new password hash; every review page session of the user ends with it (a trigger, so whatever
    writes the hash ends them). False when there is no such user."""
    status: str = await conn.execute("UPDATE http_users SET password_hash = $2 WHERE name = $1", name, password_hash)
    return status.endswith(" 1")


async def start_session(conn: Connection, session_id: str, name: str, *, expires: int) -> None:
    """Record a review page session (``credentials.session_id``); expired ones are removed on the way."""
    await conn.execute("DELETE FROM desk_sessions WHERE expires_at < now()")
    await conn.execute(
        "INSERT INTO desk_sessions (id, user_name, expires_at) VALUES ($1, $2, to_timestamp($3))",
        session_id, name, expires,
    )


async def session_user(conn: Connection, session_id: str, name: str) -> Principal | None:
    """The principal of a live session: its row exists, it has not expired, its user is not disabled."""
    row = await conn.fetchrow(
        "SELECT u.roles, u.tenants FROM desk_sessions s JOIN http_users u ON u.name = s.user_name "
        "WHERE s.id = $1 AND s.user_name = $2 AND s.expires_at > now() AND u.disabled_at IS NULL",
        session_id, name,
    )
    return _principal(f"user:{name}", row) if row else None


async def end_session(conn: Connection, session_id: str) -> None:
    await conn.execute("DELETE FROM desk_sessions WHERE id = $1", session_id)


async def add_key(conn: Connection, *, key_id: str, name: str, secret_sha256: str, roles: list[str],
                  tenants: list[str]) -> None:
    """Insert an API key; the same key given again (the stack's bootstrap key at every start) is kept as it is."""
    await conn.execute(
        "INSERT INTO api_keys (key_id, name, secret_sha256, roles, tenants) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (key_id) DO NOTHING",
        key_id, name, secret_sha256, roles, tenants,
    )


async def key(conn: Connection, key_id: str) -> Stored | None:
    row = await conn.fetchrow(
        "SELECT name, secret_sha256, roles, tenants FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL", key_id
    )
    return Stored(hash=row["secret_sha256"], principal=_principal(f"key:{row['name']}", row)) if row else None


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
