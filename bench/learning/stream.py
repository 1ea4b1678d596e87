"""A stream of invoices from suppliers whose layouts the base extractor has never seen.

Each supplier gets its own layout: invented label words (no language's lexicon knows them), where the values
stand (right of the label, below it, after it in the same cell), its own number shape, date and amount
notation, table columns, and distractors (a customer number, an order date). The IBAN and VAT ID stand in
the footer under the usual labels, as on nearly every real invoice: that is how the supplier is identified.

Varied suppliers (``stream(varied=...)``) add what made learning read worse than the base extractor before:
a prepayment and the amount due under the totals (amount due != gross), a delivery date beside the invoice
date (often the same day), a title "Rechnung Nr. X vom DATE", the lexicon's own labels for some fields (so the
base extractor reads them right), a second layout more often, and an IBAN printed with a typo (invalid) or a
factoring company's IBAN that several suppliers print (shared), with or without their VAT ID.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4

from bench.recognition.pdfdraw import Page
from samples.generate import iban_de, vat_id_de

CENT = Decimal("0.01")
W, H = A4
KEY_FIELDS = ("invoice_number", "invoice_date", "due_date", "net_amount", "tax_amount", "gross_amount")
_SYLLABLES = ("kor", "vam", "tel", "zur", "pli", "ost", "bra", "nek", "sil", "dov", "qua", "rim", "fel", "gos",
              "hap", "lum", "wer", "yst", "ix", "ok", "ul", "em", "ar", "iv")  # fmt: skip
_PLACES = ("Wendholm", "Kirchau", "Lindtal", "Ostermoor", "Falkenried", "Brückstedt", "Hainfeld", "Moorwick")
FACTORING_IBAN = iban_de("50020200", "4711081500")
"""A factoring company's account: the IBAN that the suppliers who sold it their invoices all print."""
_LEXICON = {"invoice_date": "Rechnungsdatum", "net_amount": "Nettobetrag", "tax_amount": "MwSt 19 %",
            "gross_amount": "Gesamtbetrag"}
_DELIVERY = ("Lieferdatum", "Leistungsdatum")
_PREPAID = ("Anzahlung", "abzgl. Anzahlung")
_PAYABLE = ("Zahlbetrag", "Zu zahlen", "Offener Betrag")
QUIRKS = ("prepaid", "delivery", "delivery_first", "title", "title_only", "lexicon", "tax_free", "invalid_iban",
          "shared_iban", "no_vat_id")
_GOODS = ("Palettenstellplatz", "Umfuhr Terminal", "Verzollung Import", "Lagergeld", "Avisierung", "Sackkarre",
          "Kühlcontainer Strom", "Nachlauf LKW", "Dokumentenpauschale", "Wiegegebühr", "Gefahrgutzuschlag")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _label(rng: random.Random) -> str:
    return _word(rng) if rng.random() < 0.6 else f"{_word(rng)} {_word(rng).lower()}"


@dataclass(frozen=True, slots=True)
class Style:
    """One supplier's layout."""

    labels: dict[str, str]
    info: str
    """where the header values stand: right (of the label), below (a row of labels over a row of values),
    same (``Label: value``)"""
    totals: str
    """right or below"""
    number: str
    """the number's shape: a format with {year} and {n}"""
    date_format: str
    german_amounts: bool
    font: str
    info_x: float
    info_y: float
    columns: tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Supplier:
    number: str
    name: str
    street: str
    city: str
    iban: str
    vat_id: str
    style: Style
    second: Style | None = None
    """A second layout some suppliers use for part of their invoices: another office's arrangement of the same
    words."""
    quirks: frozenset[str] = frozenset()
    """what varies on this supplier's invoices (``QUIRKS``)"""
    printed_iban: str | None = None
    """the IBAN its invoices print where it is not ``iban`` (a typo, a factoring company's)"""

    @property
    def prints(self) -> tuple[str, str | None]:
        """The IBAN and VAT ID its invoices print."""
        return self.printed_iban or self.iban, None if "no_vat_id" in self.quirks else self.vat_id


@dataclass(frozen=True, slots=True)
class StreamInvoice:
    supplier: Supplier
    k: int
    """1 for the supplier's first invoice in the stream, 2 for its second ..."""
    truth: dict[str, object]
    lines: list[tuple[str, Decimal, Decimal]]
    customer_number: str
    order_date: date
    style: Style
    """the layout this invoice is printed in (the supplier's first, or its second)"""
    shift: float
    """points the header block moves down on this invoice (a longer address, a reference line)"""
    reference: str | None
    """an optional reference line some invoices carry and others do not"""
    delivered: date | None = None
    """the delivery date printed beside the invoice date (varied suppliers)"""
    prepaid: Decimal | None = None
    """the prepayment printed under the totals, then the amount due (varied suppliers; 0: amount due = gross)"""


def _style(rng: random.Random) -> Style:
    labels = {name: _label(rng) for name in (*KEY_FIELDS, "customer", "order")}
    if len({*labels.values()}) < len(labels):  # two fields with one label would be no layout at all
        return _style(rng)
    prefix = "".join(rng.choice("ABCDEFGHKLMNPRSTVWXZ") for _ in range(rng.randint(1, 3)))
    return Style(
        labels=labels, info=rng.choice(["right", "below", "same"]), totals=rng.choice(["right", "below"]),
        number=rng.choice([f"{prefix}-{{year}}-{{n:05d}}", f"{prefix}{{n:07d}}", f"{{year}}/{prefix}/{{n:04d}}",
                           f"{prefix}.{{n:06d}}"]),
        date_format=rng.choice(["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y"]),
        german_amounts=rng.random() < 0.6, font=rng.choice(["Helvetica", "Times", "DejaVuSans", "Courier"]),
        info_x=rng.choice([330.0, 360.0, 57.0]), info_y=rng.choice([150.0, 175.0]),
        columns=(_word(rng), _word(rng), _word(rng), _word(rng)),
    )


def supplier(i: int, rng: random.Random, *, varied: bool = False) -> Supplier:
    """Supplier ``i`` with its layout; a varied one also with some of ``QUIRKS`` (drawn after the rest, so that
    a supplier that is not varied is the same as ever)."""
    style = _style(rng)
    # another office of the supplier prints the same words in another arrangement, type and number series
    second = replace(style, info=rng.choice(["right", "below", "same"]), totals=rng.choice(["right", "below"]),
                     font=rng.choice(["Helvetica", "Times", "DejaVuSans", "Courier"]),
                     info_x=rng.choice([330.0, 360.0, 57.0]), info_y=rng.choice([150.0, 175.0])
                     ) if rng.random() < 0.2 else None
    name = f"{_word(rng)} {rng.choice(['Logistik', 'Spedition', 'Cargo', 'Zollservice'])} GmbH"
    made = Supplier(number=f"8{i:04d}", name=name, street=f"{_word(rng)}weg {rng.randint(1, 90)}",
                    city=f"{rng.randint(10000, 99999)} {rng.choice(_PLACES)}",
                    iban=iban_de(str(rng.randint(10000000, 99999999)), str(rng.randint(10**8, 10**10 - 1))),
                    vat_id=vat_id_de(str(rng.randint(10**7, 10**8 - 1))), style=style, second=second)
    return _varied(made, rng) if varied else made


def _varied(s: Supplier, rng: random.Random) -> Supplier:
    quirks = {q for q in ("prepaid", "delivery", "title", "lexicon") if rng.random() < 0.5}
    if rng.random() < 0.3:
        quirks.add("tax_free")  # reverse charge on some invoices: no tax, the net is the gross
    if "delivery" in quirks and rng.random() < 0.5:
        quirks.add("delivery_first")  # the delivery date's label stands before the invoice date's
    if "title" in quirks and rng.random() < 0.5:
        quirks.add("title_only")  # the invoice date stands in the title only
    bank = rng.random()
    printed: str | None = None
    iban = s.iban
    if bank < 0.15:
        quirks.add("invalid_iban")  # a typo in the printed IBAN: its check digits fail
        printed = s.iban[:2] + f"{(int(s.iban[2:4]) + 1) % 100:02d}" + s.iban[4:]
    elif bank < 0.35:
        quirks.add("shared_iban")  # sold its invoices: prints (and master data holds) the factoring IBAN
        printed = iban = FACTORING_IBAN
    if rng.random() < 0.3 and "invalid_iban" not in quirks:
        quirks.add("no_vat_id")  # the IBAN is its only printed ID (a typo in it would leave none)
    labels = dict(s.style.labels)
    if "lexicon" in quirks:
        labels.update({name: text for name, text in _LEXICON.items() if rng.random() < 0.7})
    labels["delivery"] = rng.choice(_DELIVERY) if rng.random() < 0.6 else _label(rng)
    labels["prepaid"] = rng.choice(_PREPAID) if rng.random() < 0.6 else _label(rng)
    labels["payable"] = rng.choice(_PAYABLE) if rng.random() < 0.6 else _label(rng)
    if len(set(labels.values())) < len(labels):
        return _varied(s, rng)
    style = replace(s.style, labels=labels)
    second = replace(s.second, labels=labels) if s.second is not None else None
    if second is None and rng.random() < 0.4:
        second = replace(style, info=rng.choice(["right", "below", "same"]), totals=rng.choice(["right", "below"]),
                         info_x=rng.choice([330.0, 360.0, 57.0]), info_y=rng.choice([150.0, 175.0]))
    return replace(s, style=style, second=second, iban=iban, printed_iban=printed, quirks=frozenset(quirks))


def invoice(s: Supplier, k: int, rng: random.Random) -> StreamInvoice:
    style = s.second if s.second is not None and rng.random() < 0.4 else s.style
    issued = date(2024, 1, 1) + timedelta(days=rng.randint(0, 330))
    lines = []
    for _ in range(rng.randint(1, 5)):
        qty = Decimal(rng.randint(1, 12))
        price = (Decimal(rng.randint(500, 90000)) / 100).quantize(CENT)
        lines.append((rng.choice(_GOODS), qty, price))
    net = sum((q * p for _, q, p in lines), Decimal(0)).quantize(CENT)
    tax = (net * Decimal("0.19")).quantize(CENT, rounding=ROUND_HALF_UP)
    truth: dict[str, object] = {
        "invoice_number": style.number.format(year=issued.year, n=rng.randint(1, 9999)),
        "invoice_date": issued, "due_date": issued + timedelta(days=rng.choice([14, 30, 45])),
        "net_amount": net, "tax_amount": tax, "gross_amount": net + tax,
    }
    made = StreamInvoice(supplier=s, k=k, truth=truth, lines=lines,
                         customer_number=f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                         order_date=issued - timedelta(days=rng.randint(1, 20)), style=style,
                         shift=rng.choice([0.0, 0.0, 6.0, 12.0]),
                         reference=f"{_word(rng)} {rng.randint(10000, 99999)}" if rng.random() < 0.3 else None)
    if not s.quirks:
        return made
    if "tax_free" in s.quirks and rng.random() < 0.6:
        made = replace(made, truth={**truth, "tax_amount": Decimal("0.00"), "gross_amount": net})
    delivered = issued - timedelta(days=rng.choice([0, 0, 1, 3, 6])) if "delivery" in s.quirks else None
    prepaid = None
    if "prepaid" in s.quirks:
        share = Decimal(rng.choice(["0.2", "0.3", "0.5"]))
        prepaid = Decimal(0) if rng.random() < 0.5 else (net * share).quantize(CENT)
    return replace(made, delivered=delivered, prepaid=prepaid)


def money(s: Style, value: Decimal) -> str:
    return amount_text(value, german=s.german_amounts)


def amount_text(value: Decimal, *, german: bool) -> str:
    text = f"{value:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) if german else text


def render(inv: StreamInvoice, path: Path) -> None:
    s, st, t = inv.supplier, inv.style, inv.truth
    page = Page(path, A4, st.font, title="")
    lb = st.labels
    page.text(57, 60, s.name, 15, bold=True)
    page.text(57, 76, f"{s.street} · {s.city}", 8)
    issued, due = t["invoice_date"], t["due_date"]
    assert isinstance(issued, date)
    assert isinstance(due, date)
    if "title" in s.quirks:
        page.text(57, 112, f"Rechnung Nr. {t['invoice_number']} vom {issued.strftime(st.date_format)}", 12, bold=True)
    page.text(57, 140, "Hafenkontor Weser GmbH", 10)
    page.text(57, 152, "Am Speicher 3", 10)
    page.text(57, 164, "28195 Bremen", 10)
    if inv.reference is not None:
        page.text(57, 188, inv.reference, 9)
    info = [(lb["invoice_number"], str(t["invoice_number"])), (lb["invoice_date"], issued.strftime(st.date_format)),
            (lb["customer"], inv.customer_number), (lb["order"], inv.order_date.strftime(st.date_format)),
            (lb["due_date"], due.strftime(st.date_format))]
    if "title_only" in s.quirks:
        del info[1]
    if inv.delivered is not None:
        info.insert(1 if "delivery_first" in s.quirks else 2, (lb["delivery"], inv.delivered.strftime(st.date_format)))
    x, y = st.info_x, st.info_y + (90 if st.info_x < 100 else 0) + inv.shift + (14 if inv.reference else 0)
    if st.info == "right":
        for i, (label, value) in enumerate(info):
            page.text(x, y + i * 13, label, 9)
            page.text(x + 105, y + i * 13, value, 9)
        y += len(info) * 13
    elif st.info == "same":
        for i, (label, value) in enumerate(info):
            page.text(x, y + i * 13, f"{label}: {value}", 9)
        y += len(info) * 13
    else:
        # a row of cells, each wide enough that two labels never run together
        x = 40
        y = max(y, 200)
        step = 108 if len(info) <= 5 else 90
        for i, (label, value) in enumerate(info):
            page.text(x + i * step, y, label, 7.5, bold=True)
            page.text(x + i * step, y + 12, value, 9)
        y += 24
    y = max(y, 250) + 20
    cols = (57, 330, 420, 538)
    for name, cx in zip(st.columns, cols, strict=True):
        page.text(cx, y, name, 9, bold=True, align="left" if cx == 57 else "right")
    page.rule(57, 538, y + 4)
    y += 18
    for text, qty, price in inv.lines:
        page.text(57, y, text, 9)
        page.text(330, y, str(qty), 9, align="right")
        page.text(420, y, money(st, price), 9, align="right")
        page.text(538, y, money(st, (qty * price).quantize(CENT)), 9, align="right")
        y += 14
    page.rule(330, 538, y)
    y += 18
    totals = [(lb["net_amount"], t["net_amount"]), (lb["tax_amount"], t["tax_amount"]),
              (lb["gross_amount"], t["gross_amount"])]
    for i, (label, total) in enumerate(totals):
        assert isinstance(total, Decimal)
        if st.totals == "right":
            page.text(330, y + i * 14, label, 9, bold=i == 2)
            page.text(538, y + i * 14, money(st, total), 9, bold=i == 2, align="right")
        else:
            page.text(200 + i * 115, y, label, 7.5, bold=True)
            page.text(200 + i * 115, y + 12, money(st, total), 9)
    if inv.prepaid is not None:
        assert isinstance(t["gross_amount"], Decimal)
        due_rows = [(lb["prepaid"], inv.prepaid), (lb["payable"], t["gross_amount"] - inv.prepaid)]
        for i, (label, total) in enumerate(due_rows):
            if st.totals == "right":
                page.text(330, y + (3 + i) * 14, label, 9)
                page.text(538, y + (3 + i) * 14, money(st, total), 9, align="right")
            else:
                page.text(200 + i * 115, y + 30, label, 7.5, bold=True)
                page.text(200 + i * 115, y + 42, money(st, total), 9)
    iban, vat_id = s.prints
    page.text(57, H - 70, f"{s.name} · {s.street} · {s.city}", 7)
    page.text(57, H - 60, f"IBAN {' '.join(iban[i:i + 4] for i in range(0, len(iban), 4))}"
                          + (f" · USt-IdNr. {vat_id}" if vat_id else ""), 7)
    page.save()


def stream(*, suppliers: int, per_supplier: int, seed: int, varied: float = 0.0) -> list[StreamInvoice]:
    """Every supplier's invoices, shuffled into one stream; ``k`` counts each supplier's invoices in order.
    ``varied``: the share of suppliers with ``QUIRKS`` (every ``round(1 / varied)``-th one)."""
    rng = random.Random(seed)
    every = round(1 / varied) if varied > 0 else 0
    made = [supplier(i, rng, varied=bool(every) and i % every == 0) for i in range(1, suppliers + 1)]
    order = [s for s in made for _ in range(per_supplier)]
    rng.shuffle(order)
    counts: dict[str, int] = {}
    out = []
    for s in order:
        counts[s.number] = counts.get(s.number, 0) + 1
        out.append(invoice(s, counts[s.number], rng))
    return out
