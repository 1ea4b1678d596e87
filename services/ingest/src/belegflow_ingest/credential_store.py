"""Ingest's SQL about HTTP credentials: local users and API keys (hashes only), review page sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

# the SQL the operator CLI shares (it issues credentials, ingest checks them)
from belegflow_contracts.credentials import (
    USER_NAME,
    CredentialExistsError,
    add_key,
    add_user,
    list_keys,
    revoke_key,
    set_password,
)
from belegflow_ingest.access import Principal, parse_roles, parse_tenants

if TYPE_CHECKING:
    from belegflow_contracts.runtime.db import Connection


@dataclass(frozen=True, slots=True)
class Stored:
    """A credential's hash and what it grants."""

    hash: str
    principal: Principal


def _principal(name: str, row: Any) -> Principal:
    return Principal(name=name, roles=parse_roles(list(row["roles"])), tenants=parse_tenants(list(row["tenants"])))


async def user(conn: Connection, name: str) -> Stored | None:
    row = await conn.fetchrow(
        "SELECT password_hash, roles, tenants FROM http_users WHERE name = $1 AND disabled_at IS NULL", name
    )
    return Stored(hash=row["password_hash"], principal=_principal(f"user:{name}", row)) if row else None


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


async def key(conn: Connection, key_id: str) -> Stored | None:
    row = await conn.fetchrow(
        "SELECT name, secret_sha256, roles, tenants FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL", key_id
    )
    return Stored(hash=row["secret_sha256"], principal=_principal(f"key:{row['name']}", row)) if row else None


__all__ = ["USER_NAME", "CredentialExistsError", "Stored", "add_key", "add_user", "end_session", "key", "list_keys",
           "revoke_key", "session_user", "set_password", "start_session", "user"]
