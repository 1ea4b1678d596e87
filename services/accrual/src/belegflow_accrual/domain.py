"""Accrual's pure decisions: references on invoice lines, their check digits, which open accrual each line takes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING, Final
from uuid import UUID

from belegflow_accrual.errors import BatchRefusedError
from belegflow_contracts.messages import (
    NO_ACCRUAL,
    AccrualStatus,
    AccrualV1,
    AccruedV1,
    InvoiceLineV1,
    Level,
    LineAssignmentV1,
    MatchedV1,
    ProtocolEntryV1,
)

if TYPE_CHECKING:
    from datetime import datetime

STEP: Final = "accrual"


class RefKind(StrEnum):
    MAWB = "mawb"
    CONTAINER = "container"
    POSITION = "position"
    TOKEN = "token"  # noqa: S105 - a kind of reference, not a secret


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference found on a line: what it looks like, the forms it may be filed under, whether it checks out."""

    kind: RefKind
    value: str
    keys: tuple[str, ...]
    check_ok: bool | None = None  # None: this kind has no check digit

    @property
    def usable(self) -> bool:
        # a failed check digit means a misread; matching it could settle someone else's accrual
        return self.check_ok is not False


@dataclass(frozen=True, slots=True)
class AccrualRecord:
    """One accrual as the accrual service holds it."""

    accrual_number: str
    supplier_number: str
    reference: str
    amount: Decimal
    currency: str
    status: AccrualStatus
    assigned_document: UUID | None = None
    assigned_revision: int | None = None
    assigned_line: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    accrued: AccruedV1
    taken: list[tuple[str, int]] = field(default_factory=list)  # (accrual number, line position)


# An airline prefix (3 digits) and an 8-digit serial whose last digit is the first seven mod 7.
_MAWB = re.compile(r"(?<![0-9A-Za-z])(\d{3})[- ]?(\d{4})[ ]?(\d{4})(?![0-9A-Za-z])")
# ISO 6346: owner code, category U/J/Z, 6-digit serial, check digit.
_CONTAINER = re.compile(r"(?<![0-9A-Za-z])([A-Za-z]{3}[UJZujz])[ ]?(\d{6})[ ]?-?[ ]?(\d)(?![0-9A-Za-z])")
# Position/file numbers: an optional letter prefix and at least four digits, maybe with sub-numbers.
_POSITION = re.compile(r"(?<![0-9A-Za-z])((?:[A-Za-z]{1,5}[-/]?)?\d{4,}(?:[-/.]\d{1,8})*)(?![0-9A-Za-z])")
_PUNCTUATION: Final = ".,;:()[]{}<>\"'#*"
# A = 10 upwards, skipping multiples of 11 (11, 22, 33)
_ISO6346_LETTERS: Final = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", [v for v in range(10, 39) if v % 11 != 0],
                                   strict=True))


def normalize_reference(text: str) -> str:
    """How references are compared: upper case, no white space."""
    return re.sub(r"\s+", "", text).upper()


def mawb_check_ok(number: str) -> bool:
    """MAWB check: the serial's eighth digit is its first seven digits mod 7."""
    digits = re.sub(r"[\s-]", "", number)
    if not re.fullmatch(r"\d{11}", digits):
        return False
    return int(digits[3:10]) % 7 == int(digits[10])


def iso6346_check_digit(code: str) -> int:
    """The check digit of the first ten characters of an ISO 6346 container code."""
    head = normalize_reference(code)[:10]
    if not re.fullmatch(r"[A-Z]{3}[UJZ]\d{6}", head):
        raise ValueError(f"{code!r} is not an ISO 6346 owner code, category and serial")
    total = sum((_ISO6346_LETTERS[ch] if ch.isalpha() else int(ch)) << i for i, ch in enumerate(head))
    return total % 11 % 10


def container_check_ok(code: str) -> bool:
    compact = normalize_reference(code).replace("-", "")
    if not re.fullmatch(r"[A-Z]{3}[UJZ]\d{7}", compact):
        return False
    return iso6346_check_digit(compact) == int(compact[10])


def find_references(text: str) -> list[Reference]:
    """Every reference candidate in a line's text, shaped ones (with check digits) first, then plain tokens."""
    found: list[Reference] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    for m in _CONTAINER.finditer(text):
        compact = (m.group(1) + m.group(2) + m.group(3)).upper()
        found.append(Reference(RefKind.CONTAINER, compact, (compact, f"{compact[:10]}-{compact[10]}"),
                               check_ok=container_check_ok(compact)))
        taken.append(m.span())
    for m in _MAWB.finditer(text):
        if not free(m.span()):
            continue
        prefix, serial = m.group(1), m.group(2) + m.group(3)
        found.append(Reference(RefKind.MAWB, f"{prefix}-{serial}", (f"{prefix}-{serial}", prefix + serial),
                               check_ok=mawb_check_ok(prefix + serial)))
        taken.append(m.span())
    for m in _POSITION.finditer(text):
        if not free(m.span()):
            continue
        value = m.group(1).upper()
        found.append(Reference(RefKind.POSITION, value, (value,)))
        taken.append(m.span())
    seen = {key for ref in found for key in ref.keys}
    words = [w.strip(_PUNCTUATION) for w in text.split()]
    # pairs and the whole text too: a reference written with a space ("REF 4711") is filed without it
    pairs = [a + b for a, b in pairwise(words)]
    for token in [*words, *pairs, text]:
        key = normalize_reference(token.strip(_PUNCTUATION))
        if key and key not in seen:
            seen.add(key)
            found.append(Reference(RefKind.TOKEN, key, (key,)))
    return found


def line_references(line: InvoiceLineV1) -> list[Reference]:
    refs = find_references(line.reference_text)
    known = {key for ref in refs for key in ref.keys}
    refs += [r for r in find_references(line.description) if not set(r.keys) & known]
    return refs


def lookup_keys(references: dict[int, list[Reference]]) -> list[str]:
    """The keys to look accruals up by (usable references only)."""
    return sorted({key for refs in references.values() for ref in refs if ref.usable for key in ref.keys})


def _describe(ref: Reference) -> str:
    if ref.check_ok is None:
        return f"{ref.kind.value} {ref.value}"
    return f"{ref.kind.value} {ref.value} (check digit {'ok' if ref.check_ok else 'wrong'})"


def _available(accrual: AccrualRecord, document_id: UUID) -> bool:
    if accrual.status is AccrualStatus.OPEN:
        return True
    # a new revision of the same invoice may take back what its earlier revision held
    return accrual.status is AccrualStatus.ASSIGNED and accrual.assigned_document == document_id


def _why_not(accrual: AccrualRecord) -> str:
    if accrual.status is AccrualStatus.RESOLVED:
        return f"accrual {accrual.accrual_number} is resolved"
    if accrual.assigned_document is not None:
        return (f"accrual {accrual.accrual_number} is already assigned to document {accrual.assigned_document} "
                f"line {accrual.assigned_line}")
    return f"accrual {accrual.accrual_number} is already assigned"


def accrue(
    event: MatchedV1,
    references: dict[int, list[Reference]],
    accruals: list[AccrualRecord],
    *,
    send_accruals: bool,
    at: datetime,
) -> Outcome:
    """Assign open accruals of the identified supplier line by line; each accrual at most once."""
    entries: list[ProtocolEntryV1] = []
    assignments: list[LineAssignmentV1] = []
    taken: list[tuple[str, int]] = []
    used: set[str] = set()
    supplier = event.supplier
    by_key: dict[str, list[AccrualRecord]] = {}
    for accrual in sorted(accruals, key=lambda a: a.accrual_number):
        by_key.setdefault(accrual.reference, []).append(accrual)
    currency = event.invoice.currency.upper()

    for line in event.invoice.lines:
        refs = references.get(line.position, [])
        shaped = [r for r in refs if r.kind is not RefKind.TOKEN]
        data = {"position": str(line.position), "found": "; ".join(_describe(r) for r in shaped)}
        reference: str | None = None
        chosen: AccrualRecord | None = None
        why: list[str] = []
        if supplier is None:
            why.append("no supplier identified, so no creditor's accruals to assign")
        elif not refs:
            why.append("no reference on the line")
        else:
            why += [f"{_describe(r)} not used" for r in refs if not r.usable]
            for ref in (r for r in refs if r.usable):
                matches = [a for key in ref.keys for a in by_key.get(key, [])]
                if not matches:
                    continue
                reference = ref.value
                free = [a for a in matches if a.accrual_number not in used and _available(a, event.document_id)]
                why += [_why_not(a) for a in matches if a.accrual_number not in used and not _available(
                    a, event.document_id)]
                why += [f"accrual {a.accrual_number} taken by an earlier line" for a in matches
                        if a.accrual_number in used]
                other_currency = [a for a in free if a.currency.upper() != currency]
                why += [f"accrual {a.accrual_number} is in {a.currency}, the invoice in {currency}"
                        for a in other_currency]
                free = [a for a in free if a not in other_currency]
                if free:
                    # when several accruals share a reference, the one with the line's amount is the one billed
                    exact = [a for a in free if line.net_amount is not None and a.amount == line.net_amount]
                    chosen = (exact or free)[0]
                    break
            if chosen is None and reference is None:
                found = ", ".join(r.value for r in refs if r.usable and r.kind is not RefKind.TOKEN)
                why.append(
                    f"no accrual of supplier {supplier.supplier_number} has reference {found}" if found
                    else f"nothing on the line is a reference of an accrual of supplier {supplier.supplier_number}"
                )
        if chosen is not None:
            used.add(chosen.accrual_number)
            taken.append((chosen.accrual_number, line.position))
            assignments.append(LineAssignmentV1(position=line.position, reference=reference,
                                                accrual_number=chosen.accrual_number, amount=chosen.amount))
            message = f"line {line.position}: reference {reference} -> accrual {chosen.accrual_number}"
            if line.net_amount is not None and line.net_amount != chosen.amount:
                message += f" (line amount {line.net_amount}, accrual amount {chosen.amount})"
            entries.append(ProtocolEntryV1(step=STEP, at=at, message=message, data={
                **data, "reference": reference or "", "accrual_number": chosen.accrual_number,
                "accrual_amount": format(chosen.amount, "f"),
            }))
        else:
            assignments.append(LineAssignmentV1(position=line.position, reference=reference,
                                                accrual_number=NO_ACCRUAL, amount=line.net_amount))
            entries.append(ProtocolEntryV1(
                step=STEP, at=at, level=Level.INFO if not refs else Level.WARNING,
                message=f"line {line.position}: {NO_ACCRUAL} - " + "; ".join(why),
                data={**data, "reference": reference or "", "accrual_number": NO_ACCRUAL},
            ))

    summary = f"{len(taken)} of {len(event.invoice.lines)} lines assigned to accruals"
    if not send_accruals:
        summary += "; accrual numbers are not sent to the TMS (send_accruals off)"
    entries.append(ProtocolEntryV1(step=STEP, at=at, message=summary,
                                   data={"assigned": str(len(taken)), "send_accruals": str(send_accruals).lower()}))
    accrued = AccruedV1(
        document_id=event.document_id,
        tenant=event.tenant,
        revision=event.revision,
        original=event.original,
        protocol=entries,
        invoice=event.invoice,
        supplier=event.supplier,
        decision=event.decision,
        assignments=assignments,
        send_accruals=send_accruals,
    )
    return Outcome(accrued=accrued, taken=taken)


def next_status(current: AccrualStatus | None, incoming: AccrualStatus) -> AccrualStatus:
    """Master data may resolve an accrual but never reopen one an invoice has taken."""
    if current is None or current is AccrualStatus.OPEN:
        return incoming
    if current is AccrualStatus.ASSIGNED and incoming is AccrualStatus.RESOLVED:
        return incoming
    return current


def check_batch(records: list[AccrualV1]) -> None:
    """Refuse a batch that contradicts itself before it touches the database."""
    seen: set[str] = set()
    for record in records:
        if record.accrual_number in seen:
            raise BatchRefusedError(accrual_number=record.accrual_number, detail="occurs twice in the batch")
        seen.add(record.accrual_number)
        if not normalize_reference(record.reference):
            raise BatchRefusedError(accrual_number=record.accrual_number, detail="reference is empty")
