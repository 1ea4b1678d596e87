"""Ingest wiring: broker, HTTP app, lifespan. No decisions here."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from faststream.nats import NatsBroker

from belegflow_contracts.runtime import service
from belegflow_ingest import auth_service, credential_store, credentials, desk, http_auth
from belegflow_ingest.access import ALL_TENANTS, Role
from belegflow_ingest.devices_http import api as devices_api
from belegflow_ingest.edge import router as edge_router
from belegflow_ingest.handlers import router
from belegflow_ingest.http import api
from belegflow_ingest.inbox import watch
from belegflow_ingest.recognition_api import router as recognition_router
from belegflow_ingest.review_api import router as review_router
from belegflow_ingest.settings import Settings

SERVICE = "ingest"


def build_broker(nats_url: str = "nats://127.0.0.1:4222") -> NatsBroker:
    broker = service.build_broker(SERVICE, router, nats_url=nats_url)
    broker.include_router(edge_router)
    return broker


def create_app(settings: Settings) -> FastAPI:
    broker = build_broker(settings.nats_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await service.start(SERVICE, settings, broker, migrations="belegflow_ingest")
        broker.context.set_global("runtime", rt)
        broker.context.set_global("settings", settings)
        app.state.runtime = rt
        app.state.settings = settings
        if settings.bootstrap_api_key:
            await _keep_bootstrap_key(rt, settings.bootstrap_api_key)
        await broker.start()
        auth = await auth_service.serve(rt, settings)
        if settings.inbox_dir is not None:
            rt.tasks.append(asyncio.create_task(watch(rt, settings, settings.inbox_dir)))
        try:
            yield
        finally:
            if auth is not None:
                await auth.close()
            await service.stop(rt)

    app = FastAPI(title="belegflow ingest", version="1", lifespan=lifespan)
    oidc = http_auth.OidcVerifier(settings) if settings.oidc_issuer else None
    app.middleware("http")(http_auth.gate(oidc))
    app.include_router(api)
    app.include_router(recognition_router)
    app.include_router(review_router)
    app.include_router(devices_api)
    app.include_router(desk.router)
    app.mount("/static", StaticFiles(directory=desk.STATIC_DIR), name="static")
    app.state.session_secret = (settings.session_secret or secrets.token_hex(32)).encode()
    return app


async def _keep_bootstrap_key(rt: service.Runtime, secret: str) -> None:
    key = credentials.key_from_secret(secret)
    async with rt.db.acquire() as conn:
        await credential_store.add_key(conn, key_id=key.key_id, name="bootstrap", secret_sha256=key.secret_sha256,
                                       roles=[r.value for r in Role], tenants=[ALL_TENANTS])


def main() -> None:
    settings = Settings()  # type: ignore[call-arg]  # required values come from the environment
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None,
                access_log=False)
