"""Bad input gets a specific, structured, permanent error instead of a crash or an empty success."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfgen.canvas import Canvas

from belegflow_ocr.errors import (
    CorruptPdfError,
    EmptyDocumentError,
    EncryptedPdfError,
    PageSizeError,
    RecognitionError,
    TooManyPagesError,
    TruncatedPdfError,
    UnsupportedMediaTypeError,
)
from belegflow_ocr.recognition import (
    PdfLimits,
    PdfTextReader,
    RecognitionStatus,
    default_registry,
    extract_to_json,
)


def _pdf(*, pages: int = 1, size: tuple[float, float] = (595.0, 842.0), text: str | None = "Rechnung 1",
         **canvas_args: Any) -> bytes:  # fmt: skip
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=size, invariant=1, **canvas_args)
    for _ in range(pages):
        if text:
            canvas.drawString(50, size[1] - 50, text)
        else:
            canvas.rect(50, 50, 200, 100, fill=1)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def _recognize(data: bytes, **kwargs: Any) -> Any:
    return default_registry().recognize(data, filename="doc.pdf", **kwargs)


def test_encrypted_pdf_is_refused_as_encrypted() -> None:
    # GIVEN a PDF that needs a password to open
    data = _pdf(encrypt="geheim")
    # WHEN it is recognised THEN the error says it is encrypted, permanently
    with pytest.raises(EncryptedPdfError) as info:
        _recognize(data)
    assert info.value.permanent
    assert info.value.details()["error_type"] == "EncryptedPdfError"


def test_truncated_pdf_is_refused_as_truncated() -> None:
    # GIVEN the first half of a PDF (an interrupted upload)
    data = _pdf()
    # WHEN it is recognised THEN the error says truncated and how many bytes arrived
    with pytest.raises(TruncatedPdfError) as info:
        _recognize(data[: len(data) // 2])
    assert info.value.size == len(data) // 2
    assert isinstance(info.value, CorruptPdfError)


def test_pdf_with_damaged_body_is_refused_as_corrupt() -> None:
    # GIVEN a PDF header and end marker around garbage
    data = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    # WHEN it is recognised THEN the error says the PDF is damaged
    with pytest.raises(CorruptPdfError) as info:
        _recognize(data)
    assert not isinstance(info.value, TruncatedPdfError)


def test_not_a_pdf_has_no_reader() -> None:
    # GIVEN a text file named like a PDF
    # WHEN it is recognised THEN no reader accepts it and the error says so
    with pytest.raises(UnsupportedMediaTypeError) as info:
        _recognize(b"just some words, no document at all", media_type="application/pdf")
    assert info.value.permanent
    assert "no reader" in str(info.value)


def test_png_given_to_the_pdf_reader_is_corrupt_pdf() -> None:
    # GIVEN PNG bytes handed straight to the PDF reader
    with PdfTextReader() as reader, pytest.raises(CorruptPdfError):
        reader.read(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, filename="scan.png")


def test_empty_file_is_refused_as_empty(tmp_path: Path) -> None:
    # GIVEN a file of zero bytes
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    # WHEN it is extracted THEN the error says empty
    with pytest.raises(EmptyDocumentError):
        extract_to_json(path)


def test_absurd_page_size_is_refused() -> None:
    # GIVEN a page of 20 000 x 20 000 pt (7 m square)
    data = _pdf(size=(20_000.0, 20_000.0))
    # WHEN it is recognised THEN the error names the page and its size
    with pytest.raises(PageSizeError) as info:
        _recognize(data)
    assert info.value.page == 1
    assert info.value.width == pytest.approx(20_000.0)


def test_too_many_pages_are_refused() -> None:
    # GIVEN a three-page PDF and a reader limited to two pages
    data = _pdf(pages=3)
    # WHEN it is read THEN the error carries the count and the limit
    with PdfTextReader(PdfLimits(max_pages=2)) as reader, pytest.raises(TooManyPagesError) as info:
        reader.read(data, filename="long.pdf")
    assert (info.value.pages, info.value.limit) == (3, 2)


def test_pdf_without_text_layer_says_ocr_is_needed() -> None:
    # GIVEN a PDF with graphics only (like a scan)
    data = _pdf(text=None)
    # WHEN the text-layer reader reads it (the registry hands such a PDF to OCR: test_ocr_reader.py)
    with PdfTextReader() as reader:
        result = reader.read(data, filename="scan.pdf")
    # THEN the outcome is "no text layer", no field is filled and the protocol says OCR is needed
    assert result.status is RecognitionStatus.NO_TEXT_LAYER
    assert all(value is None for value in result.fields.model_dump().values())
    assert result.lines == []
    assert any("OCR needed" in e.message for e in result.protocol)


def test_every_recognition_error_carries_structured_fields() -> None:
    error = TooManyPagesError(filename="a.pdf", pages=900, limit=200)
    details = error.details()
    # THEN the fields are there as strings for the protocol and the DLQ
    assert details == {
        "filename": "a.pdf",
        "pages": "900",
        "limit": "200",
        "error_type": "TooManyPagesError",
        "permanent": "true",
    }
    assert isinstance(error, RecognitionError)
