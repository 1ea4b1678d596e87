"""Typed results of recognition: positioned words, pages and the ``Recognition`` a reader returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from belegflow_contracts.messages import EInvoiceCheckV1, InvoiceFieldsV1, InvoiceLineV1, Level, ProtocolEntryV1

BBox = tuple[float, float, float, float]
"""x0, y0, x1, y1 in PDF points from the page's top-left corner (as in the contracts)."""

STEP = "ocr"


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    page: int
    bbox: BBox
    size: float = 0.0
    """Font size in points; the letterhead is told apart from body text by it."""
    confidence: float | None = None
    """How sure the OCR engine was of this word (0..1); None for a text layer, which is exact."""

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"text": self.text, "page": self.page, "bbox": list(self.bbox),
                                   "size": round(self.size, 2)}
        if self.confidence is not None:
            data["confidence"] = round(self.confidence, 3)
        return data


@dataclass(frozen=True, slots=True)
class PageInfo:
    number: int
    width: float
    height: float


class RecognitionStatus(StrEnum):
    RECOGNIZED = "recognized"
    NO_TEXT_LAYER = "no_text_layer"
    """Nothing readable without OCR; fields stay empty until an OCR engine reads the page images."""


@dataclass(frozen=True, slots=True)
class Recognition:
    reader: str
    status: RecognitionStatus
    fields: InvoiceFieldsV1
    lines: list[InvoiceLineV1]
    protocol: list[ProtocolEntryV1]
    words: list[Word]
    text: str
    pages: list[PageInfo] = field(default_factory=list)
    einvoice: dict[str, Any] | None = None
    """The full e-invoice model (``EInvoice.to_json()``) where an e-invoice reader read the document."""
    einvoice_check: EInvoiceCheckV1 | None = None
    """Its validation verdict (and, for a hybrid PDF, its picture against its XML)."""

    def work_product(self) -> dict[str, object]:
        """Everything recognition saw, JSON-ready, for the work product stored beside the original."""
        return {
            "reader": self.reader,
            "status": str(self.status),
            "pages": [{"number": p.number, "width": p.width, "height": p.height} for p in self.pages],
            "fields": self.fields.model_dump(mode="json"),
            "lines": [line.model_dump(mode="json") for line in self.lines],
            "protocol": [entry.model_dump(mode="json") for entry in self.protocol],
            "words": [w.to_json() for w in self.words],
            "text": self.text,
            **({"einvoice": self.einvoice} if self.einvoice is not None else {}),
            **({"einvoice_check": self.einvoice_check.model_dump(mode="json")} if self.einvoice_check else {}),
        }


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class ProtocolLog:
    """Collects this step's protocol entries in the order decisions were taken."""

    clock: Callable[[], datetime] = _now
    entries: list[ProtocolEntryV1] = field(default_factory=list)
    step: str = STEP
    """The protocol section the entries go to (the e-invoice validation has its own)."""

    def add(self, level: Level, message: str, **data: object) -> None:
        values = {k: "" if v is None else str(v) for k, v in data.items()}
        self.entries.append(ProtocolEntryV1(step=self.step, at=self.clock(), level=level, message=message,
                                            data=values))

    def info(self, message: str, **data: object) -> None:
        self.add(Level.INFO, message, **data)

    def warning(self, message: str, **data: object) -> None:
        self.add(Level.WARNING, message, **data)

    def error(self, message: str, **data: object) -> None:
        self.add(Level.ERROR, message, **data)
