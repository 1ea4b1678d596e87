"""Ingest answers the NATS server's auth callout: a paired device with its password gets its own permissions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import nats

from belegflow_contracts.runtime.logging import get_logger
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
    async with rt.db.acquire() as conn:
        await device_store.touch(conn, tenant, device, at=datetime.now(UTC))
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

    nc = await nats.connect(settings.nats_url, name="belegflow-ingest-auth", max_reconnect_attempts=-1,
                            reconnect_time_wait=1)
    await nc.subscribe(natsauth.AUTH_SUBJECT, queue=QUEUE, cb=on_request)
    log.info("answering device logins", issuer=issuer.public_key)
    return nc
