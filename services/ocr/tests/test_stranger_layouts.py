"""Invoices laid out unlike any family the model was trained on, read through the PDF text-layer reader.

Layouts written as a stranger would: a US cloud bill with dollar amounts, an Indian tax invoice grouped by lakh
and naming its seller after "Sold By:", a British sales invoice with a tax point, a Swiss "Honorarnote" with
whole francs "150.–" and typographic apostrophes, a French one with a deposit, a Dutch one with whole euros
("€ 60,-"), a German forwarder's with the recipient right under the sender line and its references in a row
under their headings, an Italian one addressed "Spett.le" with its VAT number printed without "IT", an Austrian
one with a discount and a payment on account, an Irish one with a two-digit year, a Belgian reverse-charge one
with its type code beside the title ("FACTURE (380)") and totals "HTVA" and "TVAC". Each field named must be
read right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from reportlab.lib.pagesizes import A4, letter
from reportlab.pdfgen.canvas import Canvas

from belegflow_ocr.recognition.pdftext import PdfTextReader

Row = tuple[float, float, str] | tuple[float, float, str, str]
"""(x, y, text) drawn from x, or (x, y, text, "r") ending at x; PDF points from the bottom-left corner."""


def _rows(c: Canvas, rows: list[Row], font: str = "Helvetica", size: float = 9) -> None:
    c.setFont(font, size)
    for row in rows:
        (c.drawRightString if len(row) == 4 else c.drawString)(row[0], row[1], row[2])


def _us(c: Canvas) -> None:
    _rows(c, [(50, 740, "Acme Cloud Services, Inc.")], "Helvetica-Bold", 20)
    _rows(c, [(560, 740, "INVOICE", "r")], "Helvetica-Bold", 14)
    _rows(c, [(50, 726, "410 Terry Ave N, Seattle, WA 98109"),
              (400, 715, "Invoice #"), (560, 715, "INV-88213", "r"), (400, 702, "Invoice Date"),
              (560, 702, "Nov 2, 2025", "r"), (400, 689, "Due Date"), (560, 689, "Dec 2, 2025", "r"),
              (400, 676, "Account"), (560, 676, "551-20931", "r"), (50, 680, "Bill To:"),
              (50, 668, "Northwind Traders LLC"), (50, 656, "12 Harbor Rd, Boston, MA 02110"),
              (50, 600, "Description"), (330, 600, "Qty", "r"), (400, 600, "Rate", "r"), (560, 600, "Amount", "r"),
              (50, 585, "Compute hours (m5.large)"), (330, 585, "720", "r"), (400, 585, "$0.096", "r"),
              (560, 585, "$69.12", "r"), (50, 571, "Storage GB-month"), (330, 571, "500", "r"),
              (400, 571, "$0.023", "r"), (560, 571, "$11.50", "r"), (50, 557, "Support plan"), (330, 557, "1", "r"),
              (400, 557, "$29.00", "r"), (560, 557, "$29.00", "r"),
              (400, 520, "Subtotal"), (560, 520, "$109.62", "r"), (400, 506, "Sales Tax (6.5%)"),
              (560, 506, "$7.13", "r"), (400, 492, "Total"), (560, 492, "$116.75", "r"), (400, 478, "Amount Paid"),
              (560, 478, "$0.00", "r"), (400, 464, "Balance Due"), (560, 464, "$116.75", "r"),
              (50, 400, "Please remit payment within 30 days. Thank you for your business!")])  # fmt: skip


def _india(c: Canvas) -> None:
    _rows(c, [(220, 800, "TAX INVOICE")], "Helvetica-Bold", 12)
    _rows(c, [(40, 780, "Sold By: Shree Ganesh Electronics Pvt. Ltd."),
              (40, 768, "Plot 14, MIDC Andheri East, Mumbai, Maharashtra 400093"),
              (40, 756, "GSTIN: 27AABCS1429B1Z1   PAN: AABCS1429B"), (360, 780, "Invoice Number: MH-2025-004417"),
              (360, 768, "Order ID: OD42273318812"), (360, 756, "Invoice Date: 14-03-2025"),
              (360, 744, "Order Date: 12-03-2025"),
              (40, 720, "Billing Address: Rahul Mehta, 22 Park Street, Kolkata 700016"),
              (40, 690, "Product"), (300, 690, "Qty"), (360, 690, "Gross Amount"), (440, 690, "Taxable Value"),
              (500, 690, "IGST"), (555, 690, "Total"), (40, 675, "LED Television 43 inch"), (300, 675, "1"),
              (360, 675, "1,26,779.66"), (440, 675, "1,26,779.66"), (500, 675, "22,820.34"), (555, 675, "1,49,600.00"),
              (360, 640, "Total Taxable Value"), (590, 640, "Rs. 1,26,779.66", "r"), (360, 626, "IGST @ 18%"),
              (590, 626, "Rs. 22,820.34", "r"), (360, 612, "Grand Total"), (590, 612, "Rs. 1,49,600.00", "r"),
              (40, 580, "Amount in words: One Lakh Forty Nine Thousand Six Hundred Rupees Only")])  # fmt: skip


def _uk(c: Canvas) -> None:
    _rows(c, [(40, 790, "Hartley & Sons Joinery Ltd")], "Times-Bold", 16)
    _rows(c, [(40, 776, "Unit 7, Mill Lane Industrial Estate, Leeds LS11 5TU"),
              (40, 764, "VAT Reg. No. GB 123 4567 89   Company No. 04567890")], "Times-Roman")
    _rows(c, [(40, 730, "Sales Invoice 10457")], "Times-Bold", 11)
    _rows(c, [(40, 716, "Tax point: 28th February 2025"), (250, 716, "Your ref: PO-7781"),
              (40, 690, "To: Greenfield Homes plc, 3 Station Road, York YO1 6HT"),
              (40, 650, "Supply and fit oak staircase"), (550, 650, "2,450.00", "r"),
              (40, 636, "Delivery 24 February 2025"), (550, 636, "85.00", "r"),
              (380, 600, "Net"), (550, 600, "£2,535.00", "r"), (380, 586, "VAT @ 20%"), (550, 586, "£507.00", "r"),
              (380, 572, "Invoice total"), (550, 572, "£3,042.00", "r"),
              (40, 530, "Payment terms: 30 days. Bank: Barclays, Sort code 20-00-00, Account 55779911"),
              (40, 518, "IBAN GB33 BUKB 2020 1555 5555 55")], "Times-Roman")  # fmt: skip


def _swiss(c: Canvas) -> None:
    _rows(c, [(50, 790, "Alpenblick Treuhand AG")], "Helvetica-Bold", 13)
    _rows(c, [(50, 777, "Bahnhofstrasse 12 · 8001 Zürich · CHE-109.322.551 MWST"), (330, 720, "Müller Logistik GmbH"),
              (330, 709, "Industriestrasse 4"), (330, 698, "4600 Olten"), (50, 650, "Zürich, 3. März 2025")],
          size=8.5)  # fmt: skip
    _rows(c, [(50, 625, "Honorarnote 2025-031")], "Helvetica-Bold", 11)
    _rows(c, [(50, 600, "Buchhaltung und Jahresabschluss 2024, 12 Std. à CHF 180.–"), (540, 600, "2’160.00", "r"),
              (50, 586, "Spesenpauschale"), (540, 586, "150.–", "r"), (350, 560, "Total exkl. MWST"),
              (540, 560, "2’310.00", "r"), (350, 546, "MWST 8.1 %"), (540, 546, "187.10", "r"),
              (350, 532, "Total CHF"), (540, 532, "2’497.10", "r"),
              (50, 500, "Zahlbar innert 30 Tagen netto. IBAN CH93 0076 2011 6238 5295 7")], size=8.5)  # fmt: skip


def _french(c: Canvas) -> None:
    _rows(c, [(40, 800, "ATELIER DUPONT SARL")], "Helvetica-Bold", 14)
    _rows(c, [(40, 786, "12 rue des Tanneurs, 69002 Lyon"),
              (40, 774, "SIRET 812 345 678 00019 - TVA intracom. FR32812345678"),
              (330, 720, "Transports Martin SAS"), (330, 708, "4 avenue Jean Jaurès"), (330, 696, "13002 Marseille"),
              (40, 650, "Lyon, le 5 mars 2025"), (40, 630, "Facture n° 2025/0042"),
              (40, 616, "Votre commande n° CM-5531 du 20 février 2025"),
              (40, 580, "Désignation"), (300, 580, "Qté"), (380, 580, "PU HT", "r"), (540, 580, "Montant HT", "r"),
              (40, 566, "Réparation bâche semi-remorque"), (300, 566, "2"), (380, 566, "320,00", "r"),
              (540, 566, "640,00", "r"), (40, 552, "Déplacement"), (300, 552, "1"), (380, 552, "85,00", "r"),
              (540, 552, "85,00", "r"), (380, 520, "Total HT"), (540, 520, "725,00 €", "r"), (380, 506, "TVA 20 %"),
              (540, 506, "145,00 €", "r"), (380, 492, "Total TTC"), (540, 492, "870,00 €", "r"),
              (380, 478, "Acompte versé"), (540, 478, "200,00 €", "r"), (380, 464, "Net à payer"),
              (540, 464, "670,00 €", "r"),
              (40, 420, "Échéance : 4 avril 2025 - IBAN FR76 3000 6000 0112 3456 7890 189")])  # fmt: skip


def _dutch(c: Canvas) -> None:
    _rows(c, [(400, 800, "FACTUUR")], "Helvetica-Bold", 18)
    _rows(c, [(40, 800, "Van der Berg Koeriers B.V."), (40, 788, "Havenweg 8, 3011 AB Rotterdam"),
              (40, 776, "KvK 24123456 · BTW NL001234567B01"), (40, 740, "Aan: De Vries Handel"),
              (40, 728, "Dorpsstraat 3, 1234 AB Amstelveen"), (400, 760, "Factuurnummer:"), (560, 760, "F24-0917", "r"),
              (400, 748, "Factuurdatum:"), (560, 748, "5-3-2025", "r"), (400, 736, "Vervaldatum:"),
              (560, 736, "4-4-2025", "r"), (400, 724, "Klantnummer:"), (560, 724, "K-2201", "r"),
              (40, 680, "Omschrijving"), (560, 680, "Bedrag", "r"),
              (40, 666, "Koeriersritten februari (42 ritten à € 25,-)"), (560, 666, "€ 1.050,-", "r"),
              (40, 652, "Wachttijd"), (560, 652, "€ 60,-", "r"), (400, 620, "Totaal excl. BTW"),
              (560, 620, "€ 1.110,00", "r"), (400, 606, "BTW 21%"), (560, 606, "€ 233,10", "r"),
              (400, 592, "Totaal incl. BTW"), (560, 592, "€ 1.343,10", "r"),
              (40, 550, "Graag binnen 30 dagen overmaken op NL91 ABNA 0417 1643 00 o.v.v. factuur.")])  # fmt: skip


def _german(c: Canvas) -> None:
    # the recipient's block right under the sender line, set higher than a DIN 5008 window
    _rows(c, [(40, 805, "Nordfracht Spedition GmbH & Co. KG · Am Kai 5 · 28217 Bremen")], size=7)
    _rows(c, [(40, 770, "Weber Maschinenbau AG"), (40, 758, "Einkauf / Kreditorenbuchhaltung"),
              (40, 746, "Industriepark 12"), (40, 734, "74076 Heilbronn")])  # fmt: skip
    _rows(c, [(400, 790, "NORDFRACHT")], "Helvetica-Bold", 16)
    _rows(c, [(400, 770, "Tel. 0421 55 66 77-0"), (400, 758, "www.nordfracht.example")], size=8)
    _rows(c, [(40, 690, "Rechnung")], "Helvetica-Bold", 13)
    _rows(c, [(40, 670, "Rechnungs-Nr."), (150, 670, "Datum"), (250, 670, "Kunden-Nr."),
              (350, 670, "Ihre Bestellung"),
              (40, 658, "2025-10377"), (150, 658, "07.03.2025"), (250, 658, "30118"), (350, 658, "4500098812"),
              (40, 630, "Sendung 7788123 Bremen - Heilbronn, Leistungsdatum 03.03.2025"),
              (40, 610, "Pos."), (70, 610, "Leistung"), (400, 610, "Menge"), (540, 610, "Betrag EUR", "r"),
              (40, 596, "1"), (70, 596, "Komplettladung 13,6 LDM"), (400, 596, "1"), (540, 596, "1.480,00", "r"),
              (40, 582, "2"), (70, 582, "Maut"), (400, 582, "1"), (540, 582, "212,40", "r"),
              (40, 568, "3"), (70, 568, "Dieselzuschlag 8 %"), (400, 568, "1"), (540, 568, "118,40", "r"),
              (380, 540, "Summe netto"), (540, 540, "1.810,80", "r"), (380, 526, "zzgl. 19 % USt."),
              (540, 526, "344,05", "r"), (380, 512, "Rechnungsbetrag"), (540, 512, "2.154,85", "r"),
              (40, 480, "Zahlbar bis 06.04.2025 ohne Abzug."),
              (40, 120, "Nordfracht Spedition GmbH & Co. KG · Sitz Bremen · HRA 27431 · USt-IdNr. DE811569868"),
              (40, 110, "Sparkasse Bremen · IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX")], size=8)  # fmt: skip


def _italian(c: Canvas) -> None:
    _rows(c, [(40, 800, "Rossi Autotrasporti S.r.l.")], "Helvetica-Bold", 13)
    _rows(c, [(40, 786, "Via Emilia 220 - 40026 Imola (BO)"),
              (40, 774, "P.IVA 03214560371 - C.F. 03214560371"),
              (330, 740, "Spett.le"), (330, 728, "Bianchi Logistica S.p.A."), (330, 716, "Corso Francia 15"),
              (330, 704, "10138 Torino"), (40, 660, "FATTURA N. 118/2025 DEL 05/03/2025"),
              (40, 630, "Descrizione"), (540, 630, "Importo", "r"),
              (40, 616, "Trasporto Imola - Torino del 28/02/2025, DDT n. 455"), (540, 616, "1.250,00", "r"),
              (380, 580, "Imponibile"), (540, 580, "1.250,00", "r"), (380, 566, "IVA 22%"), (540, 566, "275,00", "r"),
              (380, 552, "Totale documento"), (540, 552, "1.525,00", "r"),
              (40, 510, "Pagamento: bonifico 60 gg d.f. - Scadenza 04/05/2025"),
              (40, 498, "IBAN IT60 X054 2811 1010 0000 0123 456")])  # fmt: skip


def _austrian(c: Canvas) -> None:
    # a document-level discount, a payment on account, the buyer's VAT ID printed beside the buyer
    _rows(c, [(40, 800, "Huber Transporte GmbH")], "Helvetica-Bold", 14)
    _rows(c, [(40, 786, "Linzer Straße 55, 4020 Linz, Österreich"),
              (40, 774, "UID-Nr.: ATU12345678  FN 123456a LG Linz"),
              (40, 720, "Firma"), (40, 708, "Kaufmann Handels GmbH"), (40, 696, "Mariahilfer Straße 1"),
              (40, 684, "1060 Wien"), (40, 665, "Ihre UID-Nr.: ATU87654321"),
              (380, 720, "Rechnungsdatum: 10.03.2025"), (380, 708, "Rechnung Nr.: 25/00311"),
              (380, 696, "Lieferschein: LS-8812 vom 03.03.2025"),
              (40, 630, "Leistungszeitraum 01.02.2025 - 28.02.2025"),
              (40, 600, "Transport Linz - Wien, 12 Fahrten"), (540, 600, "3.600,00", "r"),
              (40, 586, "abzgl. 5 % Rabatt"), (540, 586, "-180,00", "r"),
              (380, 560, "Nettobetrag"), (540, 560, "3.420,00", "r"), (380, 546, "USt. 20 %"),
              (540, 546, "684,00", "r"),
              (380, 532, "Rechnungsbetrag"), (540, 532, "4.104,00", "r"), (380, 518, "abzgl. Akontozahlung"),
              (540, 518, "1.000,00", "r"), (380, 504, "Zahlbetrag"), (540, 504, "3.104,00", "r"),
              (40, 470, "Zahlbar innerhalb von 14 Tagen auf AT61 1904 3002 3457 3201 (BIC BKAUATWW).")])  # fmt: skip


def _irish(c: Canvas) -> None:
    # a two-digit year, the customer's VAT ID under the customer
    _rows(c, [(300, 800, "Invoice", "r")], "Helvetica-Bold", 22)
    _rows(c, [(40, 800, "Liffey Freight Ltd"), (40, 788, "Unit 3, Dublin Port, Dublin 1, D01 K7W2"),
              (40, 776, "VAT No. IE6388047V"), (400, 800, "No. 004512"), (400, 788, "Date 20/06/18"),
              (400, 776, "Terms 30 days"), (40, 740, "Billed to"), (40, 728, "Galway Bay Seafoods Ltd"),
              (40, 716, "Dock Road, Galway"), (40, 690, "Customer VAT IE9700053D"),
              (40, 650, "Item"), (300, 650, "Qty"), (540, 650, "Line total", "r"),
              (40, 636, "Reefer container Dublin-Rotterdam"), (300, 636, "1"), (540, 636, "2,150.00", "r"),
              (40, 622, "Port handling"), (300, 622, "1"), (540, 622, "175.00", "r"),
              (380, 590, "Sub-total"), (540, 590, "€2,325.00", "r"), (380, 576, "VAT 23%"), (540, 576, "€534.75", "r"),
              (380, 562, "Total due"), (540, 562, "€2,859.75", "r"),
              (40, 520, "Bank: AIB, IBAN IE29 AIBK 9311 5212 3456 78, BIC AIBKIE2D")])  # fmt: skip


def _belgian(c: Canvas) -> None:
    # the document type code beside the title, "HTVA"/"TVAC" totals, reverse charge
    _rows(c, [(40, 800, "Logistique Meuse SRL")], "Helvetica-Bold", 13)
    _rows(c, [(40, 786, "Quai de la Batte 10, 4000 Liège"), (40, 774, "TVA BE 0456.789.123"),
              (330, 720, "Facturé à :"), (330, 708, "Anvers Stevedoring NV"), (330, 696, "Kaai 730"),
              (330, 684, "2030 Antwerpen"), (330, 672, "BTW BE0403.199.702"),
              (40, 640, "FACTURE (380)"), (40, 626, "Numéro : 2025-000118"), (40, 612, "Date : 01/03/2025"),
              (40, 598, "Période : 01/02/2025 au 28/02/2025"),
              (40, 584, "Communication structurée : +++090/9337/55493+++"),
              (40, 550, "Manutention conteneurs"), (540, 550, "4.280,00", "r"),
              (380, 520, "Total HTVA"), (540, 520, "4.280,00", "r"),
              (380, 506, "Autoliquidation - TVA due par le cocontractant"),
              (380, 492, "Total TVAC"), (540, 492, "4.280,00", "r"),
              (40, 450, "IBAN BE68 5390 0754 7034 - BIC TRIOBEBB")])  # fmt: skip


LAYOUTS: dict[str, tuple[Callable[[Canvas], None], tuple[float, float], dict[str, object]]] = {
    "us": (_us, letter, {"invoice_number": "INV-88213", "invoice_date": date(2025, 11, 2),
                         "net_amount": Decimal("109.62"), "tax_amount": Decimal("7.13"),
                         "gross_amount": Decimal("116.75"), "supplier_name": "Acme Cloud Services, Inc."}),
    "india": (_india, A4, {"invoice_number": "MH-2025-004417", "invoice_date": date(2025, 3, 14),
                           "net_amount": Decimal("126779.66"), "tax_amount": Decimal("22820.34"),
                           "gross_amount": Decimal("149600.00"),
                           "supplier_name": "Shree Ganesh Electronics Pvt. Ltd."}),
    "uk": (_uk, A4, {"invoice_number": "10457", "invoice_date": date(2025, 2, 28), "net_amount": Decimal("2535.00"),
                     "tax_amount": Decimal("507.00"), "gross_amount": Decimal("3042.00"),
                     "supplier_vat_id": "GB123456789", "supplier_iban": "GB33BUKB20201555555555"}),
    "swiss": (_swiss, A4, {"invoice_number": "2025-031", "invoice_date": date(2025, 3, 3),
                           "net_amount": Decimal("2310.00"), "tax_amount": Decimal("187.10"),
                           "gross_amount": Decimal("2497.10"), "supplier_iban": "CH9300762011623852957"}),
    "french": (_french, A4, {"invoice_number": "2025/0042", "invoice_date": date(2025, 3, 5),
                             "net_amount": Decimal("725.00"), "tax_amount": Decimal("145.00"),
                             "gross_amount": Decimal("870.00"), "supplier_vat_id": "FR32812345678",
                             "supplier_iban": "FR7630006000011234567890189", "order_reference": "CM-5531"}),
    "dutch": (_dutch, A4, {"invoice_number": "F24-0917", "invoice_date": date(2025, 3, 5),
                           "net_amount": Decimal("1110.00"), "tax_amount": Decimal("233.10"),
                           "gross_amount": Decimal("1343.10"), "supplier_vat_id": "NL001234567B01",
                           "supplier_iban": "NL91ABNA0417164300"}),
    "german": (_german, A4, {"invoice_number": "2025-10377", "invoice_date": date(2025, 3, 7),
                             "net_amount": Decimal("1810.80"), "tax_amount": Decimal("344.05"),
                             "gross_amount": Decimal("2154.85"), "supplier_vat_id": "DE811569868",
                             "supplier_iban": "DE89370400440532013000", "order_reference": "4500098812",
                             "supplier_name": "Nordfracht Spedition GmbH & Co. KG",
                             "recipient_name": "Weber Maschinenbau AG"}),
    "italian": (_italian, A4, {"invoice_number": "118/2025", "invoice_date": date(2025, 3, 5),
                               "net_amount": Decimal("1250.00"), "tax_amount": Decimal("275.00"),
                               "gross_amount": Decimal("1525.00"), "supplier_vat_id": "IT03214560371",
                               "supplier_iban": "IT60X0542811101000000123456",
                               "supplier_name": "Rossi Autotrasporti S.r.l.",
                               "recipient_name": "Bianchi Logistica S.p.A."}),
    "austrian": (_austrian, A4, {"invoice_number": "25/00311", "invoice_date": date(2025, 3, 10),
                                 "net_amount": Decimal("3420.00"), "tax_amount": Decimal("684.00"),
                                 "gross_amount": Decimal("4104.00"), "supplier_vat_id": "ATU12345678",
                                 "recipient_vat_id": "ATU87654321", "supplier_iban": "AT611904300234573201"}),
    "irish": (_irish, A4, {"invoice_number": "004512", "invoice_date": date(2018, 6, 20),
                           "net_amount": Decimal("2325.00"), "tax_amount": Decimal("534.75"),
                           "gross_amount": Decimal("2859.75"), "supplier_vat_id": "IE6388047V",
                           "recipient_vat_id": "IE9700053D", "supplier_iban": "IE29AIBK93115212345678"}),
    "belgian": (_belgian, A4, {"invoice_number": "2025-000118", "invoice_date": date(2025, 3, 1),
                               "net_amount": Decimal("4280.00"), "tax_amount": Decimal("0.00"),
                               "gross_amount": Decimal("4280.00"), "supplier_vat_id": "BE0456789123",
                               "recipient_vat_id": "BE0403199702", "supplier_iban": "BE68539007547034"}),
}  # fmt: skip


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_strangers_layout_is_read_right_or_left_unsure(layout: str) -> None:
    draw, size, want = LAYOUTS[layout]
    out = BytesIO()
    canvas = Canvas(out, pagesize=size, invariant=True)
    draw(canvas)
    canvas.save()
    with PdfTextReader() as reader:
        fields = reader.read(out.getvalue(), filename=f"{layout}.pdf").fields
    wrong = {}
    for name, expected in want.items():
        field = getattr(fields, name)
        got = None if field is None else field.value
        if got != expected:
            wrong[name] = (got, None if field is None else field.confidence)
    # every key field right (the reading and its confidence of each that is not)
    assert not wrong, wrong
