"""Matching's pure review decisions: a revision opened for review or approved, and each step a person takes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from belegflow_contracts.messages import (
    ChangeV1,
    Decision,
    DecisionV1,
    Level,
    MatchedV1,
    MatchKey,
    ProtocolEntryV1,
    ReviewAction,
    ReviewCommandV1,
    ReviewState,
    SupplierMatchV1,
)
from belegflow_matching.domain import STEP, SupplierRecord, _as_match
from belegflow_matching.errors import ReviewRefusedError

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from belegflow_contracts.messages import InvoiceV1
    from belegflow_contracts.types import ObjectRef

AUTOMATIC: Final = "matching"


@dataclass(frozen=True, slots=True)
class Review:
    """The decision on one revision as matching keeps it."""

    document_id: UUID
    revision: int
    tenant: str
    state: ReviewState
    version: int
    original: ObjectRef
    invoice: InvoiceV1
    supplier: SupplierMatchV1 | None
    reasons: tuple[str, ...]
    duplicate_of: UUID | None = None
    editors: tuple[str, ...] = ()
    """Who changed the invoice in review (corrected values or chose the supplier)."""


@dataclass(frozen=True, slots=True)
class Step:
    """What a step produced: the review as it now stands, its event, and the match to pass on when approved."""

    review: Review
    event: DecisionV1
    matched: MatchedV1 | None


def _event(review: Review, *, action: str, by: str, at: datetime, reason: str, changes: list[ChangeV1],
           message: str, level: Level = Level.INFO) -> DecisionV1:
    data = {"state": review.state.value, "version": str(review.version), "action": action, "by": by}
    if reason:
        data["reason"] = reason
    for change in changes:
        data[f"{change.field}.old"] = change.old or ""
        data[f"{change.field}.new"] = change.new or ""
    return DecisionV1(
        document_id=review.document_id, tenant=review.tenant, revision=review.revision, original=review.original,
        protocol=[ProtocolEntryV1(step=STEP, at=at, level=level, message=message, data=data)],
        state=review.state, version=review.version, action=action, by=by, at=at, reason=reason,
        reasons=list(review.reasons), changes=changes, invoice=review.invoice, supplier=review.supplier,
        duplicate_of=review.duplicate_of,
    )


def _approved_match(review: Review, decision: Decision, protocol: list[ProtocolEntryV1]) -> MatchedV1:
    return MatchedV1(
        document_id=review.document_id, tenant=review.tenant, revision=review.revision, original=review.original,
        protocol=protocol, invoice=review.invoice, supplier=review.supplier, decision=decision,
        reasons=list(review.reasons),
    )


def open_review(matched: MatchedV1, *, duplicate_of: UUID | None, at: datetime, reject: str | None = None) -> Step:
    """A freshly matched revision: touchless ones are approved at once and go on; the rest wait for a person.

    ``reject`` rejects it at once with that reason (a tenant that refuses invalid e-invoices).
    """
    if reject is not None:
        review = Review(
            document_id=matched.document_id, revision=matched.revision, tenant=matched.tenant,
            state=ReviewState.REJECTED, version=1, original=matched.original, invoice=matched.invoice,
            supplier=matched.supplier, reasons=tuple(matched.reasons), duplicate_of=duplicate_of,
        )
        event = _event(review, action="reject", by=AUTOMATIC, at=at, reason=reject, changes=[], level=Level.WARNING,
                       message=f"rejected automatically: {reject}")
        return Step(review=review, event=event, matched=None)
    touchless = matched.decision is Decision.TOUCHLESS
    review = Review(
        document_id=matched.document_id, revision=matched.revision, tenant=matched.tenant,
        state=ReviewState.APPROVED if touchless else ReviewState.REVIEW, version=1, original=matched.original,
        invoice=matched.invoice, supplier=matched.supplier, reasons=tuple(matched.reasons),
        duplicate_of=duplicate_of,
    )
    if touchless:
        event = _event(review, action="touchless", by=AUTOMATIC, at=at, reason="", changes=[],
                       message="approved automatically (touchless)")
        return Step(review=review, event=event, matched=matched)
    event = _event(review, action="review", by=AUTOMATIC, at=at, reason="", changes=[], level=Level.WARNING,
                   message="waiting for review: " + "; ".join(review.reasons))
    return Step(review=review, event=event, matched=None)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):  # the line table, line by line as the audit trail shows it
        return "; ".join(f"{line.position}: {line.description} {_text(line.net_amount) or ''}"
                         + (f" [{line.reference_text}]" if line.reference_text else "") for line in value)[:2000]
    if isinstance(value, date):
        return value.isoformat()
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _check_open(review: Review, command: ReviewCommandV1) -> None:
    if review.state is not ReviewState.REVIEW:
        raise ReviewRefusedError(
            "not-in-review", f"revision {review.revision} is {review.state.value} already; nothing to {command.action}"
        )
    if command.expected_version != review.version:
        raise ReviewRefusedError(
            "stale-version",
            f"the review changed since version {command.expected_version} (now version {review.version}): "
            "reload and try again",
        )


_BOOKING: Final = ("gl_account", "cost_center", "tax_key")


def _correct(review: Review, command: ReviewCommandV1, *, companies: frozenset[str]
             ) -> tuple[InvoiceV1, SupplierMatchV1 | None, list[ChangeV1]]:
    correction = command.correction
    if correction is None:
        raise ReviewRefusedError("invalid", "a correction needs at least one value", field="correction")
    given = correction.model_dump(exclude_none=True)
    if not given:
        raise ReviewRefusedError("invalid", "a correction needs at least one value", field="correction")
    booking: dict[str, Any] = {name: given.pop(name) for name in _BOOKING if name in given}
    supplier = review.supplier
    changes: list[ChangeV1] = []
    if booking:
        if supplier is None:
            field = next(iter(booking))
            raise ReviewRefusedError("invalid", f"{field} belongs to the supplier's booking: choose the supplier "
                                                "first", field=field)
        changes += [ChangeV1(field=name, old=getattr(supplier, name), new=value)
                    for name, value in booking.items() if getattr(supplier, name) != value]
        supplier = supplier.model_copy(update=booking)
    company = given.get("recipient_company")
    if company is not None and company not in companies:
        raise ReviewRefusedError("invalid", f"company {company} is not one of the tenant's companies",
                                 field="recipient_company")
    if correction.lines is not None:
        given["lines"] = list(correction.lines)  # the models, not their dumps
    invoice = review.invoice.model_copy(update=given)
    if invoice.due_date is not None and invoice.invoice_date is not None and invoice.due_date < invoice.invoice_date:
        raise ReviewRefusedError(
            "invalid", f"due date {invoice.due_date} is before the invoice date {invoice.invoice_date}",
            field="due_date",
        )
    changes += [ChangeV1(field=name, old=_text(getattr(review.invoice, name)), new=_text(value))
                for name, value in given.items() if getattr(review.invoice, name) != value]
    return invoice, supplier, changes


def _check_complete(review: Review) -> None:
    """What a booking needs; an approval without it is refused, naming the first missing value."""
    invoice = review.invoice
    required: dict[str, object] = {
        "supplier": review.supplier, "invoice_number": invoice.invoice_number,
        "invoice_date": invoice.invoice_date, "gross_amount": invoice.gross_amount,
    }
    for name, value in required.items():
        if value is None:
            raise ReviewRefusedError("incomplete", f"{name} is missing: correct it before approving", field=name)
    net, tax, gross = invoice.net_amount, invoice.tax_amount, invoice.gross_amount
    if net is not None and tax is not None and gross is not None and net + tax != gross:
        raise ReviewRefusedError(
            "invalid", f"net {net} + tax {tax} = {net + tax}, not gross {gross}: correct the amounts",
            field="gross_amount",
        )


def apply_step(review: Review, command: ReviewCommandV1, *, chosen: SupplierRecord | None = None,
               companies: frozenset[str] = frozenset(), four_eyes_above: Decimal | None = None) -> Step:
    """One step a person takes on a revision in review; ``ReviewRefusedError`` when it breaks a rule.

    ``chosen`` is the master-data supplier ``command.supplier_number`` names (``None``: not found);
    ``companies`` the tenant's company numbers. Above ``four_eyes_above`` (gross), who changed the invoice may
    not approve it.
    """
    _check_open(review, command)
    by, at, reason = command.by, command.at, command.reason.strip()
    version = review.version + 1
    editors = review.editors
    if command.action in (ReviewAction.CORRECT, ReviewAction.CHOOSE_SUPPLIER) and by not in editors:
        editors = (*editors, by)
    if command.action is ReviewAction.REJECT:
        if not reason:
            raise ReviewRefusedError("reason-required", "a rejection needs a reason", field="reason")
        done = replace(review, state=ReviewState.REJECTED, version=version)
        event = _event(done, action="reject", by=by, at=at, reason=reason, changes=[], level=Level.WARNING,
                       message=f"rejected by {by}: {reason}")
        return Step(review=done, event=event, matched=None)
    if command.action is ReviewAction.CORRECT:
        invoice, supplier_now, changes = _correct(review, command, companies=companies)
        done = replace(review, invoice=invoice, supplier=supplier_now, version=version, editors=editors)
        described = "; ".join(f"{c.field} {c.old!r} -> {c.new!r}" for c in changes) or "no value changed"
        event = _event(done, action="correct", by=by, at=at, reason=reason, changes=changes,
                       message=f"corrected by {by}: {described}")
        return Step(review=done, event=event, matched=None)
    if command.action is ReviewAction.CHOOSE_SUPPLIER:
        if command.supplier_number is None:
            raise ReviewRefusedError("invalid", "name the supplier number to choose", field="supplier_number")
        if chosen is None:
            raise ReviewRefusedError("unknown-supplier", f"supplier {command.supplier_number} is not in master data",
                                     field="supplier_number")
        supplier = _as_match(chosen, MatchKey.CHOSEN, review.invoice.supplier_iban)
        old = review.supplier.supplier_number if review.supplier else None
        changes = [ChangeV1(field="supplier_number", old=old, new=supplier.supplier_number)]
        done = replace(review, supplier=supplier, version=version, editors=editors)
        event = _event(done, action="choose_supplier", by=by, at=at, reason=reason, changes=changes,
                       message=f"supplier {supplier.supplier_number} ({supplier.name}) chosen by {by}"
                               + (f" instead of {old}" if old else ""))
        return Step(review=done, event=event, matched=None)
    _check_complete(review)
    gross = review.invoice.gross_amount
    if four_eyes_above is not None and gross is not None and abs(gross) > four_eyes_above and by in editors:
        raise ReviewRefusedError(
            "four-eyes", f"gross {gross} is above {four_eyes_above}: someone who did not change this invoice "
                         f"must approve it ({by} did)")
    done = replace(review, state=ReviewState.APPROVED, version=version)
    event = _event(done, action="approve", by=by, at=at, reason=reason, changes=[],
                   message=f"approved by {by}" + (f": {reason}" if reason else ""))
    return Step(review=done, event=event, matched=_approved_match(done, Decision.REVIEW, []))
