"""What the desk's forms send on: only the values a person changed, typed in either language's format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from belegflow_ingest.desk import UnreadableInputError, _body, _posted_lines

INVOICE = {"invoice_number": "RE-1", "invoice_date": "2024-03-17", "gross_amount": "6114.08", "currency": "EUR"}


def test_a_correction_names_only_what_changed_whatever_the_format() -> None:
    # GIVEN the page showed the values in German and the person changed only the gross amount
    form = {"expected_version": "2", "invoice_number": "RE-1", "invoice_date": "17.03.2024",
            "gross_amount": "6.114,10", "currency": "EUR"}
    body = _body("correct", form, INVOICE, "de")
    # THEN the correction holds the gross amount alone, as a number
    assert body.model_dump(exclude_none=True, exclude={"expected_version", "reason"}) == {
        "gross_amount": Decimal("6114.10")}
    # AND the same values typed the English way are no change at all
    same = _body("correct", {**form, "invoice_date": "17/03/2024", "gross_amount": "6,114.08"}, INVOICE, "en")
    assert same.model_dump(exclude_none=True, exclude={"expected_version", "reason"}) == {}


def test_a_value_in_neither_format_is_named() -> None:
    with pytest.raises(UnreadableInputError) as unread:
        _body("correct", {"expected_version": "1", "invoice_date": "March 17"}, INVOICE, "en")
    assert unread.value.field == "invoice_date"


def test_the_line_table_keeps_rows_places_drops_empty_rows_and_adds_the_last() -> None:
    before = [{"position": 1, "description": "Seefracht", "net_amount": "811.77", "page": 1,
               "bbox": [57.0, 341.5, 538.0, 362.8]}]
    form = {"line-0-position": "1", "line-0-description": "Seefracht", "line-0-quantity": "1",
            "line-0-unit_price": "811,77", "line-0-net_amount": "811,77", "line-0-reference_text": "MSCU5501845",
            "line-1-position": "", "line-1-description": "", "line-1-quantity": "", "line-1-unit_price": "",
            "line-1-net_amount": "", "line-1-reference_text": "",
            "line-2-position": "", "line-2-description": "THC", "line-2-quantity": "", "line-2-unit_price": "",
            "line-2-net_amount": "1.234,50", "line-2-reference_text": ""}
    lines = _posted_lines(form, before, "de")
    assert lines == [
        {"position": "1", "description": "Seefracht", "reference_text": "MSCU5501845", "quantity": "1",
         "unit_price": "811.77", "net_amount": "811.77", "page": 1, "bbox": [57.0, 341.5, 538.0, 362.8]},
        {"position": "2", "description": "THC", "reference_text": "", "net_amount": "1234.50"},
    ]
    with pytest.raises(UnreadableInputError, match="line 3 net_amount"):
        _posted_lines({**form, "line-2-net_amount": "viel"}, before, "de")
