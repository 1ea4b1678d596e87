"""Tests of matching's decisions: key precedence IBAN > VAT ID > name, touchless or review, the protocol."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from belegflow_contracts.messages import (
    AmountFieldV1,
    DateFieldV1,
    Decision,
    InvoiceFieldsV1,
    MatchKey,
    RecognizedV1,
    SupplierV1,
    TextFieldV1,
)
from belegflow_contracts.types import ObjectRef
from belegflow_matching.domain import (
    Candidates,
    SupplierRecord,
    check_batch,
    identify,
    lookup_keys,
    match,
    normalize_name,
)
from belegflow_matching.errors import BatchRefusedError

AT = datetime(2024, 5, 17, 10, 0, tzinfo=UTC)
IBAN_A = "DE89370400440532013000"
IBAN_B = "DE34200505501234567890"
VAT_A = "DE136695976"
VAT_B = "DE118654320"

NORDLICHT = SupplierRecord(
    supplier_number="70001", name="Spedition Nordlicht GmbH", street="Hafenstraße 12", postal_code="20457",
    city="Hamburg", country="DE", ibans=(IBAN_A,), vat_id=VAT_A, gl_account="3800", cost_center="1000", tax_key="9",
)
RHEIN = SupplierRecord(
    supplier_number="70002", name="Rheinfracht Logistik AG", city="Köln", ibans=(IBAN_B,), vat_id=VAT_B,
    gl_account="3810", cost_center="2000", tax_key="8",
)


def _text(value: str, confidence: float = 0.98) -> TextFieldV1:
    return TextFieldV1(value=value, confidence=confidence)


def _amount(value: str, confidence: float = 0.98) -> AmountFieldV1:
    return AmountFieldV1(value=Decimal(value), confidence=confidence)


def _fields(**changes: Any) -> InvoiceFieldsV1:
    values: dict[str, Any] = {
        "invoice_number": _text("RE-2024-001"),
        "invoice_date": DateFieldV1(value=date(2024, 5, 2), confidence=0.97),
        "net_amount": _amount("100.00"),
        "tax_amount": _amount("19.00"),
        "gross_amount": _amount("119.00"),
        "supplier_name": _text("Spedition Nordlicht GmbH"),
        "supplier_iban": _text("DE89 3704 0044 0532 0130 00"),
        "supplier_vat_id": _text("DE 136 695 976"),
    }
    values.update(changes)
    return InvoiceFieldsV1(**values)


def _event(fields: InvoiceFieldsV1) -> RecognizedV1:
    ref = ObjectRef(bucket="originals", key="acme/ab/ab.pdf", sha256="ab" * 32, size=10)
    return RecognizedV1(
        document_id=UUID("3f2b8c1e-0d4a-4e5b-9c6d-7e8f9a0b1c2d"), tenant="acme", revision=1, original=ref,
        reader="pdf-text", fields=fields, work_product=ref,
    )


def _match(fields: InvoiceFieldsV1, candidates: Candidates) -> Any:
    return match(_event(fields), lookup_keys(fields), candidates, min_confidence=0.9, at=AT)


# --- precedence -----------------------------------------------------------------------------------


def test_iban_wins_over_vat_id_and_name() -> None:
    # GIVEN an IBAN, a VAT ID and a name that all point to known suppliers
    keys = lookup_keys(_fields())
    candidates = Candidates(by_iban=NORDLICHT, by_vat=(NORDLICHT,), by_name=(NORDLICHT,))
    # WHEN the supplier is identified
    found = identify(keys, candidates)
    # THEN the IBAN decided, with its confidence
    assert found.supplier is not None
    assert found.supplier.matched_by is MatchKey.IBAN
    assert found.supplier.confidence == pytest.approx(0.99)
    assert found.supplier.iban == IBAN_A


def test_vat_id_decides_when_the_iban_is_unknown() -> None:
    # GIVEN an IBAN master data does not know and a known VAT ID
    keys = lookup_keys(_fields())
    # WHEN the supplier is identified
    found = identify(keys, Candidates(by_iban=None, by_vat=(NORDLICHT,), by_name=(RHEIN,)))
    # THEN the VAT ID decided over the name, and the unknown IBAN is noted
    assert found.supplier is not None
    assert found.supplier.matched_by is MatchKey.VAT_ID
    assert found.supplier.confidence == pytest.approx(0.97)
    assert found.supplier.supplier_number == "70001"
    assert any("not in master data" in n for n in found.notes)


def test_name_is_the_last_resort() -> None:
    # GIVEN neither IBAN nor VAT ID is known, but the name is (written differently)
    fields = _fields(supplier_name=_text("SPEDITION  NORDLICHT gmbh."))
    # WHEN the supplier is identified
    found = identify(lookup_keys(fields), Candidates(by_name=(NORDLICHT,)))
    # THEN the name decided, with low confidence
    assert found.supplier is not None
    assert found.supplier.matched_by is MatchKey.NAME
    assert found.supplier.confidence == pytest.approx(0.6)


def test_a_key_that_names_several_suppliers_names_none() -> None:
    # GIVEN a VAT ID shared by two suppliers and no other key
    fields = _fields(supplier_iban=None, supplier_name=None)
    # WHEN the supplier is identified
    found = identify(lookup_keys(fields), Candidates(by_vat=(NORDLICHT, RHEIN)))
    # THEN nobody is chosen, and the protocol note says why
    assert found.supplier is None
    assert any("several suppliers" in n for n in found.notes)


def test_an_iban_with_a_bad_checksum_is_not_a_key() -> None:
    # GIVEN an IBAN misread by one digit
    keys = lookup_keys(_fields(supplier_iban=_text("DE89 3704 0044 0532 0130 01")))
    # THEN it is not used, and the note says so
    assert keys.iban is None
    assert any("IBAN read" in n for n in keys.notes)


def test_normalized_name_ignores_case_accents_and_punctuation() -> None:
    assert normalize_name("Köln-Spedition  GmbH & Co. KG") == normalize_name("KOLN SPEDITION GMBH CO KG")
    assert normalize_name("Straße") == "strasse"


# --- decision -------------------------------------------------------------------------------------


def test_touchless_with_strong_key_and_sure_complete_fields() -> None:
    # GIVEN a supplier known by IBAN and number, date and gross read surely, adding up
    # WHEN matched
    matched = _match(_fields(), Candidates(by_iban=NORDLICHT, by_vat=(NORDLICHT,)))
    # THEN it passes without a clerk, master data filled in
    assert matched.decision is Decision.TOUCHLESS
    assert matched.reasons == []
    assert matched.supplier.gl_account == "3800"
    assert matched.supplier.cost_center == "1000"
    assert matched.supplier.tax_key == "9"
    assert matched.invoice.supplier_iban == IBAN_A
    assert matched.protocol[-1].data["decision"] == "touchless"


def test_name_match_goes_to_review() -> None:
    # GIVEN only the name identifies the supplier
    fields = _fields(supplier_iban=None, supplier_vat_id=None)
    # WHEN matched
    matched = _match(fields, Candidates(by_name=(NORDLICHT,)))
    # THEN a clerk looks at it, because a name is a weak key
    assert matched.decision is Decision.REVIEW
    assert any("identified by name only" in r for r in matched.reasons)


def test_unknown_supplier_goes_to_review() -> None:
    matched = _match(_fields(), Candidates())
    assert matched.decision is Decision.REVIEW
    assert matched.supplier is None
    assert "no supplier identified from master data" in matched.reasons
    assert matched.protocol[0].message.startswith("no supplier identified")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"invoice_number": None}, "invoice number missing"),
        ({"invoice_date": None}, "invoice date missing"),
        ({"gross_amount": None}, "gross amount missing"),
        ({"invoice_number": _text("RE-1", 0.6)}, "invoice number read with confidence 0.60 < 0.90"),
        ({"gross_amount": _amount("119.00", 0.85)}, "gross amount read with confidence 0.85 < 0.90"),
        ({"tax_amount": _amount("18.00")}, "net 100.00 + tax 18.00 = 118.00, not gross 119.00"),
    ],
)
def test_missing_unsure_or_inconsistent_fields_go_to_review(changes: dict[str, Any], reason: str) -> None:
    # GIVEN a supplier known by IBAN but a header field missing, unsure or not adding up
    # WHEN matched
    matched = _match(_fields(**changes), Candidates(by_iban=NORDLICHT, by_vat=(NORDLICHT,)))
    # THEN review, with the reason named
    assert matched.decision is Decision.REVIEW
    assert reason in matched.reasons


def test_net_and_tax_may_be_missing_for_touchless() -> None:
    matched = _match(_fields(net_amount=None, tax_amount=None), Candidates(by_iban=NORDLICHT))
    assert matched.decision is Decision.TOUCHLESS


def test_iban_and_vat_id_of_different_suppliers_go_to_review() -> None:
    # GIVEN the IBAN belongs to one supplier and the VAT ID to another
    matched = _match(_fields(), Candidates(by_iban=NORDLICHT, by_vat=(RHEIN,)))
    # THEN the IBAN still names the supplier, but a clerk must confirm
    assert matched.supplier.supplier_number == "70001"
    assert matched.decision is Decision.REVIEW
    assert any("VAT ID" in r and "70002" in r for r in matched.reasons)


def test_protocol_says_what_was_read_and_that_master_data_wins() -> None:
    # GIVEN the document spells the city differently from master data
    fields = _fields(supplier_city=_text("Hamborg"))
    # WHEN matched
    matched = _match(fields, Candidates(by_iban=NORDLICHT))
    # THEN the protocol names the key, the difference and the filled values; the supplier carries master data
    messages = [e.message for e in matched.protocol]
    assert all(e.step == "matching" for e in matched.protocol)
    assert messages[0].startswith("supplier 70001 (Spedition Nordlicht GmbH) identified by iban DE89370400440532013000")
    difference = next(e for e in matched.protocol if "master data used" in e.message)
    assert difference.data == {"city.read": "Hamborg", "city.master": "Hamburg"}
    assert any(m.startswith("filled from master data: gl_account 3800") for m in messages)
    assert matched.supplier.city == "Hamburg"


# --- batches --------------------------------------------------------------------------------------


def test_batch_giving_one_iban_to_two_suppliers_is_refused() -> None:
    # GIVEN a batch in which two suppliers share an IBAN
    records = [
        SupplierV1(supplier_number="70001", name="A", ibans=[IBAN_A]),
        SupplierV1(supplier_number="70002", name="B", ibans=[IBAN_B, IBAN_A]),
    ]
    # WHEN it is checked THEN it is refused, naming the second supplier and the IBAN
    with pytest.raises(BatchRefusedError, match=f"supplier 70002: IBAN {IBAN_A} is also given to supplier 70001"):
        check_batch(records)


def test_batch_with_a_supplier_twice_is_refused() -> None:
    records = [SupplierV1(supplier_number="70001", name="A"), SupplierV1(supplier_number="70001", name="B")]
    with pytest.raises(BatchRefusedError, match="supplier 70001: occurs twice"):
        check_batch(records)
