"""A creditor's line template made from a line table a clerk corrected: where on the page each line's values stand.

The corrected values are looked up among the page's positioned words (recognition's work product): each line's
net amount fixes its row, the other values are found on that row (references also on the rows under it, for
multi-line items). Each column spans the words found for it, widened halfway into the gap to its neighbours; the
header row above the first line gives ``table_start``, the first row under the last line ``table_end``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from belegflow_contracts.messages import LineTemplateV1

if TYPE_CHECKING:
    from collections.abc import Sequence

    from belegflow_ingest.pages import Word

_MARGIN: Final = 20.0
_ORDER: Final = ("position", "description", "quantity", "unit_price", "net_amount", "reference")


class TemplateError(ValueError):
    """Why no template could be made from these lines (said to the clerk)."""


@dataclass(frozen=True, slots=True)
class _Found:
    column: str
    x0: float
    x1: float


def _centre_y(word: Word) -> float:
    return (word.bbox[1] + word.bbox[3]) / 2


def _height(word: Word) -> float:
    return max(1.0, word.bbox[3] - word.bbox[1])


def _amount(text: str) -> Decimal | None:
    raw = re.sub(r"[^\d.,-]", "", text)
    if not re.search(r"\d", raw):
        return None
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    decimal_sep = "." if last_dot > last_comma else "," if last_comma >= 0 else ""
    if decimal_sep and len(raw) - max(last_dot, last_comma) - 1 == 3 and raw.count(decimal_sep) == 1 and \
            ("." not in raw or "," not in raw):
        decimal_sep = ""  # 1.234 or 1,234: a thousands separator
    group = {".": ",", ",": "."}.get(decimal_sep, "")
    cleaned = raw.replace(group, "") if group else raw.replace(".", "").replace(",", "")
    try:
        return Decimal(cleaned.replace(decimal_sep, ".") if decimal_sep else cleaned)
    except InvalidOperation:
        return None


def _same_row(word: Word, y: float, height: float) -> bool:
    return abs(_centre_y(word) - y) <= height * 0.6


def _value(line: dict[str, Any], name: str) -> Any:
    return line.get("reference_text" if name == "reference" else name)


def derive(lines: Sequence[dict[str, Any]], words: Sequence[Word], *, supplier_number: str,
           supplier_keys: Sequence[str]) -> LineTemplateV1:
    """The template of these corrected lines on these words; ``TemplateError`` says what is missing."""
    keys = [k for k in supplier_keys if k]
    if not keys:
        raise TemplateError("the supplier's IBAN or VAT ID is needed: a template is found by them")
    if not lines:
        raise TemplateError("there are no lines to learn from")
    found: list[_Found] = []
    rows: list[tuple[int, float, float]] = []  # page, centre y, height of each line's row
    used: set[int] = set()
    for line in lines:
        page = int(line.get("page") or 1)
        on_page = [w for w in words if w.page == page]
        net = _amount(str(line.get("net_amount") or ""))
        candidates = [w for w in on_page if net is not None and _amount(w.text) == net and id(w) not in used]
        if not candidates:
            continue
        anchor = max(candidates, key=lambda w: (w.bbox[2], -w.bbox[1]))  # the rightmost: the line's total
        used.add(id(anchor))
        y, height = _centre_y(anchor), _height(anchor)
        rows.append((page, y, height))
        found.append(_Found("net_amount", anchor.bbox[0], anchor.bbox[2]))
        row = sorted((w for w in on_page if _same_row(w, y, height) and id(w) not in used), key=lambda w: w.bbox[0])
        position = str(line.get("position") or "")
        hit = next((w for w in row if w.text.strip(".") == position), None)
        if hit is not None:
            used.add(id(hit))
            found.append(_Found("position", hit.bbox[0], hit.bbox[2]))
        for name in ("unit_price", "quantity"):
            wanted = _amount(str(_value(line, name) or ""))
            hit = next((w for w in reversed(row) if wanted is not None and id(w) not in used
                        and _amount(w.text) == wanted), None)
            if hit is not None:
                used.add(id(hit))
                found.append(_Found(name, hit.bbox[0], hit.bbox[2]))
        tokens = str(line.get("description") or "").split()
        described = [w for w in row if id(w) not in used and w.text in tokens]
        if described:
            used.update(id(w) for w in described)
            found.append(_Found("description", min(w.bbox[0] for w in described), max(w.bbox[2] for w in described)))
        # references: identifiers (letters or digits with digits, six or more) on the line's rows
        references = {t for t in str(line.get("reference_text") or "").split()
                      if len(t) >= 6 and re.search(r"\d", t) and _amount(t) is None}
        for hit in (w for w in on_page if id(w) not in used and y - height <= _centre_y(w) <= y + 4 * height
                    and w.text in references):
            used.add(id(hit))
            found.append(_Found("reference", hit.bbox[0], hit.bbox[2]))
    if not any(f.column == "net_amount" for f in found):
        raise TemplateError("no line's net amount was found on the page: correct the net amounts first")
    columns = _columns(found)
    page, first_y, height = min(rows, key=lambda r: (r[0], r[1]))
    start = _header(words, page, first_y, height, columns)
    last_page, last_y, last_height = max(rows, key=lambda r: (r[0], r[1]))
    end = _footer(words, last_page, last_y, last_height, columns)
    every_line_numbered = sum(f.column == "position" for f in found) >= len(rows)
    try:
        return LineTemplateV1.model_validate({
            "format": "belegflow-line-template", "version": 1, "supplier_number": supplier_number,
            "supplier_keys": keys, "table_start": start, "table_end": [end],
            "columns": [{"name": n, "x0": x0, "x1": x1} for n, x0, x1 in columns],
            "new_item": "position" if every_line_numbered else "net_amount"})
    except ValidationError as exc:
        raise TemplateError("; ".join(str(e["msg"]) for e in exc.errors())) from None


def _columns(found: list[_Found]) -> list[tuple[str, float, float]]:
    """One span per column, in page order, widened halfway into each gap, never overlapping."""
    spans: dict[str, tuple[float, float]] = {}
    for f in found:
        x0, x1 = spans.get(f.column, (f.x0, f.x1))
        spans[f.column] = (min(x0, f.x0), max(x1, f.x1))
    # a reference printed under the description is kept with its item anyway (its rows continue the item)
    ref = spans.get("reference")
    if ref and any(n != "reference" and x0 < ref[1] and ref[0] < x1 for n, (x0, x1) in spans.items()):
        del spans["reference"]
    ordered = sorted(spans.items(), key=lambda item: ((item[1][0] + item[1][1]) / 2, _ORDER.index(item[0])))
    names = [name for name, _ in ordered]
    left_edges = [x0 for _, (x0, _) in ordered]
    right_edges = [x1 for _, (_, x1) in ordered]
    for i in range(len(names) - 1):
        if right_edges[i] <= left_edges[i + 1]:
            mid = (right_edges[i] + left_edges[i + 1]) / 2
        else:  # overlapping spans: split between their centres
            mid = (left_edges[i] + right_edges[i] + left_edges[i + 1] + right_edges[i + 1]) / 4
        right_edges[i], left_edges[i + 1] = mid, mid
    left_edges[0] = max(0.0, left_edges[0] - _MARGIN)
    right_edges[-1] = min(2000.0, right_edges[-1] + _MARGIN)
    return [(n, round(x0, 1), round(x1, 1)) for n, x0, x1 in zip(names, left_edges, right_edges, strict=True)
            if x1 > x0]


def _header(words: Sequence[Word], page: int, first_y: float, height: float,
            columns: list[tuple[str, float, float]]) -> str:
    above = [w for w in words if w.page == page and first_y - 8 * height <= _centre_y(w) < first_y - height * 0.6]
    if not above:
        raise TemplateError("no header row above the first line")
    nearest = max(_centre_y(w) for w in above)
    row = sorted((w for w in above if abs(_centre_y(w) - nearest) <= height * 0.6), key=lambda w: w.bbox[0])
    span = next(((x0, x1) for name, x0, x1 in columns if name == "description"), None)
    inside = [w for w in row if span and span[0] <= (w.bbox[0] + w.bbox[2]) / 2 <= span[1]]
    return (inside or row)[0].text[:200]


def _footer(words: Sequence[Word], page: int, last_y: float, height: float,
            columns: list[tuple[str, float, float]]) -> str:
    """The first word of the first row under the items with an amount in the net amount column (the totals)."""
    x0, x1 = next((a, b) for name, a, b in columns if name == "net_amount")
    totals = sorted((w for w in words if w.page == page and _centre_y(w) > last_y + height * 0.6
                     and x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= x1 and _amount(w.text) is not None), key=_centre_y)
    if not totals:
        return "Summe"
    y = _centre_y(totals[0])
    row = sorted((w for w in words if w.page == page and abs(_centre_y(w) - y) <= height * 0.6),
                 key=lambda w: w.bbox[0])
    return row[0].text[:200]


__all__ = ["TemplateError", "derive"]
