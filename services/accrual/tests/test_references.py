"""Tests of the reference kinds and their checks, with numbers published by the schemes' owners or
computed here by hand, never by the code under test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from belegflow_accrual.references import (
    ReferencePatterns,
    RefKind,
    container_check_ok,
    dhl_express_check_ok,
    dpd_check_ok,
    fedex_express_check_ok,
    find_references,
    mawb_check_ok,
    ups_check_ok,
)

# UPS's own sample (1Z999AA10123456784) and shipments listed with their check in jkeen/tracking_number_data
UPS_VALID = ["1Z999AA10123456784", "1Z5R89390357567127", "1Z879E930346834440", "1Z410E7W0392751591",
             "1Z8V92A70367203024"]
UPS_INVALID = ["1Z999AA10123456785", "1Z1111111111111111", "1Z5R89390357567128"]
DHL_VALID = ["3318810025", "73891051146", "8487135506", "1099255990", "3821724944", "3318810036", "3318810014"]
DHL_INVALID = ["3318810010", "3318810034", "3318810011"]
FEDEX_VALID = ["986578788855", "477179081230", "799531274483", "790535312317", "974367662710"]
FEDEX_INVALID = ["996578788855", "986578788856"]
DPD_VALID = ["008182709980000020033350276C", "008182709980000020045327276N"]
DPD_INVALID = ["008182709980000020033350276A", "008182709980000020045000000N"]
# ISO 6346's own example and containers whose check digits were computed by hand from the standard's table
CONTAINER_VALID = ["CSQU3054383", "MSCU5501845", "HLXU8354677", "TGHU1234567"]
CONTAINER_INVALID = ["CSQU3054384", "MSCU5501846", "TGHU1234560"]


@pytest.mark.parametrize(("check", "valid", "invalid"), [
    (ups_check_ok, UPS_VALID, UPS_INVALID),
    (dhl_express_check_ok, DHL_VALID, DHL_INVALID),
    (fedex_express_check_ok, FEDEX_VALID, FEDEX_INVALID),
    (dpd_check_ok, DPD_VALID, DPD_INVALID),
    (container_check_ok, CONTAINER_VALID, CONTAINER_INVALID),
], ids=["ups", "dhl-express", "fedex-express", "dpd", "iso6346"])
def test_published_numbers_pass_and_misreads_fail(check: object, valid: list[str], invalid: list[str]) -> None:
    assert callable(check)
    assert [n for n in valid if not check(n)] == []
    assert [n for n in invalid if check(n)] == []


# --- properties: a valid number made here, by the scheme's rule written out again ---------------------

_ISO_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                          [10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 34,
                           35, 36, 37, 38], strict=True))}


def _iso6346(owner: str, serial: int) -> str:
    head = f"{owner}U{serial:06d}"
    total = sum(_ISO_VALUES[c] * 2 ** i for i, c in enumerate(head))
    return head + str(total % 11 % 10)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3), st.integers(0, 999_999),
       st.integers(1, 9))
def test_container_check_digit_property(owner: str, serial: int, shift: int) -> None:
    good = _iso6346(owner, serial)
    assert container_check_ok(good)
    bad = good[:10] + str((int(good[10]) + shift) % 10)
    assert not container_check_ok(bad)


@given(st.integers(1, 999), st.integers(0, 9_999_999), st.integers(1, 6))
def test_mawb_check_digit_property(prefix: int, serial: int, shift: int) -> None:
    good = f"{prefix:03d}{serial:07d}{serial % 7}"
    assert mawb_check_ok(good)
    assert not mawb_check_ok(good[:10] + str((serial % 7 + shift) % 7))


@given(st.integers(0, 999_999_999), st.integers(1, 6))
def test_dhl_express_check_digit_property(serial: int, shift: int) -> None:
    good = f"{serial:09d}{serial % 7}"
    assert dhl_express_check_ok(good)
    assert not dhl_express_check_ok(good[:9] + str((serial % 7 + shift) % 7))


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=15, max_size=15), st.integers(1, 9))
def test_ups_check_digit_property(body: str, shift: int) -> None:
    # UPS: letters count as (position in the alphabet + 2) mod 10, every second character doubled, then mod 10
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    odd, even = sum(values[0::2]), sum(values[1::2])
    check = (10 - (odd + 2 * even) % 10) % 10
    assert ups_check_ok(f"1Z{body}{check}")
    assert not ups_check_ok(f"1Z{body}{(check + shift) % 10}")


# --- finding references in text ------------------------------------------------------------------


def _typed(text: str, patterns: ReferencePatterns | None = None) -> dict[RefKind, list[tuple[str, bool | None]]]:
    found: dict[RefKind, list[tuple[str, bool | None]]] = {}
    for ref in find_references(text, patterns):
        if ref.kind is not RefKind.TOKEN:
            found.setdefault(ref.kind, []).append((ref.value, ref.check_ok))
    return found


def test_every_kind_is_found_in_one_collective_line() -> None:
    text = ("Cont. CSQU 305438-3 | AWB 020-1234 5675 | HAWB: HX-99812 | B/L MAEU123456789 | DHL 3318810025 | "
            "UPS 1Z999AA10123456784 | Auftrag SO-2024123 | Rollkarte 88123 | Pos. SE-2024/0815")
    assert _typed(text) == {
        RefKind.CONTAINER: [("CSQU3054383", True)],
        RefKind.MAWB: [("020-12345675", True)],
        RefKind.HAWB: [("HX-99812", None)],
        RefKind.BILL_OF_LADING: [("MAEU123456789", None)],
        RefKind.TRACKING: [("1Z999AA10123456784", True), ("3318810025", True)],
        RefKind.SERVICE_ORDER: [("SO-2024123", None)],
        RefKind.MANIFEST: [("88123", None)],
        RefKind.POSITION: [("SE-2024/0815", None)],
    }


def test_carrier_named_on_the_line_decides_the_tracking_scheme() -> None:
    assert _typed("FedEx 986578788855")[RefKind.TRACKING] == [("986578788855", True)]
    assert _typed("FedEx 996578788855")[RefKind.TRACKING] == [("996578788855", False)]
    # GLS and DPD's printed parcel number have no public check digit: accepted by shape only
    assert _typed("GLS Paket 12345678901")[RefKind.TRACKING] == [("12345678901", None)]
    assert _typed("DPD 01234567890123")[RefKind.TRACKING] == [("01234567890123", None)]


def test_an_unlabelled_bl_needs_a_known_ocean_carrier() -> None:
    assert _typed("HLCU12345678")[RefKind.BILL_OF_LADING] == [("HLCU12345678", None)]
    assert RefKind.BILL_OF_LADING not in _typed("ABCD12345678")


def test_a_misread_reference_gives_no_token_in_another_form() -> None:
    refs = find_references("UPS 1Z999AA10123456785")
    assert [r.usable for r in refs if r.kind is RefKind.TRACKING] == [False]
    assert not any("1Z999AA1012345678" in r.value for r in refs if r.usable)


def test_tenant_position_patterns_come_first() -> None:
    patterns = ReferencePatterns.compile([r"\bAKT(\d{6})\b"])
    assert _typed("Akte AKT123456 Zoll", patterns)[RefKind.POSITION] == [("123456", None)]
