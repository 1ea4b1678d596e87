"""Ingest's HTTP API: upload a document, read its status, fields and protocol (OpenAPI at /docs)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel, Field

from belegflow_contracts.messages import Source
from belegflow_ingest import http_auth, store, web
from belegflow_ingest.domain import Status, audit_trail
from belegflow_ingest.errors import AdmissionError, TooLargeError
from belegflow_ingest.intake import take_in
from belegflow_ingest.read_models import AuditTrail, DocumentSummary, DocumentView, Health, Liveness, Readiness
from belegflow_ingest.web import Problem

api = APIRouter()
# Postgres counts in int64; a larger offset is a client error, not a database error
MAX_OFFSET = 2**63 - 1
tracer = trace.get_tracer("belegflow.ingest.http")


class UploadResult(BaseModel):
    id: UUID
    tenant: str
    sha256: str
    media_type: str
    duplicate: bool = Field(description="true when the tenant had these exact bytes already")
    status_url: str
    trace_id: str | None = None


async def _read_limited(file: UploadFile, limit: int) -> bytes:
    """Read at most ``limit`` bytes; one more means the upload is too large and is not kept."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            raise TooLargeError(size=size, limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


@api.post(
    "/v1/documents",
    status_code=201,
    response_model=UploadResult,
    responses={200: {"model": UploadResult}, 400: {"model": Problem}, 413: {"model": Problem},
               415: {"model": Problem}},
)
async def upload(
    request: Request,
    file: UploadFile,
    tenant: Annotated[str, Header(alias="X-Tenant", description="tenant (Mandant)")],
) -> Any:
    """Upload one document (multipart field ``file``). 201 when new, 200 when the bytes are known."""
    rt, settings = web.runtime(request), web.settings(request)
    with tracer.start_as_current_span("ingest upload") as span:
        try:
            data = await _read_limited(file, settings.max_upload_bytes)
            result = await take_in(rt, tenant=tenant, data=data, filename=file.filename or "upload",
                                   source=Source.UPLOAD, limit=settings.max_upload_bytes)
        except AdmissionError as exc:
            return web.problem(exc.status_code, exc.code, exc.message)
        body = UploadResult(
            id=result.document_id,
            tenant=result.tenant,
            sha256=result.sha256,
            media_type=result.media_type.value,
            duplicate=result.duplicate,
            status_url=f"/v1/documents/{result.document_id}",
            trace_id=format(span.get_span_context().trace_id, "032x"),
        )
    return JSONResponse(status_code=200 if result.duplicate else 201, content=body.model_dump(mode="json"))


@api.get("/v1/documents/{document_id}", responses={200: {"model": DocumentView}, 400: {"model": Problem},
                                                   404: {"model": Problem}})
async def get_document(request: Request, document_id: str) -> Any:
    """A document's status, fields, supplier, review, accrual assignments, export and protocol."""
    try:
        doc_id = UUID(document_id)
    except ValueError:
        return web.problem(400, "invalid-document-id", f"{document_id!r} is not a document id (a UUID)")
    async with web.runtime(request).db.acquire() as conn:
        doc = await store.get_document(conn, doc_id)
    # another tenant's document does not exist for this credential: same answer, nothing revealed
    if doc is None or not http_auth.principal(request).holds(doc["tenant"]):
        return web.problem(404, "not-found", f"document {document_id} not found")
    return doc


@api.get("/v1/documents/{document_id}/audit", responses={200: {"model": AuditTrail}, 400: {"model": Problem},
                                                         404: {"model": Problem}})
async def get_audit_trail(request: Request, document_id: str) -> Any:
    """The document's audit trail: received, recognised, corrected, approved, exported, archived, booked in DATEV.

    Each step says when, by whom and what; archived steps name their entries of the archive's hash chain.
    """
    doc = await get_document(request, document_id)
    if not isinstance(doc, dict):
        return doc
    return {"id": str(doc["id"]), "tenant": doc["tenant"], "audit": audit_trail(doc["protocol"])}


@api.get("/v1/documents", responses={200: {"model": list[DocumentSummary]}})
async def list_documents(
    request: Request,
    tenant: Annotated[str, Header(alias="X-Tenant", description="tenant (Mandant)")],
    status: Annotated[Status | None, Query(description="only documents in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    """The tenant's documents, newest first (``status``, ``limit`` and ``offset`` are checked before any query)."""
    async with web.runtime(request).db.acquire() as conn:
        return await store.list_documents(conn, tenant.lower(), status=status.value if status else None,
                                          limit=limit, offset=offset)


@api.get("/livez", response_model=Liveness)
async def livez() -> dict[str, str]:
    """The process answers (for a liveness probe: restart it only when this fails)."""
    return {"status": "ok", "service": "ingest"}


@api.get("/readyz", responses={200: {"model": Readiness},
                               503: {"model": Readiness, "description": "not ready: which check failed"}})
async def readyz(request: Request) -> Any:
    """Ready for traffic: subscribers started, NATS connected, database reachable (else 503 and why)."""
    probes = web.runtime(request).probes
    checks = await probes.readiness() if probes is not None else {"subscribers": "starting"}
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(status_code=200 if ready else 503, content={
        "status": "ready" if ready else "not ready", "service": "ingest", "checks": checks})


@api.get("/healthz", response_model=Health)
async def healthz(request: Request) -> dict[str, str]:
    rt = web.runtime(request)
    async with rt.db.acquire() as conn:
        await conn.fetchval("SELECT 1")
    if not await rt.broker.ping(timeout=2.0):
        raise HTTPException(status_code=503, detail="not connected to NATS")
    return {"status": "ok"}
