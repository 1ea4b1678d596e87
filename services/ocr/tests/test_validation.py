"""Validation lowers confidence and says why when IBAN, VAT ID, dates or sums do not check out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from belegflow_contracts.messages import (
    AmountFieldV1,
    DateFieldV1,
    InvoiceFieldsV1,
    InvoiceLineV1,
    Level,
    TextFieldV1,
)
from belegflow_ocr.recognition import ProtocolLog, validate
from belegflow_ocr.recognition.validation import CONFLICT_CONFIDENCE

TODAY = date(2024, 6, 1)


def _text(value: str) -> TextFieldV1:
    return TextFieldV1(value=value, confidence=0.9, page=1, bbox=(10, 10, 100, 20))


def _amount(value: str) -> AmountFieldV1:
    return AmountFieldV1(value=Decimal(value), confidence=0.9, page=1)


def _date(value: date) -> DateFieldV1:
    return DateFieldV1(value=value, confidence=0.9, page=1)


def _warnings(log: ProtocolLog, check: str) -> list[str]:
    return [e.message for e in log.entries if e.level is Level.WARNING and e.data.get("check") == check]


def test_bad_iban_lowers_confidence() -> None:
    # GIVEN an IBAN with a wrong check sum
    fields = InvoiceFieldsV1(supplier_iban=_text("DE35200505501234567890"))
    log = ProtocolLog()
    # WHEN validated
    checked = validate(fields, [], log, today=TODAY)
    # THEN its confidence is capped and the protocol says why
    assert checked.supplier_iban is not None
    assert checked.supplier_iban.confidence <= 0.3
    assert "mod-97" in _warnings(log, "iban")[0]


def test_calibrated_ids_failing_their_check_keep_their_calibration_but_are_never_sure() -> None:
    # GIVEN the learned decision's calibrated IBAN and VAT ID, both failing their check digits, one sure, one not
    sure = TextFieldV1(value="DE35200505501234567890", confidence=0.97, page=1)
    unsure = TextFieldV1(value="DE118654321", confidence=0.6, page=1)
    log = ProtocolLog()
    checked = validate(InvoiceFieldsV1(supplier_iban=sure, supplier_vat_id=unsure), [], log, today=TODAY,
                       calibrated=True)  # fmt: skip
    # THEN neither passes without a person, the calibration's doubt stays, and the protocol says why
    assert checked.supplier_iban is not None
    assert checked.supplier_iban.confidence == CONFLICT_CONFIDENCE < 0.9
    assert checked.supplier_vat_id is not None
    assert checked.supplier_vat_id.confidence == 0.6
    assert "mod-97" in _warnings(log, "iban")[0]
    assert "check digit" in _warnings(log, "vat_id")[0]


def test_good_iban_keeps_confidence() -> None:
    fields = InvoiceFieldsV1(supplier_iban=_text("DE34200505501234567890"))
    checked = validate(fields, [], ProtocolLog(), today=TODAY)
    assert checked.supplier_iban is not None
    assert checked.supplier_iban.confidence == 0.9


def test_german_vat_id_with_wrong_check_digit_lowers_confidence() -> None:
    # GIVEN DE118654320 (valid) changed in its last digit
    log = ProtocolLog()
    checked = validate(InvoiceFieldsV1(supplier_vat_id=_text("DE118654321")), [], log, today=TODAY)
    assert checked.supplier_vat_id is not None
    assert checked.supplier_vat_id.confidence <= 0.3
    assert "check digit" in _warnings(log, "vat_id")[0]


def test_vat_id_with_bad_format_lowers_confidence() -> None:
    log = ProtocolLog()
    checked = validate(InvoiceFieldsV1(supplier_vat_id=_text("DE12345")), [], log, today=TODAY)
    assert checked.supplier_vat_id is not None
    assert checked.supplier_vat_id.confidence <= 0.3
    assert "format" in _warnings(log, "vat_id")[0]


def test_due_date_before_invoice_date_is_dropped() -> None:
    fields = InvoiceFieldsV1(invoice_date=_date(date(2024, 3, 14)), due_date=_date(date(2024, 3, 1)))
    log = ProtocolLog()
    checked = validate(fields, [], log, today=TODAY)
    assert checked.due_date is None
    assert _warnings(log, "date")


def test_implausible_invoice_date_lowers_confidence() -> None:
    log = ProtocolLog()
    checked = validate(InvoiceFieldsV1(invoice_date=_date(date(2031, 1, 1))), [], log, today=TODAY)
    assert checked.invoice_date is not None
    assert checked.invoice_date.confidence <= 0.3


def test_net_plus_tax_not_gross_lowers_all_three() -> None:
    fields = InvoiceFieldsV1(net_amount=_amount("100.00"), tax_amount=_amount("19.00"), gross_amount=_amount("120.00"))
    log = ProtocolLog()
    checked = validate(fields, [], log, today=TODAY)
    for field in (checked.net_amount, checked.tax_amount, checked.gross_amount):
        assert field is not None
        assert field.confidence <= 0.5
    assert "not gross 120.00" in _warnings(log, "sum")[0]


def test_consistent_sums_raise_confidence() -> None:
    fields = InvoiceFieldsV1(net_amount=_amount("100.00"), tax_amount=_amount("19.00"), gross_amount=_amount("119.00"))
    checked = validate(fields, [], ProtocolLog(), today=TODAY)
    assert checked.gross_amount is not None
    assert checked.gross_amount.confidence > 0.9


def test_calibrated_amounts_that_add_up_are_not_raised_again_but_those_that_do_not_are_never_sure() -> None:
    # the learned decision's calibration counted that they add up: 0.89 must not become a touchless 0.94
    near = AmountFieldV1(value=Decimal("100.00"), confidence=0.89, page=1)
    fields = InvoiceFieldsV1(net_amount=near, tax_amount=near.model_copy(update={"value": Decimal("19.00")}),
                             gross_amount=near.model_copy(update={"value": Decimal("119.00")}))  # fmt: skip
    log = ProtocolLog()
    checked = validate(fields, [], log, today=TODAY, calibrated=True)
    assert checked == fields
    assert any(e.data.get("check") == "sum" and e.data.get("ok") for e in log.entries)
    wrong = fields.model_copy(update={"gross_amount": near.model_copy(update={"value": Decimal("120.00")})})
    lowered = validate(wrong, [], ProtocolLog(), today=TODAY, calibrated=True)
    assert lowered.gross_amount is not None
    assert lowered.gross_amount.confidence == CONFLICT_CONFIDENCE
    # below that, the calibration of amounts that do not add up says how sure they are: it is not lowered again
    doubtful = wrong.model_copy(update={"net_amount": near.model_copy(update={"confidence": 0.62})})
    kept = validate(doubtful, [], ProtocolLog(), today=TODAY, calibrated=True)
    assert kept.net_amount is not None
    assert kept.net_amount.confidence == 0.62


def test_line_sum_not_net_lowers_net_confidence() -> None:
    fields = InvoiceFieldsV1(net_amount=_amount("100.00"))
    lines = [InvoiceLineV1(position=1, description="Fracht", net_amount=Decimal("60.00")),
             InvoiceLineV1(position=2, description="Zoll", net_amount=Decimal("30.00"))]  # fmt: skip
    log = ProtocolLog()
    checked = validate(fields, lines, log, today=TODAY)
    assert checked.net_amount is not None
    assert checked.net_amount.confidence <= 0.6
    assert "sum to 90.00" in _warnings(log, "lines")[0]
    # the learned decision weighs the line sum itself: its calibrated confidence stays, the protocol still says it
    log = ProtocolLog()
    calibrated = validate(fields, lines, log, today=TODAY, calibrated=True)
    assert calibrated.net_amount == fields.net_amount
    assert "sum to 90.00" in _warnings(log, "lines")[0]


def test_receipt_items_priced_with_tax_may_sum_to_the_gross_amount() -> None:
    # GIVEN a till receipt: item prices include tax
    fields = InvoiceFieldsV1(net_amount=_amount("26.97"), tax_amount=_amount("5.13"), gross_amount=_amount("32.10"))
    lines = [InvoiceLineV1(position=1, description="Spanngurt", net_amount=Decimal("29.90")),
             InvoiceLineV1(position=2, description="Kaffee", net_amount=Decimal("2.20"))]  # fmt: skip
    log = ProtocolLog()
    checked = validate(fields, lines, log, today=TODAY)
    # THEN the net amount keeps its confidence and the protocol says why the lines fit
    assert checked.net_amount is not None
    assert checked.net_amount.confidence > 0.9
    assert not _warnings(log, "lines")
    assert any("sum to the gross amount 32.10" in e.message for e in log.entries)


def test_a_tax_larger_than_any_rate_is_net_and_tax_read_the_wrong_way_round() -> None:
    # GIVEN totals that add up, but the "tax" is 7 times the "net" (a header row's columns read swapped)
    fields = InvoiceFieldsV1(net_amount=_amount("222527.33"), tax_amount=_amount("1645070.37"),
                             gross_amount=_amount("1867597.70"))  # fmt: skip
    for calibrated, cap in ((True, CONFLICT_CONFIDENCE), (False, 0.5)):
        log = ProtocolLog()
        checked = validate(fields, [], log, today=TODAY, calibrated=calibrated)
        # THEN none of the three is sure, and the protocol names the rate
        for name in ("net_amount", "tax_amount", "gross_amount"):
            field = getattr(checked, name)
            assert field is not None
            assert field.confidence <= cap
        assert "no tax rate is 739.3 %" in _warnings(log, "sum")[0]


def test_the_rate_check_accepts_every_real_rate_and_credit_notes() -> None:
    from belegflow_ocr.recognition.validation import plausible_rate

    assert plausible_rate(Decimal("100.00"), Decimal("27.00"))  # the highest standard rate (Hungary)
    assert plausible_rate(Decimal("-100.00"), Decimal("-19.00"))  # a credit note, signs as printed
    assert plausible_rate(Decimal("100.00"), Decimal("0.00"))
    assert not plausible_rate(Decimal("100.00"), Decimal("-19.00"))
    assert not plausible_rate(Decimal("24.00"), Decimal("16.00"))
    assert not plausible_rate(Decimal("0.00"), Decimal("5.00"))
