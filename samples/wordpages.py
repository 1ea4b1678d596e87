"""Positioned words for extraction tests: text cells placed on a page the way a text layer or OCR returns them."""

from __future__ import annotations

from belegflow_ocr.recognition.model import Word

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
