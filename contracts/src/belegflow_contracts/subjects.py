"""Subject names, streams and consumer names. Every subject carries the tenant and a version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from belegflow_contracts.types import normalize_tenant

_DEVICE_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _device(device: str) -> str:
    name = device.strip().lower()
    if not name or len(name) > 64 or not set(name) <= _DEVICE_CHARS:
        raise ValueError(f"device name {device!r} is not a valid subject token")
    return name


def ingested(tenant: str) -> str:
    return f"docs.{normalize_tenant(tenant)}.ingested.v1"


def recognized(tenant: str) -> str:
    return f"docs.{normalize_tenant(tenant)}.recognized.v1"


def matched(tenant: str) -> str:
    return f"docs.{normalize_tenant(tenant)}.matched.v1"


def accrued(tenant: str) -> str:
    return f"docs.{normalize_tenant(tenant)}.accrued.v1"


def decision(tenant: str) -> str:
    """The decision on a revision (``DecisionV1``): review, approved, rejected; in the DOCS stream."""
    return f"docs.{normalize_tenant(tenant)}.decision.v1"


def review_command(tenant: str) -> str:
    """A person's review step (``ReviewCommandV1``), request/reply with matching; in no stream."""
    return f"desk.{normalize_tenant(tenant)}.review.v1"


def learning_request(tenant: str) -> str:
    """What recognition learned from corrections: list or forget (``LearningRequestV1``), request/reply with
    the ocr service; in no stream."""
    return f"desk.{normalize_tenant(tenant)}.learning.v1"


def einvoice_view_request(tenant: str) -> str:
    """An e-invoice rendered as a readable document (``EInvoiceViewRequestV1``), request/reply with the ocr
    service; in no stream."""
    return f"desk.{normalize_tenant(tenant)}.einvoice-view.v1"


def tms_export(tenant: str) -> str:
    return f"export.{normalize_tenant(tenant)}.tms.v1"


def tms_export_v2(tenant: str) -> str:
    """TMS transfer XML version 2 (``TmsExportV2``, with the document type); in the EXPORT stream."""
    return f"export.{normalize_tenant(tenant)}.tms.v2"


def archived(tenant: str) -> str:
    """What the archive took of an approved invoice revision (``ArchivedV1``); in the EXPORT stream."""
    return f"export.{normalize_tenant(tenant)}.archived.v1"


def datev_export(tenant: str) -> str:
    """What a DATEV run did with an invoice (``DatevResultV1``); in the EXPORT stream."""
    return f"export.{normalize_tenant(tenant)}.datev.v1"


def suppliers(tenant: str) -> str:
    return f"md.{normalize_tenant(tenant)}.suppliers.v1"


def companies(tenant: str) -> str:
    """The tenant's own companies (``CompanyBatchV1``), applied by matching."""
    return f"md.{normalize_tenant(tenant)}.companies.v1"


def accruals(tenant: str) -> str:
    return f"md.{normalize_tenant(tenant)}.accruals.v1"


def accrual_events(tenant: str) -> str:
    """State changes of single accruals from the TMS (``AccrualEventV1``); in the MD stream."""
    return f"md.{normalize_tenant(tenant)}.accrual-events.v1"


def accrual_event_results(tenant: str) -> str:
    """What each TMS accrual event did (``AccrualEventResultV1``); in the MD stream."""
    return f"md.{normalize_tenant(tenant)}.accrual-events.applied.v1"


def accrual_settings(tenant: str) -> str:
    """A tenant's accrual settings (``AccrualSettingsV1``); in the MD stream."""
    return f"md.{normalize_tenant(tenant)}.accrual-settings.v1"


def accrual_export(tenant: str) -> str:
    """Accrual movement data for integrators (``AccrualMovementV1``), one per invoice revision."""
    return f"export.{normalize_tenant(tenant)}.accruals.v1"


def masterdata_applied(tenant: str, kind: str) -> str:
    return f"md.{normalize_tenant(tenant)}.{kind}.applied.v1"


def device_upload(tenant: str, device: str) -> str:
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.upload.v1"


def device_receipt(tenant: str, device: str) -> str:
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.receipt.v1"


def device_chunk(tenant: str, device: str) -> str:
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.chunk.v1"


def device_numbers(tenant: str, device: str) -> str:
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.numbers.v1"


def device_sync(tenant: str, device: str) -> str:
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.sync.v1"


def device_session(tenant: str, device: str) -> str:
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.session.v1"


def device_receipts(tenant: str, device: str) -> str:
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.receipts.v1"


def device_capabilities(tenant: str, device: str) -> str:
    """Which upload contracts central takes (request/reply, ``DeviceCapabilitiesV1``)."""
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.capabilities.v1"


def device_batch(tenant: str, device: str) -> str:
    """Several documents in one message (``DeviceBatchV1`` manifest and their bytes); in the EDGE stream."""
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.batch.v1"


def device_batch_receipt(tenant: str, device: str) -> str:
    """Ingest's answer to one batch (``DeviceBatchReceiptV1``); in the EDGE stream."""
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}.batch-receipt.v1"


def device_prefix(tenant: str, device: str) -> str:
    """Everything below this belongs to one device; its NATS user may publish nowhere else."""
    return f"edge.{normalize_tenant(tenant)}.{_device(device)}"


def device_inbox(tenant: str, device: str) -> str:
    """The device's private inbox prefix for replies (its user may subscribe only there)."""
    return f"_INBOX.{normalize_tenant(tenant)}.{_device(device)}"


def device_id(name: str) -> str:
    """The device id of a slot name: ``KASSE-03`` -> ``kasse-03`` (a subject token)."""
    return _device(name)


# --- recognition control ---------------------------------------------------------------------


def recognition_cancel(tenant: str) -> str:
    """Cancel commands for the ocr service (``RecognitionCancelV1``); in the DOCS stream."""
    return f"docs.{normalize_tenant(tenant)}.recognition-cancel.v1"


ALL_RECOGNITION_CANCELS: Final = "docs.*.recognition-cancel.v1"


def service_inbox(service: str) -> str:
    """A service's own reply-subject prefix; its NATS user may subscribe there and to no other inbox."""
    return f"_INBOX_{service}"


def dlq(service: str) -> str:
    return f"dlq.{service}.v1"


# Wildcard filters the consumers subscribe with (one durable consumer per service and subject).
ALL_INGESTED: Final = "docs.*.ingested.v1"
ALL_RECOGNIZED: Final = "docs.*.recognized.v1"
ALL_MATCHED: Final = "docs.*.matched.v1"
ALL_ACCRUED: Final = "docs.*.accrued.v1"
ALL_DECISIONS: Final = "docs.*.decision.v1"
ALL_REVIEW_COMMANDS: Final = "desk.*.review.v1"
ALL_LEARNING_REQUESTS: Final = "desk.*.learning.v1"
ALL_EINVOICE_VIEW_REQUESTS: Final = "desk.*.einvoice-view.v1"
ALL_DOCS: Final = "docs.*.*.v1"
ALL_TMS_EXPORTS: Final = "export.*.tms.v1"
ALL_TMS_EXPORTS_V2: Final = "export.*.tms.v2"
ALL_ARCHIVED: Final = "export.*.archived.v1"
ALL_DATEV_EXPORTS: Final = "export.*.datev.v1"
ALL_SUPPLIERS: Final = "md.*.suppliers.v1"
ALL_COMPANIES: Final = "md.*.companies.v1"
ALL_ACCRUALS: Final = "md.*.accruals.v1"
ALL_ACCRUAL_EVENTS: Final = "md.*.accrual-events.v1"
ALL_ACCRUAL_SETTINGS: Final = "md.*.accrual-settings.v1"
ALL_ACCRUAL_EXPORTS: Final = "export.*.accruals.v1"
ALL_DEVICE_UPLOADS: Final = "edge.*.*.upload.v1"
ALL_DEVICE_CHUNKS: Final = "edge.*.*.chunk.v1"
ALL_DEVICE_RECEIPTS: Final = "edge.*.*.receipt.v1"
ALL_DEVICE_NUMBERS: Final = "edge.*.*.numbers.v1"
ALL_DEVICE_SYNC: Final = "edge.*.*.sync.v1"
ALL_DEVICE_SESSIONS: Final = "edge.*.*.session.v1"
ALL_DEVICE_RECEIPT_QUERIES: Final = "edge.*.*.receipts.v1"
ALL_DEVICE_CAPABILITIES: Final = "edge.*.*.capabilities.v1"
ALL_DEVICE_BATCHES: Final = "edge.*.*.batch.v1"
ALL_DEVICE_BATCH_RECEIPTS: Final = "edge.*.*.batch-receipt.v1"
ALL_DLQ: Final = "dlq.*.v1"


@dataclass(frozen=True, slots=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    max_age_days: int
    description: str


# EXPORT keeps long so integrators can replay; DLQ keeps long so nothing is forgotten.
STREAMS: Final = (
    # only what must survive: uploads, chunks, batches and receipts; the request/reply subjects stay core NATS
    StreamSpec("EDGE", ("edge.*.*.upload.v1", "edge.*.*.chunk.v1", "edge.*.*.receipt.v1", "edge.*.*.batch.v1",
                        "edge.*.*.batch-receipt.v1"), 30,
               "device uploads, batches and receipts"),
    StreamSpec("DOCS", ("docs.>",), 30, "pipeline events"),
    StreamSpec("MD", ("md.>",), 365, "master data from TMS/ERP"),
    StreamSpec("EXPORT", ("export.>",), 3650, "exports for integrators"),
    StreamSpec("DLQ", ("dlq.>",), 365, "messages services gave up on"),
)

KV_BUCKETS: Final = ("device-config", "device-masterdata")

S3_BUCKETS: Final = ("originals", "work", "exports", "archive")

MSG_ID_HEADER: Final = "Nats-Msg-Id"


def msg_id(document_id: object, event: str, revision: int) -> str:
    """The publish id of a pipeline event: what it is, so a repeated publish is a no-op."""
    return f"{document_id}:{event}:{revision}"
