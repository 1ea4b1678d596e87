"""Collective invoices of unseen creditors: each item names its freight file, and many their MAWB and container
on the rows under it. The line references of the k-th invoice are counted right when every item's references
stay together with that item and no other's join them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4

from belegflow_contracts.messages import InvoiceLineV1, LineColumnV1, LineTemplateV1
from belegflow_ocr import learning
from belegflow_ocr.recognition import ProtocolLog, default_registry
from bench.learning.stream import CENT, _word, amount_text
from bench.recognition.pdfdraw import Page
from samples.generate import container_number, iban_de, mawb

W, H = A4


@dataclass(frozen=True, slots=True)
class Creditor:
    number: str
    name: str
    iban: str
    header: tuple[str, str, str]
    """invented column headers: file, service, amount"""
    end: str
    x_file: float
    x_text: float
    x_amount: float
    refs_inline: bool
    """MAWB and container on the item's first row (else on the rows under it)"""
    german: bool


@dataclass(frozen=True, slots=True)
class Collective:
    creditor: Creditor
    k: int
    items: list[tuple[str, str, list[str], Decimal]]
    """(file number, service, further references, amount)"""


def creditor(i: int, rng: random.Random) -> Creditor:
    return Creditor(number=f"9{i:04d}", name=f"{_word(rng)} Forwarding GmbH",
                    iban=iban_de(str(rng.randint(10000000, 99999999)), str(rng.randint(10**8, 10**10 - 1))),
                    header=(_word(rng), _word(rng), _word(rng)), end=_word(rng),
                    x_file=rng.choice([45.0, 57.0]), x_text=rng.choice([130.0, 150.0]),
                    x_amount=rng.choice([480.0, 530.0]), refs_inline=rng.random() < 0.3, german=rng.random() < 0.6)


def collective(c: Creditor, k: int, rng: random.Random) -> Collective:
    items = []
    for _ in range(rng.randint(3, 9)):
        refs = []
        if rng.random() < 0.7:
            refs.append(mawb(rng.choice(["020", "176", "235"]), rng.randint(1000000, 9999999)))
        if rng.random() < 0.6:
            refs.append(container_number(rng.choice(["MSCU", "TGHU", "CMAU"]), rng.randint(100000, 999999)))
        amount = (Decimal(rng.randint(3000, 300000)) / 100).quantize(CENT)
        items.append((f"AKT{rng.randint(100000, 999999)}", rng.choice(["Luftfracht", "Seefracht", "Vorlauf LKW",
                                                                        "Zollabfertigung", "Lagerung"]), refs, amount))
    return Collective(creditor=c, k=k, items=items)


def render(inv: Collective, path: Path, rng: random.Random) -> None:
    c = inv.creditor
    page = Page(path, A4, "Helvetica")
    page.text(57, 60, c.name, 15, bold=True)
    page.text(57, 140, "Hafenkontor Weser GmbH", 10)
    y = 230.0 + rng.choice([0, 10, 25])
    page.text(c.x_file, y, c.header[0], 9, bold=True)
    page.text(c.x_text, y, c.header[1], 9, bold=True)
    page.text(c.x_amount, y, c.header[2], 9, bold=True, align="right")
    y += 18
    for file_number, service, refs, amount in inv.items:
        page.text(c.x_file, y, file_number, 9)
        first = f"{service} {' '.join(refs)}" if c.refs_inline else service
        page.text(c.x_text, y, first, 9)
        page.text(c.x_amount, y, money_of(c, amount), 9, align="right")
        if not c.refs_inline:
            for ref in refs:
                y += 11
                page.text(c.x_text, y, ("MAWB " if "-" in ref else "Container ") + ref, 8)
        y += 15
    total = sum((a for *_, a in inv.items), Decimal(0))
    page.text(330, y + 8, c.end, 9, bold=True)
    page.text(c.x_amount, y + 8, money_of(c, total), 9, bold=True, align="right")
    page.text(57, H - 60, f"IBAN {c.iban} · Geschäftsführer {_word(rng)}", 7)
    page.save()


def money_of(c: Creditor, value: Decimal) -> str:
    return amount_text(value, german=c.german)


def template_of(c: Creditor) -> LineTemplateV1:
    """The template a clerk writes after the creditor's first collective invoice (from its column layout)."""
    return LineTemplateV1(format="belegflow-line-template", version=1, supplier_number=c.number, supplier_keys=[c.iban],
                          table_start=c.header[1], table_end=[c.end], columns=[
                              LineColumnV1(name="position", x0=c.x_file - 5, x1=c.x_text - 5),
                              LineColumnV1(name="description", x0=c.x_text - 5, x1=400),
                              LineColumnV1(name="net_amount", x0=410, x1=c.x_amount + 40)])


def items_right(inv: Collective, lines: list[InvoiceLineV1]) -> int:
    """Items whose references (file number, MAWB, container) are all on one read line, with no other item's."""
    every = {ref for file_number, _, refs, _ in inv.items for ref in (file_number, *refs)}
    right = 0
    for file_number, _, refs, _ in inv.items:
        mine = {file_number, *refs}
        for line in lines:
            words = set(line.reference_text.split())
            if mine <= words and not (words & every) - mine:
                right += 1
                break
    return right


def run(*, creditors: int, per_creditor: int, seed: int, work: Path) -> list[dict[str, float | int]]:
    rng = random.Random(seed)
    made = [creditor(i, rng) for i in range(1, creditors + 1)]
    order = [c for c in made for _ in range(per_creditor)]
    rng.shuffle(order)
    registry = default_registry()
    counts: dict[str, int] = {}
    templates: dict[str, LineTemplateV1] = {}
    by_k: dict[int, list[int]] = {}
    for n, c in enumerate(order):
        counts[c.number] = counts.get(c.number, 0) + 1
        inv = collective(c, counts[c.number], rng)
        path = work / f"collective-{n:04d}.pdf"
        render(inv, path, rng)
        rec = registry.recognize(path.read_bytes(), filename=path.name)
        known = [(templates[c.number], "clerk", datetime.now(UTC))] if c.number in templates else []
        lines = learning.apply_templates(rec.lines, rec.fields, rec.words, known, ProtocolLog())
        row = by_k.setdefault(inv.k, [0, 0, 0, 0])
        row[0] += len(inv.items)
        row[1] += items_right(inv, lines)
        row[2] += items_right(inv, rec.lines)
        row[3] += 1
        templates.setdefault(c.number, template_of(c))  # the clerk writes it after the first invoice
    return [{"k": k, "docs": r[3], "items": r[0], "exact": r[1] / r[0], "base_exact": r[2] / r[0]}
            for k, r in sorted(by_k.items())]


def table(rows: list[dict[str, float | int]]) -> str:
    out = ["k   docs  items  line references exact  | base extractor alone",
           "--  ----  -----  ---------------------  | --------------------"]
    for r in rows:
        out.append(f"{r['k']:<3} {r['docs']:<5} {r['items']:<6} {r['exact']:>21.1%}  | {r['base_exact']:>20.1%}")
    later = [r for r in rows if int(r["k"]) >= 2]
    items = sum(int(r["items"]) for r in later)
    exact = sum(float(r["exact"]) * int(r["items"]) for r in later)
    out.append(f"from the 2nd collective invoice on: {exact / max(1, items):.1%} of items with their references exact")
    return "\n".join(out)
