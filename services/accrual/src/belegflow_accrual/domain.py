"""Accrual's pure decisions: which open accrual each invoice line takes, within the creditor's tolerance;
how the TMS's state changes apply to an accrual; which master data is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from belegflow_accrual.errors import AccrualEventRefusedError, BatchRefusedError
from belegflow_accrual.references import (
    Reference,
    ReferencePatterns,
    RefKind,
    find_references,
    merge,
    normalize_reference,
)
from belegflow_contracts.messages import (
    NO_ACCRUAL,
    AccrualEventKind,
    AccrualEventV1,
    AccrualMovementLineV1,
    AccrualMovementV1,
    AccrualStatus,
    AccrualV1,
    AccruedV1,
    Decision,
    InvoiceLineV1,
    InvoiceV1,
    Level,
    LineAssignmentV1,
    MatchedV1,
    ProtocolEntryV1,
    SupplierV1,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

__all__ = ["normalize_reference"]

STEP: Final = "accrual"
CENT: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class AccrualRecord:
    """One accrual as the accrual service holds it."""

    accrual_number: str
    supplier_number: str
    reference: str
    amount: Decimal
    currency: str
    status: AccrualStatus
    service_type: str | None = None
    rates: dict[str, Decimal] = field(default_factory=dict)
    assigned_document: UUID | None = None
    assigned_revision: int | None = None
    assigned_line: int | None = None
    last_sequence: int = 0


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far a line's amount may lie from an accrual's: absolute and/or percent, the smaller applies."""

    absolute: Decimal | None = None
    percent: Decimal | None = None

    def allowed(self, amount: Decimal) -> Decimal:
        limits: list[Decimal] = []
        # a zero absolute next to a percent counts as not given (zero is the master data default)
        if self.absolute is not None and (self.absolute > 0 or self.percent is None):
            limits.append(self.absolute)
        if self.percent is not None:
            limits.append((abs(amount) * self.percent / 100).quantize(CENT, ROUND_HALF_UP))
        return min(limits) if limits else Decimal(0)

    def describe(self) -> str:
        parts = []
        if self.absolute is not None and (self.absolute > 0 or self.percent is None):
            parts.append(format(self.absolute, "f"))
        if self.percent is not None:
            parts.append(f"{self.percent:f} %")
        return " / ".join(parts) or "0"


@dataclass(frozen=True, slots=True)
class Creditor:
    """A creditor's accrual tolerances as master data gives them."""

    supplier_number: str
    tolerance: Tolerance = field(default_factory=Tolerance)
    by_service: dict[str, Tolerance] = field(default_factory=dict)

    @classmethod
    def of(cls, supplier: SupplierV1) -> Creditor:
        return cls(
            supplier_number=supplier.supplier_number,
            tolerance=Tolerance(supplier.amount_tolerance, supplier.amount_tolerance_percent),
            by_service={t.service_type.lower(): Tolerance(t.amount_tolerance, t.amount_tolerance_percent)
                        for t in supplier.service_tolerances},
        )

    def tolerance_for(self, service_type: str | None) -> Tolerance:
        if service_type is not None and service_type.lower() in self.by_service:
            return self.by_service[service_type.lower()]
        return self.tolerance


@dataclass(frozen=True, slots=True)
class TenantSettings:
    send_accrual_numbers: bool
    patterns: ReferencePatterns = field(default_factory=ReferencePatterns)


@dataclass(frozen=True, slots=True)
class Outcome:
    accrued: AccruedV1
    movement: AccrualMovementV1
    taken: list[tuple[str, int]] = field(default_factory=list)  # (accrual number, line position)


# --- references ----------------------------------------------------------------------------------


def line_references(line: InvoiceLineV1, patterns: ReferencePatterns | None = None) -> list[Reference]:
    """The line's references: its reference text first (line notes, object identifiers, referenced order
    line of an e-invoice arrive there), then its description."""
    return merge(find_references(line.reference_text, patterns), find_references(line.description, patterns))


def header_references(invoice: InvoiceV1, patterns: ReferencePatterns | None = None) -> list[Reference]:
    """What the invoice states as its own references in its header (an e-invoice's BT-13 and BT-18): typed
    where their shape says so, else the whole value as a token."""
    found: list[Reference] = []
    for stated in invoice.references:
        typed = [r for r in find_references(stated.value, patterns) if r.kind is not RefKind.TOKEN]
        found += typed
        key = normalize_reference(stated.value)
        # the whole value must not bring back a reference whose check failed
        if key and all(r.usable and key not in r.keys for r in typed):
            found.append(Reference(RefKind.TOKEN, key, (key,)))
    return merge(found)


def lookup_keys(references: dict[int, list[Reference]], header: Sequence[Reference] = ()) -> list[str]:
    """The keys to look accruals up by (usable references only)."""
    refs = [ref for line in references.values() for ref in line] + list(header)
    return sorted({key for ref in refs if ref.usable for key in ref.keys})


# --- assignment ------------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    return "-" if value is None else format(value, "f")


def _compared_amount(line_amount: Decimal, currency: str, accrual: AccrualRecord) -> Decimal | None:
    """The line's amount in the accrual's currency, or None when no rate from the TMS allows comparing."""
    if currency == accrual.currency.upper():
        return line_amount
    rate = accrual.rates.get(currency)
    return None if rate is None else (line_amount * rate).quantize(CENT, ROUND_HALF_UP)


def _why_not_available(accrual: AccrualRecord, document_id: UUID) -> str | None:
    number = accrual.accrual_number
    if accrual.status is AccrualStatus.OPEN:
        return None
    if accrual.status is AccrualStatus.RESOLVED:
        return f"accrual {number} is resolved in the TMS and is never sent again"
    if accrual.status is AccrualStatus.CANCELLED:
        return f"accrual {number} is cancelled in the TMS"
    if accrual.assigned_document == document_id:
        return None  # a new revision of the same invoice may take back what its earlier revision held
    return f"accrual {number} is already assigned to document {accrual.assigned_document} line {accrual.assigned_line}"


@dataclass(slots=True)
class _LineDecision:
    chosen: AccrualRecord | None = None
    reference: str | None = None
    why: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    compared: Decimal | None = None


def _service_mentioned(line: InvoiceLineV1, service_type: str | None) -> bool:
    if not service_type:
        return False
    text = f"{line.description} {line.reference_text}"
    return re.search(rf"(?i)(?<![0-9a-z]){re.escape(service_type)}(?![0-9a-z])", text) is not None


def _decide_line(
    line: InvoiceLineV1,
    refs: list[Reference],
    by_key: dict[str, list[AccrualRecord]],
    creditor: Creditor,
    *,
    currency: str,
    document_id: UUID,
    used: set[str],
    header: Sequence[Reference] = (),
) -> _LineDecision:
    decision = _LineDecision()
    why = decision.why
    why += [f"{r.describe()} not used" for r in refs if not r.usable]
    usable = [r for r in refs if r.usable]
    header_usable = [r for r in header if r.usable]
    if not usable and not header_usable:
        why.append("no reference on the line" if not refs else "no usable reference on the line")
        return decision
    # the line's typed references first, then the invoice's header references, then the line's plain words
    tiers = ([r for r in usable if r.kind is not RefKind.TOKEN], header_usable,
             [r for r in usable if r.kind is RefKind.TOKEN])
    candidates: dict[str, tuple[AccrualRecord, Reference]] = {}
    from_header = False
    for tier, tier_refs in enumerate(tiers):
        for ref in tier_refs:
            for key in ref.keys:
                for accrual in by_key.get(key, []):
                    candidates.setdefault(accrual.accrual_number, (accrual, ref))
        if candidates:
            from_header = tier == 1
            break
    if not candidates:
        found = ", ".join(r.value for r in usable if r.kind is not RefKind.TOKEN)
        why.append(f"no accrual has reference {found}" if found else "nothing on the line is an accrual's reference")
        decision.reference = next((r.value for r in usable if r.kind is not RefKind.TOKEN), None)
        return decision
    decision.reference = next(iter(candidates.values()))[1].value
    own: list[tuple[AccrualRecord, Reference]] = []
    for accrual, ref in candidates.values():
        if accrual.supplier_number != creditor.supplier_number:
            # the creditor identified from master data has priority over what a reference suggests
            why.append(f"{ref.describe()} is the reference of accrual {accrual.accrual_number} of creditor "
                       f"{accrual.supplier_number}, not of the identified creditor {creditor.supplier_number}")
        elif accrual.accrual_number in used:
            why.append(f"accrual {accrual.accrual_number} taken by an earlier line")
        elif (reason := _why_not_available(accrual, document_id)) is not None:
            why.append(reason)
        else:
            own.append((accrual, ref))
    # a service type the line names narrows the choice to accruals of that service
    named = [(a, r) for a, r in own if _service_mentioned(line, a.service_type)]
    own = named or own
    if not own:
        return decision
    if line.net_amount is None:
        why.append("the line has no amount to compare with the accrual's")
        return decision
    scored: list[tuple[Decimal, str, AccrualRecord, Reference, Decimal]] = []
    for accrual, ref in own:
        compared = _compared_amount(line.net_amount, currency, accrual)
        if compared is None:
            why.append(f"accrual {accrual.accrual_number} is in {accrual.currency}, the invoice in {currency}, "
                       "and the TMS supplied no rate")
            continue
        tolerance = creditor.tolerance_for(accrual.service_type)
        allowed = tolerance.allowed(accrual.amount)
        deviation = abs(compared - accrual.amount)
        if deviation > allowed:
            converted = "" if compared == line.net_amount else f" (= {_money(compared)} {accrual.currency})"
            reason = (f"line amount {_money(line.net_amount)} {currency}{converted} is outside the tolerance of "
                      f"accrual {accrual.accrual_number} ({_money(accrual.amount)} {accrual.currency}, "
                      f"allowed ±{_money(allowed)}, tolerance {tolerance.describe()}"
                      + (f" for {accrual.service_type}" if tolerance is not creditor.tolerance else "") + ")")
            if from_header:
                # a header reference names the invoice, not this line: another line may well be its match
                why.append(f"header reference {ref.value}: {reason}")
            else:
                why.append(reason)
                decision.review.append(f"line {line.position}: {reason}")
            continue
        scored.append((deviation, accrual.accrual_number, accrual, ref, compared))
    if not scored:
        return decision
    # the accrual whose amount best matches the line; ties go to the lower accrual number
    _, _, chosen, ref, compared = min(scored, key=lambda s: (s[0], s[1]))
    decision.chosen, decision.reference, decision.compared = chosen, ref.value, compared
    decision.review.clear()  # an accrual within tolerance was found: nothing left to review on this line
    return decision


def accrue(
    event: MatchedV1,
    references: dict[int, list[Reference]],
    accruals: list[AccrualRecord],
    *,
    creditor: Creditor | None,
    send_accruals: bool,
    at: datetime,
    header: Sequence[Reference] = (),
) -> Outcome:
    """Assign open accruals of the identified creditor line by line; each accrual at most once.

    ``accruals`` are all of the tenant's accruals filed under the lines' references, of any creditor, so
    a reference of another creditor can be named as such.
    """
    entries: list[ProtocolEntryV1] = []
    assignments: list[LineAssignmentV1] = []
    movement: list[AccrualMovementLineV1] = []
    review: list[str] = []
    taken: list[tuple[str, int]] = []
    used: set[str] = set()
    by_key: dict[str, list[AccrualRecord]] = {}
    for accrual in sorted(accruals, key=lambda a: a.accrual_number):
        by_key.setdefault(accrual.reference, []).append(accrual)
    currency = event.invoice.currency.upper()
    supplier = event.supplier
    if supplier is not None and creditor is None:
        creditor = Creditor(supplier.supplier_number)  # not in accrual's master data: no tolerance at all

    for line in event.invoice.lines:
        refs = references.get(line.position, [])
        typed = [r for r in refs if r.kind is not RefKind.TOKEN]
        data = {"position": str(line.position), "found": "; ".join(r.describe() for r in typed),
                "line_amount": _money(line.net_amount), "currency": currency}
        if supplier is None or creditor is None:
            decision = _LineDecision(why=["no supplier identified, so no creditor's accruals to assign"])
        else:
            decision = _decide_line(line, refs, by_key, creditor, currency=currency,
                                    document_id=event.document_id, used=used, header=header)
        review += decision.review
        chosen = decision.chosen
        if chosen is not None:
            used.add(chosen.accrual_number)
            taken.append((chosen.accrual_number, line.position))
            assignments.append(LineAssignmentV1(position=line.position, reference=decision.reference,
                                                accrual_number=chosen.accrual_number, amount=chosen.amount))
            movement.append(AccrualMovementLineV1(
                position=line.position, accrual_number=chosen.accrual_number, reference=decision.reference,
                line_amount=line.net_amount, accrual_amount=chosen.amount, currency=chosen.currency))
            message = f"line {line.position}: reference {decision.reference} -> accrual {chosen.accrual_number}"
            if line.net_amount is not None and line.net_amount != chosen.amount:
                message += (f" (line amount {_money(line.net_amount)} {currency}, accrual amount "
                            f"{_money(chosen.amount)} {chosen.currency}, within tolerance)")
            entries.append(ProtocolEntryV1(step=STEP, at=at, message=message, data={
                **data, "reference": decision.reference or "", "accrual_number": chosen.accrual_number,
                "accrual_amount": _money(chosen.amount), "accrual_currency": chosen.currency,
            }))
        else:
            reason = "; ".join(decision.why)
            assignments.append(LineAssignmentV1(position=line.position, reference=decision.reference,
                                                accrual_number=NO_ACCRUAL, amount=line.net_amount, reason=reason))
            movement.append(AccrualMovementLineV1(
                position=line.position, accrual_number=NO_ACCRUAL, reference=decision.reference,
                line_amount=line.net_amount, currency=currency, reason=reason))
            entries.append(ProtocolEntryV1(
                step=STEP, at=at, level=Level.INFO if not refs else Level.WARNING,
                message=f"line {line.position}: {NO_ACCRUAL} - {reason}",
                data={**data, "reference": decision.reference or "", "accrual_number": NO_ACCRUAL},
            ))

    summary = f"{len(taken)} of {len(event.invoice.lines)} lines assigned to accruals"
    if not send_accruals:
        summary += "; accrual numbers are not sent to the TMS (switched off for this tenant)"
    if review:
        summary += f"; to review: {len(review)} line(s) outside the creditor's tolerance"
    if header:
        summary += "; header references: " + ", ".join(r.describe() for r in header)
    entries.append(ProtocolEntryV1(step=STEP, at=at, level=Level.WARNING if review else Level.INFO, message=summary,
                                   data={"assigned": str(len(taken)), "send_accruals": str(send_accruals).lower()}))
    accrued = AccruedV1(
        document_id=event.document_id,
        tenant=event.tenant,
        revision=event.revision,
        original=event.original,
        protocol=entries,
        invoice=event.invoice,
        supplier=event.supplier,
        decision=Decision.REVIEW if review else event.decision,
        assignments=assignments,
        send_accruals=send_accruals,
        reasons=review,
    )
    moved = AccrualMovementV1(
        document_id=event.document_id, tenant=event.tenant, revision=event.revision,
        invoice_number=event.invoice.invoice_number,
        supplier_number=supplier.supplier_number if supplier else None,
        accrual_numbers_sent=send_accruals, lines=movement, at=at,
    )
    return Outcome(accrued=accrued, movement=moved, taken=taken)


# --- master data ---------------------------------------------------------------------------------


def next_status(current: AccrualStatus | None, incoming: AccrualStatus) -> AccrualStatus:
    """A batch may resolve or cancel an accrual but never reopen one (reopening is a TMS event)."""
    if current is None or current is AccrualStatus.OPEN:
        return incoming
    if current is AccrualStatus.ASSIGNED and incoming in (AccrualStatus.RESOLVED, AccrualStatus.CANCELLED):
        return incoming
    return current


def check_batch(records: list[AccrualV1], known_creditors: set[str]) -> None:
    """Refuse a batch that contradicts itself or master data before it touches the database."""
    seen: set[str] = set()
    for record in records:
        if record.accrual_number in seen:
            raise BatchRefusedError(accrual_number=record.accrual_number, detail="occurs twice in the batch")
        seen.add(record.accrual_number)
        if not normalize_reference(record.reference):
            raise BatchRefusedError(accrual_number=record.accrual_number, detail="reference is empty")
        if record.supplier_number not in known_creditors:
            raise BatchRefusedError(accrual_number=record.accrual_number,
                                    detail=f"creditor {record.supplier_number} is unknown in master data")


class EventStep(StrEnum):
    APPLY = "apply"
    ALREADY_APPLIED = "already-applied"
    HOLD = "hold"  # an earlier event of the accrual has not arrived yet


def event_step(last_sequence: int, event: AccrualEventV1) -> EventStep:
    if event.sequence <= last_sequence:
        return EventStep.ALREADY_APPLIED
    if event.sequence > last_sequence + 1:
        return EventStep.HOLD
    return EventStep.APPLY


def apply_event(current: AccrualRecord | None, event: AccrualEventV1, known_creditors: set[str]
                ) -> tuple[AccrualRecord, str]:
    """The accrual after one TMS event (applied in sequence), and what changed, for the protocol."""
    number = event.accrual_number
    if event.kind is AccrualEventKind.CREATED:
        record = event.accrual
        if record is None:
            raise AccrualEventRefusedError(event, "a created event must carry the accrual")
        if record.accrual_number != number:
            raise AccrualEventRefusedError(event, f"carries accrual {record.accrual_number}")
        if record.supplier_number not in known_creditors:
            raise AccrualEventRefusedError(event, f"creditor {record.supplier_number} is unknown in master data")
        if current is not None and current.status is not AccrualStatus.OPEN:
            raise AccrualEventRefusedError(event, f"accrual exists already and is {current.status.value}")
        created = AccrualRecord(
            accrual_number=number, supplier_number=record.supplier_number,
            reference=normalize_reference(record.reference), amount=record.amount, currency=record.currency.upper(),
            status=AccrualStatus.OPEN, service_type=record.service_type, rates=dict(record.rates),
            last_sequence=event.sequence,
        )
        return created, f"created: {_money(record.amount)} {record.currency.upper()}, reference {record.reference}"
    if current is None:
        raise AccrualEventRefusedError(event, "the accrual is unknown")
    after = replace(current, last_sequence=event.sequence)
    if event.kind is AccrualEventKind.AMOUNT_CHANGED:
        if event.amount is None:
            raise AccrualEventRefusedError(event, "an amount_changed event must carry the amount")
        currency = (event.currency or current.currency).upper()
        return (replace(after, amount=event.amount, currency=currency),
                f"amount {_money(current.amount)} {current.currency} -> {_money(event.amount)} {currency}")
    if event.kind is AccrualEventKind.RESOLVED:
        note = "resolved in the TMS"
        if current.status is AccrualStatus.ASSIGNED:
            note += f" (was assigned to document {current.assigned_document} line {current.assigned_line})"
        return replace(after, status=AccrualStatus.RESOLVED), note
    if event.kind is AccrualEventKind.CANCELLED:
        note = "cancelled in the TMS"
        if current.status is AccrualStatus.ASSIGNED:
            note += f" (was assigned to document {current.assigned_document} line {current.assigned_line})"
        return replace(after, status=AccrualStatus.CANCELLED), note
    # reopened: open again for the next invoice, whatever held it before
    return (replace(after, status=AccrualStatus.OPEN, assigned_document=None, assigned_revision=None,
                    assigned_line=None), f"reopened in the TMS (was {current.status.value})")
