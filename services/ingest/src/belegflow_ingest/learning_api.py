"""What recognition learned from corrections, over HTTP: list it, forget it, read a supplier's waiting invoices
again with it.

The ocr service owns the learned layouts; each call is sent to it as ``LearningRequestV1`` (request/reply).
Forgetting is audited there with who asked; the next document of that supplier is read as before learning.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import nats.errors
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import LearningAction, LearningReplyV1, LearningRequestV1, LineTemplateV1
from belegflow_contracts.types import normalize_tenant
from belegflow_ingest import http_auth, store, web
from belegflow_ingest.domain import RecognitionRequestError
from belegflow_ingest.read_models import Forgotten, ImportedTemplates, LearnedList, RepeatedAfterLearning
from belegflow_ingest.recognition_api import repeat_one
from belegflow_ingest.web import Problem

router = APIRouter()
REPLY_TIMEOUT_S = 15.0
TenantHeader = Annotated[str | None, Header(alias="X-Tenant", description="tenant (Mandant)")]
_STATUS = {"invalid": 422, "not-found": 404}
_RESPONSES: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 404: {"model": Problem},
                                               422: {"model": Problem}, 503: {"model": Problem}}


def _answers(model: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model}, **_RESPONSES}


class LearningRefused(Exception):
    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code, self.code, self.detail = status_code, code, detail


def _tenant(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise LearningRefused(400, "missing-tenant", "the X-Tenant header is required")
    try:
        return normalize_tenant(raw)
    except ValueError as exc:
        raise LearningRefused(400, "invalid-tenant", str(exc)) from exc


def _check_supplier(supplier: str) -> None:
    """A supplier number as master data holds it: 1 to 32 printable characters (a NUL never reaches the database)."""
    if not (0 < len(supplier.strip()) <= 32):
        raise LearningRefused(422, "invalid", "supplier: 1 to 32 characters")
    if not supplier.isprintable():
        raise LearningRefused(422, "invalid", "supplier: printable characters only")


async def ask(request: Request, *, tenant: str, action: LearningAction, by: str, supplier_number: str | None = None,
              layout_id: int | None = None) -> LearningReplyV1:
    """One request to the ocr service; its reply when done, ``LearningRefused`` when not."""
    if supplier_number is not None:
        _check_supplier(supplier_number)
    question = LearningRequestV1(tenant=tenant, action=action, by=by, at=datetime.now(UTC),
                                 supplier_number=supplier_number.strip() if supplier_number else None,
                                 layout_id=layout_id)
    return await _send(request, question)


async def _send(request: Request, question: LearningRequestV1) -> LearningReplyV1:
    try:
        answer = await web.runtime(request).broker.request(
            question.model_dump_json().encode(), subjects.learning_request(question.tenant), timeout=REPLY_TIMEOUT_S)
    except (TimeoutError, nats.errors.Error) as exc:
        raise LearningRefused(503, "ocr-unavailable", f"the ocr service did not answer: {exc or 'timeout'}") from exc
    reply = LearningReplyV1.model_validate_json(answer.body)
    if not reply.ok:
        code = reply.code or "refused"
        raise LearningRefused(_STATUS.get(code, 422), code, reply.detail or code)
    return reply


INT64_MAX = 2**63 - 1


async def _answer(request: Request, tenant: str | None, action: LearningAction, *, supplier: str | None = None,
                  layout_id: int | None = None) -> JSONResponse:
    try:
        reply = await ask(request, tenant=_tenant(tenant), action=action, by=http_auth.principal(request).name,
                          supplier_number=supplier, layout_id=layout_id)
    except LearningRefused as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    if action is LearningAction.LIST:
        return JSONResponse(status_code=200, content={
            "layouts": [lay.model_dump(mode="json") for lay in reply.layouts],
            "templates": [t.model_dump(mode="json") for t in reply.templates]})
    return JSONResponse(status_code=200, content={"forgotten": [lay.model_dump(mode="json") for lay in reply.layouts]})


@router.get("/v1/learning", responses=_answers(LearnedList))
async def list_learned(request: Request, supplier: Annotated[str | None, Query(max_length=32)] = None,
                       tenant: TenantHeader = None) -> Any:
    """The layouts recognition learned for the tenant (or one supplier): each field's label, who taught it, how
    often it was used and whether it was demoted."""
    return await _answer(request, tenant, LearningAction.LIST, supplier=supplier)


@router.delete("/v1/learning/{layout_id}", responses=_answers(Forgotten))
async def forget_layout(request: Request, layout_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
                        tenant: TenantHeader = None) -> Any:
    """Forget one learned layout (audited); that supplier's next document is read as before."""
    return await _answer(request, tenant, LearningAction.FORGET, layout_id=layout_id)


@router.delete("/v1/learning", responses=_answers(Forgotten))
async def forget_supplier(request: Request, supplier: Annotated[str | None, Query(max_length=32)] = None,
                          tenant: TenantHeader = None) -> Any:
    """Forget every layout learned for one supplier (``?supplier=NUMBER``, required)."""
    if not supplier:
        return web.problem(422, "invalid", "name the supplier to forget: ?supplier=NUMBER")
    return await _answer(request, tenant, LearningAction.FORGET, supplier=supplier)


async def repeat_waiting(request: Request, *, tenant: str, supplier_number: str, by: str
                         ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Recognise every invoice of the supplier still waiting for review again, with what was learned since.

    Returns the documents repeated (id, revision started) and the ones skipped (id, why).
    """
    rt = web.runtime(request)
    async with rt.db.acquire() as conn:
        waiting = await store.waiting_of_supplier(conn, tenant, supplier_number)
    repeated, skipped = [], []
    for doc_id in waiting:
        try:
            revision = await repeat_one(rt, doc_id, tenant, engine=None, by=by,
                                        reason=f"repeated after learning from corrections of supplier "
                                               f"{supplier_number}")
        except RecognitionRequestError as exc:
            skipped.append({"id": str(doc_id), "why": exc.message})
            continue
        repeated.append({"id": str(doc_id), "revision": revision})
    return repeated, skipped


@router.post("/v1/learning/repeat", responses=_answers(RepeatedAfterLearning))
async def repeat_supplier(request: Request, supplier: Annotated[str | None, Query(max_length=32)] = None,
                          tenant: TenantHeader = None) -> Any:
    """Recognise the supplier's invoices that wait for review again (``?supplier=NUMBER``), each as a new
    revision read with what was learned."""
    try:
        tenant_name = _tenant(tenant)
        if supplier and supplier.strip():
            _check_supplier(supplier)
    except LearningRefused as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    if not supplier or not supplier.strip():
        return web.problem(422, "invalid", "name the supplier: ?supplier=NUMBER")
    repeated, skipped = await repeat_waiting(request, tenant=tenant_name, supplier_number=supplier.strip(),
                                             by=http_auth.principal(request).name)
    return JSONResponse(status_code=200, content={"repeated": repeated, "skipped": skipped})


# --- line templates of collective invoices ------------------------------------------------------------


@router.put("/v1/learning/templates", responses=_answers(ImportedTemplates),
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/LineTemplateV1"}}}}})
async def import_template(request: Request, tenant: TenantHeader = None) -> Any:
    """Import (or replace) a creditor's line template: a ``belegflow-line-template`` JSON document (see
    ``LineTemplateV1``). A document that fails the format is refused naming the field."""
    raw = await request.body()
    try:
        tenant_name = _tenant(tenant)
        template = LineTemplateV1.model_validate_json(raw)
    except LearningRefused as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        return web.problem(422, "invalid", f"not a line template: {problems}")
    try:
        reply = await import_line_template(request, tenant=tenant_name, template=template,
                                           by=http_auth.principal(request).name)
    except LearningRefused as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    return JSONResponse(status_code=200, content={"imported": [t.model_dump(mode="json") for t in reply.templates]})


@router.get("/v1/learning/templates/{supplier}", responses=_answers(LineTemplateV1))
async def export_template(request: Request, supplier: str, tenant: TenantHeader = None) -> Any:
    """A creditor's line template as imported, ready to edit and import again."""
    try:
        tenant_name = _tenant(tenant)
        _check_supplier(supplier)
        template = await export_line_template(request, tenant=tenant_name, supplier_number=supplier.strip(),
                                              by=http_auth.principal(request).name)
    except LearningRefused as exc:
        return web.problem(exc.status_code, exc.code, exc.detail)
    return JSONResponse(status_code=200, content=template.model_dump(mode="json"))


async def import_line_template(request: Request, *, tenant: str, template: LineTemplateV1, by: str
                               ) -> LearningReplyV1:
    return await _send(request, LearningRequestV1(tenant=tenant, action=LearningAction.IMPORT_TEMPLATE,
                                                  template=template, by=by, at=datetime.now(UTC)))


async def export_line_template(request: Request, *, tenant: str, supplier_number: str, by: str) -> LineTemplateV1:
    reply = await _send(request, LearningRequestV1(tenant=tenant, action=LearningAction.EXPORT_TEMPLATE,
                                                   supplier_number=supplier_number, by=by, at=datetime.now(UTC)))
    if not reply.templates:
        raise LearningRefused(502, "bad-reply", "the ocr service answered without the template")
    return reply.templates[0]
