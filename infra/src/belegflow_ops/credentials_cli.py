"""``belegflow users add|passwd|limit`` and ``belegflow keys create|revoke|list``: HTTP credentials and the review
desk's approval limits, kept in ingest's schema.

Passwords are read from standard input (one line) or a prompt, never from the command line; keys are shown once.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

import asyncpg
import typer

from belegflow_contracts import credentials
from belegflow_contracts.credentials import parse_approval_limit, parse_roles, parse_tenants

RoleOpt = Annotated[list[str], typer.Option("--role", "-r", help="clerk, approver, operator, integrator (repeatable)")]
TenantsOpt = Annotated[list[str], typer.Option("--tenant", "-t", help="tenant it acts for, '*' for every (repeatable)")]
LimitOpt = Annotated[list[str] | None, typer.Option(
    "--approval-limit", "-l", help="TENANT=AMOUNT: the gross the user may approve alone in the tenant; above it a "
    "second approver must approve ('none' removes it; repeatable)")]


def _limits(values: list[str] | None) -> list[tuple[str, Decimal | None]]:
    try:
        return [parse_approval_limit(v) for v in values or []]
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _said_limits(limits: list[tuple[str, Decimal | None]]) -> str:
    return ", ".join(f"{tenant} {'no limit' if amount is None else amount}" for tenant, amount in limits)


def _grants(roles: list[str], tenants: list[str]) -> tuple[list[str], list[str]]:
    try:
        return sorted(r.value for r in parse_roles(roles)), sorted(parse_tenants(tenants))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("password again", hide_input=True) != first:
        typer.echo("error: the passwords differ", err=True)
        raise typer.Exit(2)
    return str(first)


def build_apps(database_url: Callable[[], str]) -> tuple[typer.Typer, typer.Typer]:
    """The ``users`` and ``keys`` command groups; ``database_url`` is ingest's, resolved when a command runs."""
    users = typer.Typer(no_args_is_help=True, help="local users of the HTTP API and the review page")
    keys = typer.Typer(no_args_is_help=True, help="API keys (stored hashed, shown once)")

    async def run(work: Callable[[asyncpg.Connection], Any]) -> Any:
        conn = await asyncpg.connect(database_url(), server_settings={"search_path": "ingest"})
        try:
            return await work(conn)
        finally:
            await conn.close()

    @users.command("add")
    def add_user(name: Annotated[str, typer.Argument(help="user name, e.g. anna")], role: RoleOpt,
                 tenant: TenantsOpt, approval_limit: LimitOpt = None) -> None:
        """Add a user; the password comes from standard input (one line) or a prompt, at least 12 characters."""
        roles, tenants = _grants(role, tenant)
        limits = _limits(approval_limit)
        try:
            hashed = credentials.hash_password(_read_password())
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        try:
            asyncio.run(run(lambda c: _add(c, name, hashed, roles, tenants, limits)))
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"user {name}: {', '.join(roles)} for {', '.join(tenants)}"
                   + (f"; approval limits {_said_limits(limits)}" if limits else ""))

    async def _add(conn: asyncpg.Connection, name: str, hashed: str, roles: list[str], tenants: list[str],
                   limits: list[tuple[str, Decimal | None]]) -> None:
        async with conn.transaction():
            await credentials.add_user(conn, name=name, password_hash=hashed, roles=roles, tenants=tenants)
            for limit_tenant, amount in limits:
                await credentials.set_approval_limit(conn, name, limit_tenant, amount)

    @users.command("limit")
    def set_limit(name: Annotated[str, typer.Argument(help="the user whose approval limits change")],
                  approval_limit: LimitOpt = None) -> None:
        """Set (or with 'none' remove) a user's approval limits per tenant; without one, show them."""
        limits = _limits(approval_limit)

        async def work(conn: asyncpg.Connection) -> dict[str, Decimal] | None:
            for limit_tenant, amount in limits:
                if not await credentials.set_approval_limit(conn, name, limit_tenant, amount):
                    return None
            if not await credentials.user_exists(conn, name):
                return None
            return await credentials.approval_limits(conn, name)

        now = asyncio.run(run(work))
        if now is None:
            typer.echo(f"error: no user {name}", err=True)
            raise typer.Exit(1)
        shown = ", ".join(f"{t} {a}" for t, a in now.items()) or "none (approves without a limit where no one has one)"
        typer.echo(f"user {name}: approval limits {shown}")

    @users.command("passwd")
    def set_password(name: Annotated[str, typer.Argument(help="the user whose password changes")]) -> None:
        """Change a user's password (standard input or a prompt); every review page session of the user ends."""
        try:
            hashed = credentials.hash_password(_read_password())
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        if not asyncio.run(run(lambda c: credentials.set_password(c, name, hashed))):
            typer.echo(f"error: no user {name}", err=True)
            raise typer.Exit(1)
        typer.echo(f"user {name}: password changed; their sessions have ended")

    @keys.command("create")
    def create_key(name: Annotated[str, typer.Argument(help="what the key is for, e.g. erp-export")], role: RoleOpt,
                   tenant: TenantsOpt) -> None:
        """Create an API key; it is printed once (send it as Authorization: Bearer <key>) and stored hashed."""
        roles, tenants = _grants(role, tenant)
        key = credentials.new_key()
        asyncio.run(run(lambda c: credentials.add_key(c, key_id=key.key_id, name=name,
                                                      secret_sha256=key.secret_sha256, roles=roles,
                                                      tenants=tenants)))
        typer.echo(f"key {key.key_id} ({name}): {', '.join(roles)} for {', '.join(tenants)}", err=True)
        typer.echo(key.secret)

    @keys.command("revoke")
    def revoke_key(key_id: Annotated[str, typer.Argument(help="the key id (second part of bfk_<id>_...)")]) -> None:
        """Revoke an API key: it stops working at once."""
        if not asyncio.run(run(lambda c: credentials.revoke_key(c, key_id))):
            typer.echo(f"error: no active key {key_id}", err=True)
            raise typer.Exit(1)
        typer.echo(f"key {key_id} revoked")

    @keys.command("list")
    def list_keys() -> None:
        """Every API key: id, name, roles, tenants, created, revoked (never the secret)."""
        for row in asyncio.run(run(credentials.list_keys)):
            revoked = f"revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else "active"
            typer.echo(f"{row['key_id']}  {row['name']}  {','.join(row['roles'])}  {','.join(row['tenants'])}  "
                       f"created {row['created_at']:%Y-%m-%d %H:%M}  {revoked}")

    return users, keys


__all__ = ["build_apps"]
