"""The ocr service's subscribers: an ingested original in, its recognized fields out; approvals teach layouts."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from faststream.nats import NatsRouter
from pydantic import ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DecisionV1,
    EInvoiceCheckV1,
    EInvoiceViewReplyV1,
    EInvoiceViewRequestV1,
    IngestedV1,
    InvoiceFieldsV1,
    InvoiceLineV1,
    LearningAction,
    LearningReplyV1,
    LearningRequestV1,
    ProtocolEntryV1,
    RecognitionCancelV1,
    RecognizedV1,
    ReviewAction,
)
from belegflow_contracts.runtime.context import Context, NatsMessage
from belegflow_contracts.runtime.errors import PermanentError, TransientError
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, outgoing, publish, run_once
from belegflow_contracts.runtime.service import Runtime
from belegflow_contracts.runtime.storage import ObjectStore
from belegflow_ocr import domain, learning, metrics, store
from belegflow_ocr.domain import cancelled_work_product, header_references
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition.einvoice.views import EInvoiceViews
from belegflow_ocr.recognition.learned import KINDS
from belegflow_ocr.recognition.model import ProtocolLog
from belegflow_ocr.worker import RecognitionCancelledError, RecognitionPool

if TYPE_CHECKING:
    from belegflow_contracts.runtime.db import Connection, Outgoing

router = NatsRouter()
log = get_logger(__name__)
RuntimeDep = Annotated[Runtime, Context("runtime")]
PoolDep = Annotated[RecognitionPool, Context("recognition_pool")]
ViewerDep = Annotated[EInvoiceViews, Context("einvoice_views")]


async def _in_progress(msg: NatsMessage, *, every_s: float = 10.0) -> None:
    while True:
        await asyncio.sleep(every_s)
        await msg.in_progress()


def _items(product: dict[str, object], key: str) -> list[object]:
    value = product.get(key, [])
    if not isinstance(value, list):
        raise PermanentError(f"work product has no list under {key!r}")
    return value


# --- cancel: a marker beside the work product is the record every replica sees -------------------

CANCEL_POLL_S = 1.0


def _job(document_id: UUID, revision: int) -> str:
    return f"{document_id}:r{revision}"


def _cancel_key(tenant: str, document_id: UUID, revision: int) -> str:
    return store.work_key(tenant, document_id, revision).rsplit("/", 1)[0] + "/cancel-v1.json"


async def _load_cancel(
    objects: ObjectStore, tenant: str, document_id: UUID, revision: int
) -> RecognitionCancelV1 | None:
    data = await objects.get_bytes(store.WORK, _cancel_key(tenant, document_id, revision))
    return None if data is None else RecognitionCancelV1.model_validate_json(data)


async def _watch_cancel(objects: ObjectStore, pool: RecognitionPool, event: IngestedV1) -> None:
    """Stop this recognition when a cancel was recorded, also one another replica received."""
    while True:
        await asyncio.sleep(CANCEL_POLL_S)
        try:
            cancel = await _load_cancel(objects, event.tenant, event.document_id, event.revision)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # storage briefly away: the recognition goes on, the next look may see it
            log.warning("could not look for a cancel, will look again", error=str(exc))
            continue
        if cancel is not None:
            pool.cancel(_job(event.document_id, event.revision))
            return


@router.subscriber(subjects.ALL_RECOGNITION_CANCELS, stream=jstream("DOCS"), **consumer("ocr-recognition-cancel"))
async def on_recognition_cancel(cancel: RecognitionCancelV1, rt: RuntimeDep, pool: PoolDep) -> None:
    """Record the cancel, then stop the recognition if it runs here; one not started yet is skipped later."""
    bind_document(tenant=cancel.tenant, document_id=str(cancel.document_id))
    if await store.load_work_product(rt.objects, store.work_key(cancel.tenant, cancel.document_id,
                                                                cancel.revision)) is not None:
        log.warning("cancel arrived after the recognition finished; its result stands", revision=cancel.revision)
        return
    await rt.objects.put(store.WORK, _cancel_key(cancel.tenant, cancel.document_id, cancel.revision),
                         cancel.model_dump_json().encode(), content_type="application/json")
    running_here = pool.cancel(_job(cancel.document_id, cancel.revision))
    log.info("recognition cancel recorded", revision=cancel.revision, running_here=running_here)


async def _recognize_unless_cancelled(rt: Runtime, pool: RecognitionPool, event: IngestedV1, msg: NatsMessage
                                      ) -> dict[str, object]:
    """The work product: recognised, or (when cancelled before, during or as it finished) for manual capture."""
    cancel = await _load_cancel(rt.objects, event.tenant, event.document_id, event.revision)
    if cancel is not None:
        return cancelled_work_product(cancel, found=None, stage="skipped before it started", at=datetime.now(UTC))
    data = await store.read_original(rt.objects, event.original)
    # tell JetStream we are alive so a long recognition is not redelivered to another replica
    heartbeat = asyncio.create_task(_in_progress(msg))
    watcher = asyncio.create_task(_watch_cancel(rt.objects, pool, event))
    log.info("recognition started", revision=event.revision, ocr_engine=event.ocr_engine)
    started = time.perf_counter()
    try:
        recognition = await pool.recognize(data, filename=event.filename, media_type=event.media_type.value,
                                           ocr_engine=event.ocr_engine, job=_job(event.document_id, event.revision))
    except RecognitionCancelledError:
        metrics.RECOGNITIONS.labels("cancelled").inc()
        cancel = await _load_cancel(rt.objects, event.tenant, event.document_id, event.revision)
        if cancel is None:
            raise TransientError("recognition was cancelled but no cancel is recorded; will recognise again") from None
        return cancelled_work_product(cancel, found=None, stage="stopped while running", at=datetime.now(UTC))
    except RecognitionError as exc:
        metrics.RECOGNITIONS.labels("permanent-error" if exc.permanent else "transient-error").inc()
        if exc.permanent:
            raise PermanentError(f"recognition failed: {exc}", document_id=str(event.document_id)) from exc
        raise TransientError(f"recognition failed, will retry: {exc}") from exc
    finally:
        heartbeat.cancel()
        watcher.cancel()
    elapsed = time.perf_counter() - started
    metrics.RECOGNITIONS.labels("recognized").inc()
    metrics.RECOGNITION_SECONDS.labels(recognition.reader).observe(elapsed)
    metrics.SECONDS_PER_PAGE.labels(recognition.reader).observe(elapsed / max(1, len(recognition.pages)))
    log.info("recognized", reader=recognition.reader, status=str(recognition.status), seconds=round(elapsed, 3),
             pages=len(recognition.pages))
    # a cancel recorded while it finished wins: the clerk still gets what was read
    cancel = await _load_cancel(rt.objects, event.tenant, event.document_id, event.revision)
    if cancel is not None:
        return cancelled_work_product(cancel, found=recognition, stage="finished as it was cancelled; what it "
                                      "read is kept for the clerk", at=datetime.now(UTC))
    return recognition.work_product()


@router.subscriber(subjects.ALL_INGESTED, stream=jstream("DOCS"), **consumer("ocr-ingested", ack_wait_s=30))
async def on_ingested(event: IngestedV1, msg: NatsMessage, rt: RuntimeDep, pool: PoolDep) -> None:
    """Recognise once per revision: the work product in S3 is the record, a redelivery re-publishes it."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    key = store.work_key(event.tenant, event.document_id, event.revision)
    stored = await store.load_work_product(rt.objects, key)
    if stored is None:
        product = await _recognize_unless_cancelled(rt, pool, event, msg)
        if not product.get("manual"):
            product = await _apply_learning(rt, event, product)
        ref = await store.save_work_product(rt.objects, key, product)
        if product.get("manual"):
            log.info("recognition cancelled, manual capture", reader=product.get("reader"))
    else:
        product, ref = stored
        log.info("recognition already done, re-publishing", key=key)
    result = RecognizedV1(
        document_id=event.document_id,
        tenant=event.tenant,
        revision=event.revision,
        original=event.original,
        protocol=[ProtocolEntryV1.model_validate(e) for e in _items(product, "protocol")],
        reader=str(product["reader"]),
        fields=InvoiceFieldsV1.model_validate(product["fields"]),
        lines=[InvoiceLineV1.model_validate(line) for line in _items(product, "lines")],
        references=header_references(product),
        work_product=ref,
        manual=product.get("manual") is True,
        manual_reason=str(product["manual_reason"]) if product.get("manual_reason") else None,
        einvoice=EInvoiceCheckV1.model_validate(product["einvoice_check"]) if product.get("einvoice_check") else None,
    )
    await publish(
        rt.broker,
        outgoing(
            subjects.recognized(event.tenant),
            result,
            msg_id=subjects.msg_id(event.document_id, "recognized", event.revision),
        ),
    )


# --- learning: approvals teach the supplier's layout; the next document is read with it ----------


async def _apply_learning(rt: Runtime, event: IngestedV1, product: dict[str, object]) -> dict[str, object]:
    """The work product with what was learned of this supplier (its layout, its line template) applied, and said
    in its protocol."""
    if not product.get("words"):  # an e-invoice: nothing positioned to apply a layout to
        return product
    fields = InvoiceFieldsV1.model_validate(product["fields"])
    keys = learning.supplier_keys(*(f.value for f in (fields.supplier_iban, fields.supplier_vat_id) if f is not None))
    if not keys:  # no valid IBAN or VAT ID printed: nothing learned can be looked up
        return product
    said = ProtocolLog()
    async with rt.db.acquire() as conn, conn.transaction():
        layouts = await store.layouts_for_keys(conn, event.tenant, keys)
        templates = await store.templates_for_keys(conn, event.tenant, keys)
        if not layouts and not templates:
            return product
        words = domain.words_of(product)
        lines = [InvoiceLineV1.model_validate(line) for line in _items(product, "lines")]
        shared = await store.shared_keys(conn, event.tenant, keys)
        applied = learning.apply(fields, words, domain.pages_of(product), layouts, said, shared=shared)
        if applied.layout is not None:
            await store.update_counters(conn, applied.layout)
            before = next(lay for lay in layouts if lay.layout_id == applied.layout.layout_id)
            for name, now in applied.layout.fields.items():
                if now.demoted and not before.fields[name].demoted:
                    await store.add_learning_audit(
                        conn, tenant=event.tenant, layout_id=applied.layout.layout_id or 0,
                        supplier_number=applied.layout.supplier_number, fingerprint=applied.layout.fingerprint,
                        action="demoted", by="ocr", at=datetime.now(UTC),
                        detail=f"{name}: {now.demoted_why} (document {event.document_id})")
    lines = learning.apply_templates(lines, applied.fields, words, templates, said)
    log.info("learning applied", layout=applied.layout is not None, templates=len(templates))
    protocol = [*_items(product, "protocol"), *(e.model_dump(mode="json") for e in said.entries)]
    return {**product, "fields": applied.fields.model_dump(mode="json"), "protocol": protocol,
            "lines": [line.model_dump(mode="json") for line in lines]}


@router.subscriber(subjects.ALL_DECISIONS, stream=jstream("DOCS"), **consumer("ocr-learning"))
async def on_decision(event: DecisionV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """A clerk's correction is noted; a clerk's approval teaches the supplier's layout (once per message)."""
    if event.action not in (ReviewAction.CORRECT.value, ReviewAction.APPROVE.value):
        return
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    learnable = [c.field for c in event.changes if c.field in KINDS]

    async def effects(conn: Connection) -> list[Outgoing]:
        if event.action == ReviewAction.CORRECT.value:
            await store.record_corrections(conn, event.tenant, event.document_id, event.revision, learnable,
                                           event.by, event.at)
            return []
        if event.supplier is None:
            log.info("approved without a supplier: nothing to learn")
            return []
        stored = await store.load_work_product(rt.objects, store.work_key(event.tenant, event.document_id,
                                                                          event.revision))
        if stored is None:
            log.warning("approved revision has no work product: nothing to learn", revision=event.revision)
            return []
        product, _ = stored
        supplier = event.supplier
        printed = (event.invoice.supplier_iban, event.invoice.supplier_vat_id)
        # keyed by the supplier matching identified: its master data's IDs, never a printed one alone
        keys, key_notes = learning.teaching_keys(printed, (supplier.iban, supplier.vat_id))
        seen = keys | learning.supplier_keys(*printed)
        await store.add_key_owners(conn, event.tenant, seen, supplier.supplier_number)
        teaching = learning.Teaching(
            tenant=event.tenant, document_id=str(event.document_id), invoice=event.invoice,
            supplier_number=supplier.supplier_number, supplier_name=supplier.name, keys=keys,
            approved_by=event.by, at=event.at,
            corrected=await store.corrections(conn, event.document_id, event.revision))
        known = await store.layouts_of_supplier(conn, event.tenant, supplier.supplier_number)
        shared = await store.shared_keys(conn, event.tenant, seen)
        layout, notes = learning.learn(teaching, domain.words_of(product), domain.pages_of(product), known,
                                       shared=shared)
        notes = [*key_notes, *notes]
        if layout is None:
            log.info("nothing learned", notes=notes)
            return []
        layout_id = await store.save_layout(conn, layout)
        await store.add_learning_audit(conn, tenant=event.tenant, layout_id=layout_id,
                                       supplier_number=supplier.supplier_number, fingerprint=layout.fingerprint,
                                       action="learned", by=event.by, at=event.at,
                                       detail=f"document {event.document_id}: " + "; ".join(notes))
        log.info("layout learned", supplier=supplier.supplier_number, layout=layout.fingerprint, notes=notes)
        return []

    await run_once(rt.db, rt.broker, consumer_name="ocr-learning", message_id=message_id(msg), effects=effects)


@router.subscriber(subjects.ALL_LEARNING_REQUESTS, queue="ocr-learning")
async def on_learning_request(msg: NatsMessage, rt: RuntimeDep) -> LearningReplyV1:
    """List what was learned for a tenant, or forget layouts (audited); answered, or refused with why."""
    try:
        request = LearningRequestV1.model_validate_json(msg.body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        return LearningReplyV1(ok=False, code="invalid", detail=problems)
    if msg.raw_message.subject != subjects.learning_request(request.tenant):
        return LearningReplyV1(ok=False, code="invalid",
                               detail=f"request for tenant {request.tenant} sent on {msg.raw_message.subject}")
    if request.action is LearningAction.FORGET and request.layout_id is None and request.supplier_number is None:
        return LearningReplyV1(ok=False, code="invalid", detail="name the layout or the supplier to forget")
    if request.action in (LearningAction.IMPORT_TEMPLATE, LearningAction.EXPORT_TEMPLATE):
        return await _template_request(rt, request)
    async with rt.db.acquire() as conn, conn.transaction():
        layouts = await store.list_layouts(conn, request.tenant, request.supplier_number, request.layout_id)
        if request.action is LearningAction.LIST:
            if request.layout_id is not None:
                return LearningReplyV1(ok=True, layouts=layouts)
            templates = await store.list_templates(conn, request.tenant, request.supplier_number)
            return LearningReplyV1(ok=True, layouts=layouts, templates=templates)
        if not layouts:
            what = f"layout {request.layout_id}" if request.layout_id else f"supplier {request.supplier_number}"
            return LearningReplyV1(ok=False, code="not-found",
                                   detail=f"nothing learned for {what} of tenant {request.tenant}")
        await store.forget_layouts(conn, [lay.layout_id for lay in layouts])
        for lay in layouts:
            await store.add_learning_audit(conn, tenant=request.tenant, layout_id=lay.layout_id,
                                           supplier_number=lay.supplier_number, fingerprint=lay.fingerprint,
                                           action="forgotten", by=request.by, at=request.at,
                                           detail=", ".join(f.field for f in lay.fields))
    log.info("learned layouts forgotten", by=request.by, layouts=[lay.layout_id for lay in layouts])
    return LearningReplyV1(ok=True, layouts=layouts)


async def _template_request(rt: Runtime, request: LearningRequestV1) -> LearningReplyV1:
    """Import a creditor's line template (audited), or export the one stored."""
    async with rt.db.acquire() as conn, conn.transaction():
        if request.action is LearningAction.IMPORT_TEMPLATE:
            if request.template is None:
                return LearningReplyV1(ok=False, code="invalid", detail="import-template needs the template")
            await store.save_template(conn, request.tenant, request.template, by=request.by, at=request.at)
            log.info("line template imported", supplier=request.template.supplier_number, by=request.by)
            return LearningReplyV1(ok=True, templates=[request.template])
        if request.supplier_number is None:
            return LearningReplyV1(ok=False, code="invalid", detail="name the supplier whose template to export")
        template = await store.template_of(conn, request.tenant, request.supplier_number)
    if template is None:
        return LearningReplyV1(ok=False, code="not-found",
                               detail=f"no line template for supplier {request.supplier_number} of tenant "
                                      f"{request.tenant}")
    return LearningReplyV1(ok=True, templates=[template])


# --- the desk shows an e-invoice as a readable document ---------------------------------------------

# NATS' default largest message is 1 MiB; a visualisation beyond this is refused with why, never cut
MAX_VIEW_CHARS = 900_000


@router.subscriber(subjects.ALL_EINVOICE_VIEW_REQUESTS, queue="ocr-einvoice-view")
async def on_einvoice_view(msg: NatsMessage, rt: RuntimeDep, views: ViewerDep) -> EInvoiceViewReplyV1:
    """The official XRechnung visualisation of a document's e-invoice, or why there is none."""
    try:
        request = EInvoiceViewRequestV1.model_validate_json(msg.body)
    except ValidationError as exc:
        return EInvoiceViewReplyV1(ok=False, code="invalid", detail=str(exc.errors()[0]["msg"]))
    if msg.raw_message.subject != subjects.einvoice_view_request(request.tenant) or \
            not request.original.key.startswith(f"{request.tenant}/"):
        return EInvoiceViewReplyV1(ok=False, code="invalid", detail="the document is not the tenant's")
    if not views.available:
        return EInvoiceViewReplyV1(ok=False, code="no-viewer", detail=views.why_not)
    try:
        data = await store.read_original(rt.objects, request.original)
        html = await views.render(data, filename=str(request.document_id), language=request.language)
    except Exception as exc:  # storage away, a bad hash, a stylesheet failing: the desk says so, never hangs
        log.warning("e-invoice visualisation failed", document_id=str(request.document_id), error=repr(exc))
        return EInvoiceViewReplyV1(ok=False, code="unavailable", detail=f"the visualisation failed: {exc}"[:500])
    if html is None:
        return EInvoiceViewReplyV1(ok=False, code="not-an-einvoice", detail="the document carries no e-invoice XML "
                                   "the visualisation can show")
    if len(html) > MAX_VIEW_CHARS:
        return EInvoiceViewReplyV1(ok=False, code="too-large", detail=f"the visualisation has {len(html)} "
                                   f"characters, more than the {MAX_VIEW_CHARS} one answer can carry")
    return EInvoiceViewReplyV1(ok=True, html=html)
