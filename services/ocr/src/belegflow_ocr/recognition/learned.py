"""Where a supplier prints a field: a rule learned from one confirmed value, and reading the value again by it.

A rule names a stable anchor (the label text printed before the value in its cell, in the cell left of it,
or in the cell above it), the value's kind and format (the shape of an invoice number, the order of a numeric
date) and where on the page the value stood. A layout is told by its fingerprint: the set of words of three
letters or more that the page prints, compared by overlap, so that varying line items do not make a new one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from belegflow_ocr.recognition.cleanup import normalised
from belegflow_ocr.recognition.layout import Line, Segment, build_lines, rounded
from belegflow_ocr.recognition.model import BBox, PageInfo, Word
from belegflow_ocr.recognition.parsing import find_amounts, find_dates, numeric_date_order

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


def _above(lines: Sequence[Line], line: Line, segment: Segment) -> Segment | None:
    """The nearest cell over ``segment`` on the lines just above, on the same page."""
    for other in reversed(lines[max(0, line.index - _BELOW_DEPTH) : line.index]):
        if other.page != line.page:
            return None
        for seg in other.segments:
            if seg.x0 < segment.x1 + 2 and seg.x1 > segment.x0 - 2 and _LETTERS.search(seg.text):
                return seg
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
    """Where the value's text starts in ``segment`` when its first words are the anchor."""
    pos = 0
    for k, word in enumerate(segment.words[:-1], start=1):
        pos += len(word.text) + 1
        if norm(" ".join(w.text for w in segment.words[:k])) == anchor:
            return pos
    return None


def _page_size(pages: Sequence[PageInfo], page: int) -> tuple[float, float]:
    for p in pages:
        if p.number == page:
            return p.width or 1.0, p.height or 1.0
    return 595.0, 842.0


def _lines(words: Sequence[Word]) -> list[Line]:
    return build_lines([normalised(w) for w in words])


# --- learning a rule ------------------------------------------------------------------------------


def learn_rule(field: str, value: Value, words: Sequence[Word], pages: Sequence[PageInfo]) -> FieldRule | None:
    """The rule that finds ``value`` on this document, or ``None`` where no stable anchor leads to it.

    Of the places the value stands, the one whose anchor the page prints once wins; an anchor in the value's
    own cell or left of it before one above it, an anchor without digits before one with them.
    """
    kind = KINDS.get(field)
    if kind is None:
        return None
    shape = shape_of(str(value)) if kind == "text" else ""
    lines = _lines(words)
    order, _ = numeric_date_order([ln.text for ln in lines])
    found: list[tuple[tuple[int, int, int, float], FieldRule]] = []
    for line in lines:
        for i, seg in enumerate(line.segments):
            for start, end, fmt in _hits(kind, seg.text, value, shape, order):
                w, h = _page_size(pages, seg.page)
                box = _box(seg, start, end)
                for anchor, relation in _anchors_of(lines, line, i, start):
                    rule = FieldRule(field=field, kind=kind, anchor=anchor, relation=relation, shape=fmt,
                                     x=(box[0] + box[2]) / 2 / w, y=(box[1] + box[3]) / 2 / h)
                    back = read_rule(rule, lines, pages, order=order)
                    if back is None or back[0] != _as_read(kind, value):
                        continue  # the rule would not lead back to this value (another value comes first)
                    repeats = len(_anchors(lines, rule))
                    # amounts: the totals block stands below the table, whose single row may repeat the sum
                    rank = (int(bool(re.search(r"\d", anchor))), repeats,
                            {"same": 0, "right": 0, "below": 1}[relation], -rule.y if kind == "amount" else 0.0)
                    found.append((rank, rule))
    if not found:
        return None
    return min(found, key=lambda f: f[0])[1]


def _as_read(kind: Kind, value: Value) -> Value:
    return abs(value) if kind == "amount" and isinstance(value, Decimal) else value


def _anchors_of(lines: Sequence[Line], line: Line, index: int, start: int) -> list[tuple[str, Relation]]:
    """The anchors that could lead to a value: the text before it in its cell, the cell left of it, the cell
    above it."""
    seg = line.segments[index]
    prefix = norm(seg.text[:start])
    if _LETTERS.search(prefix) and _prefix_end(seg, prefix) is not None:
        return [(prefix, "same")]
    if prefix:
        return []
    found: list[tuple[str, Relation]] = []
    if index > 0 and _LETTERS.search(line.segments[index - 1].text):
        found.append((norm(line.segments[index - 1].text), "right"))
    over = _above(lines, line, seg)
    if over is not None:
        found.append((norm(over.text), "below"))
    return found


# --- reading by a rule ----------------------------------------------------------------------------


def _anchors(lines: Sequence[Line], rule: FieldRule) -> list[tuple[Line, int]]:
    found = []
    for line in lines:
        for i, seg in enumerate(line.segments):
            if rule.relation == "same":
                if norm(seg.text).startswith(rule.anchor) and _prefix_end(seg, rule.anchor) is not None:
                    found.append((line, i))
            elif norm(seg.text) == rule.anchor:
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


__all__ = ["KINDS", "FieldRule", "Layout", "Read", "layout_of", "learn_rule", "norm", "read_rule", "read_rules",
           "shape_of", "similarity"]
