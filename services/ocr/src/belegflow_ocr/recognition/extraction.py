"""Reads invoice fields and table lines from positioned words: candidates, evidence, a decision per field.

1. Words become lines and cells (``layout``); text is set right (``cleanup``).
2. Candidates: every value of a field's kind near a label of that kind (``labels``, ``candidates``), the
   parties' blocks (``parties``), the table (``tables``).
3. Decisions: amounts together, so that they add up (``amounts``); dates in the document's own notation
   (``dates``); each other field by its best candidate, less sure where a rival comes close.
4. The learned decision (``features``, ``scorer``): a model trained on many layouts ranks every candidate of a
   field, the rules' choice among its evidence; its confidence is calibrated on layouts it never saw.
5. Checks (``validation``): check digits, plausible dates, sums; each failure lowers the confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from belegflow_contracts.messages import InvoiceFieldsV1, InvoiceLineV1
from belegflow_ocr.recognition.amounts import decide_totals
from belegflow_ocr.recognition.candidates import (
    LETTERS_ONLY_CAP,
    Candidate,
    amount_field,
    choose,
    date_field,
    labelled,
    parse_number,
    show,
    text_field,
)
from belegflow_ocr.recognition.cleanup import clean_text, normalised
from belegflow_ocr.recognition.dates import date_parser, due_candidates, invoice_date_candidates
from belegflow_ocr.recognition.doctype import default_date_order, document_type, language, merchant, type_of_label
from belegflow_ocr.recognition.features import Document
from belegflow_ocr.recognition.labels import LabelHit
from belegflow_ocr.recognition.layout import Line, Segment, build_lines
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog, Word
from belegflow_ocr.recognition.parsing import find_ibans, find_vat_ids, numeric_date_order
from belegflow_ocr.recognition.parties import IBAN_LABEL, VAT_LABEL, currency, id_candidates, parties, payees
from belegflow_ocr.recognition.references import read_references
from belegflow_ocr.recognition.scorer import decide, load_model
from belegflow_ocr.recognition.tables import table_lines
from belegflow_ocr.recognition.validation import validate


def _as_printed(c: Candidate | None, log: ProtocolLog, name: str) -> Candidate | None:
    """A credit note's amounts as EN 16931 states them: positive, the type says they are credited."""
    if c is None or not isinstance(c.value, Decimal) or c.value >= 0:
        return c
    log.info(f"{name}: {show(c.value)} printed with a minus on a credit note, passed on as {show(-c.value)}",
             field=name)  # fmt: skip
    return replace(c, value=-c.value)


def extract_fields(
    words: Sequence[Word],
    pages: Sequence[PageInfo],
    log: ProtocolLog,
    *,
    today: date | None = None,
    learned: bool = True,
    observe: Callable[[Document], None] | None = None,
) -> tuple[InvoiceFieldsV1, list[InvoiceLineV1]]:
    """All fields and lines of an invoice from its positioned words, validated, with the protocol.

    The rules' reading is the evidence of the learned decision (``scorer``); with ``learned=False`` it is the
    answer. ``observe`` is handed the candidates' document (training reads its features there)."""
    words = [normalised(w) for w in words]
    lines = build_lines(words)
    if not lines or not pages:
        return InvoiceFieldsV1(), []
    lang = language(lines)
    order, why = numeric_date_order([ln.text for ln in lines], default=default_date_order(lines, lang))
    kind = document_type(lines, pages)
    log.info(f"document: {kind.value} ({kind.source}), language {lang}, numeric dates {order} ({why})",
             document_type=kind.value, language=lang, date_order=order)  # fmt: skip
    invoice_lines, table_rows = table_lines(lines, log)

    number_hits: list[tuple[Line, Segment, LabelHit]] = []
    numbers = labelled(lines, "invoice_number", parse_number, skip=table_rows, hits=number_hits)
    number = choose("invoice_number", numbers, log)
    if number is not None and not any(ch.isdigit() for ch in str(number.value)):
        log.warning(f"invoice_number: {number.value} has no digit - confidence at most {LETTERS_ONLY_CAP}",
                    field="invoice_number")  # fmt: skip
        number = replace(number, confidence=min(number.confidence, LETTERS_ONLY_CAP))
    if kind.value == "invoice" and kind.page is None and number_hits:
        named = {t for _, _, hit in number_hits if (t := type_of_label(hit.text)) is not None}
        if len(named) == 1:
            kind = Candidate(named.pop(), 0.9, None, None, "the label of the document's number names it")
            log.info(f"document: {kind.value} ({kind.source})", document_type=kind.value)
    date_cands = invoice_date_candidates(lines, pages, order, number_hits, table_rows, receipt=kind.value == "receipt",
                                         number=None if number is None else number.value)
    invoice_date = choose("invoice_date", date_cands, log)
    issued = invoice_date.value if invoice_date is not None and isinstance(invoice_date.value, date) else None
    due = choose("due_date", due_candidates(lines, issued, date_parser(order), table_rows, log), log)

    line_amounts = [ln.net_amount for ln in invoice_lines if ln.net_amount is not None]
    line_sum = sum(line_amounts, Decimal(0)) if line_amounts else None
    totals = decide_totals(lines, table_rows, line_sum, log, receipt=kind.value == "receipt")
    net, tax, gross = totals.net, totals.tax, totals.gross
    if kind.value == "credit_note":
        net, tax, gross = (_as_printed(c, log, n) for c, n in ((net, "net_amount"), (tax, "tax_amount"),
                                                                (gross, "gross_amount")))  # fmt: skip
    money = currency(lines, [net, tax, gross], log)
    party, recipient, window = parties(lines, pages, log, receipt=kind.value == "receipt")
    name = party["name"]
    if kind.value == "receipt":
        shop = merchant(lines, pages, lang=lang)
        if shop is not None:
            name = choose("supplier_name", [shop, *([name] if name is not None else [])], log)
    iban = choose("supplier_iban", payees(id_candidates(lines, find_ibans, IBAN_LABEL, "IBAN", recipient_area=window),
                                          log), log)  # fmt: skip
    vat_cands = id_candidates(lines, find_vat_ids, VAT_LABEL, "VAT ID", not_inside=find_ibans, recipient_area=window)
    vat = choose("supplier_vat_id", vat_cands, log)

    # --- header references, the recipient's VAT ID, tax and company registrations (``references``) ---
    refs = read_references(lines, table_rows, log, vat_candidates=vat_cands, supplier_vat=vat, recipient_area=window,
                           invoice_number=number, receipt=kind.value == "receipt")  # fmt: skip
    vat = refs.supplier_vat_id
    # --- end of references ---

    fields = InvoiceFieldsV1(
        invoice_number=text_field(number),
        invoice_date=date_field(invoice_date),
        due_date=date_field(due),
        currency=text_field(money),
        net_amount=amount_field(net),
        tax_amount=amount_field(tax),
        gross_amount=amount_field(gross),
        supplier_name=text_field(name),
        supplier_street=text_field(party["street"]),
        supplier_postal_code=text_field(party["postal_code"]),
        supplier_city=text_field(party["city"]),
        supplier_iban=text_field(iban),
        supplier_vat_id=text_field(vat),
        recipient_name=text_field(recipient),
        document_type=text_field(kind),
        order_reference=text_field(refs.order_reference),
        sales_order_reference=text_field(refs.sales_order_reference),
        buyer_reference=text_field(refs.buyer_reference),
        shipment_reference=text_field(refs.shipment_reference),
        recipient_vat_id=text_field(refs.recipient_vat_id),
        supplier_tax_number=text_field(refs.supplier_tax_number),
        supplier_registration_id=text_field(refs.supplier_registration_id),
    )
    doc = Document(lines, pages, receipt=kind.value == "receipt", order=order, table_rows=table_rows,
                   invoice_lines=invoice_lines, heuristic=fields, tax_exemption=totals.exemption)  # fmt: skip
    if observe is not None:
        observe(doc)
    calibrated = False
    if learned:
        fields = decide(doc, log)
        calibrated = load_model() is not None
    return validate(fields, invoice_lines, log, today=today, calibrated=calibrated), invoice_lines


__all__ = ["clean_text", "extract_fields"]
