"""Dates of an invoice: the date of issue (not a delivery, order or print date) and the due date.

Numeric dates are read in the order the document writes them (day first, or month first in American
documents), decided once per document from dates that prove it (``13/03``), else from its language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from belegflow_ocr.recognition.candidates import Candidate, Parser, Value, labelled, parse_number, show, span_box
from belegflow_ocr.recognition.labels import LabelHit, label_at
from belegflow_ocr.recognition.layout import Line, Segment
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog
from belegflow_ocr.recognition.parsing import DateOrder, find_dates

# "Rechnung Nr. 4711 vom 12.03.2024", "Facture FA-1 du 12/03/2024", "Invoice 17 dated 3 March 2024".
_OF = re.compile(r"\b(?:vom|v\.|du|dated|of|from|del|van|de|dd\.?)\s*$", re.IGNORECASE)
# "Hamburg, 12.03.2024", "Paris, le 12 mars 2024", "München, den 3. März 2024": the date of a letter.
_PLACE_DATE = re.compile(r"^[A-ZÄÖÜ][\w .\-/äöüßéè]{1,40},\s*(?:den|le|the|il|el|am)?\s*$")


def date_parser(order: DateOrder, *, compact: bool = False) -> Parser:
    def parse(text: str) -> list[tuple[Value, int, int]]:
        return [(d, s, e) for d, s, e in find_dates(text, order=order, compact=compact)]

    return parse


def invoice_date_candidates(
    lines: Sequence[Line],
    pages: Sequence[PageInfo],
    order: DateOrder,
    number_hits: Sequence[tuple[Line, Segment, LabelHit]],
    skip: set[int],
    *,
    receipt: bool = False,
    number: Value | None = None,
) -> list[Candidate]:
    """Labelled dates of issue; the date after an invoice number ("Nr. 17 vom 12.03."); a letter's place and
    date; and only when none of these is printed, the first date at the top of page 1 that no label claims.

    The date after a number is the date of issue only where that number is the invoice's (``number``, when one
    was read): "Réf. facture 2024/56611 du 22 novembre 2024" on a correction dates the invoice it corrects."""
    found = labelled(lines, "invoice_date", date_parser(order, compact=True), skip=skip)
    for _line, seg, hit in number_hits:
        rest = seg.text[hit.match.end() :]
        for d, s, e in find_dates(rest, order=order):
            printed = parse_number(rest[:s])
            if number is not None and printed and printed[0][0] != number:
                break
            if _OF.search(rest[:s]):
                start = hit.match.end() + s
                found.append(Candidate(d, 0.95 * hit.label.weight, seg.page,
                                       span_box(seg, start, start + e - s),
                                       f"date after the invoice number {hit.text!r}"))  # fmt: skip
                break
    first = pages[0]
    for line in lines:
        if line.page != 1 or line.top > 0.45 * first.height:
            continue
        for seg in line.segments:
            for d, s, e in find_dates(seg.text, order=order):
                if _PLACE_DATE.match(seg.text[:s]) and e >= len(seg.text.rstrip(". ")) - 1:
                    found.append(Candidate(d, 0.8, seg.page, span_box(seg, s, e), "place and date of the letter"))
    if found:
        return found
    return _unlabelled(lines, pages, order, skip, receipt=receipt)


def _unlabelled(
    lines: Sequence[Line], pages: Sequence[PageInfo], order: DateOrder, skip: set[int], *, receipt: bool
) -> list[Candidate]:
    """No label names the date of issue: the first date that no other label claims, at the top of an
    invoice's first page or anywhere on a till receipt (which prints it at the bottom, beside the time). The
    only date a document prints is likelier its date of issue than one of several."""
    first = pages[0]
    dates: list[tuple[date, Segment, int, int]] = []
    for line in lines[:200]:
        if line.page != 1 or line.index in skip or (not receipt and line.top > 0.45 * first.height):
            continue
        for seg in line.segments:
            claimed = label_at(seg.text)
            if claimed is not None and claimed.kind in ("other_date", "due_date"):
                continue
            dates += [(d, seg, s, e) for d, s, e in find_dates(seg.text, order=order)]
    if not dates:
        return []
    d, seg, s, e = dates[0]
    alone = len({x[0] for x in dates}) == 1
    conf = (0.8 if receipt else 0.6) if alone else 0.35
    where = "on the receipt" if receipt else "at the top of page 1"
    return [Candidate(d, conf, seg.page, span_box(seg, s, e),
                      f"{'only' if alone else 'first'} date {where}, unlabelled")]  # fmt: skip


_TERMS = re.compile(
    r"(?:innerhalb\s+(?:von\s+)?|binnen\s+|within\s+|Zahlungsziel:?\s*|Zahlungsbedingungen:?\s*|"
    r"Payment\s+terms:?\s*|(?:zahlbar|payable|due)\s+(?:in\s+)?|Net\s+|[àa]\s+|sous\s+|dans\s+les\s+|binnen\s+|"
    r"entro\s+|a\s+)(\d{1,3})\s+(?:Tagen|Tage|days|jours|dagen|giorni|d[íi]as)",
    re.IGNORECASE,
)
# "innerhalb von 8 Tagen 2 % Skonto" is an early-payment discount, not the due date.
_DISCOUNT = re.compile(r"Skonto|discount|abzüglich\s+\d", re.IGNORECASE)


def _due_from_terms(lines: Sequence[Line], invoice_date: date | None) -> list[Candidate]:
    """'zahlbar innerhalb von 30 Tagen', 'Zahlungsziel: 30 Tage netto', 'Payment terms: 30 days net': the due
    date counted from the invoice date; terms of a cash discount (Skonto) are not the due date."""
    if invoice_date is None:
        return []
    found = []
    for line in lines:
        for seg in line.segments:
            if _DISCOUNT.search(seg.text):
                continue
            for m in _TERMS.finditer(seg.text):
                due = invoice_date + timedelta(days=int(m.group(1)))
                found.append(Candidate(due, 0.6, seg.page, span_box(seg, m.start(), m.end()),
                                       f"payment terms {m.group()!r}"))  # fmt: skip
    return found


def due_candidates(
    lines: Sequence[Line], invoice_date: date | None, parse: Parser, skip: set[int], log: ProtocolLog
) -> list[Candidate]:
    """Labelled due dates that do not lie before the invoice date; without one, the payment terms."""
    cands = labelled(lines, "due_date", parse, skip=skip)
    if invoice_date is not None:
        early = [c for c in cands if isinstance(c.value, date) and c.value < invoice_date]
        if early:
            log.info(
                f"due_date: {', '.join(show(c.value) for c in early)} passed over, before the invoice date "
                f"{invoice_date.isoformat()}",
                field="due_date",
            )
            cands = [c for c in cands if c not in early]
    return cands or _due_from_terms(lines, invoice_date)


__all__ = ["date_parser", "due_candidates", "invoice_date_candidates"]
