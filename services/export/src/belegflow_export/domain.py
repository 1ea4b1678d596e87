"""Pure export decisions: the TMS transfer XML of an accrued invoice, its validation, its object key.

Accrual numbers when the tenant switched sending them off (``send_accruals`` false): every
``accrualNumber`` element is omitted and ``header/accrualsSent`` is ``false``. Writing ``XXX``
instead would tell the TMS "no accrual exists", which is a different statement from "not sent".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Final
from uuid import UUID

from lxml import etree

from belegflow_contracts.messages import NO_ACCRUAL, Decision, DocumentType
from belegflow_contracts.types import normalize_iban, normalize_tenant, normalize_vat_id
from belegflow_contracts.xsd import (
    TMS_TRANSFER_V1_NAMESPACE,
    TMS_TRANSFER_V2_NAMESPACE,
    tms_transfer_v1_xsd,
    tms_transfer_v2_xsd,
)
from belegflow_export.errors import (
    TmsDataError,
    TmsDataProblem,
    TmsXmlInvalidError,
    XmlErrorLine,
)

if TYPE_CHECKING:
    from belegflow_contracts.messages import (
        AccruedV1,
        InvoiceLineV1,
        LineAssignmentV1,
        SupplierMatchV1,
    )

__all__ = ["TMS_VERSIONS", "build_tms_xml", "export_key", "validate_tms_xml"]

_NAMESPACES: Final = {1: TMS_TRANSFER_V1_NAMESPACE, 2: TMS_TRANSFER_V2_NAMESPACE}
_XSDS: Final = {1: tms_transfer_v1_xsd, 2: tms_transfer_v2_xsd}
_DOCUMENT_TYPES: Final = {DocumentType.INVOICE: "invoice", DocumentType.CREDIT_NOTE: "creditNote",
                          DocumentType.CORRECTION: "correction", DocumentType.RECEIPT: "receipt"}
TMS_VERSIONS: Final = (1, 2)
_CENT: Final = Decimal("0.01")
# XML 1.0 cannot carry these at all, not even escaped; OCR text sometimes contains form feeds.
_NOT_XML_CHARS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _safe_parser() -> etree.XMLParser:
    """A parser that never fetches or expands anything (no XXE, no entity bombs, no network)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


@cache
def _tms_schema(version: int = 1) -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(_XSDS[version](), _safe_parser()))


# --- building --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Problems:
    items: list[TmsDataProblem]

    def add(self, field: str, reason: str) -> None:
        self.items.append(TmsDataProblem(field=field, reason=reason))


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = _NOT_XML_CHARS.sub(" ", value).strip()
    return cleaned or None


def _amount(field: str, value: Decimal | None, problems: _Problems) -> str | None:
    """Exactly two places; a value with more significant places is refused, never rounded."""
    if value is None:
        return None
    try:
        cents = value.quantize(_CENT)
    except InvalidOperation:
        problems.add(field, f"amount {value} cannot be written as a decimal with two places")
        return None
    if cents != value:
        problems.add(
            field,
            f"amount {value} has more than two decimal places; the TMS takes cents",
        )
        return None
    if cents == 0:
        cents = abs(cents)  # "-0.00" would be valid XML but reads like a credit note
    return format(cents, "f")


def _el(parent: etree._Element, name: str) -> etree._Element:
    """A child in the parent's namespace (version 1 or 2 of the transfer)."""
    return etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{name}")


def _sub(parent: etree._Element, name: str, value: str | None) -> None:
    if value is not None:
        _el(parent, name).text = value


def _check_bookable(event: AccruedV1, problems: _Problems) -> None:
    """Every transfer is booked, so it needs supplier, number, date and gross; touchless ones net and tax too."""
    invoice = event.invoice
    required: dict[str, object] = {
        "supplier": event.supplier,
        "invoice.invoice_number": _text(invoice.invoice_number),
        "invoice.invoice_date": invoice.invoice_date,
        "invoice.gross_amount": invoice.gross_amount,
    }
    if event.decision is Decision.TOUCHLESS:
        required |= {"invoice.net_amount": invoice.net_amount, "invoice.tax_amount": invoice.tax_amount}
    for field, value in required.items():
        if value is None:
            problems.add(field, f"missing; a {event.decision.value} transfer needs it")
    net, tax, gross = invoice.net_amount, invoice.tax_amount, invoice.gross_amount
    if net is not None and tax is not None and gross is not None and net + tax != gross:
        problems.add("invoice.gross_amount", f"net {net} + tax {tax} != gross {gross}")


def _build_supplier(root: etree._Element, supplier: SupplierMatchV1, problems: _Problems) -> None:
    element = _el(root, "supplier")
    _sub(element, "supplierNumber", _text(supplier.supplier_number))
    _sub(element, "name", _text(supplier.name))
    street, postal_code, city = (
        _text(supplier.street),
        _text(supplier.postal_code),
        _text(supplier.city),
    )
    country = _text(supplier.country)
    if any(part is not None for part in (street, postal_code, city, country)):
        address = _el(element, "address")
        _sub(address, "street", street)
        _sub(address, "postalCode", postal_code)
        _sub(address, "city", city)
        _sub(address, "country", country.upper() if country else None)
    vat_id = _text(supplier.vat_id)
    if vat_id is not None:
        try:
            vat_id = normalize_vat_id(vat_id)
        except ValueError as exc:
            problems.add("supplier.vat_id", str(exc))
    _sub(element, "vatId", vat_id)
    iban = _text(supplier.iban)
    if iban is not None:
        try:
            iban = normalize_iban(iban)
        except ValueError as exc:
            problems.add("supplier.iban", str(exc))
    _sub(element, "iban", iban)
    _sub(element, "glAccount", _text(supplier.gl_account))
    _sub(element, "costCenter", _text(supplier.cost_center))
    _sub(element, "taxKey", _text(supplier.tax_key))


def _build_lines(root: etree._Element, event: AccruedV1, problems: _Problems) -> None:
    """One ``line`` per position found on the invoice or in the assignments.

    A position that only the accrual step knows (an invoice read without line items, assigned as a
    whole) still goes out, with an empty description, so no assignment is lost.
    """
    lines: dict[int, InvoiceLineV1] = {}
    for line in event.invoice.lines:
        if line.position in lines:
            problems.add(f"invoice.lines[{line.position}]", "position occurs more than once")
        lines[line.position] = line
    assignments: dict[int, LineAssignmentV1] = {}
    for assignment in event.assignments:
        if assignment.position in assignments:
            problems.add(f"assignments[{assignment.position}]", "position occurs more than once")
        assignments[assignment.position] = assignment

    container = _el(root, "lines")
    for position in sorted(lines.keys() | assignments.keys()):
        invoice_line = lines.get(position)
        assigned = assignments.get(position)
        element = _el(container, "line")
        _sub(element, "position", str(position))
        description = _text(invoice_line.description) if invoice_line else None
        _sub(element, "description", description or "")
        # The amount read on the line is what the supplier billed; the assignment's is a fallback.
        net = invoice_line.net_amount if invoice_line and invoice_line.net_amount is not None else None
        if net is None and assigned is not None:
            net = assigned.amount
        _sub(
            element,
            "netAmount",
            _amount(f"lines[{position}].net_amount", net, problems),
        )
        _sub(element, "reference", _text(assigned.reference) if assigned else None)
        if event.send_accruals:
            accrual = _text(assigned.accrual_number) if assigned else None
            _sub(element, "accrualNumber", accrual or NO_ACCRUAL)


def build_tms_xml(event: AccruedV1, *, exported_at: datetime, version: int = 1) -> bytes:
    """The TMS transfer XML of one invoice revision: UTF-8 with declaration, byte-identical for equal input.

    ``version`` 2 (``tms-transfer-v2.xsd``) adds the document type: invoice, creditNote, correction.

    Raises ``TmsDataError`` listing every field that cannot be written (amounts with more than two
    places, a bad IBAN, a touchless event missing what a booking needs). The result is not validated
    here; call ``validate_tms_xml`` before publishing it.
    """
    if exported_at.tzinfo is None or exported_at.utcoffset() is None:
        raise ValueError("exported_at must be timezone-aware")
    problems = _Problems(items=[])
    _check_bookable(event, problems)
    invoice = event.invoice

    # The default namespace keeps every element unprefixed; lxml-stubs do not know a None key.
    ns = _NAMESPACES[version]
    root = etree.Element(f"{{{ns}}}tmsTransfer", nsmap={None: ns})  # type: ignore[dict-item]
    header = _el(root, "header")
    _sub(header, "documentId", str(event.document_id))
    _sub(header, "tenant", event.tenant)
    _sub(header, "revision", str(event.revision))
    stamp = exported_at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    _sub(header, "exportedAt", f"{stamp}Z")
    if version >= 2:
        _sub(header, "documentType", _DOCUMENT_TYPES[invoice.document_type])
        _sub(header, "recipientCompany", _text(invoice.recipient_company))
    _sub(header, "invoiceNumber", _text(invoice.invoice_number))
    _sub(
        header,
        "invoiceDate",
        invoice.invoice_date.isoformat() if invoice.invoice_date else None,
    )
    _sub(header, "dueDate", invoice.due_date.isoformat() if invoice.due_date else None)
    _sub(header, "currency", (_text(invoice.currency) or "").upper())
    _sub(header, "netAmount", _amount("invoice.net_amount", invoice.net_amount, problems))
    _sub(header, "taxAmount", _amount("invoice.tax_amount", invoice.tax_amount, problems))
    _sub(
        header,
        "grossAmount",
        _amount("invoice.gross_amount", invoice.gross_amount, problems),
    )
    _sub(header, "accrualsSent", "true" if event.send_accruals else "false")

    if event.supplier is not None:
        _build_supplier(root, event.supplier, problems)
    _build_lines(root, event, problems)
    _sub(root, "decision", event.decision.value)

    if problems.items:
        raise TmsDataError(problems.items, document_id=str(event.document_id))
    xml: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return xml


# --- validating ------------------------------------------------------------------------------


def _readable_path(tree: etree._ElementTree, raw: str | None) -> str | None:
    """``/tmsTransfer/lines/line[2]/netAmount`` instead of libxml2's ``/*/*[3]/*[2]/*[3]``."""
    if not raw:
        return None
    try:
        found = tree.xpath(raw)
    except etree.XPathError:
        return raw
    if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
        return raw
    steps: list[str] = []
    node: etree._Element | None = found[0]
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        same = [sibling for sibling in parent if sibling.tag == node.tag] if parent is not None else [node]
        steps.append(f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name)
        node = parent
    return "/" + "/".join(reversed(steps))


def _log_lines(tree: etree._ElementTree, log: etree._ListErrorLog) -> list[XmlErrorLine]:
    return [
        XmlErrorLine(
            line=entry.line,
            column=entry.column,
            message=entry.message,
            path=_readable_path(tree, getattr(entry, "path", None)),
        )
        for entry in log
    ]


def validate_tms_xml(xml: bytes, *, version: int = 1) -> None:
    """Raise ``TmsXmlInvalidError`` unless ``xml`` is well-formed, DTD-free and valid against its version's XSD.

    Also safe for XML that did not come from ``build_tms_xml``: nothing is fetched or expanded.
    """
    try:
        root = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        raise TmsXmlInvalidError([XmlErrorLine(line=line, column=column, message=str(exc.msg))]) from exc
    tree = root.getroottree()
    # A DOCTYPE has no business in a transfer and is how entity attacks arrive; refuse it outright.
    doctype: str = tree.docinfo.doctype  # type: ignore[union-attr]  # missing from lxml-stubs
    if doctype or tree.docinfo.internalDTD is not None:
        raise TmsXmlInvalidError([XmlErrorLine(line=1, column=0, message="a DOCTYPE is not allowed")])
    try:
        # assertValid carries its own error log; the schema's shared log would race between threads.
        _tms_schema(version).assertValid(tree)
    except etree.DocumentInvalid as exc:
        raise TmsXmlInvalidError(_log_lines(tree, exc.error_log)) from exc


# --- naming ----------------------------------------------------------------------------------


def export_key(tenant: str, document_id: UUID | str, revision: int, *, version: int = 1) -> str:
    """Object key in the exports bucket and relative file path in the export folder, one per revision.

    ``<tenant>/tms/<document id>-r<revision>.xml`` (version 2: ``<tenant>/tms-v2/...``): the tenant first so
    that bucket policies and integrators' folders can be split per tenant.
    """
    if revision < 1:
        raise ValueError(f"revision must be >= 1, got {revision}")
    try:
        document = document_id if isinstance(document_id, UUID) else UUID(str(document_id))
    except ValueError as exc:
        raise ValueError(f"document id {document_id!r} is not a UUID") from exc
    folder = "tms" if version == 1 else f"tms-v{version}"
    return f"{normalize_tenant(tenant)}/{folder}/{document}-r{revision}.xml"
