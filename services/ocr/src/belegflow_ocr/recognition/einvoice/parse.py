"""Bytes to the neutral model: safe parsing, then the reader for the root element's syntax."""

from __future__ import annotations

from lxml import etree

from belegflow_ocr.errors import NotAnInvoiceError
from belegflow_ocr.recognition.einvoice.cii import CII_NS, ZF1_NS, read_cii
from belegflow_ocr.recognition.einvoice.model import EInvoice
from belegflow_ocr.recognition.einvoice.ubl import UBL_CREDIT_NOTE, UBL_INVOICE, read_ubl
from belegflow_ocr.recognition.einvoice.xmlsafe import XmlLimits, parse_xml

INVOICE_ROOTS = {
    f"{{{UBL_INVOICE}}}Invoice": read_ubl,
    f"{{{UBL_CREDIT_NOTE}}}CreditNote": read_ubl,
    f"{{{CII_NS}}}CrossIndustryInvoice": read_cii,
    f"{{{ZF1_NS}}}CrossIndustryDocument": read_cii,
}
INVOICE_NAMESPACES = (UBL_INVOICE, UBL_CREDIT_NOTE, CII_NS, ZF1_NS)


def mentions_invoice_namespace(data: bytes) -> bool:
    """Cheap pre-check for scoring: an e-invoice names its root namespace near the top."""
    head = data[:8192]
    return any(ns.encode() in head for ns in INVOICE_NAMESPACES)


def parse_einvoice(data: bytes, *, filename: str, limits: XmlLimits | None = None) -> EInvoice:
    """The neutral model of the e-invoice in ``data``.

    Raises ``UnsafeXmlError`` (DOCTYPE/ENTITY), ``MalformedXmlError`` (with line and column),
    ``XmlTooLargeError``, ``EmptyDocumentError`` or ``NotAnInvoiceError`` (naming the root element).
    """
    root = parse_xml(data, filename=filename, limits=limits)
    reader = INVOICE_ROOTS.get(root.tag)
    if reader is None:
        qname = etree.QName(root)
        raise NotAnInvoiceError(filename=filename, root=qname.localname, namespace=qname.namespace)
    return reader(root)
