"""Ingest answers the NATS server's auth callout: a paired device with its password gets its own permissions."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import nats

from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.runtime.settings import nats_servers
from belegflow_ingest import device_store, devices, natsauth

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

    from belegflow_contracts.runtime.service import Runtime
    from belegflow_ingest.settings import Settings

log = get_logger(__name__)
QUEUE = "ingest-auth"


async def decide(rt: Runtime, issuer: natsauth.Issuer, request: natsauth.AuthRequest, *, ttl_s: int) -> bytes:
    """The signed answer for one connection attempt: a user JWT, or an error naming why not."""
    who = devices.parse_nats_user(request.user)
    if who is None:
        return natsauth.response(issuer, request, error=f"unknown user {request.user!r}")
    async with rt.db.acquire() as conn:
        found = await device_store.credentials(conn, request.user)
    if found is None or found[2] is None:
        return natsauth.response(issuer, request, error=f"device {request.user!r} is not paired")
    tenant, device, password_hash = found[0], found[1], found[2]
    if not await asyncio.to_thread(devices.verify_password, request.password, password_hash):
        return natsauth.response(issuer, request, error=f"wrong password for device {request.user!r}")
    now = datetime.now(UTC)
    async with rt.db.acquire() as conn:
        await device_store.touch(conn, tenant, device, at=now)
        await device_store.record_connection(conn, tenant, device, server_id=request.server_id,
                                             client_id=request.client_id, at=now, keep=timedelta(seconds=ttl_s))
    jwt = natsauth.user_jwt(issuer, request, name=request.user, permissions=devices.device_permissions(tenant, device),
                            ttl_s=ttl_s)
    return natsauth.response(issuer, request, jwt=jwt)


async def serve(rt: Runtime, settings: Settings) -> Client | None:
    """Subscribe to ``$SYS.REQ.USER.AUTH`` on a connection of its own (a queue group: replicas share the work)."""
    if not settings.nats_auth_issuer_seed:
        log.warning("BELEGFLOW_NATS_AUTH_ISSUER_SEED is not set: device logins are not answered")
        return None
    issuer = natsauth.Issuer(settings.nats_auth_issuer_seed)

    async def on_request(msg: Msg) -> None:
        try:
            request = natsauth.parse_request(msg.data.decode(errors="replace"))
        except natsauth.AuthRequestError as exc:
            log.warning("auth callout request refused unanswered", error=str(exc))
            return
        try:
            answer = await decide(rt, issuer, request, ttl_s=settings.device_credentials_ttl_s)
        except Exception as exc:  # the server must get an answer, not a timeout
            log.error("auth callout failed", user=request.user, error=str(exc))
            answer = natsauth.response(issuer, request, error="central could not check the credentials")
        await msg.respond(answer)

    nc = await nats.connect(nats_servers(settings.nats_url), name="belegflow-ingest-auth", max_reconnect_attempts=-1,
                            reconnect_time_wait=1)
    await nc.subscribe(natsauth.AUTH_SUBJECT, queue=QUEUE, cb=on_request)
    log.info("answering device logins", issuer=issuer.public_key)
    return nc


async def disconnect(rt: Runtime, settings: Settings, tenant: str, device: str) -> int:
    """Close the device's open connections now (``$SYS.REQ.SERVER.<id>.KICK``); how many the server closed."""
    async with rt.db.acquire() as conn:
        connections = await device_store.take_connections(conn, tenant, device)
    if not connections or not settings.nats_system_url:
        return 0
    closed = 0
    try:
        nc = await nats.connect(nats_servers(settings.nats_system_url), name="belegflow-ingest-kick", connect_timeout=5,
                                max_reconnect_attempts=1)
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        # NATS is away: keep the connections to close on the next reset or revoke; their short-lived
        # credentials are not renewed anyway, so each ends within the credentials' lifetime
        async with rt.db.acquire() as conn:
            for server_id, client_id in connections:
                await device_store.record_connection(conn, tenant, device, server_id=server_id, client_id=client_id,
                                                      at=datetime.now(UTC),
                                                      keep=timedelta(seconds=settings.device_credentials_ttl_s))
        log.warning("could not reach NATS to disconnect the device; its connections end when their credentials "
                    "expire", tenant=tenant, device=device, error=str(exc) or type(exc).__name__)
        return 0
    try:
        for server_id, client_id in connections:
            try:
                reply = await nc.request(f"$SYS.REQ.SERVER.{server_id}.KICK", json.dumps({"cid": client_id}).encode(),
                                         timeout=3)
            except (nats.errors.Error, TimeoutError) as exc:
                log.warning("could not disconnect a device connection", tenant=tenant, device=device,
                            server=server_id, cid=client_id, error=str(exc))
                continue
            answer = json.loads(reply.data or b"{}")
            if not answer.get("error"):
                closed += 1
    finally:
        await nc.close()
    log.info("device connections closed", tenant=tenant, device=device, closed=closed)
    return closed
