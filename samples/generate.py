"""Generates realistic German freight invoices as PDFs, each with a ``.truth.json`` of what it says.

Deterministic for a seed (reportlab's invariant mode fixes dates and ids), so the committed samples can
be rebuilt byte for byte: ``python samples/generate.py`` rewrites samples/invoices and samples/masterdata.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

HERE = Path(__file__).resolve().parent
CENT = Decimal("0.01")
VAT_RATE = Decimal("0.19")
MONTHS_DE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
             "Oktober", "November", "Dezember"]  # fmt: skip


# --- check digits --------------------------------------------------------------------------------


def iban_de(blz: str, account: str) -> str:
    """German IBAN with its ISO 13616 mod-97 check digits."""
    bban = blz + account.zfill(10)
    check = 98 - int(bban + "131400") % 97
    return f"DE{check:02d}{bban}"


def vat_id_de(eight_digits: str) -> str:
    """German USt-IdNr. with its ISO 7064 MOD 11,10 check digit."""
    product = 10
    for ch in eight_digits:
        total = (int(ch) + product) % 10 or 10
        product = (2 * total) % 11
    check = (11 - product) % 10
    return f"DE{eight_digits}{check}"


def container_number(owner: str, serial: int) -> str:
    """ISO 6346 container number: owner code, category U, 6 digits and the check digit."""
    values = {}
    n = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if n % 11 == 0:
            n += 1
        values[letter] = n
        n += 1
    code = f"{owner}U{serial:06d}"
    total = sum((values[c] if c.isalpha() else int(c)) * 2**i for i, c in enumerate(code))
    return f"{code}{total % 11 % 10}"


def mawb(prefix: str, serial: int) -> str:
    """Air waybill number: airline prefix and 7 digits plus the mod-7 check digit."""
    return f"{prefix}-{serial:07d}{serial % 7}"


def group4(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# --- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    postal_code: str
    city: str


@dataclass(frozen=True)
class Supplier(Party):
    number: str
    iban: str
    bic: str
    bank: str
    vat_id: str
    master_ibans: tuple[str, ...]
    """IBANs master data knows; differs from ``iban`` for the supplier known only by VAT ID."""
    tolerance: Decimal = Decimal("5.00")


@dataclass
class Line:
    position: int
    description: str
    reference_label: str
    reference: str | None
    quantity: Decimal
    unit_price: Decimal
    accrual_number: str = "XXX"

    @property
    def net(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)

    @property
    def reference_text(self) -> str:
        return f"{self.reference_label} {self.reference}" if self.reference else self.reference_label


@dataclass
class Invoice:
    stem: str
    layout: str
    number: str
    printed_number: str
    invoice_date: date
    due_date: date
    supplier: Supplier
    recipient: Party
    lines: list[Line] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum((ln.net for ln in self.lines), Decimal("0"))

    @property
    def tax(self) -> Decimal:
        return (self.net * VAT_RATE).quantize(CENT, ROUND_HALF_UP)

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


SUPPLIERS = [
    Supplier("Spedition Nordlicht GmbH", "Hafenstraße 12", "20457", "Hamburg", "70001",
             iban_de("20050550", "1234567890"), "HASPDEHHXXX", "Hamburger Sparkasse",
             vat_id_de("11865432"), ()),
    Supplier("Rheinfracht Logistik AG", "Rheinuferweg 8", "50668", "Köln", "70002",
             iban_de("37050198", "22334455"), "COLSDE33XXX", "Sparkasse KölnBonn",
             vat_id_de("21445566"), ()),
    Supplier("Alpen Cargo Service GmbH & Co. KG", "Flughafenstraße 41", "85356", "Freising", "70003",
             iban_de("70150000", "987654321"), "SSKMDEMMXXX", "Stadtsparkasse München",
             vat_id_de("13579246"), ()),
    Supplier("Weser Container Trucking e.K.", "Überseetor 14", "28217", "Bremen", "70004",
             iban_de("29050101", "5566778899"), "SBREDE22XXX", "Sparkasse Bremen",
             vat_id_de("24681357"), ()),
    Supplier("Mainzoll Zollagentur UG", "Cargo City Süd 560", "60549", "Frankfurt am Main", "70005",
             iban_de("50050201", "4455667788"), "HELADEF1822", "Frankfurter Sparkasse",
             vat_id_de("31415926"), (iban_de("50050201", "1000200030"),)),
]  # fmt: skip
RECIPIENTS = [
    Party("Nordwest Logistik GmbH", "Industriestraße 5", "28199", "Bremen"),
    Party("Nordwest Logistik Süd GmbH", "Am Güterbahnhof 17", "80339", "München"),
]
SERVICES = {
    "70001": [("Seefracht Hamburg - Shanghai", "Container"), ("Vorlauf LKW Hamburg Hafen", "Sendung"),
              ("THC Terminal Handling", "Container"), ("Zollabfertigung Export", "Sendung")],
    "70002": [("Binnenschiff Köln - Rotterdam", "Sendung"), ("Umschlag Niehl", "Sendung"),
              ("Lagergeld 14 Tage", "Auftrag")],
    "70003": [("Luftfracht MUC - JFK", "MAWB"), ("Sicherheitskontrolle Luftfracht", "MAWB"),
              ("Gefahrgutzuschlag", "MAWB")],
    "70004": [("Containertransport Bremerhaven - Bremen", "Container"), ("Wartezeit Terminal", "Container"),
              ("Chassisgestellung", "Container")],
    "70005": [("Zollanmeldung Import ATLAS", "Sendung"), ("Einfuhrabfertigung T1", "Sendung"),
              ("Dokumentenpauschale", "Sendung")],
}  # fmt: skip
LAYOUTS = ["din", "modern", "english", "compact"]


def _reference(kind: str, rng: random.Random) -> str:
    if kind == "Container":
        return container_number(rng.choice(["MSC", "HLX", "TGH", "CMA"]), rng.randrange(100000, 999999))
    if kind == "MAWB":
        return mawb(rng.choice(["020", "176", "157"]), rng.randrange(1000000, 9999999))
    if kind == "Auftrag":
        return f"SO-{rng.randrange(2024000, 2024999)}"
    return f"{rng.randrange(4000, 4999)}-{rng.randrange(1, 9999):04d}"


def build_invoices(seed: int = 4711, count: int = 6) -> list[Invoice]:
    """The invoices for a seed; the first five cover every supplier and layout, then they repeat."""
    rng = random.Random(seed)
    invoices = []
    for i in range(count):
        supplier = SUPPLIERS[i % len(SUPPLIERS)]
        layout = LAYOUTS[i % len(LAYOUTS)]
        issued = date(2024, 1, 8) + timedelta(days=rng.randrange(0, 300))
        serial = rng.randrange(100, 9999)
        if layout == "english":
            number = printed = f"INV-2024-{serial:04d}"
        elif layout == "compact":
            number, printed = f"2024{serial:04d}", f"2024 {serial:04d}"
        else:
            number = printed = f"RE-{issued:%y}-{serial:05d}"
        inv = Invoice(
            stem=f"invoice-{i + 1:02d}-{layout}",
            layout=layout,
            number=number,
            printed_number=printed,
            invoice_date=issued,
            due_date=issued + timedelta(days=rng.choice([14, 30])),
            supplier=supplier,
            recipient=RECIPIENTS[i % len(RECIPIENTS)],
        )
        services = SERVICES[supplier.number]
        for pos in range(1, rng.randint(1, 6) + 1):
            description, kind = services[(pos - 1) % len(services)]
            if kind == "Container" and rng.random() < 0.3:
                qty = Decimal(rng.randint(1, 4))
            else:
                qty = Decimal(rng.choice([1, 1, 1, 2, 3]))
            price = (Decimal(rng.randrange(2500, 250000)) / 100).quantize(CENT)
            inv.lines.append(Line(pos, description, kind, _reference(kind, rng), qty, price))
        invoices.append(inv)
    # One line without any reference: accrual assignment must answer XXX for it.
    if invoices:
        last = invoices[-1]
        del last.lines[5:]
        last.lines.append(Line(len(last.lines) + 1, "Wartezeit Fahrer (ohne Auftrag)", "laut Fahrerbericht", None,
                               Decimal("2"), Decimal("45.00")))  # fmt: skip
    return invoices


# --- formatting ----------------------------------------------------------------------------------


def money_de(v: Decimal) -> str:
    s = f"{v:,.2f}"
    return s.replace(",", "X").replace(".", ",").replace("X", ".")


def money_en(v: Decimal) -> str:
    return f"{v:,.2f}"


def qty_text(q: Decimal) -> str:
    return str(int(q)) if q == q.to_integral_value() else money_de(q)


# --- layouts -------------------------------------------------------------------------------------

W, H = A4
FOOT_FONT = 7


class Page:
    """A canvas with y measured from the top, as readers see the page."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.c = canvas
        self.font = font
        self.bold = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}[font]

    def text(self, x: float, y: float, s: str, *, size: float = 10, bold: bool = False, right: bool = False) -> None:
        self.c.setFont(self.bold if bold else self.font, size)
        if right:
            self.c.drawRightString(x, H - y, s)
        else:
            self.c.drawString(x, H - y, s)

    def rule(self, y: float, x0: float = 57, x1: float = 538) -> None:
        self.c.setLineWidth(0.5)
        self.c.line(x0, H - y, x1, H - y)


def _sender_line(s: Supplier) -> str:
    return f"{s.name} · {s.street} · {s.postal_code} {s.city}"


def _address(p: Page, x: float, y: float, party: Party, *, lead: float = 13, size: float = 10,
             extra: str | None = None) -> float:  # fmt: skip
    rows = [party.name] + ([extra] if extra else []) + [party.street, f"{party.postal_code} {party.city}"]
    for i, row in enumerate(rows):
        p.text(x, y + i * lead, row, size=size)
    return y + len(rows) * lead


def _table(p: Page, inv: Invoice, y: float, heads: list[str], fmt: type | None = None, *,
           english: bool = False) -> float:  # fmt: skip
    money = money_en if english else money_de
    cols = [57, 90, 370, 455, 538]
    p.text(cols[0], y, heads[0], bold=True, size=9)
    p.text(cols[1], y, heads[1], bold=True, size=9)
    for x, head in zip(cols[2:], heads[2:], strict=True):
        p.text(x, y, head, bold=True, size=9, right=True)
    p.rule(y + 5)
    y += 20
    for line in inv.lines:
        p.text(cols[0], y, str(line.position), size=9)
        p.text(cols[1], y, line.description, size=9)
        p.text(cols[2], y, qty_text(line.quantity), size=9, right=True)
        p.text(cols[3], y, money(line.unit_price), size=9, right=True)
        p.text(cols[4], y, money(line.net), size=9, right=True)
        p.text(cols[1], y + 11, line.reference_text, size=8)
        y += 28
    p.rule(y - 8)
    return y + 8


def _totals(p: Page, y: float, labels: list[str], values: list[str]) -> float:
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        last = i == len(labels) - 1
        p.text(360, y, label, size=10, bold=last)
        p.text(538, y, value, size=10, bold=last, right=True)
        y += 15
    return y


def layout_din(p: Page, inv: Invoice) -> None:
    s, d = inv.supplier, inv.invoice_date
    p.text(360, 50, s.name, size=13, bold=True)
    p.text(360, 65, s.street, size=9)
    p.text(360, 76, f"{s.postal_code} {s.city}", size=9)
    p.text(360, 87, "Telefon 040 3344 550", size=9)
    p.text(57, 135, _sender_line(s), size=6.5)
    _address(p, 57, 155, inv.recipient, extra="Kreditorenbuchhaltung")
    for i, (label, value) in enumerate([("Rechnungsnummer:", inv.printed_number),
                                        ("Rechnungsdatum:", f"{d:%d.%m.%Y}"),
                                        ("Kundennummer:", "K-10023"),
                                        ("Fällig am:", f"{inv.due_date:%d.%m.%Y}")]):  # fmt: skip
        p.text(360, 155 + i * 13, label, size=9)
        p.text(450, 155 + i * 13, value, size=9)
    p.text(57, 280, "Rechnung", size=16, bold=True)
    p.text(57, 300, "Für unsere Leistungen erlauben wir uns zu berechnen:", size=9)
    y = _table(p, inv, 330, ["Pos.", "Beschreibung", "Menge", "Einzelpreis", "Gesamt"])
    _totals(p, y, ["Nettobetrag", "zzgl. 19 % USt", "Rechnungsbetrag"],
            [f"{money_de(v)} €" for v in (inv.net, inv.tax, inv.gross)])  # fmt: skip
    fy = H - 70
    p.rule(fy - 12)
    for i, row in enumerate([s.name, s.street, f"{s.postal_code} {s.city}"]):
        p.text(57, fy + i * 9, row, size=FOOT_FONT)
    for i, row in enumerate([s.bank, f"IBAN: {group4(s.iban)}", f"BIC: {s.bic}"]):
        p.text(230, fy + i * 9, row, size=FOOT_FONT)
    legal = [f"USt-IdNr.: {s.vat_id}", "Amtsgericht Hamburg HRB 123456", "Geschäftsführer: J. Petersen"]
    for i, row in enumerate(legal):
        p.text(410, fy + i * 9, row, size=FOOT_FONT)


def layout_modern(p: Page, inv: Invoice) -> None:
    s, d = inv.supplier, inv.invoice_date
    p.text(57, 60, s.name, size=20, bold=True)
    p.text(57, 76, "Transport · Lager · Zoll", size=9)
    p.text(57, 130, _sender_line(s), size=7)
    _address(p, 57, 148, inv.recipient)
    p.text(57, 240, "Rechnung", size=18, bold=True)
    labels = ["Rechnung Nr.", "Datum", "Fällig", "Kunden-Nr."]
    values = [inv.printed_number, f"{d.day}. {MONTHS_DE[d.month - 1]} {d.year}",
              f"{inv.due_date.day}. {MONTHS_DE[inv.due_date.month - 1]} {inv.due_date.year}", "4711"]  # fmt: skip
    for x, label, value in zip([57, 190, 320, 450], labels, values, strict=True):
        p.text(x, 265, label, size=8)
        p.text(x, 279, value, size=11)
    y = _table(p, inv, 320, ["Nr.", "Leistung", "Anzahl", "Preis", "Betrag"])
    _totals(p, y, ["Summe netto", "MwSt 19 %", "Gesamtbetrag"],
            [f"{money_de(v)} €" for v in (inv.net, inv.tax, inv.gross)])  # fmt: skip
    p.text(57, y + 70, "Bitte überweisen Sie den Betrag unter Angabe der Rechnungsnummer.", size=9)
    fy = H - 50
    p.text(57, fy, f"{s.name} · {s.street} · {s.postal_code} {s.city}", size=FOOT_FONT)
    p.text(57, fy + 9, f"{s.bank} · IBAN {group4(s.iban)} · BIC {s.bic} · USt-IdNr. {s.vat_id}", size=FOOT_FONT)


def layout_english(p: Page, inv: Invoice) -> None:
    s, d = inv.supplier, inv.invoice_date
    p.text(57, 50, s.name, size=12, bold=True)
    p.text(57, 63, s.street, size=9)
    p.text(57, 74, f"{s.postal_code} {s.city}", size=9)
    p.text(57, 85, "Germany", size=9)
    p.text(57, 96, f"VAT ID: {s.vat_id}", size=9)
    p.text(538, 50, "INVOICE", size=22, bold=True, right=True)
    p.text(57, 145, "Bill to:", size=8, bold=True)
    _address(p, 57, 158, inv.recipient, size=9, lead=12)
    for i, (label, value) in enumerate([("Invoice No.:", inv.printed_number), ("Invoice date:", f"{d:%Y-%m-%d}"),
                                        ("Due date:", f"{inv.due_date:%Y-%m-%d}"), ("Currency:", "EUR")]):  # fmt: skip
        p.text(340, 158 + i * 12, label, size=9)
        p.text(440, 158 + i * 12, value, size=9)
    y = _table(p, inv, 290, ["Pos", "Description", "Qty", "Unit price", "Amount"], english=True)
    _totals(p, y, ["Net", "VAT 19%", "Total EUR"], [money_en(v) for v in (inv.net, inv.tax, inv.gross)])
    fy = H - 60
    p.text(57, fy, f"Bank details: {s.bank}, IBAN {s.iban}, BIC {s.bic}", size=FOOT_FONT)
    p.text(57, fy + 9, f"{s.name}, {s.street}, {s.postal_code} {s.city}, Germany", size=FOOT_FONT)


def layout_compact(p: Page, inv: Invoice) -> None:
    s, d = inv.supplier, inv.invoice_date
    p.text(57, 45, s.name, size=12, bold=True)
    p.text(57, 58, s.street, size=9)
    p.text(57, 69, f"{s.postal_code} {s.city}", size=9)
    p.text(57, 140, "Firma", size=10)
    _address(p, 57, 153, inv.recipient)
    p.text(57, 250, f"Rechnung Nr. {inv.printed_number}", size=13, bold=True)
    p.text(57, 268, f"Datum: {d:%d.%m.%Y}", size=10)
    p.text(260, 268, f"Zahlbar bis: {inv.due_date:%d.%m.%Y}", size=10)
    y = _table(p, inv, 300, ["Pos", "Bezeichnung", "Menge", "E-Preis", "Netto"])
    amounts = [f"{money_de(v)} EUR" for v in (inv.net, inv.tax, inv.gross)]
    _totals(p, y, ["Netto", "Umsatzsteuer 19 %", "Brutto"], amounts)
    fy = H - 55
    p.text(57, fy, f"Bankverbindung: {s.bank} · IBAN: {group4(s.iban)} · BIC: {s.bic}", size=FOOT_FONT)
    p.text(57, fy + 9, f"USt-ID: {s.vat_id} · Steuernummer 27/123/45678", size=FOOT_FONT)


LAYOUT_FUNCS = {"din": (layout_din, "Helvetica"), "modern": (layout_modern, "Times-Roman"),
                "english": (layout_english, "Courier"), "compact": (layout_compact, "Helvetica")}  # fmt: skip


def truth(inv: Invoice) -> dict[str, object]:
    s = inv.supplier
    return {
        "file": f"{inv.stem}.pdf",
        "layout": inv.layout,
        "fields": {
            "invoice_number": inv.number,
            "invoice_date": inv.invoice_date.isoformat(),
            "due_date": inv.due_date.isoformat(),
            "currency": "EUR",
            "net_amount": str(inv.net),
            "tax_amount": str(inv.tax),
            "gross_amount": str(inv.gross),
            "supplier_name": s.name,
            "supplier_street": s.street,
            "supplier_postal_code": s.postal_code,
            "supplier_city": s.city,
            "supplier_iban": s.iban,
            "supplier_vat_id": s.vat_id,
            "recipient_name": inv.recipient.name,
            "document_type": "invoice",
        },
        "supplier_number": s.number,
        "lines": [
            {
                "position": ln.position,
                "description": ln.description,
                "quantity": str(ln.quantity),
                "unit_price": str(ln.unit_price),
                "net_amount": str(ln.net),
                "reference": ln.reference,
                "accrual_number": ln.accrual_number,
            }
            for ln in inv.lines
        ],
    }


def render(inv: Invoice, path: Path) -> None:
    func, font = LAYOUT_FUNCS[inv.layout]
    canvas = Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"Rechnung {inv.number}")
    canvas.setAuthor(inv.supplier.name)
    func(Page(canvas, font), inv)
    canvas.showPage()
    canvas.save()


def assign_accruals(invoices: list[Invoice]) -> list[dict[str, str]]:
    """Open accruals for every referenced line except every fifth, whose reference has none (-> XXX)."""
    rows = []
    counter = 0
    for inv in invoices:
        for ln in inv.lines:
            if ln.reference is None:
                continue
            counter += 1
            if counter % 5 == 0:
                continue
            number = f"AC-2024-{counter:04d}"
            ln.accrual_number = number
            # Estimates are rarely exact: a few euros off stays within the supplier's tolerance.
            amount = ln.net + (Decimal("2.50") if counter % 3 == 0 else Decimal("0"))
            rows.append({"accrual_number": number, "supplier_number": inv.supplier.number,
                         "reference": ln.reference, "amount": str(amount), "currency": "EUR"})  # fmt: skip
    return rows


def write_masterdata(directory: Path, accruals: list[dict[str, str]]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "suppliers.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["supplier_number", "name", "street", "postal_code", "city", "country", "ibans", "vat_id",
                    "gl_account", "cost_center", "tax_key", "amount_tolerance"])  # fmt: skip
        for s in SUPPLIERS:
            ibans = s.master_ibans or (s.iban,)
            w.writerow([s.number, s.name, s.street, s.postal_code, s.city, "DE", ";".join(ibans), s.vat_id,
                        "3800", "1000", "9", str(s.tolerance)])  # fmt: skip
    with (directory / "accruals.csv").open("w", newline="", encoding="utf-8") as f:
        dw = csv.DictWriter(f, ["accrual_number", "supplier_number", "reference", "amount", "currency"],
                            lineterminator="\n")  # fmt: skip
        dw.writeheader()
        dw.writerows(accruals)


def generate(out_dir: Path, *, seed: int = 4711, count: int = 6, masterdata_dir: Path | None = None) -> list[Path]:
    """Writes ``count`` invoices and their truth files into ``out_dir``; returns the PDF paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    invoices = build_invoices(seed, count)
    accruals = assign_accruals(invoices)
    paths = []
    for inv in invoices:
        pdf = out_dir / f"{inv.stem}.pdf"
        render(inv, pdf)
        (out_dir / f"{inv.stem}.truth.json").write_text(
            json.dumps(truth(inv), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        paths.append(pdf)
    if masterdata_dir is not None:
        write_masterdata(masterdata_dir, accruals)
    return paths


def dense_pdf(pages: int) -> bytes:
    """A born-digital PDF so full of text that reading its text layer takes seconds: a genuinely slow input."""
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4)
    for page in range(pages):
        pdf.setFont("Helvetica", 7)
        for line in range(90):
            pdf.drawString(20, 800 - line * 8.5, " ".join(f"w{page}x{line}y{i}" for i in range(22)))
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "invoices")
    parser.add_argument("--masterdata", type=Path, default=HERE / "masterdata")
    parser.add_argument("--seed", type=int, default=4711)
    parser.add_argument("--count", type=int, default=6)
    args = parser.parse_args()
    generate(args.out, seed=args.seed, count=args.count, masterdata_dir=args.masterdata)


if __name__ == "__main__":
    main()
