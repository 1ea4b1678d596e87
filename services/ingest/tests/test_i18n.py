"""The desk's languages: every text of the pages has its German translation, the browser's language is
honoured, and dates and amounts are shown and read in both languages' formats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from belegflow_ingest import i18n

PACKAGE = Path(i18n.__file__).parent


def _message_ids() -> set[str]:
    found = extract_from_dir(str(PACKAGE), method_map=[("templates/**.html", "jinja2"), ("**.py", "python")],
                             keywords={"_": None, "N_": None, "_said": None})
    return {msg[0] if isinstance(msg, tuple) else msg for _, _, msg, _, _ in found if msg}


def test_every_text_of_the_desk_has_its_german_translation() -> None:
    # GIVEN the texts the templates and the desk's code mark for translation
    ids = _message_ids()
    assert {"Approve", "Invoice number", "Page %(page)s of %(pages)s"} <= ids
    german = i18n.Texts("de")
    # THEN each one reads differently in German, or is the same word in both languages
    same_in_both = {"Status", "Layout", "layout", "version", "Pos."}
    untranslated = sorted(m for m in ids if german.gettext(m) == m and m not in same_in_both)
    assert untranslated == []
    assert german.gettext("Page %(page)s of %(pages)s", page=1, pages=3) == "Seite 1 von 3"


@pytest.mark.parametrize(("chosen", "accept", "expected"), [
    (None, "de-DE,de;q=0.9,en;q=0.8", "de"), (None, "en-US,en;q=0.9,de;q=0.8", "en"), (None, "fr-FR,de;q=0.5", "de"),
    (None, "en;q=0.4,de;q=0.6", "de"), (None, None, "en"), (None, "fr", "en"), ("de", "en-US", "de"),
    ("xx", "de", "de"), (None, "de;q=0", "en"),
])
def test_the_language_is_the_persons_choice_else_the_browsers(chosen: str | None, accept: str | None,
                                                               expected: str) -> None:
    assert i18n.negotiate(chosen, accept) == expected


def test_dates_and_amounts_are_shown_in_the_pages_language() -> None:
    de, en = i18n.Texts("de"), i18n.Texts("en")
    assert (de.date(date(2024, 3, 17)), en.date("2024-03-17")) == ("17.03.2024", "17/03/2024")
    assert de.date(datetime(2024, 3, 17, 9, 5)) == "17.03.2024 09:05"
    assert (de.amount(Decimal("6114.08")), en.amount("6114.08")) == ("6.114,08", "6,114.08")
    assert (de.amount("-0.5"), de.amount(None), de.shown(None, "RE-1")) == ("-0,50", "", "RE-1")


@pytest.mark.parametrize(("typed", "language", "expected"), [
    ("1.234,56", "en", "1234.56"), ("1,234.56", "de", "1234.56"), ("6114,08", "en", "6114.08"),
    ("6114.08", "de", "6114.08"), ("1.234", "de", "1234"), ("1.234", "en", "1.234"), ("1,234", "en", "1234"),
    ("1,234", "de", "1.234"), ("1.234.567", "en", "1234567"), ("€ 1 234,56", "de", "1234.56"), ("-12,5", "de", "-12.5"),
])
def test_an_amount_is_read_in_either_format(typed: str, language: str, expected: str) -> None:
    assert i18n.parse_amount(typed, language) == Decimal(expected)


@pytest.mark.parametrize("typed", ["17.03.2024", "17/03/2024", "2024-03-17", "17.3.24"])
def test_a_date_is_read_in_either_format(typed: str) -> None:
    assert i18n.parse_date(typed) == date(2024, 3, 17)


@pytest.mark.parametrize("typed", ["", "abc", "1,2,3.4.5", "12-"])
def test_what_is_no_amount_says_so(typed: str) -> None:
    with pytest.raises(ValueError, match="is not an amount"):
        i18n.parse_amount(typed, "de")


@pytest.mark.parametrize("typed", ["31.02.2024", "2024/03/17", "17.03.", ""])
def test_what_is_no_date_says_so(typed: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        i18n.parse_date(typed)
