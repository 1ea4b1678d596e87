"""Recognises one file and returns its fields, lines and protocol as plain JSON (for the CLI)."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from belegflow_ocr.recognition.model import Recognition
from belegflow_ocr.recognition.registry import ReaderRegistry, default_registry


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def recognition_to_json(recognition: Recognition, *, file: str, sha256: str) -> dict[str, Any]:
    """``{"file", "sha256", "reader", "fields", "lines", "protocol"}``; a field not found is ``null``.

    Where an e-invoice reader read the document, ``einvoice`` holds its full model as well.
    """
    fields: dict[str, object] = {}
    for name in type(recognition.fields).model_fields:
        field = getattr(recognition.fields, name)
        fields[name] = (
            None
            if field is None
            else {
                "value": _plain(field.value),
                "confidence": field.confidence,
                "page": field.page,
                "bbox": list(field.bbox) if field.bbox is not None else None,
            }
        )
    return {
        "file": file,
        "sha256": sha256,
        "reader": recognition.reader,
        "fields": fields,
        "lines": [line.model_dump(mode="json") for line in recognition.lines],
        "protocol": [entry.model_dump(mode="json") for entry in recognition.protocol],
        **({"einvoice": recognition.einvoice} if recognition.einvoice is not None else {}),
        **({"einvoice_check": recognition.einvoice_check.model_dump(mode="json")}
           if recognition.einvoice_check is not None else {}),
    }


def extract_to_json(path: str | Path, *, registry: ReaderRegistry | None = None) -> dict[str, Any]:
    """Reads ``path``, recognises it with the best reader, and returns the JSON-ready result.

    Raises a ``RecognitionError`` subclass for input no reader can read (empty, encrypted, damaged ...).
    """
    file = Path(path)
    data = file.read_bytes()
    recognition = (registry or default_registry()).recognize(data, filename=file.name)
    return recognition_to_json(recognition, file=str(path), sha256=hashlib.sha256(data).hexdigest())
