"""A person's review steps over HTTP: approve, reject, correct, choose the supplier of a document in review.

Matching owns the decision: each step is sent to it as ``ReviewCommandV1`` (request/reply) and its answer
is returned; matching records the step (who, when, old and new value, why) and publishes the new decision.
Only an approved revision is exported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import nats.errors
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    CorrectionV1,
    ReviewAction,
    ReviewCommandV1,
    ReviewReplyV1,
    ReviewState,
)
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.types import normalize_tenant
from belegflow_ingest import approval, http_auth, web
from belegflow_ingest.web import Problem

router = APIRouter()
log = get_logger(__name__)
REPLY_TIMEOUT_S = 15.0
M = TypeVar("M", bound=BaseModel)
# how matching's refusal codes are answered over HTTP
_STATUS = {"not-found": 404, "stale-version": 409, "not-in-review": 409, "reason-required": 422, "invalid": 422,
           "unknown-supplier": 422, "incomplete": 422, "four-eyes": 403, "own-correction": 403,
           "approved-already": 403}


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    expected_version: int = Field(ge=1, description="the review version shown to the person (optimistic locking)")
    reason: str = Field(default="", max_length=500)


class ApproveRequest(_Step):
    """Body of ``POST /v1/documents/{id}/review/approve``."""


class RejectRequest(_Step):
    """Body of ``POST /v1/documents/{id}/review/reject``; the reason is required."""

    reason: str = Field(min_length=1, max_length=500)


class CorrectRequest(_Step, CorrectionV1):
    """Body of ``POST /v1/documents/{id}/review/correct``: the values to correct (others stay), as the
    contract's ``CorrectionV1`` names and checks them."""


class SupplierRequest(_Step):
    """Body of ``POST /v1/documents/{id}/review/supplier``: the supplier from master data."""

    supplier_number: str = Field(min_length=1, max_length=32)


class ReviewResult(BaseModel):
    id: UUID
    tenant: str
    revision: int
    state: ReviewState
    version: int
    status_url: str
    awaiting: str | None = Field(default=None, description="set when the approval was recorded as the first of "
                                 "two: what it waits for (a second person whose approval limit covers the gross)")


class ReviewRefused(Exception):
    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code, self.code, self.detail = status_code, code, detail


_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem},
    503: {"model": Problem},
}
TenantHeader = Annotated[str | None, Header(alias="X-Tenant", description="tenant (Mandant)")]


def _tenant(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise ReviewRefused(400, "missing-tenant", "the X-Tenant header is required")
    try:
        return normalize_tenant(raw)
    except ValueError as exc:
        raise ReviewRefused(400, "invalid-tenant", str(exc)) from exc


def _document_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise ReviewRefused(400, "invalid-document-id", f"{raw!r} is not a document id (a UUID)") from None


async def _body(request: Request, model: type[M]) -> M:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip() else None
    except ValueError as exc:
        raise ReviewRefused(400, "invalid-body", f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReviewRefused(400, "invalid-body", 'a JSON object is required, e.g. {"expected_version": 1}')
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ReviewRefused(422, "invalid", problems) from None


async def _send(request: Request, command: ReviewCommandV1) -> ReviewReplyV1:
    rt = web.runtime(request)
    try:
        answer = await rt.broker.request(command.model_dump_json().encode(), subjects.review_command(command.tenant),
                                         timeout=REPLY_TIMEOUT_S)
    except (TimeoutError, nats.errors.Error) as exc:
        raise ReviewRefused(503, "matching-unavailable", f"matching did not answer: {exc or 'timeout'}") from exc
    return ReviewReplyV1.model_validate_json(answer.body)


async def take_step(request: Request, doc_id: UUID, tenant: str, action: ReviewAction, body: _Step, *, by: str
                    ) -> ReviewResult:
    """Send one review step to matching; its reply when done, ``ReviewRefused`` (status, code, why) when not."""
    bind_document(tenant=tenant, document_id=str(doc_id))
    correction = None
    if isinstance(body, CorrectRequest):
        values = body.model_dump(exclude_none=True, exclude={"expected_version", "reason"})
        if not values:
            raise ReviewRefused(422, "invalid", "correction: name at least one value to correct")
        correction = CorrectionV1.model_validate(values)
    reason = body.reason
    if action is ReviewAction.APPROVE:
        held, reason = await _four_eyes(request, doc_id, tenant, body, by=by)
        if held is not None:
            return held
    command = ReviewCommandV1(
        document_id=doc_id, tenant=tenant, action=action, expected_version=body.expected_version, by=by,
        reason=reason, correction=correction,
        supplier_number=body.supplier_number if isinstance(body, SupplierRequest) else None,
        at=datetime.now(UTC),
    )
    reply = await _send(request, command)
    if not reply.ok:
        code = reply.code or "refused"
        detail = reply.detail or "refused"
        raise ReviewRefused(_STATUS.get(code, 422), code,
                            f"{reply.field}: {detail}" if reply.field and not detail.startswith(reply.field)
                            else detail)
    if reply.state is None or reply.version is None or reply.revision is None:
        raise ReviewRefused(502, "bad-reply", "matching answered without state, version or revision")
    log.info("review step", action=action.value, by=by, state=reply.state.value, version=reply.version)
    return ReviewResult(id=doc_id, tenant=tenant, revision=reply.revision, state=reply.state, version=reply.version,
                        status_url=f"/v1/documents/{doc_id}")


async def _four_eyes(request: Request, doc_id: UUID, tenant: str, body: _Step, *, by: str
                     ) -> tuple[ReviewResult | None, str]:
    """The approval limits (``approval``): refused, held as the first approval, or sent on with who approved first."""
    async with web.runtime(request).db.acquire() as conn:
        try:
            outcome = await approval.gate(conn, doc_id, tenant, body.expected_version, by=by)
        except approval.ApprovalRefusedError as exc:
            raise ReviewRefused(403, exc.code, exc.detail) from None
    if isinstance(outcome, approval.Held):
        log.info("review step: first approval", by=by, version=outcome.version)
        return ReviewResult(id=doc_id, tenant=tenant, revision=outcome.revision, state=ReviewState.REVIEW,
                            version=outcome.version, status_url=f"/v1/documents/{doc_id}",
                            awaiting=outcome.detail), body.reason
    return None, approval.final_reason(outcome, body.reason) if outcome is not None else body.reason


async def _step(request: Request, document_id: str, tenant: str | None, action: ReviewAction,
                model: type[_Step]) -> JSONResponse:
    try:
        doc_id, tenant_name = _document_id(document_id), _tenant(tenant)
        body = await _body(request, model)
        # who: the credential, never the body
        result = await take_step(request, doc_id, tenant_name, action, body, by=http_auth.principal(request).name)
    except ReviewRefused as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    return JSONResponse(status_code=200, content=result.model_dump(mode="json"))


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


@router.post("/v1/documents/{document_id}/review/approve", response_model=ReviewResult, responses=_RESPONSES,
             openapi_extra=_schema(ApproveRequest))
async def approve(request: Request, document_id: str, tenant: TenantHeader = None) -> Any:
    """Approve the current revision; it then goes on to accruals and export (exactly once)."""
    return await _step(request, document_id, tenant, ReviewAction.APPROVE, ApproveRequest)


@router.post("/v1/documents/{document_id}/review/reject", response_model=ReviewResult, responses=_RESPONSES,
             openapi_extra=_schema(RejectRequest))
async def reject(request: Request, document_id: str, tenant: TenantHeader = None) -> Any:
    """Reject the current revision, with a reason; it is never exported."""
    return await _step(request, document_id, tenant, ReviewAction.REJECT, RejectRequest)


@router.post("/v1/documents/{document_id}/review/correct", response_model=ReviewResult, responses=_RESPONSES,
             openapi_extra=_schema(CorrectRequest))
async def correct(request: Request, document_id: str, tenant: TenantHeader = None) -> Any:
    """Correct invoice values of the current revision (it stays in review until approved)."""
    return await _step(request, document_id, tenant, ReviewAction.CORRECT, CorrectRequest)


@router.post("/v1/documents/{document_id}/review/supplier", response_model=ReviewResult, responses=_RESPONSES,
             openapi_extra=_schema(SupplierRequest))
async def choose_supplier(request: Request, document_id: str, tenant: TenantHeader = None) -> Any:
    """Choose (or override) the supplier from master data."""
    return await _step(request, document_id, tenant, ReviewAction.CHOOSE_SUPPLIER, SupplierRequest)
