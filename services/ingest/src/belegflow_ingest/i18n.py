"""The desk in German and English: one message catalogue per language (gettext ``.po``, compiled when ingest
starts), the language a person chose or their browser asks for, and dates and amounts shown and read in its format.

The English texts are the message ids, so English needs no catalogue. A person's choice (the switch on every
page) is kept in a cookie; without one, ``Accept-Language`` decides, and English is the fallback.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from babel import Locale, dates, numbers
from babel.messages import mofile, pofile
from babel.support import NullTranslations, Translations

if TYPE_CHECKING:
    from collections.abc import Callable

LANGUAGES: Final = ("de", "en")
DEFAULT: Final = "en"
COOKIE: Final = "belegflow_lang"
DOMAIN: Final = "desk"
CATALOGUES: Final = Path(__file__).parent / "locale"
# the regional format each language is shown in (English as in the UK and the EU: day before month)
_FORMATS: Final = {"de": "de_DE", "en": "en_GB"}
# dates as a person types them back (the parser reads both)
_DATE_PATTERNS: Final = {"de": "dd.MM.yyyy", "en": "dd/MM/yyyy"}


def catalogue_path(language: str) -> Path:
    return CATALOGUES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The language's messages, compiled from its ``.po`` once per process (English: the ids themselves)."""
    path = catalogue_path(language)
    if language == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = pofile.read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The person's choice if it is one of ours, else the best of ``Accept-Language`` (q-values), else English."""
    if chosen in LANGUAGES:
        return str(chosen)
    offered: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if language in LANGUAGES and q > 0:
            offered.append((q, -position, language))  # the earlier of two equal q-values wins
    return max(offered)[2] if offered else DEFAULT


class Texts:
    """What a page needs to speak one language: ``gettext`` with named values, and the formats."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT
        self.locale = Locale.parse(_FORMATS[self.language])
        self._messages = translations(self.language)

    def gettext(self, message: str, **values: Any) -> str:
        text = self._messages.gettext(message)
        return text % values if values else text

    def date(self, value: date | datetime | str | None) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                return str(value)
        pattern = _DATE_PATTERNS[self.language]
        if isinstance(value, datetime):
            return dates.format_datetime(value, f"{pattern} HH:mm", locale=self.locale)
        return dates.format_date(value, pattern, locale=self.locale)

    def amount(self, value: Decimal | str | float | None) -> str:
        if value in (None, ""):
            return ""
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return numbers.format_decimal(number, format="#,##0.00###", locale=self.locale)

    def shown(self, kind: str | None, value: Any) -> str:
        """A field's value as the page shows it, by the field's kind (``date``, ``amount``, else as it is)."""
        if kind == "date":
            return self.date(value)
        if kind == "amount":
            return self.amount(value)
        return "" if value is None else str(value)

    def filters(self) -> dict[str, Callable[..., str]]:
        return {"_": self.gettext, "fmt_date": self.date, "fmt_amount": self.amount, "shown": self.shown}


_ISO: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST: Final = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})")


def parse_date(text: str) -> date:
    """A date typed in either language: ``2024-03-17``, ``17.03.2024``, ``17/03/2024`` (two-digit years are
    20xx); ``ValueError`` with the formats when it is none of them."""
    raw = text.strip()
    if match := _ISO.fullmatch(raw):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DAY_FIRST.fullmatch(raw):
        day, month, year = (int(g) for g in match.groups())
        year += 2000 if year < 100 else 0
    else:
        raise ValueError(f"{text!r} is not a date (17.03.2024, 17/03/2024 or 2024-03-17)")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date: {exc}") from None


def parse_amount(text: str, language: str) -> Decimal:
    """An amount typed in either language's format: ``1.234,56`` and ``1,234.56`` both read 1234.56. A lone
    separator before exactly three digits is the page language's grouping (``1.234`` is 1234 in German)."""
    raw = re.sub(r"[\s'\u00a0\u202f€$£]|EUR", "", text.strip())
    if not re.fullmatch(r"[-+]?[\d.,]*\d[\d.,]*", raw):
        raise ValueError(f"{text!r} is not an amount (1.234,56 or 1,234.56)")
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_sep = "." if last_dot > last_comma else ","
    elif last_dot >= 0 or last_comma >= 0:
        sep = "." if last_dot >= 0 else ","
        after = len(raw) - raw.rfind(sep) - 1
        group = "." if language == "de" else ","
        decimal_sep = "" if (raw.count(sep) > 1 or (after == 3 and sep == group)) else sep
    else:
        decimal_sep = ""
    group_sep = {".": ",", ",": "."}.get(decimal_sep, "")
    cleaned = raw.replace(group_sep, "") if group_sep else raw.replace(".", "").replace(",", "")
    if decimal_sep:
        if cleaned.count(decimal_sep) > 1:
            raise ValueError(f"{text!r} is not an amount (1.234,56 or 1,234.56)")
        cleaned = cleaned.replace(decimal_sep, ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount (1.234,56 or 1,234.56)") from None


__all__ = ["COOKIE", "DEFAULT", "LANGUAGES", "Texts", "negotiate", "parse_amount", "parse_date", "translations"]
