"""The e-invoice check recognition adds: the official validation verdict, and a hybrid PDF's picture against its XML.

Both are written to their own protocol section (step ``einvoice-validation``) and travel in
``RecognizedV1.einvoice``; matching decides on them (an invalid or inconsistent e-invoice waits for a person).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Final

from belegflow_contracts.messages import (
    EInvoiceCheckV1,
    EInvoiceVerdict,
    InvoiceFieldsV1,
    PictureDifferenceV1,
    RuleLevel,
)
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition.einvoice.validator import current_validator
from belegflow_ocr.recognition.einvoice.xmlsafe import XmlLimits, parse_xml
from belegflow_ocr.recognition.model import ProtocolLog, Recognition, RecognitionStatus
from belegflow_ocr.recognition.parsing import DateOrder, find_amounts, find_dates, find_ibans, find_vat_ids

VALIDATION_STEP: Final = "einvoice-validation"
# failed rules written one by one into the protocol; the contract field holds up to 200 of them
_PROTOCOL_RULES: Final = 50
# Fields of the picture compared with the XML: number, dates, amounts, IBAN, VAT ID (and the currency).
COMPARED: Final = ("invoice_number", "invoice_date", "due_date", "currency", "net_amount", "tax_amount",
                   "gross_amount", "supplier_iban", "supplier_vat_id")
# what every invoice's picture shows: the XML's value missing from the page is a disagreement, not a gap
ON_EVERY_PAGE: Final = ("invoice_number", "invoice_date", "gross_amount")
NOT_ON_PAGE: Final = "(not on the page)"
# a currency the page shows by its sign only
_CURRENCY_SIGNS: Final = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
_VERDICT_WORDS: Final = {EInvoiceVerdict.VALID: "valid", EInvoiceVerdict.VALID_WITH_WARNINGS: "valid with warnings",
                         EInvoiceVerdict.INVALID: "invalid"}


def validation_log() -> ProtocolLog:
    return ProtocolLog(step=VALIDATION_STEP)


def validate_xml(xml: bytes, *, filename: str, log: ProtocolLog, limits: XmlLimits | None = None
                 ) -> EInvoiceCheckV1 | None:
    """The verdict on ``xml`` under the configured rules, said in ``log``; None where no rules are configured (the
    service refuses to start without them, so only a library caller gets None)."""
    validator = current_validator()
    if validator is None:
        log.warning("einvoice validation: no rules configured in this process; the e-invoice was not validated")
        return None
    try:
        root = parse_xml(xml, filename=filename, limits=limits)
    except RecognitionError as exc:  # the reader read it, so this does not happen; said, never hidden
        log.error(f"einvoice validation: cannot parse the XML - {exc.message}")
        return None
    check = validator.validate(root)
    say_verdict(check, log)
    return check


def unreadable_xml_check(xml: bytes, *, filename: str, log: ProtocolLog) -> EInvoiceCheckV1 | None:
    """The verdict on an embedded e-invoice no reader could read (malformed, unsafe, not an invoice): invalid, as
    the official validator has it, with why; None where no rules are configured."""
    validator = current_validator()
    if validator is None:
        log.warning("einvoice validation: no rules configured in this process; the e-invoice was not validated")
        return None
    check = validator.validate_bytes(xml)
    say_verdict(check, log)
    return check


def say_verdict(check: EInvoiceCheckV1, log: ProtocolLog) -> None:
    """The verdict, then each failed rule with its id, flag, message and place."""
    counts = {level: sum(1 for f in check.failed if f.level is level) for level in RuleLevel}
    summary = (f"einvoice validation: {_VERDICT_WORDS[check.verdict]} - scenario {check.scenario or 'none'}; "
               f"{counts[RuleLevel.ERROR]} errors, {counts[RuleLevel.WARNING]} warnings, "
               f"{counts[RuleLevel.INFORMATION]} notes (rules: {check.rules})")
    data = {"verdict": check.verdict.value, "scenario": check.scenario or "", "specification":
            check.specification or "", "rules": check.rules, "failed_total": check.failed_total}
    if check.verdict is EInvoiceVerdict.INVALID:
        log.error(summary, **data)
    elif check.verdict is EInvoiceVerdict.VALID_WITH_WARNINGS:
        log.warning(summary, **data)
    else:
        log.info(summary, **data)
    for rule in check.failed[:_PROTOCOL_RULES]:
        line = f"{rule.level.value} {rule.rule} ({rule.step}{', ' + rule.flag if rule.flag else ''}): {rule.message}"
        where = {"rule": rule.rule, "step": rule.step, "flag": rule.flag, "rule_level": rule.level.value,
                 "location": rule.location}
        if rule.level is RuleLevel.ERROR:
            log.error(line, **where)
        elif rule.level is RuleLevel.WARNING:
            log.warning(line, **where)
        else:
            log.info(line, **where)
    if check.failed_total > _PROTOCOL_RULES:
        log.info(f"einvoice validation: {check.failed_total - _PROTOCOL_RULES} more failed rules not listed here")


# --- the picture against the XML ------------------------------------------------------------------


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


def _printed(value: object, page_text: str) -> bool:
    """Whether the page prints ``value`` anywhere, in any of the forms the readers understand."""
    if isinstance(value, Decimal):
        return any(abs(found) == abs(value) for found, _, _ in find_amounts(page_text))
    if isinstance(value, date):
        orders: tuple[DateOrder, ...] = ("DMY", "MDY")
        return any(found == value for order in orders for found, _, _ in
                   find_dates(page_text, order=order, compact=True))
    squashed = _squash(str(value))
    page = _squash(page_text)
    if squashed in page or _CURRENCY_SIGNS.get(str(value).upper(), "\0") in page:
        return True
    ids = [m.value for m in (*find_ibans(page_text), *find_vat_ids(page_text))]
    return any(_squash(str(i)) == squashed for i in ids)


def _same(a: object, b: object) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    if isinstance(a, date) or isinstance(b, date):
        return a == b
    return _squash(str(a)) == _squash(str(b))


def _show(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def compare_picture(fields: InvoiceFieldsV1, page: Recognition, log: ProtocolLog
                    ) -> tuple[InvoiceFieldsV1, list[PictureDifferenceV1] | None]:
    """The XML's key fields against the visible page; None when the page has no text to compare.

    A field disagrees when the XML's value is printed nowhere on the page and the page reading found another value
    (so a reading that picked a neighbouring figure is no disagreement) or, for the number, the date and the gross
    every invoice prints, found none. Another value the page does not show is noted, not counted: a picture may
    leave out what the XML carries (an IBAN, a VAT ID, the tax total). The XML value stays (it is the legal
    invoice); where the page agrees, the field gets the page's place so a clerk sees where it stands.
    """
    if page.status is not RecognitionStatus.RECOGNIZED:
        log.warning("einvoice picture: the page has no usable text layer; the picture was not compared with the XML")
        return fields, None
    updates: dict[str, object] = {}
    agreed: list[str] = []
    unseen: list[str] = []
    differences: list[PictureDifferenceV1] = []
    for name in COMPARED:
        mine = getattr(fields, name)
        theirs = getattr(page.fields, name)
        if mine is None:
            continue
        if theirs is not None and _same(mine.value, theirs.value):
            agreed.append(name)
            updates[name] = mine.model_copy(update={"page": theirs.page, "bbox": theirs.bbox})
        elif _printed(mine.value, page.text):
            agreed.append(name)
        elif theirs is None and name not in ON_EVERY_PAGE:
            unseen.append(name)
        elif theirs is None:
            differences.append(PictureDifferenceV1(field=name, xml=_show(mine.value), page_value=NOT_ON_PAGE))
            log.error(f"einvoice picture: {name} - the XML says {_show(mine.value)}, the page does not show it",
                      field=name, xml=_show(mine.value), page_value=NOT_ON_PAGE)
        else:
            differences.append(PictureDifferenceV1(field=name, xml=_show(mine.value), page_value=_show(theirs.value),
                                                   page=theirs.page))
            log.error(f"einvoice picture: {name} - the XML says {_show(mine.value)}, the page says "
                      f"{_show(theirs.value)}", field=name, xml=_show(mine.value), page_value=_show(theirs.value),
                      page=theirs.page)
    summary = (f"einvoice picture: page and XML agree on {len(agreed)} of {len(agreed) + len(differences)} compared "
               f"fields" + (f"; they disagree on {', '.join(d.field for d in differences)}" if differences else "")
               + (f" (not shown on the page: {', '.join(unseen)})" if unseen else ""))
    data = {"agreed": ", ".join(agreed), "disagree": ", ".join(d.field for d in differences),
            "not_on_page": ", ".join(unseen)}
    if differences:
        log.error(summary, **data)
    else:
        log.info(summary, **data)
    return (fields.model_copy(update=updates) if updates else fields), differences
