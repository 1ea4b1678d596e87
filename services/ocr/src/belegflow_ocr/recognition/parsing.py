"""Parses amounts (1.234,56 and 1,234.56), dates (14.03.2024, 14. März 2024, 2024-03-14), IBANs and VAT IDs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from stdnum import numdb
from stdnum.ch import uid as stdnum_ch_uid
from stdnum.ch import vat as stdnum_ch_vat
from stdnum.eu import vat as stdnum_eu_vat
from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.gb import vat as stdnum_gb_vat
from stdnum.no import mva as stdnum_no_mva

from belegflow_contracts.types import de_vat_check_digit_ok, iban_checksum_ok

# Amounts on invoices carry two decimals; whole numbers are too often quantities or postcodes. Thousands are
# grouped by '.', ',', an apostrophe (Swiss, also typographic: 1’234.50), a thin or a plain space (French, and
# the Swiss QR bill's "1 945.80"), or in India by lakh and crore (1,23,456.00); a sign stands before the number
# or, as German ERPs print credits, after it ("100,00-").
# A glyph missing from the font (U+25A0, U+FFFD) where a narrow space groups thousands counts as that space.
_GROUP_SEP = "[.,'\u2019\u202f\u00a0\u2009\u25a0\ufffd]"
_AMOUNT_RE = re.compile(
    # an amount starts after no letter or digit, or right after a currency code ("RM12.61", "EUR12,00")
    r"(?:(?<![\w.,])|(?<=RM)|(?<=EUR)|(?<=USD)|(?<=CHF)|(?<=GBP)|(?<=SGD)|(?<=AUD)|(?<=INR)|(?<=Rs\.))"
    r"(?P<sign>[-−])?\s?(?P<num>\d{1,2}(?:,\d{2})+,\d{3}\.\d{2}|\d{1,3}(?:" + _GROUP_SEP + r"\d{3})+[.,]\d{2}|"
    r"\d{1,3}(?: \d{3})+[.,]\d{2}|"
    r"\d+[.,]\d{2})(?![\d%]|[.,]\d|\s?%)(?P<trail>-(?![\d\w]))?"
)

# A whole amount has no cents, so only what marks it as money makes it one: a dash for the cents ("150,-",
# "1.500,--", "150.–") or a currency beside it ("€ 150", "150 €", "EUR 1.500", "USD 5", "Rs. 499"). Its groups of
# three are thousands whatever the separator (no currency is printed with three decimals on an invoice).
def _whole(name: str) -> str:
    """A whole number as group ``name``: thousands grouped (also by a plain space, "127 000 Ft"), or up to seven
    digits."""
    return rf"(?P<{name}>\d{{1,3}}(?:[.,'\u2019\u202f\u00a0\u2009 ]\d{{3}})+|\d{{1,7}})"


_CURRENCY_BEFORE = r"(?:[€$£₹]|(?<![A-Za-z])(?:EUR|USD|CHF|GBP|INR|SGD|AUD|RM|Rs\.?))"
# Currencies whose amounts are mostly whole (HUF, JPY, ISK) or are often printed so (CZK, SEK, NOK, DKK).
_CURRENCY_AFTER = r"(?:[€£₹¥]|(?:EUR|CHF|USD|GBP|Ft|HUF|JPY|Kč|CZK|kr|SEK|NOK|DKK|ISK)(?![A-Za-z]))"
_WHOLE_RE = re.compile(
    r"(?:(?<![\w.,])(?P<dsign>[-−])?" + _whole("dint") + r"[,.](?:--?|[–—])(?![\w\d-])"
    r"|" + _CURRENCY_BEFORE + r"\s?(?P<csign>[-−])?\s?" + _whole("cint") + r"(?![\d%]|[.,/-]\d|\s?%)"
    r"|(?<![\w.,/-])(?P<asign>[-−])?" + _whole("aint") + r"\s?" + _CURRENCY_AFTER + r")"
)
# What can mark a whole number as money at all: a dash or a currency (most cells have neither).
_MONEY_MARK = re.compile(rf"[-–—]|{_CURRENCY_BEFORE}|{_CURRENCY_AFTER}")

_MONTHS = {
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mär": 3, "mrz": 3, "april": 4, "mai": 5,
    "juni": 6, "juli": 7, "august": 8, "september": 9, "oktober": 10, "okt": 10, "november": 11, "dezember": 12,
    "dez": 12,
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "apr": 4, "may": 5, "june": 6,
    "jun": 6, "july": 7, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "october": 10, "oct": 10, "nov": 11,
    "december": 12, "dec": 12,
    # French
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2, "mars": 3, "avril": 4,
    "avr": 4, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10,
    "novembre": 11, "décembre": 12, "decembre": 12, "déc": 12,
    # Dutch
    "januari": 1, "februari": 2, "maart": 3, "mei": 5, "augustus": 8,
    # Italian
    "gennaio": 1, "gen": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "mag": 5, "giugno": 6, "giu": 6,
    "luglio": 7, "lug": 7, "agosto": 8, "ago": 8, "settembre": 9, "set": 9, "ottobre": 10, "ott": 10, "dicembre": 12,
    "dic": 12,
    # Spanish
    "enero": 1, "ene": 1, "febrero": 2, "abril": 4, "abr": 4, "mayo": 5, "junio": 6, "julio": 7, "septiembre": 9,
    "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_Y = r"(?P<y>\d{4}|\d{2})"
# Day and month in numbers; which comes first depends on the document (``order``).
# A date glued to its label by a dot ("Date.01/02/2018") is read; one after a number or a sign and a dot is not.
_NUMERIC = re.compile(
    r"(?<![\d,/-])(?<![^A-Za-z]\.)(?<!^\.)(?P<a>\d{1,2})(?P<sep>[./-])\s?(?P<b>\d{1,2})(?P=sep)\s?" + _Y
    + r"(?![\d]|[.,/-]\d)"
)
# "2024-03-14", "2016/05/01"; also with a till's time glued on by OCR ("Date:2016/05/0114:11:20")
_ISO = re.compile(r"(?<![\d.,/-])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
                  r"(?:(?=\d{1,2}:\d{2})|(?![\d]|[.,/-]\d))")
_NAMED = (
    # "14. März 2024", "14 MAR 2018", "14-Mar-24", "1er mars 2024", "14.März2024" (OCR lost the space)
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:er|st|nd|rd|th)?(?:\.\s*|\s*-\s*|\s+|(?=[A-Za-zÄÖÜäöüéû]))(?:de\s+|of\s+)?"
               rf"(?P<mn>{_MONTH_ALT})\.?(?:\s*-\s*|,?\s*|\s+de\s+)" + _Y + r"(?!\d)", re.IGNORECASE),
    # "March 14, 2024", "March 14,2024", "Mar. 14 2024"
    re.compile(rf"(?<![\w])(?P<mn>{_MONTH_ALT})\.?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|\s+)" + _Y + r"(?!\d)",
               re.IGNORECASE),
)
# A till's date with its time glued on by OCR ("02/03/1805:16 PM", "15/02/201812:04:58", "15 Jun 1808:34"):
# the year ends where a time of day ("5:16", "12:04") begins.
_YT = r"(?P<y>(?:19|20)\d{2}|\d{2})(?=\d{1,2}:\d{2})"
_GLUED = (
    re.compile(r"(?<![\d,/-])(?<![^A-Za-z]\.)(?<!^\.)(?P<a>\d{1,2})(?P<sep>[./-])\s?(?P<b>\d{1,2})(?P=sep)\s?" + _YT),
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:\.\s*|\s*-\s*|\s+)(?P<mn>{_MONTH_ALT})\.?(?:\s*-\s*|\s+)" + _YT,
               re.IGNORECASE),
)
# "20240314": only where a label says it is a date (a bare eight-digit run is as often a number).
_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")

# A labelled date whose day and month OCR ran together ("DATE: 2504/2017", "25/042017"): one separator left,
# four digits of a year after it. Only where a label says a date stands there (``compact``).
_ONE_SEPARATOR = re.compile(r"(?<![\d./-])(?:(?P<a1>\d{2})(?P<b1>\d{2})[./-]|(?P<a2>\d{2})[./-](?P<b2>\d{2}))"
                            r"(?P<y>(?:19|20)\d{2})(?![\d]|[./-]\d)")

DateOrder = str
"""``"DMY"`` (Europe, most of the world) or ``"MDY"`` (the United States): how ``03/04/2024`` is read."""

_IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30})")
_VAT_RE = re.compile(
    r"\b(?P<cc>AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI|GB|CHE|NO)"
    r"[\s-]?(?P<body>\d(?:[\s.]?\d){8}[\s.]?B[\s.]?\d{2}|U?\d[\d\s.]{6,13}\d[A-Z0-9]{0,3}|\d{7}[A-Z]{1,2}|[A-Z0-9]\d{7}[A-Z0-9]|[A-Z]\d{7,8})"
    r"(?:\s?(?P<suffix>MWST|TVA|IVA|MVA)\b|\b)"
)

@dataclass(frozen=True, slots=True)
class Match:
    value: str
    start: int
    end: int


def parse_amount(text: str) -> Decimal | None:
    """One amount in either notation; the separator before the last two digits is the decimal one."""
    found = find_amounts(text)
    return found[0][0] if found else None


def find_amounts(text: str) -> list[tuple[Decimal, int, int]]:
    """Every amount in ``text`` with its span: those with cents, then whole ones marked as money (in order)."""
    found = []
    for m in _AMOUNT_RE.finditer(text):
        value = _to_decimal(m)
        if value is not None:
            found.append((value, m.start(), m.end()))
    if _MONEY_MARK.search(text) is None:
        return found
    taken = [(s, e) for _, s, e in found]
    for m in _WHOLE_RE.finditer(text):
        group = next(g for g in ("dint", "cint", "aint") if m.group(g) is not None)
        start, end = m.start(group), m.end(group)
        if any(s < end and start < e for s, e in taken):
            continue
        if group == "cint" and text[: m.start()].rstrip()[-1:].isdigit():
            continue  # the currency is the amount's before it ("12,50 EUR 5 Stk")
        sign = group[0] + "sign"
        value = Decimal(re.sub(r"\D", "", m.group(group))).quantize(Decimal("0.01"))
        # the span is the number's, with its sign and a dash for the cents, as for an amount with cents
        found.append((-value if m.group(sign) else value, m.start(sign) if m.group(sign) else start,
                      m.end() if group == "dint" else end))
    return sorted(found, key=lambda hit: hit[1])


def _to_decimal(m: re.Match[str]) -> Decimal | None:
    raw = m.group("num")
    digits = re.sub(r"[.,'\u2019 \u202f\u00a0\u2009\u25a0\ufffd]", "", raw[:-3]) + "." + raw[-2:]
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return -value if m.group("sign") or m.group("trail") else value


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


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, *, order: DateOrder = "DMY", compact: bool = False) -> list[tuple[date, int, int]]:
    """Every date in ``text`` with its span. Numeric day and month are read in ``order``; where that gives no
    date but the other order does (``13/03/2024`` in an American document), the other order is taken.
    ``compact`` also reads ``YYYYMMDD``."""
    found: list[tuple[date, int, int]] = []
    taken: list[tuple[int, int]] = []

    def add(value: date | None, m: re.Match[str]) -> None:
        if value is None or any(s < m.end() and m.start() < e for s, e in taken):
            return
        found.append((value, m.start(), m.end()))
        taken.append((m.start(), m.end()))

    # a date with a time glued to it first: read whole, "02/03/1805:16" would be 2 March 1805
    for m in _GLUED[0].finditer(text):
        a, b, year = int(m.group("a")), int(m.group("b")), _year(m.group("y"))
        first = (b, a) if order == "MDY" else (a, b)
        add(_make(year, first[1], first[0]) or _make(year, first[0], first[1]), m)
    for m in _GLUED[1].finditer(text):
        add(_make(_year(m.group("y")), _MONTHS[m.group("mn").lower()], int(m.group("d"))), m)
    for pattern in _NAMED:
        for m in pattern.finditer(text):
            add(_make(_year(m.group("y")), _MONTHS[m.group("mn").lower()], int(m.group("d"))), m)
    for m in _ISO.finditer(text):
        add(_make(int(m.group("y")), int(m.group("m")), int(m.group("d"))), m)
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m.group("a")), int(m.group("b")), _year(m.group("y"))
        first = (b, a) if order == "MDY" else (a, b)
        add(_make(year, first[1], first[0]) or _make(year, first[0], first[1]), m)
    if compact:
        for m in _COMPACT.finditer(text):
            add(_make(int(m.group("y")), int(m.group("m")), int(m.group("d"))), m)
        for m in _ONE_SEPARATOR.finditer(text):
            one, two = (m.group("a1"), m.group("b1")) if m.group("a1") else (m.group("a2"), m.group("b2"))
            day, month = (int(two), int(one)) if order == "MDY" else (int(one), int(two))
            add(_make(int(m.group("y")), month, day), m)
    return sorted(found, key=lambda f: f[1])


def numeric_date_order(texts: list[str], *, default: DateOrder = "DMY") -> tuple[DateOrder, str]:
    """How a document writes numeric dates, with the reason: a first number above 12 proves day first, a second
    number above 12 proves month first; without proof, ``default``."""
    day_first = month_first = 0
    for text in texts:
        for m in _NUMERIC.finditer(text):
            a, b = int(m.group("a")), int(m.group("b"))
            if a > 12 >= b:
                day_first += 1
            elif b > 12 >= a:
                month_first += 1
    if day_first > month_first:
        return "DMY", f"{day_first} dates with the day first"
    if month_first > day_first:
        return "MDY", f"{month_first} dates with the month first"
    return default, "no date shows its order, the language's custom"


def parse_date(text: str, *, order: DateOrder = "DMY") -> date | None:
    dates = find_dates(text, order=order)
    return dates[0][0] if dates else None


def find_ibans(text: str) -> list[Match]:
    """IBANs written compact or in groups; the length comes from the country or from the check sum.

    Shorter than its country's IBANs, a code is an IBAN only where its check sum holds: otherwise it is a
    misread IBAN (a digit lost by OCR, which no one can pay to) or something else that starts with a country
    code and digits (Sweden's VAT ID "SE556677889901")."""
    found = []
    for m in _IBAN_RE.finditer(text):
        compact = re.sub(r"\s", "", m.group(1))
        length = iban_length(compact[:2])
        if length is not None and len(compact) >= length:
            found.append(Match(compact[:length], m.start(), m.end()))
            continue
        # as printed where the code's country is not in the registry (the check then says whether it holds)
        best = next((compact[:n] for n in range(min(len(compact), 34), 14, -1) if iban_checksum_ok(compact[:n])),
                    compact if length is None else None)  # fmt: skip
        if best is not None:
            found.append(Match(best, m.start(), m.end()))
    return found


_BBAN_PART = re.compile(r"(\d+)!?[nac]")


@lru_cache(maxsize=256)
def iban_length(country: str) -> int | None:
    """How long an IBAN of ``country`` is, from the IBAN registry (python-stdnum's copy): every country that
    issues IBANs, not the few a list written here would know. None: no IBAN country (the length then comes
    from the check sum)."""
    if not re.fullmatch(r"[A-Z]{2}", country):
        return None
    info = numdb.get("iban").info(country + "00")
    bban = info[0][1].get("bban") if info and info[0][0] == country else None
    return 4 + sum(int(n) for n in _BBAN_PART.findall(bban)) if bban else None


def find_vat_ids(text: str) -> list[Match]:
    found = _national_vat_ids(text)
    national = [(n.start, n.end) for n in found]
    for m in _VAT_RE.finditer(text):
        if any(start < m.end() and m.start() < end for start, end in national):
            continue  # "NIF: ESB12345674" is the one VAT ID its label already gave
        body = re.sub(r"[\s.]", "", m.group("body"))
        cc = m.group("cc")
        # A German VAT ID of the wrong length is passed on as printed: the check says it is wrong, and a clerk
        # sees what the document states.
        # A Swiss UID states the tax it is registered for ("CHE-123.456.789 MWST"); that is part of the ID.
        # as does a Norwegian one ("NO 123 456 789 MVA")
        suffix = m.group("suffix") or "" if cc in ("CHE", "NO") else ""
        found.append(Match(cc + body + suffix, m.start(), m.end()))
    return found


# Several countries print their VAT number without the country code, after the number's national label: Italy's
# "P.IVA 00743110157", Spain's "CIF: B12345674" / "NIF: A28017895", Portugal's "NIF: 501964843" (nine digits,
# where Spain's has a letter), Poland's "NIP: 779-234-56-70". Where the number with its country code passes that
# country's check (python-stdnum), it is the VAT ID; a number that fails is no VAT ID at all (a tax number, a
# personal ID).
_LABEL_END = r"\s*(?:n\.?|nr\.?|n[°º]|no\.?)?\s*[:.]?\s*"
_NATIONAL_VAT: tuple[tuple[str, re.Pattern[str]], ...] = (
    # OCR reads the I of "P.IVA" as a 1 or an l ("P.1VA 03214560371")
    ("IT", re.compile(rf"\b(?:P\.?\s?[I1l]VA|Partita\s+IVA){_LABEL_END}(?P<body>\d{{11}})\b", re.IGNORECASE)),
    ("ES", re.compile(rf"\b(?:C\.?\s?I\.?\s?F|N\.?\s?I\.?\s?F){_LABEL_END}(?:ES[\s-]?)?"
                      r"(?P<body>[A-Z](?:[\s.-]?\d){7}[\s.-]?[\dA-J]|(?:\d[\s.]?){8}-?[A-Z])\b", re.IGNORECASE)),
    ("PT", re.compile(rf"\b(?:NIF|NIPC|N\.?\s?I\.?\s?F|Contribuinte){_LABEL_END}(?:PT\s?)?"
                      r"(?P<body>\d{3}\s?\d{3}\s?\d{3})\b", re.IGNORECASE)),
    ("PL", re.compile(rf"\bNIP{_LABEL_END}(?:PL\s?)?"
                      r"(?P<body>\d{3}-?\d{3}-?\d{2}-?\d{2}|\d{3}-?\d{2}-?\d{2}-?\d{3})\b", re.IGNORECASE)),
)
_NATIONAL_LABEL = re.compile(r"[I1l]VA|[CN]\.?\s?I\.?\s?F|NIPC|Contribuinte|NIP", re.IGNORECASE)


def _national_vat_ids(text: str) -> list[Match]:
    if not _NATIONAL_LABEL.search(text):
        return []
    found = []
    for country, pattern in _NATIONAL_VAT:
        for m in pattern.finditer(text):
            vat_id = country + re.sub(r"[\s.-]", "", m.group("body")).upper()
            if stdnum_eu_vat.is_valid(vat_id):
                found.append(Match(vat_id, m.start("body"), m.end("body")))
    return found


_VAT_OUTSIDE_EU = {"GB": stdnum_gb_vat, "CHE": stdnum_ch_vat, "NO": stdnum_no_mva}
"""VAT IDs that python-stdnum's EU module does not know (it answers "unknown country")."""


def vat_id_shaped(vat_id: str) -> bool:
    """Whether ``vat_id`` has its country's length and form (python-stdnum), its check digits aside: "FR37195524"
    is a hosting company's invoice number with a country prefix, too short for any French VAT ID, while
    "DE123456789" with a wrong check digit is a VAT ID read or printed wrong."""
    module = _VAT_OUTSIDE_EU.get(vat_id[:3]) or _VAT_OUTSIDE_EU.get(vat_id[:2])
    if module is stdnum_ch_vat and vat_id[-1:].isdigit():
        module = stdnum_ch_uid  # "CHE-123.456.789" without the tax it is registered for
    try:
        if module is None:
            stdnum_eu_vat.validate(vat_id)
        else:
            module.validate(vat_id)
    except (InvalidLength, InvalidFormat, InvalidComponent):
        return False
    except ValidationError:  # the check digits (or another check than the form): shaped like a VAT ID
        return True
    return True


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
    "numeric_date_order",
    "parse_amount",
    "parse_date",
    "parse_quantity",
    "vat_id_ok",
    "vat_id_shaped",
]
