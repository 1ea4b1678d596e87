"""A layout zoo: invoices from a few hundred templates combined from how business invoices look.

A template combines, each drawn independently: the language (German, English, French, some Dutch,
Italian, Spanish) and one label out of that language's vocabulary for every field; the letterhead
(left, right, centred, a dark band, brand above the legal name); the address window (DIN 5008 left with
a sender line, or right as in France and Switzerland); where number and date stand (label-value pairs
beside the window, under the title, a grid of labels above values, in the title line "Rechnung Nr. … vom
…", "Invoice 4711", or in a side column); the table (ruled grid, header rules, zebra rows, no rules; an
optional VAT-rate column; a line-total column headed "Total", "Nettobetrag" or "Warenwert" that is not the
sum); the totals block (right, full width, boxed, or as columns: net, tax and gross as a row of headings over
a row of values, the per-rate breakdown as a small table; discounts and charges, the EN 16931 "total of
charges 0,00" lines, prepaid amounts and a payable amount); the footer (columns, one
line, a side column) with bank, VAT ID and registry data; font; amount notation (1.234,56 · 1,234.56 ·
1 234,56 · 1'234.56, symbol or code before or after, or in a header note only) and date notation.
Templates also choose distractors: delivery, order and print dates, customer and order numbers, the
buyer's VAT ID, page totals and carry-overs on multi-page invoices, a foreign-currency note, share
capital.

Documents are invoices, partial and final invoices (final: prepaid deducted, payable < gross), credit
notes (amounts printed positive, as EN 16931 has them) and corrections. Some are long and run over
several pages. Truth follows EN 16931: net = line sum − allowances + charges (BT-109), tax (BT-110),
gross = net + tax (BT-112) whatever is prepaid.

Templates come from two disjoint pools: the development seed draws from the development pool, every
other seed from the held-out pool, so held-out documents also have layouts nobody tuned on.

``python -m bench.recognition.zoo --out DIR --count N --seed S``
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4

from bench.recognition import truthfile, world
from bench.recognition.pdfdraw import FAMILIES, Page

TEMPLATES = 300
"""Templates per pool (development and held-out)."""
W, H = A4
KINDS = ("invoice", "partial", "final", "credit_note", "correction")
_KIND_WEIGHTS = (0.6, 0.08, 0.1, 0.14, 0.08)
_ITEMS = {
    "de": ["Beratung (Stunden)", "Wartung Heizungsanlage", "Kopierpapier A4, 80 g", "Toner schwarz", "Montage vor Ort",
           "Fahrtkosten pauschal", "Softwarelizenz 12 Monate", "Lieferung Europaletten", "Reinigung Büroflächen",
           "Schrauben M8 x 40 (100 Stk.)", "Kabelkanal 2 m", "Projektleitung", "Druck Flyer DIN A5",
           "Stahlträger HEB 200", "Support-Pauschale", "Entsorgung Altgeräte"],
    "en": ["Consulting (hours)", "Annual maintenance", "Copy paper A4 80gsm", "Black toner cartridge",
           "On-site installation", "Travel expenses", "Software licence 12 months", "Pallet delivery",
           "Office cleaning", "Bolts M8 x 40 (box of 100)", "Project management", "Printing A5 flyers",
           "Support package", "Disposal of old equipment", "Cable tray 2 m"],
    "fr": ["Prestation de conseil (heures)", "Maintenance annuelle", "Ramette papier A4 80 g", "Cartouche toner noir",
           "Installation sur site", "Frais de déplacement", "Licence logiciel 12 mois", "Livraison palettes",
           "Nettoyage des bureaux", "Vis M8 x 40 (boîte de 100)", "Gestion de projet", "Impression flyers A5"],
    "nl": ["Advieswerk (uren)", "Onderhoud installatie", "Kopieerpapier A4", "Montage op locatie", "Reiskosten"],
    "it": ["Consulenza (ore)", "Manutenzione annuale", "Carta A4 80 g", "Installazione in loco", "Spese di trasferta"],
    "es": ["Consultoría (horas)", "Mantenimiento anual", "Papel A4 80 g", "Instalación in situ", "Gastos de viaje"],
}  # fmt: skip
_REVERSE_CHARGE = {"de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge)",
                   "en": "Reverse charge: VAT to be accounted for by the recipient",
                   "fr": "Autoliquidation - TVA due par le preneur", "nl": "Btw verlegd",
                   "it": "Inversione contabile", "es": "Inversión del sujeto pasivo"}  # fmt: skip


@dataclass(frozen=True)
class Template:
    name: str
    lang: str
    font: str
    letterhead: str
    window: str
    info: str
    table: str
    totals: str
    footer: str
    number_style: str
    date_style: str
    currency_style: str
    labels: dict[str, str]
    distractors: frozenset[str]
    tax_column: bool
    pos_column: bool
    iban_grouped: bool
    vat_in_header: bool
    en16931_zero_lines: bool
    rate_after_label: bool
    base_size: float


def _label(rng: random.Random, lang: str, key: str) -> str:
    return rng.choice(world.LABELS[lang][key])


def template(part: str, index: int) -> Template:
    rng = random.Random(f"zoo-template-{part}-{index}")
    lang = rng.choices(world.LANGS, [0.38, 0.27, 0.23, 0.04, 0.04, 0.04])[0]
    labels = {key: _label(rng, lang, key) for key in world.LABELS[lang]}
    distractors = frozenset(d for d in ("delivery", "order_date", "print_date", "customer", "order", "buyer_vat",
                                        "fx_note", "capital", "ship_to", "carry", "page_total")
                            if rng.random() < 0.35)  # fmt: skip
    window = rng.choice(["left", "left", "right"] if lang in ("fr", "it") else ["left", "left", "left", "right"])
    info = rng.choice(["pairs_right", "pairs_below", "grid", "title_line", "sidebar"])
    if info == "sidebar":
        window = "left"
    currency_style = rng.choice(["suffix_symbol", "suffix_code", "prefix_symbol", "prefix_code", "none"])
    if lang == "en":
        currency_style = rng.choice(["prefix_symbol", "prefix_symbol", "prefix_code", "suffix_code", "none"])
    font = rng.choice(FAMILIES)
    number_style = rng.choice(world.LANG_NUMBER_STYLES[lang])
    if number_style == "fr" and not font.startswith("DejaVu"):
        number_style = "fr_space"  # the PDF standard fonts have no narrow no-break space
    totals = rng.choice(["right", "right", "wide", "boxed"])
    # drawn on its own, so that adding the style left every other template as it was
    if random.Random(f"zoo-totals-{part}-{index}").random() < 0.2:
        totals = "columns"
    return Template(
        name=f"zoo-{part[:3]}-{index:03d}", lang=lang, font=font,
        letterhead=rng.choice(["left", "right", "center", "band", "brand"]),
        window=window, info=info,
        table=rng.choice(["grid", "header_rule", "zebra", "plain"]),
        totals=totals,
        footer=rng.choice(["columns", "columns", "line", "block"]),
        number_style=number_style,
        date_style=rng.choice(world.DATE_STYLES[lang]), currency_style=currency_style, labels=labels,
        distractors=distractors, tax_column=rng.random() < 0.3, pos_column=rng.random() < 0.7,
        iban_grouped=rng.random() < 0.6, vat_in_header=rng.random() < 0.35,
        en16931_zero_lines=rng.random() < 0.2, rate_after_label=rng.random() < 0.7,
        base_size=rng.choice([8.0, 8.5, 9.0, 9.5]),
    )  # fmt: skip


@dataclass
class Item:
    description: str
    quantity: Decimal
    unit_price: Decimal
    rate: Decimal

    @property
    def net(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(world.CENT, ROUND_HALF_UP)


@dataclass
class Invoice:
    stem: str
    tpl: Template
    kind: str
    number: str
    issued: date
    due: date | None
    terms_days: int
    delivered: date
    ordered: date
    printed: date
    currency: str
    seller: world.Company
    buyer: world.Company
    buyer_vat: str | None
    customer_no: str
    order_no: str
    items: list[Item] = field(default_factory=list)
    allowance: Decimal = Decimal(0)
    allowance_pct: Decimal = Decimal(0)
    charge: Decimal = Decimal(0)
    prepaid: Decimal = Decimal(0)
    reverse_charge: bool = False
    original_number: str = ""
    original_date: date | None = None
    fx_rate: Decimal = Decimal(0)
    fx_currency: str = ""
    print_terms: bool = True
    """Payment terms in days are printed when no due date is (a due date then follows from them)."""

    @property
    def lines_sum(self) -> Decimal:
        return sum((it.net for it in self.items), Decimal(0))

    def bases(self) -> dict[Decimal, Decimal]:
        """Taxable amount per rate; allowance and charge fall on the first line's rate."""
        out: dict[Decimal, Decimal] = {}
        for it in self.items:
            out[it.rate] = out.get(it.rate, Decimal(0)) + it.net
        first = self.items[0].rate
        out[first] += self.charge - self.allowance
        return out

    def taxes(self) -> dict[Decimal, Decimal]:
        return {r: (b * r / 100).quantize(world.CENT, ROUND_HALF_UP) for r, b in self.bases().items()}

    @property
    def net(self) -> Decimal:
        return self.lines_sum - self.allowance + self.charge

    @property
    def tax(self) -> Decimal:
        return sum(self.taxes().values(), Decimal(0))

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax

    @property
    def payable(self) -> Decimal:
        return self.gross - self.prepaid


def _number(rng: random.Random, issued: date, lang: str, kind: str) -> str:
    n = rng.randrange(1, 99999)
    prefix = {"credit_note": rng.choice(["GS", "CN", "AV", "G"]), "correction": rng.choice(["RK", "KR", "RE"])}.get(
        kind, {"de": rng.choice(["RE", "R", "RG"]), "fr": rng.choice(["FA", "F", "FAC"]), "en": "INV"}.get(lang, "F")
    )
    return rng.choice([
        f"{prefix}-{issued:%Y}-{n:05d}", f"{issued:%Y}-{n:04d}", f"{n}", f"{prefix}{issued:%Y}{n:05d}",
        f"{prefix}{issued:%y}/{n:04d}", f"{n:05d}/{issued:%y}", f"{issued:%y}{n:06d}", f"{prefix}-{n:06d}",
        f"{issued:%Y}/{n:05d}", f"{prefix}{issued:%y}{issued:%m}-{n % 1000:03d}",
    ])  # fmt: skip


def build(index: int, seed: int, part: str) -> Invoice:
    rng = random.Random(f"zoo-doc-{seed}-{index}")
    tpl = template(part, rng.randrange(TEMPLATES))
    lang = tpl.lang
    country = rng.choice(world.LANG_COUNTRIES[lang])
    c = world.COUNTRIES[country]
    kind = rng.choices(KINDS, _KIND_WEIGHTS)[0]
    issued = date(2019, 1, 1) + timedelta(days=rng.randrange(0, 2400))
    terms = rng.choice([7, 10, 14, 14, 30, 30, 45, 60])
    due_mode = rng.choices(["absent", "date", "terms"], [0.3, 0.45, 0.25])[0]
    currency = c.currency
    if rng.random() < 0.08:
        currency = rng.choice(["EUR", "USD", "GBP", "CHF"])
    seller = world.company(rng, country, lang)
    buyer_country = country if rng.random() < 0.8 else rng.choice(list(world.COUNTRIES))
    buyer = world.company(rng, buyer_country, lang)
    inv = Invoice(
        stem=f"zoo-{seed}-{index + 1:05d}", tpl=tpl, kind=kind, number=_number(rng, issued, lang, kind),
        issued=issued, due=issued + timedelta(days=terms) if due_mode == "date" else None, terms_days=terms,
        delivered=issued - timedelta(days=rng.randrange(1, 25)), ordered=issued - timedelta(days=rng.randrange(26, 60)),
        printed=issued + timedelta(days=rng.randrange(1, 9)), currency=currency, seller=seller, buyer=buyer,
        buyer_vat=buyer.vat_id if "buyer_vat" in tpl.distractors else None,
        customer_no=str(rng.randrange(10000, 999999)),
        order_no=f"{rng.choice(['PO', 'B', 'A', ''])}{rng.randrange(10**5, 10**7)}",
    )  # fmt: skip
    inv.fx_currency = "" if "fx_note" not in tpl.distractors else ("USD" if currency != "USD" else "EUR")
    inv.fx_rate = Decimal(rng.randrange(80, 140)) / 100
    long = rng.random() < 0.12
    count = rng.randint(28, 70) if long else rng.randint(1, 9)
    rates = list(c.tax_rates)
    two_rates = len(rates) > 1 and rng.random() < 0.3
    inv.reverse_charge = rng.random() < 0.05
    for _ in range(count):
        rate = rng.choice(rates[:2]) if two_rates else rates[0]
        if inv.reverse_charge:
            rate = Decimal(0)
        qty = Decimal(rng.choice([1, 1, 1, 2, 3, 5, 10, 12, 25, 40])) if rng.random() < 0.85 else (
            Decimal(rng.randrange(5, 400)) / 4)  # fmt: skip
        unit = Decimal(rng.randrange(100, 250000 if rng.random() < 0.8 else 2500000)) / 100
        inv.items.append(Item(rng.choice(_ITEMS[lang]), qty, unit, rate))
    if rng.random() < 0.2:
        inv.allowance_pct = Decimal(rng.choice([2, 3, 5, 10]))
        inv.allowance = (inv.lines_sum * inv.allowance_pct / 100).quantize(world.CENT, ROUND_HALF_UP)
    if rng.random() < 0.15:
        inv.charge = Decimal(rng.randrange(500, 9900)) / 100
    if kind == "final":
        inv.prepaid = (inv.gross * Decimal(rng.choice([30, 40, 50, 60])) / 100).quantize(world.CENT, ROUND_HALF_UP)
    if kind in ("credit_note", "correction"):
        inv.original_number = _number(rng, issued - timedelta(days=30), lang, "invoice")
        inv.original_date = issued - timedelta(days=rng.randrange(10, 90))
    return inv


# --- drawing ---------------------------------------------------------------------------------------


class Draw:
    def __init__(self, inv: Invoice, path: Path, rng: random.Random, pages: int | None = None) -> None:
        self.inv, self.tpl, self.rng, self.pages_total = inv, inv.tpl, rng, pages
        self.page = Page(path, A4, inv.tpl.font, title=self.title())
        self.lb = inv.tpl.labels
        self.size = inv.tpl.base_size
        self.footer_top = H - 70.0
        self.line_currency = inv.tpl.currency_style != "none" and rng.random() < 0.3

    # formatting -------------------------------------------------------------------------------------
    def d(self, value: date) -> str:
        return world.fmt_date(value, self.tpl.date_style, self.tpl.lang)

    def n(self, value: Decimal) -> str:
        return world.fmt_number(value, self.tpl.number_style)

    def a(self, value: Decimal) -> str:
        style = self.tpl.currency_style
        return world.fmt_amount(value, self.tpl.number_style, self.inv.currency, style)

    def title(self) -> str:
        kind = self.inv.kind
        key = {"partial": "title_partial", "final": "title_final", "credit_note": "title_credit_note",
               "correction": "title_correction"}.get(kind, "title_invoice")  # fmt: skip
        return self.tpl.labels[key]

    def number_label(self) -> str:
        return self.lb["number_credit_note"] if self.inv.kind == "credit_note" else self.lb["number"]

    def colon(self, label: str) -> str:
        if label.endswith(("#", ":")):
            return label
        return f"{label} :" if self.tpl.lang == "fr" and self.rng.random() < 0.5 else f"{label}:"

    def iban(self) -> str:
        return world.group4(self.inv.seller.iban) if self.tpl.iban_grouped else self.inv.seller.iban

    # sections -----------------------------------------------------------------------------------------
    def letterhead(self) -> float:
        p, s, t = self.page, self.inv.seller, self.tpl
        lines = s.address_lines(t.lang, with_country=s.country != self.inv.buyer.country)
        contact = [x for x in (f"{self.lb['phone']} {s.phone}" if s.phone else "", s.email) if x]
        if t.vat_in_header and s.vat_id:
            contact.append(f"{self.lb['vat_id']} {world.vat_printed(s.vat_id, self.rng)}")
        if t.letterhead == "band":
            p.box(0, 0, W, 70, fill=0.25, stroke=False)
            p.text(40, 38, s.name, 16, bold=True, grey=1.0)
            p.text(40, 56, " · ".join(x for x in [*lines, s.phone] if x), 7.5, grey=1.0)
            if t.vat_in_header and s.vat_id:
                p.text(W - 40, 56, contact[-1], 7.5, grey=1.0, align="right")
            return 90
        if t.letterhead == "brand":
            p.text(50, 50, s.short.upper(), 24, bold=True)
            p.text(50, 64, s.name, 8)
            for i, row in enumerate([*lines, *contact]):
                p.text(W - 50, 40 + i * 10, row, 7.5, align="right")
            return 100
        x, align = {"left": (50, "left"), "right": (W - 50, "right"), "center": (W / 2, "center")}[t.letterhead]
        size = 14.0
        while p.width_of(s.name, size, bold=True) > 300:
            size -= 0.5
        p.text(x, 50, s.name, size, bold=True, align=align)
        rows = [" · ".join(lines), " · ".join(contact)] if t.letterhead == "center" else [*lines, *contact]
        for i, row in enumerate(rows):
            p.text(x, 64 + i * 10, row, 7.5, align=align)
        return 70 + len(rows) * 10

    def window(self, top: float) -> tuple[float, float]:
        """Draws the address window; returns (x of the other column, bottom)."""
        p, s, b, t = self.page, self.inv.seller, self.inv.buyer, self.tpl
        x = 57.0 if t.window == "left" else 320.0
        y = max(top, 127.0)
        if t.window == "left" or self.rng.random() < 0.5:
            p.text(x, y, f"{s.name} · {s.street} · {s.postal_code} {s.city}", 6)
        y += 14
        if "ship_to" in t.distractors or self.rng.random() < 0.2:
            p.text(x, y, self.lb["bill_to"], 7, bold=True)
            y += 11
        rows = [b.name, *b.address_lines(t.lang, with_country=b.country != s.country)]
        if self.rng.random() < 0.4:
            attn = {"de": "z. Hd. Buchhaltung", "fr": "À l’attention du service comptabilité"}.get(
                t.lang, "Attn. Accounts Payable"
            )
            rows.insert(1, attn)
        for row in rows:
            p.text(x, y, row, 10 if t.base_size > 8.5 else 9)
            y += 12
        if "ship_to" in t.distractors:
            sx = x + 150 if t.window == "left" else x - 220
            p.text(sx, max(top, 127.0) + 14, self.lb["ship_to"], 7, bold=True)
            for i, row in enumerate([f"{self.inv.buyer.short} {self.rng.choice(['Lager', 'Warehouse', 'Dépôt'])}",
                                     self.inv.buyer.street, f"{b.postal_code} {b.city}"]):  # fmt: skip
                p.text(sx, max(top, 127.0) + 26 + i * 11, row, 8)
        other = 330.0 if t.window == "left" else 57.0
        return other, y

    def pairs(self) -> list[tuple[str, str]]:
        inv, lb, t = self.inv, self.lb, self.tpl
        out = [(self.number_label(), inv.number), (lb["date"], self.d(inv.issued))]
        extras: list[tuple[str, str]] = []
        if "customer" in t.distractors:
            extras.append((lb["customer"], inv.customer_no))
        if "order" in t.distractors:
            extras.append((lb["order"], inv.order_no))
        if "delivery" in t.distractors:
            extras.append((lb["delivery"], self.d(inv.delivered)))
        if "order_date" in t.distractors:
            extras.append((lb["order_date"], self.d(inv.ordered)))
        if "print_date" in t.distractors:
            extras.append((lb["print_date"], self.d(inv.printed)))
        if inv.buyer_vat:
            extras.append((lb["buyer_vat"], world.vat_printed(inv.buyer_vat, self.rng)))
        if inv.due:
            extras.append((lb["due"], self.d(inv.due)))
        self.rng.shuffle(extras)
        return self.rng.choice([out + extras, extras[:1] + out + extras[1:], out[::-1] + extras])

    def header(self) -> float:
        """Letterhead, window, number, date and title; returns where the body starts."""
        p, t, inv = self.page, self.tpl, self.inv
        top = self.letterhead()
        other, bottom = self.window(top)
        title = self.title()
        pairs = self.pairs()
        y = max(bottom, 230.0) + 18
        if t.info == "pairs_right":
            yy = max(top, 135.0)
            for i, (label, value) in enumerate(pairs):
                p.text(other + 40, yy + i * 12, self.colon(label), self.size)
                p.text(other + 150, yy + i * 12, value, self.size, bold=i == 0 and self.rng.random() < 0.3)
            y = max(y, yy + len(pairs) * 12 + 20)
            p.text(57, y, title, 15, bold=True)
            y += 22
        elif t.info == "pairs_below":
            p.text(57, y, title, 16, bold=True)
            y += 18
            for label, value in pairs:
                p.text(57, y, f"{label} {value}" if label.endswith("#") else f"{self.colon(label)} {value}", self.size)
                y += 12
            y += 8
        elif t.info == "grid":
            p.text(57, y, title, 17, bold=True)
            y += 22
            cells = pairs[:5]
            step = (W - 114) / len(cells)
            for i, (label, value) in enumerate(cells):
                p.text(57 + i * step, y, label, 7, grey=0.35)
                p.text(57 + i * step, y + 12, value, self.size + 0.5)
            if t.table != "plain":
                p.rule(57, W - 57, y + 17, 0.3)
            y += 30
            for label, value in pairs[5:]:
                p.text(57, y, f"{self.colon(label)} {value}", self.size)
                y += 12
            y += 6
        elif t.info == "title_line":
            lang = t.lang
            vom = {"de": "vom", "en": "dated", "fr": "du", "nl": "van", "it": "del", "es": "de"}[lang]
            word = title if title[0].isupper() and not title.isupper() else title.capitalize()
            style = self.rng.choice(["nr_vom", "hash", "plain", "nr"])
            nr = {"de": "Nr.", "en": "No.", "fr": "n°", "nl": "nr.", "it": "n.", "es": "n.º"}[lang]
            line = {"nr_vom": f"{word} {nr} {inv.number} {vom} {self.d(inv.issued)}", "hash": f"{word} # {inv.number}",
                    "plain": f"{word} {inv.number}", "nr": f"{word} {nr} {inv.number}"}[style]  # fmt: skip
            p.text(57, y, line, 14, bold=True)
            y += 18
            if style != "nr_vom":
                p.text(57, y, f"{self.colon(self.lb['date'])} {self.d(inv.issued)}", self.size)
                y += 12
            for label, value in pairs:
                if label in (self.number_label(), self.lb["date"]):
                    continue  # already in the title line
                p.text(57, y, f"{self.colon(label)} {value}", self.size)
                y += 12
            y += 8
        else:  # sidebar: pairs as label above value at the right edge, title on the left
            yy = max(top, 130.0)
            for label, value in pairs:
                p.text(W - 150, yy, label, 7, bold=True)
                p.text(W - 150, yy + 10, value, self.size)
                yy += 24
            y = max(y, yy) + 6
            p.text(57, y, title.upper() if self.rng.random() < 0.5 else title, 15, bold=True)
            y += 22
        if inv.kind in ("credit_note", "correction") and inv.original_date:
            ref = self.rng.choice(world.LABELS[t.lang]["reference"])
            p.text(57, y, ref.format(number=inv.original_number, date=self.d(inv.original_date)), self.size)
            y += 14
        if t.currency_style == "none":
            note = {"de": "Alle Beträge in", "en": "All amounts in", "fr": "Montants exprimés en", "nl": "Bedragen in",
                    "it": "Importi in", "es": "Importes en"}[t.lang]  # fmt: skip
            p.text(57, y, f"{note} {inv.currency}", self.size - 1)
            y += 12
        if self.rng.random() < 0.5:
            p.text(57, y + 2, self.lb["intro"], self.size)
            y += 16
        return y + 6

    def footer(self, page_no: int, pages: int | None) -> None:
        p, s, t, lb = self.page, self.inv.seller, self.tpl, self.lb
        vat = world.vat_printed(s.vat_id, self.rng)
        if pages is not None:
            text = f"{lb['page']} {page_no} {lb['page_of']} {pages}"
            p.text(W - 50, 30, text, 7, align="right")
        capital = ""
        if "capital" in t.distractors:
            share = Decimal(self.rng.choice([25000, 50000, 100000]))
            capital = f"{lb['capital']} {world.fmt_amount(share, t.number_style, 'EUR', 'suffix_symbol')}"
        if t.footer == "line":
            bank = [
                f"{lb['bank']}: {s.bank}" if s.bank else "",
                f"IBAN {self.iban()}" if s.iban else "",
                f"BIC {s.bic}" if s.bic else "",
                f"{lb['vat_id']} {vat}" if s.vat_id else "",
                capital,
            ]
            rows = [" · ".join(x for x in (s.name, s.street, f"{s.postal_code} {s.city}", s.register) if x),
                    " · ".join(x for x in bank if x)]  # fmt: skip
            for i, row in enumerate(rows):
                for j, part in enumerate(p.wrap(row, 6.5, W - 100)):
                    p.text(W / 2, H - 50 + i * 16 + j * 8, part, 6.5, align="center")
            return
        cols = [
            [s.name, s.street, f"{s.postal_code} {s.city}", f"{lb['phone']} {s.phone}" if s.phone else ""],
            [lb["bank"], s.bank, f"IBAN {self.iban()}" if s.iban else "", f"BIC {s.bic}" if s.bic else ""],
            [f"{lb['vat_id']} {vat}" if s.vat_id else "", s.register,
             f"{lb['managing']}: {s.manager}" if s.manager else "", capital],
        ]  # fmt: skip
        if t.footer == "block":
            y = H - 72
            p.rule(50, W - 50, y - 10, 0.3)
            for i, col in enumerate(cols):
                p.text(50, y + i * 9, " | ".join(c for c in col if c), 6.5)
            return
        p.rule(50, W - 50, self.footer_top - 2, 0.3)
        width = (W - 100) / 3
        for i, col in enumerate(cols):
            for j, row in enumerate(c for c in col if c):
                size = 6.5
                while p.width_of(row, size) > width - 6 and size > 4.5:
                    size -= 0.25
                p.text(50 + i * width, self.footer_top + 9 + j * 8.5, row, size)

    def columns(self) -> list[tuple[str, float, str]]:
        """(header, right or left x, align) per column."""
        t, lb = self.tpl, self.lb
        cols: list[tuple[str, float, str]] = []
        if t.pos_column:
            cols.append((lb["h_pos"], 57, "left"))
        cols.append((lb["h_desc"], 85 if t.pos_column else 57, "left"))
        cols.append((lb["h_qty"], 345, "right"))
        cols.append((lb["h_unit"], 420, "right"))
        if t.tax_column:
            cols.append((lb["h_rate"], 465, "right"))
        cols.append((lb["h_total"], W - 57, "right"))
        return cols

    def table_head(self, y: float) -> float:
        p, t = self.page, self.tpl
        if t.table == "zebra":
            p.box(55, y - 11, W - 110, 15, fill=0.85, stroke=False)
        for name, x, align in self.columns():
            p.text(x, y, name, self.size, bold=True, align=align)
        if t.table in ("grid", "header_rule"):
            p.rule(55, W - 55, y + 4, 0.6)
        return y + 17

    def table_row(self, y: float, pos: int, it: Item) -> float:
        p, t = self.page, self.tpl
        values = []
        if t.pos_column:
            values.append(str(pos))
        desc_width = 345 - 60 - (85 if t.pos_column else 57)
        desc = p.wrap(it.description, self.size, desc_width)
        values.append(desc[0])
        qty = it.quantity.normalize()
        values.append(self.n(it.quantity) if qty != qty.to_integral() else f"{qty:f}")
        values.append(self.n(it.unit_price))
        if t.tax_column:
            values.append(f"{self.n(it.rate).rstrip('0').rstrip(',.')} %")
        values.append(self.a(it.net) if self.line_currency else self.n(it.net))
        if t.table == "zebra" and pos % 2 == 0:
            p.box(55, y - 10, W - 110, 14, fill=0.93, stroke=False)
        for (_, x, align), value in zip(self.columns(), values, strict=True):
            p.text(x, y, value, self.size, align=align)
        for extra in desc[1:]:
            y += self.size + 2
            p.text(85 if t.pos_column else 57, y, extra, self.size)
        if t.table == "grid":
            p.rule(55, W - 55, y + 5, 0.2, grey=0.5)
        return y + self.size + 6

    def totals_rows(self) -> list[tuple[str, Decimal | None, bool]]:
        inv, lb, t = self.inv, self.lb, self.tpl
        rows: list[tuple[str, Decimal | None, bool]] = []
        if inv.allowance or inv.charge:
            rows.append((lb["lines_sum"], inv.lines_sum, False))
            if inv.allowance:
                pct = self.n(inv.allowance_pct).rstrip("0").rstrip(",.")
                label = f"{lb['discount']} {pct} %" if inv.allowance_pct else lb["discount"]
                rows.append((label, -inv.allowance, False))
            if inv.charge:
                rows.append((lb["charge"], inv.charge, False))
        if t.en16931_zero_lines:
            rows.append((lb["allowances_total"], inv.allowance, False))
            rows.append((lb["charges_total"], inv.charge, False))
        rows.append((lb["net"], inv.net, False))
        taxes, bases = inv.taxes(), inv.bases()
        for rate in sorted(taxes, reverse=True):
            rate_text = f"{self.n(rate).rstrip('0').rstrip(',.')} %"
            if inv.reverse_charge:
                rows.append((f"{lb['tax']} 0 %", Decimal(0), False))
                continue
            label = f"{lb['tax']} {rate_text}" if t.rate_after_label else f"{rate_text} {lb['tax']}"
            if len(taxes) > 1 and self.rng.random() < 0.5:
                label += f" ({self.n(bases[rate])})" if t.lang != "de" else f" auf {self.n(bases[rate])}"
            rows.append((label, taxes[rate], False))
        if len(taxes) > 1:
            rows.append((lb["tax_total"], inv.tax, False))
        if inv.prepaid:
            rows.append((lb["gross"], inv.gross, False))
            rows.append((lb["prepaid"], -inv.prepaid, False))
            rows.append((lb["payable"], inv.payable, True))
        else:
            label = lb["gross"] if self.rng.random() < 0.75 else lb["payable"]
            rows.append((label, inv.gross, True))
        return rows

    def totals_columns(self, y: float) -> float:
        """Net, tax and gross as a row of headings over a row of values (each heading right above its value),
        the tax per rate as a small table above them, prepaid and payable as rows below."""
        p, inv, lb = self.page, self.inv, self.lb
        rows = self.totals_rows()
        net_at = next(i for i, (label, _, _) in enumerate(rows) if label == lb["net"])
        for label, value, _ in rows[:net_at]:  # line sum, allowances and charges before the net
            p.text(330, y, label, self.size)
            p.text(W - 57, y, self.a(value) if value is not None else "", self.size, align="right")
            y += 14
        taxes, bases = inv.taxes(), inv.bases()
        if len(taxes) > 1 or self.rng.random() < 0.5:
            p.text(250, y, lb["tax"], self.size - 0.5, bold=True)
            p.text(420, y, lb["net"], self.size - 0.5, bold=True, align="right")
            p.text(W - 57, y, lb["tax"], self.size - 0.5, bold=True, align="right")
            y += 12
            for rate in sorted(taxes, reverse=True):
                p.text(250, y, f"{self.n(rate).rstrip('0').rstrip(',.')} %", self.size - 0.5)
                p.text(420, y, self.n(bases[rate]), self.size - 0.5, align="right")
                p.text(W - 57, y, self.n(taxes[rate]), self.size - 0.5, align="right")
                y += 12
            y += 6
        cells = [(lb["net"], inv.net), (lb["tax_total"] if len(taxes) > 1 else lb["tax"], inv.tax),
                 (lb["gross"], inv.gross)]  # fmt: skip
        heads: list[tuple[str, Decimal, float]] = []
        right = W - 57
        for label, value in reversed(cells):  # each column as wide as its heading or its value, 14 pt apart
            heads.insert(0, (label, value, right))
            right -= 14 + max(p.width_of(label, self.size, bold=True), p.width_of(self.a(value), self.size))
        for label, _, right in heads:
            p.text(right, y, label, self.size, bold=True, align="right")
        y += 14
        for _, value, right in heads:
            p.text(right, y, self.a(value), self.size, align="right")
        y += 18
        if inv.prepaid:
            for label, value, bold in ((lb["prepaid"], -inv.prepaid, False), (lb["payable"], inv.payable, True)):
                p.text(330, y, label, self.size + (1 if bold else 0), bold=bold)
                p.text(W - 57, y, self.a(value), self.size + (1 if bold else 0), bold=bold, align="right")
                y += 14
        elif self.rng.random() < 0.5:
            p.text(330, y, lb["payable"], self.size + 1, bold=True)
            p.text(W - 57, y, self.a(inv.payable), self.size + 1, bold=True, align="right")
            y += 14
        return y

    def totals(self, y: float) -> float:
        p, t = self.page, self.tpl
        if t.totals == "columns":
            return self.totals_columns(y)
        rows = self.totals_rows()
        label_x = {"right": 330.0, "wide": 57.0, "boxed": 320.0}[t.totals]
        if t.totals == "boxed":
            p.box(label_x - 8, y - 12, W - 57 - label_x + 14, len(rows) * 14 + 8)
        for label, value, bold in rows:
            if bold and t.totals != "boxed":
                p.rule(label_x, W - 57, y - 10, 0.6)
            p.text(label_x, y, label, self.size + (1 if bold else 0), bold=bold)
            if value is not None:
                p.text(W - 57 - (6 if t.totals == "boxed" else 0), y, self.a(value), self.size + (1 if bold else 0),
                       bold=bold, align="right")  # fmt: skip
            y += 14
        return y

    def after_totals(self, y: float) -> float:
        p, inv, t, lb = self.page, self.inv, self.tpl, self.lb
        y += 8
        if inv.reverse_charge:
            p.text(57, y, _REVERSE_CHARGE[t.lang], self.size)
            y += 12
        if inv.fx_currency:
            other = (inv.gross * inv.fx_rate).quantize(world.CENT, ROUND_HALF_UP)
            amount = world.fmt_amount(other, t.number_style, inv.fx_currency, "prefix_code")
            note = self.rng.choice(world.LABELS[t.lang]["fx_note"])
            p.text(57, y, note.format(amount=amount, rate=self.n(inv.fx_rate).rstrip("0")), self.size - 0.5)
            y += 12
        if inv.due is None and not inv.print_terms:
            pass
        elif inv.due is None:
            p.text(57, y, lb["terms"].format(days=inv.terms_days), self.size)
        else:
            due_word = lb["due"]
            p.text(57, y, f"{self.colon(due_word)} {self.d(inv.due)}" if t.info == "title_line" else
                   lb["terms"].format(days=inv.terms_days), self.size)  # fmt: skip
        y += 12
        p.text(57, y, lb["thanks"], self.size)
        return y + 12

    def draw(self) -> int:
        inv, p, t = self.inv, self.page, self.tpl
        y = self.header()
        limit = self.footer_top - 24
        pages_estimate = self.pages_total
        y = self.table_head(y)
        carried = Decimal(0)
        page_sum = Decimal(0)
        page_no = 1
        for pos, it in enumerate(inv.items, start=1):
            if y > limit - 8:
                if "page_total" in t.distractors:
                    p.text(330, y + 2, self.lb["page_total"], self.size, bold=True)
                    p.text(W - 57, y + 2, self.n(page_sum), self.size, align="right")
                    y += 14
                if "carry" in t.distractors:
                    p.text(330, y + 2, self.lb["carry"], self.size, bold=True)
                    p.text(W - 57, y + 2, self.n(carried), self.size, bold=True, align="right")
                self.footer(page_no, pages_estimate)
                p.new_page()
                page_no += 1
                page_sum = Decimal(0)
                p.text(57, 45, f"{inv.seller.name} · {self.title()} {inv.number} · {self.d(inv.issued)}", 7.5)
                y = 80.0
                if "carry" in t.distractors:
                    p.text(330, y, self.lb["carry"], self.size, bold=True)
                    p.text(W - 57, y, self.n(carried), self.size, bold=True, align="right")
                    y += 18
                y = self.table_head(y)
            y = self.table_row(y, pos, it)
            carried += it.net
            page_sum += it.net
        y += 6
        rows_height = len(self.totals_rows()) * 14 + 70
        if y + rows_height > limit:
            self.footer(page_no, pages_estimate)
            p.new_page()
            page_no += 1
            p.text(57, 45, f"{inv.seller.name} · {self.title()} {inv.number}", 7.5)
            y = 90.0
        if t.table != "plain":
            p.rule(55, W - 55, y - 8, 0.6)
        y = self.totals(y + 8)
        self.after_totals(y)
        self.footer(page_no, pages_estimate)
        p.save()
        return p.pages


def truth(inv: Invoice, pages: int, part: str, font: str) -> dict[str, object]:
    s = inv.seller
    doc_type = {"credit_note": "credit_note", "correction": "correction"}.get(inv.kind, "invoice")
    due = inv.due or inv.issued + timedelta(days=inv.terms_days)  # printed as a date or as payment terms
    return {
        "file": f"{inv.stem}.pdf", "set": "zoo", "part": part, "template": inv.tpl.name, "lang": inv.tpl.lang,
        "kind": inv.kind, "font": font, "pages": pages,
        "fields": truthfile.fields(
            invoice_number=inv.number, invoice_date=inv.issued.isoformat(), due_date=due.isoformat(),
            currency=inv.currency, net_amount=truthfile.money(inv.net), tax_amount=truthfile.money(inv.tax),
            gross_amount=truthfile.money(inv.gross), supplier_name=s.name, supplier_street=s.street,
            supplier_postal_code=s.postal_code, supplier_city=s.city, supplier_iban=s.iban, supplier_vat_id=s.vat_id,
            recipient_name=inv.buyer.name, document_type=doc_type,
        ),
        "payable_amount": truthfile.money(inv.payable),
        "lines": [{"position": i, "description": it.description, "quantity": str(it.quantity),
                   "unit_price": str(it.unit_price), "net_amount": str(it.net), "tax_rate": str(it.rate)}
                  for i, it in enumerate(inv.items, start=1)],
    }  # fmt: skip


def generate(out: Path, *, count: int, seed: int) -> list[Path]:
    """Writes ``count`` zoo invoices of the seed's part into ``out``; returns the PDF paths."""
    truthfile.check_count(count)
    part = truthfile.part_of_seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        inv = build(i, seed, part)
        path = out / f"{inv.stem}.pdf"
        drawer = Draw(inv, path, random.Random(f"zoo-draw-{seed}-{i}"))
        pages = drawer.draw()
        if pages > 1:  # again, now that "page 1 of N" can be printed
            drawer = Draw(inv, path, random.Random(f"zoo-draw-{seed}-{i}"), pages)
            pages = drawer.draw()
        truthfile.write(out, inv.stem, truth(inv, pages, part, drawer.page.family))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    truthfile.generator_main(argv, doc=__doc__, generate=generate, count=300, what="zoo invoices")


if __name__ == "__main__":
    main()
