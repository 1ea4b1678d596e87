"""``belegflow devices release|list|reset|revoke``: device slots, over ingest's HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from belegflow_ops.ingest_api import IngestRequestError, call, exit_on

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")]
NameOpt = Annotated[str, typer.Option("--name", "-n", help="slot name, e.g. KASSE-03")]
TtlOpt = Annotated[int | None, typer.Option("--ttl", help="seconds the pairing code is valid (default 1 day)")]


def release(base: str, tenant: str, name: str, ttl_s: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, **({"ttl_s": ttl_s} if ttl_s else {})}
    result: dict[str, Any] = call("POST", base, "/v1/devices", tenant=tenant, action="release", json=body)
    return result


def reset(base: str, tenant: str, name: str, ttl_s: int | None = None, *, force: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {**({"ttl_s": ttl_s} if ttl_s else {}), **({"force": True} if force else {})}
    result: dict[str, Any] = call("POST", base, f"/v1/devices/{name.strip().lower()}/reset", tenant=tenant,
                                  action="reset", json=body or None)
    return result


def revoke(base: str, tenant: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = call("POST", base, f"/v1/devices/{name.strip().lower()}/revoke", tenant=tenant,
                                  action="revoke")
    return result


def list_devices(base: str, tenant: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = call("GET", base, "/v1/devices", tenant=tenant, action="list")
    return result


def _table(rows: list[dict[str, Any]]) -> list[str]:
    header = ("slot", "state", "paired at", "last contact", "backlog", "last sync", "result")
    lines = [header]
    for r in rows:
        lines.append((
            str(r.get("name") or r["device"]), str(r["state"]), str(r.get("paired_at") or "-")[:19],
            str(r.get("last_contact") or "-")[:19], "-" if r.get("backlog") is None else str(r["backlog"]),
            str(r.get("last_sync_at") or "-")[:19], str(r.get("last_sync_result") or "-"),
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]


def build_app(ingest_url: Callable[[], str]) -> typer.Typer:
    """The ``devices`` command group; ``ingest_url`` resolves the API base when a command runs."""
    app = typer.Typer(no_args_is_help=True, help="edge device slots: release, list, reset, revoke")

    @app.command("release")
    def release_cmd(tenant: TenantOpt, name: NameOpt, ttl: TtlOpt = None) -> None:
        """Release a slot: prints the one-time pairing code for the device."""
        with exit_on(IngestRequestError):
            slot = release(ingest_url(), tenant, name, ttl)
        typer.echo(f"slot {slot['name']} ({slot['device']}) of tenant {slot['tenant']} released")
        typer.echo(f"pairing code: {slot['code']}  (valid until {slot['expires_at']})")
        typer.echo(f"on the device: belegflow-edge pair --server {ingest_url()} --code {slot['code']}")

    @app.command("reset")
    def reset_cmd(
        tenant: TenantOpt, name: NameOpt, ttl: TtlOpt = None,
        force: Annotated[bool, typer.Option("--force", help="reset although the device reported unsynced "
                                                           "documents (they then stay only on the device)")] = False,
    ) -> None:
        """Forget the paired device (its credentials stop working) and print a new pairing code.

        Refused while the device last reported documents it has not synced, unless --force.
        """
        with exit_on(IngestRequestError):
            slot = reset(ingest_url(), tenant, name, ttl, force=force)
        typer.echo(f"slot {slot['name']} reset; pairing code: {slot['code']}  (valid until {slot['expires_at']})")

    @app.command("revoke")
    def revoke_cmd(tenant: TenantOpt, name: NameOpt) -> None:
        """Withdraw a device's credentials (no new code)."""
        with exit_on(IngestRequestError):
            answer = revoke(ingest_url(), tenant, name)
        typer.echo(f"slot {answer['device']} revoked: {answer['detail']}")

    @app.command("list")
    def list_cmd(tenant: TenantOpt) -> None:
        """Slots with state, paired at, last contact, backlog, last sync and its result."""
        with exit_on(IngestRequestError):
            rows = list_devices(ingest_url(), tenant)
        for line in _table(rows):
            typer.echo(line)

    return app
