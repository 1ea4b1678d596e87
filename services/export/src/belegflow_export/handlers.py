"""The export service's subscriber: an accrued invoice in, its TMS transfer XML out, once per revision."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from faststream import Context
from faststream.nats import NatsRouter
from faststream.nats.annotations import NatsMessage

from belegflow_contracts import subjects
from belegflow_contracts.messages import AccruedV1, ProtocolEntryV1, TmsExportV1
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, outgoing, run_once
from belegflow_contracts.runtime.service import Runtime
from belegflow_contracts.runtime.storage import sha256_hex
from belegflow_contracts.types import ObjectRef
from belegflow_export import store
from belegflow_export.domain import build_tms_xml, export_key, validate_tms_xml
from belegflow_export.files import write_atomically
from belegflow_export.settings import Settings

if TYPE_CHECKING:
    from belegflow_contracts.runtime import Outgoing
    from belegflow_contracts.runtime.db import Connection

router = NatsRouter()
log = get_logger(__name__)
RuntimeDep = Annotated[Runtime, Context("runtime")]
SettingsDep = Annotated[Settings, Context("settings")]
EXPORTS = "exports"


@router.subscriber(subjects.ALL_ACCRUED, stream=jstream("DOCS"), **consumer("export-accrued"))
async def on_accrued(event: AccruedV1, msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    bind_document(tenant=event.tenant, document_id=str(event.document_id))
    exported_at = datetime.now(UTC)
    xml = build_tms_xml(event, exported_at=exported_at)
    validate_tms_xml(xml)
    key = export_key(event.tenant, event.document_id, event.revision)

    async def effects(conn: Connection) -> list[Outgoing]:
        # record first: a revision exported before keeps the XML it was published with
        ref = ObjectRef(bucket=EXPORTS, key=key, sha256=sha256_hex(xml), size=len(xml))
        fresh = await store.record_export(
            conn, document_id=event.document_id, revision=event.revision, tenant=event.tenant,
            invoice_number=event.invoice.invoice_number,
            supplier_number=event.supplier.supplier_number if event.supplier else None,
            ref=ref, exported_at=exported_at,
        )
        if not fresh:
            log.warning("revision exported before; not exported again", revision=event.revision)
            return []
        await rt.objects.put(EXPORTS, key, xml, content_type="application/xml")
        if settings.export_dir is not None:
            await asyncio.to_thread(write_atomically, settings.export_dir, key, xml)
        accruals = ", ".join(a.accrual_number for a in event.assignments) or "none"
        exported = TmsExportV1(
            document_id=event.document_id, tenant=event.tenant, revision=event.revision,
            invoice_number=event.invoice.invoice_number,
            supplier_number=event.supplier.supplier_number if event.supplier else None,
            xml=xml.decode(), xml_ref=ref, exported_at=exported_at,
            protocol=[ProtocolEntryV1(
                step="export", at=exported_at, data={"key": key, "sha256": ref.sha256},
                message=f"TMS transfer XML valid against tms-transfer-v1.xsd; accruals: {accruals}")],
        )
        return [outgoing(subjects.tms_export(event.tenant), exported,
                         msg_id=subjects.msg_id(event.document_id, "tms", event.revision))]

    await run_once(rt.db, rt.broker, consumer_name="export-accrued", message_id=message_id(msg), effects=effects)
