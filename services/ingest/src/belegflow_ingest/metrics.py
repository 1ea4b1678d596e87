"""Ingest's domain metrics (Prometheus): documents by status and decision, intake, edge sessions, latency.

Labels never carry a tenant, device or document: their number stays bounded however many there are.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.runtime.metrics import DOCUMENT_LATENCY_BUCKETS_S, LATENCY_BUCKETS_S

if TYPE_CHECKING:
    from fastapi import Request, Response

    from belegflow_contracts.runtime.service import Runtime

log = get_logger(__name__)

DOCUMENTS = Counter("belegflow_document_status_changes_total", "documents reaching a status in the read model",
                    ["status"])
DOCUMENTS_NOW = Gauge("belegflow_documents", "documents in the read model now, by status", ["status"])
DECISIONS = Counter("belegflow_decisions_total", "matching's decisions as ingest recorded them", ["decision"])
INTAKE = Counter("belegflow_intake_total", "documents offered to ingest, by channel and result",
                 ["source", "result"])
MAIL_MESSAGES = Counter("belegflow_mail_messages_total", "mail read from the tenants' mailboxes, by outcome",
                        ["outcome"])
UPLOAD_TO_EXPORT = Histogram("belegflow_upload_to_export_seconds",
                             "from a document's receipt to its TMS export", buckets=DOCUMENT_LATENCY_BUCKETS_S)
HTTP_REQUESTS = Counter("belegflow_http_requests_total", "HTTP requests answered, by route template and status",
                        ["method", "route", "status"])
HTTP_SECONDS = Histogram("belegflow_http_request_seconds", "time to answer an HTTP request, by route template",
                         ["method", "route"], buckets=LATENCY_BUCKETS_S)
EDGE_SESSIONS = Counter("belegflow_edge_sessions_total", "device sync sessions ended, by result", ["result"])
EDGE_OPEN_SESSIONS = Gauge("belegflow_edge_sessions_open", "device sync sessions in progress")
EDGE_BACKLOG = Gauge("belegflow_edge_backlog_documents",
                     "documents devices reported as not yet synced at their latest session start")


async def sample_forever(rt: Runtime, *, interval_s: float = 30.0) -> None:
    """Refresh the gauges read from ingest's tables for the life of the service."""
    from belegflow_ingest import store

    while True:
        try:
            async with rt.db.acquire() as conn:
                figures = await store.figures(conn)
            for status, count in figures["by_status"].items():
                DOCUMENTS_NOW.labels(status).set(count)
            EDGE_OPEN_SESSIONS.set(figures["open_sessions"])
            EDGE_BACKLOG.set(figures["backlog"])
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a database outage must not end the sampler
            log.debug("ingest figures not sampled", error=f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(interval_s)


async def http_metrics(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """HTTP middleware: count and time each answer under its route template (``/v1/documents/{document_id}``)."""
    start = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        route = getattr(request.scope.get("route"), "path", None) or "unmatched"
        HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
        HTTP_SECONDS.labels(request.method, route).observe(time.perf_counter() - start)
