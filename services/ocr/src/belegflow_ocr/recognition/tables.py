"""Invoice lines: rows of a table under its column header, or the items of a till receipt."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from belegflow_contracts.messages import InvoiceLineV1
from belegflow_ocr.recognition.labels import label_at
from belegflow_ocr.recognition.layout import Line, Segment, rounded, union
from belegflow_ocr.recognition.model import ProtocolLog
from belegflow_ocr.recognition.parsing import find_amounts, parse_amount, parse_quantity

# Carry-over rows of a table continued on the next page: not an invoice line, and the end of this page's rows.
_CARRY = re.compile(r"^\s*(?:Übertrag|Uebertrag|Zwischensumme\s+Seite|Carried\s+forward|Brought\s+forward|"
                    r"Carry\s+over|Report|A\s+reporter)\b", re.IGNORECASE)  # fmt: skip
# A row starting with one of these ends the table: the totals follow.
_TOTAL_KINDS = frozenset({"net_amount", "tax_amount", "gross_amount", "payable", "prepaid"})

_COLUMNS = {
    "position": re.compile(
        r"^(?:Pos\.?|Position|Nr\.?|#|Lfd\.?\s*Nr\.?|No\.?|Line|Ligne|Art\.?-?\s?Nr\.?|Item\s+no\.?)$", re.IGNORECASE
    ),
    "description": re.compile(
        r"^(?:Beschreibung|Bezeichnung|Artikelbezeichnung|Leistung|Leistungsbeschreibung|Artikel|Text|Description|"
        r"Item|Items|Service|Services|Product|Produkt|Designation|Désignation|Libellé|Omschrijving|Descrizione|"
        r"Descripción|Concepto|Details|Particulars)$",
        re.IGNORECASE,
    ),
    "quantity": re.compile(r"^(?:Menge|Anzahl|Anz\.?|Stk\.?|Stück|Qty\.?|Quantity|Qté|Quantité|Aantal|Quantità|"
                           r"Cantidad|Cant\.?|Units|Hours|Std\.?|Stunden)$", re.IGNORECASE),
    "unit_price": re.compile(
        r"^(?:Einzelpreis|E-Preis|EP|Preis|Stückpreis|Unit\s+price|Price|Rate|Prix\s+unitaire|P\.?U\.?(?:\s+HT)?|"
        r"Prix|Stukprijs|Prijs|Prezzo(?:\s+unitario)?|Precio(?:\s+unitario)?)(?:\s*\(?(?:€|EUR|USD|\$)\)?)?$",
        re.IGNORECASE,
    ),
    "net_amount": re.compile(
        r"^(?:Gesamt|Gesamtpreis|Betrag|Netto|Nettobetrag|Nettopreis|Summe|GP|Warenwert|Wert|Amount|Total|"
        r"Net\s+amount|Line\s+total|Montant(?:\s+HT)?|Total\s+HT|Bedrag|Totaal|Importo|Importe|Subtotal)"
        r"(?:\s*\(?(?:€|EUR|USD|\$)\)?)?$",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True, slots=True)
class _Table:
    header: Line
    columns: dict[str, tuple[float, float]]


def _header_cells(segment: Segment, taken: set[str]) -> list[tuple[str, float, float]]:
    """Column headers in one cell: a whole cell, or several headers set too close to be split by the gap
    ("Pos. Beschreibung"), read greedily as the longest run of words that names a column."""
    words = segment.words
    found: list[tuple[str, float, float]] = []
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            text = " ".join(w.text for w in words[i:j])
            kind = next((k for k, p in _COLUMNS.items() if k not in taken and p.match(text)), None)
            if kind is not None:
                found.append((kind, words[i].bbox[0], words[j - 1].bbox[2]))
                taken.add(kind)
                i = j
                break
        else:
            return found if found else []
    return found


def find_tables(lines: Sequence[Line]) -> list[_Table]:
    tables = []
    for line in lines:
        columns: dict[str, tuple[float, float]] = {}
        for seg in line.segments:
            for kind, x0, x1 in _header_cells(seg, set(columns)):
                columns[kind] = (x0, x1)
        if len(columns) >= 3 and "description" in columns and "net_amount" in columns:
            tables.append(_Table(line, columns))
    return tables


def _column_of(segment: Segment, columns: dict[str, tuple[float, float]]) -> str:
    """Text starts under its header's left edge, numbers end under its right edge (right-aligned)."""

    def distance(span: tuple[float, float]) -> float:
        return min(abs(segment.x0 - span[0]), abs(segment.x1 - span[1]))

    return min(columns, key=lambda k: distance(columns[k]))


def table_lines(lines: Sequence[Line], log: ProtocolLog) -> tuple[list[InvoiceLineV1], set[int]]:
    """Rows under each table header until the totals; lines without amounts continue the row above."""
    result: list[InvoiceLineV1] = []
    used: set[int] = set()
    for table in find_tables(lines):
        used.add(table.header.index)
        rows: list[tuple[dict[str, str], list[Line]]] = []
        last_bottom = table.header.bottom
        for line in lines[table.header.index + 1 :]:
            if line.page != table.header.page:
                break
            if line.top - last_bottom > 3.0 * line.height:
                break
            if any((hit := label_at(s.text)) is not None and hit.kind in _TOTAL_KINDS for s in line.segments[:2]):
                break
            if _CARRY.match(line.text):
                used.add(line.index)
                break
            cells: dict[str, list[str]] = {}
            for seg in line.segments:
                cells.setdefault(_column_of(seg, table.columns), []).append(seg.text)
            texts = {k: " ".join(v) for k, v in cells.items()}
            has_amount = parse_amount(texts.get("net_amount", "")) is not None
            if has_amount:
                rows.append((texts, [line]))
            elif rows:
                rows[-1][1].append(line)
            else:
                continue
            used.add(line.index)
            last_bottom = line.bottom
        for texts, row_lines in rows:
            position = len(result) + 1
            pos_text = texts.get("position", "")
            if re.fullmatch(r"\d{1,4}\.?", pos_text.strip()):
                position = int(pos_text.strip().rstrip("."))
            box = rounded(union(ln.bbox for ln in row_lines))
            result.append(
                InvoiceLineV1(
                    position=max(position, 1),
                    description=texts.get("description", "").strip() or row_lines[0].text,
                    quantity=parse_quantity(texts.get("quantity", "")),
                    unit_price=parse_amount(texts.get("unit_price", "")),
                    net_amount=parse_amount(texts.get("net_amount", "")),
                    reference_text=" ".join(ln.text for ln in row_lines),
                    page=row_lines[0].page,
                    bbox=box,
                )
            )
        log.info(
            f"lines: table on page {table.header.page} with columns {', '.join(table.columns)}, {len(rows)} rows",
            header=table.header.text,
            rows=len(rows),
        )
    if not result:
        result = _receipt_lines(lines, used, log)
    if not result:
        log.info("lines: no table header and no receipt items found, no invoice lines read")
    return result, used


_RECEIPT_ITEM = re.compile(
    r"^(?P<desc>.*?)\s*(?P<qty>\d{1,4}(?:[.,]\d{1,3})?)\s*[xX×*]\s*(?P<price>\d{1,3}(?:[.,']\d{3})*[.,]\d{2})\b"
)


def _receipt_lines(lines: Sequence[Line], used: set[int], log: ProtocolLog) -> list[InvoiceLineV1]:
    """Till receipts have no table: an item is 'quantity x price' with the line amount at the right, its
    text on the same line or the line above; quantity times price must give the amount."""
    result: list[InvoiceLineV1] = []
    for line in lines:
        m = _RECEIPT_ITEM.match(line.text)
        if not m:
            continue
        quantity, price = parse_quantity(m.group("qty")), parse_amount(m.group("price"))
        amounts = find_amounts(line.text[m.end() :])
        if quantity is None or price is None or not amounts:
            continue
        total = amounts[-1][0]
        if abs((quantity * price).quantize(Decimal("0.01")) - total) > Decimal("0.01"):
            continue
        description = m.group("desc").strip()
        row = [line]
        if not description and line.index > 0:
            upper = lines[line.index - 1]
            wordy = re.search(r"[A-Za-zÄÖÜäöüß]{2}", upper.text)
            if upper.page == line.page and not find_amounts(upper.text) and wordy:
                description = upper.text
                row.insert(0, upper)
        if not description:
            continue
        used.update(ln.index for ln in row)
        result.append(
            InvoiceLineV1(
                position=len(result) + 1,
                description=description,
                quantity=quantity,
                unit_price=price,
                net_amount=total,
                reference_text=" ".join(ln.text for ln in row),
                page=line.page,
                bbox=rounded(union(ln.bbox for ln in row)),
            )
        )
    if result:
        log.info(f"lines: {len(result)} receipt items (quantity x price = amount)", rows=len(result))
    return result


__all__ = ["find_tables", "table_lines"]
