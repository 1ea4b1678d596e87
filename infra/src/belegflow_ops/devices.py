"""``belegflow devices release|list|reset|revoke``: device slots, over ingest's HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")]
NameOpt = Annotated[str, typer.Option("--name", "-n", help="slot name, e.g. KASSE-03")]
TtlOpt = Annotated[int | None, typer.Option("--ttl", help="seconds the pairing code is valid (default 1 day)")]


class DeviceCommandError(RuntimeError):
    """Ingest refused the command (its code and detail), or could not be reached."""


def _call(method: str, url: str, tenant: str, *, json: dict[str, Any] | None = None) -> Any:
    try:
        response = httpx.request(method, url, json=json, headers={"X-Tenant": tenant}, timeout=30)
    except httpx.HTTPError as exc:
        raise DeviceCommandError(f"ingest is not reachable at {url}: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = {"code": str(response.status_code), "detail": response.text[:300]}
    if response.status_code >= 400:
        if isinstance(body, dict) and "code" in body:
            raise DeviceCommandError(f"{body['code']}: {body.get('detail', '')}")
        raise DeviceCommandError(f"HTTP {response.status_code}: {body}")
    return body


def release(base: str, tenant: str, name: str, ttl_s: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, **({"ttl_s": ttl_s} if ttl_s else {})}
    result: dict[str, Any] = _call("POST", f"{base}/v1/devices", tenant, json=body)
    return result


def reset(base: str, tenant: str, name: str, ttl_s: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = _call("POST", f"{base}/v1/devices/{name.strip().lower()}/reset", tenant,
                                   json={"ttl_s": ttl_s} if ttl_s else None)
    return result


def revoke(base: str, tenant: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = _call("POST", f"{base}/v1/devices/{name.strip().lower()}/revoke", tenant)
    return result


def list_devices(base: str, tenant: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _call("GET", f"{base}/v1/devices", tenant)
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

    def fail(exc: DeviceCommandError) -> typer.Exit:
        typer.echo(f"error: {exc}", err=True)
        return typer.Exit(1)

    @app.command("release")
    def release_cmd(tenant: TenantOpt, name: NameOpt, ttl: TtlOpt = None) -> None:
        """Release a slot: prints the one-time pairing code for the device."""
        try:
            slot = release(ingest_url(), tenant, name, ttl)
        except DeviceCommandError as exc:
            raise fail(exc) from exc
        typer.echo(f"slot {slot['name']} ({slot['device']}) of tenant {slot['tenant']} released")
        typer.echo(f"pairing code: {slot['code']}  (valid until {slot['expires_at']})")
        typer.echo(f"on the device: belegflow-edge pair --server {ingest_url()} --code {slot['code']}")

    @app.command("reset")
    def reset_cmd(tenant: TenantOpt, name: NameOpt, ttl: TtlOpt = None) -> None:
        """Forget the paired device (its credentials stop working) and print a new pairing code."""
        try:
            slot = reset(ingest_url(), tenant, name, ttl)
        except DeviceCommandError as exc:
            raise fail(exc) from exc
        typer.echo(f"slot {slot['name']} reset; pairing code: {slot['code']}  (valid until {slot['expires_at']})")

    @app.command("revoke")
    def revoke_cmd(tenant: TenantOpt, name: NameOpt) -> None:
        """Withdraw a device's credentials (no new code)."""
        try:
            answer = revoke(ingest_url(), tenant, name)
        except DeviceCommandError as exc:
            raise fail(exc) from exc
        typer.echo(f"slot {answer['device']} revoked: {answer['detail']}")

    @app.command("list")
    def list_cmd(tenant: TenantOpt) -> None:
        """Slots with state, paired at, last contact, backlog, last sync and its result."""
        try:
            rows = list_devices(ingest_url(), tenant)
        except DeviceCommandError as exc:
            raise fail(exc) from exc
        for line in _table(rows):
            typer.echo(line)

    return app
