"""Accrual's subscribers: accrual master data in, matched documents in, accrued documents out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from faststream import Context
from faststream.nats import NatsRouter
from faststream.nats.annotations import NatsMessage

from belegflow_accrual import domain, store
from belegflow_accrual.errors import BatchRefusedError
from belegflow_accrual.settings import Settings
from belegflow_contracts import subjects
from belegflow_contracts.messages import AccrualBatchV1, MatchedV1
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.masterdata import apply_batch
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, outgoing, run_once
from belegflow_contracts.runtime.service import Runtime

if TYPE_CHECKING:
    from belegflow_contracts.runtime import Outgoing
    from belegflow_contracts.runtime.db import Connection

router = NatsRouter()
RuntimeDep = Annotated[Runtime, Context("runtime")]
SettingsDep = Annotated[Settings, Context("settings")]
log = get_logger(__name__)


@router.subscriber(subjects.ALL_ACCRUALS, stream=jstream("MD"), **consumer("accrual-accruals"))
async def on_accruals(batch: AccrualBatchV1, msg: NatsMessage, rt: RuntimeDep) -> None:
    """Apply a accrual batch all or nothing; a refusal is recorded and answered like a success."""

    async def apply(conn: Connection) -> int:
        domain.check_batch(batch.records)
        return await store.apply_accruals(conn, batch)

    await apply_batch(rt, msg, kind="accruals", tenant=batch.tenant, batch_id=batch.batch_id,
                      consumer_name="accrual-accruals", apply=apply, refusals=(BatchRefusedError,))


@router.subscriber(subjects.ALL_MATCHED, stream=jstream("DOCS"), **consumer("accrual-matched"))
async def on_matched(event: MatchedV1, msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    references = {line.position: domain.line_references(line) for line in event.invoice.lines}

    async def effects(conn: Connection) -> list[Outgoing]:
        accruals = []
        if event.supplier is not None:
            accruals = await store.lock_accruals(conn, event.tenant, event.supplier.supplier_number,
                                                 domain.lookup_keys(references))
        outcome = domain.accrue(event, references, accruals, send_accruals=settings.send_accruals,
                                at=datetime.now(UTC))
        await store.assign(conn, event.tenant, event.document_id, event.revision, outcome.taken)
        log.info("accrued", assigned=len(outcome.taken), lines=len(event.invoice.lines))
        return [outgoing(subjects.accrued(event.tenant), outcome.accrued,
                         msg_id=subjects.msg_id(event.document_id, "accrued", event.revision))]

    await run_once(rt.db, rt.broker, consumer_name="accrual-matched", message_id=message_id(msg), effects=effects)
