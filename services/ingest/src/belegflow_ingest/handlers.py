"""Ingest's subscribers: the read model fed by every later pipeline event (device subjects: ``edge``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from faststream.nats import NatsRouter

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    AccruedV1,
    ArchivedV1,
    DatevResultV1,
    DeadLetterV1,
    DecisionV1,
    Level,
    MatchedV1,
    ProtocolEntryV1,
    RecognizedV1,
    ReviewState,
    TmsExportV1,
)
from belegflow_contracts.runtime.context import Context, NatsMessage
from belegflow_contracts.runtime.logging import bind_document
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, run_once
from belegflow_contracts.runtime.service import Runtime
from belegflow_ingest import metrics, store
from belegflow_ingest.domain import Status, dead_letter_revision
from belegflow_ingest.settings import Settings

if TYPE_CHECKING:
    from datetime import datetime

    from belegflow_contracts.runtime import Outgoing
    from belegflow_contracts.runtime.db import Connection

router = NatsRouter()
RuntimeDep = Annotated[Runtime, Context("runtime")]
SettingsDep = Annotated[Settings, Context("settings")]


async def _project(
    rt: Runtime,
    msg: NatsMessage,
    consumer_name: str,
    document_id: UUID,
    status: Status,
    protocol: list[ProtocolEntryV1],
    updates: dict[str, Any],
    revision: int | None = None,
) -> bool:
    async def effects(conn: Connection) -> list[Outgoing]:
        await store.apply_event(conn, document_id, status, protocol=protocol, updates=updates, revision=revision)
        return []

    fresh = await run_once(rt.db, rt.broker, consumer_name=consumer_name, message_id=message_id(msg), effects=effects)
    if fresh:
        metrics.DOCUMENTS.labels(status.value).inc()
    return fresh


@router.subscriber(subjects.ALL_RECOGNIZED, stream=jstream("DOCS"), **consumer("ingest-recognized"))
async def on_recognized(event: RecognizedV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    fields = event.fields.model_dump(mode="json", exclude_none=True)
    updates = {"reader": event.reader, "fields": {"fields": fields, "lines": [
        line.model_dump(mode="json") for line in event.lines], "manual": event.manual,
        "manual_reason": event.manual_reason,
        "einvoice": event.einvoice.model_dump(mode="json") if event.einvoice else None}, "revision": event.revision}
    await _project(rt, msg, "ingest-recognized", event.document_id, Status.RECOGNIZED, event.protocol, updates,
                   event.revision)


@router.subscriber(subjects.ALL_MATCHED, stream=jstream("DOCS"), **consumer("ingest-matched"))
async def on_matched(event: MatchedV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    supplier = event.supplier.model_dump(mode="json") if event.supplier else None
    updates = {"supplier": {"supplier": supplier, "decision": event.decision.value, "reasons": event.reasons}}
    await _project(rt, msg, "ingest-matched", event.document_id, Status.MATCHED, event.protocol, updates,
                   event.revision)


_DECISION_STATUS = {ReviewState.REVIEW: Status.REVIEW, ReviewState.APPROVED: Status.APPROVED,
                    ReviewState.REJECTED: Status.REJECTED}


@router.subscriber(subjects.ALL_DECISIONS, stream=jstream("DOCS"), **consumer("ingest-decisions"))
async def on_decision(event: DecisionV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """Matching's decision: the document waits for review, is approved, or rejected; who, when, what changed."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    review = event.model_dump(mode="json", include={"state", "version", "action", "by", "at", "reason", "reasons",
                                                     "changes", "invoice", "supplier", "duplicate_of"})

    async def effects(conn: Connection) -> list[Outgoing]:
        # a late event of an earlier version adds only its protocol line (compared in the update itself)
        await store.apply_event(conn, event.document_id, _DECISION_STATUS[event.state], protocol=event.protocol,
                                updates={"review": review}, revision=event.revision, review_version=event.version)
        return []

    if await run_once(rt.db, rt.broker, consumer_name="ingest-decisions", message_id=message_id(msg),
                      effects=effects):
        metrics.DECISIONS.labels(event.state.value).inc()
        metrics.DOCUMENTS.labels(_DECISION_STATUS[event.state].value).inc()


@router.subscriber(subjects.ALL_ACCRUED, stream=jstream("DOCS"), **consumer("ingest-accrued"))
async def on_accrued(event: AccruedV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    updates = {"assignments": [a.model_dump(mode="json") for a in event.assignments]}
    await _project(rt, msg, "ingest-accrued", event.document_id, Status.ACCRUED, event.protocol, updates,
                   event.revision)


@router.subscriber(subjects.ALL_TMS_EXPORTS, stream=jstream("EXPORT"), **consumer("ingest-tms"))
async def on_tms_export(event: TmsExportV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    updates = {"export": {"tms": event.xml_ref.model_dump(mode="json"), "exported_at": event.exported_at.isoformat(),
                          "revision": event.revision}}
    received: list[datetime | None] = []

    async def effects(conn: Connection) -> list[Outgoing]:
        await store.apply_event(conn, event.document_id, Status.EXPORTED, protocol=event.protocol, updates=updates,
                                revision=event.revision)
        received.append(await store.received_at(conn, event.document_id))  # in the same transaction
        return []

    if await run_once(rt.db, rt.broker, consumer_name="ingest-tms", message_id=message_id(msg), effects=effects):
        metrics.DOCUMENTS.labels(Status.EXPORTED.value).inc()
        if received and received[0] is not None:
            metrics.UPLOAD_TO_EXPORT.observe(max(0.0, (event.exported_at - received[0]).total_seconds()))


@router.subscriber(subjects.ALL_ARCHIVED, stream=jstream("EXPORT"), **consumer("ingest-archived"))
async def on_archived(event: ArchivedV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """The archive took the approved revision: its protocol names the entries of the hash chain (audit trail)."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    await _project(rt, msg, "ingest-archived", event.document_id, Status.EXPORTED, event.protocol, {}, event.revision)


@router.subscriber(subjects.ALL_DATEV_EXPORTS, stream=jstream("EXPORT"), **consumer("ingest-datev"))
async def on_datev_result(event: DatevResultV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """A DATEV run booked the invoice, or left it out with the reasons: both show in its protocol."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    await _project(rt, msg, "ingest-datev", event.document_id, Status.EXPORTED, event.protocol, {}, event.revision)


@router.subscriber(subjects.ALL_DLQ, stream=jstream("DLQ"), **consumer("ingest-dlq"))
async def on_dead_letter(event: DeadLetterV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """A step gave up on a document: its protocol says so and why, and it shows as failed."""
    if not event.document_id:
        return
    try:
        document_id = UUID(event.document_id)
    except ValueError:
        return
    entry = ProtocolEntryV1(
        step=event.service,
        at=event.at,
        level=Level.ERROR,
        message=f"{event.service} gave up: {event.reason}",
        data={"subject": event.subject, "error_type": event.error_type, "deliveries": str(event.deliveries)},
    )
    # a dead letter of a revision a repeat replaced fails nothing current (it only adds to the protocol)
    await _project(rt, msg, "ingest-dlq", document_id, Status.FAILED, [entry], {}, dead_letter_revision(event.payload))
