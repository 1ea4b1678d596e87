"""The neutral model to the pipeline's ``InvoiceFieldsV1`` and ``InvoiceLineV1``, with the protocol.

XML values are what the sender declared, so they carry confidence 1.0 and no place on a page. Amounts
are passed on exactly as stated: ``net_amount`` is BT-109 (sum without VAT, the tax basis),
``tax_amount`` BT-110, ``gross_amount`` BT-112 (with VAT, before prepaid amounts). A credit note keeps
its amounts as the document states them (positive: credited to the buyer); the protocol names the
document type so nobody mistakes it for an invoice.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from belegflow_contracts.messages import AmountFieldV1, DateFieldV1, InvoiceFieldsV1, InvoiceLineV1, TextFieldV1
from belegflow_contracts.types import iban_checksum_ok
from belegflow_ocr.recognition.einvoice.model import EInvoice, InvoiceLine
from belegflow_ocr.recognition.model import ProtocolLog

_COMPACT = re.compile(r"[\s]+")
CENT = Decimal("0.01")


def compact_id(value: str) -> str:
    """IBAN and VAT ID without blanks, upper case (the form master data keys use)."""
    return _COMPACT.sub("", value).upper()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    bt: str
    value: Callable[[EInvoice], str | date | Decimal | None]


def _address(attr: str) -> Callable[[EInvoice], str | None]:
    def get(inv: EInvoice) -> str | None:
        address = inv.seller.address
        value = getattr(address, attr) if address is not None else None
        return value if isinstance(value, str) else None

    return get


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("invoice_number", "BT-1", lambda i: i.number),
    FieldSpec("invoice_date", "BT-2", lambda i: i.issue_date),
    FieldSpec("due_date", "BT-9", lambda i: i.due_date),
    FieldSpec("currency", "BT-5", lambda i: i.currency),
    FieldSpec("net_amount", "BT-109", lambda i: i.totals.tax_basis),
    FieldSpec("tax_amount", "BT-110", lambda i: i.totals.tax_total),
    FieldSpec("gross_amount", "BT-112", lambda i: i.totals.gross),
    FieldSpec("supplier_name", "BT-27", lambda i: i.seller.name),
    FieldSpec("supplier_street", "BT-35", _address("street")),
    FieldSpec("supplier_postal_code", "BT-38", _address("postal_code")),
    FieldSpec("supplier_city", "BT-37", _address("city")),
    FieldSpec("supplier_iban", "BT-84", lambda i: compact_id(i.seller_iban) if i.seller_iban else None),
    FieldSpec("supplier_vat_id", "BT-31", lambda i: compact_id(i.seller.vat_id) if i.seller.vat_id else None),
    FieldSpec("recipient_name", "BT-44", lambda i: i.buyer.name),
)
_REQUIRED = ("invoice_number", "invoice_date", "gross_amount", "supplier_name")


def describe(inv: EInvoice, log: ProtocolLog, *, origin: str) -> None:
    """What was detected: syntax, root, customization and profile, document type and the sign convention."""
    log.info(
        f"einvoice: {inv.syntax.value} {inv.document_kind} from {origin}, profile {inv.profile or 'unknown'}",
        syntax=inv.syntax.value,
        root=inv.root,
        customization_id=inv.customization_id,
        profile=inv.profile,
        business_process=inv.business_process,
        type_code=inv.type_code,
        document_kind=inv.document_kind,
        lines=len(inv.lines),
    )
    if inv.is_credit_note:
        log.warning(
            f"einvoice: credit note (type code {inv.type_code or '-'}, root {inv.root.rsplit('}', 1)[-1]}); amounts "
            "are passed on as the document states them (positive = credited to the buyer), not negated",
            document_kind="credit note",
            type_code=inv.type_code,
        )
    for problem in inv.problems:
        log.warning(f"einvoice: value left out - {problem}")


# UNTDID 1001 codes of a corrected invoice (BT-3); the credit note codes are in the model.
CORRECTION_TYPE_CODES = frozenset({"384", "471", "472", "473"})


def document_type(inv: EInvoice) -> str:
    """``document_type`` from BT-3: credit note, correction, or (every other commercial code) invoice."""
    if inv.is_credit_note:
        return "credit_note"
    if inv.type_code in CORRECTION_TYPE_CODES:
        return "correction"
    return "invoice"


def to_fields(inv: EInvoice, log: ProtocolLog) -> tuple[InvoiceFieldsV1, list[InvoiceLineV1]]:
    """Fields and lines with one protocol entry per field naming its business term and XML path."""
    values: dict[str, TextFieldV1 | DateFieldV1 | AmountFieldV1] = {}
    for spec in FIELDS:
        value = spec.value(inv)
        if value is None:
            if spec.name in _REQUIRED:
                log.warning(f"{spec.name}: not in the XML ({spec.bt})", field=spec.name, bt=spec.bt)
            continue
        shown = format(value, "f") if isinstance(value, Decimal) else str(value)
        log.info(
            f"{spec.name}: {shown} from {spec.bt} {inv.sources.get(spec.bt, '')}".rstrip(),
            field=spec.name,
            value=shown,
            bt=spec.bt,
            path=inv.sources.get(spec.bt),
            raw=inv.raw.get(spec.bt),
        )
        if isinstance(value, Decimal):
            values[spec.name] = AmountFieldV1(value=value, confidence=1.0)
        elif isinstance(value, date):
            values[spec.name] = DateFieldV1(value=value, confidence=1.0)
        else:
            values[spec.name] = TextFieldV1(value=value, confidence=1.0)
    kind = document_type(inv)
    root = "/" + inv.root.rsplit("}", 1)[-1]
    log.info(
        f"document_type: {kind} from BT-3 type code {inv.type_code or '-'} (root {root})",
        field="document_type",
        value=kind,
        bt="BT-3",
        path=inv.sources.get("BT-3") or root,
        raw=inv.type_code,
    )
    values["document_type"] = TextFieldV1(value=kind, confidence=1.0)
    fields = InvoiceFieldsV1.model_validate(values)
    _checks(inv, fields, log)
    lines = [to_line(i + 1, line) for i, line in enumerate(inv.lines)]
    return fields, lines


def to_line(position: int, line: InvoiceLine) -> InvoiceLineV1:
    subs = _flatten(line.sub_lines)
    reference = " | ".join(t for t in (line.reference_text(), *(s.reference_text() for s in subs)) if t)
    return InvoiceLineV1(
        position=position,
        description=line.name or line.description or line.line_id or f"line {position}",
        quantity=line.quantity,
        unit_price=line.net_price,
        net_amount=line.net_amount,
        reference_text=reference,
    )


def _flatten(lines: tuple[InvoiceLine, ...]) -> list[InvoiceLine]:
    out: list[InvoiceLine] = []
    for line in lines:
        out.append(line)
        out.extend(_flatten(line.sub_lines))
    return out


def _checks(inv: EInvoice, fields: InvoiceFieldsV1, log: ProtocolLog) -> None:
    """Say where the declared values contradict each other; the values themselves are kept as stated."""
    if fields.supplier_iban is not None and not iban_checksum_ok(fields.supplier_iban.value):
        log.warning(
            f"supplier_iban: {fields.supplier_iban.value} fails the mod-97 check (kept as the XML states it)",
            field="supplier_iban",
            check="iban",
            ok=False,
        )
    net, tax, gross = inv.totals.tax_basis, inv.totals.tax_total, inv.totals.gross
    if net is not None and gross is not None and abs(net + (tax or Decimal(0)) - gross) > CENT / 2:
        log.warning(
            f"einvoice: BT-109 {net} + BT-110 {tax or 0} != BT-112 {gross} (kept as the XML states them)",
            check="sums",
            ok=False,
        )
    if inv.lines and inv.totals.line_total is not None:
        total = sum((ln.net_amount or Decimal(0) for ln in inv.lines), Decimal(0))
        if abs(total - inv.totals.line_total) > CENT / 2:
            log.warning(
                f"einvoice: the lines' net amounts add up to {total}, BT-106 says {inv.totals.line_total}",
                check="lines",
                ok=False,
            )
