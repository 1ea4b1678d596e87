"""Typed references on freight invoice lines and their checks: what a reference is, and whether it reads right.

Every kind has a shape; kinds whose scheme has a public check digit are checked (MAWB mod 7, ISO 6346
containers, UPS 1Z, DHL Express mod 7, FedEx Express weighted mod 11, DPD's 28-character parcel barcode
ISO 7064 mod 37/36). Kinds without a public check (HAWB, B/L, GLS, DPD's 14-digit parcel number,
service orders, truck manifests, position numbers) are accepted by shape only. A reference whose check
fails is a misread and is never used to assign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence


class RefKind(StrEnum):
    POSITION = "position"
    MAWB = "mawb"
    HAWB = "hawb"
    BILL_OF_LADING = "bill_of_lading"
    CONTAINER = "container"
    TRACKING = "tracking"
    SERVICE_ORDER = "service_order"
    MANIFEST = "manifest"
    TOKEN = "token"  # noqa: S105 - a kind of reference, not a secret


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference found on a line: what it looks like, the forms it may be filed under, whether it checks out."""

    kind: RefKind
    value: str
    keys: tuple[str, ...]
    check_ok: bool | None = None  # None: this kind has no check digit
    scheme: str = ""  # the carrier's scheme of a tracking id (ups, dhl, fedex, gls, dpd)

    @property
    def usable(self) -> bool:
        # a failed check digit means a misread; matching it could settle someone else's accrual
        return self.check_ok is not False

    def describe(self) -> str:
        kind = f"{self.kind.value} ({self.scheme})" if self.scheme else self.kind.value
        if self.check_ok is None:
            return f"{kind} {self.value}"
        return f"{kind} {self.value} (check digit {'ok' if self.check_ok else 'wrong'})"


def normalize_reference(text: str) -> str:
    """How references are compared: upper case, no white space."""
    return re.sub(r"\s+", "", text).upper()


# --- check digits ----------------------------------------------------------------------------------

# ISO 6346: A = 10 upwards, skipping multiples of 11 (11, 22, 33)
_ISO6346_LETTERS: Final = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", [v for v in range(10, 39) if v % 11 != 0],
                                   strict=True))
_ALNUM36: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


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


def ups_check_ok(number: str) -> bool:
    """UPS 1Z: the 16th character after ``1Z`` is a mod 10 over the 15 before it (letters as (n + 2) mod 10,
    every second character doubled)."""
    compact = normalize_reference(number)
    if not re.fullmatch(r"1Z[A-Z0-9]{15}\d", compact):
        return False
    values = [int(c) if c.isdigit() else (ord(c) - ord("A") + 2) % 10 for c in compact[2:17]]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return (10 - total % 10) % 10 == int(compact[17])


def dhl_express_check_ok(number: str) -> bool:
    """DHL Express waybill (10 or 11 digits): the last digit is the number before it mod 7."""
    digits = normalize_reference(number)
    if not re.fullmatch(r"\d{10,11}", digits):
        return False
    return int(digits[:-1]) % 7 == int(digits[-1])


def fedex_express_check_ok(number: str) -> bool:
    """FedEx Express (12 digits): weights 3, 1, 7 over the first eleven, sum mod 11, then mod 10."""
    digits = normalize_reference(number)
    if not re.fullmatch(r"\d{12}", digits):
        return False
    weights = (3, 1, 7) * 4
    total = sum(int(d) * w for d, w in zip(digits[:11], weights, strict=False))
    return total % 11 % 10 == int(digits[11])


def iso7064_mod37_36_check(body: str) -> str:
    """The check character of ISO 7064 MOD 37,36 (hybrid system) over digits and capital letters."""
    modulus = 36
    product = modulus
    for ch in body:
        total = (product + _ALNUM36.index(ch)) % modulus
        total = total or modulus
        product = (2 * total) % (modulus + 1)
    return _ALNUM36[(modulus + 1 - product) % modulus]


def dpd_check_ok(number: str) -> bool:
    """DPD's 28-character parcel barcode: 27 digits and an ISO 7064 MOD 37,36 check character."""
    compact = normalize_reference(number)
    if not re.fullmatch(r"\d{27}[0-9A-Z]", compact):
        return False
    return iso7064_mod37_36_check(compact[:27]) == compact[27]


# --- shapes ----------------------------------------------------------------------------------------

_B = r"(?<![0-9A-Za-z])"  # a reference starts at a word boundary ...
_E = r"(?![0-9A-Za-z])"  # ... and ends at one
_LABEL_GAP = r"[\s:.#\-]*(?:(?:Nr|No|Nummer|Number)\.?[\s:#]*)?"

# ISO 6346: owner code, category U/J/Z, 6-digit serial, check digit.
_CONTAINER = re.compile(_B + r"([A-Za-z]{3}[UJZujz])[ ]?(\d{6})[ ]?-?[ ]?(\d)" + _E)
# An airline prefix (3 digits) and an 8-digit serial whose last digit is the first seven mod 7.
_MAWB = re.compile(_B + r"(\d{3})[- ]?(\d{4})[ ]?(\d{4})" + _E)
_HAWB = re.compile(r"(?i:\bH[-/]?AWB)" + _LABEL_GAP + r"([A-Za-z0-9][A-Za-z0-9\-/]{4,19})" + _E)
# A B/L: the carrier's SCAC (four letters) and its number, written after a label ...
_BL_LABELLED = re.compile(r"(?i:\b(?:M?B/?L|HB/?L|Bill\s+of\s+Lading|Konnossement))" + _LABEL_GAP
                          + r"([A-Za-z]{4}[ ]?[A-Za-z0-9]{6,14})" + _E)
# ... or unlabelled after the SCAC of an ocean carrier known to file B/Ls under it.
OCEAN_CARRIER_SCACS: Final = frozenset({
    "MAEU", "MEDU", "MSCU", "HLCU", "CMDU", "COSU", "ONEY", "EGLV", "OOLU", "YMLU", "ZIMU", "HDMU", "SUDU", "ANNU",
    "APLU", "WHLC", "SMLM", "KKLU", "NYKS", "MOLU",
})
_BL_SCAC = re.compile(_B + r"([A-Z]{4})(\d{8,12}|[A-Z0-9]{2}\d{7,12})" + _E)
_UPS = re.compile(_B + r"(1[Zz](?:[ ]?[A-Za-z0-9]){16})" + _E)
_DPD_BARCODE = re.compile(_B + r"(\d(?:[ ]?\d){26}[ ]?[0-9A-Z])" + _E)
_SERVICE_ORDER = re.compile(r"(?:(?i:\b(?:Service[- ]?Order|Serviceauftrag|Auftrag(?:snummer)?|Order))"
                            + _LABEL_GAP + r"|" + _B + r"(?=SO-))([A-Za-z]{0,4}-?\d{4,12})" + _E)
_MANIFEST = re.compile(r"(?i:\b(?:Manifest|Ladeliste|Bordero|Borderau|Rollkarte))" + _LABEL_GAP
                       + r"([A-Za-z]{0,4}-?\d{4,12})" + _E)
# Position/file numbers: an optional letter prefix and at least four digits, maybe with sub-numbers.
_POSITION = re.compile(_B + r"((?:[A-Za-z]{1,5}[-/]?)?\d{4,}(?:[-/.]\d{1,8})*)" + _E)
_DIGIT_RUN = re.compile(_B + r"(\d(?:[ ]?\d){9,14})" + _E)
_PUNCTUATION: Final = ".,;:()[]{}<>\"'#*|"

# A carrier named on the line tells which tracking scheme a bare run of digits belongs to.
_CARRIERS: Final[dict[str, re.Pattern[str]]] = {
    "dhl": re.compile(r"(?i)\bDHL\b"),
    "fedex": re.compile(r"(?i)\bFed\s?Ex\b"),
    "gls": re.compile(r"(?i)\bGLS\b"),
    "dpd": re.compile(r"(?i)\bDPD\b"),
}


def _tracking_by_carrier(carrier: str, digits: str) -> tuple[bool | None, bool]:
    """(check result, shape fits) of a run of digits as the named carrier's tracking id."""
    checks: dict[str, tuple[Callable[[str], bool] | None, Callable[[str], bool]]] = {
        "dhl": (dhl_express_check_ok, lambda d: len(d) in (10, 11)),
        "fedex": (fedex_express_check_ok, lambda d: len(d) == 12),
        # GLS publishes no check digit for its 11/12-digit parcel numbers; accepted by shape only
        "gls": (None, lambda d: len(d) in (11, 12)),
        # DPD's printed 14-digit parcel number carries no check digit of its own (the barcode does)
        "dpd": (None, lambda d: len(d) == 14),
    }
    check, fits = checks[carrier]
    if not fits(digits):
        return None, False
    return (check(digits) if check is not None else None), True


@dataclass(frozen=True, slots=True)
class ReferencePatterns:
    """A tenant's own position/file number patterns (regular expressions; group 1 or the whole match)."""

    positions: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def compile(cls, patterns: Iterable[str]) -> ReferencePatterns:
        return cls(tuple(re.compile(p) for p in patterns))


def find_references(text: str, patterns: ReferencePatterns | None = None) -> list[Reference]:
    """Every reference in a text: typed ones (with their checks) first, then plain tokens.

    A span taken by one kind is not read again as another, so a container is never also a position.
    """
    found: list[Reference] = []
    taken: list[tuple[int, int]] = []

    def free(span: tuple[int, int]) -> bool:
        return all(span[1] <= a or span[0] >= b for a, b in taken)

    def add(ref: Reference, span: tuple[int, int]) -> None:
        found.append(ref)
        taken.append(span)

    for pattern in (patterns.positions if patterns else ()):
        for m in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            value = normalize_reference(m.group(group))
            if value and free(m.span(group)):
                add(Reference(RefKind.POSITION, value, (value,)), m.span(group))
    for m in _UPS.finditer(text):
        if free(m.span(1)):
            value = normalize_reference(m.group(1))
            add(Reference(RefKind.TRACKING, value, (value,), check_ok=ups_check_ok(value), scheme="ups"), m.span(1))
    for m in _DPD_BARCODE.finditer(text):
        if free(m.span(1)):
            value = normalize_reference(m.group(1))
            add(Reference(RefKind.TRACKING, value, (value, value[:27]), check_ok=dpd_check_ok(value), scheme="dpd"),
                m.span(1))
    for m in _CONTAINER.finditer(text):
        if free(m.span()):
            compact = (m.group(1) + m.group(2) + m.group(3)).upper()
            add(Reference(RefKind.CONTAINER, compact, (compact, f"{compact[:10]}-{compact[10]}"),
                          check_ok=container_check_ok(compact)), m.span())
    for m in _HAWB.finditer(text):
        if free(m.span(1)):
            value = normalize_reference(m.group(1))
            add(Reference(RefKind.HAWB, value, (value,)), m.span(1))
    for m in _BL_LABELLED.finditer(text):
        if free(m.span(1)):
            value = normalize_reference(m.group(1))
            add(Reference(RefKind.BILL_OF_LADING, value, (value,)), m.span(1))
    for m in _BL_SCAC.finditer(text):
        if m.group(1) in OCEAN_CARRIER_SCACS and free(m.span()):
            value = m.group(1) + m.group(2)
            add(Reference(RefKind.BILL_OF_LADING, value, (value,)), m.span())
    carriers = [name for name, label in _CARRIERS.items() if label.search(text)]
    for m in _DIGIT_RUN.finditer(text):
        if not free(m.span(1)):
            continue
        digits = normalize_reference(m.group(1))
        for carrier in carriers:
            check_ok, fits = _tracking_by_carrier(carrier, digits)
            # eleven digits that fail the carrier's check but pass the MAWB's are an air waybill
            if fits and not (check_ok is not True and len(digits) == 11 and mawb_check_ok(digits)):
                add(Reference(RefKind.TRACKING, digits, (digits,), check_ok=check_ok, scheme=carrier), m.span(1))
                break
    for m in _MAWB.finditer(text):
        if free(m.span()):
            prefix, serial = m.group(1), m.group(2) + m.group(3)
            add(Reference(RefKind.MAWB, f"{prefix}-{serial}", (f"{prefix}-{serial}", prefix + serial),
                          check_ok=mawb_check_ok(prefix + serial)), m.span())
    for kind, pattern in ((RefKind.SERVICE_ORDER, _SERVICE_ORDER), (RefKind.MANIFEST, _MANIFEST)):
        for m in pattern.finditer(text):
            if free(m.span(1)):
                value = normalize_reference(m.group(1))
                add(Reference(kind, value, (value,)), m.span(1))
    for m in _POSITION.finditer(text):
        if free(m.span()):
            value = m.group(1).upper()
            add(Reference(RefKind.POSITION, value, (value,)), m.span())
    return found + _tokens(text, found)


def _tokens(text: str, typed: Sequence[Reference]) -> list[Reference]:
    """Words, neighbouring pairs and the whole text as plain tokens: a TMS files some references untyped."""
    # a token must not bring back, in another form, a reference whose check failed
    seen = {key for ref in typed for key in ref.keys}
    spoiled = [key for ref in typed if not ref.usable for key in ref.keys]
    words = [w.strip(_PUNCTUATION) for w in text.split()]
    pairs = [a + b for a, b in pairwise(words)]
    tokens: list[Reference] = []
    for token in [*words, *pairs, text]:
        key = normalize_reference(token.strip(_PUNCTUATION))
        if not key or key in seen or any(bad in key or key in bad for bad in spoiled if len(key) >= 4):
            continue
        seen.add(key)
        tokens.append(Reference(RefKind.TOKEN, key, (key,)))
    return tokens


def merge(*groups: Iterable[Reference]) -> list[Reference]:
    """References from several places (line text, description, header) without repeating a key."""
    merged: list[Reference] = []
    known: set[str] = set()
    for group in groups:
        for ref in group:
            if not set(ref.keys) & known:
                merged.append(ref)
                known.update(ref.keys)
    return merged
