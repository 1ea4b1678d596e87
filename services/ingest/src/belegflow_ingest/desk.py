"""The review page for clerks: sign in, the queue, a document with its fields and protocol, correct, approve, reject.

Server-rendered (Jinja2, autoescaped), plain forms that work without JavaScript, every asset served by ingest.
A signed session cookie (Secure, HttpOnly, SameSite=Strict) names the user and the session, which lives in
``desk_sessions`` (shared by every replica; sign-out and a password change end it); every form carries the
session's CSRF token. Failed sign-ins count like the API's (``throttle``). Each step goes to matching like its
API twin (``review_api``), under the user's name.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import re
import time
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode
from uuid import UUID

import nats.errors
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    EInvoiceViewReplyV1,
    EInvoiceViewRequestV1,
    LearningAction,
    LineTemplateV1,
    ReviewAction,
    Source,
)
from belegflow_contracts.runtime.errors import IntegrityError, TransientError
from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.types import ObjectRef
from belegflow_ingest import (
    credential_store,
    credentials,
    i18n,
    learning_api,
    line_templates,
    pages,
    store,
    throttle,
    web,
)
from belegflow_ingest.access import ALL_TENANTS, AccessError, Principal, Role, authorize
from belegflow_ingest.domain import audit_trail
from belegflow_ingest.review_api import (
    ApproveRequest,
    CorrectRequest,
    RejectRequest,
    ReviewRefused,
    SupplierRequest,
    take_step,
)

router = APIRouter(include_in_schema=False)
log = get_logger(__name__)
HERE: Final = Path(__file__).parent
STATIC_DIR: Final = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
COOKIE: Final = "belegflow_session"
STATUSES: Final = ("review", "approved", "exported", "rejected", "failed")


def N_(message: str) -> str:
    return message


FIELDS: Final = (
    ("document_type", N_("Document type"), None), ("invoice_number", N_("Invoice number"), None),
    ("invoice_date", N_("Invoice date"), "date"), ("due_date", N_("Due date"), "date"),
    ("currency", N_("Currency"), None), ("net_amount", N_("Net amount"), "amount"),
    ("tax_amount", N_("Tax amount"), "amount"), ("gross_amount", N_("Gross amount"), "amount"),
)
# the names of statuses, audit events and protocol sections, as the pages show them
WORDS: Final = (N_("review"), N_("approved"), N_("exported"), N_("rejected"), N_("failed"), N_("received"),
                N_("recognized"), N_("matched"), N_("assigned"), N_("ingested"), N_("recognised"), N_("corrected"),
                N_("supplier chosen"), N_("sent to review"), N_("approved automatically"), N_("archived"),
                N_("booked in DATEV"), N_("not booked in DATEV"), N_("General"), N_("Recognition"),
                N_("E-invoice validation"), N_("Master-data match"), N_("first approval"), N_("Not saved"),
                N_("Not imported"), N_("upload"), N_("inbox"), N_("device"), N_("email"))
_STEPS: Final[dict[str, tuple[ReviewAction, type[BaseModel]]]] = {
    "approve": (ReviewAction.APPROVE, ApproveRequest), "reject": (ReviewAction.REJECT, RejectRequest),
    "correct": (ReviewAction.CORRECT, CorrectRequest),
    "supplier": (ReviewAction.CHOOSE_SUPPLIER, SupplierRequest),
}
EINVOICE_STEP: Final = "einvoice-validation"
VIEW_TIMEOUT_S: Final = 15.0
_VERDICTS: Final = {"valid": N_("valid"), "valid_with_warnings": N_("valid with warnings"),
                   "invalid": N_("invalid")}
_DONE: Final = {"approve": N_("Approved: it goes on to accruals and export."),
                "reject": N_("Rejected: it is never exported."), "correct": N_("Corrections saved."),
                "supplier": N_("Supplier chosen."),
                "first": N_("First approval recorded: a second person whose approval limit covers the amount must "
                            "approve."), "lines": N_("Lines saved."),
                "template": N_("Saved as the supplier's line template: their next collective invoices are read with "
                               "it.")}
STALE_FORM: Final = N_("The form is stale or forged (CSRF token); reload the page.")
Said = str | tuple[str, dict[str, Any]]
"""A message for a page: a catalogue text, or one with named values."""


def _said(message: str, **values: Any) -> tuple[str, dict[str, Any]]:
    return message, values


def _secret(request: Request) -> bytes:
    secret: bytes = request.app.state.session_secret
    return secret


async def _signed_in(request: Request) -> tuple[Principal, credentials.Session] | None:
    session = credentials.read_session(_secret(request), request.cookies.get(COOKIE), now=int(time.time()))
    if session is None:
        return None
    # one indexed lookup: the session's row (gone after sign-out or a password change) and its user's grants
    async with web.runtime(request).db.acquire() as conn:
        principal = await credential_store.session_user(conn, credentials.session_id(session), session.user)
    return (principal, session) if principal is not None else None


def _tenant(principal: Principal) -> str | None:
    own = sorted(principal.tenants - {ALL_TENANTS})
    return own[0] if own else None


def texts(request: Request) -> i18n.Texts:
    """The language of the page: the person's choice (cookie), else their browser's, else English."""
    return i18n.Texts(i18n.negotiate(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")))


def _say(words: i18n.Texts, said: Said | None) -> str | None:
    """A message in the page's language; a refusal's own detail ("Not saved: …") keeps the words it came in."""
    if said is None or isinstance(said, tuple):
        return None if said is None else words.gettext(said[0], **said[1])
    head, sep, rest = said.partition(": ")
    if sep and words.gettext(head) != head:
        return f"{words.gettext(head)}: {rest}"
    return words.gettext(said)


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    words = texts(request)
    for key in ("message", "error"):
        context[key] = _say(words, context.get(key))
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context.update(words.filters(), lang=words.language, here=here)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Content-Language"] = words.language
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _to_login() -> RedirectResponse:
    return RedirectResponse("/desk/login", status_code=303)


@router.get("/desk/language")
async def language(lang: str, next: str = "/desk") -> Response:
    """The language switch on every page: the choice is kept for a year, then the page comes back."""
    target = next if next.startswith("/desk") and "//" not in next and "\\" not in next else "/desk"
    response = RedirectResponse(target, status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 24 * 3600, path="/", secure=True, httponly=True,
                            samesite="lax")
    return response


@router.get("/desk/login")
async def login_page(request: Request) -> Response:
    return _page(request, "login.html")


@router.post("/desk/login")
async def login(request: Request) -> Response:
    form = await request.form()
    name, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    policy = throttle.Policy.of(web.settings(request))
    address = throttle.address_of(request, policy)
    valid_name = credential_store.USER_NAME.fullmatch(name) is not None
    try:
        async with web.runtime(request).db.acquire() as conn:
            had_failures = await throttle.check(conn, policy, name, address)
            stored = await credential_store.user(conn, name) if valid_name else None
    except throttle.Locked as exc:
        return _locked(request, exc.retry_after_s)
    ok = await asyncio.to_thread(credentials.password_matches, stored.hash if stored else None, password)
    if stored is None or not ok:
        async with web.runtime(request).db.acquire() as conn:
            await throttle.failed(conn, policy, name, address)
        log.info("desk sign-in refused")
        return _page(request, "login.html", 401, error=N_("Wrong user name or password."))
    ttl_s = web.settings(request).session_ttl_s
    cookie, session = credentials.new_session(_secret(request), name, now=int(time.time()), ttl_s=ttl_s)
    async with web.runtime(request).db.acquire() as conn:
        if had_failures:
            await throttle.succeeded(conn, name, address)
        await credential_store.start_session(conn, credentials.session_id(session), name, expires=session.expires)
    response = RedirectResponse("/desk", status_code=303)
    response.set_cookie(COOKIE, cookie, max_age=ttl_s, path="/", secure=True, httponly=True, samesite="strict")
    log.info("desk sign-in", user=name)
    return response


def _locked(request: Request, retry_after_s: int) -> HTMLResponse:
    minutes = math.ceil(retry_after_s / 60)
    log.info("desk sign-in refused: locked", retry_after_s=retry_after_s)
    error = (_said("Too many failed sign-ins. Try again in %(n)s seconds.", n=retry_after_s) if retry_after_s < 120
             else _said("Too many failed sign-ins. Try again in %(n)s minutes.", n=minutes))
    response = _page(request, "login.html", 429, error=error)
    response.headers["Retry-After"] = str(retry_after_s)
    return response


async def _csrf_ok(request: Request, session: credentials.Session) -> tuple[bool, dict[str, str]]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    return form.get("csrf") == session.csrf, form


@router.post("/desk/logout")
async def logout(request: Request) -> Response:
    found = await _signed_in(request)
    if found is not None and (await _csrf_ok(request, found[1]))[0]:
        # the session's row goes: its cookie opens nothing any more, on any replica, even if it was copied
        async with web.runtime(request).db.acquire() as conn:
            await credential_store.end_session(conn, credentials.session_id(found[1]))
        response = _to_login()
        response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return response
    return _to_login()


QUEUE_PAGE: Final = 50
SORTS: Final = (("newest", N_("newest first")), ("oldest", N_("oldest first")), ("amount", N_("highest amount first")))
REASONS: Final = (("supplier", N_("supplier not identified or weakly")), ("missing", N_("a value is missing")),
                  ("confidence", N_("read with low confidence")), ("sums", N_("amounts do not add up")),
                  ("limit", N_("above the touchless limit")), ("duplicate", N_("suspected duplicate")),
                  ("einvoice", N_("e-invoice invalid")), ("receipt", N_("till receipt")))
AGES: Final = ((1, N_("older than a day")), (7, N_("older than a week")), (30, N_("older than a month")))
CHANNELS: Final = tuple(s.value for s in Source)
_BULK_DONE: Final = {"approve": N_("%(n)s approved"), "reject": N_("%(n)s rejected")}
_BULK_HELD: Final = N_("%(n)s wait for a second approval")
_BULK_REFUSED: Final = N_("%(n)s not decided")


def _cursor(row: dict[str, Any], sort: str) -> str:
    key = row["q_gross"] if sort == "amount" else row["received_at"].isoformat()
    raw = json.dumps([str(key) if key is not None else None, str(row["id"])])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[Any, str] | None:
    if not cursor:
        return None
    try:
        key, last = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return key, str(UUID(str(last)))
    except (ValueError, TypeError):
        return None


def _search(params: dict[str, str], tenant: str, status: str, language: str) -> tuple[store.QueueQuery, list[str]]:
    """The queue query a search form asks for, and what could not be read (left out of the search)."""
    unread: list[str] = []

    def read(name: str, parse: Any) -> Any:
        text = params.get(name, "").strip()
        if not text:
            return None
        try:
            return parse(text)
        except ValueError:
            unread.append(text)
            return None

    age = params.get("age", "")
    query = store.QueueQuery(
        tenant=tenant, status=status, supplier=params.get("supplier", "").strip()[:100] or None,
        number=params.get("number", "").strip()[:64] or None,
        amount=read("amount", lambda t: i18n.parse_amount(t, language)),
        date_from=read("date_from", lambda t: i18n.parse_date(t).isoformat()),
        date_to=read("date_to", lambda t: i18n.parse_date(t).isoformat()),
        channel=params.get("channel") if params.get("channel") in CHANNELS else None,
        older_than_days=int(age) if age in {str(a) for a, _ in AGES} else None,
        reason=params.get("reason") if params.get("reason") in store.REASON_PATTERNS else None,
        duplicates=params.get("duplicates") == "1", sort=sort if (sort := params.get("sort", "")) in dict(SORTS)
        else "newest", after=_after(params.get("after")), limit=QUEUE_PAGE)
    return query, unread


@router.get("/desk")
async def queue(request: Request, status: str = "review", done: str | None = None) -> Response:
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    tenant = _tenant(principal)
    if status not in STATUSES:
        status = "review"
    params = {k: v for k, v in request.query_params.items() if k not in ("done",)}
    documents: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    next_page = None
    unread: list[str] = []
    if tenant is not None:
        query, unread = _search(params, tenant, status, texts(request).language)
        async with web.runtime(request).db.acquire() as conn:
            documents = await store.queue(conn, query)
            counts = await store.queue_counts(conn, tenant)
        if len(documents) > QUEUE_PAGE:
            documents = documents[:QUEUE_PAGE]
            next_page = "/desk?" + urlencode({**params, "after": _cursor(documents[-1], query.sort)})
    searched = {k: v for k, v in params.items() if k not in ("status", "after", "sort") and v}
    error = _said("Not searched for: %(values)s", values=", ".join(unread)) if unread else None
    return _page(request, "queue.html", user=principal.name, tenant=tenant, csrf=session.csrf, status=status,
                 documents=documents, message=done[:300] if done else None, counts=counts, params=params,
                 searched=searched, next_page=next_page, sorts=SORTS, reasons=REASONS, ages=AGES, channels=CHANNELS,
                 error=error, may_decide=bool(principal.roles & {Role.APPROVER}) and status == "review",
                 first_page="/desk?" + urlencode({k: v for k, v in params.items() if k != "after"}))


@router.post("/desk/bulk")
async def bulk(request: Request) -> Response:
    """Approve or reject the selected documents, each within the person's limit (above it: a first approval)."""
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    tenant = _tenant(principal)
    form = await request.form()
    ids: list[UUID] = []
    for value in form.getlist("document"):
        try:
            ids.append(UUID(str(value)))
        except ValueError:
            continue
    action = str(form.get("action", ""))
    if form.get("csrf") != session.csrf or tenant is None or action not in ("approve", "reject"):
        return _page(request, "queue.html", 403, user=principal.name, tenant=tenant, csrf=session.csrf,
                     status="review", documents=[], error=STALE_FORM)
    async with web.runtime(request).db.acquire() as conn:
        versions = await store.review_versions(conn, tenant, ids[:QUEUE_PAGE])
    done, held, refused = 0, 0, []
    for doc_id, version in versions.items():
        try:
            authorize(principal, "POST", f"/v1/documents/{doc_id}/review/{action}")
            body = (ApproveRequest(expected_version=version) if action == "approve"
                    else RejectRequest(expected_version=version, reason=str(form.get("reason", "")).strip()[:500]))
            result = await take_step(request, doc_id, tenant, _STEPS[action][0], body, by=principal.name)
        except (AccessError, ReviewRefused) as exc:
            refused.append(exc.detail)
            continue
        except ValidationError:
            refused.append("a rejection needs a reason")
            continue
        if result.awaiting:
            held += 1
        else:
            done += 1
            await _read_model_caught_up(request, result.id, result.revision, result.version)
    words = texts(request)
    note = words.gettext(_BULK_DONE[action], n=done)
    if held:
        note += "; " + words.gettext(_BULK_HELD, n=held)
    if refused:
        note += "; " + words.gettext(_BULK_REFUSED, n=len(refused)) + f" ({refused[0]})"
    return RedirectResponse("/desk?" + urlencode({"status": "review", "done": note + "."}), status_code=303)


def _protocol(entries: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """ELO's three sections: general, recognition (with the raw data), master-data match; and an e-invoice's
    validation (the official rules, the picture against the XML) in its own."""
    recognition = [e for e in entries if e["step"] == "ocr"]
    matching = [e for e in entries if e["step"] == "matching"]
    validation = [e for e in entries if e["step"] == EINVOICE_STEP]
    general = [e for e in entries if e["step"] not in ("ocr", "matching", EINVOICE_STEP)]
    sections = [("General", general), ("Recognition", recognition)]
    if validation:
        sections.append(("E-invoice validation", validation))
    return [*sections, ("Master-data match", matching)]


async def _document(request: Request, principal: Principal, document_id: str) -> dict[str, Any] | None:
    try:
        doc_id = UUID(document_id)
    except ValueError:
        return None
    async with web.runtime(request).db.acquire() as conn:
        doc = await store.get_document(conn, doc_id)
    return doc if doc is not None and principal.holds(doc["tenant"]) else None


def _document_page(request: Request, principal: Principal, session: credentials.Session, doc: dict[str, Any],
                   status_code: int = 200, **extra: Any) -> HTMLResponse:
    review = doc.get("review")
    fields = ((doc.get("fields") or {}).get("fields")) or {}
    invoice = (review or {}).get("invoice") or {name: (fields.get(name) or {}).get("value") for name, _, _ in FIELDS}
    supplier = (review or {}).get("supplier") or ((doc.get("supplier") or {}).get("supplier"))
    editable = bool(review and review.get("state") == "review" and principal.roles & {Role.CLERK, Role.APPROVER})
    einvoice = (doc.get("fields") or {}).get("einvoice")
    lines = _lines(doc)
    audit = audit_trail(doc["protocol"])
    version = str((review or {}).get("version", ""))
    first = [step["by"] for step in audit
             if step["event"] == "first approval" and step["data"].get("version") == version]
    return _page(request, "document.html", status_code, user=principal.name, tenant=doc["tenant"],
                 csrf=session.csrf, status=None, doc=doc, review=review, invoice=invoice, read=fields,
                 einvoice=einvoice, verdicts=_VERDICTS,
                 supplier=supplier, editable=editable, fields=FIELDS, protocol=_protocol(doc["protocol"]),
                 may_repeat=bool(principal.roles & {Role.CLERK, Role.APPROVER}), audit=audit, first_approvals=first,
                 lines=lines, line_columns=LINE_COLUMNS,
                 **extra)


@router.get("/desk/documents/{document_id}")
async def document(request: Request, document_id: str, done: str | None = None, page: int = 1) -> Response:
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    doc = await _document(request, principal, document_id)
    if doc is None:
        return _page(request, "queue.html", 404, user=principal.name, tenant=_tenant(principal), csrf=session.csrf,
                     status=None, documents=[], error=_said("Document %(id)s not found.", id=document_id))
    view = await _page_view(request, doc, page)
    async with web.runtime(request).db.acquire() as conn:
        previous, following = await store.neighbours(conn, doc["tenant"], doc["status"], doc["received_at"], doc["id"])
    return _document_page(request, principal, session, doc, message=_DONE.get(done or ""), view=view,
                          previous=previous, following=following)


def _original(doc: dict[str, Any]) -> ObjectRef:
    return ObjectRef(bucket=doc["bucket"], key=doc["object_key"], sha256=doc["sha256"], size=doc["size"])


async def _page_view(request: Request, doc: dict[str, Any], page: int) -> dict[str, Any] | None:
    """The page shown beside the fields: its picture's address, its size in points, the read fields' boxes on
    it and the words a click can take (``None`` for a document without pages, an e-invoice XML)."""
    objects = web.runtime(request).objects
    try:
        known = await pages.layout(objects, doc["tenant"], str(doc["id"]), doc["revision"])
        count = await pages.page_count(objects, _original(doc), doc["media_type"], known)
    except (pages.PageNotFoundError, TransientError, IntegrityError) as exc:
        # the fields stay usable when the page cannot be shown (S3 away, an original the renderer refuses)
        log.warning("desk: no page view", error=str(exc))
        count = 0
    if count == 0:
        return None
    page = min(max(page, 1), count)
    width, height = known.sizes.get(page, (595.0, 842.0))
    read = ((doc.get("fields") or {}).get("fields")) or {}
    boxes = [{"field": name, "label": label, "bbox": read[name]["bbox"]} for name, label, _ in FIELDS
             if (read.get(name) or {}).get("bbox") and (read[name].get("page") or 1) == page]
    lines = ((doc.get("fields") or {}).get("lines")) or []
    boxes += [{"field": f"line-{line['position']}", "label": f"line {line['position']}", "bbox": line["bbox"]}
              for line in lines if line.get("bbox") and (line.get("page") or 1) == page]
    return {"page": page, "pages": count, "width": width, "height": height, "boxes": boxes,
            "words": known.words_on(page), "src": f"/desk/documents/{doc['id']}/pages/{page}.png"}


@router.get("/desk/documents/{document_id}/pages/{page}.png")
async def page_picture(request: Request, document_id: str, page: int, w: int = pages.WIDTHS[1]) -> Response:
    """One page of the original as a picture (rendered once per size, then from the cache)."""
    found = await _signed_in(request)
    if found is None:
        return Response(status_code=401)
    doc = await _document(request, found[0], document_id)
    if doc is None:
        return Response(status_code=404)
    try:
        png = await pages.picture(web.runtime(request).objects, _original(doc), doc["media_type"], page, w)
    except pages.PageNotFoundError:
        return Response(status_code=404)
    except (TransientError, IntegrityError):
        return Response(status_code=503, headers={"Retry-After": "5"})
    # the picture of a content-addressed original never changes; only the signed-in browser keeps it
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600",
                                                          "X-Content-Type-Options": "nosniff"})


class UnreadableInputError(ValueError):
    """A date or an amount typed in neither language's format."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field


def _typed(kind: str | None, text: str, language: str) -> str:
    """A value as typed (``17.03.2024`` or ``17/03/2024``, ``1.234,56`` or ``1,234.56``) in the API's form."""
    if kind == "date":
        return i18n.parse_date(text).isoformat()
    if kind == "amount":
        return str(i18n.parse_amount(text, language))
    return text


def _same(kind: str | None, given: str, stored: Any) -> bool:
    if stored in (None, ""):
        return False
    if kind == "amount":
        return Decimal(given) == Decimal(str(stored))
    return given == str(stored)


def _body(action: str, form: dict[str, str], invoice: dict[str, Any], language: str = i18n.DEFAULT) -> Any:
    """The API request of a form: only the values the person changed, so an unchanged field stays as it is."""
    _, model = _STEPS[action]
    values: dict[str, Any] = {"expected_version": form.get("expected_version", "0")}
    if action == "correct":
        for name, _, kind in FIELDS:
            given = form.get(name, "").strip()
            if not given:
                continue
            try:
                value = _typed(kind, given, language)
            except ValueError as exc:
                raise UnreadableInputError(name, str(exc)) from None
            if not _same(kind, value, invoice.get(name)):
                values[name] = value
    elif action == "reject":
        values["reason"] = form.get("reason", "")
    elif action == "supplier":
        values["supplier_number"] = form.get("supplier_number", "")
    return model.model_validate(values)


@router.get("/desk/documents/{document_id}/einvoice")
async def einvoice_view(request: Request, document_id: str, lang: str = "de") -> Response:
    """The document's e-invoice as the official XRechnung visualisation (shown in a frame beside the fields)."""
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, _ = found
    doc = await _document(request, principal, document_id)
    if doc is None:
        return _view_page(f"Document {document_id} not found.", 404)
    question = EInvoiceViewRequestV1(
        tenant=doc["tenant"], document_id=doc["id"], language="en" if lang == "en" else "de",
        original=ObjectRef(bucket=doc["bucket"], key=doc["object_key"], sha256=doc["sha256"], size=doc["size"]))
    try:
        answer = await web.runtime(request).broker.request(
            question.model_dump_json().encode(), subjects.einvoice_view_request(question.tenant),
            timeout=VIEW_TIMEOUT_S)
        reply = EInvoiceViewReplyV1.model_validate_json(answer.body)
    except (TimeoutError, nats.errors.Error) as exc:
        return _view_page(f"The ocr service did not answer: {exc or 'timeout'}.", 503)
    if not reply.ok or reply.html is None:
        return _view_page(f"No visualisation: {reply.detail or reply.code}.", 404)
    return _view_page(reply.html, 200, raw=True)


def _view_page(body: str, status_code: int, *, raw: bool = False) -> HTMLResponse:
    """The visualisation (KoSIT's page: styles and scripts inline) or why there is none, framed by the desk only;
    the frame is sandboxed, so its scripts run in an origin of their own."""
    content = body if raw else f"<!doctype html><meta charset=utf-8><title>E-invoice</title><p>{escape(body)}</p>"
    response = HTMLResponse(content, status_code=status_code)
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; script-src "
                                                   "'unsafe-inline'; img-src data:; frame-ancestors 'self'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


LINE_COLUMNS: Final = (("position", N_("Pos."), None), ("description", N_("Description"), None),
                      ("quantity", N_("Quantity"), "amount"), ("unit_price", N_("Unit price"), "amount"),
                      ("net_amount", N_("Net amount"), "amount"), ("reference_text", N_("References"), None))
MAX_LINES: Final = 500


def _lines(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The line table as it stands: corrected in review, else as read."""
    review = doc.get("review") or {}
    if review.get("invoice") and review["invoice"].get("lines"):
        lines: list[dict[str, Any]] = review["invoice"]["lines"]
        return lines
    return list(((doc.get("fields") or {}).get("lines")) or [])


def _posted_lines(form: dict[str, str], before: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """The line table a form posts (``line-<i>-<column>``); an empty row is left out, a row keeps its place on the
    page. ``UnreadableInputError`` for an amount in neither format."""
    lines: list[dict[str, Any]] = []
    for i in range(MAX_LINES + 1):
        if f"line-{i}-description" not in form:
            break
        given = {name: form.get(f"line-{i}-{name}", "").strip() for name, _, _ in LINE_COLUMNS}
        if not any(given.values()):
            continue
        line: dict[str, Any] = {"position": given["position"] or str(len(lines) + 1),
                                "description": given["description"], "reference_text": given["reference_text"]}
        for name, _, kind in LINE_COLUMNS:
            if kind == "amount" and given[name]:
                try:
                    line[name] = str(i18n.parse_amount(given[name], language))
                except ValueError as exc:
                    raise UnreadableInputError(f"line {i + 1} {name}", str(exc)) from None
        if i < len(before):
            line.update({k: before[i][k] for k in ("page", "bbox") if before[i].get(k) is not None})
        lines.append(line)
    return lines


@router.post("/desk/documents/{document_id}/lines")
async def save_lines(request: Request, document_id: str) -> Response:
    """The corrected line table: a correction like any other (matching records the old and new lines)."""
    posted = await _document_form(request, document_id)
    if isinstance(posted, Response):
        return posted
    principal, session, doc, form = posted
    try:
        authorize(principal, "POST", f"/v1/documents/{document_id}/review/correct")
        lines = _posted_lines(form, _lines(doc), texts(request).language)
        body = CorrectRequest.model_validate({"expected_version": form.get("expected_version", "0"), "lines": lines})
        done = await take_step(request, doc["id"], doc["tenant"], ReviewAction.CORRECT, body, by=principal.name)
    except (AccessError, UnreadableInputError, ValidationError, ReviewRefused) as exc:
        return _not_saved(request, principal, session, doc, exc)
    await _read_model_caught_up(request, done.id, done.revision, done.version)
    return RedirectResponse(f"/desk/documents/{document_id}?done=lines", status_code=303)


@router.post("/desk/documents/{document_id}/line-template")
async def save_line_template(request: Request, document_id: str) -> Response:
    """Save the document's (corrected) line table as its supplier's line template: where each column stands on
    the page, found from the lines' values among the page's words."""
    posted = await _document_form(request, document_id)
    if isinstance(posted, Response):
        return posted
    principal, session, doc, _ = posted
    review = doc.get("review") or {}
    supplier = review.get("supplier") or ((doc.get("supplier") or {}).get("supplier")) or {}
    read = ((doc.get("fields") or {}).get("fields")) or {}
    invoice = review.get("invoice") or {}
    keys = [re.sub(r"\s+", "", str(value)).upper() for value in (
        invoice.get("supplier_iban") or (read.get("supplier_iban") or {}).get("value"),
        invoice.get("supplier_vat_id") or (read.get("supplier_vat_id") or {}).get("value")) if value]
    try:
        authorize(principal, "PUT", "/v1/learning/templates")
        if not supplier.get("supplier_number"):
            raise line_templates.TemplateError("choose the supplier first")
        known = await pages.layout(web.runtime(request).objects, doc["tenant"], str(doc["id"]), doc["revision"])
        template = line_templates.derive(_lines(doc), known.words, supplier_number=supplier["supplier_number"],
                                         supplier_keys=keys)
        await learning_api.import_line_template(request, tenant=doc["tenant"], template=template, by=principal.name)
    except AccessError as exc:
        return _document_page(request, principal, session, doc, exc.status_code, error=exc.detail)
    except line_templates.TemplateError as exc:
        return _document_page(request, principal, session, doc, 422, error=f"Not saved: {exc}")
    except learning_api.LearningRefused as exc:
        return _document_page(request, principal, session, doc, exc.status_code, error=f"Not saved: {exc.detail}")
    log.info("desk: line template saved", supplier=template.supplier_number, columns=len(template.columns))
    return RedirectResponse(f"/desk/documents/{document_id}?done=template", status_code=303)


_DocumentForm = tuple[Principal, credentials.Session, dict[str, Any], dict[str, str]]


def _not_saved(request: Request, principal: Principal, session: credentials.Session, doc: dict[str, Any],
               exc: AccessError | UnreadableInputError | ValidationError | ReviewRefused) -> Response:
    """The document's page again, saying why a posted step was not taken."""
    if isinstance(exc, AccessError):
        return _document_page(request, principal, session, doc, exc.status_code, error=exc.detail)
    if isinstance(exc, ReviewRefused):
        return _document_page(request, principal, session, doc, exc.status_code, error=f"Not saved: {exc.detail}")
    if isinstance(exc, ValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _document_page(request, principal, session, doc, 422, error=f"Not saved: {problems}")
    return _document_page(request, principal, session, doc, 422, error=f"Not saved: {exc}")


async def _document_form(request: Request, document_id: str, *, known: bool = True) -> _DocumentForm | Response:
    """A form posted on a document's page: signed in, the document the person's (and a step the page knows),
    a valid CSRF token."""
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    doc = await _document(request, principal, document_id)
    if doc is None or not known:
        return _page(request, "queue.html", 404, user=principal.name, tenant=_tenant(principal), csrf=session.csrf,
                     status=None, documents=[], error=_said("Document %(id)s not found.", id=document_id))
    ok, form = await _csrf_ok(request, session)
    if not ok:
        return _document_page(request, principal, session, doc, 403, error=STALE_FORM)
    return principal, session, doc, form


@router.post("/desk/documents/{document_id}/{action}")
async def step(request: Request, document_id: str, action: str) -> Response:
    posted = await _document_form(request, document_id, known=action in _STEPS)
    if isinstance(posted, Response):
        return posted
    principal, session, doc, form = posted
    try:
        authorize(principal, "POST", f"/v1/documents/{document_id}/review/{action}")
        invoice = (doc.get("review") or {}).get("invoice") or {}
        body = _body(action, form, invoice, texts(request).language)
        review_action, _ = _STEPS[action]
        done = await take_step(request, UUID(document_id), doc["tenant"], review_action, body, by=principal.name)
    except (AccessError, UnreadableInputError, ValidationError, ReviewRefused) as exc:
        return _not_saved(request, principal, session, doc, exc)
    await _read_model_caught_up(request, done.id, done.revision, done.version)
    return RedirectResponse(f"/desk/documents/{document_id}?done={'first' if done.awaiting else action}",
                            status_code=303)


async def _read_model_caught_up(request: Request, doc_id: UUID, revision: int, version: int) -> None:
    """Wait (a few seconds at most) until the read model shows the step, so the next page offers its version."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5.0
    while loop.time() < deadline:
        async with web.runtime(request).db.acquire() as conn:
            if await store.review_version(conn, doc_id, revision) >= version:
                return
        await asyncio.sleep(0.1)


# --- what recognition learned: list, forget, read a supplier's waiting invoices again -------------


@router.get("/desk/learning")
async def learning_page(request: Request, supplier: str | None = None, done: str | None = None) -> Response:
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    return await _learning(request, principal, session, message=done[:300] if done else None,
                           supplier=supplier or None)


async def _learning(request: Request, principal: Principal, session: credentials.Session, status_code: int = 200,
                    *, supplier: str | None = None, **extra: Any) -> HTMLResponse:
    """The learned layouts and line templates of the user's tenant."""
    tenant = _tenant(principal)
    layouts: list[Any] = []
    line_templates: list[Any] = []
    if tenant is not None:
        try:
            reply = await learning_api.ask(request, tenant=tenant, action=LearningAction.LIST, by=principal.name,
                                           supplier_number=supplier)
            layouts, line_templates = reply.layouts, reply.templates
        except learning_api.LearningRefused as exc:
            status_code, extra["error"] = exc.status_code, exc.detail
    return _page(request, "learning.html", status_code, user=principal.name, tenant=tenant, csrf=session.csrf,
                 status="learned", layouts=layouts, line_templates=line_templates,
                 may_forget=bool(principal.roles & {Role.CLERK, Role.APPROVER}),
                 may_import=bool(principal.roles & {Role.CLERK, Role.APPROVER, Role.OPERATOR}), **extra)


_LearningForm = tuple[Principal, credentials.Session, str, dict[str, str]]


async def _learning_form(request: Request) -> _LearningForm | Response:
    """A form posted on the learned page: signed in, with a tenant and a valid CSRF token, or the answer."""
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    tenant = _tenant(principal)
    ok, form = await _csrf_ok(request, session)
    if not ok or tenant is None:
        return await _learning(request, principal, session, 403,
                               error=STALE_FORM)
    return principal, session, tenant, form


@router.post("/desk/learning/{layout_id}/forget")
async def forget_page(request: Request, layout_id: int) -> Response:
    posted = await _learning_form(request)
    if isinstance(posted, Response):
        return posted
    principal, session, tenant, _ = posted
    try:
        authorize(principal, "DELETE", f"/v1/learning/{layout_id}")
        reply = await learning_api.ask(request, tenant=tenant, action=LearningAction.FORGET, by=principal.name,
                                       layout_id=layout_id)
    except (AccessError, learning_api.LearningRefused) as exc:
        return await _learning(request, principal, session, exc.status_code, error=exc.detail)
    gone = ", ".join(f"layout {lay.layout_id} of supplier {lay.supplier_number}" for lay in reply.layouts)
    return RedirectResponse(f"/desk/learning?{urlencode({'done': f'Forgotten: {gone}.'})}", status_code=303)


@router.post("/desk/repeat-supplier/{document_id}")
async def repeat_supplier_page(request: Request, document_id: str) -> Response:
    """Read the other waiting invoices of this document's supplier again, with what was learned."""
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    doc = await _document(request, principal, document_id)
    if doc is None:
        return _page(request, "queue.html", 404, user=principal.name, tenant=_tenant(principal), csrf=session.csrf,
                     status=None, documents=[], error=_said("Document %(id)s not found.", id=document_id))
    ok, _ = await _csrf_ok(request, session)
    supplier = (doc.get("review") or {}).get("supplier") or ((doc.get("supplier") or {}).get("supplier")) or {}
    number = supplier.get("supplier_number")
    if not ok or not number:
        return _document_page(request, principal, session, doc, 403 if not ok else 422,
                              error=STALE_FORM if not ok else N_("This document has no supplier yet."))
    try:
        authorize(principal, "POST", "/v1/learning/repeat")
    except AccessError as exc:
        return _document_page(request, principal, session, doc, exc.status_code, error=exc.detail)
    repeated, skipped = await learning_api.repeat_waiting(request, tenant=doc["tenant"], supplier_number=number,
                                                          by=principal.name)
    note = f"{len(repeated)} waiting invoice(s) of supplier {number} are read again"
    if skipped:
        note += f"; {len(skipped)} skipped ({skipped[0]['why']})"
    return RedirectResponse(f"/desk?{urlencode({'status': 'review', 'done': note + '.'})}", status_code=303)


@router.post("/desk/learning/templates")
async def import_template_page(request: Request) -> Response:
    """Import a creditor's line template pasted into the page (checked like a file)."""
    posted = await _learning_form(request)
    if isinstance(posted, Response):
        return posted
    principal, session, tenant, form = posted
    try:
        authorize(principal, "PUT", "/v1/learning/templates")
        template = LineTemplateV1.model_validate_json(form.get("template", ""))
        await learning_api.import_line_template(request, tenant=tenant, template=template, by=principal.name)
    except AccessError as exc:
        return await _learning(request, principal, session, exc.status_code, error=exc.detail)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'template'}: {e['msg']}" for e in exc.errors())
        return await _learning(request, principal, session, 422, error=f"Not imported: {problems}",
                               template_text=form.get("template", ""))
    except learning_api.LearningRefused as exc:
        return await _learning(request, principal, session, exc.status_code, error=f"Not imported: {exc.detail}")
    note = f"Line template of supplier {template.supplier_number} imported."
    return RedirectResponse(f"/desk/learning?{urlencode({'done': note})}", status_code=303)


@router.get("/desk/learning/templates/{supplier}.json")
async def export_template_page(request: Request, supplier: str) -> Response:
    """A creditor's line template as a file to download, edit and import again."""
    found = await _signed_in(request)
    if found is None:
        return _to_login()
    principal, session = found
    tenant = _tenant(principal)
    try:
        if tenant is None:
            raise learning_api.LearningRefused(404, "not-found", "no tenant")
        template = await learning_api.export_line_template(request, tenant=tenant, supplier_number=supplier,
                                                           by=principal.name)
    except learning_api.LearningRefused as exc:
        return await _learning(request, principal, session, exc.status_code, error=exc.detail)
    return Response(template.model_dump_json(indent=2), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="line-template-{template.supplier_number}.json"',
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
