"""The desk's e-invoice view: the official XRechnung visualisation of an XML or of a hybrid PDF's XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from belegflow_ocr.recognition.einvoice.viewer import ViewerFolderError, stylesheets
from belegflow_ocr.recognition.einvoice.views import EInvoiceViews

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
VIEWER = SHARED / "tools" / "xrechnung-visualization"
CASES = SHARED / "corpora" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard"
HYBRID = SHARED / "corpora" / "real-layouts" / "invoices" / "VALENTINDML_facturx-cas-limites" / "OK-001_facture.pdf"
pytestmark = pytest.mark.skipif(not VIEWER.is_dir(), reason="../shared/tools is not beside the checkout")


async def test_an_xml_and_a_hybrid_pdf_are_shown_and_other_documents_are_not() -> None:
    views = EInvoiceViews(VIEWER)
    try:
        assert views.available
        # GIVEN an XRechnung in CII, WHEN it is shown in English THEN it is KoSIT's page with its values
        html = await views.render((CASES / "01.01a-INVOICE_uncefact.xml").read_bytes(), filename="x", language="en")
        assert html is not None
        assert "123456XX" in html
        # AND a Factur-X PDF is shown from the XML it embeds
        shown = await views.render(HYBRID.read_bytes(), filename="h")
        assert shown is not None
        assert "FA-2026-0001" in shown
        # AND a document without an e-invoice has no view
        assert await views.render(b"%PDF-1.4 not really", filename="p") is None
        assert await views.render(b"<note>hello</note>", filename="n") is None
    finally:
        views.close()


def test_a_folder_without_the_stylesheets_says_so(tmp_path: Path) -> None:
    with pytest.raises(ViewerFolderError, match="xrechnung-visualization"):
        stylesheets(tmp_path)
    views = EInvoiceViews(tmp_path)
    assert not views.available
    assert "holds no XRechnung visualisation" in views.why_not
    assert not EInvoiceViews(None).available
