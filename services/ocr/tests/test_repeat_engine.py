"""A repeated recognition may name the OCR engine: the worker reads the scan with that engine."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pytest

from belegflow_ocr.worker import RecognitionPool

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "invoices" / "invoice-01-din.pdf"


@pytest.fixture(scope="module")
def scan() -> bytes:
    """The sample invoice as a 200 dpi PNG, as a scanner would deliver it (no text layer)."""
    page = pdfium.PdfDocument(str(SAMPLE))[0]
    buf = io.BytesIO()
    page.render(scale=200 / 72).to_pil().save(buf, format="PNG")
    return buf.getvalue()


def engines_named(protocol: list[str]) -> list[str]:
    return [m.split("ocr: engine ", 1)[1].split(" ", 1)[0] for m in protocol if m.startswith("ocr: engine ")]


async def test_the_engine_a_repeat_names_reads_the_scan(scan: bytes) -> None:
    pool = RecognitionPool(workers=1, timeout_s=300, memory_mb=4096)
    try:
        result = await pool.recognize(scan, filename="scan.png", media_type="image/png", ocr_engine="tesseract",
                                      job="doc:r2")
    finally:
        pool.close()
    assert engines_named([e.message for e in result.protocol]) == ["tesseract"]
    assert result.fields.invoice_number is not None
    assert result.fields.invoice_number.value == "RE-24-08133"
