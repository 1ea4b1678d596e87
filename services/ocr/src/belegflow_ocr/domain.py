"""Pure decisions of the ocr service: which reader reads a document, and what it read."""

from __future__ import annotations

from belegflow_ocr.recognition import (
    ReaderRegistry,
    Recognition,
    default_registry,
    extract_to_json,
    recognition_to_json,
)

_REGISTRY = default_registry()


def recognize(
    data: bytes, *, filename: str, media_type: str | None = None, registry: ReaderRegistry | None = None
) -> Recognition:
    """Recognises a document's bytes with the best reader; raises a ``RecognitionError`` for bad input."""
    return (registry or _REGISTRY).recognize(data, filename=filename, media_type=media_type)


__all__ = ["extract_to_json", "recognition_to_json", "recognize"]
