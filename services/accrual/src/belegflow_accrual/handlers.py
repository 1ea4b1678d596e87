"""Accrual's subscribers: master data and TMS events in (in stream order), matched documents in, accrued
documents and the accrual export out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from faststream.nats import ConsumerConfig, NatsRouter

from belegflow_accrual import domain, store
from belegflow_accrual.errors import BatchRefusedError
from belegflow_accrual.settings import Settings
from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    AccrualBatchV1,
    AccrualEventResultV1,
    AccrualEventV1,
    AccrualSettingsV1,
    MatchedV1,
    SupplierBatchV1,
)
from belegflow_contracts.runtime.context import Context, NatsMessage
from belegflow_contracts.runtime.errors import PermanentError
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.masterdata import apply_batch
from belegflow_contracts.runtime.messaging import MAX_DELIVER, consumer, jstream, message_id, outgoing, run_once
from belegflow_contracts.runtime.service import Runtime

if TYPE_CHECKING:
    from belegflow_contracts.runtime import Outgoing
    from belegflow_contracts.runtime.db import Connection

router = NatsRouter()
RuntimeDep = Annotated[Runtime, Context("runtime")]
SettingsDep = Annotated[Settings, Context("settings")]
log = get_logger(__name__)

# Suppliers, accrual batches, TMS events and tenant settings share one consumer with one message in flight:
# they apply in the order the MD stream holds them, so an accrual never arrives before its creditor.
MASTERDATA_SUBJECT = "md.*.*.v1"
_MASTERDATA_CONSUMER = {
    **consumer("accrual-masterdata"),
    "config": ConsumerConfig(max_deliver=MAX_DELIVER + 1, ack_wait=30.0, max_ack_pending=1),
}


@router.subscriber(MASTERDATA_SUBJECT, stream=jstream("MD"), **_MASTERDATA_CONSUMER)
async def on_masterdata(msg: NatsMessage, rt: RuntimeDep) -> None:
    # validated here from the raw bytes, by subject: amounts never pass through a float
    body = msg.raw_message.data
    subject = msg.raw_message.subject
    kind = subject.split(".")[2]
    if kind == "suppliers":
        await _on_suppliers(SupplierBatchV1.model_validate_json(body), msg, rt)
    elif kind == "accruals":
        await _on_accruals(AccrualBatchV1.model_validate_json(body), msg, rt)
    elif kind == "accrual-events":
        await _on_event(AccrualEventV1.model_validate_json(body), msg, rt)
    elif kind == "accrual-settings":
        await _on_settings(AccrualSettingsV1.model_validate_json(body), msg, rt)
    else:
        log.debug("master data of another service", subject=subject)


def _tenant_of(msg: NatsMessage, tenant: str) -> None:
    if msg.raw_message.subject.split(".")[1] != tenant:
        raise PermanentError(f"message for tenant {tenant} arrived on {msg.raw_message.subject}")


async def _on_suppliers(batch: SupplierBatchV1, msg: NatsMessage, rt: Runtime) -> None:
    """Creditors' tolerances; matching owns and answers the supplier batch, accrual keeps what it needs."""
    _tenant_of(msg, batch.tenant)

    async def effects(conn: Connection) -> list[Outgoing]:
        count = await store.apply_creditors(conn, batch)
        log.info("creditor tolerances applied", tenant=batch.tenant, creditors=count)
        return []

    await run_once(rt.db, rt.broker, consumer_name="accrual-suppliers", message_id=message_id(msg), effects=effects)


async def _on_accruals(batch: AccrualBatchV1, msg: NatsMessage, rt: Runtime) -> None:
    """Apply an accrual batch all or nothing; a refusal is recorded and answered like a success."""

    async def apply(conn: Connection) -> int:
        return await store.apply_accruals(conn, batch)

    await apply_batch(rt, msg, kind="accruals", tenant=batch.tenant, batch_id=batch.batch_id,
                      consumer_name="accrual-accruals", apply=apply, refusals=(BatchRefusedError,))


async def _on_event(event: AccrualEventV1, msg: NatsMessage, rt: Runtime) -> None:
    """One TMS state change of one accrual, applied in the accrual's sequence, exactly once."""
    _tenant_of(msg, event.tenant)

    async def effects(conn: Connection) -> list[Outgoing]:
        state, notes = await store.apply_event(conn, event)
        for note in notes:
            log.info("accrual event", tenant=event.tenant, note=note)
        result = AccrualEventResultV1(event_id=event.event_id, tenant=event.tenant,
                                      accrual_number=event.accrual_number, sequence=event.sequence,
                                      state=state, notes=notes)
        return [outgoing(subjects.accrual_event_results(event.tenant), result,
                         msg_id=f"accrual-event:{event.event_id}:{state}")]

    await run_once(rt.db, rt.broker, consumer_name="accrual-events", message_id=message_id(msg), effects=effects)


async def _on_settings(settings: AccrualSettingsV1, msg: NatsMessage, rt: Runtime) -> None:
    _tenant_of(msg, settings.tenant)

    async def effects(conn: Connection) -> list[Outgoing]:
        stored = await store.put_settings(conn, settings)
        log.info("accrual settings", tenant=settings.tenant, stored=stored,
                 send_accrual_numbers=settings.send_accrual_numbers)
        return []

    await run_once(rt.db, rt.broker, consumer_name="accrual-settings", message_id=message_id(msg), effects=effects)


async def accrue_document(conn: Connection, event: MatchedV1, *, default_send: bool) -> domain.Outcome:
    """Load, decide, save: the accruals of one invoice revision, in the caller's transaction."""
    tenant = await store.get_settings(conn, event.tenant, default_send=default_send)
    references = {line.position: domain.line_references(line, tenant.patterns) for line in event.invoice.lines}
    header = domain.header_references(event.invoice, tenant.patterns)
    accruals, creditor = [], None
    if event.supplier is not None:
        accruals = await store.lock_accruals(conn, event.tenant, domain.lookup_keys(references, header))
        creditor = await store.get_creditor(conn, event.tenant, event.supplier.supplier_number)
    outcome = domain.accrue(event, references, accruals, creditor=creditor,
                            send_accruals=tenant.send_accrual_numbers, at=datetime.now(UTC), header=header)
    await store.assign(conn, event.tenant, event.document_id, event.revision, outcome.taken)
    return outcome


@router.subscriber(subjects.ALL_MATCHED, stream=jstream("DOCS"), **consumer("accrual-matched"))
async def on_matched(event: MatchedV1, msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))

    async def effects(conn: Connection) -> list[Outgoing]:
        outcome = await accrue_document(conn, event, default_send=settings.send_accruals)
        log.info("accrued", assigned=len(outcome.taken), lines=len(event.invoice.lines),
                 review=len(outcome.accrued.reasons))
        return [
            outgoing(subjects.accrued(event.tenant), outcome.accrued,
                     msg_id=subjects.msg_id(event.document_id, "accrued", event.revision)),
            outgoing(subjects.accrual_export(event.tenant), outcome.movement,
                     msg_id=subjects.msg_id(event.document_id, "accrual-movement", event.revision)),
        ]

    await run_once(rt.db, rt.broker, consumer_name="accrual-matched", message_id=message_id(msg), effects=effects)
