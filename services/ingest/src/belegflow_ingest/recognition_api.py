"""Repeat or cancel a document's recognition over HTTP.

A repeat starts a new revision of the document and emits ``ingested`` for it (optionally naming the OCR
engine); ocr, matching, accrual and export then run again for that revision. A cancel publishes
``RecognitionCancelV1``: ocr stops or skips the recognition and hands the document to manual capture,
so matching sends it to review. Both are recorded (who, why, which revision) in the document's
protocol and in ``recognition_requests``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    OCR_ENGINES,
    IngestedV1,
    MediaType,
    ProtocolEntryV1,
    RecognitionCancelV1,
    Source,
)
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import outgoing
from belegflow_contracts.types import ObjectRef, normalize_tenant
from belegflow_ingest import http_auth, store, web
from belegflow_ingest.domain import RecognitionRequestError, check_cancel, check_engine, repeat_revision
from belegflow_ingest.intake import publish_after_commit
from belegflow_ingest.web import Problem

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime

router = APIRouter()
log = get_logger(__name__)
STEP = "ingest"
M = TypeVar("M", bound=BaseModel)


class RepeatRequest(BaseModel):
    """Body of ``POST /v1/documents/{id}/recognition/repeat`` (optional as a whole)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    engine: str | None = Field(default=None, description=f"OCR engine: one of {', '.join(OCR_ENGINES)}; "
                                                          "null lets ocr choose")
    reason: str = Field(default="", max_length=500)
    requested_by: str | None = Field(default=None, max_length=200, description="who asks (user or system)")


class CancelRequest(BaseModel):
    """Body of ``POST /v1/documents/{id}/recognition/cancel``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)
    requested_by: str | None = Field(default=None, max_length=200, description="who asks (user or system)")


class RecognitionRequestResult(BaseModel):
    id: UUID
    tenant: str
    revision: int = Field(description="repeat: the revision started; cancel: the revision cancelled")
    action: str
    engine: str | None = None
    status_url: str


def _body_schema(model: type[BaseModel], *, required: bool) -> dict[str, Any]:
    return {"requestBody": {"required": required,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem}
}
TenantHeader = Annotated[str | None, Header(alias="X-Tenant", description="tenant (Mandant)")]


def _route(
    action: str, body: type[BaseModel], *, body_required: bool
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """``POST /v1/documents/{document_id}/recognition/<action>``, answered 202 or with a problem."""
    return router.post(
        f"/v1/documents/{{document_id}}/recognition/{action}",
        status_code=202,
        response_model=RecognitionRequestResult,
        responses=_RESPONSES,
        openapi_extra=_body_schema(body, required=body_required),
    )


def _accepted(doc_id: UUID, tenant: str, revision: int, action: str, engine: str | None = None) -> JSONResponse:
    result = RecognitionRequestResult(id=doc_id, tenant=tenant, revision=revision, action=action, engine=engine,
                                      status_url=f"/v1/documents/{doc_id}")
    return JSONResponse(status_code=202, content=result.model_dump(mode="json"))


def _document_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise RecognitionRequestError(400, "invalid-document-id", f"{raw!r} is not a document id (a UUID)") from None


def _tenant(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise RecognitionRequestError(400, "missing-tenant", "the X-Tenant header is required")
    try:
        return normalize_tenant(raw)
    except ValueError as exc:
        raise RecognitionRequestError(400, "invalid-tenant", str(exc)) from exc


async def _body(request: Request, model: type[M], *, optional: bool) -> M:
    raw = await request.body()
    if not raw.strip():
        if optional:
            return model()
        raise RecognitionRequestError(400, "invalid-body", "a JSON body is required, e.g. {\"reason\": \"...\"}")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise RecognitionRequestError(400, "invalid-body", f"the body is not JSON: {exc}") from None
    if data is None and optional:
        return model()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise RecognitionRequestError(400, "invalid-body", problems) from None


def _requested_by(given: str | None, request: Request) -> str:
    """Who asks: the name the body gives (a system acting for a person), else the credential's."""
    return given or http_auth.principal(request).name


async def _locked(conn: db.Connection, document_id: UUID, tenant: str) -> store.CurrentRevision:
    doc = await store.lock_current_revision(conn, document_id)
    # another tenant's document does not exist for this tenant: same answer, nothing revealed
    if doc is None or doc.tenant != tenant:
        raise RecognitionRequestError(404, "not-found", f"document {document_id} not found for tenant {tenant}")
    return doc


async def repeat_one(rt: Runtime, doc_id: UUID, tenant: str, *, engine: str | None, reason: str, by: str
                     ) -> int:
    """Start a new revision of the document and emit ``ingested`` for it; the revision started.

    Raises ``RecognitionRequestError`` where the document is unknown to the tenant or cannot be repeated now.
    """
    now = datetime.now(UTC)
    async with rt.db.acquire() as conn, conn.transaction():
        doc = await _locked(conn, doc_id, tenant)
        revision = repeat_revision(doc.status, doc.revision)
        bind_document(tenant=tenant, document_id=str(doc_id))
        entry = ProtocolEntryV1(
            step=STEP, at=now,
            message=f"recognition repeated by {by}: {reason or 'no reason given'}; revision {revision} "
                    f"started (OCR engine: {engine or 'chosen by ocr'})",
            data={"requested_by": by, "reason": reason, "revision": str(revision),
                  "previous_revision": str(doc.revision), "engine": engine or ""},
        )
        event = IngestedV1(
            document_id=doc_id, tenant=tenant, revision=revision,
            original=ObjectRef(bucket=doc.bucket, key=doc.object_key, sha256=doc.sha256, size=doc.size),
            protocol=[entry], source=Source(doc.source), filename=doc.filename,
            media_type=MediaType(doc.media_type), received_at=doc.received_at, ocr_engine=engine,
        )
        out = outgoing(subjects.ingested(tenant), event, msg_id=subjects.msg_id(doc_id, "ingested", revision))
        await store.start_revision(conn, doc_id, revision)
        await store.add_recognition_request(conn, doc_id, revision, "repeat", engine=engine, reason=reason,
                                            requested_by=by, at=now)
        await store.add_protocol(conn, doc_id, [entry])
        row_id = await db.add_outbox(conn, out, source=f"recognition-repeat:{doc_id}:{revision}")
    await publish_after_commit(rt, out, row_id, what="recognition request")
    log.info("recognition repeated", revision=revision, engine=engine, requested_by=by)
    return revision


@_route("repeat", RepeatRequest, body_required=False)
async def repeat_recognition(request: Request, document_id: str, tenant: TenantHeader = None) -> Any:
    """Recognise the document again as a new revision (optionally with a given OCR engine)."""
    try:
        doc_id, tenant_name = _document_id(document_id), _tenant(tenant)
        body = await _body(request, RepeatRequest, optional=True)
        engine = check_engine(body.engine)
        revision = await repeat_one(web.runtime(request), doc_id, tenant_name, engine=engine, reason=body.reason,
                                    by=_requested_by(body.requested_by, request))
    except RecognitionRequestError as exc:
        return web.problem(exc.status_code, exc.code, exc.message)
    return _accepted(doc_id, tenant_name, revision, "repeat", engine)


@_route("cancel", CancelRequest, body_required=True)
async def cancel_recognition(request: Request, document_id: str, tenant: TenantHeader = None) -> Any:
    """Stop the recognition of the current revision; the document goes to manual capture and review."""
    rt = web.runtime(request)
    try:
        doc_id, tenant_name = _document_id(document_id), _tenant(tenant)
        body = await _body(request, CancelRequest, optional=False)
        by = _requested_by(body.requested_by, request)
        now = datetime.now(UTC)
        async with rt.db.acquire() as conn, conn.transaction():
            doc = await _locked(conn, doc_id, tenant_name)
            revision = doc.revision
            check_cancel(doc.status, revision,
                         already_cancelled=await store.recognition_requested(conn, doc_id, revision, "cancel"))
            bind_document(tenant=tenant_name, document_id=str(doc_id))
            command = RecognitionCancelV1(document_id=doc_id, tenant=tenant_name, revision=revision,
                                          reason=body.reason, requested_by=by, requested_at=now)
            entry = ProtocolEntryV1(
                step=STEP, at=now,
                message=f"recognition cancel of revision {revision} requested by {by}: {body.reason}",
                data={"requested_by": by, "reason": body.reason, "revision": str(revision)},
            )
            out = outgoing(subjects.recognition_cancel(tenant_name), command,
                           msg_id=subjects.msg_id(doc_id, "recognition-cancel", revision))
            await store.add_recognition_request(conn, doc_id, revision, "cancel", engine=None, reason=body.reason,
                                                requested_by=by, at=now)
            await store.add_protocol(conn, doc_id, [entry])
            row_id = await db.add_outbox(conn, out, source=f"recognition-cancel:{doc_id}:{revision}")
    except RecognitionRequestError as exc:
        return web.problem(exc.status_code, exc.code, exc.message)
    await publish_after_commit(rt, out, row_id, what="recognition request")
    log.info("recognition cancel requested", revision=revision, requested_by=by)
    return _accepted(doc_id, tenant_name, revision, "cancel")
