"""Parses amounts (1.234,56 and 1,234.56), dates (14.03.2024, 14. März 2024, 2024-03-14), IBANs and VAT IDs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from belegflow_contracts.types import de_vat_check_digit_ok, iban_checksum_ok

# Amounts on invoices carry two decimals; whole numbers are too often quantities or postcodes.
_AMOUNT_RE = re.compile(
    r"(?<![\w.,])(?P<sign>[-−])?\s?(?P<num>\d{1,3}(?:[.,'\u202f\u00a0]\d{3})+[.,]\d{2}|\d+[.,]\d{2})(?![\d%]|[.,]\d|\s?%)"
)

_MONTHS = {
    "januar": 1, "jan": 1, "january": 1, "jänner": 1,
    "februar": 2, "feb": 2, "february": 2,
    "märz": 3, "maerz": 3, "mär": 3, "mrz": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "october": 10, "oct": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "dez": 12, "december": 12, "dec": 12,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>\d{4}|\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?!\d)"),
    # OCR often drops the space after the day's dot or the comma: "14.März 2024", "March 14,2024".
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:\.\s*|\s+)(?P<mn>{_MONTH_ALT})\.?\s*(?P<y>\d{{4}})(?!\d)", re.IGNORECASE),
    re.compile(rf"\b(?P<mn>{_MONTH_ALT})\.?\s*(?P<d>\d{{1,2}})(?:,\s*|\s+)(?P<y>\d{{4}})(?!\d)", re.IGNORECASE),
)

_IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30})")
_IBAN_LENGTHS = {"DE": 22, "AT": 20, "CH": 21, "NL": 18, "BE": 16, "FR": 27, "IT": 27, "ES": 24, "LU": 20, "PL": 28,
                 "DK": 18, "CZ": 24, "GB": 22, "LI": 21}  # fmt: skip
_VAT_RE = re.compile(
    r"\b(?P<cc>AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI|CHE)"
    r"[\s-]?(?P<body>U?\d[\d\s.]{6,13}\d[A-Z0-9]{0,3})\b"
)


@dataclass(frozen=True, slots=True)
class Match:
    value: str
    start: int
    end: int


def parse_amount(text: str) -> Decimal | None:
    """One amount in either notation; the separator before the last two digits is the decimal one."""
    m = _AMOUNT_RE.search(text)
    return _to_decimal(m) if m else None


def find_amounts(text: str) -> list[tuple[Decimal, int, int]]:
    found = []
    for m in _AMOUNT_RE.finditer(text):
        value = _to_decimal(m)
        if value is not None:
            found.append((value, m.start(), m.end()))
    return found


def _to_decimal(m: re.Match[str]) -> Decimal | None:
    raw = m.group("num")
    digits = re.sub(r"[.,'\u202f\u00a0]", "", raw[:-3]) + "." + raw[-2:]
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return -value if m.group("sign") else value


def parse_quantity(text: str) -> Decimal | None:
    """A quantity: whole or decimal, German or English notation (2 / 1,5 / 1.250,000)."""
    m = re.search(r"(?<![\w.,])(\d{1,3}(?:[.']\d{3})*(?:,\d+)?|\d+(?:[.,]\d+)?)(?![\w])", text)
    if not m:
        return None
    raw = m.group(1)
    if "," in raw:
        raw = raw.replace(".", "").replace("'", "").replace(",", ".")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def find_dates(text: str) -> list[tuple[date, int, int]]:
    found: list[tuple[date, int, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            parts = m.groupdict()
            month = _MONTHS.get(parts["mn"].lower()) if parts.get("mn") else int(parts["m"])
            year = int(parts["y"])
            if year < 100:
                year += 2000
            try:
                value = date(year, month or 0, int(parts["d"]))
            except ValueError:
                continue
            found.append((value, m.start(), m.end()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f[1])


def parse_date(text: str) -> date | None:
    dates = find_dates(text)
    return dates[0][0] if dates else None


def find_ibans(text: str) -> list[Match]:
    """IBANs written compact or in groups; the length comes from the country or from the check sum."""
    found = []
    for m in _IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", m.group(1))
        length = _IBAN_LENGTHS.get(compact[:2])
        if length is not None:
            if len(compact) >= length:
                found.append(Match(compact[:length], m.start(), m.end()))
            continue
        best = next(
            (compact[:n] for n in range(min(len(compact), 34), 14, -1) if iban_checksum_ok(compact[:n])),
            compact,
        )
        found.append(Match(best, m.start(), m.end()))
    return found


def find_vat_ids(text: str) -> list[Match]:
    found = []
    for m in _VAT_RE.finditer(text):
        body = re.sub(r"[\s.]", "", m.group("body"))
        cc = m.group("cc")
        if cc == "DE" and len(body) != 9:
            body = body[:9]
        found.append(Match(cc + body, m.start(), m.end()))
    return found


def vat_id_ok(vat_id: str) -> tuple[bool, str]:
    """Format check for every EU VAT ID, plus the check digit where we know it (Germany)."""
    if not re.fullmatch(r"[A-Z]{2,3}[A-Z0-9]{2,13}", vat_id):
        return False, "format: expected a country prefix and 2-13 characters"
    if vat_id.startswith("DE"):
        if not re.fullmatch(r"DE\d{9}", vat_id):
            return False, "format: a German VAT ID is DE and 9 digits"
        if not de_vat_check_digit_ok(vat_id):
            return False, "German check digit (ISO 7064 MOD 11,10) fails"
    return True, "format ok" + (", check digit ok" if vat_id.startswith("DE") else "")


__all__ = [
    "find_amounts",
    "find_dates",
    "find_ibans",
    "find_vat_ids",
    "iban_checksum_ok",
    "parse_amount",
    "parse_date",
    "parse_quantity",
    "vat_id_ok",
]
