"""Positioned words for extraction tests: text cells placed on a page the way a text layer or OCR returns them."""

from __future__ import annotations

from datetime import date

from belegflow_contracts.messages import InvoiceFieldsV1, InvoiceLineV1
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog, Word

A4 = [PageInfo(1, 595.0, 842.0)]
TODAY = date(2025, 1, 31)

Cell = tuple[float, float, str] | tuple[float, float, str, float]
"""(x, baseline y, text) or (x, baseline y, text, font size) in PDF points from the top-left corner."""


def page(*cells: Cell, page_no: int = 1, size: float = 9.0) -> list[Word]:
    """Words of text cells placed at (x, baseline y); each word as wide as its letters at this size."""
    words = []
    for cell in cells:
        x, y, text = cell[0], cell[1], cell[2]
        s = cell[3] if len(cell) == 4 else size
        for token in text.split():
            width = 0.55 * s * len(token)
            words.append(Word(token, page_no, (x, y - 0.8 * s, x + width, y + 0.25 * s), s))
            x += width + 0.28 * s
    return words


def centred(y: float, text: str, size: float, mid: float = 113.5) -> Cell:
    """A cell centred on ``mid`` (a till receipt's header)."""
    tokens = text.split()
    width = sum(0.55 * size * len(t) for t in tokens) + 0.28 * size * (len(tokens) - 1)
    return (mid - width / 2, y, text, size)


def extract(words: list[Word], pages: list[PageInfo] | None = None, *, today: date = TODAY
            ) -> tuple[InvoiceFieldsV1, list[InvoiceLineV1], ProtocolLog]:  # fmt: skip
    """Fields, lines and protocol of these words on these pages (one A4 page unless given)."""
    log = ProtocolLog()
    fields, lines = extract_fields(words, pages or A4, log, today=today)
    return fields, lines, log


def value(fields: InvoiceFieldsV1, name: str) -> object:
    field = getattr(fields, name)
    return None if field is None else field.value
