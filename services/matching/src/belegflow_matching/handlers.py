"""Matching's subscribers: supplier master data in, recognized documents in, matched documents out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from faststream.nats import NatsRouter
from pydantic import ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import CompanyBatchV1, RecognizedV1, ReviewCommandV1, ReviewReplyV1, SupplierBatchV1
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.context import Context, NatsMessage
from belegflow_contracts.runtime.errors import TransientError
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.masterdata import apply_batch
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, outgoing, publish, run_once
from belegflow_contracts.runtime.service import Runtime
from belegflow_matching import device_snapshot, domain, review, store
from belegflow_matching.errors import BatchRefusedError, ReviewRefusedError
from belegflow_matching.settings import Settings

if TYPE_CHECKING:
    from belegflow_contracts.runtime import Outgoing
    from belegflow_contracts.runtime.db import Connection

router = NatsRouter()
RuntimeDep = Annotated[Runtime, Context("runtime")]
SettingsDep = Annotated[Settings, Context("settings")]
log = get_logger(__name__)


@router.subscriber(subjects.ALL_SUPPLIERS, stream=jstream("MD"), **consumer("matching-suppliers"))
async def on_suppliers(batch: SupplierBatchV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """Apply a supplier batch all or nothing; a refusal is recorded and answered like a success."""

    async def apply(conn: Connection) -> int:
        domain.check_batch(batch.records)
        return await store.apply_suppliers(conn, batch)

    await apply_batch(rt, msg, kind="suppliers", tenant=batch.tenant, batch_id=batch.batch_id,
                      consumer_name="matching-suppliers", apply=apply, refusals=(BatchRefusedError,))
    # devices keep suppliers offline: their snapshot follows every batch (also a redelivered one)
    await device_snapshot.publish_snapshot(rt, batch.tenant)


@router.subscriber(subjects.ALL_COMPANIES, stream=jstream("MD"), **consumer("matching-companies"))
async def on_companies(batch: CompanyBatchV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """Apply a batch of the tenant's own companies, all or nothing."""

    async def apply(conn: Connection) -> int:
        return await store.apply_companies(conn, batch)

    await apply_batch(rt, msg, kind="companies", tenant=batch.tenant, batch_id=batch.batch_id,
                      consumer_name="matching-companies", apply=apply, refusals=())


@router.subscriber(subjects.ALL_RECOGNIZED, stream=jstream("DOCS"), **consumer("matching-recognized"))
async def on_recognized(event: RecognizedV1, msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    keys = domain.lookup_keys(event.fields)

    policy = settings.policy(event.tenant)

    async def effects(conn: Connection) -> list[Outgoing]:
        at = datetime.now(UTC)
        candidates = await store.find_candidates(conn, event.tenant, keys)
        matched = domain.match(event, keys, candidates, min_confidence=policy.min_confidence,
                               max_gross=policy.max_gross, at=at, companies=await store.companies(conn, event.tenant),
                               book_receipts=policy.book_receipts)
        matched, duplicate_of = domain.flag_duplicates(matched, await store.find_earlier(conn, matched), at=at)
        await store.save_match(conn, matched)
        rejection = domain.automatic_rejection(event, reject_invalid=policy.reject_invalid_einvoices)
        step = review.open_review(matched, duplicate_of=duplicate_of, at=at, reject=rejection)
        await store.save_review(conn, step.review)
        await store.add_audit(conn, step.event)
        log.info("matched", decision=matched.decision.value, state=step.review.state.value,
                 supplier=matched.supplier.supplier_number if matched.supplier else None, reasons=matched.reasons)
        return _step_messages(step)

    await run_once(rt.db, rt.broker, consumer_name="matching-recognized", message_id=message_id(msg),
                   effects=effects)


def _step_messages(step: review.Step) -> list[Outgoing]:
    """The decision event of a step, and the match that goes on to booking once the revision is approved."""
    r = step.review
    out = [outgoing(subjects.decision(r.tenant), step.event,
                    msg_id=subjects.msg_id(r.document_id, f"decision-{r.version}", r.revision))]
    if step.matched is not None:
        out.append(outgoing(subjects.matched(r.tenant), step.matched,
                            msg_id=subjects.msg_id(r.document_id, "matched", r.revision)))
    return out


@router.subscriber(subjects.ALL_REVIEW_COMMANDS, queue="matching-review")
async def on_review_command(msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> ReviewReplyV1:
    """A person's step on a document in review: applied in one transaction and answered, or refused with why."""
    try:
        command = ReviewCommandV1.model_validate_json(msg.body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        return ReviewReplyV1(ok=False, code="invalid", detail=problems)
    if msg.raw_message.subject != subjects.review_command(command.tenant):
        return ReviewReplyV1(ok=False, code="invalid", detail=f"command for tenant {command.tenant} sent on "
                                                                f"{msg.raw_message.subject}")
    bind_document(tenant=command.tenant, document_id=str(command.document_id))
    try:
        async with rt.db.acquire() as conn, conn.transaction():
            current = await store.lock_current_review(conn, command.tenant, command.document_id)
            if current is None:
                raise ReviewRefusedError("not-found", f"document {command.document_id} is not known to matching "
                                                      f"for tenant {command.tenant} (not matched yet?)")
            chosen = None
            if command.supplier_number is not None:
                chosen = await store.supplier_by_number(conn, command.tenant, command.supplier_number)
            companies = frozenset(c.company_number for c in await store.companies(conn, command.tenant))
            step = review.apply_step(current, command, chosen=chosen, companies=companies,
                                     four_eyes_above=settings.policy(command.tenant).four_eyes_above)
            await store.save_review(conn, step.review)
            await store.add_audit(conn, step.event)
            source = f"review:{command.document_id}:{step.review.revision}:{step.review.version}"
            rows = [(await db.add_outbox(conn, out, source=source), out) for out in _step_messages(step)]
    except ReviewRefusedError as exc:
        log.info("review step refused", action=command.action.value, code=exc.code, detail=exc.detail)
        return ReviewReplyV1(ok=False, code=exc.code, detail=exc.detail, field=exc.field)
    try:
        for _, out in rows:
            await publish(rt.broker, out)
        async with rt.db.acquire() as conn:
            await db.mark_published(conn, [row_id for row_id, _ in rows])
    except TransientError as exc:  # committed: the outbox relay publishes it
        log.warning("review step published later", error=str(exc))
    log.info("review step", action=command.action.value, by=command.by, state=step.review.state.value,
             version=step.review.version)
    return ReviewReplyV1(ok=True, state=step.review.state, version=step.review.version,
                         revision=step.review.revision)
