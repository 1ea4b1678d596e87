"""Pure decisions of the ocr service: which reader reads a document, and what it read."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from belegflow_contracts.messages import (
    DocumentReferenceV1,
    InvoiceFieldsV1,
    Level,
    ProtocolEntryV1,
    RecognitionCancelV1,
)
from belegflow_ocr.recognition import (
    PageInfo,
    ReaderRegistry,
    Recognition,
    default_registry,
    extract_to_json,
    recognition_to_json,
)
from belegflow_ocr.recognition.model import Word

_REGISTRY = default_registry()


def recognize(
    data: bytes, *, filename: str, media_type: str | None = None, registry: ReaderRegistry | None = None,
    ocr_engine: str | None = None,
) -> Recognition:
    """Recognises a document's bytes with the best reader; raises a ``RecognitionError`` for bad input.

    ``ocr_engine`` (from a repeated recognition) asks for one OCR engine instead of the default choice.
    """
    if registry is None:
        registry = _REGISTRY if ocr_engine is None else _registry_for(ocr_engine)
    return registry.recognize(data, filename=filename, media_type=media_type)


@cache
def _registry_for(ocr_engine: str) -> ReaderRegistry:
    """The readers with the OCR engine a repeated recognition asked for (one registry per engine and process)."""
    return default_registry(ocr_engine=ocr_engine)


# --- cancelled recognition: manual capture -------------------------------------------------------

MANUAL_READER = "manual"


def cancelled_work_product(
    cancel: RecognitionCancelV1, *, found: Recognition | None, stage: str, at: datetime
) -> dict[str, object]:
    """The work product of a cancelled recognition: what was found so far (maybe nothing), for manual capture.

    ``stage`` says where the cancel met the recognition (not started, stopped while running, finished).
    """
    reason = f"recognition cancelled: {cancel.reason}"
    product: dict[str, object]
    if found is None:
        product = {"reader": MANUAL_READER, "pages": [], "fields": InvoiceFieldsV1().model_dump(mode="json"),
                   "lines": [], "protocol": [], "words": [], "text": ""}
    else:
        product = found.work_product()
    earlier = product.get("protocol")
    entry = ProtocolEntryV1(
        step="ocr", at=at, level=Level.WARNING,
        message=f"{reason} (requested by {cancel.requested_by}; {stage}) - the document goes to manual capture",
        data={"requested_by": cancel.requested_by, "reason": cancel.reason, "stage": stage,
              "revision": str(cancel.revision)},
    )
    return {**product, "status": "cancelled", "manual": True, "manual_reason": reason,
            "protocol": [*(earlier if isinstance(earlier, list) else []), entry.model_dump(mode="json")]}


__all__ = ["MANUAL_READER", "cancelled_work_product", "extract_to_json", "pages_of", "recognition_to_json", "recognize",
           "words_of"]


# --- header references -----------------------------------------------------------------------------

# business terms of an e-invoice that name what the whole invoice is for (accrual assignment uses them)
_HEADER_REFERENCE_TERMS = (("BT-13", "order_reference"), ("BT-18", "object_identifier"))


# the header references read from a PDF's or a scan's words (``recognition.references``)
_READ_REFERENCE_TERMS = (("BT-13", "order_reference"), ("BT-14", "sales_order_reference"),
                         ("BT-10", "buyer_reference"), ("shipment", "shipment_reference"))  # fmt: skip


def header_references(product: dict[str, object]) -> list[DocumentReferenceV1]:
    """The invoice's header references from a work product: an e-invoice's BT-13 and BT-18; for a PDF or a
    scan the references its header prints (purchase order, the seller's order, the buyer's reference, the
    shipment)."""
    einvoice = product.get("einvoice")
    if isinstance(einvoice, dict):
        pairs = [(term, einvoice.get(key)) for term, key in _HEADER_REFERENCE_TERMS]
    else:
        fields = product.get("fields")
        fields = fields if isinstance(fields, dict) else {}
        pairs = [(term, f.get("value") if isinstance(f := fields.get(key), dict) else None)
                 for term, key in _READ_REFERENCE_TERMS]  # fmt: skip
    found: list[DocumentReferenceV1] = []
    for term, value in pairs:
        if isinstance(value, str) and value.strip():
            ref = DocumentReferenceV1(term=term, value=value.strip()[:200])
            if ref not in found:
                found.append(ref)
    return found


# --- positioned words of a work product (what learning reads) --------------------------------------


def words_of(product: dict[str, object]) -> list[Word]:
    """The positioned words a work product kept; none for an e-invoice or a cancelled recognition."""
    raw = product.get("words")
    words = []
    for w in raw if isinstance(raw, list) else []:
        box = w["bbox"]
        words.append(Word(text=str(w["text"]), page=int(w["page"]), bbox=(float(box[0]), float(box[1]),
                          float(box[2]), float(box[3])), size=float(w.get("size") or 0.0),
                          confidence=float(w["confidence"]) if w.get("confidence") is not None else None))
    return words


def pages_of(product: dict[str, object]) -> list[PageInfo]:
    raw = product.get("pages")
    return [PageInfo(number=int(p["number"]), width=float(p["width"]), height=float(p["height"]))
            for p in (raw if isinstance(raw, list) else [])]
