"""The DATEV EXTF checker: reads a booking batch file as DATEV would and lists every broken field rule.

It knows nothing of how the file was written. Rules (format 700, category 21, version 13): Windows-1252,
CRLF line ends, semicolons, text fields in double quotes; a header of 31 fields with consultant (1001 to
9999999) and client number (1 to 99999), fiscal-year start, account length 4 to 8, the date range;
line 2 the 125 column names; each row 125 fields with amount ``^\\d{1,10},\\d{2}$`` (positive),
``"S"``/``"H"``, accounts of 1 to 9 digits (GL accounts at most the account length, personal accounts
one digit more), a tax key of 1 to 4 digits, the document date ``TTMM`` inside the header's range,
``Belegfeld 1`` of 1 to 36 ``[A-Za-z0-9_$%-/]``, ``Belegfeld 2`` at most 12, posting text at most 60,
document link at most 210, cost centres at most 36 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from belegflow_export.datev import EXTF_COLUMNS

__all__ = ["CheckProblem", "check_extf"]

_COL: Final = {name: index for index, name in enumerate(EXTF_COLUMNS)}


@dataclass(frozen=True, slots=True)
class CheckProblem:
    """One broken rule: the line (1-based), the field's name, and what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class _Field:
    value: str
    quoted: bool


_FIELD: Final = re.compile(r'"((?:[^"]|"")*)"|([^;"]*)')


def _split(line: str) -> list[_Field] | None:
    """Semicolon-separated fields; ``"..."`` with doubled quotes inside. ``None`` for a malformed quote."""
    fields: list[_Field] = []
    pos, end = 0, len(line)
    while True:
        match = _FIELD.match(line, pos)
        if match is None:  # the pattern always matches (the bare form may be empty); kept for the type checker
            return None
        quoted, bare = match.group(1), match.group(2)
        fields.append(_Field(quoted.replace('""', '"'), quoted=True) if quoted is not None
                      else _Field(bare or "", quoted=False))
        pos = match.end()
        if pos == end:
            return fields
        if line[pos] != ";":
            return None  # a quote that does not close, or text after a closing quote
        pos += 1
        if pos == end:
            fields.append(_Field("", quoted=False))
            return fields


# (column, pattern on the field's value, must it be quoted text, required, what the rule says)
_RULES: Final[tuple[tuple[str, str, bool, bool, str], ...]] = (
    ("Umsatz (ohne Soll/Haben-Kz)", r"\d{1,10},\d{2}", False, True, "a positive amount, 1 to 10 digits, comma, 2"),
    ("Soll/Haben-Kennzeichen", r"[SH]", True, True, '"S" or "H"'),
    ("WKZ Umsatz", r"[A-Z]{3}", True, False, "an ISO currency code in quotes"),
    ("Konto", r"\d{1,9}", False, True, "1 to 9 digits"),
    ("Gegenkonto (ohne BU-Schlüssel)", r"\d{1,9}", False, True, "1 to 9 digits"),
    ("BU-Schlüssel", r"\d{1,4}", True, False, "1 to 4 digits in quotes"),
    ("Belegdatum", r"(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])", False, True, "a day and month TTMM"),
    ("Belegfeld 1", r"[A-Za-z0-9_$%\-/]{1,36}", True, True, "1 to 36 of A-Z a-z 0-9 _ $ % - / in quotes"),
    ("Belegfeld 2", r"[A-Za-z0-9_$%\-/]{0,12}", True, False, "at most 12 characters in quotes"),
    ("Buchungstext", r".{0,60}", True, False, "at most 60 characters in quotes"),
    ("Beleglink", r".{0,210}", True, False, "at most 210 characters in quotes"),
    ("KOST1 - Kostenstelle", r"[A-Za-z0-9 ]{0,36}", True, False, "at most 36 letters, digits, blanks in quotes"),
    ("KOST2 - Kostenstelle", r"[A-Za-z0-9 ]{0,36}", True, False, "at most 36 letters, digits, blanks in quotes"),
    ("Festschreibung", r"[01]", False, False, "0 or 1"),
    ("Leistungsdatum", r"\d{8}", False, False, "a date TTMMJJJJ"),
)
_COMPILED: Final = tuple((name, re.compile(pattern), quoted, required, rule)
                         for name, pattern, quoted, required, rule in _RULES)


def _date(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if re.fullmatch(r"\d{8}", text) else None
    except ValueError:
        return None


def _check_header(fields: list[_Field], problems: list[CheckProblem]) -> tuple[date, date, int] | None:
    def bad(name: str, message: str) -> None:
        problems.append(CheckProblem(1, name, message))

    if len(fields) != 31:
        bad("header", f"has {len(fields)} fields; format 700 has 31")
        return None
    expect = {0: ("Kennzeichen", "EXTF", True), 1: ("Versionsnummer", "700", False),
              2: ("Formatkategorie", "21", False), 3: ("Formatname", "Buchungsstapel", True),
              4: ("Formatversion", "13", False)}
    for index, (name, value, quoted) in expect.items():
        if fields[index].value != value or fields[index].quoted != quoted:
            bad(name, f"is {fields[index].value!r}; expected {value!r}")
    if not re.fullmatch(r"\d{17}", fields[5].value):
        bad("Erzeugt am", "is not a time stamp YYYYMMDDHHMMSSFFF")
    consultant, client, length = fields[10].value, fields[11].value, fields[13].value
    if not (consultant.isdigit() and 1001 <= int(consultant) <= 9_999_999):
        bad("Beraternummer", f"{consultant!r} is not between 1001 and 9999999")
    if not (client.isdigit() and 1 <= int(client) <= 99_999):
        bad("Mandantennummer", f"{client!r} is not between 1 and 99999")
    if not (length.isdigit() and 4 <= int(length) <= 8):
        bad("Sachkontenlänge", f"{length!r} is not between 4 and 8")
    fiscal, first, last = _date(fields[12].value), _date(fields[14].value), _date(fields[15].value)
    if fiscal is None:
        bad("WJ-Beginn", f"{fields[12].value!r} is not a date YYYYMMDD")
    if first is None or last is None:
        bad("Datum vom/bis", "is not a date YYYYMMDD")
        return None
    if first > last:
        bad("Datum vom/bis", f"{first} is after {last}")
    if fiscal is not None and not (fiscal <= first and last < fiscal.replace(year=fiscal.year + 1)):
        bad("Datum vom/bis", f"{first}..{last} is not inside the fiscal year starting {fiscal}")
    if len(fields[16].value) > 30:
        bad("Bezeichnung", "is longer than 30 characters")
    if fields[20].value not in ("0", "1"):
        bad("Festschreibung", "is neither 0 nor 1")
    if first.year != last.year:
        bad("Datum vom/bis", "spans more than one calendar year")
    return first, last, int(length) if length.isdigit() else 8


def check_extf(data: bytes) -> list[CheckProblem]:
    """Every broken rule of a booking batch file; an empty list means DATEV can read it."""
    problems: list[CheckProblem] = []
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        return [CheckProblem(data.count(b"\n", 0, exc.start) + 1, "file",
                             f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not Windows-1252")]
    if not text.endswith("\r\n"):
        problems.append(CheckProblem(text.count("\n") + 1, "file", "does not end with CRLF"))
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if "\n" in line or "\r" in line:
            problems.append(CheckProblem(number, "file", "a line ends without CRLF"))
    if len(lines) < 2:
        return [*problems, CheckProblem(1, "file", "needs a header line and the column names")]
    header = _split(lines[0])
    span = _check_header(header, problems) if header is not None else None
    if header is None:
        problems.append(CheckProblem(1, "header", "has an unterminated quote"))
    columns = _split(lines[1])
    if columns is None or tuple(f.value for f in columns) != EXTF_COLUMNS:
        problems.append(CheckProblem(2, "column names", "are not the 125 columns of format version 13"))
    for number, line in enumerate(lines[2:], 3):
        fields = _split(line)
        if fields is None:
            problems.append(CheckProblem(number, "row", "has an unterminated quote"))
            continue
        if len(fields) != len(EXTF_COLUMNS):
            problems.append(CheckProblem(number, "row", f"has {len(fields)} fields; expected {len(EXTF_COLUMNS)}"))
            continue
        for name, pattern, quoted, required, rule in _COMPILED:
            found = fields[_COL[name]]
            if not found.value and not found.quoted:
                if required:
                    problems.append(CheckProblem(number, name, "is required"))
                continue
            if found.quoted != quoted or not pattern.fullmatch(found.value):
                problems.append(CheckProblem(number, name, f"{found.value!r} is not {rule}"))
        amount = fields[_COL["Umsatz (ohne Soll/Haben-Kz)"]].value
        if re.fullmatch(r"0+,00", amount):
            problems.append(CheckProblem(number, "Umsatz (ohne Soll/Haben-Kz)", "is zero"))
        if span is not None:
            first, last, length = span
            for name in ("Konto", "Gegenkonto (ohne BU-Schlüssel)"):
                account = fields[_COL[name]].value
                if account.isdigit() and len(account) > length + 1:
                    problems.append(CheckProblem(number, name, f"{account} is longer than a personal account "
                                                               f"({length + 1} digits)"))
            stamp = fields[_COL["Belegdatum"]].value
            if re.fullmatch(r"\d{4}", stamp):
                try:
                    day = date(first.year, int(stamp[2:]), int(stamp[:2]))
                except ValueError:
                    problems.append(CheckProblem(number, "Belegdatum", f"{stamp} is no day of {first.year}"))
                else:
                    if not first <= day <= last:
                        problems.append(CheckProblem(number, "Belegdatum", f"{day} is outside {first}..{last}"))
    return problems
