"""Checks what extraction read (IBAN, VAT ID, dates, sums) and lowers confidence where a check fails."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from belegflow_contracts.messages import AmountFieldV1, InvoiceFieldsV1, InvoiceLineV1
from belegflow_contracts.types import iban_checksum_ok
from belegflow_ocr.recognition.model import ProtocolLog
from belegflow_ocr.recognition.parsing import vat_id_ok

# A failed check caps the field's confidence here, so review always sees it.
FAILED_CHECK_CONFIDENCE = 0.3
# Sums that disagree leave the amounts usable but doubtful.
MISMATCH_CONFIDENCE = 0.5
CONFLICT_CONFIDENCE = 0.89
"""Net, tax and gross that do not add up after the learned decision: at least one of them is wrong, so none passes
without a person (below the touchless threshold of 0.9; matching sends such an invoice to review on its own too).
How sure each still is, the decision's calibration of such amounts says, up to this: on a till receipt whose net
and tax are misread, the total is right 85 % of the time."""
EARLIEST_PLAUSIBLE = date(2000, 1, 1)
# Invoices dated ahead happen (issued on delivery day), more than a few weeks is a misread.
FUTURE_TOLERANCE = timedelta(days=62)
CENT = Decimal("0.01")


MAX_TAX_RATE = Decimal("0.30")
"""No VAT, GST or sales tax rate reaches 30 % of the net (the highest standard rates are 27-28 %): a tax above
that is a net and a tax read the wrong way round, or a subtotal taken for one of them."""


def amounts_consistent(net: Decimal, tax: Decimal, gross: Decimal) -> bool:
    return abs(net + tax - gross) <= CENT / 2


def plausible_rate(net: Decimal, tax: Decimal) -> bool:
    """Whether ``tax`` can be the tax on ``net`` at some rate: the same sign, at most ``MAX_TAX_RATE`` of it."""
    if net == 0:
        return tax == 0
    return tax * net >= 0 and abs(tax) <= abs(net) * MAX_TAX_RATE


def _cap(fields: InvoiceFieldsV1, name: str, limit: float) -> InvoiceFieldsV1:
    current = getattr(fields, name)
    if current is None or current.confidence <= limit:
        return fields
    return fields.model_copy(update={name: current.model_copy(update={"confidence": limit})})


def _boost(fields: InvoiceFieldsV1, name: str, by: float) -> InvoiceFieldsV1:
    current = getattr(fields, name)
    if current is None:
        return fields
    raised = min(0.99, round(current.confidence + by, 3))
    return fields.model_copy(update={name: current.model_copy(update={"confidence": raised})})


def id_check_fails(name: str, value: str) -> bool:
    """An IBAN failing its mod-97 check sum, or a VAT ID failing its country's check digits or format."""
    if name == "supplier_iban":
        return not iban_checksum_ok(value)
    if name == "supplier_vat_id":
        return not vat_id_ok(value)[0]
    return False


def validate(
    fields: InvoiceFieldsV1, lines: list[InvoiceLineV1], log: ProtocolLog, *, today: date | None = None,
    calibrated: bool = False,
) -> InvoiceFieldsV1:
    """Runs every check; each failure lowers the field's confidence and says why in the protocol. Amounts that add
    up are made a little surer and amounts that do not are made doubtful, unless their confidence is
    ``calibrated`` already: the learned decision's calibration has counted whether they add up (raising it again
    would make a 0.89 a touchless 0.94), and amounts that do not add up are calibrated as a class of their own:
    they stay as calibrated, at most ``CONFLICT_CONFIDENCE``. So do an IBAN and a VAT ID failing their check
    digits when ``calibrated``: the calibration has a class of its own for them, and what it learned is that a
    printed specimen ID ("DE123456789") is read right as often as a valid one; the failed check still keeps
    them from passing without a person, and says why in the protocol."""
    today = today or date.today()
    failed_id = CONFLICT_CONFIDENCE if calibrated else FAILED_CHECK_CONFIDENCE
    fields = _check_iban(fields, log, failed_id)
    fields = _check_vat_id(fields, log, failed_id)
    fields = _check_dates(fields, log, today)
    fields = _check_sums(fields, log, calibrated=calibrated)
    fields = _check_lines(fields, lines, log, calibrated=calibrated)
    return fields


def _check_iban(fields: InvoiceFieldsV1, log: ProtocolLog, cap: float) -> InvoiceFieldsV1:
    if fields.supplier_iban is None:
        return fields
    iban = fields.supplier_iban.value
    if iban_checksum_ok(iban):
        log.info(f"supplier_iban: {iban} passes the mod-97 check", field="supplier_iban", check="iban", ok=True)
        return fields
    log.warning(
        f"supplier_iban: {iban} fails the IBAN mod-97 check sum (misread or mistyped) - confidence at most {cap:.2f}",
        field="supplier_iban",
        check="iban",
        ok=False,
        value=iban,
    )
    return _cap(fields, "supplier_iban", cap)


def _check_vat_id(fields: InvoiceFieldsV1, log: ProtocolLog, cap: float) -> InvoiceFieldsV1:
    if fields.supplier_vat_id is None:
        return fields
    vat_id = fields.supplier_vat_id.value
    ok, why = vat_id_ok(vat_id)
    if ok:
        log.info(f"supplier_vat_id: {vat_id} {why}", field="supplier_vat_id", check="vat_id", ok=True)
        return fields
    log.warning(
        f"supplier_vat_id: {vat_id} fails the {why} - confidence at most {cap:.2f}",
        field="supplier_vat_id",
        check="vat_id",
        ok=False,
        value=vat_id,
    )
    return _cap(fields, "supplier_vat_id", cap)


def _check_dates(fields: InvoiceFieldsV1, log: ProtocolLog, today: date) -> InvoiceFieldsV1:
    invoice_date = fields.invoice_date
    if invoice_date is not None:
        value = invoice_date.value
        if not EARLIEST_PLAUSIBLE <= value <= today + FUTURE_TOLERANCE:
            log.warning(
                f"invoice_date: {value.isoformat()} is implausible (before {EARLIEST_PLAUSIBLE.isoformat()} or "
                f"more than {FUTURE_TOLERANCE.days} days after {today.isoformat()}) - confidence lowered",
                field="invoice_date",
                check="date",
                ok=False,
            )
            fields = _cap(fields, "invoice_date", FAILED_CHECK_CONFIDENCE)
    due = fields.due_date
    if due is not None and invoice_date is not None and due.value < invoice_date.value:
        log.warning(
            f"due_date: {due.value.isoformat()} lies before the invoice date "
            f"{invoice_date.value.isoformat()} - dropped",
            field="due_date",
            check="date",
            ok=False,
        )
        fields = fields.model_copy(update={"due_date": None})
    return fields


def _check_sums(fields: InvoiceFieldsV1, log: ProtocolLog, *, calibrated: bool = False) -> InvoiceFieldsV1:
    net, tax, gross = fields.net_amount, fields.tax_amount, fields.gross_amount
    if net is None or tax is None or gross is None:
        missing = [n for n, f in (("net", net), ("tax", tax), ("gross", gross)) if f is None]
        log.warning(f"amounts: cannot check net + tax = gross, missing {', '.join(missing)}", check="sum", ok=False)
        return fields
    if amounts_consistent(net.value, tax.value, gross.value) and not plausible_rate(net.value, tax.value):
        log.warning(f"amounts: net {net.value} + tax {tax.value} = gross {gross.value}, but no tax rate is "
                    f"{(tax.value / net.value * 100).quantize(Decimal('0.1')) if net.value else '-'} % - "
                    + ("not sure" if calibrated else "confidence lowered"), check="sum", ok=False)  # fmt: skip
        for name in ("net_amount", "tax_amount", "gross_amount"):
            fields = _cap(fields, name, CONFLICT_CONFIDENCE if calibrated else MISMATCH_CONFIDENCE)
        return fields
    if amounts_consistent(net.value, tax.value, gross.value):
        rate = (tax.value / net.value * 100).quantize(Decimal("0.1")) if net.value else Decimal(0)
        log.info(
            f"amounts: net {net.value} + tax {tax.value} = gross {gross.value} (tax rate {rate} %)",
            check="sum",
            ok=True,
        )
        # net read from the very total that is gross (an invoice charging no tax that prints one total) is no
        # second reading: the sum holds by itself and confirms nothing
        one_total = net.bbox is not None and (net.page, net.bbox) == (gross.page, gross.bbox)
        for name in ("net_amount", "tax_amount", "gross_amount") if not calibrated and not one_total else ():
            fields = _boost(fields, name, 0.05)
        return fields
    log.warning(
        f"amounts: net {net.value} + tax {tax.value} = {net.value + tax.value}, not gross {gross.value} - "
        + ("not sure" if calibrated else "confidence lowered"),
        check="sum",
        ok=False,
    )
    for name in ("net_amount", "tax_amount", "gross_amount"):
        fields = _cap(fields, name, CONFLICT_CONFIDENCE if calibrated else MISMATCH_CONFIDENCE)
    return fields


def _check_lines(fields: InvoiceFieldsV1, lines: list[InvoiceLineV1], log: ProtocolLog, *,
                 calibrated: bool = False) -> InvoiceFieldsV1:  # fmt: skip
    for line in lines:
        if line.quantity is not None and line.unit_price is not None and line.net_amount is not None:
            expected = (line.quantity * line.unit_price).quantize(CENT)
            if abs(expected - line.net_amount) > CENT:
                log.warning(
                    f"line {line.position}: {line.quantity} x {line.unit_price} = {expected}, not {line.net_amount}",
                    check="line",
                    ok=False,
                    position=line.position,
                )
    amounts = [line.net_amount for line in lines if line.net_amount is not None]
    net: AmountFieldV1 | None = fields.net_amount
    if not amounts or net is None:
        return fields
    total = sum(amounts, Decimal(0))
    if abs(total - net.value) <= CENT / 2:
        log.info(f"lines: {len(amounts)} line amounts sum to the net amount {net.value}", check="lines", ok=True)
        return fields
    gross = fields.gross_amount
    if gross is not None and abs(total - gross.value) <= CENT / 2:
        log.info(
            f"lines: {len(amounts)} line amounts sum to the gross amount {gross.value} (prices include tax)",
            check="lines",
            ok=True,
        )
        return fields
    # The learned decision weighs the line sum as one of its features (and lines are misread more often than
    # totals): a calibrated net amount keeps its confidence.
    log.warning(
        f"lines: {len(amounts)} line amounts sum to {total}, not the net amount {net.value}"
        + ("" if calibrated else " - confidence lowered"),
        check="lines",
        ok=False,
    )
    return fields if calibrated else _cap(fields, "net_amount", MISMATCH_CONFIDENCE + 0.1)
