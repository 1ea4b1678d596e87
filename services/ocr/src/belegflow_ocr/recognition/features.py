"""Features of every candidate value of a field, the same for training and for reading.

A candidate is any value of a field's kind on the page: every amount for net, tax and gross; every date for the
date of issue and the due date; the numbers after number labels and titles for the invoice number; the top lines
of a receipt for its merchant. Each gets evidence that holds across layouts, never a layout's own text:

- the label on its line left of it and the label above it (their kinds, from the label lexicon), key words of its
  line in six languages (total, net, tax, incl., rounding, cash, change, delivery, order ...);
- where it stands: page region, last page or not, right-most on its line, in the line table or not, its type size
  against the body text;
- its value against the others: rank among the amounts, whether it is the sum of two others (net + tax = gross)
  or a common tax rate of another, the sum of the line amounts, how often it is printed; for dates their order;
- what the hand-written rules (``extraction``) decided: a learned decision keeps their knowledge as evidence.

``decide`` in ``scorer`` ranks the candidates with a model trained on these features.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from statistics import median

from belegflow_contracts.messages import InvoiceFieldsV1, InvoiceLineV1
from belegflow_ocr.recognition.candidates import span_box
from belegflow_ocr.recognition.exemption import Exemption
from belegflow_ocr.recognition.labels import REFERENCE_KINDS, label_at
from belegflow_ocr.recognition.layout import Line, Segment, rounded
from belegflow_ocr.recognition.model import BBox, PageInfo
from belegflow_ocr.recognition.parsing import (
    DateOrder,
    find_amounts,
    find_dates,
    find_ibans,
    find_vat_ids,
    vat_id_shaped,
)

CENT = Decimal("0.01")
_RATES = tuple(Decimal(r) for r in ("19", "7", "20", "10", "5.5", "21", "9", "6", "12", "13", "22", "4", "5",
                                    "8.1", "8", "25", "24", "23", "16", "15", "2.1"))  # fmt: skip

LABEL_KINDS = ("invoice_number", "invoice_date", "due_date", "net_amount", "tax_amount", "gross_amount", "payable",
               "prepaid", "reference", "other", "other_date")  # fmt: skip

# Key words of a line, matched at a word's start (German compounds: "Gesamtsumme", "Nettobetrag").
_KEYWORDS: tuple[tuple[str, str], ...] = (
    # OCR reads a receipt's TOTAL as TATAL, TUTAL, T0TAL or TOTAI
    ("total", r"total|gesamt|summe|sum\b|montant total|importe total|totale|totaal|grand|t[oau0]t[aou][l1i]\b"),
    ("subtotal", r"sub ?-?total|zwischensumme|sous-total|subtotaal|subtotale"),
    ("net", r"net(?:to|t)?\b|nett|ht\b|h\.t\.|hors tax|excl|exkl|ohne|before tax|base|imponible|imponibile|"
            r"taxable|amount excl"),
    ("tax", r"tax|vat|gst|sst|mwst|ust|umsatzst|steuer|tva|t\.v\.a|btw|iva|service charge"),
    ("incl", r"incl|inkl|ttc|t\.t\.c|including|brutto|gross|inclusive|ivac|iva incl"),
    ("round", r"round|rundung|arrondi|adj"),
    ("cash", r"cash|bar\b|tunai|esp[eè]ce|contant|efectivo|tender|amount paid|paid amount"),
    ("change", r"change|r[üu]ckgeld|baki|wechselgeld|rendu|monnaie|cambio"),
    ("paid", r"paid|bezahlt|pay[ée]|betaald|pagato|acompte|anzahlung|deposit|advance|vorauszahlung|prepaid"),
    ("due", r"due|f[äa]llig|[ée]ch[ée]ance|zahlbar|[àa] payer|payable|te betalen|da pagare|a pagar|balance|solde|"
            r"offen|restbetrag"),
    ("discount", r"disc|rabatt|remise|skonto|nachlass|sconto|descuento|korting|savings|saving"),
    ("qty", r"qty|menge|anzahl|quantit|cantidad|aantal|pcs|stk"),
    ("price", r"price|preis|prix|prezzo|precio|prijs|unit|e\.?p\.?|u\.?p\.?"),
    ("amount", r"amount|betrag|montant|importo|importe|bedrag|amt"),
    ("date", r"date|datum|data\b|fecha|dated|dt\b|tarikh"),
    ("invoice", r"invoice|rechnung|facture|factura|fattura|factuur|bill|receipt|beleg|quittung|bon\b|tax invoice"),
    ("delivery", r"deliver|liefer|livraison|leistung|service date|consegna|entrega|levering|shipping|versand"),
    ("order", r"order|bestell|auftrag|commande|ordine|pedido|bestelling|po\b|p\.o\."),
    ("period", r"period|zeitraum|p[ée]riode|periodo|from|von|du\b|bis|to\b|au\b"),
    ("customer", r"customer|kunde|client|cliente|klant|buyer|debitor|account|konto"),
    ("card", r"card|visa|master|karte|carte|debit|credit|ec\b|girocard|amex"),
    ("charge", r"charge|zuschlag|frais|fee|geb[üu]hr|fracht|freight|porto|shipping"),
    ("carry", r"[üu]bertrag|carried forward|brought forward|carry ?-?over|[àa] reporter|report\b|transport\b|"
              r"riporto|suma y sigue|zwischensaldo"),
    ("time", r"\d{1,2}:\d{2}"),
    ("page", r"page|seite|pag|blatt"),
    ("print", r"print|druck|impression|issued|erstellt|created"),
    ("phone", r"tel|phone|fax|mobile|hp\b"),
    ("percent", r"%"),
    ("currency", r"€|eur\b|\$|usd|chf|gbp|£|rm\b|myr|sgd"),
)
_KEYWORD_RES = tuple((name, re.compile(r"(?<![A-Za-zÄÖÜäöüß])(?:" + rx + ")", re.IGNORECASE))
                     for name, rx in _KEYWORDS)  # fmt: skip


ABOVE_LINES = 4
ABOVE_HEIGHTS = 6.0


@lru_cache(maxsize=4096)
def _keywords(text: str, prefix: str = "") -> dict[str, float]:
    """The key words of ``text`` as features (cached: a line's text is asked for by each of its candidates)."""
    return {f"{prefix}kw_{name}": 1.0 if rx.search(text) else 0.0 for name, rx in _KEYWORD_RES}


KEYWORD_NAMES = tuple(f"kw_{name}" for name, _ in _KEYWORDS)


@lru_cache(maxsize=8192)
def _label_kind(text: str) -> str | None:
    hit = label_at(text)
    if hit is None:
        return None
    return "reference" if hit.kind in REFERENCE_KINDS else hit.kind


@dataclass(frozen=True, slots=True)
class Found:
    """One candidate value and where it stands."""

    value: str | date | Decimal
    page: int
    bbox: BBox
    line: Line
    segment: Segment
    start: int
    """Character offset of the value in its segment's text."""


@dataclass(slots=True)
class Document:
    """What every candidate's features are computed against: the lines, pages and the rules' reading."""

    lines: Sequence[Line]
    pages: Sequence[PageInfo]
    receipt: bool
    order: DateOrder
    table_rows: set[int]
    invoice_lines: Sequence[InvoiceLineV1]
    heuristic: InvoiceFieldsV1
    tax_exemption: Exemption | None = None
    """The note saying the invoice charges no tax, where the rules read its tax as zero by it."""
    body_size: float = 0.0
    amounts: list[Found] = field(default_factory=list)
    dates: list[Found] = field(default_factory=list)
    _below: dict[int, int] = field(default_factory=dict)

    def below(self, line: Line) -> int:
        """How many lines of its page lie below ``line`` (counted once per document)."""
        if not self._below:
            for ln in self.lines:
                self._below[ln.index] = sum(1 for o in self.lines if o.page == ln.page and o.top > ln.bottom)
        return self._below.get(line.index, 0)

    def __post_init__(self) -> None:
        sizes = [w.size or w.height for ln in self.lines for w in ln.words]
        self.body_size = median(sizes) if sizes else 1.0
        for line in self.lines:
            for seg in line.segments:
                dates = find_dates(seg.text, order=self.order, compact=True)
                for value, s, e in dates:
                    self.dates.append(Found(value, seg.page, span_box(seg, s, e), line, seg, s))
                for amount, s, e in find_amounts(seg.text):
                    if any(ds <= s < de for _, ds, de in dates):
                        continue
                    self.amounts.append(Found(amount, seg.page, span_box(seg, s, e), line, seg, s))


# --- shared context features -------------------------------------------------------------------------


def _context(doc: Document, f: Found) -> dict[str, float]:
    """Where the value stands and what its line and the line above say."""
    page = doc.pages[min(f.page, len(doc.pages)) - 1] if doc.pages else None
    width = page.width if page else 1.0
    height = page.height if page else 1.0
    line = f.line
    out: dict[str, float] = {
        "receipt": float(doc.receipt),
        "y": f.bbox[1] / height,
        "x": f.bbox[2] / width,
        "x_start": f.bbox[0] / width,
        "page_last": float(f.page == len(doc.pages)),
        "page_first": float(f.page == 1),
        "pages": float(len(doc.pages)),
        "in_table": float(line.index in doc.table_rows),
        "size": (f.segment.size or 1.0) / (doc.body_size or 1.0),
        "line_segments": float(len(line.segments)),
        "line_rightmost": float(f.segment is line.segments[-1]),
        "line_amounts": float(sum(len(find_amounts(s.text)) for s in line.segments)),
        "line_letters": float(sum(ch.isalpha() for ch in line.text)),
        "lines_below": float(doc.below(line)),
        # how sure OCR was of the words the value was read from (1 for a text layer)
        "ocr_conf": min((w.confidence for w in f.segment.words if w.confidence is not None
                         and w.bbox[0] < f.bbox[2] and f.bbox[0] < w.bbox[2]), default=1.0),
    }
    # The label left of the value: in its own cell before it, or in a cell left of it on the line.
    left_text = f.segment.text[: f.start]
    left_kind = _label_kind(left_text) if left_text.strip() else None
    cells_left = [s for s in line.segments if s.x1 <= f.segment.x0 + 1]
    near_kind = None
    for s in reversed(cells_left):
        near_kind = _label_kind(s.text)
        if near_kind is not None:
            break
    first_kind = _label_kind(line.segments[0].text) if line.segments else None
    # The column header over the value: the nearest cell above it that is a label, a few lines up at most (a
    # totals row can sit under its headers with footer text between them).
    above_kind, above_lines = None, 0.0
    for up in range(1, ABOVE_LINES + 1):
        if line.index - up < 0:
            break
        upper = doc.lines[line.index - up]
        if upper.page != line.page or line.top - upper.bottom > ABOVE_HEIGHTS * max(line.height, upper.height):
            break
        over = [s for s in upper.segments if s.x0 < f.segment.x1 and s.x1 > f.segment.x0]
        kind = _label_kind(" ".join(s.text for s in over)) if over else None
        if kind is not None:
            above_kind, above_lines = kind, float(up)
            break
    out["above_lines"] = above_lines
    for kind in LABEL_KINDS:
        out[f"same_cell_{kind}"] = float(left_kind == kind)
        out[f"left_{kind}"] = float(near_kind == kind)
        out[f"first_{kind}"] = float(first_kind == kind)
        out[f"above_{kind}"] = float(above_kind == kind)
    out["labelled"] = float(left_kind is not None or near_kind is not None)
    out.update(_keywords(line.text))
    before = left_text + " " + " ".join(s.text for s in cells_left)
    out.update(_keywords(before, "left_"))
    if line.index > 0 and doc.lines[line.index - 1].page == line.page:
        out.update(_keywords(doc.lines[line.index - 1].text, "up_"))
    else:
        out.update({f"up_{k}": 0.0 for k in KEYWORD_NAMES})
    return out


# --- amounts ------------------------------------------------------------------------------------------


def amount_features(doc: Document) -> tuple[list[Found], list[dict[str, float]]]:
    values = [f.value for f in doc.amounts if isinstance(f.value, Decimal)]
    distinct = sorted({abs(v) for v in values}, reverse=True)
    present = {abs(v) for v in values}
    line_amounts = [ln.net_amount for ln in doc.invoice_lines if ln.net_amount is not None]
    line_sum = sum(line_amounts, Decimal(0)) if line_amounts else None
    h = doc.heuristic
    heur = {"net": h.net_amount, "tax": h.tax_amount, "gross": h.gross_amount}
    rows: list[dict[str, float]] = []
    small = sorted(present)
    contexts = [_context(doc, f) for f in doc.amounts]
    # prepaid amounts (EN 16931 BT-113: "Anzahlung", "Acompte", "Paid"): the amount due is gross less them
    prepaid = {abs(f.value) for f, c in zip(doc.amounts, contexts, strict=True) if isinstance(f.value, Decimal)
               and f.value != 0 and (c["left_prepaid"] or c["same_cell_prepaid"])}  # fmt: skip
    for f, feats in zip(doc.amounts, contexts, strict=True):
        assert isinstance(f.value, Decimal)
        v = abs(f.value)
        rank = distinct.index(v) if v in distinct else len(distinct)
        feats["doc_prepaid"] = float(bool(prepaid))
        feats["eq_due_after_prepaid"] = float(any(v + p in present for p in prepaid if p != v))
        feats["eq_gross_before_prepaid"] = float(any(v - p in present for p in prepaid if p < v))
        feats.update({
            "amount_rank": float(rank),
            "amount_rank_share": rank / max(1, len(distinct)),
            "amount_max": float(rank == 0),
            "amount_log": float(v.adjusted()) if v else -3.0,
            "amount_zero": float(v == 0),
            "amount_negative": float(f.value < 0),
            "amount_round": float(v == v.to_integral_value()),
            "amount_count": float(sum(1 for x in values if abs(x) == v)),
            "amounts": float(len(distinct)),
            "eq_sum_of_two": float(_sum_of_two(v, small)),
            "eq_part_of_sum": float(any(v + t in present for t in small if t and t != v and t < v)),
            "eq_tax_of": float(v > 0 and any(abs((n * r / 100).quantize(CENT) - v) <= CENT
                                             for n in small if n > v for r in _RATES)),
            "eq_net_of": float(v > 0 and any(abs((v * r / 100).quantize(CENT) - t) <= CENT
                                             for t in small if 0 < t < v for r in _RATES)),
            "eq_tax_included": float(v > 0 and any(abs((g * r / (100 + r)).quantize(CENT) - v) <= CENT
                                                   for g in small if g > v for r in _RATES)),
            "eq_gross_including": float(v > 0 and any(abs((v * r / (100 + r)).quantize(CENT) - t) <= CENT
                                                      for t in small if 0 < t < v for r in _RATES)),
            "eq_line_sum": float(line_sum is not None and abs(line_sum) == v),
            "above_line_sum": float(line_sum is not None and v > abs(line_sum)),
            "lines": float(len(line_amounts)),
            "eq_round_05": float(_rounded(v)),
            # a cash total rounded to 5 cents beside the exact one (14.18 -> 14.20): which is which
            "eq_rounded_of": float(_rounded(v) and any(0 < abs(u - v) < Decimal("0.05") and not _rounded(u)
                                                       for u in small)),
            "eq_unrounded_of": float(not _rounded(v) and any(0 < abs(u - v) < Decimal("0.05") and _rounded(u)
                                                             for u in small)),
            "virtual": 0.0,
        })
        for name, got in heur.items():
            same = got is not None and abs(got.value) == v
            feats[f"heur_{name}"] = float(same)
            feats[f"heur_{name}_conf"] = got.confidence if same and got is not None else 0.0
            feats[f"heur_{name}_above"] = float(got is not None and v > abs(got.value))
        rows.append(feats)
    if doc.receipt:
        till_equations(doc.amounts, rows)
    found = list(doc.amounts)
    for name, got in heur.items():
        if got is not None and not any(isinstance(f.value, Decimal) and abs(f.value) == abs(got.value) for f in found):
            found.append(_virtual(doc, got.value, got.page, got.bbox))
            rows.append({"receipt": float(doc.receipt), "virtual": 1.0, f"heur_{name}": 1.0,
                         f"heur_{name}_conf": got.confidence, "amounts": float(len(distinct))})  # fmt: skip
    return found, rows


ROUNDING_MAX = Decimal("0.10")
"""A cash rounding adjustment is a few cents (to 5 or 10 cents)."""


def till_equations(amounts: Sequence[Found], rows: Sequence[dict[str, float]]) -> None:
    """A till receipt's own arithmetic, added to each amount's features: what was tendered less the change given
    back is the total (cash 101.00 - change 0.10 = 100.90), and the total after the rounding adjustment is the
    total before it plus the adjustment (100.88 + 0.02 = 100.90; 101.76 + -0.01 = 101.75). The lines are known
    by their key words (``kw_cash``, ``kw_card``, ``kw_change``, ``kw_round``), whatever their layout."""
    values = [abs(f.value) if isinstance(f.value, Decimal) else Decimal(0) for f in amounts]
    tendered = {v for v, r in zip(values, rows, strict=False) if v > 0 and (r.get("kw_cash") or r.get("kw_card"))
                and not r.get("kw_change") and not r.get("kw_round")}  # fmt: skip
    change = {v for v, r in zip(values, rows, strict=False) if r.get("kw_change") and not r.get("kw_cash")}
    rounding = {f.value for f, r in zip(amounts, rows, strict=False) if isinstance(f.value, Decimal)
                and r.get("kw_round") and 0 < abs(f.value) < ROUNDING_MAX}  # fmt: skip
    present = set(values)
    parts = sorted(present)
    for v, row in zip(values, rows, strict=False):
        own_tender = bool(row.get("kw_cash") or row.get("kw_card")) and not row.get("kw_total")
        row["eq_tender_less_change"] = float(v > 0 and not own_tender and any(
            t - c == v for t in tendered for c in change if 0 < c < t))  # fmt: skip
        row["eq_tendered"] = float(v > 0 and not own_tender and v in tendered and (not change or 0 in change))
        row["eq_after_rounding"] = float(v > 0 and not row.get("kw_round") and any(
            u + r == v for u in present for r in rounding if u != v and u > abs(r)))  # fmt: skip
        row["eq_before_rounding"] = float(v > 0 and not row.get("kw_round") and any(
            v + r == u for u in present for r in rounding if u != v and v > abs(r)))  # fmt: skip
        # subtotal + tax + rounding, the sum before rounding not printed (179.00 + 10.74 + 0.01 = 189.75)
        row["eq_sum_plus_rounding"] = float(v > 0 and not row.get("kw_round") and any(
            _sum_of_two(v - r, parts) for r in rounding if v - r not in present))  # fmt: skip
        # how many of the receipt's own sums make this amount its total, less the one that makes it the sum
        # before rounding
        row["till_evidence"] = (row["eq_tender_less_change"] + row["eq_tendered"] + row["eq_after_rounding"]
                                + row["eq_sum_plus_rounding"] - row["eq_before_rounding"])  # fmt: skip


def _virtual(doc: Document, value: str | date | Decimal, page: int | None, bbox: BBox | None) -> Found:
    """A value the rules derived (net from gross and tax, a due date from the payment terms): not printed as
    such, but a candidate of its own, known to the model by its ``virtual`` feature."""
    line = doc.lines[0]
    return Found(value, page or line.page, bbox or line.bbox, line, line.segments[0], 0)


def _rounded(v: Decimal) -> bool:
    return (v * 20) == (v * 20).to_integral_value()


def _sum_of_two(v: Decimal, small: list[Decimal]) -> bool:
    seen = set(small)
    return any(a != v and (v - a) in seen and (v - a) != v and a <= v - a for a in small if 0 < a < v)


# --- dates --------------------------------------------------------------------------------------------


def date_features(doc: Document) -> tuple[list[Found], list[dict[str, float]]]:
    values = [f.value for f in doc.dates if isinstance(f.value, date)]
    distinct = sorted(set(values))
    latest_year = max((d.year for d in distinct), default=0)
    h = doc.heuristic
    rows: list[dict[str, float]] = []
    for f in doc.dates:
        assert isinstance(f.value, date)
        d = f.value
        feats = _context(doc, f)
        rank = distinct.index(d)
        feats.update({
            "date_rank": float(rank),
            "date_rank_back": float(len(distinct) - 1 - rank),
            "dates": float(len(distinct)),
            "date_count": float(values.count(d)),
            "date_first_of_month": float(d.day == 1),
            "date_year_gap": float(latest_year - d.year),
            "date_old": float(d.year < 1990),
            "date_weekday": float(d.weekday() >= 5),
            "date_order_first": float(f is next((x for x in doc.dates), None)),
            "virtual": 0.0,
        })
        for name, got in (("date", h.invoice_date), ("due", h.due_date)):
            same = got is not None and got.value == d
            feats[f"heur_{name}"] = float(same)
            feats[f"heur_{name}_conf"] = got.confidence if same and got is not None else 0.0
            feats[f"heur_{name}_days"] = float((d - got.value).days) if got is not None else 0.0
        rows.append(feats)
    found = list(doc.dates)
    for name, got in (("date", h.invoice_date), ("due", h.due_date)):
        if got is not None and not any(f.value == got.value for f in found):
            found.append(_virtual(doc, got.value, got.page, got.bbox))
            rows.append({"receipt": float(doc.receipt), "virtual": 1.0, f"heur_{name}": 1.0,
                         f"heur_{name}_conf": got.confidence, "dates": float(len(distinct))})  # fmt: skip
    return found, rows


# --- the invoice number ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/._]*[A-Za-z0-9]|\d")
_CAPS_PREFIX = re.compile(r"^[A-Z]{1,5}$")
_DIGIT_GROUP = re.compile(r" (\d{2,})(?= |$)")
_OTHER_NUMBERS = ("order_reference", "sales_order_reference", "buyer_reference", "shipment_reference",
                  "supplier_registration_id", "supplier_tax_number", "supplier_iban", "supplier_vat_id",
                  "recipient_vat_id")  # fmt: skip
NUMBER_PAGES = 1
"""Numbers are looked for on the first page, and on any line of a later page that names the invoice number."""


_POSTCODE = re.compile(r"(?:[A-Z]{1,2}-)?\d{4,5}")
_PLACE_AFTER = re.compile(r"\s+(?:[A-ZÄÖÜÉ][a-zäöüßéèàç]+|[A-ZÄÖÜÉ]{3,})\b")


def _postcode_of_place(text: str, start: int, token: str) -> bool:
    """A postcode that starts its cell before a place's name ("28195 Bremen", "D-28195 Bremen"): an address
    line, never the invoice number (a word after it that is a label, "12345 Datum", is no place)."""
    if text[:start].strip() or not _POSTCODE.fullmatch(token):
        return False
    place = _PLACE_AFTER.match(text, start + len(token))
    return place is not None and _label_kind(text[place.start() :].strip()) is None


def number_features(doc: Document) -> tuple[list[Found], list[dict[str, float]]]:
    """Every token with a digit on page 1 (and on other pages' number lines) that is not a date, an amount, an
    IBAN or a VAT ID; a short capital prefix before it ("RE 2024-17") joined to it as a candidate of its own."""
    rules = doc.heuristic.invoice_number
    # numbers the rules know as something else (an order, a registration, a tax number) are never this one
    taken = {re.sub(r"\s+", "", str(f.value)).upper() for name in _OTHER_NUMBERS
             if (f := getattr(doc.heuristic, name, None)) is not None}  # fmt: skip
    found: list[Found] = []
    for line in doc.lines:
        if line.page > NUMBER_PAGES and not any(_label_kind(s.text) == "invoice_number" for s in line.segments):
            continue
        for seg in line.segments:
            spans = [(s, e) for _, s, e in find_dates(seg.text, order=doc.order, compact=True)]
            spans += [(s, e) for _, s, e in find_amounts(seg.text)]
            spans += [(m.start, m.end) for m in find_ibans(seg.text)]
            spans += [(m.start, m.end) for m in find_vat_ids(seg.text) if vat_id_shaped(m.value)]
            prev: re.Match[str] | None = None
            for m in _TOKEN.finditer(seg.text):
                token = m.group()
                if any(s < m.end() and m.start() < e for s, e in spans) or not any(ch.isdigit() for ch in token):
                    prev = m
                    continue
                if len(token) > 30 or token.upper() in taken or _postcode_of_place(seg.text, m.start(), token):
                    continue
                found.append(Found(token, seg.page, span_box(seg, m.start(), m.end()), line, seg, m.start()))
                # a number printed in groups ("2024 4420"): the groups that follow belong to it
                end, joined = m.end(), token
                while joined[-1:].isdigit() and (group := _DIGIT_GROUP.match(seg.text, end)) is not None:
                    end, joined = group.end(), joined + group.group(1)
                if joined != token:
                    found.append(Found(joined, seg.page, span_box(seg, m.start(), end), line, seg, m.start()))
                if prev is not None and _CAPS_PREFIX.match(prev.group()) and seg.text[prev.end() : m.start()].strip() \
                        in ("", "-"):  # fmt: skip
                    joined = prev.group() + seg.text[prev.end() : m.end()].replace(" ", "")
                    found.append(Found(joined, seg.page, span_box(seg, prev.start(), m.end()), line, seg,
                                       prev.start()))  # fmt: skip
                prev = m
    counts: dict[str, int] = {}
    for f in found:
        counts[str(f.value).upper()] = counts.get(str(f.value).upper(), 0) + 1
    rows = []
    for f in found:
        token = str(f.value)
        feats = _context(doc, f)
        before = f.segment.text[max(0, f.start - 1) : f.start]
        after = f.segment.text[f.start + len(token) : f.start + len(token) + 1]
        feats.update({
            "num_length": float(len(token)),
            "num_digits": sum(ch.isdigit() for ch in token) / len(token),
            "num_letters": float(sum(ch.isalpha() for ch in token)),
            "num_separators": float(sum(ch in "-/._" for ch in token)),
            "num_all_digits": float(token.isdigit()),
            "num_leading_zero": float(token[:1] == "0"),
            "num_in_brackets": float(before in "([{" and before != "" and after in ")]}" and after != ""),
            "num_after_colon": float(f.segment.text[: f.start].rstrip().endswith((":", "#", "°", "º"))),
            "num_first_in_cell": float(not f.segment.text[: f.start].strip()),
            "num_count": float(counts[token.upper()]),
            "num_year_like": float(token.isdigit() and len(token) == 4 and token[:2] in ("19", "20")),
            "num_five_digits": float(token.isdigit() and len(token) == 5),
            "heur_number": float(rules is not None and rules.value.replace(" ", "").upper() == token.upper()),
            "heur_number_conf": rules.confidence if rules is not None else 0.0,
            "virtual": 0.0,
        })
        rows.append(feats)
    if rules is not None and not any(str(f.value).upper() == rules.value.replace(" ", "").upper() for f in found):
        found.append(_virtual(doc, rules.value, rules.page, rules.bbox))
        rows.append({"receipt": float(doc.receipt), "virtual": 1.0, "heur_number": 1.0,
                     "heur_number_conf": rules.confidence})  # fmt: skip
    return found, rows


# --- the merchant of a receipt --------------------------------------------------------------------------

_LEGAL = re.compile(r"(?<![A-Za-z])S/B\b|\b(?:SDN\.?\s*BHD|BHD|S/?B|PTE|LTD|LLC|INC|GMBH|AG|KG|PLT|CORP|"
                    r"ENTERPRISES?|TRADING|"
                    r"RESTAURANT|RESTORAN|CAFE|MART|STORE|SHOP|PHARMACY|FARMASI|HARDWARE|BAKERY|KEDAI|"
                    r"PERNIAGAAN|MARKETING|SUPERMARKET|BOOK|STATIONERY|FOOD|HOLDINGS|INDUSTRIES|SERVICES?|"
                    r"ENT\.?|CO\.?)\b", re.IGNORECASE)  # fmt: skip
# A legal form alone (not a trade word like STATIONERY or CAFE, which names a shop by itself): "28S/B" too.
_FORM = re.compile(r"(?<![A-Za-z])S/B\b|\b(?:SDN\.?\s*BHD|BHD|SB|PTE|LTD|LLC|INC|GMBH|AG|KG|PLT|CORP|"
                   r"ENTERPRISES?|CO)\b\.?", re.IGNORECASE)  # fmt: skip
_REG_NO = re.compile(r"\(?\b\d{5,12}-?[A-Z]\)?|\bCO\.?\s*REG|\bROC\b|\(\d{6,}\)", re.IGNORECASE)
_ADDRESS = re.compile(r"\b(?:JALAN|JLN|LOT|NO\.?\s*\d|TAMAN|LORONG|STREET|ROAD|STR\.|STRASSE|\d{5}\b)", re.IGNORECASE)
_NOT_NAME = re.compile(r"\b(?:TEL|FAX|GST|SST|TAX|INVOICE|RECEIPT|CASH|DATE|TIME|TABLE|COUNTER|WELCOME|THANK|"
                       r"HOURS|OPEN|MEMBER|CASHIER|BILL|ORDER|SIMPLIFIED|ABN|TQ|QTY|PRICE|AMOUNT|DESC|ITEM|"
                       r"TOTAL|SUBTOTAL|VISIT|AGAIN|SHOPPING)\b", re.IGNORECASE)  # fmt: skip

# What a till receipt prints under its shop's name: an address, a phone, a tax or company registration.
_PHONE = re.compile(r"\b(?:TEL|FAX|PHONE|HP|H/P|MOBILE|EMAIL|E-MAIL)\b|\+?\d{2,4}[- ]\d{3,4}[- ]?\d{3,4}",
                    re.IGNORECASE)  # fmt: skip
_TAX_ID = re.compile(r"\b(?:GST|SST|VAT|TAX\s*(?:ID|REG)|REG(?:ISTRATION)?\.?\s*(?:NO|ID)|ABN|UEN|TIN|NPWP)\b",
                     re.IGNORECASE)  # fmt: skip
# A branch or outlet line names where the shop is, not who it is; a slogan or a web address is no name either.
_BRANCH = re.compile(r"\b(?:OUTLET|BRANCH|CAWANGAN|CABANG|FILIALE|STORE\s*(?:NO|#)|KIOSK)\b", re.IGNORECASE)
_SLOGAN = re.compile(r"\b(?:THANK|THANKS|TQ|VISIT|AGAIN|WELCOME|ENJOY|PLEASE|COME|SEE\s+YOU)|www\.|\.com\b|@|https?:",
                     re.IGNORECASE)  # fmt: skip

NAME_LINES = 12


@dataclass(frozen=True, slots=True)
class NameCandidate:
    value: str
    page: int
    bbox: BBox
    lines: tuple[Line, ...]


def name_features(doc: Document) -> tuple[list[NameCandidate], list[dict[str, float]]]:
    """The top lines of page 1, alone and joined with the next one or two (a name and its legal form), each as
    printed, cut after its legal form and without a registration number."""
    top = [ln for ln in doc.lines if ln.page == 1][:NAME_LINES]
    height = doc.pages[0].height if doc.pages else 1.0
    sizes = [max(w.size or w.height for w in ln.words) for ln in top]
    biggest = max(sizes, default=1.0)
    heur = doc.heuristic.supplier_name.value if doc.heuristic.supplier_name is not None else None
    heur_conf = doc.heuristic.supplier_name.confidence if doc.heuristic.supplier_name is not None else 0.0
    cands: list[NameCandidate] = []
    rows: list[dict[str, float]] = []
    first_name_like = next((i for i, ln in enumerate(top) if _LEGAL.search(ln.text)), -1)
    ids = [_id_line(ln.text) for ln in top]
    first_id = next((i for i, is_id in enumerate(ids) if is_id), len(top))
    namey = [i for i, ln in enumerate(top) if _namey(ln.text)]
    seen: set[tuple[int, str]] = set()
    for i, line in enumerate(top):
        for span, (variant, text) in ((n, v) for n in (1, 2, 3) for v in _variants(top[i : i + n])):
            group = tuple(top[i : i + span])
            if len(group) < span or not text or (i, squash(text)) in seen or _legal_form_only(text):
                continue
            if span > 1 and _legal_form_only(group[0].text):
                continue  # a legal form ends a name, it never starts one ("SDN BHD" + the branch under it)
            seen.add((i, squash(text)))
            box = rounded((min(ln.bbox[0] for ln in group), min(ln.bbox[1] for ln in group),
                           max(ln.bbox[2] for ln in group), max(ln.bbox[3] for ln in group)))  # fmt: skip
            nxt = top[i + span] if i + span < len(top) else None
            prev = top[i - 1] if i > 0 else None
            letters = sum(ch.isalpha() for ch in text)
            chars = max(1, len(text.replace(" ", "")))
            size = max(sizes[i : i + span])
            confs = [w.confidence if w.confidence is not None else 1.0 for ln in group for w in ln.words] or [1.0]
            feats = {
                "index": float(i),
                "span": float(span),
                "y": line.top / height,
                "size_rel": size / (doc.body_size or 1.0),
                "size_top": size / (biggest or 1.0),
                "size_max": float(size >= biggest - 0.01),
                "letters": letters / chars,
                "digits": sum(ch.isdigit() for ch in text) / chars,
                "upper": sum(ch.isupper() for ch in text) / max(1, letters),
                "words": float(len(text.split())),
                "chars": float(chars),
                "legal": float(bool(_LEGAL.search(text))),
                "legal_last": float(bool(_LEGAL.search(group[-1].text))),
                "legal_first_line": float(bool(_LEGAL.search(group[0].text))),
                "reg_no": float(bool(_REG_NO.search(text))),
                "address": float(bool(_ADDRESS.search(text))),
                "not_name": float(bool(_NOT_NAME.search(text))),
                "next_reg_no": float(nxt is not None and bool(_REG_NO.search(nxt.text))),
                "next_address": float(nxt is not None and bool(_ADDRESS.search(nxt.text))),
                "next_legal": float(nxt is not None and bool(_LEGAL.search(nxt.text))),
                "next_not_name": float(nxt is not None and bool(_NOT_NAME.search(nxt.text))),
                "prev_legal": float(prev is not None and bool(_LEGAL.search(prev.text))),
                "prev_namey": float(prev is not None and _namey(prev.text)),
                "next_namey": float(nxt is not None and _namey(nxt.text)),
                "prev_size": (max(w.size or w.height for w in prev.words) / size) if prev is not None and size else 0.0,
                "first_legal_index": float(first_name_like),
                "is_first_legal": float(i == first_name_like),
                "before_first_legal": float(first_name_like >= 0 and i < first_name_like),
                "centred": abs((line.bbox[0] + line.bbox[2]) / 2 - (doc.pages[0].width / 2 if doc.pages else 0))
                / (doc.pages[0].width if doc.pages else 1.0),
                "heur": float(heur is not None and squash(heur) == squash(text)),
                "heur_inside": float(heur is not None and bool(squash(heur)) and squash(heur) in squash(text)),
                "heur_conf": heur_conf,
                "receipt": float(doc.receipt),
                "variant_cut_at_legal_form": float(variant == 1),
                "variant_trimmed": float(variant == 2),
                "variant_after_colon": float(variant == 3),
                # a legal form proper, and a trade word that is no legal form ("BISTRO & CAFE", "STATIONERY")
                "form": float(bool(_FORM.search(text))),
                "form_last": float(bool(_FORM.search(group[-1].text))),
                "trade_only": float(bool(_LEGAL.search(text)) and not _FORM.search(text)),
                # the legal name on a line of its own under a brand ("SUSHI MENTAI" over "KMF SDN BHD (1132-H)"):
                # a group that ends with it joins two names; a line right above it is the brand
                "last_self_named": float(span > 1 and bool(_FORM.search(group[-1].text))
                                         and not _legal_form_only(group[-1].text)),
                "next_form": float(nxt is not None and bool(_FORM.search(nxt.text)) and not _legal_form_only(nxt.text)),
                "prev_form": float(prev is not None and bool(_FORM.search(prev.text))),
                # the block of address, phone and tax numbers under the name: the name stands right above it
                "id_line": float(any(ids[i : i + span])),
                "ids_above": float(sum(ids[:i])),
                "ids_below": float(sum(ids[i + span : i + span + 3])),
                "before_first_id": float(i + span <= first_id),
                "lines_to_first_id": float(first_id - (i + span)),
                "prev_id": float(i > 0 and ids[i - 1]),
                "prev_address": float(prev is not None and bool(_ADDRESS.search(prev.text))),
                "next_id": float(i + span < len(top) and ids[i + span]),
                "namey_rank": float(sum(1 for j in namey if j < i)),
                "branch": float(bool(_BRANCH.search(text))),
                "slogan": float(bool(_SLOGAN.search(text))),
                "lower": float(letters > 0 and not any(ch.isupper() for ch in text)),
                # how sure OCR was of the words (1 for a text layer): a garbled logo reads unsure
                "ocr_conf_min": min(confs),
                "ocr_conf_mean": sum(confs) / len(confs),
            }
            cands.append(NameCandidate(text, line.page, box, group))
            rows.append(feats)
    return cands, rows


_LEGAL_END = re.compile(r"^.*?(?:(?<![A-Za-z])S/B|\b(?:SDN\.?\s*BHD|SB|BHD|PTE\.?\s*LTD|LTD|LLC|INC|GMBH|AG|KG|"
                        r"PLT|CORP|ENTERPRISES?|TRADING|CO(?=\.)))\b\.?", re.IGNORECASE)  # fmt: skip
# "Owned by: ...", "Operated by: ...": a short lead-in before a colon, the name after it
_LEAD_IN = re.compile(r"^[A-Za-z][A-Za-z .]{1,24}:\s*(?=[A-Za-z])")
_LEADING_JUNK = re.compile(r"^(?:[\W\d_]+\s+)+")
_TRAILING_REG = re.compile(r"\s*(?:[\[(<{][^\])>}]*[\])>}]?|\b(?:CO\.?\s*(?:REG\.?)?\s*(?:NO\.?)?|ROC)\b.*)$",
                           re.IGNORECASE)  # fmt: skip


def _variants(group: Sequence[Line]) -> list[tuple[int, str]]:
    """A name as printed (0), cut after its legal form ("DION REALTIES SDN BHD (CO. A20154-T)" -> "... SDN BHD",
    1), and without leading numbers or a trailing registration number (2)."""
    text = " ".join(ln.text for ln in group).strip()
    out = [(0, text)]
    if (m := _LEGAL_END.match(text)) is not None and m.end() < len(text):
        out.append((1, m.group().strip()))
    trimmed = _TRAILING_REG.sub("", _LEADING_JUNK.sub("", text)).strip()
    if trimmed and trimmed != text:
        out.append((2, trimmed))
    if (lead := _LEAD_IN.match(text)) is not None and not _id_line(text[: lead.end()]):
        rest = text[lead.end() :]
        cut = _LEGAL_END.match(rest)
        rest = _TRAILING_REG.sub("", cut.group() if cut is not None else rest).strip()
        if rest and all(rest != t for _, t in out):
            out.append((3, rest))
    return out


def _id_line(text: str) -> bool:
    """A line of the block under a shop's name: its address, phone, tax or company registration."""
    return bool(_ADDRESS.search(text) or _PHONE.search(text) or _TAX_ID.search(text) or _REG_NO.search(text))


def _legal_form_only(text: str) -> bool:
    """"SDN BHD", "ENTERPRISE", "(M) SDN. BHD.": a legal form is never a name by itself, nor is a trade word
    before it ("RESTAURANT SDN BHD" under "LIAN CHI VEGETARIAN"); a trade word with a name ("S&Y STATIONERY",
    "BISTRO & CAFE") is one."""
    if sum(ch.isalpha() for ch in _FORM.sub("", text)) < 3:
        return True
    return bool(_FORM.search(text)) and sum(ch.isalpha() for ch in _LEGAL.sub("", text)) < 3


def _namey(text: str) -> bool:
    """A line that could be part of a name: mostly letters, no address, no heading word, no registration."""
    chars = max(1, len(text.replace(" ", "")))
    return (sum(ch.isalpha() for ch in text) / chars >= 0.7 and not _ADDRESS.search(text)
            and not _NOT_NAME.search(text) and not _REG_NO.search(text))


def squash(text: str) -> str:
    """A name compared without case, spaces and punctuation."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


__all__ = ["Document", "Found", "NameCandidate", "amount_features", "date_features", "name_features",
           "number_features", "squash", "till_equations"]
