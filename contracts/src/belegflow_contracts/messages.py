"""Version 1 of every message that travels between belegflow services.

A breaking change is a new ``…V2`` model beside the old one, on a new subject version; never an edit
in place. JSON Schema and AsyncAPI documents are generated from these models and checked in.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from belegflow_contracts.types import Contract, Iban, Money, ObjectRef, ReadText, Tenant, VatId

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
    EMAIL = "email"


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
    ocr_engine: str | None = Field(
        default=None,
        description="OCR engine asked for when a recognition is repeated (one of OCR_ENGINES); "
        "None lets ocr choose. Added in a backward-compatible way: older producers omit it.",
        examples=["tesseract"],
    )


# --- recognition -----------------------------------------------------------------------------


class _FieldBase(Contract):
    confidence: float = Field(ge=0.0, le=1.0)
    page: int | None = Field(default=None, ge=1, description="1-based page the value was read on")
    bbox: BBox | None = None


class TextFieldV1(_FieldBase):
    value: ReadText


class DateFieldV1(_FieldBase):
    value: date


class AmountFieldV1(_FieldBase):
    value: Money


DOCUMENT_TYPES = ("invoice", "credit_note", "correction", "receipt")
"""Values of ``InvoiceFieldsV1.document_type``: what the document says it is (EN 16931 BT-3 in words)."""


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
    document_type: TextFieldV1 | None = Field(
        default=None,
        description="invoice, credit_note, correction or receipt (one of DOCUMENT_TYPES). A credit note's amounts "
        "are positive as printed, as in EN 16931. Added in a backward-compatible way: older producers omit it.",
        examples=[{"value": "credit_note", "confidence": 0.95}],
    )
    # Added in a backward-compatible way (older producers omit them): references the invoice states in its
    # header, and the parties' further identifiers. Named after the EN 16931 business terms they hold.
    order_reference: TextFieldV1 | None = Field(
        default=None, description="the buyer's purchase order number (BT-13): 'Bestellnummer', 'PO Number', "
        "'N° de commande'", examples=[{"value": "4500012345", "confidence": 0.9}],
    )
    sales_order_reference: TextFieldV1 | None = Field(
        default=None, description="the seller's order or job number (BT-14): 'Auftragsnummer', 'Sales order'",
    )
    buyer_reference: TextFieldV1 | None = Field(
        default=None, description="the reference the buyer gave (BT-10): 'Ihr Zeichen', 'Your reference', "
        "'Leitweg-ID'",
    )
    shipment_reference: TextFieldV1 | None = Field(
        default=None, description="the shipment the invoice is for, as the header names it: 'Sendungsnummer', "
        "'Consignment', 'AWB', 'B/L', 'Booking'",
    )
    recipient_vat_id: TextFieldV1 | None = Field(
        default=None, description="the buyer's VAT ID (BT-48), never taken as the supplier's",
    )
    supplier_tax_number: TextFieldV1 | None = Field(
        default=None, description="the supplier's tax registration other than an EU VAT ID (BT-32): "
        "'Steuernummer', GST, SST, ABN, GSTIN", examples=[{"value": "000899874816", "confidence": 0.9}],
    )
    supplier_registration_id: TextFieldV1 | None = Field(
        default=None, description="the supplier's company registration number (BT-30): 'CO. REG. NO', "
        "'(123456-X)' under a shop's name, 'HRB 12345'", examples=[{"value": "306295-X", "confidence": 0.85}],
    )


class InvoiceLineV1(Contract):
    position: int = Field(ge=1)
    description: ReadText
    quantity: Money | None = None
    unit_price: Money | None = None
    net_amount: Money | None = None
    reference_text: ReadText = Field(default="", description="raw text of the line that may hold references")
    page: int | None = Field(default=None, ge=1)
    bbox: BBox | None = None


class DocumentReferenceV1(Contract):
    """A reference the invoice states for itself as a whole, in its header (not on a line)."""

    term: str = Field(min_length=1, max_length=64, examples=["BT-13"],
                      description="where it was read: the business term (BT-13 purchase order, BT-18 object "
                      "identifier) or the label printed beside it")
    value: str = Field(min_length=1, max_length=200, examples=["4500012345"])


class EInvoiceVerdict(StrEnum):
    """What the official validation procedure (KoSIT validator configuration) concludes on an e-invoice XML."""

    VALID = "valid"
    VALID_WITH_WARNINGS = "valid_with_warnings"
    """Accepted: no error-level rule failed, but warnings (or information) did."""
    INVALID = "invalid"
    """Rejected: not well-formed, no scenario for its specification identifier, the XML Schema or an
    error-level rule failed."""


class RuleLevel(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"


class FailedRuleV1(Contract):
    """One rule an e-invoice failed: a Schematron assertion (or the XML Schema, or the scenario match)."""

    rule: str = Field(max_length=200, description="the rule id as the rule set names it; 'XSD' for the XML "
                      "Schema, 'SCENARIO' when no validation scenario matches", examples=["BR-DE-15"])
    step: Literal["scenario", "xsd", "en16931", "xrechnung"] = Field(
        description="where it failed: scenario match, XML Schema, EN 16931 rules, XRechnung CIUS rules")
    flag: str = Field(default="", max_length=40, description="the rule's own flag in the Schematron "
                      "(fatal, warning, information); empty for the XML Schema", examples=["fatal"])
    level: RuleLevel = Field(description="the level after the scenario's overrides; error means invalid")
    message: str = Field(max_length=2000, examples=["Das Element \"Buyer reference\" (BT-10) muss übermittelt "
                                                     "werden."])
    location: str = Field(default="", max_length=1000, description="XPath of the element (Schematron) or "
                          "line:column (XML Schema)", examples=["/*:Invoice[1]"])


class PictureDifferenceV1(Contract):
    """A field where the visible page of a hybrid PDF says something other than its embedded XML."""

    field: str = Field(examples=["gross_amount"], description="the field's name in InvoiceFieldsV1")
    xml: str = Field(description="what the embedded XML says", examples=["119.00"])
    page_value: str = Field(description="what the page's text layer says", examples=["191.00"])
    page: int | None = Field(default=None, ge=1, description="the page it was read on")


class EInvoiceCheckV1(Contract):
    """The e-invoice checked like the official validator, and (for a hybrid PDF) its picture against its XML."""

    verdict: EInvoiceVerdict
    scenario: str | None = Field(description="the validation scenario applied; None when none matched",
                                 examples=["EN16931 XRechnung (CII)"])
    specification: str | None = Field(default=None, description="the specification identifier the XML names "
                                      "(BT-24)", examples=["urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:"
                                                           "kosit:xrechnung_3.0"])
    rules: str = Field(description="the rule sets and their versions",
                       examples=["Validator Configuration XRechnung 3.0.2 (2026-02-04): EN 16931 1.3.15, XRechnung "
                                 "Schematron 2.5.0"])
    failed: list[FailedRuleV1] = Field(default_factory=list, description="failed rules, errors first (at most "
                                       "200; see failed_total)")
    failed_total: int = Field(default=0, ge=0, description="how many rules failed in all")
    picture_checked: bool = Field(default=False, description="a hybrid PDF whose page text was compared")
    picture_differences: list[PictureDifferenceV1] = Field(default_factory=list)


class RecognizedV1(DocumentEventV1):
    """``docs.<tenant>.recognized.v1``: fields and lines read from the original."""

    reader: str = Field(examples=["pdf-text"])
    fields: InvoiceFieldsV1
    lines: list[InvoiceLineV1] = Field(default_factory=list)
    references: list[DocumentReferenceV1] = Field(
        default_factory=list, description="the invoice's header references (added in a backward-compatible way)"
    )
    work_product: ObjectRef = Field(description="full recognition output (words, candidates) in S3")
    manual: bool = Field(
        default=False,
        description="true when the fields must be captured by hand (the recognition was cancelled); "
        "the fields hold only what was found before that, and matching never decides touchless",
    )
    manual_reason: str | None = Field(
        default=None, description="why manual capture is needed", examples=["recognition cancelled: wrong engine"]
    )
    einvoice: EInvoiceCheckV1 | None = Field(
        default=None, description="an e-invoice's validation verdict and failed rules, and for a hybrid PDF its "
        "picture against its XML; None for other documents (added in a backward-compatible way)",
    )


class EInvoiceViewRequestV1(Contract):
    """``desk.<tenant>.einvoice-view.v1``: the e-invoice of a document as the official XRechnung visualisation.

    ocr reads the original (the XML, or the XML embedded in a hybrid PDF) and answers ``EInvoiceViewReplyV1``.
    """

    tenant: Tenant
    document_id: UUID
    original: ObjectRef = Field(description="the document's original; its key must be the tenant's")
    language: Literal["de", "en"] = Field(default="de", description="the visualisation's language")


class EInvoiceViewReplyV1(Contract):
    ok: bool
    code: str | None = Field(default=None, examples=["not-an-einvoice", "no-viewer", "too-large", "invalid"])
    detail: str | None = None
    html: str | None = Field(default=None, description="the visualisation: one HTML page, styles and scripts "
                             "inline, nothing loaded from elsewhere")


# --- recognition control: cancel and repeat ----------------------------------------------------

OCR_ENGINES: tuple[str, ...] = ("ppocr-onnx", "tesseract", "paddle")
"""OCR engines a repeated recognition may ask for (``IngestedV1.ocr_engine``)."""


class RecognitionCancelV1(Contract):
    """``docs.<tenant>.recognition-cancel.v1``: stop the recognition of one document revision.

    ocr stops it when running (or skips it when not started yet) and publishes ``RecognizedV1`` with
    ``manual=True`` and what was found so far; matching then sends the document to review.
    """

    document_id: UUID
    tenant: Tenant
    revision: int = Field(ge=1, description="the revision whose recognition is cancelled")
    reason: str = Field(min_length=1, max_length=500, examples=["scan is unreadable, captured by hand"])
    requested_by: str = Field(min_length=1, max_length=200, examples=["clerk:mmeyer"])
    requested_at: datetime


# --- matching --------------------------------------------------------------------------------


class MatchKey(StrEnum):
    IBAN = "iban"
    VAT_ID = "vat_id"
    NAME = "name"
    CHOSEN = "chosen"
    """A person chose the supplier in review."""


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


class DocumentType(StrEnum):
    """What the document is to the booking: the TMS transfer (version 2) carries it."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    CORRECTION = "correction"
    RECEIPT = "receipt"
    """A till receipt: not booked as an invoice unless the tenant says so."""


# UNTDID 1001 document type codes (EN 16931 BT-3) that are not plain invoices
CREDIT_NOTE_TYPE_CODES: frozenset[str] = frozenset(
    {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
)
CORRECTION_TYPE_CODES: frozenset[str] = frozenset({"384"})


def document_type_of(type_code: str | None) -> DocumentType:
    """The document type of an UNTDID 1001 type code (``380`` invoice, ``381`` credit note, ``384`` correction)."""
    code = (type_code or "").strip()
    if code in CREDIT_NOTE_TYPE_CODES:
        return DocumentType.CREDIT_NOTE
    if code in CORRECTION_TYPE_CODES:
        return DocumentType.CORRECTION
    return DocumentType.INVOICE


class InvoiceV1(Contract):
    """The invoice as the pipeline believes it after recognition (values only)."""

    document_type: DocumentType = Field(
        default=DocumentType.INVOICE,
        description="invoice, credit note or correction (from the e-invoice type code, or set in review). "
        "Added in a backward-compatible way: older producers omit it.",
    )
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
    recipient_company: str | None = Field(
        default=None, description="company number of the tenant's legal entity the invoice is addressed to "
        "(company master data). Added in a backward-compatible way: older producers omit it.",
    )
    lines: list[InvoiceLineV1] = Field(default_factory=list)
    references: list[DocumentReferenceV1] = Field(
        default_factory=list, description="the invoice's header references (added in a backward-compatible way)"
    )


class MatchedV1(DocumentEventV1):
    """``docs.<tenant>.matched.v1``: supplier identified from master data (or not), decision taken."""

    invoice: InvoiceV1
    supplier: SupplierMatchV1 | None
    decision: Decision
    reasons: list[str] = Field(default_factory=list)


# --- review: the decision on one revision, which matching owns and a person may take ----------


class ReviewState(StrEnum):
    """Where the decision on one invoice revision stands. Only ``approved`` revisions are exported."""

    REVIEW = "review"
    """Waiting for a person: approve, reject, correct, choose the supplier."""
    APPROVED = "approved"
    """Approved automatically (touchless, within the tenant's threshold and amount limit) or by a person."""
    REJECTED = "rejected"
    """Rejected by a person, with a reason; never exported."""


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CORRECT = "correct"
    CHOOSE_SUPPLIER = "choose_supplier"


class CorrectionV1(Contract):
    """Values a person corrects; a field left out (``None``) keeps its value.

    GL account, cost centre and tax key are the booking's (they change the chosen supplier's defaults for this
    invoice only); the recipient company is one of the tenant's companies.
    """

    document_type: DocumentType | None = None
    invoice_number: str | None = Field(default=None, min_length=1, max_length=64, examples=["RE-24-08133"])
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", examples=["EUR"])
    net_amount: Money | None = None
    tax_amount: Money | None = None
    gross_amount: Money | None = None
    recipient_company: str | None = Field(default=None, min_length=1, max_length=32)
    gl_account: str | None = Field(default=None, min_length=1, max_length=32)
    cost_center: str | None = Field(default=None, min_length=1, max_length=32)
    tax_key: str | None = Field(default=None, min_length=1, max_length=16)
    lines: list[InvoiceLineV1] | None = Field(
        default=None, max_length=500, description="the whole line table as the person corrected it (positions, "
        "descriptions, amounts and each line's references), replacing the read one. Added in a backward-compatible "
        "way: older producers omit it.")


class ReviewCommandV1(Contract):
    """``desk.<tenant>.review.v1`` (request/reply, answered with ``ReviewReplyV1``): a person's step on the
    current revision of a document in review. Matching applies it, or refuses it with a code."""

    document_id: UUID
    tenant: Tenant
    action: ReviewAction
    expected_version: int = Field(ge=1, description="the review version the person saw; a stale one is refused")
    by: str = Field(min_length=1, max_length=200, examples=["clerk:anna"])
    reason: str = Field(default="", max_length=500, description="why; required to reject")
    correction: CorrectionV1 | None = Field(default=None, description="action correct: the new values")
    supplier_number: str | None = Field(default=None, min_length=1, max_length=32,
                                        description="action choose_supplier: the supplier from master data")
    at: datetime


class ReviewReplyV1(Contract):
    """Matching's answer to a ``ReviewCommandV1``: done (the new state and version) or refused (code, detail)."""

    ok: bool
    code: str | None = Field(default=None, examples=["stale-version", "not-in-review", "invalid", "not-found"])
    detail: str | None = None
    field: str | None = Field(default=None, description="the field a refused correction names")
    state: ReviewState | None = None
    version: int | None = None
    revision: int | None = None


class ChangeV1(Contract):
    """One value a person changed: the audit trail's old and new value."""

    field: str
    old: str | None
    new: str | None


class DecisionV1(DocumentEventV1):
    """``docs.<tenant>.decision.v1``: the decision on one revision as it stands after each step.

    Matching publishes one when it sends a revision to review or approves it automatically, and one for
    every step a person takes (``version`` grows with each). Export exports a revision only once an
    ``approved`` one has arrived; the read model shows the state, who, when and what changed.
    """

    state: ReviewState
    version: int = Field(ge=1, description="grows with every step; a person's step names the version it saw")
    action: str = Field(description="what led to this state", examples=["touchless", "review", "approve"])
    by: str = Field(description="who took the step", examples=["matching", "clerk:anna"])
    at: datetime
    reason: str = Field(default="", description="why the person took the step")
    reasons: list[str] = Field(default_factory=list, description="why the revision needs (or needed) review")
    changes: list[ChangeV1] = Field(default_factory=list, description="values changed by this step")
    invoice: InvoiceV1
    supplier: SupplierMatchV1 | None
    duplicate_of: UUID | None = Field(default=None, description="the document this one seems to repeat")


# --- learning: what the ocr service learned from clerks' corrections ---------------------------


class LearnedFieldV1(Contract):
    """One field of a supplier's layout as recognition learned to read it."""

    field: str = Field(examples=["invoice_number"])
    anchor: str = Field(description="the label text the value is found by (compared in lower case)",
                        examples=["belegkennung"])
    relation: Literal["same", "right", "below"] = Field(description="where the value stands from its label")
    kind: Literal["text", "date", "amount"]
    learned_from: UUID = Field(description="the document whose approval taught it")
    by: str = Field(description="who corrected (or, where nothing was corrected, approved) the value")
    at: datetime
    corrected: bool = Field(description="true: the clerk corrected the value; false: confirmed what was read")
    uses: int = Field(ge=0, description="documents read with it since")
    failures: int = Field(ge=0, description="documents where it found nothing or its value failed the checks")
    demoted: bool = Field(description="its value failed the sums or dates: not used until taught again")
    demoted_why: str = ""


class LearnedLayoutV1(Contract):
    """One layout of one supplier of one tenant, as recognition learned it."""

    layout_id: int = Field(ge=1)
    tenant: Tenant
    supplier_number: str
    supplier_name: str
    fingerprint: str = Field(description="hash of the words the layout prints", examples=["3f2a9c0d17be"])
    fields: list[LearnedFieldV1]
    created_at: datetime
    updated_at: datetime


LINE_COLUMNS = ("position", "description", "quantity", "unit_price", "net_amount", "reference")


class LineColumnV1(Contract):
    """One column of a creditor's invoice table: what it holds and where it stands."""

    name: Literal["position", "description", "quantity", "unit_price", "net_amount", "reference"]
    x0: float = Field(ge=0, le=2000, description="left edge, points from the page's left edge")
    x1: float = Field(ge=0, le=2000, description="right edge, points from the page's left edge")

    @field_validator("x1")
    @classmethod
    def _wide(cls, x1: float, info: ValidationInfo) -> float:
        x0 = info.data.get("x0")
        if x0 is not None and x1 <= x0:
            raise ValueError(f"x1 ({x1}) must be right of x0 ({x0})")
        return x1


class LineTemplateV1(Contract):
    """A creditor's line template: how its collective invoices list their items (file format
    ``belegflow-line-template``, version 1; ``belegflow learning template import|export``).

    Items are the rows between the row holding ``table_start`` and the first row starting with one of
    ``table_end``. Each word belongs to the column its centre lies in. A row with a value in the ``new_item``
    column starts an item; the rows under it without one continue it (multi-line items), so every reference
    printed on any of its rows stays with the item for the accrual service.
    """

    format: Literal["belegflow-line-template"] = Field(description="what this file is")
    version: Literal[1] = Field(description="the format's version")
    supplier_number: str = Field(min_length=1, max_length=32, description="creditor number in master data")
    supplier_keys: list[str] = Field(
        min_length=1, max_length=10, description="the creditor's IBANs or VAT IDs as its documents print them; a "
        "document printing one of them is read with this template", examples=[["DE44370501980022334455"]])
    table_start: str = Field(min_length=1, max_length=200, description="text of a cell in the column header row",
                             examples=["Sendung"])
    table_end: list[str] = Field(min_length=1, max_length=10, description="texts a row after the items starts "
                                 "with (the totals)", examples=[["Zwischensumme", "Netto"]])
    columns: list[LineColumnV1] = Field(min_length=2, max_length=10)
    new_item: Literal["position", "net_amount"] = Field(default="net_amount",
                                                        description="the column whose value starts a new item")

    @field_validator("columns")
    @classmethod
    def _columns(cls, columns: list[LineColumnV1]) -> list[LineColumnV1]:
        names = [c.name for c in columns]
        doubled = sorted({n for n in names if names.count(n) > 1 and n != "reference"})
        if doubled:
            raise ValueError(f"column {doubled[0]} is named twice")
        if "net_amount" not in names:
            raise ValueError("a net_amount column is required")
        ordered = sorted(columns, key=lambda c: c.x0)
        for left, right in pairwise(ordered):
            if right.x0 < left.x1:
                raise ValueError(f"columns {left.name} ({left.x0}-{left.x1}) and {right.name} "
                                 f"({right.x0}-{right.x1}) overlap")
        return columns

    @field_validator("supplier_keys")
    @classmethod
    def _keys(cls, keys: list[str]) -> list[str]:
        cleaned = [re.sub(r"\s+", "", k).upper() for k in keys]
        bad = [k for k in cleaned if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{4,32}", k)]
        if bad:
            raise ValueError(f"{bad[0]!r} is no IBAN or VAT ID")
        return cleaned


class LearningAction(StrEnum):
    LIST = "list"
    FORGET = "forget"
    IMPORT_TEMPLATE = "import-template"
    EXPORT_TEMPLATE = "export-template"


class LearningRequestV1(Contract):
    """``desk.<tenant>.learning.v1`` (request/reply with the ocr service, answered with ``LearningReplyV1``):
    list what recognition learned for a tenant, forget a layout (or all layouts of a supplier), import or export
    a creditor's line template."""

    tenant: Tenant
    action: LearningAction
    supplier_number: str | None = Field(default=None, min_length=1, max_length=32,
                                        description="only this supplier's layouts")
    layout_id: int | None = Field(default=None, ge=1, description="forget: this layout")
    template: LineTemplateV1 | None = Field(default=None, description="import-template: the template")
    by: str = Field(min_length=1, max_length=200, examples=["clerk:anna"])
    at: datetime


class LearningReplyV1(Contract):
    """The ocr service's answer: the layouts (listed, or forgotten), the line templates (imported, exported), or a
    refusal with a code."""

    ok: bool
    code: str | None = Field(default=None, examples=["invalid", "not-found"])
    detail: str | None = None
    layouts: list[LearnedLayoutV1] = Field(default_factory=list)
    templates: list[LineTemplateV1] = Field(default_factory=list)


# --- accruals --------------------------------------------------------------------------------

NO_ACCRUAL = "XXX"


class LineAssignmentV1(Contract):
    position: int = Field(ge=1, description="invoice line position")
    reference: str | None = Field(description="reference found on the line, if any")
    accrual_number: str = Field(description=f"assigned accrual, or {NO_ACCRUAL!r} when none")
    amount: Money | None = None
    reason: str | None = Field(
        default=None, description=f"why the line got {NO_ACCRUAL!r} (added in a backward-compatible way)",
        examples=["line amount 811.77 EUR is outside the tolerance of accrual AC-1 (99999.99 EUR, allowed 5.00)"],
    )


class AccruedV1(DocumentEventV1):
    """``docs.<tenant>.accrued.v1``: accruals assigned line by line."""

    invoice: InvoiceV1
    supplier: SupplierMatchV1 | None
    decision: Decision
    assignments: list[LineAssignmentV1]
    send_accruals: bool = Field(description="whether accrual numbers go to the TMS")
    reasons: list[str] = Field(
        default_factory=list,
        description="why accrual assignment sent the invoice to review (added in a backward-compatible way)",
    )


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


class TmsExportV2(Contract):
    """``export.<tenant>.tms.v2``: the TMS transfer XML (version 2, with the document type) of one approved
    invoice revision, published once; beside version 1 on ``export.<tenant>.tms.v1``."""

    model_config = ConfigDict(str_strip_whitespace=False)

    document_id: UUID
    tenant: Tenant
    revision: int = Field(ge=1)
    document_type: DocumentType
    invoice_number: str | None
    supplier_number: str | None
    xml: str = Field(description="TMS transfer XML, valid against tms-transfer-v2.xsd")
    xml_ref: ObjectRef
    exported_at: datetime
    protocol: list[ProtocolEntryV1] = Field(default_factory=list)


# --- the books: DATEV and the archive -----------------------------------------------------------


class ArchiveEntryV1(Contract):
    """One entry of a tenant's hash-chained archive index: what was archived, where, and its place in the chain."""

    seq: int = Field(ge=1, description="position in the tenant's chain")
    kind: str = Field(examples=["original", "fields", "protocol", "tms-transfer", "datev-batch"])
    event: str = Field(description="what caused the archiving", examples=["approved", "exported", "datev-export"])
    by: str = Field(examples=["user:anna"])
    at: datetime
    key: str = Field(description="content-addressed key in the archive bucket")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    prev: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the previous index entry")
    entry_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of this index entry")
    retain_until: datetime = Field(description="object lock (COMPLIANCE) until then")


class ArchivedV1(Contract):
    """``export.<tenant>.archived.v1``: what the archive took of an approved invoice revision, once per revision."""

    document_id: UUID
    tenant: Tenant
    revision: int = Field(ge=1)
    entries: list[ArchiveEntryV1] = Field(min_length=1)
    protocol: list[ProtocolEntryV1] = Field(default_factory=list)


class DatevResultV1(Contract):
    """``export.<tenant>.datev.v1``: what a DATEV run did with an invoice: booked in a batch (again, when a person
    asked for a re-export), or left out with the reasons (no GL account, a number DATEV cannot take)."""

    document_id: UUID
    tenant: Tenant
    revision: int = Field(ge=1)
    batch_id: UUID
    period: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])
    invoice_number: str | None
    booked: bool
    bookings: int = Field(ge=0, description="one booking per tax rate; 0 when left out")
    reasons: list[str] = Field(default_factory=list, description="why it was left out")
    reexport: bool = Field(default=False, description="a re-export a person asked for")
    reason: str | None = Field(default=None, description="why the re-export")
    by: str
    at: datetime
    protocol: list[ProtocolEntryV1] = Field(default_factory=list)


# --- master data -----------------------------------------------------------------------------


class ServiceToleranceV1(Contract):
    """A creditor's accrual tolerance for one service type (absolute and/or percent; the smaller applies)."""

    service_type: str = Field(min_length=1, max_length=32, examples=["air"])
    amount_tolerance: Money | None = Field(default=None, ge=0)
    amount_tolerance_percent: Money | None = Field(default=None, ge=0, le=100)


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
    amount_tolerance: Money = Field(default=Money(0), ge=0, description="accrual amount tolerance (absolute)")
    amount_tolerance_percent: Money | None = Field(
        default=None, ge=0, le=100,
        description="accrual amount tolerance in percent of the accrual amount; with an absolute tolerance "
        "above zero as well, the smaller of the two applies",
    )
    service_tolerances: list[ServiceToleranceV1] = Field(
        default_factory=list, description="tolerances for accruals of one service type, in place of the above"
    )


class AccrualStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class AccrualV1(Contract):
    accrual_number: str = Field(min_length=1, max_length=32)
    supplier_number: str = Field(min_length=1, max_length=32, description="creditor the accrual is for")
    reference: str = Field(min_length=1, description="position/file number, MAWB, B/L, container ...")
    amount: Money = Field(gt=0, description="expected cost; an accrual of nothing or less is refused")
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    status: AccrualStatus = AccrualStatus.OPEN
    service_type: str | None = Field(default=None, max_length=32, description="air, sea, road, customs ...")
    rates: dict[str, Money] = Field(
        default_factory=dict,
        description="exchange rates the TMS supplies: one unit of the key currency is this many units of "
        "the accrual's currency; an invoice in another currency is compared through them",
        examples=[{"USD": "0.92"}],
    )


class CompanyV1(Contract):
    """One of the tenant's own companies (legal entities) that invoices are addressed to."""

    company_number: str = Field(min_length=1, max_length=32, examples=["10"])
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list, description="other names invoices use for it")
    vat_id: VatId | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)


class CompanyBatchV1(Contract):
    """``md.<tenant>.companies.v1``: the tenant's companies to upsert; applied all or nothing."""

    batch_id: UUID
    tenant: Tenant
    source: str
    records: list[CompanyV1]


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


class AccrualEventKind(StrEnum):
    CREATED = "created"
    AMOUNT_CHANGED = "amount_changed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"
    REOPENED = "reopened"


class AccrualEventV1(Contract):
    """``md.<tenant>.accrual-events.v1``: one state change of one accrual in the TMS.

    ``sequence`` counts the accrual's events from 1 without gaps; accrual applies them in that order,
    each exactly once, and holds back an event whose predecessor has not arrived.
    """

    event_id: UUID = Field(description="the TMS's id of this event")
    tenant: Tenant
    accrual_number: str = Field(min_length=1, max_length=32)
    sequence: int = Field(ge=1, description="position of this event among the accrual's events")
    kind: AccrualEventKind
    at: datetime = Field(description="when it happened in the TMS")
    accrual: AccrualV1 | None = Field(default=None, description="the whole accrual; required for created")
    amount: Money | None = Field(default=None, gt=0, description="the new amount; required for amount_changed")
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    reason: str | None = Field(default=None, max_length=500)


class AccrualEventResultV1(Contract):
    """``md.<tenant>.accrual-events.applied.v1``: what one TMS event did (published once per event).

    A held event, once applied, is reported in the notes of the event that freed it; an event that cannot
    apply goes to the DLQ instead.
    """

    event_id: UUID
    tenant: Tenant
    accrual_number: str
    sequence: int = Field(ge=1)
    state: Literal["applied", "held", "already-applied"]
    notes: list[str] = Field(
        description="one line per event applied (this one and held ones it freed), held or refused",
        examples=[["accrual AC-1 event 3: resolved in the TMS (was assigned to document ... line 2)"]],
    )


class AccrualSettingsV1(Contract):
    """``md.<tenant>.accrual-settings.v1``: a tenant's accrual settings, replacing the previous ones."""

    tenant: Tenant
    send_accrual_numbers: bool = Field(
        description="whether accrual numbers go to the TMS; the accrual export is published either way"
    )
    position_patterns: list[str] = Field(
        default_factory=list, max_length=50,
        description="regular expressions of the tenant's position/file numbers (group 1 or the whole match)",
        examples=[[r"\bSE-\d{4}/\d{4}\b"]],
    )
    changed_by: str = Field(min_length=1, max_length=200, examples=["ops:anna"])
    changed_at: datetime

    @field_validator("position_patterns")
    @classmethod
    def _usable_patterns(cls, patterns: list[str]) -> list[str]:
        for number, pattern in enumerate(patterns, start=1):
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"position pattern {number} {pattern!r} is not a regular expression: {exc}") from exc
            if compiled.groups > 1:
                raise ValueError(f"position pattern {number} {pattern!r} has more than one group; "
                                 "use one group for the number and (?:...) elsewhere")
            if compiled.match(""):
                raise ValueError(f"position pattern {number} {pattern!r} matches the empty text")
        return patterns


class AccrualMovementLineV1(Contract):
    position: int = Field(ge=1)
    accrual_number: str = Field(description=f"the accrual the line took, or {NO_ACCRUAL!r}")
    reference: str | None = None
    line_amount: Money | None = None
    accrual_amount: Money | None = None
    currency: str
    reason: str | None = Field(default=None, description=f"why {NO_ACCRUAL!r}")


class AccrualMovementV1(Contract):
    """``export.<tenant>.accruals.v1``: which invoice line took which accrual, or none (movement data).

    Published for every invoice revision, also when accrual numbers are not sent to the TMS.
    """

    document_id: UUID
    tenant: Tenant
    revision: int = Field(ge=1)
    invoice_number: str | None
    supplier_number: str | None
    accrual_numbers_sent: bool = Field(description="whether the TMS transfer carries the accrual numbers")
    lines: list[AccrualMovementLineV1]
    at: datetime


class MasterDataAppliedV1(Contract):
    """``md.<tenant>.<kind>.applied.v1``: a batch was applied (or refused) by its owner."""

    batch_id: UUID
    tenant: Tenant
    kind: Literal["suppliers", "accruals", "companies"]
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


# --- edge devices: pairing, number ranges, sync (see edge/README.md) -------------------------


class DeviceState(StrEnum):
    RELEASED = "released"
    """An operator released the slot; a pairing code is waiting for a device."""
    PAIRED = "paired"
    REVOKED = "revoked"


class SyncKind(StrEnum):
    FULL = "full"
    DOCUMENTS = "documents"
    MASTERDATA = "masterdata"


class SyncResult(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    NOTHING_NEW = "nothing_new"


class PairingRequestV1(Contract):
    """``POST /v1/devices/pair``: a device presents the one-time code an operator gave it."""

    code: str = Field(min_length=1, max_length=64, examples=["K7QM-2XWD-9HRT"])
    hostname: str = Field(default="", max_length=255)
    agent_version: str = Field(default="", max_length=64)


class NatsCredentialsV1(Contract):
    """How a device reaches NATS: its own user, allowed only below ``edge.<t>.<d>.``."""

    servers: list[str] = Field(min_length=1, examples=[["nats://nats.example.com:4222"]])
    user: str
    password: str
    inbox_prefix: str = Field(examples=["_INBOX.acme.kasse-03"])


class NumberBlockV1(Contract):
    """A block of document numbers of one series, owned by one device; ``first``..``last`` inclusive."""

    series: str = Field(min_length=1, max_length=16, pattern=r"^[A-Z0-9]+$", examples=["BE"])
    first: int = Field(ge=1)
    last: int = Field(ge=1)


class DeviceConfigV1(Contract):
    """Settings central gives a device; ``version`` grows with every change."""

    version: int = Field(ge=1)
    document_types: list[str] = Field(default_factory=lambda: ["invoice", "receipt"])
    series: dict[str, str] = Field(
        default_factory=lambda: {"invoice": "ER", "receipt": "BE"}, description="document type -> series"
    )
    max_document_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    chunk_bytes: int = Field(default=512 * 1024, ge=1024, description="larger documents go up in chunks")
    block_size: int = Field(default=1000, ge=1)
    block_threshold: int = Field(default=100, ge=0, description="ask for the next block below this many")
    sync_interval_s: float = Field(default=60.0, gt=0)


class CostCentreV1(Contract):
    code: str
    name: str = ""


class DeviceSupplierV1(Contract):
    """What a device needs to pre-select a supplier offline."""

    number: str
    name: str
    vat_id: str | None = None
    iban: str | None = None


class DeviceMasterDataV1(Contract):
    """The master data a device keeps offline; ``version`` is a hash of the content."""

    version: str
    document_types: list[str] = Field(default_factory=list)
    cost_centres: list[CostCentreV1] = Field(default_factory=list)
    suppliers: list[DeviceSupplierV1] = Field(default_factory=list)


class PairingResultV1(Contract):
    """The answer to a successful pairing: everything a device needs to work offline."""

    tenant: Tenant
    device: str
    name: str
    credentials: NatsCredentialsV1
    blocks: list[NumberBlockV1]
    config: DeviceConfigV1
    masterdata: DeviceMasterDataV1


class DeviceCaptureV1(Contract):
    """Header ``Belegflow-Capture`` of a device upload: what the device recorded when it captured."""

    document_type: str
    description: str = ""
    captured_at: datetime
    series: str | None = None
    document_number: str | None = Field(default=None, examples=["BE-000123"])
    session_id: UUID | None = None


class NumberBlockRequestV1(Contract):
    """``edge.<t>.<d>.numbers.v1``: the device asks for the next block of a series."""

    series: str
    remaining: int = Field(ge=0, description="numbers the device has left in this series")


class NumberBlockReplyV1(Contract):
    block: NumberBlockV1 | None = None
    error: str | None = None


class SyncDataRequestV1(Contract):
    """``edge.<t>.<d>.sync.v1``: the device says which config and master data it holds."""

    config_version: int | None = None
    masterdata_version: str | None = None
    backlog: int = Field(default=0, ge=0, description="documents not yet confirmed on the device")


class SyncDataReplyV1(Contract):
    """What changed centrally; ``None`` means the device's copy is current."""

    config: DeviceConfigV1 | None = None
    masterdata: DeviceMasterDataV1 | None = None
    error: str | None = None


class SessionErrorV1(Contract):
    sequence: int | None = None
    document_number: str | None = None
    reason: str


class SyncSessionV1(Contract):
    """``edge.<t>.<d>.session.v1``: a sync session as the device saw it (reported at start and end)."""

    session_id: UUID
    tenant: Tenant
    device: str
    kind: SyncKind = SyncKind.FULL
    started_at: datetime
    ended_at: datetime | None = None
    backlog: int = Field(default=0, ge=0, description="documents waiting at the start")
    sent: int = Field(default=0, ge=0)
    accepted: int = Field(default=0, ge=0)
    duplicates: int = Field(default=0, ge=0)
    rejected: int = Field(default=0, ge=0)
    failed: int = Field(default=0, ge=0)
    masterdata_updated: bool = False
    config_updated: bool = False
    result: SyncResult = SyncResult.RUNNING
    errors: list[SessionErrorV1] = Field(default_factory=list)


class EdgeAckV1(Contract):
    ok: bool = True
    error: str | None = None


class ReceiptQueryV1(Contract):
    """``edge.<t>.<d>.receipts.v1``: which of these sequence numbers does central know?"""

    sequences: list[int] = Field(max_length=1000)


class ReceiptListV1(Contract):
    receipts: list[DeviceReceiptV1] = Field(default_factory=list)


# --- edge devices: batch intake (see edge/README.md, "Batch intake") ----------------------------


class DeviceCapabilitiesRequestV1(Contract):
    """``edge.<t>.<d>.capabilities.v1``: a device asks which upload contracts central takes (a central without
    this subject has no responders: the device then uses ``upload.v1`` and ``chunk.v1`` only)."""

    agent_version: str = Field(default="", max_length=64)
    batch_versions: list[int] = Field(default_factory=list, max_length=16,
                                      description="versions of the batch contract the device can send")


class DeviceBatchLimitsV1(Contract):
    """What one ``batch.v1`` message may carry; a larger document goes up alone (``upload.v1`` or ``chunk.v1``)."""

    version: int = Field(default=1, ge=1)
    max_documents: int = Field(ge=1)
    max_bytes: int = Field(ge=1, description="sum of the documents' sizes in one batch")


class DeviceCapabilitiesV1(Contract):
    """Central's answer: ``batch`` is set when it takes batches (and its stream keeps them)."""

    batch: DeviceBatchLimitsV1 | None = None
    error: str | None = None


class DeviceBatchDocumentV1(Contract):
    """One document of a batch: what ``upload.v1`` carries in its headers, and where its bytes are."""

    model_config = ConfigDict(str_strip_whitespace=False)

    sequence: int = Field(ge=0, description="the device's sequence number of the document")
    sha256: str = Field(max_length=64, description="SHA-256 of the document's bytes, hex")
    size: int = Field(ge=0, description="its bytes' length in the body, in manifest order")
    filename: str = Field(default="", max_length=1024)
    capture: DeviceCaptureV1 | None = None


class DeviceBatchV1(Contract):
    """``edge.<t>.<d>.batch.v1`` (JetStream, EDGE): the manifest, as one line of JSON, then a newline, then the
    documents' bytes back to back in manifest order. Header ``Belegflow-Batch``: the batch id again, so even
    a body that cannot be read is answered."""

    batch_id: UUID
    documents: list[DeviceBatchDocumentV1] = Field(min_length=1, max_length=1000)


class DeviceBatchReceiptV1(Contract):
    """``edge.<t>.<d>.batch-receipt.v1``: ingest's answer to one batch, one ``DeviceReceiptV1`` per document.

    ``error``: the batch as a whole was refused (unreadable, too large, repeated sequence numbers); then
    ``receipts`` is empty and no document of it was taken in."""

    tenant: Tenant
    device: str
    batch_id: UUID | None = None
    receipts: list[DeviceReceiptV1] = Field(default_factory=list)
    error: str | None = None
