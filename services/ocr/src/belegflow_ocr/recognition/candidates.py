"""Candidates for a field: every value of its kind near a label of that kind, with where and why it was found.

A label is found whole and longest-first (``labels.label_at``); its value stands after it in the same cell,
right of it on the same line (or, on a slanting photo, the line beside), or below it. ``choose`` then picks
the best value, and the gap to the best *other* value decides how sure the choice is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from belegflow_contracts.messages import AmountFieldV1, DateFieldV1, TextFieldV1
from belegflow_ocr.recognition.labels import LabelHit, label_at
from belegflow_ocr.recognition.layout import Line, Segment, rounded, union
from belegflow_ocr.recognition.model import BBox, ProtocolLog
from belegflow_ocr.recognition.parsing import find_amounts, find_dates, find_ibans, find_vat_ids, vat_id_shaped

Value = str | date | Decimal
Parser = Callable[[str], list[tuple[Value, int, int]]]


@dataclass(frozen=True, slots=True)
class Candidate:
    value: Value
    confidence: float
    page: int | None
    bbox: BBox | None
    source: str
    label: str = ""
    """The label the value was found by ("zzgl. 19 % USt"), where one was."""


_TAX_INCLUDED = re.compile(r"\b(?:enthalten|enthält|included|includes)\b", re.IGNORECASE)
# " / " joins two titles or labels ("Quittung / Rechnung Nr. 5531"): each is read on its own.
_INLINE_SEP = re.compile(r"[,;·|•]\s+|\s{2,}|\s+\.\s+|,(?=[A-Za-zÄÖÜäöü])|\s+/\s+")
_VALUE_END = re.compile(
    r"(?:\d[.,']\d{2}-?|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2})(?:\s*(?:€|EUR|USD|CHF|GBP|\$|£|RM))?"
    r"(?:\s*[.·•|;,]\s*|\s+)(?=[A-Za-zÄÖÜäöüß])"
)
# Words an invoice number's label may be followed by before the number itself.
_NUMBER_NOISE = re.compile(r"^(?:Nr|No|Nº|N°|n°|nº|Num|Nummer|Number|number|#|:|-|\.)\.?:?$")
_PREFIX = re.compile(r"^[A-Z]{1,5}$")
# A document type code in parentheses beside the title ("FACTURE (380)", "Rechnung (326)"; UNTDID 1001).
_TYPE_CODE = re.compile(r"^\(\d{3}\)[:.,]?$")
# A label that says "number" and nothing more, and a word of letters after it in its cell (what it numbers).
_BARE_NO = re.compile(r"(?:N[°º]|Nr|No|Num|Number|Nummer|Num[ée]ro|N[úu]mero)\.?\s*[:#]?", re.IGNORECASE)
_NAMED_AFTER = re.compile(r"\s*[^\W\d_]{3,}")
# A number sign that OCR glued to the number after it ("N°FA-2026-0001", "Nr.2024-17", "#4711").
_GLUED_SIGN = re.compile(r"^(?:[Nn][°º]\.?:?|N[ro][.:]:?|#:?)(?=[A-Za-z0-9])")
# The label of a register or tax number, which a capital prefix of an invoice number never is ("SIREN : 200 000
# 008" is a company's number, not the invoice "SIREN200000008").
_ID_LABEL = re.compile(r"^(?:SIREN|SIRET|RCS|HRA|HRB|KVK|UID|TVA|VAT|GLN|EAN|BIC|IBAN|SWIFT|TIN|EIN|ABN|GST|SST|NIF|"
                       r"CIF|NIE|RSIN|BTW|MWST|UST|USTID|STNR|ILN|DUNS|EORI|NAF|APE|REG|ROC|CRN|UEN)$")  # fmt: skip
_GROUP = re.compile(r" (\d{2,})(?= |$)")
_SLASHED = re.compile(r" / ([A-Za-z0-9][A-Za-z0-9\-.]*\d[A-Za-z0-9\-.]*|\d)(?=[\s,;]|$)(?!\s*/)")
_LETTERS_ONLY = re.compile(r"^(?!(?:ORIGINAL|DUPLICATE|DUPLIKAT|KOPIE|COPY|COPIE|PROFORMA|SUMMARY|STATEMENT|RECEIPT|"
                           r"RECHNUNG|INVOICE|FACTURE|GUTSCHRIFT|ENTWURF|DRAFT|PAID|BEZAHLT)$)[A-Z]{6,}$")
LETTERS_ONLY_CAP = 0.6
"""An invoice number without a digit is read, but a clerk confirms it."""
_AMOUNT_LIKE = re.compile(r"^\d{1,3}(?:[.,]\d{3})*[.,]\d{2}$")
_WORDY = re.compile(r"[A-Za-zÄÖÜäöüß]{3,}")
_NOT_WORDY = re.compile(r"^(?:EUR|USD|CHF|GBP|MYR|SGD|RM|netto|brutto|net|gross)$", re.IGNORECASE)

# A rival value this close to the winner's strength leaves the field below the touchless threshold.
RIVAL_SHARE = 0.9
RIVAL_CAP = 0.7

# --- value parsers -------------------------------------------------------------------------------


def parse_number(text: str) -> list[tuple[Value, int, int]]:
    """An invoice number: after words like 'Nr.' or '#', an optional short capital prefix ("RE 2024-17") and
    the first token with a digit; a date, an amount or a plain word ends the search."""
    dates = find_dates(text)
    prefix: tuple[str, int] | None = None
    for m in re.finditer(r"\S+", text):
        # OCR glues the number to its label's dot ("FATTURA N.118/2025": the label "N", the number ".118/2025")
        token = m.group().strip(":#,;()").lstrip(".")
        if not token or _NUMBER_NOISE.match(m.group()) or _TYPE_CODE.match(m.group()):
            continue
        if glued := _GLUED_SIGN.match(m.group()):
            token = m.group()[glued.end() :].strip(":#,;()")
        if any(s <= m.start() < e for _, s, e in dates) or _AMOUNT_LIKE.match(token) or token.endswith("%"):
            return []
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-/._]*", token):
            return []
        if not re.search(r"\d", token):
            if _ID_LABEL.match(token.upper()):
                return []
            if prefix is None and _PREFIX.match(token):
                prefix = (token, m.start())
                continue
            # A code of capitals alone ("RECHNUNGSNUMMER" in a test file, "ABCDEF") is kept, but never trusted
            # (see ``LETTERS_ONLY_CAP``).
            if prefix is None and _LETTERS_ONLY.match(token) and not text[m.end() :].strip():
                return [(token, m.start(), m.end())]
            return []
        if any(vat_id_shaped(v.value) for v in find_vat_ids(token)) or find_ibans(token):
            return []
        # a separator at its end is the next part's ("2025-118/ 03.02.2025" where OCR lost the space before "/")
        value, start, end = token.rstrip("./-"), m.start(), m.end()
        if prefix is not None:
            value, start = prefix[0] + value, prefix[1]
        # A number printed in groups ("2024 4420"): digit groups that follow belong to it.
        while value[-1:].isdigit() and (group := _GROUP.match(text, end)) is not None:
            value, end = value + group.group(1), group.end()
        # A number in two parts around a spaced slash ("018304 / 28865"): one number, written without the spaces.
        if (part := _SLASHED.match(text, end)) is not None and not find_dates(text[start : part.end()]):
            value, end = f"{value}/{part.group(1)}", part.end()
        return [(value, start, end)]
    return []


def parse_dates(text: str) -> list[tuple[Value, int, int]]:
    return [(d, s, e) for d, s, e in find_dates(text)]


def parse_last_amount(text: str) -> list[tuple[Value, int, int]]:
    amounts = find_amounts(text)
    return [(amounts[-1][0], amounts[-1][1], amounts[-1][2])] if amounts else []


# --- geometry helpers ----------------------------------------------------------------------------


def span_box(segment: Segment, start: int, end: int) -> BBox:
    """Box of the words of ``segment`` that the characters start..end of its text fall on."""
    boxes = []
    pos = 0
    for word in segment.words:
        w_end = pos + len(word.text)
        if pos < end and start < w_end:
            boxes.append(word.bbox)
        pos = w_end + 1
    return rounded(union(boxes) if boxes else segment.bbox)


def beside(lines: Sequence[Line], line: Line, segment: Segment, *, every: bool = False) -> list[Segment]:
    """Cells right of ``segment`` that landed on the line above or below: a photo's rows slant unevenly, so a
    value far right can sit a few points off its label. Nearest first, within 0.6 of the text height and only
    a cell clearly nearer than the other side's; with ``every`` (amounts, which the sums sort out) all within
    0.8."""
    mid = (segment.bbox[1] + segment.bbox[3]) / 2
    height = segment.bbox[3] - segment.bbox[1]
    near: list[tuple[float, Segment]] = []
    for other in (lines[line.index - 1] if line.index else None, lines[line.index + 1] if line.index + 1 < len(lines)
                  else None):  # fmt: skip
        if other is None or other.page != line.page:
            continue
        for seg in other.segments:
            off = abs((seg.bbox[1] + seg.bbox[3]) / 2 - mid)
            if seg.x0 > segment.x1 and off < (0.8 if every else 0.6) * height:
                near.append((off, seg))
    near.sort(key=lambda n: n[0])
    if every:
        return [seg for _, seg in near]
    if not near or (len(near) > 1 and near[0][0] > 0.7 * near[1][0]):
        return []
    return [near[0][1]]


def below(lines: Sequence[Line], line: Line, segment: Segment, depth: int = 2) -> Iterable[Segment]:
    """Segments under ``segment`` (overlapping it horizontally) in the next lines of the same page."""
    for found, other in enumerate(lines[line.index + 1 : line.index + 1 + depth], start=1):
        if other.page != line.page or other.top - line.bottom > 2.5 * max(line.height, other.height) * found:
            return
        for seg in other.segments:
            if seg.x0 < segment.x1 + 2 and seg.x1 > segment.x0 - 2:
                yield seg


def _wordy(line: Line) -> bool:
    """A line with text besides numbers: a table row with its description, not a row of totals."""
    return any(_WORDY.search(w.text) and not _NOT_WORDY.match(w.text) for w in line.words)


def labelled(
    lines: Sequence[Line],
    kind: str,
    parse: Parser,
    *,
    skip: set[int] | None = None,
    rightmost: bool = False,
    hits: list[tuple[Line, Segment, LabelHit]] | None = None,
) -> list[Candidate]:
    """Values of a labelled field: after the label in its cell, right of it on the same line, or below it.

    A label starts a cell or a part of a cell after a separator ("Netto 100,00 €, USt 19,00 €"); its value
    in the cell ends at the next separator. Only a label that starts its cell looks right of or below it, and
    only a label that may have its value under it looks below. With ``rightmost`` (amounts) the value is the
    last one right of the label, and a value below counts only on a line without words (a row of totals under
    their labels, never the first row of a table under its column header). Where the label was found is added
    to ``hits``.
    """
    found: list[Candidate] = []
    for line in lines:
        if skip and line.index in skip:
            continue
        for si, seg in enumerate(line.segments):
            text = seg.text
            seps = [(m.start(), m.end()) for m in _INLINE_SEP.finditer(text)]
            seps += [(m.end(), m.end()) for m in _VALUE_END.finditer(text)]
            starts = {e for _, e in seps}
            if kind == "tax_amount" and _TAX_INCLUDED.search(text):
                # a sentence that names the tax a total includes: "Im Betrag sind 19 % MwSt. (3,80 €) enthalten"
                starts |= {m.start() for m in re.finditer(r"(?<=\s)\S", text)}
            for start in [0, *sorted(starts)]:
                hit = label_at(text, start)
                if hit is None or (hit.kind != kind and not (kind == "invoice_date" and hit.dated)):
                    continue
                if hits is not None:
                    hits.append((line, seg, hit))
                m, label = hit.match, hit.label
                label_text = hit.text
                part_end = min((b for b, _ in seps if b >= m.end()), default=len(text))
                values = parse(text[m.end() : part_end])
                if not values and start == 0 and part_end < len(text):
                    values = parse(text[m.end() :])
                if values:
                    v, s, e = values[-1] if rightmost else values[0]
                    found.append(Candidate(v, 0.95 * label.weight, seg.page, span_box(seg, s + m.end(), e + m.end()),
                                           f"label {label_text!r}, same cell", label_text))  # fmt: skip
                    continue
                if start > 0 and text[m.end() :].strip():
                    continue
                if _BARE_NO.fullmatch(label_text) and _NAMED_AFTER.match(text, m.end()):
                    continue  # "N° CONTRAT : CT-7", "Nr. Auftrag": the word after a bare "number" says whose it is
                right = list(line.segments[si + 1 :])
                if rightmost:
                    right.reverse()
                got = False
                for other in right[:1] if not rightmost else right:
                    values = parse(other.text)
                    if values:
                        v, s, e = values[-1] if rightmost else values[0]
                        found.append(Candidate(v, 0.9 * label.weight, other.page, span_box(other, s, e),
                                               f"label {label_text!r}, right of it", label_text))  # fmt: skip
                        got = True
                        break
                if not got and not right:
                    # Amounts take every near cell: net + tax = gross decides among them later.
                    for rank, near in enumerate(beside(lines, line, seg, every=rightmost)):
                        values = parse(near.text)
                        if values:
                            v, s, e = values[-1] if rightmost else values[0]
                            found.append(Candidate(v, (0.75 - 0.05 * rank) * label.weight, near.page,
                                                   span_box(near, s, e),
                                                   f"label {label_text!r}, right of it on a slanting row",
                                                   label_text))  # fmt: skip
                            got = True
                if not got and label.below:
                    for other in below(lines, line, seg):
                        if rightmost and _wordy(lines[_line_of(lines, line, other)]):
                            break
                        values = parse(other.text)
                        if values:
                            v, s, e = values[0]
                            found.append(Candidate(v, 0.8 * label.weight, other.page, span_box(other, s, e),
                                                   f"label {label_text!r}, below it", label_text))  # fmt: skip
                            break
    return found


def _line_of(lines: Sequence[Line], start: Line, segment: Segment) -> int:
    for line in lines[start.index + 1 : start.index + 4]:
        if segment in line.segments:
            return line.index
    return start.index


# --- choosing ------------------------------------------------------------------------------------


def show(value: Value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def choose(name: str, candidates: list[Candidate], log: ProtocolLog) -> Candidate | None:
    """Best candidate; several candidates agreeing on one value make it more certain."""
    if not candidates:
        log.info(f"{name}: not found", field=name, candidates=0)
        return None
    # Texts that differ only in case agree (OCR reads 's' for 'S'); the variant with capitals where the others
    # have none is the one printed.
    by_value: dict[Value, list[Candidate]] = {}
    for c in candidates:
        by_value.setdefault(c.value.casefold() if isinstance(c.value, str) else c.value, []).append(c)

    def strength(group: list[Candidate]) -> float:
        best = max(c.confidence for c in group)
        return min(0.99, best + 0.04 * (len(group) - 1))

    def capitals(c: Candidate) -> tuple[int, float]:
        return (sum(w[:1].isupper() for w in str(c.value).split()), c.confidence)

    ranked = sorted(by_value.values(), key=strength, reverse=True)
    group = ranked[0]
    value = max(group, key=capitals).value
    best = max(group, key=lambda c: c.confidence)
    confidence = strength(group)
    reason = best.source + (f", {len(group)} places agree" if len(group) > 1 else "")
    if len(ranked) > 1 and strength(ranked[1]) >= RIVAL_SHARE * confidence:
        # Another value found almost as well: which one is meant is a clerk's call, not a guess.
        rival = max(ranked[1], key=lambda c: c.confidence)
        confidence = min(confidence, RIVAL_CAP)
        reason += f"; rival {show(rival.value)} ({rival.source}) nearly as likely"
    winner = Candidate(value, round(confidence, 3), best.page, best.bbox, best.source, best.label)
    considered = "; ".join(f"{show(c.value)} ({c.confidence:.2f}, {c.source}, p{c.page})" for c in candidates)
    log.info(
        f"{name}: {show(value)} - {reason} (confidence {winner.confidence:.2f}, {len(candidates)} candidates)",
        field=name,
        value=show(value),
        confidence=f"{winner.confidence:.2f}",
        reason=reason,
        candidates=considered,
    )
    return winner


def text_field(c: Candidate | None) -> TextFieldV1 | None:
    return TextFieldV1(value=str(c.value), confidence=c.confidence, page=c.page, bbox=c.bbox) if c else None


def date_field(c: Candidate | None) -> DateFieldV1 | None:
    if c is None or not isinstance(c.value, date):
        return None
    return DateFieldV1(value=c.value, confidence=c.confidence, page=c.page, bbox=c.bbox)


def amount_field(c: Candidate | None) -> AmountFieldV1 | None:
    if c is None or not isinstance(c.value, Decimal):
        return None
    return AmountFieldV1(value=c.value, confidence=c.confidence, page=c.page, bbox=c.bbox)



def above(lines: Sequence[Line], line: Line, segment: Segment) -> str:
    """Text of the cell right above ``segment`` (a label written over its value), or ''."""
    if line.index == 0:
        return ""
    upper = lines[line.index - 1]
    if upper.page != line.page or line.top - upper.bottom > 1.5 * max(line.height, upper.height):
        return ""
    over = [s for s in upper.segments if s.x0 < segment.x1 and s.x1 > segment.x0]
    return " ".join(s.text for s in over)


__all__ = [
    "Candidate",
    "Parser",
    "Value",
    "above",
    "amount_field",
    "below",
    "beside",
    "choose",
    "date_field",
    "labelled",
    "parse_dates",
    "parse_last_amount",
    "parse_number",
    "show",
    "span_box",
    "text_field",
]
