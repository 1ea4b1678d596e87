"""Invoice lines read by a creditor's line template: columns where the creditor prints them, multi-line items
kept whole, so that every reference an item carries (position number, MAWB, container ...) stays with it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from belegflow_contracts.messages import InvoiceLineV1, LineTemplateV1
from belegflow_ocr.recognition.cleanup import normalised
from belegflow_ocr.recognition.layout import build_lines, rounded, union
from belegflow_ocr.recognition.learned import norm
from belegflow_ocr.recognition.model import Word
from belegflow_ocr.recognition.parsing import parse_amount, parse_quantity

_POSITION = re.compile(r"(\d{1,4})\.?")


class _Item:
    def __init__(self) -> None:
        self.cells: dict[str, list[str]] = {}
        self.words: list[Word] = []

    def add(self, column: str, word: Word) -> None:
        self.cells.setdefault(column, []).append(word.text)
        self.words.append(word)

    def text(self, column: str) -> str:
        return " ".join(self.cells.get(column, []))


def _column(template: LineTemplateV1, word: Word) -> str | None:
    mid = (word.bbox[0] + word.bbox[2]) / 2
    for column in template.columns:
        if column.x0 <= mid <= column.x1:
            return column.name
    return None


def read_lines(template: LineTemplateV1, words: Sequence[Word]) -> list[InvoiceLineV1]:
    """The items of every table the template finds on the document (a table continued on the next page starts
    again under its repeated header); none where the header is not printed."""
    start = norm(template.table_start)
    ends = [norm(e) for e in template.table_end]
    items: list[_Item] = []
    inside = False
    for line in build_lines([normalised(w) for w in words]):
        text = norm(line.text)
        if any(start in norm(seg.text) for seg in line.segments):
            inside = True
            continue
        if not inside:
            continue
        if any(text.startswith(end) for end in ends):
            inside = False
            continue
        row: dict[str, list[Word]] = {}
        for word in line.words:
            column = _column(template, word)
            if column is not None:
                row.setdefault(column, []).append(word)
        if not row:
            continue
        opener = " ".join(w.text for w in row.get(template.new_item, []))
        starts = parse_amount(opener) is not None if template.new_item == "net_amount" else bool(opener.strip())
        if starts or not items:
            items.append(_Item())
        for column, found in row.items():
            for word in found:
                items[-1].add(column, word)
    return [_line(i, item) for i, item in enumerate(items, start=1) if item.words]


def _line(index: int, item: _Item) -> InvoiceLineV1:
    position = _POSITION.fullmatch(item.text("position").strip())
    amount = parse_amount(item.text("net_amount"))
    price = parse_amount(item.text("unit_price"))
    quantity = parse_quantity(item.text("quantity")) if item.text("quantity") else None
    description = item.text("description")
    references = " ".join(part for part in (item.text("position"), description, item.text("reference")) if part)
    pages = {w.page for w in item.words}
    first_page = min(pages)
    return InvoiceLineV1(
        position=max(1, int(position.group(1))) if position else index,
        description=description or references,
        quantity=quantity,
        unit_price=price,
        net_amount=amount,
        reference_text=references,
        page=first_page,
        bbox=rounded(union(w.bbox for w in item.words if w.page == first_page)),
    )


__all__ = ["read_lines"]
