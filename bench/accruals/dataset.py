"""Generated freight invoices with truth for the accrual bench: collective invoices of 1-200 lines, mixed
reference kinds, several references per line, OCR-like misreads, amounts inside and outside tolerance,
accruals already resolved or taken, and references of other creditors.

Every check digit here is computed from the scheme's rule written out in this file, not by the code
under test. The truth of a line is what a careful clerk would assign: the line's accrual when it is
open, its amount lies within the creditor's tolerance, and at least one reference that names it is
printed without a misread; else ``XXX``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from samples.generate import container_number, mawb

NO_ACCRUAL: Final = "XXX"
CENT: Final = Decimal("0.01")
OCEAN_SCACS: Final = ("MAEU", "HLCU", "CMDU", "COSU", "ONEY", "EGLV")


@dataclass
class Accrual:
    number: str
    creditor: str
    reference: str
    amount: Decimal
    status: str = "open"
    service_type: str | None = None


@dataclass
class Line:
    position: int
    description: str
    reference_text: str
    amount: Decimal
    truth: str


@dataclass
class Invoice:
    creditor: str
    lines: list[Line]
    document_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Dataset:
    creditors: dict[str, Decimal]  # creditor -> absolute tolerance
    accruals: list[Accrual]
    invoices: list[Invoice]
    misreads: int = 0


def _ups(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(6)) + f"{rng.randrange(100):02d}" \
        + f"{rng.randrange(10**7):07d}"
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    check = (10 - (sum(values[0::2]) + 2 * sum(values[1::2])) % 10) % 10
    return f"1Z{body}{check}"


def _dhl(rng: random.Random) -> str:
    serial = rng.randrange(10**8, 10**9)
    return f"{serial}{serial % 7}"


def _fedex(rng: random.Random) -> str:
    serial = f"{rng.randrange(10**10, 10**11)}"
    total = sum(int(d) * w for d, w in zip(serial, (3, 1, 7) * 4, strict=False))
    return f"{serial}{total % 11 % 10}"


# kind -> (how the reference is made, how it is printed on the line, whether a misread is caught by a check)
def _reference(kind: str, rng: random.Random, creditor_index: int) -> tuple[str, str]:
    """(reference as the TMS files it, the same as printed on the line)."""
    if kind == "container":
        ref = container_number(rng.choice(["MSC", "HLX", "TGH", "CMA", "TCL"]), rng.randrange(10**6))
        return ref, f"Container {ref[:4]} {ref[4:10]}-{ref[10]}"
    if kind == "mawb":
        ref = mawb(rng.choice(["020", "176", "157", "074"]), rng.randrange(10**7))
        return ref, f"AWB {ref}"
    if kind == "bl":
        ref = f"{rng.choice(OCEAN_SCACS)}{rng.randrange(10**8, 10**9)}"
        return ref, f"B/L {ref}"
    if kind == "ups":
        ref = _ups(rng)
        return ref, f"UPS {ref}"
    if kind == "dhl":
        ref = _dhl(rng)
        return ref, f"DHL Express {ref}"
    if kind == "fedex":
        ref = _fedex(rng)
        return ref, f"FedEx {ref}"
    if kind == "order":
        ref = f"SO-{rng.randrange(10**6, 10**7)}"
        return ref, f"Auftrag {ref}"
    if kind == "manifest":
        ref = f"RK{rng.randrange(10**5, 10**6)}"
        return ref, f"Rollkarte {ref}"
    if kind == "hawb":
        ref = f"H{creditor_index:02d}{rng.randrange(10**6, 10**7)}"
        return ref, f"HAWB {ref}"
    ref = f"{rng.randrange(4000, 4999)}-{rng.randrange(10**4):04d}"
    return ref, f"Pos. {ref}"


KINDS: Final = ("container", "mawb", "bl", "ups", "dhl", "fedex", "order", "manifest", "hawb", "position")
# An OCR misread changes one character into one that looks alike
_LOOKALIKE: Final = {"0": "8", "1": "7", "2": "7", "3": "8", "4": "9", "5": "6", "6": "5", "7": "1", "8": "3",
                     "9": "4"}


def misread(printed: str, rng: random.Random) -> str:
    """The printed reference with one digit of its value misread."""
    head, _, value = printed.rpartition(" ")
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    i = rng.choice(digits)
    return f"{head} {value[:i]}{_LOOKALIKE[value[i]]}{value[i + 1:]}"


def generate(seed: int, invoices: int, *, max_lines: int = 200, lines: int | None = None) -> Dataset:
    """``invoices`` collective invoices; ``lines`` fixes their length (else 1 to ``max_lines``, mostly few)."""
    rng = random.Random(seed)
    creditors = {f"7{i:04d}": Decimal(rng.choice(["5.00", "10.00", "2.50"])) for i in range(40)}
    numbers = iter(range(1, 10**9))
    accruals: list[Accrual] = []
    result: list[Invoice] = []
    misreads = 0
    creditor_list = sorted(creditors)
    for _ in range(invoices):
        creditor = rng.choice(creditor_list)
        tolerance = creditors[creditor]
        # collective invoices: mostly small, some up to max_lines
        if lines is not None:
            count = lines
        elif rng.random() < 0.9:
            count = min(max_lines, 1 + int(rng.paretovariate(1.2) * 3))
        else:
            count = rng.randint(100, max_lines)
        rows: list[Line] = []
        for position in range(1, count + 1):
            amount = (Decimal(rng.randrange(2_000, 500_000)) / 100).quantize(CENT)
            if rng.random() < 0.05:
                rows.append(Line(position, "Wartezeit Fahrer laut Bericht", "", amount, NO_ACCRUAL))
                continue
            kinds = rng.sample(KINDS, k=rng.choice([1, 1, 2, 2, 3]))
            printed_refs = [_reference(k, rng, creditor_list.index(creditor)) for k in kinds]
            filed = rng.randrange(len(kinds))  # the TMS files the accrual under one of them
            number = f"AC-{next(numbers):08d}"
            truth = number
            roll = rng.random()
            if roll < 0.70:
                delta = (Decimal(rng.randrange(0, int(tolerance * 100) + 1)) / 100) * rng.choice([1, -1])
            elif roll < 0.80:
                delta = (tolerance + Decimal(rng.randrange(1, 100_000)) / 100) * rng.choice([1, -1])
                truth = NO_ACCRUAL
            else:
                delta = Decimal(0)
            accrual_amount = max(CENT, amount + delta)
            if accrual_amount != amount + delta:
                truth = NO_ACCRUAL if abs(accrual_amount - amount) > tolerance else truth
            status = "open"
            if rng.random() < 0.05:
                status, truth = "resolved", NO_ACCRUAL
            accruals.append(Accrual(number, creditor, printed_refs[filed][0], accrual_amount, status))
            texts = [p for _, p in printed_refs]
            if rng.random() < 0.12:
                # OCR misreads the reference the accrual is filed under; other references on the line stay right
                texts[filed] = misread(texts[filed], rng)
                misreads += 1
                truth = NO_ACCRUAL
            if len(texts) > 1 and rng.random() < 0.10:
                # a misread of another reference on the line must not stop the right one from assigning
                spot = rng.choice([i for i in range(len(texts)) if i != filed])
                texts[spot] = misread(texts[spot], rng)
                misreads += 1
            if truth == number and rng.random() < 0.08:
                # a second accrual under the same reference, further off the line's amount than the true one
                off = abs(accrual_amount - amount) + Decimal(rng.randrange(1, 2000)) / 100
                accruals.append(Accrual(f"AC-{next(numbers):08d}", creditor, printed_refs[filed][0],
                                        amount + off))
            if rng.random() < 0.04:
                # another creditor's accrual under a reference printed on this line, with the same amount
                other = rng.choice([c for c in creditor_list if c != creditor])
                accruals.append(Accrual(f"AC-{next(numbers):08d}", other,
                                        printed_refs[rng.randrange(len(kinds))][0], amount))
            rows.append(Line(position, f"Fracht {kinds[0]}", " | ".join(texts), amount, truth))
        result.append(Invoice(creditor, rows))
    return Dataset(creditors, accruals, result, misreads)


def filler(count: int, seed: int, creditors: list[str]) -> list[Accrual]:
    """Open accruals that no invoice of the set names, to fill the table to a production size."""
    rng = random.Random(seed)
    return [Accrual(f"FL-{i:09d}", rng.choice(creditors), f"{rng.randrange(1000, 9999)}-{i:09d}",
                    (Decimal(rng.randrange(2_000, 500_000)) / 100).quantize(CENT)) for i in range(count)]
