"""E-invoices: XRechnung / EN 16931 (UBL and CII), ZUGFeRD 1.0, ZUGFeRD 2.x / Factur-X, and PDFs carrying them.

``parse_einvoice`` turns XML bytes into the neutral ``EInvoice`` model (safe parsing, no entities, no
DTD, no network); ``to_fields`` maps it to the pipeline's fields and lines; ``XmlInvoiceReader`` and
``PdfInvoiceReader`` are the registry's readers.
"""

from belegflow_ocr.recognition.einvoice.fields import compact_id, to_fields
from belegflow_ocr.recognition.einvoice.model import (
    Address,
    AllowanceCharge,
    BankAccount,
    Contact,
    EInvoice,
    InvoiceLine,
    ItemAttribute,
    Note,
    Party,
    PaymentMeans,
    Syntax,
    TaxBreakdown,
    Totals,
)
from belegflow_ocr.recognition.einvoice.parse import parse_einvoice
from belegflow_ocr.recognition.einvoice.readers import (
    EMBEDDED_NAMES,
    PdfInvoiceReader,
    XmlInvoiceReader,
    embedded_xml_files,
)
from belegflow_ocr.recognition.einvoice.xmlsafe import XmlLimits, parse_xml

__all__ = [
    "EMBEDDED_NAMES",
    "Address",
    "AllowanceCharge",
    "BankAccount",
    "Contact",
    "EInvoice",
    "InvoiceLine",
    "ItemAttribute",
    "Note",
    "Party",
    "PaymentMeans",
    "PdfInvoiceReader",
    "Syntax",
    "TaxBreakdown",
    "Totals",
    "XmlInvoiceReader",
    "XmlLimits",
    "compact_id",
    "embedded_xml_files",
    "parse_einvoice",
    "parse_xml",
    "to_fields",
]
