"""The pure review decisions: touchless approval within the tenant's policy, duplicates, and a person's steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from belegflow_contracts.messages import (
    AmountFieldV1,
    CorrectionV1,
    DateFieldV1,
    Decision,
    DocumentType,
    InvoiceFieldsV1,
    InvoiceLineV1,
    InvoiceV1,
    MatchedV1,
    MatchKey,
    ProtocolEntryV1,
    RecognizedV1,
    ReviewAction,
    ReviewCommandV1,
    ReviewState,
    TextFieldV1,
)
from belegflow_contracts.types import ObjectRef
from belegflow_matching.domain import (
    Candidates,
    CompanyRecord,
    Earlier,
    SupplierRecord,
    build_invoice,
    flag_duplicates,
    identify_company,
    invoice_key,
    lookup_keys,
    match,
    read_document_type,
)
from belegflow_matching.errors import ReviewRefusedError
from belegflow_matching.review import Review, apply_step, open_review
from belegflow_matching.settings import Settings, TouchlessPolicy

AT = datetime(2024, 5, 17, 10, 0, tzinfo=UTC)
DOC = UUID(int=7)
SUPPLIER = SupplierRecord(supplier_number="70001", name="Spedition Nordlicht GmbH", ibans=("DE89370400440532013000",))
OTHER = SupplierRecord(supplier_number="70002", name="Rheinfracht Logistik AG")
REF = ObjectRef(bucket="originals", key="acme/ab/ab.pdf", sha256="ab" * 32, size=10)
SURE = InvoiceFieldsV1(
    invoice_number=TextFieldV1(value="RE-2024-001", confidence=0.99),
    invoice_date=DateFieldV1(value=date(2024, 5, 2), confidence=0.99),
    net_amount=AmountFieldV1(value=Decimal("100.00"), confidence=0.99),
    tax_amount=AmountFieldV1(value=Decimal("19.00"), confidence=0.99),
    gross_amount=AmountFieldV1(value=Decimal("119.00"), confidence=0.99),
    supplier_iban=TextFieldV1(value="DE89370400440532013000", confidence=0.99),
)


def recognized(fields: InvoiceFieldsV1 = SURE) -> RecognizedV1:
    return RecognizedV1(document_id=DOC, tenant="acme", revision=1, original=REF, reader="pdf-text", fields=fields,
                        work_product=REF)


def matched(fields: InvoiceFieldsV1 = SURE, *, max_gross: Decimal | None = None, found: bool = True) -> MatchedV1:
    return match(recognized(fields), lookup_keys(fields), Candidates(by_iban=SUPPLIER if found else None),
                 min_confidence=0.9, max_gross=max_gross, at=AT)


def in_review(**invoice: object) -> Review:
    base = InvoiceV1(invoice_number="RE-1", invoice_date=date(2024, 5, 2), net_amount=Decimal("100.00"),
                     tax_amount=Decimal("19.00"), gross_amount=Decimal("119.00"))
    return Review(document_id=DOC, revision=1, tenant="acme", state=ReviewState.REVIEW, version=1, original=REF,
                  invoice=base.model_copy(update=invoice), supplier=None, reasons=("no supplier identified",))


def command(action: ReviewAction, *, version: int = 1, **fields: object) -> ReviewCommandV1:
    return ReviewCommandV1.model_validate({"document_id": DOC, "tenant": "acme", "action": action,
                                           "expected_version": version, "by": "clerk:anna", "at": AT, **fields})


# --- touchless: automatically approved within the tenant's policy ---------------------------------


def test_touchless_is_approved_at_once_and_passed_on() -> None:
    result = matched()
    step = open_review(result, duplicate_of=None, at=AT)
    assert step.review.state is ReviewState.APPROVED
    assert step.event.action == "touchless"
    assert step.matched is result


def test_above_the_tenants_amount_limit_waits_for_a_person() -> None:
    result = matched(max_gross=Decimal("100"))
    assert result.decision is Decision.REVIEW
    assert result.reasons == ["gross 119.00 above the tenant's touchless limit 100"]
    step = open_review(result, duplicate_of=None, at=AT)
    assert step.review.state is ReviewState.REVIEW
    assert step.matched is None
    assert matched(max_gross=Decimal("119.00")).decision is Decision.TOUCHLESS


def test_each_tenant_gets_its_own_policy_and_the_others_the_default() -> None:
    settings = Settings.model_validate({
        "nats_url": "nats://x", "s3_endpoint_url": "http://x", "s3_access_key_id": "a", "s3_secret_access_key": "b",
        "database_url": "postgresql://x", "touchless_max_gross": "5000",
        "touchless_policies": {"acme": {"min_confidence": 0.95, "max_gross": "250.50"}},
    })
    assert settings.policy("acme") == TouchlessPolicy(min_confidence=0.95, max_gross=Decimal("250.50"))
    assert settings.policy("other") == TouchlessPolicy(min_confidence=0.9, max_gross=Decimal("5000"))


# --- duplicates -------------------------------------------------------------------------------------


def test_invoice_numbers_compare_without_case_blanks_and_punctuation() -> None:
    assert invoice_key(" re-2024/001 ") == invoice_key("RE 2024 001") == "RE2024001"
    assert invoice_key("--") is None


def test_same_supplier_and_number_with_the_same_date_is_held_as_a_duplicate() -> None:
    earlier = Earlier(document_id=UUID(int=1), invoice_number="RE 2024 001", invoice_date=date(2024, 5, 2),
                      gross_amount=Decimal("1.00"))
    flagged, duplicate_of = flag_duplicates(matched(), [earlier], at=AT)
    assert duplicate_of == UUID(int=1)
    assert flagged.decision is Decision.REVIEW
    assert flagged.reasons[0].startswith(f"suspected duplicate of document {UUID(int=1)}")
    assert flagged.protocol[-2].message.startswith("decision: review - suspected duplicate")
    assert open_review(flagged, duplicate_of=duplicate_of, at=AT).matched is None


def test_same_supplier_date_and_gross_with_another_number_is_flagged() -> None:
    earlier = Earlier(document_id=UUID(int=2), invoice_number="RE-2024-999", invoice_date=date(2024, 5, 2),
                      gross_amount=Decimal("119.00"))
    flagged, duplicate_of = flag_duplicates(matched(), [earlier], at=AT)
    assert duplicate_of is None
    assert flagged.decision is Decision.REVIEW
    assert flagged.reasons == [f"possible duplicate of document {UUID(int=2)}: same supplier, date and gross, "
                               "invoice number RE-2024-999 there"]


def test_same_number_on_another_date_and_amount_is_no_duplicate() -> None:
    earlier = Earlier(document_id=UUID(int=3), invoice_number="RE-2024-001", invoice_date=date(2023, 5, 2),
                      gross_amount=Decimal("5.00"))
    result = matched()
    assert flag_duplicates(result, [earlier], at=AT) == (result, None)


# --- a person's steps ---------------------------------------------------------------------------


def test_approve_needs_a_supplier_then_passes_the_invoice_on() -> None:
    with pytest.raises(ReviewRefusedError) as caught:
        apply_step(in_review(), command(ReviewAction.APPROVE))
    assert (caught.value.code, caught.value.field) == ("incomplete", "supplier")
    chosen = apply_step(in_review(), command(ReviewAction.CHOOSE_SUPPLIER, supplier_number="70002"), chosen=OTHER)
    assert chosen.review.supplier is not None
    assert chosen.review.supplier.matched_by is MatchKey.CHOSEN
    assert [(c.field, c.old, c.new) for c in chosen.event.changes] == [("supplier_number", None, "70002")]
    approved = apply_step(chosen.review, command(ReviewAction.APPROVE, version=2))
    assert approved.review.state is ReviewState.APPROVED
    assert approved.review.version == 3
    assert approved.matched is not None
    assert approved.matched.decision is Decision.REVIEW
    assert approved.matched.supplier == chosen.review.supplier


def test_a_correction_records_old_and_new_values_and_stays_in_review() -> None:
    step = apply_step(in_review(), command(ReviewAction.CORRECT, correction=CorrectionV1(
        invoice_number="RE-1-K", gross_amount=Decimal("119.00"))))
    assert step.review.state is ReviewState.REVIEW
    assert step.review.invoice.invoice_number == "RE-1-K"
    assert [(c.field, c.old, c.new) for c in step.event.changes] == [("invoice_number", "RE-1", "RE-1-K")]
    assert step.matched is None


def test_a_corrected_line_table_replaces_the_read_one_and_is_passed_on_when_approved() -> None:
    # GIVEN an invoice whose one line was read without its container number
    read = InvoiceLineV1(position=1, description="Seefracht", net_amount=Decimal("100.00"))
    review = replace(in_review(lines=[read]), supplier=matched().supplier)
    # WHEN the clerk corrects the line and adds a second one
    lines = [read.model_copy(update={"reference_text": "MSCU5501845"}),
             InvoiceLineV1(position=2, description="THC", net_amount=Decimal("19.00"), reference_text="HLXU8034514")]
    step = apply_step(review, command(ReviewAction.CORRECT, correction=CorrectionV1(lines=lines)))
    # THEN the lines are the corrected ones, and the audit trail says what they were and are
    assert step.review.invoice.lines == lines
    ((changed, old, new),) = [(c.field, c.old, c.new) for c in step.event.changes]
    assert (changed, old) == ("lines", "1: Seefracht 100.00")
    assert new == "1: Seefracht 100.00 [MSCU5501845]; 2: THC 19.00 [HLXU8034514]"
    # AND an approval passes them on to accruals and export
    approved = apply_step(step.review, command(ReviewAction.APPROVE, version=2))
    assert approved.matched is not None
    assert approved.matched.invoice.lines == lines


@pytest.mark.parametrize(
    ("review", "cmd", "code", "field"),
    [
        (in_review(), command(ReviewAction.REJECT, reason="  "), "reason-required", "reason"),
        (in_review(), command(ReviewAction.APPROVE, version=2), "stale-version", None),
        (in_review(), command(ReviewAction.CORRECT), "invalid", "correction"),
        (in_review(), command(ReviewAction.CORRECT, correction=CorrectionV1(due_date=date(2024, 1, 1))),
         "invalid", "due_date"),
        (in_review(), command(ReviewAction.CHOOSE_SUPPLIER, supplier_number="1"), "unknown-supplier",
         "supplier_number"),
        (in_review(gross_amount=Decimal("120.00")), command(ReviewAction.APPROVE), "incomplete", "supplier"),
    ],
    ids=["reject-without-reason", "stale", "empty-correction", "due-before-date", "unknown-supplier", "no-supplier"],
)
def test_steps_that_break_a_rule_are_refused(review: Review, cmd: ReviewCommandV1, code: str, field: str | None
                                             ) -> None:
    with pytest.raises(ReviewRefusedError) as caught:
        apply_step(review, cmd)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_amounts_that_do_not_add_up_are_not_approved() -> None:
    chosen = apply_step(in_review(gross_amount=Decimal("120.00")),
                        command(ReviewAction.CHOOSE_SUPPLIER, supplier_number="70001"), chosen=SUPPLIER)
    with pytest.raises(ReviewRefusedError) as caught:
        apply_step(chosen.review, command(ReviewAction.APPROVE, version=2))
    assert (caught.value.code, caught.value.field) == ("invalid", "gross_amount")


@pytest.mark.parametrize("state", [ReviewState.APPROVED, ReviewState.REJECTED])
def test_nothing_is_done_twice(state: ReviewState) -> None:
    done = replace(in_review(), state=state)
    with pytest.raises(ReviewRefusedError) as caught:
        apply_step(done, command(ReviewAction.APPROVE))
    assert caught.value.code == "not-in-review"


def test_a_credit_note_keeps_its_type_from_the_e_invoice_type_code() -> None:
    # GIVEN recognition recorded the e-invoice's type code 381 (credit note) in its protocol
    entry = ProtocolEntryV1(step="ocr", at=AT, message="einvoice: ubl credit note", data={"type_code": "381"})
    event = recognized().model_copy(update={"protocol": [entry]})
    # THEN the invoice passed on is a credit note; without a type code it is an invoice
    assert read_document_type(event) is DocumentType.CREDIT_NOTE
    assert build_invoice(event, lookup_keys(SURE)).document_type is DocumentType.CREDIT_NOTE
    assert build_invoice(recognized(), lookup_keys(SURE)).document_type is DocumentType.INVOICE


# --- the recipient company ----------------------------------------------------------------------------------

COMPANY_A = CompanyRecord(company_number="10", name="Nordwest Logistik GmbH", aliases=("NWL",))
COMPANY_B = CompanyRecord(company_number="20", name="Südost Spedition AG")


@pytest.mark.parametrize(
    ("recipient", "companies", "number"),
    [("Nordwest Logistik GmbH", (COMPANY_A, COMPANY_B), "10"), ("nwl", (COMPANY_A, COMPANY_B), "10"),
     ("SUEDOST SPEDITION AG", (COMPANY_A, COMPANY_B), None), ("Südost  Spedition AG", (COMPANY_A, COMPANY_B), "20"),
     ("Someone Else", (COMPANY_A, COMPANY_B), None), ("Someone Else", (COMPANY_B,), "20"), (None, (COMPANY_A,), "10"),
     ("Nordwest Logistik GmbH", (), None)],
)
def test_the_recipient_is_one_of_the_tenants_companies_by_name_or_the_only_one(
    recipient: str | None, companies: tuple[CompanyRecord, ...], number: str | None
) -> None:
    found, note = identify_company(recipient, companies)
    assert found == number
    assert bool(note) == bool(companies)


# --- booking values and the second pair of eyes -------------------------------------------------------------


def _chosen(by: str = "clerk:anna") -> Review:
    return apply_step(in_review(), command(ReviewAction.CHOOSE_SUPPLIER, supplier_number="70001", by=by),
                      chosen=SUPPLIER).review


def test_booking_values_change_the_suppliers_defaults_for_this_invoice_only() -> None:
    step = apply_step(_chosen(), command(ReviewAction.CORRECT, version=2, correction=CorrectionV1(
        gl_account="4711", cost_center="KST-9", recipient_company="10")), companies=frozenset({"10"}))
    assert step.review.supplier is not None
    assert (step.review.supplier.gl_account, step.review.supplier.cost_center) == ("4711", "KST-9")
    assert step.review.invoice.recipient_company == "10"
    assert {c.field for c in step.event.changes} == {"gl_account", "cost_center", "recipient_company"}


@pytest.mark.parametrize(
    ("correction", "field"),
    [(CorrectionV1(gl_account="4711"), "gl_account"), (CorrectionV1(recipient_company="99"), "recipient_company")],
)
def test_booking_values_need_a_supplier_and_a_known_company(correction: CorrectionV1, field: str) -> None:
    with pytest.raises(ReviewRefusedError) as caught:
        apply_step(in_review(), command(ReviewAction.CORRECT, correction=correction), companies=frozenset({"10"}))
    assert (caught.value.code, caught.value.field) == ("invalid", field)


def test_above_the_four_eyes_limit_who_changed_the_invoice_may_not_approve_it() -> None:
    changed = _chosen(by="clerk:anna")  # gross 119.00
    with pytest.raises(ReviewRefusedError) as caught:
        apply_step(changed, command(ReviewAction.APPROVE, version=2, by="clerk:anna"),
                   four_eyes_above=Decimal("100"))
    assert caught.value.code == "four-eyes"
    # another person may, and so may the same one below the limit
    assert apply_step(changed, command(ReviewAction.APPROVE, version=2, by="approver:bert"),
                      four_eyes_above=Decimal("100")).review.state is ReviewState.APPROVED
    assert apply_step(changed, command(ReviewAction.APPROVE, version=2, by="clerk:anna"),
                      four_eyes_above=Decimal("119.00")).review.state is ReviewState.APPROVED


def test_a_till_receipt_waits_for_a_person_unless_the_tenant_books_receipts() -> None:
    # GIVEN fields enough for touchless, which recognition read on a till receipt
    fields = SURE.model_copy(update={"document_type": TextFieldV1(value="receipt", confidence=0.95)})
    event = recognized(fields)
    assert read_document_type(event) is DocumentType.RECEIPT
    # THEN it goes to review, saying why; a tenant that books receipts takes it touchless
    held = match(event, lookup_keys(fields), Candidates(by_iban=SUPPLIER), min_confidence=0.9, at=AT)
    assert held.decision is Decision.REVIEW
    assert held.reasons == ["a till receipt: the tenant does not book receipts as invoices"]
    booked = match(event, lookup_keys(fields), Candidates(by_iban=SUPPLIER), min_confidence=0.9, at=AT,
                   book_receipts=True)
    assert booked.decision is Decision.TOUCHLESS
    assert booked.invoice.document_type is DocumentType.RECEIPT
