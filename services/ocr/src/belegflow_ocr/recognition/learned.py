"""Where a supplier prints a field: a rule learned from one confirmed value, and reading the value again by it.

A rule names a stable anchor (the label text printed before the value in its cell, in the cell left of it,
or in the cell above it), the value's kind and format (the shape of an invoice number, the order of a numeric
date) and where on the page the value stood. A layout is told by its fingerprint: the set of words of three
letters or more that the page prints, compared by overlap, so that varying line items do not make a new one.

An anchor keeps only the label's stable words: the taught document's own values in it (numbers, dates,
amounts, IDs: "Rechnung Nr. 4711 vom") are dropped, and anchors are compared without them, so that the rule
finds the label on the next invoice. A label the lexicon (``labels.py``) names as another field's is never
an anchor: a delivery or order date's label never leads to the invoice date, a prepayment's never to a total.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from belegflow_ocr.recognition.cleanup import normalised
from belegflow_ocr.recognition.labels import lexicon
from belegflow_ocr.recognition.layout import Line, Segment, build_lines, rounded
from belegflow_ocr.recognition.model import BBox, PageInfo, Word
from belegflow_ocr.recognition.parsing import _MONTHS, find_amounts, find_dates, numeric_date_order

Kind = Literal["text", "date", "amount"]
Relation = Literal["same", "right", "below"]
Value = str | date | Decimal

KINDS: dict[str, Kind] = {
    "invoice_number": "text", "invoice_date": "date", "due_date": "date",
    "net_amount": "amount", "tax_amount": "amount", "gross_amount": "amount",
}  # fmt: skip
"""The fields a layout rule may read. The supplier's name, IBAN and VAT ID are never learned: matching
identifies the supplier by them, and learning must not change how it was identified."""

_TOKEN = re.compile(r"[A-Za-zÄÖÜäöüßéèàáóúñç]{3,}")
_LETTERS = re.compile(r"[A-Za-zÄÖÜäöüß]{2,}")
_BELOW_DEPTH = 3


def norm(text: str) -> str:
    """An anchor as compared: lower case, colons and runs of spaces folded, end punctuation dropped."""
    return re.sub(r"\s+", " ", text.lower().replace(":", " ")).strip(" .#-–")


_DIGIT = re.compile(r"\d")
_PUNCT = ".,;:()#/-–"


def stable(text: str, values: Iterable[str] = ()) -> str:
    """A label's stable words: ``norm`` of it without what belongs to one document. Dropped are words with a
    digit (numbers, dates, amounts, IDs), month names beside them ("12. März 2024"), and the words of
    ``values`` (the taught document's own values, where they have no digit)."""
    drop = frozenset(v.strip(_PUNCT) for value in values for v in norm(value).split() if v.strip(_PUNCT))
    return _stable(text, drop)


@lru_cache(maxsize=65536)
def _stable(text: str, drop: frozenset[str]) -> str:
    words = norm(text).split()
    digits = [bool(_DIGIT.search(w)) for w in words]
    kept = []
    for i, word in enumerate(words):
        bare = word.strip(_PUNCT)
        if digits[i] or not bare or bare in drop:
            continue
        beside = (i > 0 and digits[i - 1]) or (i + 1 < len(words) and digits[i + 1])
        if beside and bare in _MONTHS:
            continue
        kept.append(word)
    return " ".join(kept).strip(" .#-–")


@lru_cache(maxsize=4096)
def label_kinds(text: str) -> tuple[tuple[str, float], ...]:
    """The lexicon's labels in a label text, in order: (kind, weight) of the longest label at each word that
    starts one."""
    found: list[tuple[str, float]] = []
    pos = 0
    for m in re.finditer(r"\S+", text):
        if m.start() < pos:
            continue
        best: tuple[int, float, str] | None = None
        for label in lexicon():
            hit = label.pattern.match(text, m.start())
            if hit is None or hit.end() == m.start():
                continue
            rank = (len(hit.group().rstrip()), label.weight, label.kind)
            if best is None or rank[:2] > best[:2]:
                best = rank
        if best is not None:
            found.append((best[2], best[1]))
            pos = m.start() + best[0]
    return tuple(found)


_TITLE_DATE = re.compile(r"(?:^|\s)(?:vom|dated|of|du|del|van)$")
_REFUSED_KINDS: dict[str, frozenset[str]] = {
    "invoice_number": frozenset({"other", "other_date"}),
    "invoice_date": frozenset({"other_date", "due_date"}),
    "due_date": frozenset({"other_date", "invoice_date"}),
    "net_amount": frozenset({"tax_amount", "gross_amount", "payable", "prepaid", "other"}),
    "tax_amount": frozenset({"net_amount", "gross_amount", "payable", "prepaid", "other"}),
    "gross_amount": frozenset({"net_amount", "tax_amount", "prepaid", "other"}),
}
"""Kinds of label that never lead to the field. A total's label is judged by the label it starts with
("Gesamtbetrag inkl. MwSt" is a gross), a date's by the one nearest the value ("Rechnung vom ... zahlbar bis"
is a due date); a delivery, service or order date's label anywhere in it keeps it from the invoice date."""


def label_kind(field: str, text: str) -> tuple[str, str]:
    """What the lexicon says of ``text`` as a label of ``field``: (``same``, kind) where it names the field,
    (``refused``, kind) where it names another field or none to take, (``unknown``, "") where it knows none
    of its words."""
    kinds = label_kinds(text)
    if not kinds:
        return "unknown", ""
    is_date = field in ("invoice_date", "due_date")
    head = kinds[-1][0] if is_date else kinds[0][0]
    if field == "invoice_date" and kinds[0][0] == "invoice_number" and _TITLE_DATE.search(norm(text)):
        head = "invoice_date"  # a title's date: "Rechnung Nr. 4711 vom 12.03.2024"
    if field == "invoice_date" and any(kind == "other_date" for kind, _ in kinds):
        return "refused", "other_date"
    if head == field:
        return "same", head
    if head in _REFUSED_KINDS.get(field, frozenset()):
        return "refused", head
    return "unknown", head


@dataclass(frozen=True, slots=True)
class Layout:
    """A document's layout as far as learning tells layouts apart."""

    fingerprint: str
    tokens: frozenset[str]


def layout_of(words: Sequence[Word]) -> Layout:
    tokens = frozenset(m.group().lower() for w in words if w.page == 1 for m in _TOKEN.finditer(w.text))
    return Layout(hashlib.sha256(" ".join(sorted(tokens)).encode()).hexdigest()[:12], tokens)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller set's words that the other prints too (1.0: the same layout)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


@dataclass(frozen=True, slots=True)
class FieldRule:
    field: str
    kind: Kind
    anchor: str
    relation: Relation
    shape: str
    """text: the value's shape (``A`` letters, ``9`` digits, other characters as printed); date: ``DMY`` or
    ``MDY``; amount: empty."""
    x: float
    y: float
    """The value's centre relative to the page (0..1), to pick one where the anchor is printed twice."""

    def describe(self) -> str:
        where = {"same": "after it", "right": "right of it", "below": "below it"}[self.relation]
        return f"label '{self.anchor}', {where}"

    def to_json(self) -> dict[str, object]:
        return {"field": self.field, "kind": self.kind, "anchor": self.anchor, "relation": self.relation,
                "shape": self.shape, "x": round(self.x, 4), "y": round(self.y, 4)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> FieldRule:
        kind, relation = str(data["kind"]), str(data["relation"])
        if kind not in ("text", "date", "amount") or relation not in ("same", "right", "below"):
            raise ValueError(f"not a layout rule: {data}")
        return cls(field=str(data["field"]), kind=kind, anchor=str(data["anchor"]),  # type: ignore[arg-type]
                   relation=relation, shape=str(data["shape"]), x=float(str(data["x"])),  # type: ignore[arg-type]
                   y=float(str(data["y"])))


def shape_of(value: str) -> str:
    """``RE-2024-0815`` -> ``A-9-9``: runs of letters and digits, the separators as printed."""
    out = re.sub(r"[A-Za-z]+", "A", value)
    return re.sub(r"\d+", "9", out)


def _shape_re(shape: str) -> re.Pattern[str]:
    parts = [r"[A-Za-z]+" if ch == "A" else r"\d+" if ch == "9" else re.escape(ch) for ch in shape]
    return re.compile("".join(parts))


# --- finding a value of a kind in a text ----------------------------------------------------------


def _hits(kind: Kind, text: str, value: Value, shape: str, order: str = "DMY") -> list[tuple[int, int, str]]:
    """Where ``value`` stands in ``text``: (start, end, format) for each place."""
    if kind == "amount":
        return [(s, e, "") for v, s, e in find_amounts(text) if isinstance(value, Decimal) and abs(v) == abs(value)]
    if kind == "date":
        # in the document's own order only: "08.07.24" is never the 7 August of a German invoice
        return [(s, e, _date_order(text[s:e], value)) for d, s, e in find_dates(text, order=order, compact=True)
                if d == value]
    pattern = re.compile(r"(?<![A-Za-z0-9])" + re.escape(str(value)) + r"(?![A-Za-z0-9])")
    return [(m.start(), m.end(), shape) for m in pattern.finditer(text)]


_NUMERIC_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})")


def _date_order(printed: str, value: Value) -> str:
    """How a numeric date was written: ``DMY`` or ``MDY`` as the value proves it, empty where day and month are
    the same number (the document's own order decides when reading); other notations ``DMY``."""
    m = _NUMERIC_DATE.fullmatch(printed.strip())
    if m is None or not isinstance(value, date):
        return "DMY"
    a, b = int(m.group(1)), int(m.group(2))
    if a == b:
        return ""
    return "MDY" if (a, b) == (value.month, value.day) else "DMY"


def _strict_dates(text: str, order: str) -> list[tuple[date, int, int]]:
    """Dates read in the learned order only (``find_dates`` falls back to the other order where one fails)."""
    found = []
    for d, s, e in find_dates(text, order=order, compact=True):
        m = _NUMERIC_DATE.fullmatch(text[s:e].strip())
        if m is not None:
            a, b = int(m.group(1)), int(m.group(2))
            if (order == "MDY" and (a, b) != (d.month, d.day)) or (order == "DMY" and (a, b) != (d.day, d.month)):
                continue
        found.append((d, s, e))
    return found


def _first(kind: Kind, text: str, shape: str) -> tuple[Value, int, int] | None:
    """The first value of the kind in ``text``, in the learned format."""
    if kind == "amount":
        amounts = find_amounts(text)
        return (abs(amounts[0][0]), amounts[0][1], amounts[0][2]) if amounts else None
    if kind == "date":
        dates = _strict_dates(text, shape or "DMY")
        return dates[0] if dates else None
    for m in re.finditer(r"\S+", text):
        token = m.group().strip(":#,;()")
        if token and _shape_re(shape).fullmatch(token):
            start = m.start() + m.group().index(token)
            return token, start, start + len(token)
    return None


def _box(segment: Segment, start: int, end: int) -> BBox:
    boxes, pos = [], 0
    for word in segment.words:
        w_end = pos + len(word.text)
        if pos < end and start < w_end:
            boxes.append(word.bbox)
        pos = w_end + 1
    if not boxes:
        return rounded(segment.bbox)
    return rounded((min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                    max(b[3] for b in boxes)))


def _above(lines: Sequence[Line], line: Line, segment: Segment) -> tuple[int, int] | None:
    """The nearest cell over ``segment`` on the lines just above, on the same page: (its line, its cell)."""
    for other in reversed(lines[max(0, line.index - _BELOW_DEPTH) : line.index]):
        if other.page != line.page:
            return None
        for j, seg in enumerate(other.segments):
            if seg.x0 < segment.x1 + 2 and seg.x1 > segment.x0 - 2 and _LETTERS.search(seg.text):
                return other.index, j
    return None


def _below(lines: Sequence[Line], line: Line, segment: Segment, x: float) -> Segment | None:
    """The cell under ``segment`` on the first line below that has one; of several, the one nearest ``x``
    (a row of labels may run together into one cell over a row of separate values)."""
    for other in lines[line.index + 1 : line.index + 1 + _BELOW_DEPTH]:
        if other.page != line.page:
            break
        under = [seg for seg in other.segments if seg.x0 < segment.x1 + 2 and seg.x1 > segment.x0 - 2]
        if under:
            return min(under, key=lambda seg: abs((seg.x0 + seg.x1) / 2 - x))
    return None


def _prefix_end(segment: Segment, anchor: str) -> int | None:
    """Where the value's text starts in ``segment`` when its first words are the anchor (compared by their
    stable words: "Rechnung Nr. 4712 vom" is the anchor ``rechnung nr. vom``)."""
    want = stable(anchor)
    if not want:
        return None
    pos = 0
    for k, word in enumerate(segment.words[:-1], start=1):
        pos += len(word.text) + 1
        if _DIGIT.search(word.text) is None and stable(" ".join(w.text for w in segment.words[:k])) == want:
            return pos
    return None


def _page_size(pages: Sequence[PageInfo], page: int) -> tuple[float, float]:
    for p in pages:
        if p.number == page:
            return p.width or 1.0, p.height or 1.0
    return 595.0, 842.0


def lines_of(words: Sequence[Word]) -> list[Line]:
    """The document's lines of cells, as rules read them."""
    return build_lines([normalised(w) for w in words])


_lines = lines_of


# --- learning a rule ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way a rule could lead to the taught value, ranked (lower is better)."""

    rule: FieldRule
    rank: tuple[int, int, int, int, float]
    place: tuple[int, int, int]
    """page, line and cell of the anchor on the taught document"""
    box: tuple[int, BBox]
    """page and box of the value the rule reads there"""
    label: str
    """the label as printed there (normalised)"""
    label_kind: str
    """the lexicon's kind of the label where it names the field, else empty"""


def learn_candidates(field: str, value: Value, words: Sequence[Word], pages: Sequence[PageInfo], *,
                     values: Iterable[str] = ()) -> tuple[list[Candidate], list[str]]:
    """Every rule that leads back to ``value`` on this document, best first, and why other labels were refused.

    ``values`` are the taught document's own values: no anchor keeps them. Of the places the value stands, a
    label the lexicon names as the field's wins, then a label printed once on the page, an anchor in the
    value's own cell or left of it before one above it, one that needed no document values dropped before one
    that did, and for amounts the totals block below the table.
    """
    kind = KINDS.get(field)
    if kind is None:
        return [], []
    own = tuple(values)
    shape = shape_of(str(value)) if kind == "text" else ""
    lines = _lines(words)
    order, _ = numeric_date_order([ln.text for ln in lines])
    found: list[Candidate] = []
    refused: list[str] = []
    for line in lines:
        for i, seg in enumerate(line.segments):
            for start, end, fmt in _hits(kind, seg.text, value, shape, order):
                w, h = _page_size(pages, seg.page)
                box = _box(seg, start, end)
                for raw, relation, cell in _anchors_of(lines, line, i, start):
                    anchor = stable(raw, own)
                    if not _LETTERS.search(anchor):
                        refused.append(f"label '{raw}' is nothing but this document's own values - no anchor")
                        continue
                    verdict, label = label_kind(field, raw)
                    if verdict == "refused":
                        refused.append(f"label '{raw}' names a {label.replace('_', ' ')} - never the {field}")
                        continue
                    rule = FieldRule(field=field, kind=kind, anchor=anchor, relation=relation, shape=fmt,
                                     x=(box[0] + box[2]) / 2 / w, y=(box[1] + box[3]) / 2 / h)
                    back = read_rule(rule, lines, pages, order=order)
                    if back is None or back[0] != _as_read(kind, value):
                        continue  # the rule would not lead back to this value (another value comes first)
                    repeats = len(_anchors(lines, rule))
                    lexical = 0 if verdict == "same" else 2 if label == "payable" else 1
                    # amounts: the totals block stands below the table, whose single row may repeat the sum
                    rank = (lexical, repeats, {"same": 0, "right": 0, "below": 1}[relation],
                            int(anchor != raw.strip(" .#-–")), -rule.y if kind == "amount" else 0.0)
                    found.append(Candidate(rule=rule, rank=rank, place=(line.page, line.index, cell),
                                           box=(back[1], back[2]), label=raw,
                                           label_kind=label if verdict == "same" else ""))
    found.sort(key=lambda c: c.rank)
    return found, list(dict.fromkeys(refused))


def learn_rule(field: str, value: Value, words: Sequence[Word], pages: Sequence[PageInfo], *,
               values: Iterable[str] = ()) -> FieldRule | None:
    """The best rule that finds ``value`` on this document, or ``None`` where no stable anchor leads to it."""
    found, _ = learn_candidates(field, value, words, pages, values=values)
    return found[0].rule if found else None


def _as_read(kind: Kind, value: Value) -> Value:
    return abs(value) if kind == "amount" and isinstance(value, Decimal) else value


def _anchors_of(lines: Sequence[Line], line: Line, index: int, start: int) -> list[tuple[str, Relation, int]]:
    """The labels that could lead to a value (normalised, with where the value stands from them and the label's
    cell): the text before it in its cell, the cell left of it, the cell above it."""
    seg = line.segments[index]
    prefix = norm(seg.text[:start])
    if _LETTERS.search(prefix):
        words_before = len(seg.text[:start].split())
        if 0 < words_before < len(seg.words) and seg.text[:start].endswith(" "):
            return [(prefix, "same", index)]
        return []
    if prefix:
        return []
    found: list[tuple[str, Relation, int]] = []
    if index > 0 and _LETTERS.search(line.segments[index - 1].text):
        found.append((norm(line.segments[index - 1].text), "right", index - 1))
    over = _above(lines, line, seg)
    if over is not None:
        other = lines[over[0]]
        found.append((norm(other.segments[over[1]].text), "below", over[1]))
    return found


# --- reading by a rule ----------------------------------------------------------------------------


def _anchors(lines: Sequence[Line], rule: FieldRule) -> list[tuple[Line, int]]:
    want = stable(rule.anchor)
    found = []
    for line in lines:
        for i, seg in enumerate(line.segments):
            if rule.relation == "same":
                if stable(seg.text).startswith(want) and _prefix_end(seg, rule.anchor) is not None:
                    found.append((line, i))
            elif stable(seg.text) == want:
                found.append((line, i))
    return found


def read_rule(rule: FieldRule, lines: Sequence[Line], pages: Sequence[PageInfo], *, order: str = "DMY"
              ) -> tuple[Value, int, BBox] | None:
    """The value the rule points to on a document (value, page, box), or ``None`` where it finds none.

    ``order`` is the document's own order of numeric dates, for a date rule learned from one that did not
    show its order (day and month the same number)."""
    read: list[tuple[float, Value, int, BBox]] = []
    for line, i in _anchors(lines, rule):
        anchor = line.segments[i]
        targets: list[tuple[Segment, int]] = []
        if rule.relation == "same":
            offset = _prefix_end(anchor, rule.anchor)
            if offset is not None:
                targets.append((anchor, offset))
        elif rule.relation == "right":
            targets += [(seg, 0) for seg in line.segments[i + 1 : i + 2]]
        else:
            width, _ = _page_size(pages, anchor.page)
            under = _below(lines, line, anchor, rule.x * width)
            targets += [(under, 0)] if under is not None else []
        for seg, offset in targets:
            hit = _first(rule.kind, seg.text[offset:], rule.shape or order)
            if hit is None:
                continue
            value, start, end = hit
            box = _box(seg, offset + start, offset + end)
            w, h = _page_size(pages, seg.page)
            distance = abs((box[0] + box[2]) / 2 / w - rule.x) + abs((box[1] + box[3]) / 2 / h - rule.y)
            read.append((distance, value, seg.page, box))
    if not read:
        return None
    _, value, page, box = min(read, key=lambda r: r[0])
    return value, page, box


@dataclass(frozen=True, slots=True)
class Read:
    value: Value
    page: int
    bbox: BBox
    relation: Relation
    """where the value stood from its label on this document: the rule's own place, or another one (the
    supplier moved the value, kept the label)"""


def read_rules(rules: Sequence[FieldRule], words: Sequence[Word], pages: Sequence[PageInfo]) -> dict[str, Read | None]:
    """Each rule's value on one document (lines are built once). Where the label is printed but the value no
    longer stands where it did, the other places beside the same label are tried."""
    lines = _lines(words)
    order, _ = numeric_date_order([ln.text for ln in lines])
    out: dict[str, Read | None] = {}
    for rule in rules:
        out[rule.field] = None
        tries: list[Relation] = [rule.relation, *(r for r in ("right", "below", "same") if r != rule.relation)]
        for relation in tries:
            found = read_rule(replace(rule, relation=relation), lines, pages, order=order)
            if found is not None:
                out[rule.field] = Read(found[0], found[1], found[2], relation)
                break
    return out


__all__ = ["KINDS", "Candidate", "FieldRule", "Layout", "Read", "label_kind", "label_kinds", "layout_of",
           "learn_candidates", "learn_rule", "lines_of", "norm", "read_rule", "read_rules", "shape_of", "similarity",
           "stable"]
