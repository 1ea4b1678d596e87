"""What each service publishes: the subjects integrators subscribe to (export subjects, decisions, the lifecycle
events), with their message and stream. Each service's broker declares them, so its AsyncAPI document has a
``send`` operation for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    AccrualMovementV1,
    AccruedV1,
    ArchivedV1,
    DatevResultV1,
    DecisionV1,
    IngestedV1,
    MatchedV1,
    RecognitionCancelV1,
    RecognizedV1,
    TmsExportV1,
    TmsExportV2,
)
from belegflow_contracts.types import Contract


@dataclass(frozen=True, slots=True)
class Publish:
    subject: str
    """The subject with ``*`` for the tenant, as a subscriber filters it."""
    message: type[Contract]
    what: str

    @property
    def stream(self) -> subjects.StreamSpec:
        root = self.subject.split(".", 1)[0]
        return next(s for s in subjects.STREAMS if any(p.split(".", 1)[0] == root for p in s.subjects))

    @property
    def description(self) -> str:
        stream = self.stream
        return (f"{self.what} The tenant is the second token ({self.subject.replace('*', '<tenant>')}). "
                f"In the {stream.name} stream, kept {stream.max_age_days} days; every message carries Nats-Msg-Id "
                "(document, event, revision), so a repeated publish is no second message.")


_EXPORT = ("Published once per approved invoice revision; replay the EXPORT stream (deliver policy all) to read "
           "every one again.")

PUBLISHES: Final[dict[str, tuple[Publish, ...]]] = {
    "ingest": (
        Publish(subjects.ALL_INGESTED, IngestedV1,
                "Lifecycle: a document was received (upload, watched folder, e-mail, device) and its original "
                "stored, or a repeated recognition started a new revision."),
        Publish(subjects.ALL_RECOGNITION_CANCELS, RecognitionCancelV1,
                "Lifecycle: a person cancelled the recognition of a revision; it goes to manual capture."),
    ),
    "ocr": (
        Publish(subjects.ALL_RECOGNIZED, RecognizedV1,
                "Lifecycle: the fields and lines recognition read, each with its confidence and place."),
    ),
    "matching": (
        Publish(subjects.ALL_DECISIONS, DecisionV1,
                "Decision on a revision as it stands after each step: sent to review, approved (touchless or by "
                "whom), rejected."),
        Publish(subjects.ALL_MATCHED, MatchedV1,
                "Lifecycle: the supplier and company identified from master data, and the decision taken."),
    ),
    "accrual": (
        Publish(subjects.ALL_ACCRUED, AccruedV1, "Lifecycle: accruals assigned to the invoice, line by line."),
        Publish(subjects.ALL_ACCRUAL_EXPORTS, AccrualMovementV1,
                f"Export: which invoice line took which accrual, or none (movement data). {_EXPORT}"),
    ),
    "export": (
        Publish(subjects.ALL_TMS_EXPORTS, TmsExportV1, f"Export: the TMS transfer XML (version 1). {_EXPORT}"),
        Publish(subjects.ALL_TMS_EXPORTS_V2, TmsExportV2,
                f"Export: the TMS transfer XML (version 2, with the document type). {_EXPORT}"),
        Publish(subjects.ALL_ARCHIVED, ArchivedV1,
                f"Export: what the revision-safe archive took (its entries of the hash-chained index). {_EXPORT}"),
        Publish(subjects.ALL_DATEV_EXPORTS, DatevResultV1,
                "Export: what a DATEV run did with an invoice (booked in a batch, or left out and why)."),
    ),
}
