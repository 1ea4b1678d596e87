"""The registry picks the reader with the best score and cleans up after it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from belegflow_contracts.messages import InvoiceFieldsV1
from belegflow_ocr.errors import UnsupportedMediaTypeError
from belegflow_ocr.recognition import (
    BaseReader,
    PdfTextReader,
    Reader,
    ReaderRegistry,
    Recognition,
    RecognitionStatus,
)

WORKDIRS: list[Path] = []


class XmlReader(BaseReader):
    name = "xml-test"

    def score(self, data: bytes, media_type: str) -> int:
        return 90 if media_type in ("application/pdf", "application/xml") else 0

    def read(self, data: bytes, *, filename: str) -> Recognition:
        (self.workdir / "scratch").write_bytes(data)
        WORKDIRS.append(self.workdir)
        return Recognition(self.name, RecognitionStatus.RECOGNIZED, InvoiceFieldsV1(), [], [], [], "")


def test_readers_satisfy_the_protocol() -> None:
    assert isinstance(PdfTextReader(), Reader)
    assert isinstance(XmlReader(), Reader)


def test_highest_score_wins_and_the_protocol_says_why(generated: list[tuple[Path, Any]]) -> None:
    # GIVEN a registry with the PDF reader (50) and a reader scoring 90 for PDFs
    registry = ReaderRegistry([PdfTextReader, XmlReader])
    data = generated[0][0].read_bytes()
    # WHEN a PDF is recognised
    result = registry.recognize(data, filename="a.pdf")
    # THEN the better reader read it, the protocol names both scores, and its temp dir is gone
    assert result.reader == "xml-test"
    assert "xml-test chosen" in result.protocol[0].message
    assert "pdf-text 50" in result.protocol[0].message
    assert WORKDIRS
    assert not WORKDIRS[-1].exists()


def test_type_is_sniffed_from_bytes_not_taken_from_the_caller(generated: list[tuple[Path, Any]]) -> None:
    # GIVEN a PDF declared as an image
    data = generated[0][0].read_bytes()
    # WHEN it is recognised THEN the PDF reader reads it anyway
    result = ReaderRegistry([PdfTextReader]).recognize(data, filename="a.jpg", media_type="image/jpeg")
    assert result.reader == "pdf-text"
    assert result.protocol[0].data["sniffed"] == "application/pdf"


def test_no_reader_for_the_type_is_an_error() -> None:
    # GIVEN a PNG and only the PDF reader
    with pytest.raises(UnsupportedMediaTypeError) as info:
        ReaderRegistry([PdfTextReader]).recognize(b"\x89PNG\r\n\x1a\n" + b"\0" * 32, filename="scan.png")
    assert info.value.media_type == "image/png"


def test_reader_cleans_its_temp_dir_even_when_reading_fails() -> None:
    # GIVEN a reader that has created its temp dir
    reader = XmlReader()
    workdir = reader.workdir

    def fail() -> None:
        with reader:
            raise RuntimeError("boom")

    # WHEN reading fails inside the context THEN the temp dir is removed all the same
    with pytest.raises(RuntimeError):
        fail()
    assert not workdir.exists()


def test_a_pdfs_text_layer_is_read_once_per_recognition(generated: list[tuple[Path, Any]],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the default readers (choosing between text layer and OCR reads the text layer) and a born-digital PDF
    from belegflow_ocr.recognition import pdftext
    from belegflow_ocr.recognition.registry import default_registry

    reads: list[int] = []
    real = pdftext._read_text_layer

    def counted(data: bytes, *, filename: str, limits: pdftext.PdfLimits) -> pdftext.TextLayer:
        reads.append(len(data))
        return real(data, filename=filename, limits=limits)

    monkeypatch.setattr(pdftext, "_read_text_layer", counted)
    data = generated[0][0].read_bytes()
    registry = default_registry()
    # WHEN it is recognised twice
    first = registry.recognize(data, filename="a.pdf")
    assert reads == [len(data)]
    second = registry.recognize(data, filename="a.pdf")
    # THEN each recognition read the layer once, and both read the same fields (nothing is kept in between)
    assert reads == [len(data), len(data)]
    assert first.reader == second.reader == "pdf-text"
    assert first.fields == second.fields
    # AND outside a recognition nothing is kept: two reads are two reads
    pdftext.read_text_layer(data, filename="a.pdf")
    pdftext.read_text_layer(data, filename="a.pdf")
    assert len(reads) == 4
