"""Matching's subscribers: supplier master data in, recognized documents in, matched documents out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from faststream import Context
from faststream.nats import NatsRouter
from faststream.nats.annotations import NatsMessage

from belegflow_contracts import subjects
from belegflow_contracts.messages import RecognizedV1, SupplierBatchV1
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.masterdata import apply_batch
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, outgoing, run_once
from belegflow_contracts.runtime.service import Runtime
from belegflow_matching import device_snapshot, domain, store
from belegflow_matching.errors import BatchRefusedError
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


@router.subscriber(subjects.ALL_RECOGNIZED, stream=jstream("DOCS"), **consumer("matching-recognized"))
async def on_recognized(event: RecognizedV1, msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    keys = domain.lookup_keys(event.fields)

    async def effects(conn: Connection) -> list[Outgoing]:
        candidates = await store.find_candidates(conn, event.tenant, keys)
        matched = domain.match(event, keys, candidates, min_confidence=settings.touchless_min_confidence,
                               at=datetime.now(UTC))
        await store.save_match(conn, matched)
        log.info("matched", decision=matched.decision.value,
                 supplier=matched.supplier.supplier_number if matched.supplier else None, reasons=matched.reasons)
        return [outgoing(subjects.matched(event.tenant), matched,
                         msg_id=subjects.msg_id(event.document_id, "matched", event.revision))]

    await run_once(rt.db, rt.broker, consumer_name="matching-recognized", message_id=message_id(msg),
                   effects=effects)
