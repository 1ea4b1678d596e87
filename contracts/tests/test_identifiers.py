"""IBAN and VAT ID checks (python-stdnum): country, length, structure and check digits, with why when refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from belegflow_contracts.messages import SupplierV1
from belegflow_contracts.types import (
    de_vat_check_digit_ok,
    iban_checksum_ok,
    normalize_iban,
    normalize_vat_id,
)


@pytest.mark.parametrize(
    ("given", "compact"),
    [
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("gb82-west-1234-5698-7654-32", "GB82WEST12345698765432"),
        ("FR1420041010050500013M02606", "FR1420041010050500013M02606"),
        ("AT611904300234573201", "AT611904300234573201"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
    ],
)
def test_valid_ibans_are_compacted(given: str, compact: str) -> None:
    assert normalize_iban(given) == compact
    assert iban_checksum_ok(compact)


@pytest.mark.parametrize(
    ("iban", "why"),
    [
        # the mod-97 check digits are right in the first three: only the country's rules refuse them
        ("DE41370400440532013", "length or structure is wrong for its country"),  # 19 characters, DE has 22
        ("DE9837040044053201300000", "length or structure is wrong for its country"),  # 24 characters
        ("QQ33370400440532013000", "country code has no IBAN"),
        ("DE00370400440532013000", "check digits are wrong"),
        ("DE89 3704", "not two letters, two check digits"),
    ],
    ids=["de-too-short", "de-too-long", "unknown-country", "wrong-check-digits", "no-iban"],
)
def test_invalid_ibans_are_refused_saying_why(iban: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalize_iban(iban)
    assert not iban_checksum_ok(iban.replace(" ", ""))


@pytest.mark.parametrize(
    ("given", "compact"),
    [
        ("DE 136 695 976", "DE136695976"),
        ("FR40303265045", "FR40303265045"),
        ("ATU13585627", "ATU13585627"),
        ("NL004495445B01", "NL004495445B01"),
        ("EL094259216", "EL094259216"),
        ("CHE123456788", "CHE123456788"),  # outside the EU: format only
    ],
)
def test_valid_vat_ids_are_compacted(given: str, compact: str) -> None:
    assert normalize_vat_id(given) == compact


@pytest.mark.parametrize(
    "vat_id",
    ["DE136695977", "FR41303265045", "ATU13585626", "NL004495446B01", "BE0123456788", "IT00743110158"],
    ids=["de", "fr", "at", "nl", "be", "it"],
)
def test_eu_vat_ids_with_a_wrong_check_digit_are_refused(vat_id: str) -> None:
    with pytest.raises(ValueError, match="check digit is wrong"):
        normalize_vat_id(vat_id)


def test_an_eu_vat_id_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="VAT ID 'FR4030326504' is not valid"):
        normalize_vat_id("FR4030326504")


def test_german_check_digit() -> None:
    assert de_vat_check_digit_ok("DE136695976")
    assert not de_vat_check_digit_ok("DE136695977")
    assert not de_vat_check_digit_ok("FR40303265045")


def test_master_data_refuses_a_supplier_with_an_invalid_vat_id() -> None:
    with pytest.raises(ValidationError, match="check digit is wrong"):
        SupplierV1(supplier_number="1", name="A", vat_id="ATU13585626")
