"""Tests of master-data file parsing: CSV and JSON, German amounts, and bad files refused whole with the row named."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from belegflow_contracts.masterdata import MasterDataFileError, parse_accruals, parse_amount, parse_suppliers

if TYPE_CHECKING:
    from pathlib import Path

SUPPLIER_HEADER = (
    "supplier_number,name,street,postal_code,city,country,ibans,vat_id,gl_account,cost_center,tax_key,"
    "amount_tolerance\n"
)
GOOD_IBAN = "DE89370400440532013000"
OTHER_IBAN = "DE34200505501234567890"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_suppliers_csv_is_parsed_with_several_ibans_and_german_amount(tmp_path: Path) -> None:
    # GIVEN a supplier file as a spreadsheet exports it (BOM, German decimal comma, two IBANs)
    path = tmp_path / "suppliers.csv"
    path.write_bytes(("\ufeff" + SUPPLIER_HEADER
                      + f'70001,Spedition Nordlicht GmbH,Hafenstraße 12,20457,Hamburg,DE,"{GOOD_IBAN}; DE34 2005 0550 '
                      f'1234 5678 90",DE 136 695 976,3800,1000,9,"1.234,56"\n'
                      + "70002,Rheinfracht AG,,,,,,,,,,\n").encode())
    # WHEN parsed
    suppliers = parse_suppliers(path)
    # THEN every value arrives normalised, and empty cells are "not given"
    assert [s.supplier_number for s in suppliers] == ["70001", "70002"]
    first = suppliers[0]
    assert first.ibans == [GOOD_IBAN, OTHER_IBAN]
    assert first.vat_id == "DE136695976"
    assert first.amount_tolerance == Decimal("1234.56")
    assert suppliers[1].street is None
    assert suppliers[1].ibans == []
    assert suppliers[1].amount_tolerance == Decimal(0)


def test_bad_iban_in_record_3_names_line_4_and_returns_nothing(tmp_path: Path) -> None:
    # GIVEN three suppliers, the third with an IBAN whose check sum is wrong
    path = _write(tmp_path, "suppliers.csv", SUPPLIER_HEADER
                  + f"70001,A GmbH,,,,,{GOOD_IBAN},,,,,\n"
                  + f"70002,B GmbH,,,,,{OTHER_IBAN},,,,,\n"
                  + "70003,C GmbH,,,,,DE89370400440532013001,,,,,\n")
    # WHEN parsed THEN the whole file is refused, naming line 4 (record 3) and the field
    with pytest.raises(MasterDataFileError) as caught:
        parse_suppliers(path)
    error = caught.value
    assert error.row == 4
    assert error.field == "ibans"
    assert "line 4 (record 3)" in str(error)
    assert "DE89370400440532013001" in str(error)
    assert "nothing was imported" in str(error)


@pytest.mark.parametrize("amount", ["12,34.5", "abc", "1.2.3", "1,234.56"])
def test_bad_amount_is_refused_naming_row_and_field(tmp_path: Path, amount: str) -> None:
    path = _write(tmp_path, "accruals.csv", "accrual_number,supplier_number,reference,amount,currency\n"
                  + "AC-1,70001,MSCU5501845,811.77,EUR\n"
                  + f'AC-2,70001,4909-5450,"{amount}",EUR\n')
    with pytest.raises(MasterDataFileError) as caught:
        parse_accruals(path)
    assert caught.value.row == 3
    assert caught.value.field == "amount"


@pytest.mark.parametrize(("text", "value"), [
    ("1234.56", "1234.56"), ("1.234,56", "1234.56"), ("1234,56", "1234.56"), ("-5", "-5"), ("1.234.567,8", "1234567.8"),
])
def test_amounts_accept_plain_and_german_notation(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


def test_duplicate_key_in_one_file_is_refused(tmp_path: Path) -> None:
    # GIVEN the same accrual number twice
    path = _write(tmp_path, "accruals.csv", "accrual_number,supplier_number,reference,amount,currency\n"
                  + "AC-1,70001,MSCU5501845,811.77,EUR\n"
                  + "AC-1,70001,4909-5450,10,EUR\n")
    # THEN refused, naming the second occurrence and the first
    with pytest.raises(MasterDataFileError, match=r"line 3 .*'AC-1' occurs twice \(first at line 2\)"):
        parse_accruals(path)


def test_one_iban_on_two_suppliers_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "suppliers.csv", SUPPLIER_HEADER
                  + f"70001,A GmbH,,,,,{GOOD_IBAN},,,,,\n"
                  + f"70002,B GmbH,,,,,{GOOD_IBAN},,,,,\n")
    with pytest.raises(MasterDataFileError) as caught:
        parse_suppliers(path)
    assert caught.value.row == 3
    assert caught.value.field == "ibans"


def test_json_bad_record_names_its_index(tmp_path: Path) -> None:
    # GIVEN a JSON list whose third object has no name
    records = [
        {"supplier_number": "70001", "name": "A GmbH", "ibans": [GOOD_IBAN]},
        {"supplier_number": "70002", "name": "B GmbH", "amount_tolerance": "5,00"},
        {"supplier_number": "70003"},
    ]
    path = _write(tmp_path, "suppliers.json", json.dumps(records))
    # WHEN parsed THEN refused, naming index 2 and the field
    with pytest.raises(MasterDataFileError) as caught:
        parse_suppliers(path)
    assert caught.value.row == 2
    assert caught.value.field == "name"
    assert "index 2" in str(caught.value)


def test_json_accruals_keep_amounts_exact(tmp_path: Path) -> None:
    path = _write(tmp_path, "accruals.json",
                  '[{"accrual_number": "AC-1", "supplier_number": "70001", "reference": "x 1", "amount": 0.1}]')
    [accrual] = parse_accruals(path)
    assert accrual.amount == Decimal("0.1")


@pytest.mark.parametrize(("text", "detail"), [
    ("", "empty"),
    ("accrual_number,supplier_number,reference,amount,currency\n", "no records"),
    ("accrual_number,supplier_number,amount\nAC-1,70001,1\n", "missing column(s) ['reference']"),
    ("accrual_number,supplier_number,reference,amount,colour\n", "unknown column(s) ['colour']"),
    ("accrual_number,supplier_number,reference,amount,currency\nAC-1,70001,X,1,EUR,extra\n", "6 values"),
])
def test_malformed_csv_is_refused_clearly(tmp_path: Path, text: str, detail: str) -> None:
    with pytest.raises(MasterDataFileError) as caught:
        parse_accruals(_write(tmp_path, "accruals.csv", text))
    assert detail in str(caught.value)


def test_json_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MasterDataFileError, match="expected a JSON list"):
        parse_accruals(_write(tmp_path, "accruals.json", '{"accrual_number": "AC-1"}'))


def test_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(MasterDataFileError, match="cannot read the file"):
        parse_suppliers(tmp_path / "nope.csv")


@pytest.mark.parametrize("amount", ["-5.00", "0", "-1.234,56"])
def test_an_accrual_of_nothing_or_less_is_refused_naming_row_and_field(tmp_path: Path, amount: str) -> None:
    path = _write(tmp_path, "accruals.csv", "accrual_number,supplier_number,reference,amount,currency\n"
                  + "AC-1,70001,MSCU5501845,811.77,EUR\n"
                  + f'AC-2,70001,4909-5450,"{amount}",EUR\n')
    with pytest.raises(MasterDataFileError, match="greater than 0") as caught:
        parse_accruals(path)
    assert (caught.value.row, caught.value.field) == (3, "amount")


def test_tolerances_per_service_type_are_read_from_their_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "suppliers.csv", "supplier_number,name,amount_tolerance,amount_tolerance_percent,"
                  "service_tolerances\n70001,A GmbH,5.00,2,\"air=10,00/1%; sea=3%;road=2.50\"\n")
    (supplier,) = parse_suppliers(path)
    assert (supplier.amount_tolerance, supplier.amount_tolerance_percent) == (Decimal("5.00"), Decimal(2))
    assert [(t.service_type, t.amount_tolerance, t.amount_tolerance_percent) for t in supplier.service_tolerances] == [
        ("air", Decimal("10.00"), Decimal(1)), ("sea", None, Decimal(3)), ("road", Decimal("2.50"), None)]


@pytest.mark.parametrize(("cell", "detail"), [
    ("air", "is not like service=5.00"),
    ("air=5/6", "gives the absolute tolerance twice"),
    ("air=5;air=6", "occurs twice"),
    ("air=abc", "is not a number"),
    ("air=-5", "greater than or equal to 0"),
    ("air=150%", "less than or equal to 100"),
])
def test_bad_service_tolerances_are_refused_naming_row_and_field(tmp_path: Path, cell: str, detail: str) -> None:
    path = _write(tmp_path, "suppliers.csv", "supplier_number,name,service_tolerances\n"
                  f"70001,A GmbH,\n70002,B GmbH,{cell}\n")
    with pytest.raises(MasterDataFileError, match=detail) as caught:
        parse_suppliers(path)
    assert (caught.value.row, caught.value.field) == (3, "service_tolerances")


@pytest.mark.parametrize(("pattern", "problem"), [
    ("(", "not a regular expression"),
    (r"(\d+)-(\d+)", "more than one group"),
    (r"\d*", "matches the empty text"),
])
def test_accrual_settings_with_an_unusable_position_pattern_are_refused(pattern: str, problem: str) -> None:
    from datetime import UTC, datetime

    from pydantic import ValidationError

    from belegflow_contracts.messages import AccrualSettingsV1

    def settings(patterns: list[str]) -> AccrualSettingsV1:
        return AccrualSettingsV1(tenant="acme", send_accrual_numbers=True, changed_by="ops:anna",
                                 changed_at=datetime(2024, 5, 1, tzinfo=UTC), position_patterns=patterns)

    with pytest.raises(ValidationError, match=f"position pattern 2 .*{problem}"):
        settings([r"\bSE-\d{4}/\d{4}\b", pattern])
    assert settings([r"\bAKT(\d{6})\b"]).position_patterns == [r"\bAKT(\d{6})\b"]


@pytest.mark.parametrize("depth", [100_000, 2_000])
def test_json_nested_too_deeply_is_refused_clearly(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "suppliers.json"
    path.write_text('[{"supplier_number": "70001", "name": ' + "[" * depth + "]" * depth + "}]")
    with pytest.raises(MasterDataFileError) as error:
        parse_suppliers(path)
    assert "nothing was imported" in str(error.value)
