"""Four eyes with limits: whose approval is final, whose is the first of two, and who may not approve at all.

In a tenant where some user has an approval limit (``belegflow users limit NAME --approval-limit T=AMOUNT``):
within your limit (gross, as an absolute amount) your approval is final; above it your approval is recorded as
the first one and the invoice waits for a second person whose limit covers it; nobody approves an invoice they
corrected (changed a value or chose the supplier of) in its current revision. A tenant where nobody has a limit
approves as before (matching's own four-eyes amount still applies). Matching decides the approval itself; this
is the gate in front of it, for the desk and the API alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from belegflow_contracts.messages import Level, ProtocolEntryV1
from belegflow_ingest import store

if TYPE_CHECKING:
    from uuid import UUID

    from belegflow_contracts.runtime.db import Connection

STEP: Final = "desk"
_EDITS: Final = frozenset({"correct", "choose_supplier"})
_OPENS: Final = frozenset({"review", "touchless"})


class Verdict(StrEnum):
    FINAL = "final"
    """Send the approval to matching."""
    FIRST = "first"
    """Record it as the first approval; the invoice waits for a second person."""


class ApprovalRefusedError(Exception):
    """An approval the rules refuse: ``own-correction`` or ``approved-already``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    gross: Decimal | None
    limit: Decimal | None
    first: tuple[str, ...] = ()
    """Who approved first (before a final approval above the first approver's limit)."""


def user_of(principal_name: str) -> str | None:
    """The local user behind a principal (``user:anna`` → ``anna``); API keys and OIDC subjects have no limit."""
    kind, _, name = principal_name.partition(":")
    return name if kind == "user" and name else None


def editors(protocol: list[dict[str, Any]]) -> frozenset[str]:
    """Who changed the current revision in review: corrected a value or chose the supplier, since it opened."""
    found: set[str] = set()
    for entry in protocol:
        action = str((entry.get("data") or {}).get("action", ""))
        if entry["step"] != "matching":
            continue
        if action in _OPENS:
            found.clear()
        elif action in _EDITS:
            found.add(str(entry["data"].get("by", "")))
    return frozenset(found)


def decide(*, by: str, gross: Decimal | None, limit: Decimal | None, edited_by: frozenset[str],
           first: tuple[str, ...]) -> Decision:
    """The rules, without I/O (limits in force): ``ApprovalRefusedError`` for an approval nobody may give."""
    if by in edited_by:
        raise ApprovalRefusedError("own-correction", f"{by} corrected this invoice: someone who did not must approve "
                                                     "it (four eyes)")
    if gross is None:
        return Decision(Verdict.FINAL, gross, limit, tuple(first))  # matching refuses it as incomplete
    allowed = limit if limit is not None else Decimal(0)
    if abs(gross) <= allowed:
        return Decision(Verdict.FINAL, gross, limit, tuple(first))
    if by in first:
        raise ApprovalRefusedError("approved-already", f"{by} gave the first approval already: gross {gross} is "
                                                       f"above {by}'s limit of {allowed}, so a second person whose "
                                                       "limit covers it must approve")
    return Decision(Verdict.FIRST, gross, limit, tuple(first))


def _gross(review: dict[str, Any]) -> Decimal | None:
    raw = (review.get("invoice") or {}).get("gross_amount")
    try:
        return Decimal(str(raw)) if raw not in (None, "") else None
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class Held:
    """A first approval recorded: the review version it belongs to, and what it needs now."""

    revision: int
    version: int
    detail: str


async def gate(conn: Connection, document_id: UUID, tenant: str, expected_version: int, *, by: str
               ) -> Decision | Held | None:
    """Apply the rules to an approval: ``None`` (no limits in the tenant, or not an open review of that version:
    matching answers), ``Held`` (recorded as the first approval), or the final ``Decision``."""
    if not await store.limits_in_force(conn, tenant):
        return None
    doc = await store.get_document(conn, document_id)
    review = (doc or {}).get("review") or {}
    if doc is None or doc["tenant"] != tenant or review.get("state") != "review" or \
            review.get("version") != expected_version:
        return None
    user = user_of(by)
    limit = await store.approval_limit(conn, user, tenant) if user else None
    revision, version = int(doc["revision"]), int(review["version"])
    first = tuple(await store.first_approvals(conn, document_id, revision, version))
    decision = decide(by=by, gross=_gross(review), limit=limit, edited_by=editors(doc["protocol"]), first=first)
    if decision.verdict is Verdict.FINAL:
        return decision
    gross = decision.gross or Decimal(0)
    allowed = limit if limit is not None else Decimal(0)
    detail = (f"first approval by {by}: gross {gross} is above {by}'s limit of {allowed}; a second person whose "
              "limit covers it must approve")
    entry = ProtocolEntryV1(step=STEP, at=datetime.now(UTC), level=Level.INFO, message=detail, data={
        "action": "first-approval", "by": by, "version": str(version), "gross": str(gross), "limit": str(allowed)})
    await store.add_first_approval(conn, document_id, revision, version, by, gross, entry)
    return Held(revision=revision, version=version, detail=detail)


def final_reason(decision: Decision, reason: str) -> str:
    """The approval's reason as matching records it: who approved first, where someone did."""
    if not decision.first:
        return reason
    note = f"second approval, after the first by {', '.join(decision.first)}"
    return f"{reason} ({note})"[:500] if reason else note


__all__ = ["ApprovalRefusedError", "Decision", "Held", "Verdict", "decide", "editors", "final_reason", "gate",
           "user_of"]
