"""The OCR lexicon repairs only the slips OCR makes, only into words it knows, and never touches numbers."""

from __future__ import annotations

import pytest

from belegflow_ocr.recognition.ocr.lexicon import correct
from belegflow_ocr.recognition.ocr.reader import split_words


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("Faällig", ["Fällig"]),  # the plain vowel read beside the umlaut
        ("Fallig", ["Fällig"]),  # the dots lost
        ("FALLIG", ["FÄLLIG"]),
        ("Bi11", ["Bill"]),  # digits read for letters
        ("T0tal:", ["Total:"]),
        ("8.April", ["8.", "April"]),  # a date whose space OCR dropped
        ("21.Mai", ["21.", "Mai"]),
        (".", ["·"]),  # a lone dot between words is the middle-dot separator
        # what OCR glues where the page has a space: a number sign, a label's colon, a middle dot
        ("N°FA-2026-0001", ["N°", "FA-2026-0001"]),
        ("Nr.2024-17", ["Nr.", "2024-17"]),
        ("Date:20260815·Échéance:20260914", ["Date:", "20260815", "·", "Échéance:", "20260914"]),
        ("USt-IdNr.:DE123456789", ["USt-IdNr.:", "DE123456789"]),
        ("TOTAL:12.50", ["TOTAL:", "12.50"]),
        ("/03.02.2025", ["/", "03.02.2025"]),  # "2025-118 / 03.02.2025" with the space after the slash lost
    ],
)
def test_known_slips_are_repaired(read: str, meant: list[str]) -> None:
    assert correct(read) == meant


@pytest.mark.parametrize(
    "word",
    ["Preise", "Weser", "Strasse", "Summe", "Gebuhr", "RE-24-09388", "DE44", "4711", "5.402,10", "19%", "Nr.",
     "ab1", "B1", "Rechnungsnummer:", "1.800,70", "01.08.2024",
     # a time, a URL, a ratio, an e-mail address and a lone sign are no glued label
     "14:11:20", "https://example.com/x", "1:2", "info@example.com", "N°", "Nordsee", "/2025", "12/03/2025",
     "/03/02"],
)
def test_real_words_numbers_and_unknown_words_stay_as_read(word: str) -> None:
    assert correct(word) == [word]


def test_split_words_records_what_it_repaired_and_splits_the_box() -> None:
    repaired: list[tuple[str, str]] = []
    words = split_words("Faällig 8.April 2024", (0.0, 0.0, 200.0, 20.0), page=1, scale=1.0, height_factor=1.0,
                        confidence=0.8, repaired=repaired)  # fmt: skip
    assert [w.text for w in words] == ["Fällig", "8.", "April", "2024"]
    assert repaired == [("Faällig", "Fällig"), ("8.April", "8. April")]
    assert words[1].bbox[2] == pytest.approx(words[2].bbox[0])
