"""An e-invoice as a readable document: the official XRechnung visualisation (KoSIT), rendered with Saxon.

Two XSLT steps, as KoSIT's viewer does it: the UBL invoice, UBL credit note or CII XML to the XRechnung semantic
model (``ubl-invoice-xr.xsl``, ``ubl-creditnote-xr.xsl``, ``cii-xr.xsl``), then the model to one HTML page
(``xrechnung-html.xsl``, styles and scripts inline). The stylesheets come from the folder the operator installs
(``BELEGFLOW_EINVOICE_VIEWER_DIR``: the visualisation release, ``src/xsl`` inside); each is compiled once.

Saxon is driven from one thread only (``EInvoiceViewer.render`` is called through a one-thread executor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal

from lxml import etree

from belegflow_ocr.recognition.einvoice.cii import CII_NS
from belegflow_ocr.recognition.einvoice.ubl import UBL_CREDIT_NOTE, UBL_INVOICE

_MODEL_SHEETS: Final = {f"{{{UBL_INVOICE}}}Invoice": "ubl-invoice-xr.xsl",
                        f"{{{UBL_CREDIT_NOTE}}}CreditNote": "ubl-creditnote-xr.xsl",
                        f"{{{CII_NS}}}CrossIndustryInvoice": "cii-xr.xsl"}
HTML_SHEET: Final = "xrechnung-html.xsl"


class ViewerFolderError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def stylesheets(folder: Path) -> Path:
    """The folder of the visualisation's stylesheets (``folder`` itself or its ``src/xsl``), checked."""
    for candidate in (folder, folder / "src" / "xsl"):
        if all((candidate / name).is_file() for name in (*_MODEL_SHEETS.values(), HTML_SHEET)):
            return candidate
    raise ViewerFolderError(f"{folder} holds no XRechnung visualisation (src/xsl/{HTML_SHEET} and the model "
                            "stylesheets): unpack the KoSIT xrechnung-visualization release there")


class EInvoiceViewer:
    def __init__(self, folder: Path) -> None:
        self.xsl = stylesheets(folder)
        self._saxon: Any = None
        self._xslt: Any = None
        self._compiled: dict[str, Any] = {}

    def _sheet(self, name: str) -> Any:
        sheet = self._compiled.get(name)
        if sheet is None:
            if self._saxon is None:
                from saxonche import PySaxonProcessor

                self._saxon = PySaxonProcessor(license=False)
                self._xslt = self._saxon.new_xslt30_processor()
            sheet = self._xslt.compile_stylesheet(stylesheet_file=str((self.xsl / name).resolve()))
            if sheet is None:
                raise RuntimeError(f"Saxon could not compile {name}: {self._xslt.error_message}")
            self._compiled[name] = sheet
        return sheet

    def syntax_sheet(self, root: etree._Element) -> str | None:
        """The model stylesheet for the document's syntax; None for XML the visualisation cannot show."""
        return _MODEL_SHEETS.get(root.tag)

    def render(self, root: etree._Element, *, language: Literal["de", "en"] = "de") -> str:
        """The HTML page of the (safely parsed) e-invoice ``root``; ``ValueError`` for an unknown syntax."""
        name = self.syntax_sheet(root)
        if name is None:
            raise ValueError(f"the visualisation cannot show a {etree.QName(root).localname} document")
        source = self._saxon_node(etree.tostring(root, encoding="unicode"))
        model = self._sheet(name).transform_to_string(xdm_node=source)
        html = self._sheet(HTML_SHEET)
        html.set_parameter("lang", self._saxon.make_string_value(language))
        return str(html.transform_to_string(xdm_node=self._saxon_node(model)))

    def _saxon_node(self, text: str) -> Any:
        self._sheet(HTML_SHEET)  # the processor exists once a sheet was compiled
        return self._saxon.parse_xml(xml_text=text)


def einvoice_xml(data: bytes, *, filename: str) -> bytes | None:
    """The e-invoice XML of an original: the XML itself, or the one a hybrid PDF embeds; None when it has none."""
    from belegflow_ocr.recognition.einvoice.parse import mentions_invoice_namespace
    from belegflow_ocr.recognition.einvoice.readers import EMBEDDED_NAMES, embedded_xml_files
    from belegflow_ocr.recognition.einvoice.xmlsafe import looks_like_xml

    if looks_like_xml(data):
        return data if mentions_invoice_namespace(data) else None
    for attachment in embedded_xml_files(data):
        if attachment.name.lower() in EMBEDDED_NAMES or mentions_invoice_namespace(attachment.data):
            return attachment.data
    return None
