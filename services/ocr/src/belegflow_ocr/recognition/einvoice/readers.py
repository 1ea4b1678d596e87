"""Readers for the registry: e-invoice XML files, and PDFs that carry one (ZUGFeRD, Factur-X, XRechnung)."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped, unused-ignore]

from belegflow_contracts.messages import MediaType, PictureDifferenceV1
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition.einvoice.check import (
    compare_picture,
    unreadable_xml_check,
    validate_xml,
    validation_log,
)
from belegflow_ocr.recognition.einvoice.fields import describe, to_fields
from belegflow_ocr.recognition.einvoice.model import EInvoice
from belegflow_ocr.recognition.einvoice.parse import mentions_invoice_namespace, parse_einvoice
from belegflow_ocr.recognition.einvoice.xmlsafe import XmlLimits, looks_like_xml
from belegflow_ocr.recognition.model import ProtocolLog, Recognition, RecognitionStatus
from belegflow_ocr.recognition.pdftext import PdfLimits, PdfTextReader
from belegflow_ocr.recognition.readers import BaseReader
from belegflow_ocr.recognition.sniff import sniff_media_type

# File names the standards give the embedded XML, in the order a PDF carrying several is read.
EMBEDDED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
class XmlInvoiceReader(BaseReader):
    """XRechnung / EN 16931 UBL and CII, ZUGFeRD and Factur-X XML files (also as standalone XML)."""

    name = "einvoice-xml"

    def __init__(self, limits: XmlLimits | None = None) -> None:
        super().__init__()
        self.limits = limits or XmlLimits()

    def score(self, data: bytes, media_type: str) -> int:
        if media_type not in (MediaType.XML.value, "text/xml", "") or not looks_like_xml(data):
            return 0
        # Any other XML still comes here, so that it gets a specific error (unsafe, malformed, not an invoice).
        return 100 if mentions_invoice_namespace(data) else 10

    def read(self, data: bytes, *, filename: str) -> Recognition:
        log = ProtocolLog()
        invoice = parse_einvoice(data, filename=filename, limits=self.limits)
        return _recognition_of(invoice, data, reader=self.name, origin="the XML file", log=log, limits=self.limits,
                               filename=filename)


def _recognition_of(
    invoice: EInvoice, xml: bytes, *, reader: str, origin: str, log: ProtocolLog, limits: XmlLimits, filename: str,
    page: Recognition | None = None, hybrid: bool = False,
) -> Recognition:
    """What an e-invoice gives: its fields and lines, its validation verdict, and for a hybrid PDF its visible
    ``page`` compared with the XML."""
    describe(invoice, log, origin=origin)
    fields, lines = to_fields(invoice, log)
    checked = validation_log()
    check = validate_xml(xml, filename=filename, log=checked, limits=limits)
    if hybrid:
        differences: list[PictureDifferenceV1] | None = None
        if page is not None:
            fields, differences = compare_picture(fields, page, checked)
        else:
            checked.warning("einvoice picture: the page cannot be read; the picture was not compared with the XML")
        if check is not None:
            check = check.model_copy(update={"picture_checked": differences is not None,
                                             "picture_differences": differences or []})
    return Recognition(
        reader=reader,
        status=RecognitionStatus.RECOGNIZED,
        fields=fields,
        lines=lines,
        protocol=[*log.entries, *checked.entries],
        words=page.words if page else [],
        text=page.text if page else "",
        pages=page.pages if page else [],
        einvoice=invoice.to_json(),
        einvoice_check=check,
    )


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    data: bytes


def _is_invoice_name(name: str) -> bool:
    return name.lower() in EMBEDDED_NAMES


def _is_candidate(attachment: Attachment) -> bool:
    return _is_invoice_name(attachment.name) or mentions_invoice_namespace(attachment.data)


def _rank(attachment: Attachment) -> int:
    name = attachment.name.lower()
    return EMBEDDED_NAMES.index(name) if name in EMBEDDED_NAMES else len(EMBEDDED_NAMES)


def embedded_xml_files(data: bytes, *, max_pages: int = 200) -> list[Attachment]:
    """The PDF's embedded ``.xml`` files, the standard names first.

    Files come from the document's ``/EmbeddedFiles`` name tree, where PDF/A-3 (ZUGFeRD, Factur-X) lists
    the files it also associates through ``/AF``; where that tree has no XML, from file attachment
    annotations on the pages (an older way of attaching). An unreadable PDF has none: the text reader
    then says why.
    """
    try:
        pdf = pdfium.PdfDocument(data)
    except (pdfium.PdfiumError, ValueError, OSError):
        return []
    try:
        found = [a for a in (_attachment(pdf.get_attachment(i)) for i in range(pdf.count_attachments())) if a]
        if not found:
            found = _annotation_attachments(pdf, max_pages=max_pages)
        found.sort(key=_rank)
        return found
    except pdfium.PdfiumError:
        return []
    finally:
        pdf.close()


def _attachment(attachment: pdfium.PdfAttachment) -> Attachment | None:
    try:
        name = str(attachment.get_name() or "")
    except pdfium.PdfiumError:
        return None
    if not name.lower().endswith(".xml"):
        return None
    return Attachment(name=name, data=bytes(attachment.get_data()))


def _annotation_attachments(pdf: pdfium.PdfDocument, *, max_pages: int) -> list[Attachment]:
    found: list[Attachment] = []
    for index in range(min(len(pdf), max_pages)):
        page = pdf[index]
        try:
            for n in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
                annot = pdfium_c.FPDFPage_GetAnnot(page, n)
                if not annot:
                    continue
                try:
                    if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_FILEATTACHMENT:
                        continue
                    raw = pdfium_c.FPDFAnnot_GetFileAttachment(annot)
                    attachment = _attachment(pdfium.PdfAttachment(raw, pdf)) if raw else None
                    if attachment is not None:
                        found.append(attachment)
                finally:
                    pdfium_c.FPDFPage_CloseAnnot(annot)
        finally:
            page.close()
    return found


class PdfInvoiceReader(BaseReader):
    """A PDF with an embedded e-invoice: the XML is the invoice, the visible page is compared with it."""

    name = "einvoice-pdf"

    def __init__(self, xml_limits: XmlLimits | None = None, pdf_limits: PdfLimits | None = None) -> None:
        super().__init__()
        self.xml_limits = xml_limits or XmlLimits()
        self.pdf_limits = pdf_limits or PdfLimits()

    def score(self, data: bytes, media_type: str) -> int:
        if media_type != MediaType.PDF.value or sniff_media_type(data) != MediaType.PDF.value:
            return 0
        # Above the text layer reader (50): the XML is the invoice.
        return 90 if any(_is_candidate(a) for a in embedded_xml_files(data)) else 0

    def read(self, data: bytes, *, filename: str) -> Recognition:
        log = ProtocolLog()
        candidates = [a for a in embedded_xml_files(data) if _is_candidate(a)]
        invoice: EInvoice | None = None
        source = ""
        xml = b""
        for attachment in candidates:
            try:
                name = f"{filename}/{attachment.name}"
                invoice = parse_einvoice(attachment.data, filename=name, limits=self.xml_limits)
            except RecognitionError as exc:
                why = {**exc.details(), "attachment": attachment.name, "attachment_bytes": len(attachment.data)}
                log.warning(f"einvoice: embedded {attachment.name} cannot be read - {exc.message}", **why)
                continue
            source, xml = attachment.name, attachment.data
            break
        page, page_error = self._read_page(data, filename=filename, log=log)
        if invoice is None:
            log.warning(
                "einvoice: no readable e-invoice embedded; the fields come from the visible page (text layer)",
                fallback="pdf-text",
            )
            if page is None:
                # Neither is readable: the page's own error says what is wrong with the PDF.
                assert page_error is not None
                raise page_error
            # the embedded XML is the legal invoice, and it is broken: the rules reject it, the invoice waits
            checked = validation_log()
            check = unreadable_xml_check(candidates[0].data, filename=f"{filename}/{candidates[0].name}",
                                         log=checked)
            return Recognition(
                reader=page.reader,
                status=page.status,
                fields=page.fields,
                lines=page.lines,
                protocol=[*log.entries, *page.protocol, *checked.entries],
                words=page.words,
                text=page.text,
                pages=page.pages,
                einvoice_check=check,
            )
        log.info(f"einvoice: read the embedded {source}", attachment=source,
                 embedded=", ".join(a.name for a in candidates))  # fmt: skip
        return _recognition_of(invoice, xml, reader=self.name, origin=f"the embedded {source}", log=log,
                               limits=self.xml_limits, filename=f"{filename}/{source}", page=page, hybrid=True)

    def _read_page(
        self, data: bytes, *, filename: str, log: ProtocolLog
    ) -> tuple[Recognition | None, RecognitionError | None]:
        try:
            with PdfTextReader(self.pdf_limits) as reader:
                return reader.read(data, filename=filename), None
        except RecognitionError as exc:
            log.warning(f"einvoice: the visible page cannot be read - {exc.message}", **exc.details())
            return None, exc
