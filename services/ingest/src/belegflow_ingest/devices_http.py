"""Device slots over HTTP: release, pair, reset, revoke, list (errors are problems, ``application/problem+json``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from belegflow_contracts import subjects
from belegflow_contracts.messages import NatsCredentialsV1, PairingRequestV1, PairingResultV1
from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.types import normalize_tenant
from belegflow_ingest import auth_service, device_store, devices, web
from belegflow_ingest.devices import DeviceError, PairingRefusal
from belegflow_ingest.edge import device_config, device_masterdata, parse_message
from belegflow_ingest.read_models import DeviceDetail, DeviceSlot, Revoked
from belegflow_ingest.web import Problem

api = APIRouter(tags=["devices"])
log = get_logger(__name__)

_REFUSAL_DETAIL = {
    PairingRefusal.CODE_UNKNOWN: "no device slot was released with this pairing code",
    PairingRefusal.CODE_USED: "this pairing code was used already; ask the operator for a new one",
    PairingRefusal.CODE_EXPIRED: "this pairing code has expired; ask the operator to release the slot again",
    PairingRefusal.ALREADY_PAIRED: "the slot is paired with another device; the operator must reset it first",
    PairingRefusal.REVOKED: "the slot was revoked; the operator must reset it first",
}


class ReleaseRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["KASSE-03"])
    ttl_s: int | None = Field(default=None, ge=60, le=30 * 86400, description="validity of the code")


class CodeRequest(BaseModel):
    ttl_s: int | None = Field(default=None, ge=60, le=30 * 86400)
    force: bool = Field(default=False, description="reset even though the device reported unsynced documents "
                                                    "(they then stay only on the device)")


class SlotCode(BaseModel):
    """A released (or reset) slot: the one-time code to give to the device, shown only now."""

    tenant: str
    device: str
    name: str
    state: str
    code: str
    expires_at: datetime


def _slot(tenant: str, device: str) -> tuple[str, str]:
    try:
        tenant = normalize_tenant(tenant)
    except ValueError as exc:
        raise DeviceError(400, "invalid_tenant", str(exc)) from exc
    try:
        device = subjects.device_id(device)
    except ValueError:
        raise DeviceError(400, "invalid_device_name",
                          f"device name {device!r} is not valid: 1-64 of a-z, A-Z, 0-9, '-' and '_'") from None
    return tenant, device


_ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 403: {"model": Problem}, 404: {"model": Problem},
                                            409: {"model": Problem}, 410: {"model": Problem}}


@api.post("/v1/devices", status_code=201, response_model=SlotCode, responses=_ERRORS)
async def release(
    request: Request, body: ReleaseRequest, tenant: Annotated[str, Header(alias="X-Tenant")]
) -> Any:
    """Release a slot for a device: returns a one-time pairing code (central keeps only its hash)."""
    settings = web.settings(request)
    try:
        tenant, device = _slot(tenant, body.name)
        code = devices.new_pairing_code()
        async with web.runtime(request).db.acquire() as conn:
            expires = await device_store.release(
                conn, tenant=tenant, device=device, name=body.name.strip(), code_hash=devices.hash_code(code),
                now=datetime.now(UTC), ttl=timedelta(seconds=body.ttl_s or settings.pairing_code_ttl_s))
    except DeviceError as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    log.info("device slot released", tenant=tenant, device=device, expires_at=expires.isoformat())
    out = SlotCode(tenant=tenant, device=device, name=body.name.strip(), state="released", code=code,
                   expires_at=expires)
    return JSONResponse(status_code=201, content=out.model_dump(mode="json"))


@api.post("/v1/devices/pair", response_model=PairingResultV1, responses=_ERRORS, openapi_extra={
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": PairingRequestV1.model_json_schema()}}}})
async def pair(request: Request) -> Any:
    """A device redeems its code: NATS credentials, first number blocks, config and master data."""
    rt, settings = web.runtime(request), web.settings(request)
    body = parse_message(PairingRequestV1, await request.body())
    if isinstance(body, str):
        return web.problem(400, "invalid_request", body)
    code_hash = devices.hash_code(body.code)
    async with rt.db.acquire() as conn:
        # the slot is known only from the code: it names the user; an unknown code costs no password hashing
        slot = await conn.fetchrow("SELECT tenant, device FROM pairing_codes WHERE code_hash = $1", code_hash)
    if slot is None:
        refusal = PairingRefusal.CODE_UNKNOWN
        return web.problem(refusal.status_code, refusal.value, _REFUSAL_DETAIL[refusal])
    user = devices.nats_user(slot["tenant"], slot["device"])
    password = devices.new_password()
    password_hash = await asyncio.to_thread(devices.hash_password, password)
    now = datetime.now(UTC)
    async with rt.db.acquire() as conn, conn.transaction():
        outcome = await device_store.pair(conn, code_hash=code_hash, now=now, nats_user=user,
                                          password_hash=password_hash, hostname=body.hostname,
                                          agent_version=body.agent_version)
        if isinstance(outcome, PairingRefusal):
            log.warning("pairing refused", reason=outcome.value)
            return web.problem(outcome.status_code, outcome.value, _REFUSAL_DETAIL[outcome])
        config = await device_config(rt, outcome.tenant, outcome.device)
        blocks = [await device_store.allocate_block(conn, tenant=outcome.tenant, series=series,
                                                    device=outcome.device, size=config.block_size)
                  for series in devices.config_series(config)]
    masterdata = await device_masterdata(rt, outcome.tenant, config)
    result = PairingResultV1(
        tenant=outcome.tenant, device=outcome.device, name=outcome.name,
        credentials=NatsCredentialsV1(servers=settings.device_servers(), user=user, password=password,
                                      inbox_prefix=subjects.device_inbox(outcome.tenant, outcome.device)),
        blocks=blocks, config=config, masterdata=masterdata,
    )
    log.info("device paired", tenant=outcome.tenant, device=outcome.device, hostname=body.hostname)
    return JSONResponse(status_code=200, content=result.model_dump(mode="json"))


@api.post("/v1/devices/{device}/reset", response_model=SlotCode, responses=_ERRORS)
async def reset(
    request: Request, device: str, tenant: Annotated[str, Header(alias="X-Tenant")],
    body: Annotated[CodeRequest | None, Body()] = None,
) -> Any:
    """Forget the paired device (its credentials stop working) and issue a new code for the slot."""
    settings = web.settings(request)
    try:
        tenant, device = _slot(tenant, device)
        code = devices.new_pairing_code()
        ttl = timedelta(seconds=(body.ttl_s if body and body.ttl_s else settings.pairing_code_ttl_s))
        async with web.runtime(request).db.acquire() as conn:
            expires = await device_store.reset(conn, tenant=tenant, device=device, code_hash=devices.hash_code(code),
                                               now=datetime.now(UTC), ttl=ttl, force=bool(body and body.force))
            name = await conn.fetchval("SELECT name FROM devices WHERE tenant = $1 AND device = $2", tenant, device)
    except DeviceError as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    # the reset is committed: its new code is answered whatever happens to the open connections
    closed = await auth_service.disconnect(web.runtime(request), settings, tenant, device)
    log.info("device slot reset", tenant=tenant, device=device, connections_closed=closed)
    out = SlotCode(tenant=tenant, device=device, name=name, state="released", code=code, expires_at=expires)
    return JSONResponse(status_code=200, content=out.model_dump(mode="json"))


@api.post("/v1/devices/{device}/revoke", responses={200: {"model": Revoked}, **_ERRORS})
async def revoke(request: Request, device: str, tenant: Annotated[str, Header(alias="X-Tenant")]) -> Any:
    """Withdraw the device's credentials (no new code; a reset brings the slot back)."""
    settings = web.settings(request)
    try:
        tenant, device = _slot(tenant, device)
        async with web.runtime(request).db.acquire() as conn:
            await device_store.revoke(conn, tenant=tenant, device=device, now=datetime.now(UTC))
    except DeviceError as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    closed = await auth_service.disconnect(web.runtime(request), settings, tenant, device)
    log.info("device revoked", tenant=tenant, device=device, connections_closed=closed)
    later = "" if settings.nats_system_url else f"; an open one ends within {settings.device_credentials_ttl_s} s"
    return {"tenant": tenant, "device": device, "state": "revoked", "connections_closed": closed,
            "detail": f"no new connection is accepted{later}"}


@api.get("/v1/devices", responses={200: {"model": list[DeviceSlot]}, **_ERRORS})
async def list_devices(request: Request, tenant: Annotated[str, Header(alias="X-Tenant")]) -> Any:
    """Slots of the tenant: state, paired at, last contact, backlog last reported, last sync and its result."""
    try:
        tenant = normalize_tenant(tenant)
    except ValueError as exc:
        return web.problem(400, "invalid_tenant", str(exc))
    async with web.runtime(request).db.acquire() as conn:
        rows = await device_store.list_devices(conn, tenant)
    return [{**row, "last_sync_id": str(row["last_sync_id"]) if row["last_sync_id"] else None} for row in rows]


@api.get("/v1/devices/{device}", responses={200: {"model": DeviceDetail}, **_ERRORS})
async def get_device(request: Request, device: str, tenant: Annotated[str, Header(alias="X-Tenant")]) -> Any:
    """One slot with its recent sync sessions (newest first) and its number blocks."""
    try:
        tenant, device = _slot(tenant, device)
    except DeviceError as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    async with web.runtime(request).db.acquire() as conn:
        rows = [r for r in await device_store.list_devices(conn, tenant) if r["device"] == device]
        if not rows:
            return web.problem(404, "device_unknown", f"tenant {tenant} has no device slot {device!r}")
        sessions = await device_store.sessions_of(conn, tenant, device)
        blocks = [{"series": s, "first": f, "last": la} for s, d, f, la in await device_store.blocks_of(conn, tenant)
                  if d == device]
    row = rows[0]
    return {**row, "last_sync_id": str(row["last_sync_id"]) if row["last_sync_id"] else None, "sessions": sessions,
            "blocks": blocks}
