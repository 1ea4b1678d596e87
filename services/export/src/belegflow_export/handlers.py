"""The export service's subscriber: an accrued invoice in, its TMS transfer XML out, once per revision."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from faststream.nats import NatsRouter

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    AccruedV1,
    ArchivedV1,
    DecisionV1,
    ProtocolEntryV1,
    ReviewState,
    TmsExportV1,
    TmsExportV2,
)
from belegflow_contracts.runtime.context import Context, NatsMessage
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, outgoing, run_once
from belegflow_contracts.runtime.service import Runtime
from belegflow_contracts.runtime.storage import sha256_hex
from belegflow_contracts.types import ObjectRef
from belegflow_export import store
from belegflow_export.archive import ArchiveBucket, entry_contract
from belegflow_export.books import archive_approved
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
ArchiveDep = Annotated[ArchiveBucket, Context("archive")]
EXPORTS = "exports"
# Accrued revisions of different documents are exported at once (each locks its revision's gate row; the
# archive's chain head is one writer per tenant): one export's S3 waits overlap another's work.
EXPORT_WORKERS = 4


async def _export(rt: Runtime, settings: Settings, archive: ArchiveBucket, conn: Connection, event: AccruedV1, *,
                  approved_by: str) -> list[Outgoing]:
    """Write and publish the TMS XML of an approved revision (each configured version); nothing when exported before."""
    exported_at = datetime.now(UTC)
    versions: list[int] = sorted(set(settings.tms_versions))
    written: dict[int, tuple[bytes, ObjectRef]] = {}
    for version in versions:
        xml = build_tms_xml(event, exported_at=exported_at, version=version)
        validate_tms_xml(xml, version=version)
        key = export_key(event.tenant, event.document_id, event.revision, version=version)
        written[version] = (xml, ObjectRef(bucket=EXPORTS, key=key, sha256=sha256_hex(xml), size=len(xml)))
    # record first: a revision exported before keeps the XML it was published with
    fresh = await store.record_export(
        conn, document_id=event.document_id, revision=event.revision, tenant=event.tenant,
        invoice_number=event.invoice.invoice_number,
        supplier_number=event.supplier.supplier_number if event.supplier else None,
        ref=written[versions[0]][1], exported_at=exported_at,
    )
    if not fresh:
        log.warning("revision exported before; not exported again", revision=event.revision)
        return []
    accruals = ", ".join(a.accrual_number for a in event.assignments) or "none"
    supplier_number = event.supplier.supplier_number if event.supplier else None

    async def deliver(xml: bytes, ref: ObjectRef) -> None:
        await rt.objects.put(EXPORTS, ref.key, xml, content_type="application/xml", sha256=ref.sha256)
        if settings.export_dir is not None:
            await asyncio.to_thread(write_atomically, settings.export_dir, ref.key, xml)

    # each version's object and file at once (distinct keys), while the original is read for the archive
    original, *_ = await asyncio.gather(rt.objects.get_verified(event.original),
                                        *(deliver(xml, ref) for xml, ref in written.values()))
    out: list[Outgoing] = []
    for version, (xml, ref) in written.items():
        protocol = [ProtocolEntryV1(
            step="export", at=exported_at,
            data={"key": ref.key, "sha256": ref.sha256, "approved_by": approved_by, "version": str(version)},
            message=f"TMS transfer XML valid against tms-transfer-v{version}.xsd; approved by {approved_by}; "
                    f"accruals: {accruals}")]
        if version == 1:
            v1 = TmsExportV1(document_id=event.document_id, tenant=event.tenant, revision=event.revision,
                             invoice_number=event.invoice.invoice_number, supplier_number=supplier_number,
                             xml=xml.decode(), xml_ref=ref, exported_at=exported_at, protocol=protocol)
            out.append(outgoing(subjects.tms_export(event.tenant), v1,
                                msg_id=subjects.msg_id(event.document_id, "tms", event.revision)))
        else:
            v2 = TmsExportV2(document_id=event.document_id, tenant=event.tenant, revision=event.revision,
                             document_type=event.invoice.document_type,
                             invoice_number=event.invoice.invoice_number, supplier_number=supplier_number,
                             xml=xml.decode(), xml_ref=ref, exported_at=exported_at, protocol=protocol)
            out.append(outgoing(subjects.tms_export_v2(event.tenant), v2,
                                msg_id=subjects.msg_id(event.document_id, "tms-v2", event.revision)))
    # GoBD: the approved revision, its protocol and every transfer go into the archive, in this transaction
    entries = await archive_approved(conn, rt.objects, archive, settings, event, approved_by=approved_by,
                                     tms=[(version, xml) for version, (xml, _) in written.items()], at=exported_at,
                                     original=original)
    kinds = ", ".join(entry["kind"] for entry in entries)
    last = entries[-1]
    protocol = [ProtocolEntryV1(
        step="archive", at=exported_at,
        data={"first_seq": str(entries[0]["seq"]), "last_seq": str(last["seq"]), "head": last["entry_sha256"],
              "object_lock": str(archive.object_lock).lower()},
        message=f"archived {kinds} as index entries {entries[0]['seq']}..{last['seq']} of the hash chain "
                f"(head {last['entry_sha256'][:12]}); kept until {last['retain_until'][:10]}"
                + (" under object lock" if archive.object_lock else " (write-once; the server has no object lock)"))]
    archived = ArchivedV1(document_id=event.document_id, tenant=event.tenant, revision=event.revision,
                          entries=[entry_contract(entry) for entry in entries], protocol=protocol)
    out.append(outgoing(subjects.archived(event.tenant), archived,
                        msg_id=subjects.msg_id(event.document_id, "archived", event.revision)))
    return out


@router.subscriber(subjects.ALL_ACCRUED, stream=jstream("DOCS"),
                   **consumer("export-accrued", max_workers=EXPORT_WORKERS))
async def on_accrued(event: AccruedV1, msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep,
                     archive: ArchiveDep) -> None:
    """An accrued revision is kept until matching approved it; an approved one is exported at once."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))

    async def effects(conn: Connection) -> list[Outgoing]:
        gate = await store.keep_accrued_locked(conn, event.document_id, event.revision, event.tenant,
                                               event.model_dump_json())
        if gate.state != ReviewState.APPROVED.value:
            log.info("revision not approved; kept until it is", revision=event.revision,
                     state=gate.state or "not decided yet")
            return []
        return await _export(rt, settings, archive, conn, event, approved_by=gate.decided_by or "")

    await run_once(rt.db, rt.broker, consumer_name="export-accrued", message_id=message_id(msg), effects=effects)


@router.subscriber(subjects.ALL_DECISIONS, stream=jstream("DOCS"), **consumer("export-decisions"))
async def on_decision(event: DecisionV1, msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep,
                      archive: ArchiveDep) -> None:
    """Matching's decision on a revision: an approval releases an accrued revision kept here; nothing else does."""
    bind_document(tenant=event.tenant, document_id=str(event.document_id))

    async def effects(conn: Connection) -> list[Outgoing]:
        gate = await store.keep_decision_locked(conn, event.document_id, event.revision, event.tenant,
                                                state=event.state.value, version=event.version, by=event.by,
                                                at=event.at)
        if event.state is not ReviewState.APPROVED or gate.accrued is None:
            return []
        return await _export(rt, settings, archive, conn, AccruedV1.model_validate_json(gate.accrued),
                             approved_by=event.by)

    await run_once(rt.db, rt.broker, consumer_name="export-decisions", message_id=message_id(msg), effects=effects)
