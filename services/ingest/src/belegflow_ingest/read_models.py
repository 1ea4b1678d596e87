"""What ingest's read routes answer, as the OpenAPI document describes it.

The routes answer from the read model as it is stored; these models name and type what an integrator can rely
on (``extra="allow"``: a field added later is no breaking change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from belegflow_contracts.messages import DeviceState, LearnedLayoutV1, LineTemplateV1, SyncResult
from belegflow_ingest.domain import Status


class _Read(BaseModel):
    model_config = ConfigDict(extra="allow")


class DocumentSummary(_Read):
    """One document of ``GET /v1/documents``."""

    id: UUID
    tenant: str
    filename: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    media_type: str = Field(examples=["application/pdf"])
    source: str = Field(examples=["upload", "inbox", "device", "mail"])
    status: Status
    received_at: datetime
    updated_at: datetime


class ProtocolEntry(_Read):
    """One entry of a document's protocol: which step, when, how sure, what it read and concluded."""

    step: str = Field(examples=["ingest", "ocr", "matching", "accrual", "export", "archive", "datev"])
    at: datetime
    level: str = Field(examples=["info", "warning", "error"])
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


class RecognitionRequest(_Read):
    """A repeat or cancel of the document's recognition: who, why, which revision."""

    revision: int = Field(ge=1)
    action: str = Field(examples=["repeat", "cancel"])
    engine: str | None = None
    reason: str
    requested_by: str
    requested_at: datetime


class DocumentView(_Read):
    """``GET /v1/documents/{id}``: the document's lifecycle, what recognition read, the supplier, the review,
    the accrual assignments, the export and the whole protocol."""

    id: UUID
    tenant: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int = Field(ge=1)
    media_type: str
    filename: str
    source: str
    status: Status
    revision: int = Field(ge=1, description="the current revision; a repeated recognition starts a new one")
    reader: str | None = Field(default=None, description="what read the document (e-invoice, text layer, OCR engine)")
    fields: dict[str, Any] | None = Field(default=None, description="the recognised invoice (``InvoiceV1``)")
    supplier: dict[str, Any] | None = Field(default=None, description="the supplier matching identified")
    assignments: list[Any] | dict[str, Any] | None = Field(default=None, description="accrual assignments per line")
    export: dict[str, Any] | None = Field(default=None, description="what was exported (TMS, archive, DATEV)")
    review: dict[str, Any] | None = Field(default=None, description="the review's state, version and steps")
    capture: dict[str, Any] | None = Field(default=None, description="what a device recorded at capture")
    device: str | None = None
    device_sequence: int | None = None
    bucket: str
    object_key: str
    received_at: datetime
    updated_at: datetime
    protocol: list[ProtocolEntry]
    recognition_requests: list[RecognitionRequest]


class AuditEvent(_Read):
    event: str = Field(examples=["received", "recognised", "corrected", "approved", "exported", "archived"])
    at: datetime
    by: str
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


class AuditTrail(_Read):
    """``GET /v1/documents/{id}/audit``: every change of the document, in order."""

    id: UUID
    tenant: str
    audit: list[AuditEvent]


class LearnedList(_Read):
    """``GET /v1/learning``."""

    layouts: list[LearnedLayoutV1]
    templates: list[LineTemplateV1]


class Forgotten(_Read):
    """What a ``DELETE /v1/learning…`` forgot."""

    forgotten: list[LearnedLayoutV1]


class RepeatedDocument(_Read):
    id: UUID
    revision: int = Field(ge=1)


class SkippedDocument(_Read):
    id: UUID
    why: str


class RepeatedAfterLearning(_Read):
    """``POST /v1/learning/repeat``: the documents recognised again, and the ones skipped with why."""

    repeated: list[RepeatedDocument]
    skipped: list[SkippedDocument]


class ImportedTemplates(_Read):
    imported: list[LineTemplateV1]


class DeviceSlot(_Read):
    """A device slot of the tenant: its state, pairing, last contact and last sync."""

    device: str
    name: str
    state: DeviceState
    hostname: str | None = None
    agent_version: str | None = None
    released_at: datetime
    paired_at: datetime | None = None
    revoked_at: datetime | None = None
    last_contact: datetime | None = None
    backlog: int | None = Field(default=None, description="documents the device last reported as not yet synced")
    last_sync_id: str | None = None
    last_sync_at: datetime | None = None
    last_sync_ended_at: datetime | None = None
    last_sync_result: SyncResult | None = None
    code_expires_at: datetime | None = Field(default=None, description="when the waiting pairing code expires")


class NumberRange(_Read):
    series: str
    first: int
    last: int


class DeviceDetail(DeviceSlot):
    """``GET /v1/devices/{device}``: the slot, its recent sync sessions (newest first) and its number blocks."""

    sessions: list[dict[str, Any]] = Field(description="the sync sessions as the device reported them "
                                                       "(``SyncSessionV1``)")
    blocks: list[NumberRange]


class Revoked(_Read):
    tenant: str
    device: str
    state: DeviceState
    connections_closed: int = Field(ge=0)
    detail: str


class Health(_Read):
    status: str = Field(examples=["ok"])


class Liveness(Health):
    service: str


class Readiness(_Read):
    status: str = Field(examples=["ready", "not ready"])
    service: str
    checks: dict[str, str]

