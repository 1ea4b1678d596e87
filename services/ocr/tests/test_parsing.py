"""Amounts, dates, IBANs and VAT IDs in the notations invoices use."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from belegflow_ocr.recognition.parsing import (
    find_amounts,
    find_dates,
    find_ibans,
    find_vat_ids,
    parse_amount,
    parse_date,
    parse_quantity,
    vat_id_shaped,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56 €", "1234.56"),
        ("EUR 1,234.56", "1234.56"),
        ("1234,56", "1234.56"),
        ("12.345.678,90", "12345678.90"),
        ("-45,00", "-45.00"),
        ("₹1,23,456.00", "123456.00"),  # India groups by lakh and crore
        ("Rs. 12,34,567.89", "1234567.89"),
        ("12,345.67", "12345.67"),
        ("CHF 1’234.50", "1234.50"),  # a typographic apostrophe groups Swiss thousands
        ("1 945.80", "1945.80"),  # a plain space groups them on a Swiss QR bill
        ("2 460,00 PLN", "2460.00"),
        ("19 %", None),
        ("20457 Hamburg", None),
    ],
)
def test_amounts(text: str, expected: str | None) -> None:
    assert parse_amount(text) == (Decimal(expected) if expected else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150,- €", ["150.00"]),
        ("Summe 1.500,-- EUR", ["1500.00"]),
        ("Pauschale 150.– Fr.", ["150.00"]),
        ("Gutschrift -50,-", ["-50.00"]),
        ("€ 150", ["150.00"]),
        ("119 €", ["119.00"]),
        ("EUR 1.500", ["1500.00"]),
        ("USD 5", ["5.00"]),
        ("$25", ["25.00"]),
        ("Rs. 499", ["499.00"]),
        ("CHF 1'500.-", ["1500.00"]),
        ("Rs.1,234.00", ["1234.00"]),
        ("Netto 100,00 € MwSt 19 € Brutto 119 €", ["100.00", "19.00", "119.00"]),
        ("Bruttó összesen 127 000 Ft", ["127000.00"]),  # forints are whole, grouped by a space
        ("Celkem 12 500 Kč", ["12500.00"]),
        ("au capital de 50 000 EUR", ["50000.00"]),
        # a whole number is money only where a dash or a currency says so
        ("Pos 3 Menge 5 Stk", []),
        ("20457 Hamburg", []),
        ("Zeitraum 2024", []),
        ("EUR-Konto", []),
        ("bis 01.03.2024 EUR", []),
        # the currency of the amount before it is not a second amount's
        ("Total 12.50 EUR 5 Stk", ["12.50"]),
    ],
)
def test_whole_amounts_marked_as_money(text: str, expected: list[str]) -> None:
    assert [str(v) for v, _, _ in find_amounts(text)] == expected


def test_a_whole_amounts_span_is_its_number_with_sign_and_dash() -> None:
    text = "Brutto: EUR -1.500 / 150,- €"
    assert [text[s:e] for _, s, e in find_amounts(text)] == ["-1.500", "150,-"]


@pytest.mark.parametrize(
    "text",
    ["14.03.2024", "14. März 2024", "2024-03-14", "14 March 2024", "March 14, 2024", "Datum: 14.03.24",
     # as OCR returns them: the space after the day's dot or after the comma lost
     "14.März 2024", "14. März2024", "March 14,2024", "14. MÄRZ 2024", "14. Mrz. 2024"],
)
def test_dates(text: str) -> None:
    assert parse_date(text) == date(2024, 3, 14)


def test_impossible_date_is_no_date() -> None:
    assert parse_date("31.02.2024") is None
    assert parse_date("30. Februar 2024") is None
    assert parse_date("Mai 2024") is None  # no day


def test_quantities() -> None:
    assert parse_quantity("3") == Decimal(3)
    assert parse_quantity("1,5") == Decimal("1.5")


def test_iban_in_groups_is_compacted_to_its_country_length() -> None:
    found = find_ibans("IBAN: DE34 2005 0550 1234 5678 90 BIC HASPDEHHXXX")
    assert [m.value for m in found] == ["DE34200505501234567890"]


def test_vat_ids() -> None:
    assert [m.value for m in find_vat_ids("USt-IdNr.: DE 118 654 320")] == ["DE118654320"]
    assert [m.value for m in find_vat_ids("VAT ATU12345678")] == ["ATU12345678"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Receipt 71857936 02/03/1805:16 PM", date(2018, 3, 2)),  # not 2 March 1805
        ("Date & time :15/02/201812:04:58", date(2018, 2, 15)),
        ("Date : 25/09/201701:48:57 PM", date(2017, 9, 25)),
        ("Date: 01/05/162:51 Slip: 0020018018", date(2016, 5, 1)),
        ("15 Jun 1808:34:31 PM", date(2018, 6, 15)),  # not 15 June 1808
        ("Date:2016/05/0114:11:20", date(2016, 5, 1)),  # year first, the time glued to the day
        ("2016-05-019:05", date(2016, 5, 1)),
        ("Datum 12.03.2024 10:15", date(2024, 3, 12)),
    ],
)
def test_a_till_date_with_its_time_glued_on_by_ocr(text: str, expected: date) -> None:
    assert [d for d, _, _ in find_dates(text)] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DocNo CS00038813 Date.01/02/2018", [date(2018, 2, 1)]),  # OCR glued the date to its label's dot
        ("Tgl.01-02-2018", [date(2018, 2, 1)]),
        ("Date.01/02/201813:30", [date(2018, 2, 1)]),
        ("Version 1.01/02/2018", []),  # after a number and a dot: part of something else
        ("Ref .01/02/2018", []),
    ],
)
def test_a_date_glued_to_its_label_by_a_dot(text: str, expected: list[date]) -> None:
    assert [d for d, _, _ in find_dates(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("DATE: 2504/2017", date(2017, 4, 25)),  # OCR lost the separator after the day
    ("Date 25/042017", date(2017, 4, 25)),  # ... or the one before the year
])  # fmt: skip
def test_a_labelled_date_with_one_separator_lost_by_ocr(text: str, expected: date) -> None:
    assert [d for d, _, _ in find_dates(text, compact=True)] == [expected]
    # without a label saying a date stands there, such digits are no date
    assert find_dates(text) == []


@pytest.mark.parametrize("text", ["Date 03/0/2018", "12/2017", "Date 1234/2017", "Date 3113/2017"])
def test_digits_that_make_no_date_stay_none_even_after_a_label(text: str) -> None:
    assert find_dates(text, compact=True) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("P.IVA 00743110157 - C.F. 00743110157", ["IT00743110157"]),  # Italy's number without its country code
    ("Partita IVA: 03214560371", ["IT03214560371"]),
    ("P.IVA IT03214560371", ["IT03214560371"]),
    ("P. IVA 01234567890", []),  # its check digit is wrong: no VAT ID
    ("C.F. 00743110157", []),  # a tax code without the VAT label is not one
])  # fmt: skip
def test_an_italian_vat_number_after_its_label_gets_its_country_code(text: str, expected: list[str]) -> None:
    assert [m.value for m in find_vat_ids(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("CIF: B12345674", ["ESB12345674"]),  # Spain's company number: the VAT ID with ES before it
    ("N.I.F. A28017895", ["ESA28017895"]),
    ("NIF: 12345678Z", ["ES12345678Z"]),  # a person's, letter last
    ("NIF: 501964843", ["PT501964843"]),  # Portugal's nine digits
    ("NIPC PT 500 100 144", ["PT500100144"]),
    ("NIP: 779-234-56-74", ["PL7792345674"]),  # Poland's, grouped
    ("NIP 5260001246", ["PL5260001246"]),
    ("NIP: 779-234-56-70", []),  # its check digit is wrong: no VAT ID
    ("CIF: B12345670", []),
    ("NIF: ESB12345674", ["ESB12345674"]),  # with its country code: found once
])  # fmt: skip
def test_a_national_vat_number_after_its_label_gets_its_country_code(text: str, expected: list[str]) -> None:
    assert [m.value for m in find_vat_ids(text)] == expected


def test_iban_lengths_come_from_the_registry_for_every_country() -> None:
    assert [m.value for m in find_ibans("IBAN SE45 5000 0000 0583 9825 7466 BIC ESSESESS")] == [
        "SE4550000000058398257466"]
    assert [m.value for m in find_ibans("IBAN: PT50 0002 0123 1234 5678 9015 4")] == ["PT50000201231234567890154"]
    assert [m.value for m in find_ibans("NO93 8601 1117 947 MVA")] == ["NO9386011117947"]


def test_a_swedish_vat_id_is_no_iban() -> None:
    # shorter than a Swedish IBAN and without a valid check sum: the VAT ID it is, not a broken IBAN
    text = "Org.nr 556677-8899 Momsreg.nr SE556677889901 Bankgiro 123-4567"
    assert find_ibans(text) == []
    assert [m.value for m in find_vat_ids(text)] == ["SE556677889901"]


@pytest.mark.parametrize(
    ("vat_id", "shaped"),
    [("FR40303265045", True), ("FR41303265045", True),  # a wrong check digit: a VAT ID misread or misprinted
     ("FR37195524", False),  # a French host's invoice number: too short for any French VAT ID
     ("DE123456789", True), ("DE12345678", False), ("ATU12345678", True), ("NL004495445B01", True),
     ("GB123456782", True), ("GB12345678", False), ("CHE116281710", True), ("CHE116281710MWST", True),
     ("CHE12345678", False), ("NO123456789MVA", True)],
)
def test_a_vat_id_has_its_countrys_shape(vat_id: str, shaped: bool) -> None:
    assert vat_id_shaped(vat_id) is shaped


def test_an_italian_vat_number_whose_label_ocr_misread_is_found() -> None:
    # OCR's 1 for the I of "P.IVA" on a black-and-white scan
    assert [m.value for m in find_vat_ids("P.1VA 03214560371-C.F.03214560371")] == ["IT03214560371"]
