"""Ingest's pure decisions: what a byte string is, whether it is admitted, how a document's status moves."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from belegflow_contracts.media import sniff
from belegflow_contracts.messages import OCR_ENGINES, MediaType
from belegflow_contracts.runtime.errors import BelegflowError
from belegflow_contracts.types import normalize_tenant
from belegflow_ingest.errors import (
    AdmissionError,
    EmptyDocumentError,
    InvalidTenantError,
    TooLargeError,
    UnsupportedTypeError,
)

_SUFFIX = {
    MediaType.PDF: ".pdf",
    MediaType.PNG: ".png",
    MediaType.JPEG: ".jpg",
    MediaType.TIFF: ".tif",
    MediaType.XML: ".xml",
}


def suffix_for(media_type: MediaType) -> str:
    return _SUFFIX[media_type]


@dataclass(frozen=True, slots=True)
class Admission:
    tenant: str
    media_type: MediaType


def admit(tenant: str, data: bytes, *, limit: int) -> Admission:
    """Decide whether a document enters the pipeline; raise the specific reason when not."""
    try:
        tenant = normalize_tenant(tenant)
    except ValueError as exc:
        raise InvalidTenantError(str(exc)) from exc
    if not data:
        raise EmptyDocumentError("document is empty (0 bytes)")
    if len(data) > limit:
        raise TooLargeError(size=len(data), limit=limit)
    media_type = sniff(data)
    if media_type is None:
        raise UnsupportedTypeError(
            "unsupported document type: the content is not PDF, PNG, JPEG, TIFF or e-invoice XML"
        )
    if media_type is MediaType.PDF and b"%%EOF" not in data[-2048:]:
        raise AdmissionError("PDF is truncated: no end-of-file marker (%%EOF)")
    return Admission(tenant=tenant, media_type=media_type)


class Status(StrEnum):
    """A document's lifecycle; it only moves forward (events may arrive out of order)."""

    INGESTED = "ingested"
    RECOGNIZED = "recognized"
    REVIEW = "review"
    """Waiting for a person (matching's decision); nothing is exported before an approval."""
    APPROVED = "approved"
    MATCHED = "matched"
    ACCRUED = "accrued"
    EXPORTED = "exported"
    FAILED = "failed"
    REJECTED = "rejected"
    """A person rejected it; it is never exported."""


_RANK = {
    Status.INGESTED: 0,
    Status.RECOGNIZED: 1,
    Status.REVIEW: 2,
    Status.APPROVED: 3,
    Status.MATCHED: 4,
    Status.ACCRUED: 5,
    Status.EXPORTED: 6,
    Status.FAILED: 7,
    Status.REJECTED: 8,
}
_FINAL = frozenset({Status.EXPORTED, Status.REJECTED})


def advance(current: Status, event: Status) -> Status:
    """The status after ``event``: later steps win, a failure wins only over unfinished work."""
    if current in _FINAL:
        return current
    return event if _RANK[event] > _RANK[current] else current


# --- recognition control: repeat and cancel ------------------------------------------------------


class RecognitionRequestError(BelegflowError):
    """A repeat or cancel that cannot be done; ``status_code`` and ``code`` are what the API answers."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


def check_engine(engine: str | None) -> str | None:
    """The OCR engine a repeat asks for (``None``: ocr chooses); an unknown name is refused."""
    if engine is None:
        return None
    name = engine.strip().lower()
    if name not in OCR_ENGINES:
        raise RecognitionRequestError(
            400, "unknown-engine", f"unknown OCR engine {engine!r}: use one of {', '.join(OCR_ENGINES)} or null"
        )
    return name


def repeat_revision(status: Status, revision: int) -> int:
    """The revision a repeated recognition starts; refused while the current one is still being recognised."""
    if status is Status.INGESTED:
        raise RecognitionRequestError(
            409, "recognition-running",
            f"recognition of revision {revision} has not finished yet: cancel it first, or repeat it once it is done",
        )
    return revision + 1


def check_cancel(status: Status, revision: int, *, already_cancelled: bool) -> None:
    """A cancel stops only a recognition that has not finished, and only once per revision."""
    if status is not Status.INGESTED:
        raise RecognitionRequestError(
            409, "recognition-finished",
            f"recognition of revision {revision} has already finished (status {status.value}): nothing to cancel; "
            "repeat it instead",
        )
    if already_cancelled:
        raise RecognitionRequestError(
            409, "already-cancelled",
            f"cancel of the recognition of revision {revision} was requested already; it is being stopped",
        )


def dead_letter_revision(payload_b64: str) -> int | None:
    """The revision of the pipeline event a dead letter carries (``None`` when it names none)."""
    try:
        data = json.loads(base64.b64decode(payload_b64, validate=True))
    except ValueError:
        return None
    revision = data.get("revision") if isinstance(data, dict) else None
    return revision if isinstance(revision, int) and not isinstance(revision, bool) and revision >= 1 else None


# What a review step's ``action`` (matching's protocol data) means in the audit trail.
_AUDIT_ACTIONS: Final = {"touchless": "approved", "approve": "approved", "correct": "corrected",
                         "choose_supplier": "corrected", "reject": "rejected", "review": "sent to review"}


def audit_trail(protocol: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every change of a document, in order, from its protocol: received, recognised, corrected, approved,
    rejected, exported, archived (with the hash chain's entries), booked in DATEV or left out."""
    trail: list[dict[str, Any]] = []
    recognised: set[str] = set()
    for entry in protocol:
        step, data = entry["step"], entry.get("data") or {}
        event: str | None = None
        if step == "ingest" and not trail:
            event = "received"
        elif step == "ocr" and str(data.get("revision", "1")) not in recognised:
            recognised.add(str(data.get("revision", "1")))
            event = "recognised"
        elif step == "matching" and data.get("action"):
            event = _AUDIT_ACTIONS.get(str(data["action"]))
        elif step == "desk" and data.get("action") == "first-approval":
            event = "first approval"  # above the approver's limit: a second person must approve
        elif step == "export":
            event = "exported"
        elif step == "archive":
            event = "archived"
        elif step == "datev":
            event = "booked in DATEV" if entry.get("level") == "info" else "not booked in DATEV"
        if event is not None:
            trail.append({"event": event, "at": entry["at"], "by": data.get("by") or data.get("approved_by") or step,
                          "message": entry["message"], "data": data})
    return trail
