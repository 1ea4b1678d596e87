"""Till receipts, German and English, as thermal printers make them (narrow PDFs; photos via ``scans``).

Merchant name at the top (a brand in capitals, sometimes letter-spaced, the company's legal name only in
the small print), address lines, phone, tax registration (USt-IdNr. / St.-Nr., VAT No., GST Reg No.),
then items with quantities, multi-buy and loyalty savings, SUBTOTAL, TOTAL, the tax block (German
A/B rate table "MwSt Netto Steuer Brutto"; "VAT @ 20%"; "TOTAL GST", "TOTAL EXCL. GST"), TOTAL SAVINGS,
rounding, CASH / CHANGE or a card slip repeating the amount, receipt and till numbers, date and time in
the country's notation, and a footer.

Truth: ``supplier_name`` the merchant name printed at the top; ``invoice_date`` the sale date;
``gross_amount`` the total paid (after rounding); ``tax_amount`` the total tax; ``net_amount`` only where
the receipt prints it; ``invoice_number`` the receipt number where one is printed; ``currency`` where a
code or an unambiguous symbol (€, £, RM) states it ("$" alone does not); ``supplier_vat_id`` the tax
registration printed; ``document_type`` receipt; no IBAN, no recipient.

``python -m bench.recognition.receipts --out DIR --count N --seed S``
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from bench.recognition import truthfile, world
from bench.recognition.pdfdraw import Page

STYLES = ("de_supermarket", "de_fuel", "de_bakery", "gb_shop", "ie_cafe", "sg_gst", "my_gst", "au_gst")
_STYLE_WEIGHTS = (0.2, 0.1, 0.1, 0.2, 0.1, 0.12, 0.08, 0.1)

_BRANDS = {
    "de": ["NETTO MARKT", "Bäckerei Schäfer", "EDEKA Nordlicht", "Getränke Hoffmann", "Drogerie Krüger",
           "Tankstelle Ostwind", "BIOLADEN Sonnenberg", "Baumarkt Jäger", "Café Weiß", "KIOSK am Hafen"],
    "en": ["CITY STATIONERY SHOP", "Corner Pantry", "THE BOOK NOOK", "Harbour Hardware", "GREEN LEAF GROCER",
           "Kensington Pharmacy", "FRESHMART", "Daily Brew Coffee", "MEGA ELECTRICAL", "Sunrise Bakery"],
}  # fmt: skip
_ITEMS = {
    "de": [("Vollmilch 3,5% 1L", "1.19", 7), ("Bio Bananen", "1.99", 7), ("Roggenbrot 750g", "2.79", 7),
           ("Kaffee gemahlen 500g", "6.49", 7), ("Mineralwasser 6x1,5L", "3.29", 19), ("Pfand", "1.50", 19),
           ("Spülmittel", "1.45", 19), ("Butter 250g", "2.39", 7), ("Batterien AA 4er", "4.99", 19),
           ("Zeitung", "2.10", 7), ("Brezel", "0.85", 7), ("Druckerpapier A4", "5.99", 19),
           ("Schrauben-Set", "7.95", 19), ("Cappuccino", "3.40", 19), ("Croissant", "1.60", 7)],
    "en": [("MILK 2L", "1.65", 0), ("BREAD WHITE", "1.20", 0), ("A4 COPY PAPER", "4.99", 1),
           ("BLUE PEN 10PK", "3.49", 1), ("STAPLER", "7.99", 1), ("COFFEE BEANS 1KG", "12.50", 0),
           ("BATTERIES AA", "5.25", 1),
           ("ENVELOPES C5", "2.80", 1), ("CHOC BAR", "0.95", 1), ("WATER 500ML", "0.89", 1),
           ("FLAT WHITE", "3.20", 1), ("SANDWICH", "4.50", 1), ("NOTEBOOK A5", "2.99", 1), ("USB CABLE", "8.99", 1)],
}  # fmt: skip
_FUEL = ("Super E10", "Diesel", "Super 95")


@dataclass
class Sale:
    description: str
    quantity: Decimal
    unit: Decimal
    rate: Decimal
    saving: Decimal = Decimal(0)

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit).quantize(world.CENT, ROUND_HALF_UP)


@dataclass
class Receipt:
    stem: str
    style: str
    lang: str
    country: str
    brand: str
    legal: world.Company
    when: date
    time: str
    number: str | None
    till: str
    date_style: str
    currency: str | None
    symbol: str
    tax_label: str
    sales: list[Sale] = field(default_factory=list)
    paid_by: str = "cash"
    rounding: Decimal = Decimal(0)
    prints_net: bool = False
    vat_printed: str | None = None
    vat_truth: str | None = None
    prices_include_tax: bool = True

    @property
    def total_before_rounding(self) -> Decimal:
        return sum((s.amount - s.saving for s in self.sales), Decimal(0))

    @property
    def savings(self) -> Decimal:
        return sum((s.saving for s in self.sales), Decimal(0))

    def tax_by_rate(self) -> dict[Decimal, tuple[Decimal, Decimal]]:
        """rate -> (gross, tax), tax included in the prices."""
        gross: dict[Decimal, Decimal] = {}
        for s in self.sales:
            gross[s.rate] = gross.get(s.rate, Decimal(0)) + s.amount - s.saving
        return {r: (g, (g * r / (100 + r)).quantize(world.CENT, ROUND_HALF_UP)) for r, g in gross.items()}

    @property
    def tax(self) -> Decimal:
        return sum((t for _, t in self.tax_by_rate().values()), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.total_before_rounding + self.rounding


def build(index: int, seed: int) -> Receipt:
    rng = random.Random(f"receipt-{seed}-{index}")
    style = rng.choices(STYLES, _STYLE_WEIGHTS)[0]
    lang = "de" if style.startswith("de") else "en"
    country = {"de": "DE", "gb": "GB", "ie": "IE"}.get(style[:2], "GB")
    legal = world.company(rng, country, lang)
    when = date(2017, 1, 1) + timedelta(days=rng.randrange(0, 2900))
    brand = rng.choice(_BRANDS[lang])
    if style == "de_fuel":
        brand = rng.choice(["Tankstelle Ostwind", "AUTOHOF NORD", "Tankcenter Maintal"])
    if rng.random() < 0.6:
        brand = brand.upper()
    date_style = {
        "de": rng.choice(["dd.mm.yyyy", "dd.mm.yy", "dd.mm.yyyy"]),
        "gb": rng.choice(["dd/mm/yyyy", "dd/mm/yy", "d mon yyyy", "MON"]),
        "ie": rng.choice(["dd/mm/yyyy", "dd-mm-yyyy", "dd/mm/yy"]),
        "sg": rng.choice(["dd-mm-yyyy", "dd-mm-yy", "dd/mm/yyyy", "MON"]),
        "my": rng.choice(["dd-mm-yyyy", "dd-mm-yy", "dd/mm/yy"]),
        "au": rng.choice(["dd/mm/yyyy", "dd/mm/yy", "MON"]),
    }[style[:2]]
    currency, symbol, tax_label = {
        "de": ("EUR", rng.choice(["EUR", "€", ""]), "MwSt"), "gb": ("GBP", "£", "VAT"), "ie": ("EUR", "€", "VAT"),
        "sg": (None, "$", "GST"), "my": ("MYR", "RM", "GST"), "au": (None, "$", "GST"),
    }[style[:2]]  # fmt: skip
    number = rng.choice([f"{rng.randrange(1, 9999):04d}", f"{rng.randrange(10000, 999999)}", None])
    if style[:2] in ("sg", "my", "au") and number is None:
        number = f"{rng.choice(['R', 'T', 'INV'])}{rng.randrange(100000, 999999)}"
    r = Receipt(
        stem=f"receipt-{seed}-{index + 1:05d}-{style}", style=style, lang=lang, country=country, brand=brand,
        legal=legal, when=when, time=f"{rng.randint(6, 21):02d}:{rng.randint(0, 59):02d}", number=number,
        till=str(rng.randrange(1, 12)), date_style=date_style, currency=currency, symbol=symbol, tax_label=tax_label,
    )  # fmt: skip
    if style == "de_fuel":
        litres = Decimal(rng.randrange(1500, 7000)) / 100
        r.sales.append(Sale(f"{rng.choice(_FUEL)} Säule {rng.randint(1, 8)}", litres,
                            Decimal(rng.randrange(159, 219)) / 100, Decimal(19)))  # fmt: skip
    rates_de = {7: Decimal(7), 19: Decimal(19)}
    for _ in range(rng.randint(1, 9) if style != "de_fuel" else rng.randint(0, 2)):
        desc, price, kind = rng.choice(_ITEMS[lang])
        if lang == "de":
            rate = rates_de[kind]
        elif style[:2] in ("gb", "ie"):
            rate = Decimal(0) if kind == 0 else (Decimal(20) if style[:2] == "gb" else Decimal(23))
        elif style[:2] == "sg":
            rate = Decimal(9) if when.year >= 2024 else (Decimal(8) if when.year == 2023 else Decimal(7))
        elif style[:2] == "my":
            rate = Decimal(6)
        else:
            rate = Decimal(10) if kind else Decimal(0)
        qty = Decimal(rng.choice([1, 1, 1, 2, 3]))
        sale = Sale(desc, qty, Decimal(price), rate)
        if qty > 1 and rng.random() < 0.3:
            sale.saving = (sale.amount * Decimal(rng.choice([10, 20, 25])) / 100).quantize(world.CENT)
        r.sales.append(sale)
    if style[:2] in ("sg", "my", "au") and rng.random() < 0.6:
        total = r.total_before_rounding
        rounded = (total / Decimal("0.05")).quantize(Decimal(1), ROUND_HALF_UP) * Decimal("0.05")
        r.rounding = rounded - total
    r.paid_by = rng.choice(["cash", "card"])
    r.prints_net = lang == "de" or rng.random() < 0.4
    if lang == "de":
        if rng.random() < 0.6:
            r.vat_printed = f"USt-IdNr.: {legal.vat_id}"
            r.vat_truth = legal.vat_id
        else:
            r.vat_printed = f"St.-Nr. {rng.randrange(10, 99)}/{rng.randrange(100, 999)}/{rng.randrange(10000, 99999)}"
    elif style[:2] in ("gb", "ie"):
        r.vat_printed = f"VAT No: {world.vat_printed(legal.vat_id, rng)}"
        r.vat_truth = legal.vat_id
    elif style[:2] == "sg":
        reg = f"{rng.randrange(199000000, 202499999)}{rng.choice('KMNWZ')}"
        r.vat_printed, r.vat_truth = f"GST Reg No: {reg}", reg
    elif style[:2] == "my":
        reg = f"{rng.randrange(10**11, 10**12):012d}"
        r.vat_printed, r.vat_truth = f"GST ID: {reg}", reg
    else:
        abn = f"{rng.randrange(10, 99)} {rng.randrange(100, 999)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"
        r.vat_printed, r.vat_truth = f"ABN {abn}", abn.replace(" ", "")
    return r


# --- drawing -------------------------------------------------------------------------------------------


def _money(r: Receipt, value: Decimal) -> str:
    """Till printers leave out thousands separators."""
    return world.fmt_number(value, "plain_comma" if r.lang == "de" else "plain_dot")


def draw(r: Receipt, path: Path, seed: str) -> int:
    """Draws on a long strip first, then again cut to the length the receipt took."""
    height = draw_once(r, path, random.Random(seed), 2000.0)
    draw_once(r, path, random.Random(seed), height + 16)
    return 1


def draw_once(r: Receipt, path: Path, rng: random.Random, height: float) -> float:
    width = rng.choice([164.0, 204.0, 227.0])
    page = Page(path, (width, height), rng.choice(["Courier", "DejaVuSansMono", "Helvetica",
                                                               "DejaVuSansCondensed"]), title=r.brand)  # fmt: skip
    size = 7.0 if width < 200 else 8.0
    left, right, mid = 8.0, width - 8, width / 2
    y = 22.0
    de = r.lang == "de"
    sep = rng.choice(["-", "=", "*"])
    cols = int((width - 16) / page.width_of("-", size))

    def line(label: str, value: str = "", *, bold: bool = False, big: bool = False) -> None:
        nonlocal y
        s = size + (2.5 if big else 0)
        page.text(left, y, label, s, bold=bold)
        if value:
            page.text(right, y, value, s, bold=bold, align="right")
        y += s + 3.5

    def rule() -> None:
        nonlocal y
        page.text(left, y, sep * cols, size)
        y += size + 3.5

    brand = r.brand
    brand_size = 12.0
    while page.width_of(brand, brand_size, bold=True) > width - 16 and brand_size > 8:
        brand_size -= 0.5
    page.text(mid, y, brand, brand_size, bold=True, align="center")
    y += brand_size + 4
    addr = r.legal.address_lines(r.lang, with_country=False)
    if r.style[:2] in ("sg", "my", "au"):
        addr = [f"{rng.randint(1, 300)} {rng.choice(['Orchard Road', 'Jalan Bukit Bintang', 'George Street'])}",
                rng.choice(["#01-23 Plaza", "Level 1", "Shop 4"])]  # fmt: skip
    for row in addr:
        page.text(mid, y, row, size, align="center")
        y += size + 3
    phone = r.legal.phone
    if r.style[:2] in ("sg", "my", "au"):
        phone = {"sg": "+65 ", "my": "+60 3-", "au": "+61 2 "}[r.style[:2]] + phone.rsplit(" ", 1)[-1]
    page.text(mid, y, f"{'Tel.' if de else 'Tel'} {phone}", size, align="center")
    y += size + 3
    if r.vat_printed and rng.random() < 0.7:
        page.text(mid, y, r.vat_printed, size, align="center")
        y += size + 3
        vat_at_top = True
    else:
        vat_at_top = False
    y += 4
    if r.style in ("sg_gst", "my_gst", "au_gst") and rng.random() < 0.7:
        page.text(mid, y, "TAX INVOICE", size + 1, bold=True, align="center")
        y += size + 6
    rule()
    cur = r.symbol if r.symbol in ("EUR", "€", "£", "$", "RM") else ""
    if de and cur:
        line("", cur)
    for s in r.sales:
        fuel = s.description.startswith(_FUEL)
        if s.quantity != 1 or fuel:
            line(s.description[:cols])
            qty = world.fmt_number(s.quantity, "plain_comma") if fuel else f"{s.quantity:f}"
            unit = "l" if fuel else ("Stk" if de else "@")
            tag = f" {'A' if s.rate == 19 else 'B'}" if de else ""
            line(f"  {qty} {unit} x {_money(r, s.unit)}", _money(r, s.amount) + tag)
        else:
            tag = f" {'A' if s.rate == 19 else 'B'}" if de else ""
            line(s.description[: cols - 10], _money(r, s.amount) + tag)
        if s.saving:
            line("  " + ("Rabatt" if de else rng.choice(["MULTIBUY SAVING", "PROMO", "YOU SAVED"])),
                 "-" + _money(r, s.saving))  # fmt: skip
    rule()
    sym = "" if de else r.symbol
    if not de or rng.random() < 0.5:
        line("SUBTOTAL" if not de else "Zwischensumme", f"{sym}{_money(r, r.total_before_rounding)}")
    if r.rounding:
        line("ROUNDING ADJ" if rng.random() < 0.5 else "Rounding", f"{_money(r, r.rounding)}")
    total_label = rng.choice(["SUMME", "Summe", "ZU ZAHLEN", "GESAMT"]) if de else rng.choice(
        ["TOTAL", "TOTAL", "TOTAL DUE", "BALANCE DUE", "AMOUNT DUE"])  # fmt: skip
    if de and r.symbol in ("EUR", "€"):
        total_label += f" {r.symbol}" if rng.random() < 0.5 else ""
    line(total_label, f"{sym}{_money(r, r.total)}", bold=True, big=True)
    y += 2
    taxes = r.tax_by_rate()
    if de:
        page.text(left, y, "MwSt      Netto    Steuer    Brutto", size - 0.5)
        y += size + 3
        for rate in sorted(taxes, reverse=True):
            g, t = taxes[rate]
            tag = "A" if rate == 19 else "B"
            row = f"{tag} {rate}%  {_money(r, g - t):>8} {_money(r, t):>8} {_money(r, g):>9}"
            page.text(left, y, row, size - 0.5)
            y += size + 3
        if len(taxes) > 1 or rng.random() < 0.5:
            row = f"Summe  {_money(r, r.total_before_rounding - r.tax):>9} {_money(r, r.tax):>8} " \
                  f"{_money(r, r.total_before_rounding):>9}"
            page.text(left, y, row, size - 0.5)
            y += size + 3
    else:
        taxable = {k: v for k, v in taxes.items() if k}
        if r.style[:2] in ("gb", "ie"):
            for rate in sorted(taxable, reverse=True):
                line(f"VAT @ {rate}%", f"{sym}{_money(r, taxable[rate][1])}")
            if r.prints_net:
                net_label = "TOTAL EXCL. VAT" if rng.random() < 0.5 else "NET"
                line(net_label, f"{sym}{_money(r, r.total_before_rounding - r.tax)}")
            line("TOTAL VAT", f"{sym}{_money(r, r.tax)}")
        else:
            if r.prints_net:
                line("TOTAL EXCL. GST", f"{sym}{_money(r, r.total_before_rounding - r.tax)}")
            line(rng.choice(["TOTAL GST", "GST INCLUDED", "TOTAL INCLUDES GST"]), f"{sym}{_money(r, r.tax)}")
    if r.savings:
        line("TOTAL SAVINGS" if not de else "Sie haben gespart", f"{sym}{_money(r, r.savings)}")
    y += 3
    if r.paid_by == "cash":
        given = (r.total / 10).quantize(Decimal(1), ROUND_HALF_UP) * 10 + rng.choice([0, 10, 20])
        if given < r.total:
            given += 10
        line("BAR" if de else "CASH", f"{sym}{_money(r, given)}")
        line("Rückgeld" if de else "CHANGE", f"{sym}{_money(r, given - r.total)}")
    else:
        line(rng.choice(["EC-Karte", "girocard", "Kartenzahlung"]) if de else rng.choice(["VISA", "MASTERCARD",
             "DEBIT CARD"]), f"{sym}{_money(r, r.total)}")  # fmt: skip
    rule()
    stamp = f"{world.fmt_date(r.when, r.date_style, r.lang)} {r.time}"
    number_label = rng.choice(["Bon-Nr.", "Beleg-Nr.", "Bon"] if de else ["Receipt No", "Trans#", "RCPT", "Invoice No"])
    if r.number:
        line(f"{number_label}: {r.number}")
    date_word = "Datum " if de and rng.random() < 0.5 else ""
    line(f"{'Kasse' if de else 'Till'} {r.till} {date_word}{stamp}")
    if r.paid_by == "card":
        y += 4
        page.text(mid, y, "Kundenbeleg" if de else "CARDHOLDER COPY", size, align="center")
        y += size + 3
        line(f"{'Terminal-ID' if de else 'TID'}: {rng.randrange(10**7, 10**8)}")
        line(f"{'TA-Nr.' if de else 'AUTH CODE'}: {rng.randrange(100000, 999999)}")
        line(f"{'Betrag' if de else 'AMOUNT'} {r.symbol or 'EUR'}", _money(r, r.total))
        line("Zahlung erfolgt" if de else "APPROVED")
    if r.vat_printed and not vat_at_top:
        line(r.vat_printed)
    y += 4
    page.text(mid, y, r.legal.name if de or rng.random() < 0.5 else r.legal.name.upper(), size - 1, align="center")
    y += size + 2
    page.text(mid, y, rng.choice(["Vielen Dank für Ihren Einkauf!", "Danke und bis bald"]) if de else rng.choice(
        ["THANK YOU FOR SHOPPING WITH US", "Thank you! Please come again", "NO REFUND WITHOUT RECEIPT"]), size - 0.5,
        align="center")  # fmt: skip
    page.save()
    return y


def truth(r: Receipt, pages: int, part: str) -> dict[str, object]:
    net = truthfile.money(r.total_before_rounding - r.tax) if r.prints_net else None
    street, postal, city = None, None, None
    if r.style[:2] in ("de", "gb", "ie"):
        street, postal, city = r.legal.street, r.legal.postal_code, r.legal.city
    return {
        "file": f"{r.stem}.pdf", "set": "receipts", "part": part, "template": r.style, "lang": r.lang,
        "pages": pages,
        "fields": truthfile.fields(
            invoice_number=r.number, invoice_date=r.when.isoformat(), currency=r.currency, net_amount=net,
            tax_amount=truthfile.money(r.tax), gross_amount=truthfile.money(r.total), supplier_name=r.brand,
            supplier_street=street, supplier_postal_code=postal, supplier_city=city,
            supplier_vat_id=truthfile.compact(r.vat_truth), document_type="receipt",
        ),
        "lines": [{"position": i, "description": s.description, "quantity": str(s.quantity), "unit_price": str(s.unit),
                   "net_amount": str(s.amount)} for i, s in enumerate(r.sales, start=1)],
    }  # fmt: skip


def generate(out: Path, *, count: int, seed: int) -> list[Path]:
    truthfile.check_count(count)
    part = truthfile.part_of_seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        r = build(i, seed)
        path = out / f"{r.stem}.pdf"
        pages = draw(r, path, f"receipt-draw-{seed}-{i}")
        truthfile.write(out, r.stem, truth(r, pages, part))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    truthfile.generator_main(argv, doc=__doc__, generate=generate, count=100, what="receipts")


if __name__ == "__main__":
    main()
