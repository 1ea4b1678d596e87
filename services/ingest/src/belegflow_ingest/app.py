"""Ingest wiring: broker, HTTP app, lifespan. No decisions here."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import uvicorn
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from faststream.nats import NatsBroker

from belegflow_contracts.runtime import service
from belegflow_ingest import auth_service, credential_store, credentials, desk, http_auth, metrics, openapi, web
from belegflow_ingest.access import ALL_TENANTS, Role
from belegflow_ingest.devices_http import api as devices_api
from belegflow_ingest.edge import router as edge_router
from belegflow_ingest.handlers import router
from belegflow_ingest.http import api
from belegflow_ingest.inbox import watch
from belegflow_ingest.learning_api import router as learning_router
from belegflow_ingest.mail import watch_mailboxes
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
        service.mark_started(rt)
        if settings.inbox_dir is not None:
            rt.tasks.append(asyncio.create_task(watch(rt, settings, settings.inbox_dir)))
        rt.tasks.append(asyncio.create_task(metrics.sample_forever(rt)))
        if settings.imap_mailboxes:
            rt.tasks.append(asyncio.create_task(watch_mailboxes(rt, settings)))
        try:
            yield
        finally:
            if auth is not None:
                await auth.close()
            await service.stop(rt)

    # /docs is served with our own copy of Swagger UI, so it works offline (FastAPI's default loads a CDN)
    app = FastAPI(title="belegflow ingest", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    # Swagger UI 5 (it renders OpenAPI 3.1), as the fastapi-swagger package ships it
    swagger_ui = resources.files("fastapi_swagger") / "resources"
    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="belegflow ingest",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    # every error answers application/problem+json; /openapi.json names credentials and roles per operation
    openapi.install(app, settings)
    oidc = http_auth.OidcVerifier(settings) if settings.oidc_issuer else None
    app.middleware("http")(http_auth.gate(oidc))
    # added last, so it is the outermost: it also sees the gate's database lookups fail
    app.middleware("http")(web.guard)
    # outermost of all: counts every answer, the guard's and the gate's refusals included
    app.middleware("http")(metrics.http_metrics)
    app.include_router(api)
    app.include_router(recognition_router)
    app.include_router(review_router)
    app.include_router(learning_router)
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
