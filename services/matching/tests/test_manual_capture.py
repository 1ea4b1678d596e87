"""A recognition that was cancelled (manual capture) always goes to review, with the cancel's reason first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from belegflow_contracts.messages import (
    AmountFieldV1,
    DateFieldV1,
    Decision,
    InvoiceFieldsV1,
    RecognizedV1,
    TextFieldV1,
)
from belegflow_contracts.types import ObjectRef
from belegflow_matching.domain import Candidates, SupplierRecord, lookup_keys, manual_capture_reason, match

AT = datetime(2024, 5, 17, 10, 0, tzinfo=UTC)
SUPPLIER = SupplierRecord(supplier_number="70001", name="Spedition Nordlicht GmbH", ibans=("DE89370400440532013000",),
                          vat_id="DE136695976")
REF = ObjectRef(bucket="originals", key="acme/ab/ab.pdf", sha256="ab" * 32, size=10)
SURE = InvoiceFieldsV1(
    invoice_number=TextFieldV1(value="RE-2024-001", confidence=0.99),
    invoice_date=DateFieldV1(value=date(2024, 5, 2), confidence=0.99),
    net_amount=AmountFieldV1(value=Decimal("100.00"), confidence=0.99),
    tax_amount=AmountFieldV1(value=Decimal("19.00"), confidence=0.99),
    gross_amount=AmountFieldV1(value=Decimal("119.00"), confidence=0.99),
    supplier_iban=TextFieldV1(value="DE89370400440532013000", confidence=0.99),
)


def event(fields: InvoiceFieldsV1, *, manual: bool, reason: str | None = None) -> RecognizedV1:
    return RecognizedV1(document_id=UUID(int=1), tenant="acme", revision=2, original=REF, reader="pdf-text",
                        fields=fields, work_product=REF, manual=manual, manual_reason=reason)


def decide(recognized: RecognizedV1) -> tuple[Decision, list[str]]:
    keys = lookup_keys(recognized.fields)
    result = match(recognized, keys, Candidates(by_iban=SUPPLIER), min_confidence=0.9, at=AT)
    return result.decision, result.reasons


def test_the_same_sure_fields_are_touchless_when_read_and_review_when_cancelled() -> None:
    # GIVEN fields that are enough for a touchless decision
    assert decide(event(SURE, manual=False)) == (Decision.TOUCHLESS, [])
    # WHEN the recognition that found them was cancelled THEN a clerk reviews it, and the cancel is the first reason
    decision, reasons = decide(event(SURE, manual=True, reason="recognition cancelled: wrong engine"))
    assert decision is Decision.REVIEW
    assert reasons == ["recognition cancelled: wrong engine"]


def test_nothing_read_lists_the_cancel_first_then_what_is_missing() -> None:
    decision, reasons = decide(event(InvoiceFieldsV1(), manual=True, reason="recognition cancelled: sent twice"))
    assert decision is Decision.REVIEW
    assert reasons[0] == "recognition cancelled: sent twice"
    assert "no supplier identified from master data" in reasons
    assert "invoice number missing" in reasons


def test_manual_without_a_reason_still_says_why() -> None:
    assert manual_capture_reason(event(SURE, manual=True)) == "recognition marked the document for manual capture"
    assert manual_capture_reason(event(SURE, manual=False, reason="ignored unless manual")) is None


def test_the_protocol_shows_the_cancel_as_the_review_reason() -> None:
    recognized = event(SURE, manual=True, reason="recognition cancelled: wrong engine")
    result = match(recognized, lookup_keys(SURE), Candidates(by_iban=SUPPLIER), min_confidence=0.9, at=AT)
    last = result.protocol[-1]
    assert last.message == "decision: review - recognition cancelled: wrong engine"
    assert last.data["reason.1"] == "recognition cancelled: wrong engine"
