"""An invalid e-invoice, or a hybrid PDF whose picture disagrees with its XML, never goes touchless."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from belegflow_contracts.messages import (
    AmountFieldV1,
    DateFieldV1,
    Decision,
    EInvoiceCheckV1,
    EInvoiceVerdict,
    FailedRuleV1,
    InvoiceFieldsV1,
    PictureDifferenceV1,
    RecognizedV1,
    ReviewState,
    RuleLevel,
    TextFieldV1,
)
from belegflow_contracts.types import ObjectRef
from belegflow_matching.domain import Candidates, SupplierRecord, automatic_rejection, lookup_keys, match
from belegflow_matching.review import open_review

AT = datetime(2026, 5, 17, 10, 0, tzinfo=UTC)
IBAN = "DE89370400440532013000"
REF = ObjectRef(bucket="originals", key="acme/ab/ab.xml", sha256="ab" * 32, size=10)
SUPPLIER = SupplierRecord(supplier_number="70001", name="Seller GmbH", ibans=(IBAN,), gl_account="3800")
SURE = InvoiceFieldsV1(
    invoice_number=TextFieldV1(value="RE-1", confidence=1.0),
    invoice_date=DateFieldV1(value=date(2026, 5, 2), confidence=1.0),
    net_amount=AmountFieldV1(value=Decimal("100.00"), confidence=1.0),
    tax_amount=AmountFieldV1(value=Decimal("19.00"), confidence=1.0),
    gross_amount=AmountFieldV1(value=Decimal("119.00"), confidence=1.0),
    supplier_iban=TextFieldV1(value=IBAN, confidence=1.0),
)
RULES = "Validator Configuration XRechnung 3.0.2 (2026-02-04)"
BR_DE_15 = FailedRuleV1(rule="BR-DE-15", step="xrechnung", flag="fatal", level=RuleLevel.ERROR,
                        message='Das Element "Buyer reference" (BT-10) muss übermittelt werden.',
                        location="/*:CrossIndustryInvoice[1]")
NOTE = FailedRuleV1(rule="BR-DE-TMP-32", step="xrechnung", flag="information", level=RuleLevel.INFORMATION,
                    message="a note", location="/")


def event(check: EInvoiceCheckV1 | None) -> RecognizedV1:
    return RecognizedV1(document_id=UUID("3f2b8c1e-0d4a-4e5b-9c6d-7e8f9a0b1c2d"), tenant="acme", revision=1,
                        original=REF, reader="einvoice-xml", fields=SURE, work_product=REF, einvoice=check)


def decide(check: EInvoiceCheckV1 | None) -> tuple[Decision, list[str]]:
    matched = match(event(check), lookup_keys(SURE), Candidates(by_iban=SUPPLIER), min_confidence=0.9, at=AT)
    return matched.decision, matched.reasons


def test_a_valid_einvoice_goes_touchless_also_with_notes() -> None:
    valid = EInvoiceCheckV1(verdict=EInvoiceVerdict.VALID, scenario="EN16931 XRechnung (CII)", rules=RULES,
                            failed=[NOTE], failed_total=1)
    assert decide(valid) == (Decision.TOUCHLESS, [])
    assert decide(None) == (Decision.TOUCHLESS, [])


def test_an_invalid_einvoice_waits_with_its_failed_rules_as_the_reasons() -> None:
    # GIVEN an e-invoice read surely from a known supplier, but invalid under the XRechnung rules
    invalid = EInvoiceCheckV1(verdict=EInvoiceVerdict.INVALID, scenario="EN16931 XRechnung (CII)", rules=RULES,
                              failed=[BR_DE_15, NOTE], failed_total=2)
    # WHEN matching decides THEN it waits for a person, the failed rule named
    decision, reasons = decide(invalid)
    assert decision is Decision.REVIEW
    assert reasons == ['e-invoice invalid: BR-DE-15 - Das Element "Buyer reference" (BT-10) muss übermittelt werden.']


def test_more_rules_than_fit_are_counted() -> None:
    many = [BR_DE_15.model_copy(update={"rule": f"BR-{i}"}) for i in range(12)]
    invalid = EInvoiceCheckV1(verdict=EInvoiceVerdict.INVALID, scenario=None, rules=RULES, failed=many,
                              failed_total=300)
    _, reasons = decide(invalid)
    assert len(reasons) == 11
    assert reasons[-1] == "e-invoice invalid: 290 more failed rules (see the protocol)"


def test_a_picture_that_disagrees_waits_with_the_fields() -> None:
    # GIVEN a valid hybrid PDF whose page prints another gross than its XML
    hybrid = EInvoiceCheckV1(
        verdict=EInvoiceVerdict.VALID, scenario="EN16931 (CII)", rules=RULES, picture_checked=True,
        picture_differences=[PictureDifferenceV1(field="gross_amount", xml="3000.00", page_value="3042.00", page=1)])
    # WHEN matching decides THEN it waits, the field and both values named
    assert decide(hybrid) == (Decision.REVIEW, [
        "picture and XML disagree on gross_amount: the XML says 3000.00, the page says 3042.00"])


def test_a_tenant_may_reject_invalid_einvoices_outright() -> None:
    invalid = EInvoiceCheckV1(verdict=EInvoiceVerdict.INVALID, scenario="EN16931 XRechnung (CII)", rules=RULES,
                              failed=[BR_DE_15], failed_total=1)
    # GIVEN a tenant that rejects invalid e-invoices, WHEN one comes
    why = automatic_rejection(event(invalid), reject_invalid=True)
    assert why == "invalid e-invoice (EN16931 XRechnung (CII)): BR-DE-15"
    matched = match(event(invalid), lookup_keys(SURE), Candidates(by_iban=SUPPLIER), min_confidence=0.9, at=AT)
    step = open_review(matched, duplicate_of=None, at=AT, reject=why)
    # THEN it is rejected at once, with why, and nothing goes on to booking
    assert step.review.state is ReviewState.REJECTED
    assert (step.event.action, step.event.by, step.event.reason) == ("reject", "matching", why)
    assert step.matched is None
    # AND a tenant that does not, or a valid one, is never rejected this way
    assert automatic_rejection(event(invalid), reject_invalid=False) is None
    valid = invalid.model_copy(update={"verdict": EInvoiceVerdict.VALID_WITH_WARNINGS, "failed": []})
    assert automatic_rejection(event(valid), reject_invalid=True) is None
