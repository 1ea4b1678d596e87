"""DATEV booking batch and documents: writing, the checker's rules, and every input DATEV cannot take."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from belegflow_contracts.messages import AccruedV1, Decision, DocumentType, InvoiceV1, MatchKey, SupplierMatchV1
from belegflow_contracts.types import ObjectRef
from belegflow_export.datev import (
    EXTF_COLUMNS,
    DatevClient,
    bookings_for,
    fold_to_cp1252,
    parse_period,
    tax_portions,
    write_extf,
)
from belegflow_export.datev_check import check_extf
from belegflow_export.datev_documents import DocumentImage, documents_zip, read_documents_zip
from belegflow_export.errors import DatevDataError, DatevPeriodError

CLIENT = DatevClient(consultant_number=1001, client_number=1)
PERIOD = parse_period("2026-11")
AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _event(*, supplier: dict[str, Any] | None = None, **invoice: Any) -> AccruedV1:
    values: dict[str, Any] = {"invoice_number": "RE-24-08133", "invoice_date": date(2026, 11, 17),
                              "net_amount": Decimal("1000.00"), "tax_amount": Decimal("190.00"),
                              "gross_amount": Decimal("1190.00")}
    values.update(invoice)
    supplier_values: dict[str, Any] = {"supplier_number": "70001", "name": "Spedition Nordlicht GmbH",
                                       "gl_account": "3800", "cost_center": "1000", "tax_key": "9",
                                       "matched_by": MatchKey.IBAN, "confidence": 1.0}
    supplier_values.update(supplier or {})
    return AccruedV1(document_id=uuid4(), tenant="demo", revision=1,
                     original=ObjectRef(bucket="originals", key="demo/ab/ab.pdf", sha256="ab" * 32, size=3),
                     invoice=InvoiceV1(**values), supplier=SupplierMatchV1(**supplier_values),
                     decision=Decision.TOUCHLESS, assignments=[], send_accruals=True)


def _file(*events: AccruedV1) -> bytes:
    bookings = [b for event in events for b in bookings_for(event)]
    return write_extf(CLIENT, PERIOD, bookings, created_at=AT, description="Rechnungen 2026-11")


def _rows(data: bytes) -> list[list[str]]:
    return [line.split(";") for line in data.decode("cp1252").split("\r\n")[2:] if line]


def test_a_written_file_passes_the_checker_and_carries_the_booking() -> None:
    # GIVEN an approved invoice at 19 %
    event = _event()
    # WHEN its batch is written
    data = _file(event)
    # THEN the checker finds nothing, and the row books gross, creditor, GL account, tax key, date, number, link
    assert check_extf(data) == []
    assert data.startswith(b'"EXTF";700;21;"Buchungsstapel";13;20261201080000000;;"BF";"belegflow";;1001;1;'
                           b"20260101;4;20261101;20261130;")
    assert data.count(b"\n") == data.count(b"\r\n") == 3
    (row,) = _rows(data)
    assert len(row) == len(EXTF_COLUMNS) == 125
    col = {name: i for i, name in enumerate(EXTF_COLUMNS)}
    assert row[col["Umsatz (ohne Soll/Haben-Kz)"]] == "1190,00"
    assert row[col["Soll/Haben-Kennzeichen"]] == '"H"'
    assert row[col["Konto"]] == "70001"
    assert row[col["Gegenkonto (ohne BU-Schlüssel)"]] == "3800"
    assert row[col["BU-Schlüssel"]] == '"9"'
    assert row[col["Belegdatum"]] == "1711"
    assert row[col["Belegfeld 1"]] == '"RE-24-08133"'
    assert row[col["Buchungstext"]] == '"Spedition Nordlicht GmbH RE-24-08133"'
    assert row[col["KOST1 - Kostenstelle"]] == '"1000"'
    assert row[col["Beleglink"]] == f'"BEDI ""{event.document_id}"""'


def test_an_invoice_of_two_rates_is_two_bookings_and_a_credit_note_debits_the_creditor() -> None:
    # GIVEN net 1000 = 600 at 19 % + 400 at 7 %: tax 114 + 28 = 142
    mixed = _event(net_amount=Decimal("1000.00"), tax_amount=Decimal("142.00"), gross_amount=Decimal("1142.00"))
    credit = _event(document_type=DocumentType.CREDIT_NOTE, invoice_number="GS 12 34")
    # WHEN booked
    mixed_bookings, credit_bookings = bookings_for(mixed), bookings_for(credit)
    # THEN one booking per rate, with each rate's key, adding up to the gross; the credit note is "S"
    assert [(b.amount, b.tax_key) for b in mixed_bookings] == [(Decimal("714.00"), "9"), (Decimal("428.00"), "8")]
    assert credit_bookings[0].debit_credit == "S"
    assert credit_bookings[0].invoice_number == "GS1234"  # blanks removed
    assert check_extf(_file(mixed, credit)) == []


def test_tax_that_fits_no_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="fits neither 19 %, 7 % nor 0 %"):
        tax_portions(Decimal("100.00"), Decimal("50.00"), Decimal("150.00"))
    assert tax_portions(None, None, Decimal("5.00")) == [(None, Decimal("5.00"))]


@pytest.mark.parametrize(("supplier", "invoice", "reason"), [
    ({"gl_account": None}, {}, "no GL account"),
    ({"supplier_number": "K-70001"}, {}, "creditor account 'K-70001' is not 1 to 9 digits"),
    ({}, {"invoice_number": "R" * 37}, "has 37 characters; DATEV's Belegfeld 1 takes 36"),
    ({}, {"invoice_number": "RE.2026#1"}, "does not take: '#' '.'"),
    ({}, {"invoice_number": "RÉ-1"}, "does not take: 'É'"),
    ({"cost_center": "Kostenstelle-Nord"}, {}, "cost centre 'Kostenstelle-Nord'"),
    ({}, {"gross_amount": Decimal("12345678901.00"), "net_amount": None, "tax_amount": None}, "is not between"),
])
def test_what_datev_cannot_take_is_refused_with_the_reason(supplier: dict[str, Any], invoice: dict[str, Any],
                                                           reason: str) -> None:
    with pytest.raises(DatevDataError) as caught:
        bookings_for(_event(supplier=supplier, **invoice))
    assert any(reason in problem for problem in caught.value.problems), caught.value.problems


def test_text_outside_windows_1252_is_folded_and_cut_to_60() -> None:
    # GIVEN a supplier name with Polish and Hungarian letters and a long tail
    event = _event(supplier={"name": "Łódź Przewóz Ősz Sp. z o.o. " + "Logistyka " * 6})
    # WHEN booked
    (booking,) = bookings_for(event)
    # THEN the text is Windows-1252, 60 characters, and says so
    assert booking.text.startswith("Lódz Przewóz Osz Sp. z o.o. Logistyka")
    assert len(booking.text) == 60
    booking.text.encode("cp1252")
    assert booking.notes == ("posting text: characters outside Windows-1252 replaced",
                             "posting text cut to 60 characters")
    assert fold_to_cp1252("Ω€") == "?€"
    assert check_extf(_file(event)) == []


@pytest.mark.parametrize("text", ["2026-13", "11/2026", "2026-1", "", "abcd-ef"])
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(DatevPeriodError, match="YYYY-MM"):
        parse_period(text)


def test_period_bounds() -> None:
    assert (parse_period("2024-02").first, parse_period("2024-02").last) == (date(2024, 2, 1), date(2024, 2, 29))


# --- the checker catches what a broken writer would produce ----------------------------------------------------

def _broken(data: bytes, old: bytes, new: bytes) -> list[str]:
    assert old in data
    return [str(p) for p in check_extf(data.replace(old, new, 1))]


def test_the_checker_finds_each_broken_rule() -> None:
    data = _file(_event())
    assert _broken(data, b"1190,00", b"1190.00") == [
        "line 3, Umsatz (ohne Soll/Haben-Kz): '1190.00' is not a positive amount, 1 to 10 digits, comma, 2"]
    assert _broken(data, b'"H"', b'"X"')[0].startswith("line 3, Soll/Haben-Kennzeichen")
    assert _broken(data, b'"RE-24-08133";', b'"RE 24 08133";')[0].startswith("line 3, Belegfeld 1")
    assert _broken(data, b";1711;", b";1712;") == ["line 3, Belegdatum: 2026-12-17 is outside 2026-11-01..2026-11-30"]
    assert _broken(data, b";70001;", b";;") == ["line 3, Konto: is required"]
    assert _broken(data, b";70001;", b";7000100;")[0] == (
        "line 3, Konto: 7000100 is longer than a personal account (5 digits)")
    assert _broken(data, b";1001;", b";999;") == ["line 1, Beraternummer: '999' is not between 1001 and 9999999"]
    assert _broken(data, b"\r\n", b"\n")[0].startswith("line")
    assert "is not Windows-1252" in _broken(data, b"Nordlicht", "Nordlicht\u0081".encode("latin-1"))[0]
    long_text = b'"' + b"x" * 61 + b'"'
    assert _broken(data, b'"Spedition Nordlicht GmbH RE-24-08133"', long_text)[0].startswith("line 3, Buchungstext")
    assert _broken(data, b'"EUR";', b'"EUR";;')[0] == "line 1, header: has 32 fields; format 700 has 31"


def test_an_empty_batch_is_a_valid_file_with_no_rows() -> None:
    data = write_extf(CLIENT, PERIOD, [], created_at=AT, description="nothing")
    assert check_extf(data) == []
    assert _rows(data) == []


def test_documents_zip_lists_every_invoice_with_its_image() -> None:
    images = [DocumentImage(document_id=UUID(int=i + 1), filename=f"{UUID(int=i + 1)}.pdf", data=b"%PDF-" + bytes([i]),
                            invoice_number=f"RE-{i}") for i in range(3)]
    data = documents_zip(CLIENT, images, created_at=AT, description="Belege 2026-11")
    assert read_documents_zip(data) == {str(i.document_id): i.filename for i in images}
    assert documents_zip(CLIENT, images, created_at=AT, description="Belege 2026-11") == data
