"""Version 1 of every message that travels between belegflow services.

A breaking change is a new ``…V2`` model beside the old one, on a new subject version; never an edit
in place. JSON Schema and AsyncAPI documents are generated from these models and checked in.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field

from belegflow_contracts.types import Contract, Iban, Money, ObjectRef, Tenant, VatId

BBox = Annotated[
    tuple[float, float, float, float],
    Field(description="x0, y0, x1, y1 in PDF points from the page's top-left corner"),
]


class MediaType(StrEnum):
    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"
    XML = "application/xml"


class Source(StrEnum):
    UPLOAD = "upload"
    INBOX = "inbox"
    DEVICE = "device"


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ProtocolEntryV1(Contract):
    """One line of a document's protocol: what a step read, concluded, why, and how sure it is."""

    step: str = Field(description="service/step that wrote the entry", examples=["ocr"])
    at: datetime
    level: Level = Level.INFO
    message: str = Field(examples=["reader: pdf-text (born-digital, 1834 chars) - OCR skipped"])
    data: dict[str, str] = Field(default_factory=dict, description="raw values behind the message")


class DocumentEventV1(Contract):
    """Fields every pipeline event carries."""

    document_id: UUID
    tenant: Tenant
    revision: int = Field(ge=1, description="invoice revision; a repeated recognition starts a new one")
    original: ObjectRef
    protocol: list[ProtocolEntryV1] = Field(default_factory=list, description="this step's protocol section")


class IngestedV1(DocumentEventV1):
    """``docs.<tenant>.ingested.v1``: a new original is stored and recorded."""

    source: Source
    filename: str
    media_type: MediaType
    received_at: datetime


# --- recognition -----------------------------------------------------------------------------


class _FieldBase(Contract):
    confidence: float = Field(ge=0.0, le=1.0)
    page: int | None = Field(default=None, ge=1, description="1-based page the value was read on")
    bbox: BBox | None = None


class TextFieldV1(_FieldBase):
    value: str


class DateFieldV1(_FieldBase):
    value: date


class AmountFieldV1(_FieldBase):
    value: Money


class InvoiceFieldsV1(Contract):
    """The fields recognition read; a field not found is ``None``. Names are stable (see ``extract``)."""

    invoice_number: TextFieldV1 | None = None
    invoice_date: DateFieldV1 | None = None
    due_date: DateFieldV1 | None = None
    currency: TextFieldV1 | None = None
    net_amount: AmountFieldV1 | None = None
    tax_amount: AmountFieldV1 | None = None
    gross_amount: AmountFieldV1 | None = None
    supplier_name: TextFieldV1 | None = None
    supplier_street: TextFieldV1 | None = None
    supplier_postal_code: TextFieldV1 | None = None
    supplier_city: TextFieldV1 | None = None
    supplier_iban: TextFieldV1 | None = None
    supplier_vat_id: TextFieldV1 | None = None
    recipient_name: TextFieldV1 | None = None


class InvoiceLineV1(Contract):
    position: int = Field(ge=1)
    description: str
    quantity: Money | None = None
    unit_price: Money | None = None
    net_amount: Money | None = None
    reference_text: str = Field(default="", description="raw text of the line that may hold references")
    page: int | None = Field(default=None, ge=1)
    bbox: BBox | None = None


class RecognizedV1(DocumentEventV1):
    """``docs.<tenant>.recognized.v1``: fields and lines read from the original."""

    reader: str = Field(examples=["pdf-text"])
    fields: InvoiceFieldsV1
    lines: list[InvoiceLineV1] = Field(default_factory=list)
    work_product: ObjectRef = Field(description="full recognition output (words, candidates) in S3")


# --- matching --------------------------------------------------------------------------------


class MatchKey(StrEnum):
    IBAN = "iban"
    VAT_ID = "vat_id"
    NAME = "name"


class Decision(StrEnum):
    TOUCHLESS = "touchless"
    REVIEW = "review"


class SupplierMatchV1(Contract):
    supplier_number: str = Field(description="creditor number in master data", examples=["70001"])
    name: str
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    vat_id: str | None = None
    iban: str | None = None
    gl_account: str | None = None
    cost_center: str | None = None
    tax_key: str | None = None
    matched_by: MatchKey
    confidence: float = Field(ge=0.0, le=1.0)


class InvoiceV1(Contract):
    """The invoice as the pipeline believes it after recognition (values only)."""

    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str = "EUR"
    net_amount: Money | None = None
    tax_amount: Money | None = None
    gross_amount: Money | None = None
    supplier_name: str | None = None
    supplier_iban: str | None = None
    supplier_vat_id: str | None = None
    recipient_name: str | None = None
    lines: list[InvoiceLineV1] = Field(default_factory=list)


class MatchedV1(DocumentEventV1):
    """``docs.<tenant>.matched.v1``: supplier identified from master data (or not), decision taken."""

    invoice: InvoiceV1
    supplier: SupplierMatchV1 | None
    decision: Decision
    reasons: list[str] = Field(default_factory=list)


# --- accruals --------------------------------------------------------------------------------

NO_ACCRUAL = "XXX"


class LineAssignmentV1(Contract):
    position: int = Field(ge=1, description="invoice line position")
    reference: str | None = Field(description="reference found on the line, if any")
    accrual_number: str = Field(description=f"assigned accrual, or {NO_ACCRUAL!r} when none")
    amount: Money | None = None


class AccruedV1(DocumentEventV1):
    """``docs.<tenant>.accrued.v1``: accruals assigned line by line."""

    invoice: InvoiceV1
    supplier: SupplierMatchV1 | None
    decision: Decision
    assignments: list[LineAssignmentV1]
    send_accruals: bool = Field(description="whether accrual numbers go to the TMS")


# --- export ----------------------------------------------------------------------------------


class TmsExportV1(Contract):
    """``export.<tenant>.tms.v1``: the TMS transfer XML of one invoice revision (published once)."""

    # the XML travels byte for byte, trailing newline included
    model_config = ConfigDict(str_strip_whitespace=False)

    document_id: UUID
    tenant: Tenant
    revision: int = Field(ge=1)
    invoice_number: str | None
    supplier_number: str | None
    xml: str = Field(description="TMS transfer XML, valid against tms-transfer-v1.xsd")
    xml_ref: ObjectRef
    exported_at: datetime
    protocol: list[ProtocolEntryV1] = Field(default_factory=list)


# --- master data -----------------------------------------------------------------------------


class SupplierV1(Contract):
    supplier_number: str = Field(min_length=1, max_length=32, examples=["70001"])
    name: str = Field(min_length=1)
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)
    ibans: list[Iban] = Field(default_factory=list)
    vat_id: VatId | None = None
    gl_account: str | None = None
    cost_center: str | None = None
    tax_key: str | None = None
    amount_tolerance: Money = Field(default=Money(0), ge=0, description="accrual amount tolerance")


class AccrualStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class AccrualV1(Contract):
    accrual_number: str = Field(min_length=1, max_length=32)
    supplier_number: str = Field(min_length=1, max_length=32, description="creditor the accrual is for")
    reference: str = Field(min_length=1, description="position/file number, MAWB, B/L, container ...")
    amount: Money
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    status: AccrualStatus = AccrualStatus.OPEN


class SupplierBatchV1(Contract):
    """``md.<tenant>.suppliers.v1``: suppliers to upsert; applied all or nothing."""

    batch_id: UUID
    tenant: Tenant
    source: str = Field(description="file name or system the batch came from")
    records: list[SupplierV1]


class AccrualBatchV1(Contract):
    """``md.<tenant>.accruals.v1``: accruals to upsert; applied all or nothing."""

    batch_id: UUID
    tenant: Tenant
    source: str
    records: list[AccrualV1]


class MasterDataAppliedV1(Contract):
    """``md.<tenant>.<kind>.applied.v1``: a batch was applied (or refused) by its owner."""

    batch_id: UUID
    tenant: Tenant
    kind: Literal["suppliers", "accruals"]
    applied: int = Field(ge=0)
    error: str | None = None


# --- dead letters ----------------------------------------------------------------------------


class DeadLetterV1(Contract):
    """``dlq.<service>.v1``: a message a service gave up on, with the reason; re-drivable."""

    service: str
    subject: str
    reason: str
    error_type: str
    deliveries: int = Field(ge=0)
    payload: str = Field(description="original payload, base64")
    headers: dict[str, str] = Field(default_factory=dict)
    document_id: str | None = None
    tenant: str | None = None
    at: datetime


# --- devices ---------------------------------------------------------------------------------


class ReceiptStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class DeviceReceiptV1(Contract):
    """``edge.<tenant>.<device>.receipt.v1``: ingest's answer to one device upload."""

    tenant: Tenant
    device: str
    sequence: int = Field(ge=0, description="the device's sequence number of the document")
    sha256: str
    status: ReceiptStatus
    document_id: UUID | None = None
    reason: str | None = None
