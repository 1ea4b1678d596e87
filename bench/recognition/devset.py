"""Recognition development set: invoice PDFs in many layouts, each with a ``.truth.json`` of what it says.

``python -m bench.recognition.devset --out DIR --count N --seed S`` writes ``<stem>.pdf`` and
``<stem>.truth.json`` pairs. The truth uses the field names of ``InvoiceFieldsV1`` (values as the
product reports them: ISO dates, amounts with two decimals, IBAN compact, invoice number without
spaces; ``null`` for what the document does not state) plus the table lines.

Seven templates (DIN 5008 window letter, header-field table, side column, English, multi-page with the
table continued, receipt, compact letter), German and English labels, German, English and Swiss number
formats, four date notations, EUR/USD/CHF, due date absent, printed or given as payment terms,
distractors a reader must not take (service date, customer number, the recipient's VAT ID, carry-over
lines, cash given on receipts, share capital in EUR). IBANs and German VAT IDs carry valid check
digits. A seed gives the same set on every machine; the DejaVu fonts are used where the system has
them and replaced by reportlab's own Vera (recorded in the truth) where it does not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from samples.generate import Line, container_number, iban_de, mawb, vat_id_de

CENT = Decimal("0.01")
W, H = A4
TEMPLATES = ("din5008", "header_table", "sidebar", "english", "multipage", "receipt", "compact")
KEY_FIELDS = (
    "invoice_number", "invoice_date", "gross_amount", "net_amount", "tax_amount", "currency",
    "supplier_iban", "supplier_vat_id", "supplier_name",
)  # fmt: skip
"""The fields a clerk must never retype; their exact-match rate is the headline figure."""
FIELDS = (
    "invoice_number", "invoice_date", "due_date", "currency", "net_amount", "tax_amount", "gross_amount",
    "supplier_name", "supplier_street", "supplier_postal_code", "supplier_city", "supplier_iban",
    "supplier_vat_id", "recipient_name",
)  # fmt: skip

# --- master data pools ---------------------------------------------------------------------------

_STEMS = ["Müller", "Großmann", "Weiß", "Schäfer", "Böhm", "Krüger", "Jäger", "Schröder", "Hoffmann", "Nordlicht",
          "Elbkai", "Hansa", "Süderelbe", "Baltic", "Fördehafen", "Lößnitz", "Ostwind", "Bärenfels", "Maintal",
          "Ruhrgebiets", "Kessler", "Dreßler", "Lüneburger", "Störtebeker"]  # fmt: skip
_TRADES = ["Spedition", "Logistik", "Transporte", "Cargo Service", "Zollagentur", "Lagerhaus", "Containerdienst",
           "Luftfracht", "Kühltransporte", "Schifffahrtskontor", "Umschlag", "Fuhrunternehmen"]  # fmt: skip
_LEGAL = ["GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "UG (haftungsbeschränkt)", "OHG", "SE"]
_CUSTOMER_STEMS = ["Brandt", "Vogel", "Kühne", "Lüdemann", "Fröhlich", "Nordwest", "Südhang", "Wächter", "Görlitz",
                   "Sonnenberg", "Eichhorn", "Straßer"]  # fmt: skip
_CUSTOMER_TRADES = ["Handelsgesellschaft", "Maschinenbau", "Elektronik", "Möbelwerke", "Lebensmittel", "Logistik",
                    "Industrietechnik", "Papierfabrik"]  # fmt: skip
_STREETS = ["Hauptstraße", "Hafenstraße", "Am Großmarkt", "Königsallee", "Schloßstraße", "Überseering",
            "Bahnhofstraße", "Industriestraße", "Lindenallee", "Mühlenweg", "Güterbahnhofstraße", "Zollhof",
            "Am Kühlhaus", "Fährstraße", "Brückenstraße", "Gewerbering", "Weißdornweg", "Speicherstadt",
            "Rheinuferweg", "Äußere Sulzbacher Straße", "Elbchaussee", "Carl-Benz-Straße"]  # fmt: skip
_CITIES = [("20457", "Hamburg"), ("50668", "Köln"), ("80331", "München"), ("60549", "Frankfurt am Main"),
           ("28217", "Bremen"), ("04109", "Leipzig"), ("90402", "Nürnberg"), ("68159", "Mannheim"),
           ("01067", "Dresden"), ("70173", "Stuttgart"), ("40213", "Düsseldorf"), ("97070", "Würzburg"),
           ("66111", "Saarbrücken"), ("21079", "Hamburg"), ("88045", "Friedrichshafen"), ("33602", "Bielefeld"),
           ("79098", "Freiburg im Breisgau"), ("14467", "Potsdam"), ("27568", "Bremerhaven"), ("24103", "Kiel"),
           ("47119", "Duisburg"), ("93047", "Regensburg"), ("18055", "Rostock"), ("38100", "Braunschweig")]  # fmt: skip
_BANKS = [("Hamburger Sparkasse", "HASPDEHHXXX", "20050550"), ("Commerzbank", "COBADEFFXXX", "20040000"),
          ("Deutsche Bank", "DEUTDEDBHAM", "20070000"), ("Volksbank Köln Bonn", "GENODED1VBK", "38060186"),
          ("Sparkasse KölnBonn", "COLSDE33XXX", "37050198"), ("Postbank", "PBNKDEFFXXX", "10010010"),
          ("Stadtsparkasse München", "SSKMDEMMXXX", "70150000"), ("HypoVereinsbank", "HYVEDEMMXXX", "70020270"),
          ("Sparkasse Bremen", "SBREDE22XXX", "29050101"),
          ("Frankfurter Sparkasse", "HELADEF1822", "50050201")]  # fmt: skip
_PEOPLE = ["Jürgen Weiß", "Anna Schäfer", "Dr. Klaus Böhm", "Sabine Krüger", "Jörg Dreßler", "Maren Jäger"]
# (description de, description en, reference kind)
_SERVICES = [
    ("Seefracht Hamburg - Shanghai", "Ocean freight Hamburg - Shanghai", "container"),
    ("Vorlauf LKW Hafen", "Pre-carriage by truck", "container"),
    ("THC Terminal Handling", "Terminal handling charge", "container"),
    ("Containertransport Bremerhaven", "Container haulage Bremerhaven", "container"),
    ("Wartezeit Terminal", "Waiting time at terminal", "container"),
    ("Luftfracht FRA - ORD", "Air freight FRA - ORD", "mawb"),
    ("Sicherheitskontrolle Luftfracht", "Air cargo security screening", "mawb"),
    ("Gefahrgutzuschlag", "Dangerous goods surcharge", "mawb"),
    ("Zollanmeldung Import ATLAS", "Import customs declaration", "file"),
    ("Einfuhrabfertigung T1", "Transit document T1", "file"),
    ("Dokumentenpauschale", "Documentation fee", "file"),
    ("Lagerung Kühlhaus (Palettenstellplatz)", "Cold storage (pallet space)", "order"),
    ("Überführung Straßenfahrzeug", "Vehicle transfer", "order"),
    ("Kommissionierung & Verpackung", "Picking and packing", "order"),
    ("Binnenschiff Köln - Rotterdam", "Barge Cologne - Rotterdam", "shipment"),
    ("Umschlag Großcontainer", "Container transshipment", "container"),
]  # fmt: skip
_RECEIPT_ITEMS = [("Palette Euro getauscht", "1.50"), ("Diesel Liter", "1.79"), ("Parkgebühr LKW", "12.00"),
                  ("Waschstraße Zugmaschine", "39.90"), ("Spanngurt 5 m", "8.49"), ("Kaffee", "2.20"),
                  ("Maut-Nachzahlung", "17.35"), ("Schloss für Plane", "14.95")]  # fmt: skip
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember"]  # fmt: skip
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]  # fmt: skip


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class Supplier(Party):
    iban: str
    bic: str
    bank: str
    vat_id: str
    phone: str
    email: str
    register: str
    manager: str


Item = Line
"""An invoice line as the sample generator has it (net and reference text derived; no accrual in this set)."""


@dataclass
class DevInvoice:
    stem: str
    template: str
    lang: str
    font: str
    number: str
    printed_number: str
    invoice_date: date
    service_date: date
    due_style: str
    """absent, date (printed) or terms (days after the invoice date)."""
    terms_days: int
    currency: str
    tax_rate: Decimal
    number_style: str
    """de (1.234,56), en (1,234.56) or ch (1'234.56)."""
    date_style: str
    """numeric (14.03.2024), long_de (14. März 2024), iso (2024-03-14), long_en (March 14, 2024)."""
    currency_style: str
    supplier: Supplier
    recipient: Party | None
    recipient_vat_id: str | None
    items: list[Item] = field(default_factory=list)
    show_iban: bool = True
    gross_prices: bool = False
    """Till receipts price items with tax included: the items sum to the gross amount."""

    @property
    def net(self) -> Decimal:
        items = sum((it.net for it in self.items), Decimal("0"))
        if self.gross_prices:
            return (items * 100 / (100 + self.tax_rate)).quantize(CENT, ROUND_HALF_UP)
        return items

    @property
    def tax(self) -> Decimal:
        if self.gross_prices:
            return self.gross - self.net
        return (self.net * self.tax_rate / 100).quantize(CENT, ROUND_HALF_UP)

    @property
    def gross(self) -> Decimal:
        if self.gross_prices:
            return sum((it.net for it in self.items), Decimal("0"))
        return self.net + self.tax

    @property
    def due_date(self) -> date | None:
        return None if self.due_style == "absent" else self.invoice_date + timedelta(days=self.terms_days)


# --- building invoices ---------------------------------------------------------------------------


def _supplier(rng: random.Random) -> Supplier:
    stem, trade, legal = rng.choice(_STEMS), rng.choice(_TRADES), rng.choice(_LEGAL)
    name = f"{stem} {trade} {legal}" if rng.random() < 0.6 else f"{trade} {stem} {legal}"
    street = f"{rng.choice(_STREETS)} {rng.randint(1, 180)}{rng.choice(['', '', '', 'a', 'b'])}"
    postal_code, city = rng.choice(_CITIES)
    bank, bic, blz = rng.choice(_BANKS)
    account = str(rng.randrange(10**7, 10**10))
    area = {"H": "40", "K": "221", "M": "89", "F": "69", "B": "421", "L": "341"}.get(city[0], "30")
    umlauts = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae", "ß": "ss"})
    domain = stem.lower().translate(umlauts)
    return Supplier(
        name=name, street=street, postal_code=postal_code, city=city, iban=iban_de(blz, account), bic=bic,
        bank=bank, vat_id=vat_id_de(f"{rng.randrange(10**7, 10**8)}"),
        phone=f"+49 {area} {rng.randrange(100000, 9999999)}",
        email=f"info@{domain}-{trade.split()[0].lower().translate(umlauts)}.de",
        register=f"Amtsgericht {city.split()[0]} HRB {rng.randrange(1000, 99999)}", manager=rng.choice(_PEOPLE),
    )  # fmt: skip


def _recipient(rng: random.Random) -> Party:
    name = f"{rng.choice(_CUSTOMER_STEMS)} {rng.choice(_CUSTOMER_TRADES)} {rng.choice(_LEGAL)}"
    postal_code, city = rng.choice(_CITIES)
    return Party(name, f"{rng.choice(_STREETS)} {rng.randint(1, 99)}", postal_code, city)


def _reference(kind: str, rng: random.Random, lang: str) -> tuple[str, str]:
    if kind == "container":
        return "Container", container_number(rng.choice(["MSC", "HLX", "TGH", "CMA", "MAE"]), rng.randrange(10**6))
    if kind == "mawb":
        return "MAWB", mawb(rng.choice(["020", "176", "157", "074"]), rng.randrange(10**6, 10**7))
    if kind == "file":
        return ("Akte" if lang == "de" else "File no."), f"{rng.randrange(20, 26)}-{rng.randrange(1, 99999):05d}"
    if kind == "order":
        return ("Auftrag" if lang == "de" else "Order"), f"SO-{rng.randrange(2024000, 2025999)}"
    return ("Sendung" if lang == "de" else "Shipment"), f"{rng.randrange(4000, 4999)}-{rng.randrange(1, 9999):04d}"


def _number(rng: random.Random, issued: date, template: str) -> tuple[str, str]:
    """(value as the product reports it, as printed); printed numbers may carry spaces."""
    n = rng.randrange(1, 99999)
    kind = rng.randrange(7)
    if template == "receipt":
        kind = rng.choice([1, 3])
    if kind == 0:
        v = f"RE-{issued:%y}-{n:05d}"
        return v, v
    if kind == 1:
        return f"{issued:%Y}{n:05d}", f"{issued:%Y} {n:05d}"
    if kind == 2:
        v = f"INV-{issued:%Y}-{n:05d}"
        return v, v
    if kind == 3:
        return f"{n:06d}", f"{n:06d}"
    if kind == 4:
        v = f"{n:05d}/{issued:%y}"
        return v, v
    if kind == 5:
        return f"RG{issued:%Y}{n:05d}", f"RG {issued:%Y} {n:05d}"
    v = f"{issued:%Y}-{n:06d}"
    return v, v


def build_invoice(index: int, rng: random.Random) -> DevInvoice:
    template = TEMPLATES[index % len(TEMPLATES)] if index < len(TEMPLATES) else rng.choice(TEMPLATES)
    lang = "en" if template == "english" else ("de" if template in ("receipt", "multipage") else
                                                rng.choice(["de", "de", "de", "de", "en"]))  # fmt: skip
    if template == "english":
        lang = "en"
    currency = rng.choices(["EUR", "USD", "CHF"], [0.76, 0.12, 0.12])[0] if template != "receipt" else "EUR"
    issued = date(2023, 1, 2) + timedelta(days=rng.randrange(0, 900))
    number_style = "en" if lang == "en" else "de"
    if currency == "CHF" and rng.random() < 0.5:
        number_style = "ch"
    date_style = rng.choice(["numeric", "numeric", "long_de", "iso"]) if lang == "de" else rng.choice(
        ["iso", "long_en", "numeric", "long_en"])  # fmt: skip
    if template == "receipt":
        date_style = "numeric"
    tax_rate = Decimal(rng.choice([19, 19, 19, 7]))
    if currency != "EUR" and rng.random() < 0.5:
        tax_rate = Decimal(0)  # third-country freight: tax-exempt (§ 4 Nr. 3 UStG)
    due_style = "absent" if template == "receipt" else rng.choices(["absent", "date", "terms"], [0.25, 0.45, 0.3])[0]
    family = rng.choice(["Helvetica", "Times", "Courier", "DejaVuSans", "DejaVuSerif", "DejaVuSansMono"])
    if template == "receipt":
        family = rng.choice(["Courier", "DejaVuSansMono"])
    number, printed = _number(rng, issued, template)
    supplier = _supplier(rng)
    inv = DevInvoice(
        stem=f"dev-{index + 1:04d}-{template}", template=template, lang=lang, font=family, number=number,
        printed_number=printed, invoice_date=issued, service_date=issued - timedelta(days=rng.randrange(1, 20)),
        due_style=due_style, terms_days=rng.choice([7, 10, 14, 14, 30, 30, 45, 60]), currency=currency,
        tax_rate=tax_rate, number_style=number_style, date_style=date_style,
        currency_style=rng.choice(["suffix_symbol", "prefix_code", "suffix_code", "header", "prefix_symbol"]),
        supplier=supplier, recipient=None if template == "receipt" else _recipient(rng),
        recipient_vat_id=vat_id_de(f"{rng.randrange(10**7, 10**8)}") if rng.random() < 0.25 else None,
        show_iban=template != "receipt", gross_prices=template == "receipt",
    )  # fmt: skip
    if template == "receipt":
        for pos in range(1, rng.randint(1, 6) + 1):
            desc, unit = rng.choice(_RECEIPT_ITEMS)
            qty = Decimal(rng.choice([1, 1, 2, 3, 40])) if desc.startswith("Diesel") else Decimal(rng.choice([1, 1, 2]))
            inv.items.append(Item(pos, desc, "", None, qty, Decimal(unit)))
        return inv
    count = rng.randint(26, 44) if template == "multipage" else rng.randint(1, 7)
    for pos in range(1, count + 1):
        de, en, kind = rng.choice(_SERVICES)
        label, ref = _reference(kind, rng, lang)
        qty = Decimal(rng.choice([1, 1, 1, 2, 3, 4, 12]))
        price = (Decimal(rng.randrange(1500, 420000)) / 100).quantize(CENT)
        inv.items.append(Item(pos, de if lang == "de" else en, label, ref, qty, price))
    return inv


def build_devset(seed: int, count: int) -> list[DevInvoice]:
    rng = random.Random(seed)
    return [build_invoice(i, rng) for i in range(count)]


# --- formatting ----------------------------------------------------------------------------------


def money(v: Decimal, style: str) -> str:
    s = f"{v:,.2f}"
    if style == "de":
        return s.replace(",", "X").replace(".", ",").replace("X", ".")
    if style == "ch":
        return s.replace(",", "'")
    return s


def amount(inv: DevInvoice, v: Decimal) -> str:
    """An amount with the currency as this invoice writes it."""
    m = money(v, inv.number_style)
    symbol = {"EUR": "€", "USD": "$", "CHF": "CHF"}[inv.currency]
    style = inv.currency_style
    if style == "suffix_symbol":
        return f"{m} {symbol}"
    if style == "prefix_symbol":
        return f"{symbol}{m}" if symbol == "$" else f"{symbol} {m}"
    if style == "prefix_code":
        return f"{inv.currency} {m}"
    if style == "suffix_code":
        return f"{m} {inv.currency}"
    return m


def fmt_date(d: date, style: str) -> str:
    if style == "long_de":
        return f"{d.day}. {MONTHS_DE[d.month - 1]} {d.year}"
    if style == "long_en":
        return f"{MONTHS_EN[d.month - 1]} {d.day}, {d.year}"
    if style == "iso":
        return d.isoformat()
    return f"{d:%d.%m.%Y}"


def qty_text(q: Decimal, style: str) -> str:
    return str(int(q)) if q == q.to_integral_value() else money(q, style)


def group4(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def pct(rate: Decimal, lang: str, rng: random.Random) -> str:
    return f"{rate}%" if lang == "en" or rng.random() < 0.3 else f"{rate} %"


# --- labels --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    number: str
    date: str
    service_date: str
    customer: str
    due: str
    net: str
    tax: str
    gross: str
    title: str
    terms: str
    heads: tuple[str, str, str, str, str]
    vat: str
    page: str


def labels_for(inv: DevInvoice, rng: random.Random) -> Labels:
    rate = pct(inv.tax_rate, inv.lang, rng)
    c = rng.choice
    if inv.lang == "en":
        tax = c([f"VAT {rate}", f"VAT ({rate})", f"plus VAT {rate}"]) if inv.tax_rate else c(
            ["VAT 0% (tax exempt)", "VAT 0%"])  # fmt: skip
        terms = c([f"Payable within {inv.terms_days} days.", f"Payment terms: {inv.terms_days} days net"])
        return Labels(
            c(["Invoice No.", "Invoice Number", "Invoice #"]), c(["Invoice date", "Date"]),
            c(["Delivery date", "Service date"]), c(["Customer No.", "Account"]), c(["Due date", "Payable by"]),
            c(["Subtotal", "Net amount", "Net total"]), tax,
            c(["Total", "Amount due", "Total due", "Invoice total", "Grand total", f"Total {inv.currency}"]),
            c(["INVOICE", "Invoice"]), terms, c([("Pos", "Description", "Qty", "Unit price", "Amount"),
                                                ("#", "Item", "Quantity", "Price", "Total")]),
            c(["VAT ID", "VAT Reg. No.", "VAT No."]), "Page",
        )  # fmt: skip
    if inv.tax_rate:
        tax = c([f"zzgl. {rate} MwSt.", f"USt. {rate}", f"Umsatzsteuer {rate}", f"MwSt. {rate}", f"zzgl. {rate} USt.",
                 f"{rate} MwSt."])  # fmt: skip
    else:
        tax = c(["USt. 0 % (steuerfrei)", "Umsatzsteuer 0 %"])
    terms = c([f"Zahlbar innerhalb von {inv.terms_days} Tagen ohne Abzug.", f"Zahlbar innerhalb {inv.terms_days} "
               "Tagen netto.", f"Zahlungsziel: {inv.terms_days} Tage netto"])  # fmt: skip
    return Labels(
        c(["Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr.", "Beleg-Nr.", "Re.-Nr."]),
        c(["Rechnungsdatum", "Datum", "Belegdatum"]), c(["Leistungsdatum", "Lieferdatum"]),
        c(["Kundennummer", "Kunden-Nr."]), c(["Fällig am", "Zahlbar bis", "Fälligkeitsdatum", "Fällig"]),
        c(["Nettobetrag", "Summe netto", "Zwischensumme", "Gesamt netto", "Netto"]), tax,
        c(["Gesamtbetrag", "Rechnungsbetrag", "Bruttobetrag", "Endbetrag", "Zu zahlender Betrag", "Gesamtsumme"]),
        "Rechnung", terms, c([("Pos.", "Beschreibung", "Menge", "Einzelpreis", "Gesamt"),
                              ("Nr.", "Leistung", "Anzahl", "Preis", "Betrag"),
                              ("Pos", "Bezeichnung", "Menge", "E-Preis", "Netto")]),
        c(["USt-IdNr.", "USt-ID", "Umsatzsteuer-ID"]), "Seite",
    )  # fmt: skip


# --- fonts ---------------------------------------------------------------------------------------

_BUILTIN = {"Helvetica": ("Helvetica", "Helvetica-Bold"), "Times": ("Times-Roman", "Times-Bold"),
            "Courier": ("Courier", "Courier-Bold")}  # fmt: skip
_TTF = {"DejaVuSans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
        "DejaVuSerif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
        "DejaVuSansMono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")}  # fmt: skip
_FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
              "/usr/local/share/fonts", "/Library/Fonts", os.path.expanduser("~/.fonts")]  # fmt: skip
_registered: dict[str, tuple[str, str, str]] = {}


def resolve_font(family: str) -> tuple[str, str, str]:
    """(regular, bold, name used) for a family; DejaVu falls back to reportlab's Vera, then Helvetica."""
    if family in _BUILTIN:
        return (*_BUILTIN[family], family)
    if family in _registered:
        return _registered[family]
    regular, bold = _TTF[family]
    found = next((d for d in _FONT_DIRS if (Path(d) / regular).is_file() and (Path(d) / bold).is_file()), None)
    if found is not None:
        pdfmetrics.registerFont(TTFont(family, str(Path(found) / regular)))
        pdfmetrics.registerFont(TTFont(family + "-Bold", str(Path(found) / bold)))
        result = (family, family + "-Bold", family)
    else:
        vera = Path(reportlab.__file__).parent / "fonts"
        if (vera / "Vera.ttf").is_file() and (vera / "VeraBd.ttf").is_file():
            pdfmetrics.registerFont(TTFont("Vera", str(vera / "Vera.ttf")))
            pdfmetrics.registerFont(TTFont("Vera-Bold", str(vera / "VeraBd.ttf")))
            result = ("Vera", "Vera-Bold", "Vera")
        else:
            result = (*_BUILTIN["Helvetica"], "Helvetica")
    _registered[family] = result
    return result


# --- drawing -------------------------------------------------------------------------------------


class Doc:
    """A canvas with y measured from the top of the page, as readers see it."""

    def __init__(self, path: Path, inv: DevInvoice, size: tuple[float, float] = A4) -> None:
        self.c = Canvas(str(path), pagesize=size, invariant=1, pageCompression=1)
        self.c.setTitle(f"{'Invoice' if inv.lang == 'en' else 'Rechnung'} {inv.printed_number}")
        self.c.setAuthor(inv.supplier.name)
        self.width, self.height = size
        self.regular, self.bold, self.font_name = resolve_font(inv.font)
        self.pages = 1

    def text(self, x: float, y: float, s: str, size: float = 9, *, bold: bool = False, align: str = "left") -> None:
        self.c.setFont(self.bold if bold else self.regular, size)
        if align == "right":
            self.c.drawRightString(x, self.height - y, s)
        elif align == "center":
            self.c.drawCentredString(x, self.height - y, s)
        else:
            self.c.drawString(x, self.height - y, s)

    def width_of(self, s: str, size: float, *, bold: bool = False) -> float:
        return float(pdfmetrics.stringWidth(s, self.bold if bold else self.regular, size))

    def rule(self, y: float, x0: float = 57, x1: float = 538) -> None:
        self.c.setLineWidth(0.5)
        self.c.line(x0, self.height - y, x1, self.height - y)

    def new_page(self) -> None:
        self.c.showPage()
        self.pages += 1

    def save(self) -> None:
        self.c.showPage()
        self.c.save()


def _window(doc: Doc, x: float, y: float, inv: DevInvoice, rng: random.Random, size: float = 10) -> float:
    """The recipient's address as it shows through the envelope window."""
    r = inv.recipient
    assert r is not None
    rows = ([rng.choice(["Firma", ""])] if inv.lang == "de" else []) + [r.name]
    if rng.random() < 0.4:
        rows.append(rng.choice(["Kreditorenbuchhaltung", "z. Hd. Frau Meier", "Abteilung Einkauf"]) if inv.lang ==
                    "de" else rng.choice(["Accounts Payable", "Attn. Mr. Smith"]))  # fmt: skip
    rows += [r.street, f"{r.postal_code} {r.city}"]
    if inv.lang == "en" and rng.random() < 0.5:
        rows.append("Germany")
    lead = size * 1.3
    for row in [r for r in rows if r]:
        doc.text(x, y, row, size)
        y += lead
    return y


def _sender_line(s: Supplier, rng: random.Random) -> str:
    sep = rng.choice([" · ", " | ", ", ", " - "])
    return sep.join([s.name, s.street, f"{s.postal_code} {s.city}"])


def _info_pairs(inv: DevInvoice, lb: Labels, rng: random.Random, limit: int = 9) -> list[tuple[str, str]]:
    """Header fields: number and date first, then one to three distractors, the due date and the currency."""
    pairs = [(lb.number, inv.printed_number), (lb.date, fmt_date(inv.invoice_date, inv.date_style))]
    extra = [(lb.customer, f"K-{rng.randrange(10000, 99999)}"),
             (lb.service_date, fmt_date(inv.service_date, inv.date_style))]
    if inv.lang == "de" and rng.random() < 0.4:
        extra.append(("Auftragsnummer", f"A{rng.randrange(100000, 999999)}"))
    rng.shuffle(extra)
    extra = extra[: rng.randint(1, len(extra))]
    tail = []
    if inv.due_style == "date" and inv.due_date is not None:
        tail.append((lb.due, fmt_date(inv.due_date, inv.date_style)))
    if inv.currency_style == "header":
        tail.append(("Currency" if inv.lang == "en" else "Währung", inv.currency))
    if inv.recipient_vat_id:
        tail.append(("Your VAT ID" if inv.lang == "en" else "Ihre USt-IdNr.", inv.recipient_vat_id))
    room = max(0, limit - len(pairs) - len(tail))
    return (pairs + extra[:room] + tail)[:limit]


def _colon(label: str, rng: random.Random) -> str:
    return label + (":" if rng.random() < 0.6 and not label.endswith(":") else "")


@dataclass
class TableSpec:
    x: tuple[float, float, float, float, float]
    """position (left), description (left), quantity, unit price and amount (right-aligned)."""
    size: float = 9
    row: float = 26


def _table_head(doc: Doc, y: float, lb: Labels, spec: TableSpec) -> float:
    x = spec.x
    doc.text(x[0], y, lb.heads[0], spec.size, bold=True)
    doc.text(x[1], y, lb.heads[1], spec.size, bold=True)
    for xi, head in zip(x[2:], lb.heads[2:], strict=True):
        doc.text(xi, y, head, spec.size, bold=True, align="right")
    doc.rule(y + 5, x[0], x[4])
    return y + 19


def _table_row(doc: Doc, y: float, inv: DevInvoice, it: Item, spec: TableSpec) -> float:
    x = spec.x
    doc.text(x[0], y, str(it.position), spec.size)
    doc.text(x[1], y, it.description, spec.size)
    doc.text(x[2], y, qty_text(it.quantity, inv.number_style), spec.size, align="right")
    doc.text(x[3], y, money(it.unit_price, inv.number_style), spec.size, align="right")
    doc.text(x[4], y, money(it.net, inv.number_style), spec.size, align="right")
    if it.reference:
        doc.text(x[1], y + spec.size + 2, it.reference_text, spec.size - 1)
    return y + spec.row


def _table(doc: Doc, y: float, inv: DevInvoice, lb: Labels, spec: TableSpec) -> float:
    y = _table_head(doc, y, lb, spec)
    for it in inv.items:
        y = _table_row(doc, y, inv, it, spec)
    doc.rule(y - 8, spec.x[0], spec.x[4])
    return y + 8


def _totals_table(doc: Doc, y: float, inv: DevInvoice, lb: Labels, x_label: float = 340, x_value: float = 538,
                  size: float = 10) -> float:  # fmt: skip
    rows = [(lb.net, inv.net), (lb.tax, inv.tax), (lb.gross, inv.gross)]
    for i, (label, value) in enumerate(rows):
        last = i == len(rows) - 1
        if last:
            doc.rule(y - size, x_label, x_value)
        doc.text(x_label, y, label, size, bold=last)
        doc.text(x_value, y, amount(inv, value), size, bold=last, align="right")
        y += size * 1.6
    return y


def _terms(doc: Doc, y: float, inv: DevInvoice, lb: Labels, rng: random.Random) -> float:
    lines: list[str] = []
    if inv.due_style == "terms":
        lines.append(lb.terms)
    elif inv.due_style == "date" and inv.due_date is not None and rng.random() < 0.3:
        due = fmt_date(inv.due_date, inv.date_style)
        lines.append(f"Please pay by {due}." if inv.lang == "en" else f"Bitte überweisen Sie den Betrag bis {due}.")
    if inv.lang == "de" and inv.due_style != "absent" and rng.random() < 0.3:
        lines.append(f"Bei Zahlung innerhalb von {rng.choice([5, 8])} Tagen gewähren wir 2 % Skonto.")
    if inv.tax_rate == 0:
        lines.append("Tax exempt: transport to a third country." if inv.lang == "en" else
                     "Steuerfreie Leistung gemäß § 4 Nr. 3 UStG.")  # fmt: skip
    lines.append(rng.choice(["Vielen Dank für Ihren Auftrag.", "Wir danken für die gute Zusammenarbeit."])
                 if inv.lang == "de" else "Thank you for your business.")  # fmt: skip
    for text in lines:
        doc.text(57, y, text, 9)
        y += 13
    return y


def _footer_columns(doc: Doc, y: float, inv: DevInvoice, lb: Labels, rng: random.Random) -> None:
    s = inv.supplier
    doc.rule(y - 11)
    iban = group4(s.iban) if rng.random() < 0.7 else s.iban
    cols = [
        [*_wrap(doc, s.name, 6.8, 160), s.street, f"{s.postal_code} {s.city}", f"Tel. {s.phone}"],
        [s.bank, f"IBAN: {iban}", f"BIC: {s.bic}"],
        [f"{lb.vat}: {s.vat_id}", s.register, f"Geschäftsführer: {s.manager}"],
    ]
    if rng.random() < 0.3:
        cols[2].append("Stammkapital: 25.000,00 EUR")
    for x, rows in zip((57, 230, 400), cols, strict=True):
        for i, row in enumerate(rows):
            doc.text(x, y + i * 8.5, row, 6.8)


def _footer_line(doc: Doc, y: float, inv: DevInvoice, lb: Labels, rng: random.Random) -> None:
    s = inv.supplier
    sep = rng.choice([" · ", " | "])
    iban = group4(s.iban) if rng.random() < 0.6 else s.iban
    doc.text(57, y, sep.join([s.name, s.street, f"{s.postal_code} {s.city}", f"Tel. {s.phone}"]), 7)
    doc.text(57, y + 9, sep.join([s.bank, f"IBAN {iban}", f"BIC {s.bic}", f"{lb.vat} {s.vat_id}"]), 7)
    doc.text(57, y + 18, sep.join([s.register, f"Geschäftsführer: {s.manager}"]), 7)


# --- templates -----------------------------------------------------------------------------------


def t_din5008(doc: Doc, inv: DevInvoice, rng: random.Random) -> None:
    """DIN 5008 form B: letterhead right, sender line over the window, label-value pairs, totals table."""
    s, lb = inv.supplier, labels_for(inv, rng)
    align = rng.choice(["left", "right"])
    x = 350 if align == "left" else 538
    name_size = 12.5
    while doc.width_of(s.name, name_size, bold=True) > 188:
        name_size -= 0.5
    for i, (row, size, bold) in enumerate([(s.name, name_size, True), (s.street, 9, False),
                                           (f"{s.postal_code} {s.city}", 9, False), (f"Tel. {s.phone}", 9, False),
                                           (s.email, 9, False)]):  # fmt: skip
        doc.text(x, 50 + (i and 4 + i * 11), row, size, bold=bold, align=align)
    doc.text(57, 127, _sender_line(s, rng), 6.5)
    _window(doc, 57, 145, inv, rng)
    for i, (label, value) in enumerate(_info_pairs(inv, lb, rng)):
        doc.text(350, 150 + i * 12.5, _colon(label, rng), 9)
        doc.text(450, 150 + i * 12.5, value, 9)
    doc.text(57, 275, lb.title, 15, bold=True)
    doc.text(57, 293, "Für unsere Leistungen erlauben wir uns zu berechnen:" if inv.lang == "de" else
             "We charge you for our services as follows:", 9)  # fmt: skip
    y = _table(doc, 320, inv, lb, TableSpec((57, 88, 370, 455, 538)))
    y = _totals_table(doc, y, inv, lb)
    _terms(doc, y + 20, inv, lb, rng)
    _footer_columns(doc, H - 68, inv, lb, rng)


def t_header_table(doc: Doc, inv: DevInvoice, rng: random.Random) -> None:
    """Brand in large type, header fields as a table (labels above values), footer in lines."""
    s, lb = inv.supplier, labels_for(inv, rng)
    brand = s.name.split()[0] if rng.random() < 0.5 else s.name
    doc.text(57, 62, brand.upper() if len(brand) < 14 else brand, 20, bold=True)
    doc.text(57, 78, rng.choice(["Transport · Lager · Zoll", "Ihr Partner für Logistik", "Spedition seit 1962"]), 9)
    for i, row in enumerate([f"Tel. {s.phone}", s.email, f"www.{s.email.split('@')[1]}"]):
        doc.text(538, 50 + i * 11, row, 8, align="right")
    doc.text(57, 128, _sender_line(s, rng), 7)
    _window(doc, 57, 146, inv, rng)
    doc.text(57, 245, lb.title, 17, bold=True)
    pairs = _info_pairs(inv, lb, rng, limit=5)
    step = 481 / len(pairs)
    for i, (label, value) in enumerate(pairs):
        doc.text(57 + i * step, 268, label, 7.5)
        doc.text(57 + i * step, 281, value, 10)
    y = _table(doc, 318, inv, lb, TableSpec((57, 90, 375, 455, 538)))
    y = _totals_table(doc, y, inv, lb, 350)
    _terms(doc, y + 16, inv, lb, rng)
    _footer_line(doc, H - 58, inv, lb, rng)


def _wrap(doc: Doc, text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
    words, rows = text.split(), [""]
    for word in words:
        trial = f"{rows[-1]} {word}".strip()
        if doc.width_of(trial, size, bold=bold) <= width or not rows[-1]:
            rows[-1] = trial
        else:
            rows.append(word)
    return rows


def t_sidebar(doc: Doc, inv: DevInvoice, rng: random.Random) -> None:
    """Supplier, bank and tax data in a column on the right (labels above values), totals inline."""
    s, lb = inv.supplier, labels_for(inv, rng)
    x, y = 430, 60.0
    for row in _wrap(doc, s.name, 10, 130, bold=True):
        doc.text(x, y, row, 10, bold=True)
        y += 12
    for row in [s.street, f"{s.postal_code} {s.city}"]:
        doc.text(x, y, row, 8)
        y += 10
    y += 12
    de = inv.lang == "de"
    blocks = [("Telefon" if de else "Phone", s.phone), ("E-Mail", s.email),
              ("Bankverbindung" if de else "Bank", s.bank), ("IBAN", group4(s.iban)), ("BIC", s.bic),
              (lb.vat, s.vat_id),
              ("Handelsregister" if de else "Register", s.register.replace("Amtsgericht ", "AG "))]  # fmt: skip
    for label, value in blocks:
        doc.text(x, y, label, 7, bold=True)
        doc.text(x, y + 9, value, 7)
        y += 24
    _window(doc, 57, 140, inv, rng)
    doc.text(57, 240, lb.title, 16, bold=True)
    for i, (label, value) in enumerate(_info_pairs(inv, lb, rng)):
        doc.text(57, 262 + i * 12, f"{label}: {value}", 9)
    spec = TableSpec((57, 88, 285, 345, 405), size=8, row=24)
    y = _table(doc, 345, inv, lb, spec)
    sep = rng.choice(["   ", " · ", ", "])
    parts = [f"{lb.net}: {amount(inv, inv.net)}", f"{lb.tax}: {amount(inv, inv.tax)}"]
    doc.text(57, y + 4, sep.join(parts), 8.5)
    doc.text(57, y + 18, f"{lb.gross}: {amount(inv, inv.gross)}", 10, bold=True)
    _terms(doc, y + 44, inv, lb, rng)


def t_english(doc: Doc, inv: DevInvoice, rng: random.Random) -> None:
    """Sender block top left with the VAT ID, 'Bill to', English labels and formats, bank line at the foot."""
    s, lb = inv.supplier, labels_for(inv, rng)
    doc.text(57, 50, s.name, 12, bold=True)
    for i, row in enumerate([s.street, f"{s.postal_code} {s.city}", "Germany", f"{lb.vat}: {s.vat_id}"]):
        doc.text(57, 63 + i * 11, row, 9)
    doc.text(538, 52, lb.title.upper(), 22, bold=True, align="right")
    doc.text(57, 145, "Bill to:", 8, bold=True)
    _window(doc, 57, 158, inv, rng, size=9)
    for i, (label, value) in enumerate(_info_pairs(inv, lb, rng)):
        doc.text(340, 158 + i * 12, _colon(label, rng), 9)
        doc.text(440, 158 + i * 12, value, 9)
    y = _table(doc, 290, inv, lb, TableSpec((57, 85, 370, 455, 538)))
    y = _totals_table(doc, y, inv, lb)
    _terms(doc, y + 16, inv, lb, rng)
    iban = group4(s.iban) if rng.random() < 0.5 else s.iban
    doc.text(57, H - 60, f"Bank details: {s.bank}, IBAN {iban}, BIC {s.bic}", 7)
    doc.text(57, H - 51, f"{s.name}, {s.street}, {s.postal_code} {s.city}, Germany", 7)


def t_multipage(doc: Doc, inv: DevInvoice, rng: random.Random) -> None:
    """A long collective invoice: the table continues over pages with carry-over lines, totals at the end."""
    s, lb = inv.supplier, labels_for(inv, rng)
    spec = TableSpec((57, 88, 370, 455, 538))
    per_page = [12] + [22] * 10
    chunks: list[list[Item]] = []
    rest = list(inv.items)
    for n in per_page:
        if not rest:
            break
        chunks.append(rest[:n])
        rest = rest[n:]
    total_pages = len(chunks) + (1 if len(chunks[-1]) > 18 else 0)
    carried = Decimal(0)
    name_size = 12.5
    while doc.width_of(s.name, name_size, bold=True) > 188:
        name_size -= 0.5
    doc.text(350, 50, s.name, name_size, bold=True)
    for i, row in enumerate([s.street, f"{s.postal_code} {s.city}", f"Tel. {s.phone}"]):
        doc.text(350, 65 + i * 11, row, 9)
    doc.text(57, 127, _sender_line(s, rng), 6.5)
    _window(doc, 57, 145, inv, rng)
    for i, (label, value) in enumerate(_info_pairs(inv, lb, rng)):
        doc.text(350, 150 + i * 12.5, _colon(label, rng), 9)
        doc.text(450, 150 + i * 12.5, value, 9)
    doc.text(57, 275, "Sammelrechnung", 15, bold=True)
    y = 310.0
    for page_no, chunk in enumerate(chunks, start=1):
        if page_no > 1:
            doc.new_page()
            doc.text(57, 50, f"{s.name} - {lb.title} {inv.printed_number}", 8)
            y = 90
            doc.text(57, y, "Übertrag", 9, bold=True)
            doc.text(538, y, money(carried, inv.number_style), 9, bold=True, align="right")
            y += 24
        y = _table_head(doc, y, lb, spec)
        for it in chunk:
            y = _table_row(doc, y, inv, it, spec)
            carried += it.net
        if page_no < len(chunks):
            doc.rule(y - 8)
            doc.text(57, y + 4, "Übertrag", 9, bold=True)
            doc.text(538, y + 4, money(carried, inv.number_style), 9, bold=True, align="right")
        doc.text(538, 38, f"{lb.page} {page_no} von {total_pages}", 7, align="right")
        _footer_columns(doc, H - 68, inv, lb, rng)
    if total_pages > len(chunks):
        doc.new_page()
        doc.text(57, 50, f"{s.name} - {lb.title} {inv.printed_number}", 8)
        y = 90
        doc.text(538, 38, f"{lb.page} {total_pages} von {total_pages}", 7, align="right")
        _footer_columns(doc, H - 68, inv, lb, rng)
    doc.rule(y - 8)
    y = _totals_table(doc, y + 10, inv, lb)
    _terms(doc, y + 16, inv, lb, rng)


def t_receipt(doc: Doc, inv: DevInvoice, rng: random.Random) -> None:
    """A till receipt: centred header, items with quantity lines, SUMME, tax split, cash given and change."""
    s, mid, right, left = inv.supplier, doc.width / 2, doc.width - 12, 12.0
    y = 24.0
    for row, size, bold in [(s.name, 9, True), (s.street, 8, False), (f"{s.postal_code} {s.city}", 8, False),
                            (f"Tel. {s.phone}", 8, False), (f"USt-IdNr.: {s.vat_id}", 8, False)]:  # fmt: skip
        for part in _wrap(doc, row, size, doc.width - 24, bold=bold):
            doc.text(mid, y, part, size, bold=bold, align="center")
            y += size + 3
    y += 6
    doc.text(left, y, "-" * 40, 7)
    y += 12
    doc.text(left, y, f"{rng.choice(['Beleg-Nr.', 'Bon-Nr.', 'Rechnung Nr.'])}: {inv.printed_number}", 8)
    y += 11
    doc.text(left, y, f"Datum: {fmt_date(inv.invoice_date, 'numeric')}  {rng.randint(6, 21):02d}:"
             f"{rng.randint(0, 59):02d}", 8)  # fmt: skip
    y += 11
    doc.text(left, y, "-" * 40, 7)
    y += 13
    for it in inv.items:
        doc.text(left, y, it.description, 8)
        y += 10
        doc.text(left + 10, y, f"{qty_text(it.quantity, 'de')} x {money(it.unit_price, 'de')}", 8)
        doc.text(right, y, money(it.net, "de"), 8, align="right")
        y += 12
    doc.text(left, y, "-" * 40, 7)
    y += 13
    doc.text(left, y, "SUMME EUR", 10, bold=True)
    doc.text(right, y, money(inv.gross, "de"), 10, bold=True, align="right")
    y += 16
    given = (inv.gross / 10).quantize(Decimal(1), ROUND_HALF_UP) * 10 + 10
    for label, value in [("Gegeben BAR", given), ("Rückgeld", given - inv.gross)]:
        doc.text(left, y, label, 8)
        doc.text(right, y, money(value, "de"), 8, align="right")
        y += 11
    y += 6
    rate = f"{inv.tax_rate}%"
    for label, value in [(f"MwSt {rate}", inv.tax), ("Netto", inv.net), ("Brutto", inv.gross)]:
        doc.text(left, y, label, 8)
        doc.text(right, y, money(value, "de"), 8, align="right")
        y += 11
    doc.text(mid, y + 10, "Vielen Dank für Ihren Besuch!", 8, align="center")


def t_compact(doc: Doc, inv: DevInvoice, rng: random.Random) -> None:
    """Sender block top left, number in the title line, date and due date on one line, footer lines."""
    s, lb = inv.supplier, labels_for(inv, rng)
    doc.text(57, 45, s.name, 12, bold=True)
    doc.text(57, 58, s.street, 9)
    doc.text(57, 69, f"{s.postal_code} {s.city}", 9)
    _window(doc, 57, 140, inv, rng)
    doc.text(57, 250, f"{lb.title} {lb.number.split()[-1] if ' ' in lb.number else 'Nr.'} {inv.printed_number}", 13,
             bold=True)  # fmt: skip
    doc.text(57, 268, f"{lb.date}: {fmt_date(inv.invoice_date, inv.date_style)}", 10)
    if inv.due_style == "date" and inv.due_date is not None:
        doc.text(290, 268, f"{lb.due}: {fmt_date(inv.due_date, inv.date_style)}", 10)
    if inv.recipient_vat_id:
        doc.text(57, 282, f"{'Your VAT ID' if inv.lang == 'en' else 'Ihre USt-IdNr.'}: {inv.recipient_vat_id}", 9)
    if inv.currency_style == "header":
        doc.text(290, 282, f"{'Amounts in' if inv.lang == 'en' else 'Alle Beträge in'} {inv.currency}", 9)
    y = _table(doc, 305, inv, lb, TableSpec((57, 90, 370, 455, 538)))
    y = _totals_table(doc, y, inv, lb)
    _terms(doc, y + 16, inv, lb, rng)
    _footer_line(doc, H - 58, inv, lb, rng)


RENDERERS: dict[str, Callable[[Doc, DevInvoice, random.Random], None]] = {
    "din5008": t_din5008, "header_table": t_header_table, "sidebar": t_sidebar, "english": t_english,
    "multipage": t_multipage, "receipt": t_receipt, "compact": t_compact,
}  # fmt: skip


def render(inv: DevInvoice, path: Path, rng: random.Random) -> tuple[str, int]:
    """Draws ``inv`` into ``path``; returns the font used and the page count."""
    size = A4
    if inv.template == "receipt":
        size = (227.0, 260.0 + 22 * len(inv.items) + 80)
    doc = Doc(path, inv, size)
    RENDERERS[inv.template](doc, inv, rng)
    doc.save()
    return doc.font_name, doc.pages


def truth(inv: DevInvoice, font: str, pages: int) -> dict[str, object]:
    s = inv.supplier
    due = inv.due_date
    return {
        "file": f"{inv.stem}.pdf",
        "template": inv.template,
        "lang": inv.lang,
        "font": font,
        "pages": pages,
        "fields": {
            "invoice_number": inv.number,
            "invoice_date": inv.invoice_date.isoformat(),
            "due_date": due.isoformat() if due else None,
            "currency": inv.currency,
            "net_amount": str(inv.net),
            "tax_amount": str(inv.tax),
            "gross_amount": str(inv.gross),
            "supplier_name": s.name,
            "supplier_street": s.street,
            "supplier_postal_code": s.postal_code,
            "supplier_city": s.city,
            "supplier_iban": s.iban if inv.show_iban else None,
            "supplier_vat_id": s.vat_id,
            "recipient_name": inv.recipient.name if inv.recipient else None,
            "document_type": "receipt" if inv.template == "receipt" else "invoice",
        },
        "lines": [
            {
                "position": it.position,
                "description": it.description,
                "quantity": str(it.quantity),
                "unit_price": str(it.unit_price),
                "net_amount": str(it.net),
                "reference": it.reference,
            }
            for it in inv.items
        ],
    }


def generate(out: Path, *, count: int, seed: int, templates: Sequence[str] | None = None) -> list[Path]:
    """Writes ``count`` invoices with their truth into ``out``; returns the PDF paths."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        inv = build_invoice(i, rng)
        if templates and inv.template not in templates:
            continue
        draw_rng = random.Random(f"{seed}-{i}")
        path = out / f"{inv.stem}.pdf"
        font, pages = render(inv, path, draw_rng)
        (out / f"{inv.stem}.truth.json").write_text(
            json.dumps(truth(inv, font, pages), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the PDFs and truth files")
    parser.add_argument("--count", type=int, default=70)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--template", action="append", choices=TEMPLATES, help="only these templates")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    paths = generate(args.out, count=args.count, seed=args.seed, templates=args.template)
    print(f"{len(paths)} invoices with truth in {args.out}")


if __name__ == "__main__":
    main()
