"""Tests of accrual's decisions: reference shapes and check digits, line-by-line assignment, XXX."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from belegflow_accrual.domain import (
    AccrualRecord,
    Creditor,
    EventStep,
    Tolerance,
    accrue,
    apply_event,
    check_batch,
    event_step,
    header_references,
    line_references,
    lookup_keys,
    next_status,
)
from belegflow_accrual.errors import AccrualEventRefusedError, BatchRefusedError
from belegflow_accrual.references import (
    RefKind,
    container_check_ok,
    find_references,
    iso6346_check_digit,
    mawb_check_ok,
    normalize_reference,
)
from belegflow_contracts.messages import (
    NO_ACCRUAL,
    AccrualEventKind,
    AccrualEventV1,
    AccrualStatus,
    AccrualV1,
    Decision,
    DocumentReferenceV1,
    InvoiceLineV1,
    InvoiceV1,
    MatchedV1,
    MatchKey,
    SupplierMatchV1,
)
from belegflow_contracts.types import ObjectRef

AT = datetime(2024, 5, 17, 10, 0, tzinfo=UTC)
DOC = UUID("3f2b8c1e-0d4a-4e5b-9c6d-7e8f9a0b1c2d")
OTHER_DOC = UUID("11111111-2222-3333-4444-555555555555")
SUPPLIER = SupplierMatchV1(supplier_number="70001", name="Spedition Nordlicht GmbH", matched_by=MatchKey.IBAN,
                           confidence=0.99)


def _accrual(number: str, reference: str, amount: str = "100.00", **changes: Any) -> AccrualRecord:
    values: dict[str, Any] = {
        "accrual_number": number, "supplier_number": "70001", "reference": normalize_reference(reference),
        "amount": Decimal(amount), "currency": "EUR", "status": AccrualStatus.OPEN,
    }
    values.update(changes)
    return AccrualRecord(**values)


def _event(lines: list[InvoiceLineV1], *, supplier: SupplierMatchV1 | None = SUPPLIER, revision: int = 1
           ) -> MatchedV1:
    return MatchedV1(
        document_id=DOC, tenant="acme", revision=revision,
        original=ObjectRef(bucket="originals", key="acme/ab/ab.pdf", sha256="ab" * 32, size=10),
        invoice=InvoiceV1(invoice_number="RE-1", lines=lines), supplier=supplier, decision=Decision.TOUCHLESS,
    )


def _line(position: int, reference_text: str = "", description: str = "Fracht", amount: str | None = "100.00"
          ) -> InvoiceLineV1:
    return InvoiceLineV1(position=position, description=description, reference_text=reference_text,
                         net_amount=Decimal(amount) if amount is not None else None)


# generous enough that the assignment tests below are about references, not amounts
WIDE = Creditor("70001", Tolerance(absolute=Decimal("1000000")))


def _accrue(event: MatchedV1, accruals: list[AccrualRecord], *, send_accruals: bool = True,
            creditor: Creditor = WIDE) -> Any:
    references = {line.position: line_references(line) for line in event.invoice.lines}
    return accrue(event, references, accruals, creditor=creditor, send_accruals=send_accruals, at=AT)


# --- shapes and check digits ----------------------------------------------------------------------


@pytest.mark.parametrize(("number", "ok"), [
    ("020-12345675", True),   # 1234567 mod 7 = 5
    ("02012345675", True),
    ("020-12345676", False),
    ("176-98765435", True),   # 9876543 mod 7 = 5
    ("176-9876543", False),   # too short
])
def test_mawb_mod_7(number: str, ok: bool) -> None:
    assert mawb_check_ok(number) is ok


@pytest.mark.parametrize(("code", "ok"), [
    ("CSQU3054383", True),    # the example of ISO 6346
    ("CSQU 305438 3", True),
    ("CSQU305438-3", True),
    ("CSQU3054384", False),
    ("MSCU5501845", True),
    ("CSQX3054383", False),   # category must be U, J or Z
])
def test_iso_6346_check_digit(code: str, ok: bool) -> None:
    assert container_check_ok(code) is ok


def test_iso_6346_check_digit_ten_becomes_zero() -> None:
    # a remainder of 10 is written as 0 (and such serials are best avoided, but they exist)
    assert iso6346_check_digit("CSQU305438") == 3
    assert all(0 <= iso6346_check_digit(f"ABCU{n:06d}") <= 9 for n in range(0, 200))


def test_shapes_are_recognised_in_free_text() -> None:
    # GIVEN a line text with a container, a MAWB and a position number, written as people write them
    refs = find_references("Seefracht Cont. CSQU 305438-3, AWB 020-1234 5675; Pos. SE-2024/0815")
    # WHEN references are found THEN each is recognised with its kind and check result
    shaped = {r.kind: r for r in refs if r.kind is not RefKind.TOKEN}
    assert shaped[RefKind.CONTAINER].value == "CSQU3054383"
    assert shaped[RefKind.CONTAINER].check_ok is True
    assert shaped[RefKind.MAWB].value == "020-12345675"
    assert shaped[RefKind.MAWB].check_ok is True
    assert "02012345675" in shaped[RefKind.MAWB].keys  # filed with or without the hyphen
    assert shaped[RefKind.POSITION].value == "SE-2024/0815"


def test_a_misread_check_digit_is_not_used() -> None:
    # GIVEN a MAWB whose check digit is wrong
    refs = find_references("AWB 020-12345676")
    mawb = next(r for r in refs if r.kind is RefKind.MAWB)
    # THEN it is found but not usable, and not looked up
    assert mawb.check_ok is False
    assert not mawb.usable
    assert "020-12345676" not in lookup_keys({1: refs})


def test_reference_with_inner_space_matches_its_normalised_form() -> None:
    refs = find_references("Auftrag ref 4711")
    assert "REF4711" in {k for r in refs for k in r.keys}
    assert normalize_reference(" ab 12\tc ") == "AB12C"


# --- assignment -----------------------------------------------------------------------------------


def test_each_line_takes_the_open_accrual_with_its_reference() -> None:
    # GIVEN a collective invoice with two referenced lines and one without
    event = _event([_line(1, "Container MSCU 550184 5"), _line(2, description="Pos 4909-5450 Zoll"),
                    _line(3, description="Bearbeitungsgebühr")])
    accruals = [_accrual("AC-1", "MSCU5501845", "811.77"), _accrual("AC-2", "4909-5450")]
    # WHEN assigned
    outcome = _accrue(event, accruals)
    # THEN line by line, and the line without reference gets XXX
    numbers = [(a.position, a.reference, a.accrual_number) for a in outcome.accrued.assignments]
    assert numbers == [(1, "MSCU5501845", "AC-1"), (2, "4909-5450", "AC-2"), (3, None, NO_ACCRUAL)]
    assert outcome.taken == [("AC-1", 1), ("AC-2", 2)]
    assert outcome.accrued.assignments[0].amount == Decimal("811.77")
    assert all(e.step == "accrual" for e in outcome.accrued.protocol)
    assert outcome.accrued.protocol[0].message == "line 1: reference MSCU5501845 -> accrual AC-1 " \
        "(line amount 100.00 EUR, accrual amount 811.77 EUR, within tolerance)"


def test_no_supplier_means_xxx_everywhere() -> None:
    event = _event([_line(1, "MSCU5501845")], supplier=None)
    outcome = _accrue(event, [_accrual("AC-1", "MSCU5501845")])
    assert [a.accrual_number for a in outcome.accrued.assignments] == [NO_ACCRUAL]
    assert outcome.taken == []
    assert "no supplier identified" in outcome.accrued.protocol[0].message


def test_an_assigned_or_resolved_accrual_is_never_assigned_again() -> None:
    # GIVEN the reference's accruals are taken by another invoice or resolved
    event = _event([_line(1, "MSCU5501845"), _line(2, "4909-5450")])
    accruals = [
        _accrual("AC-1", "MSCU5501845", status=AccrualStatus.ASSIGNED, assigned_document=OTHER_DOC,
                 assigned_revision=1, assigned_line=4),
        _accrual("AC-2", "4909-5450", status=AccrualStatus.RESOLVED),
    ]
    # WHEN assigned
    outcome = _accrue(event, accruals)
    # THEN both lines get XXX, and the protocol says why
    assert [a.accrual_number for a in outcome.accrued.assignments] == [NO_ACCRUAL, NO_ACCRUAL]
    assert outcome.taken == []
    assert f"already assigned to document {OTHER_DOC} line 4" in outcome.accrued.protocol[0].message
    assert "accrual AC-2 is resolved in the TMS" in outcome.accrued.protocol[1].message


def test_one_accrual_is_taken_by_one_line_only() -> None:
    # GIVEN two lines with the same reference and one accrual for it
    event = _event([_line(1, "4909-5450"), _line(2, "4909-5450")])
    outcome = _accrue(event, [_accrual("AC-2", "4909-5450")])
    # THEN the first line takes it, the second explains
    assert [a.accrual_number for a in outcome.accrued.assignments] == ["AC-2", NO_ACCRUAL]
    assert "taken by an earlier line" in outcome.accrued.protocol[1].message


def test_the_accrual_with_the_lines_amount_is_preferred() -> None:
    event = _event([_line(1, "4909-5450", amount="250.00")])
    accruals = [_accrual("AC-1", "4909-5450", "100.00"), _accrual("AC-2", "4909-5450", "250.00")]
    assert _accrue(event, accruals).accrued.assignments[0].accrual_number == "AC-2"


def test_a_new_revision_takes_back_what_the_earlier_one_held() -> None:
    # GIVEN revision 1 of this document took the accrual
    accrual = _accrual("AC-1", "MSCU5501845", status=AccrualStatus.ASSIGNED, assigned_document=DOC,
                       assigned_revision=1, assigned_line=1)
    # WHEN revision 2 arrives THEN it may take it again
    outcome = _accrue(_event([_line(1, "MSCU5501845")], revision=2), [accrual])
    assert outcome.taken == [("AC-1", 1)]


def test_accrual_in_another_currency_is_not_assigned() -> None:
    outcome = _accrue(_event([_line(1, "4909-5450")]), [_accrual("AC-1", "4909-5450", currency="USD")])
    assert outcome.accrued.assignments[0].accrual_number == NO_ACCRUAL
    assert "is in USD, the invoice in EUR, and the TMS supplied no rate" in outcome.accrued.protocol[0].message


def test_send_accruals_is_carried_and_protocolled() -> None:
    outcome = _accrue(_event([_line(1, "4909-5450")]), [_accrual("AC-1", "4909-5450")], send_accruals=False)
    assert outcome.accrued.send_accruals is False
    assert "not sent to the TMS" in outcome.accrued.protocol[-1].message
    # the movement data goes out either way and says whether the numbers were sent
    assert outcome.movement.accrual_numbers_sent is False
    assert [m.accrual_number for m in outcome.movement.lines] == ["AC-1"]


# --- batches --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "incoming", "result"), [
    (None, AccrualStatus.OPEN, AccrualStatus.OPEN),
    (AccrualStatus.OPEN, AccrualStatus.RESOLVED, AccrualStatus.RESOLVED),
    (AccrualStatus.ASSIGNED, AccrualStatus.OPEN, AccrualStatus.ASSIGNED),
    (AccrualStatus.ASSIGNED, AccrualStatus.RESOLVED, AccrualStatus.RESOLVED),
    (AccrualStatus.RESOLVED, AccrualStatus.OPEN, AccrualStatus.RESOLVED),
])
def test_master_data_never_reopens_an_accrual(current: AccrualStatus | None, incoming: AccrualStatus,
                                              result: AccrualStatus) -> None:
    assert next_status(current, incoming) is result


def test_batch_with_an_accrual_twice_is_refused() -> None:
    records = [
        AccrualV1(accrual_number="AC-1", supplier_number="70001", reference="X1", amount=Decimal(1)),
        AccrualV1(accrual_number="AC-1", supplier_number="70001", reference="X2", amount=Decimal(2)),
    ]
    with pytest.raises(BatchRefusedError, match="accrual AC-1: occurs twice"):
        check_batch(records, {"70001"})


def test_batch_with_an_unknown_creditor_is_refused() -> None:
    records = [AccrualV1(accrual_number="AC-1", supplier_number="79999", reference="X1", amount=Decimal(1))]
    with pytest.raises(BatchRefusedError, match="accrual AC-1: creditor 79999 is unknown in master data"):
        check_batch(records, {"70001"})


# --- tolerance and best match ---------------------------------------------------------------------

FIVE_EUROS = Creditor("70001", Tolerance(absolute=Decimal("5.00")))


def test_a_line_outside_the_creditors_tolerance_is_not_assigned_and_goes_to_review() -> None:
    # GIVEN a creditor with a 5.00 tolerance and an accrual of 99,999.99 for the line's container
    event = _event([_line(1, "MSCU5501845", amount="811.77")])
    outcome = _accrue(event, [_accrual("AC-1", "MSCU5501845", "99999.99")], creditor=FIVE_EUROS)
    # THEN the line gets XXX, the protocol gives both amounts, and the invoice goes to review
    assert outcome.taken == []
    assignment = outcome.accrued.assignments[0]
    assert assignment.accrual_number == NO_ACCRUAL
    assert assignment.reason is not None
    assert "line amount 811.77 EUR is outside the tolerance of accrual AC-1 (99999.99 EUR, allowed ±5.00" \
        in assignment.reason
    assert outcome.accrued.decision is Decision.REVIEW
    assert outcome.accrued.reasons == [f"line 1: {assignment.reason}"]


@pytest.mark.parametrize(("line_amount", "assigned"), [("104.99", True), ("105.00", True), ("105.01", False),
                                                       ("95.00", True), ("94.99", False)])
def test_the_tolerance_bound_is_inclusive(line_amount: str, assigned: bool) -> None:
    event = _event([_line(1, "4909-5450", amount=line_amount)])
    outcome = _accrue(event, [_accrual("AC-1", "4909-5450", "100.00")], creditor=FIVE_EUROS)
    assert bool(outcome.taken) is assigned
    assert (outcome.accrued.decision is Decision.REVIEW) is not assigned


def test_percent_tolerance_and_the_smaller_of_both() -> None:
    # 2 % of 1000.00 is 20.00; with 5.00 absolute as well the smaller, 5.00, applies
    percent = Creditor("70001", Tolerance(percent=Decimal("2")))
    both = Creditor("70001", Tolerance(absolute=Decimal("5.00"), percent=Decimal("2")))
    event = _event([_line(1, "4909-5450", amount="1019.00")])
    accruals = [_accrual("AC-1", "4909-5450", "1000.00")]
    assert _accrue(event, accruals, creditor=percent).taken == [("AC-1", 1)]
    assert _accrue(event, accruals, creditor=both).taken == []


def test_a_service_types_tolerance_replaces_the_creditors() -> None:
    creditor = Creditor("70001", Tolerance(absolute=Decimal("1.00")), {"air": Tolerance(absolute=Decimal("50"))})
    event = _event([_line(1, "4909-5450", amount="140.00"), _line(2, "4909-6000", amount="140.00")])
    accruals = [_accrual("AC-1", "4909-5450", "100.00", service_type="AIR"),
                _accrual("AC-2", "4909-6000", "100.00", service_type="sea")]
    outcome = _accrue(event, accruals, creditor=creditor)
    assert outcome.taken == [("AC-1", 1)]
    assert "tolerance 1.00)" in (outcome.accrued.assignments[1].reason or "")


def test_the_accrual_whose_amount_best_matches_is_taken_line_by_line() -> None:
    # GIVEN three accruals under one reference and a collective invoice with two lines of it
    accruals = [_accrual("AC-1", "4909-5450", "100.00"), _accrual("AC-2", "4909-5450", "251.00"),
                _accrual("AC-3", "4909-5450", "248.00")]
    event = _event([_line(1, "4909-5450", amount="250.00"), _line(2, "4909-5450", amount="249.00")])
    outcome = _accrue(event, accruals, creditor=FIVE_EUROS)
    # THEN line 1 takes the closest (AC-2, 1.00 off; AC-3 is 2.00 off), line 2 the closest left (AC-3)
    assert outcome.taken == [("AC-2", 1), ("AC-3", 2)]


def test_the_service_type_named_on_the_line_narrows_the_choice() -> None:
    accruals = [_accrual("AC-1", "4909-5450", "100.00", service_type="Zoll"),
                _accrual("AC-2", "4909-5450", "100.00", service_type="Fracht")]
    event = _event([_line(1, "4909-5450", description="Zoll Abfertigung", amount="100.00")])
    assert _accrue(event, accruals, creditor=FIVE_EUROS).taken == [("AC-1", 1)]


def test_an_invoice_in_another_currency_is_compared_through_the_tms_rate() -> None:
    # GIVEN a USD invoice and an EUR accrual with the TMS's rate 0.90 EUR per USD
    event = _event([_line(1, "4909-5450", amount="110.00")])
    event = event.model_copy(update={"invoice": event.invoice.model_copy(update={"currency": "USD"})})
    accruals = [_accrual("AC-1", "4909-5450", "100.00", rates={"USD": Decimal("0.90")})]
    # THEN 110.00 USD = 99.00 EUR lies within 5.00 of 100.00 EUR
    assert _accrue(event, accruals, creditor=FIVE_EUROS).taken == [("AC-1", 1)]


def test_a_reference_of_another_creditor_assigns_nothing() -> None:
    event = _event([_line(1, "MSCU5501845")])
    outcome = _accrue(event, [_accrual("AC-9", "MSCU5501845", supplier_number="70002")])
    assert outcome.taken == []
    assert "of creditor 70002, not of the identified creditor 70001" in (outcome.accrued.assignments[0].reason or "")


def test_a_misread_reference_never_assigns_even_when_an_accrual_has_it() -> None:
    # GIVEN an accrual filed under a MAWB whose check digit is wrong, and a line reading that same MAWB
    event = _event([_line(1, "AWB 020-12345676")])
    outcome = _accrue(event, [_accrual("AC-1", "020-12345676", "100.00")])
    # THEN nothing is assigned and the reason names the failed check
    assert outcome.taken == []
    assert "mawb 020-12345676 (check digit wrong) not used" in (outcome.accrued.assignments[0].reason or "")


def test_no_reference_gives_xxx_with_the_reason() -> None:
    outcome = _accrue(_event([_line(1, description="Wartezeit")]), [])
    assert outcome.accrued.assignments[0].accrual_number == NO_ACCRUAL
    assert outcome.accrued.assignments[0].reason == "nothing on the line is an accrual's reference"
    assert outcome.movement.lines[0].reason == outcome.accrued.assignments[0].reason


# --- lifecycle from the TMS -----------------------------------------------------------------------

EVENT_ID = UUID("00000000-0000-0000-0000-000000000001")


def _tms_event(kind: AccrualEventKind, sequence: int, **values: Any) -> AccrualEventV1:
    return AccrualEventV1(event_id=EVENT_ID, tenant="acme", accrual_number="AC-1", sequence=sequence, kind=kind,
                          at=AT, **values)


def test_events_apply_in_sequence_and_are_held_or_ignored_otherwise() -> None:
    assert event_step(0, _tms_event(AccrualEventKind.RESOLVED, 1)) is EventStep.APPLY
    assert event_step(1, _tms_event(AccrualEventKind.RESOLVED, 3)) is EventStep.HOLD
    assert event_step(3, _tms_event(AccrualEventKind.RESOLVED, 2)) is EventStep.ALREADY_APPLIED


def test_the_lifecycle_created_changed_resolved_reopened_cancelled() -> None:
    created = _tms_event(AccrualEventKind.CREATED, 1, accrual=AccrualV1(
        accrual_number="AC-1", supplier_number="70001", reference="msc u5501845", amount=Decimal("10.00")))
    record, note = apply_event(None, created, {"70001"})
    assert (record.reference, record.amount, record.status, record.last_sequence) == (
        "MSCU5501845", Decimal("10.00"), AccrualStatus.OPEN, 1)
    record, note = apply_event(record, _tms_event(AccrualEventKind.AMOUNT_CHANGED, 2, amount=Decimal("12.50")), set())
    assert record.amount == Decimal("12.50")
    assert note == "amount 10.00 EUR -> 12.50 EUR"
    record = replace(record, status=AccrualStatus.ASSIGNED, assigned_document=DOC, assigned_revision=1,
                     assigned_line=2)
    record, note = apply_event(record, _tms_event(AccrualEventKind.RESOLVED, 3), set())
    assert record.status is AccrualStatus.RESOLVED
    assert note == f"resolved in the TMS (was assigned to document {DOC} line 2)"
    record, _ = apply_event(record, _tms_event(AccrualEventKind.REOPENED, 4), set())
    assert (record.status, record.assigned_document) == (AccrualStatus.OPEN, None)
    record, _ = apply_event(record, _tms_event(AccrualEventKind.CANCELLED, 5), set())
    assert record.status is AccrualStatus.CANCELLED


@pytest.mark.parametrize(("current", "event", "problem"), [
    (None, _tms_event(AccrualEventKind.RESOLVED, 1), "the accrual is unknown"),
    (None, _tms_event(AccrualEventKind.CREATED, 1), "must carry the accrual"),
    (None, _tms_event(AccrualEventKind.CREATED, 1, accrual=AccrualV1(
        accrual_number="AC-1", supplier_number="79999", reference="X", amount=Decimal(1))),
     "creditor 79999 is unknown"),
    (_accrual("AC-1", "X"), _tms_event(AccrualEventKind.AMOUNT_CHANGED, 1), "must carry the amount"),
])
def test_events_that_cannot_apply_are_refused_with_the_reason(current: AccrualRecord | None, event: AccrualEventV1,
                                                               problem: str) -> None:
    with pytest.raises(AccrualEventRefusedError, match=problem):
        apply_event(current, event, {"70001"})


# --- header references --------------------------------------------------------------------------


def test_header_references_serve_lines_without_their_own() -> None:
    # GIVEN an e-invoice whose header names purchase order 4500012345 (BT-13), one line without a reference of its
    # own, one with its container, and one more without a reference
    event = _event([_line(1, description="Fracht", amount="100.00"), _line(2, "MSCU5501845", amount="50.00"),
                    _line(3, description="Wartezeit", amount="999.00")])
    invoice = event.invoice.model_copy(update={"references": [DocumentReferenceV1(term="BT-13", value="4500012345")]})
    event = event.model_copy(update={"invoice": invoice})
    accruals = [_accrual("AC-1", "4500012345", "100.00"), _accrual("AC-2", "MSCU5501845", "50.00")]
    header = header_references(invoice)
    references = {line.position: line_references(line) for line in invoice.lines}
    assert "4500012345" in lookup_keys(references, header)
    # WHEN assigned
    outcome = accrue(event, references, accruals, creditor=FIVE_EUROS, send_accruals=True, at=AT, header=header)
    # THEN the line without a reference takes the header's accrual, the container line its own, and the third line,
    # whose amount the header's accrual does not fit, is XXX without sending the invoice to review
    assert outcome.taken == [("AC-1", 1), ("AC-2", 2)]
    assert outcome.accrued.assignments[2].accrual_number == NO_ACCRUAL
    assert outcome.accrued.decision is Decision.TOUCHLESS
    assert "header references: position 4500012345" in outcome.accrued.protocol[-1].message


def test_a_misread_header_reference_is_not_used_in_any_form() -> None:
    invoice = InvoiceV1(references=[DocumentReferenceV1(term="BT-18", value="MSCU5501846")])
    header = header_references(invoice)
    assert [(r.kind, r.usable) for r in header] == [(RefKind.CONTAINER, False)]
    assert lookup_keys({}, header) == []
