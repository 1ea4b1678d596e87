"""The label lexicon: labels are matched whole, and the longest label at a place wins whatever its kind."""

from __future__ import annotations

import pytest

from belegflow_ocr.recognition.labels import label_at


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [
        # a longer label that starts like a total is another label
        ("Gesamtbetrag der Zuschläge 0,00", "other", "Gesamtbetrag der Zuschläge"),
        ("Gesamtbetrag 119,00", "gross_amount", "Gesamtbetrag"),
        ("TOTAL GST 1.02", "tax_amount", "TOTAL GST"),
        ("TOTAL SAVINGS 2.00", "other", "TOTAL SAVINGS"),
        ("TOTAL EXCL. GST 16.98", "net_amount", "TOTAL EXCL. GST"),
        ("TOTAL 18.00", "gross_amount", "TOTAL"),
        # "AMT" for amount on a till; the amount tendered is no total
        ("TOTAL AMT PAYABLE : 7.40", "payable", "TOTAL AMT PAYABLE :"),
        ("TOTAL AMT INCL GST @ 6% : 7.42", "gross_amount", "TOTAL AMT INCL GST"),
        ("PAID AMOUNT : 10.00", "other", "PAID AMOUNT :"),
        ("Total incl. VAT 119.00", "gross_amount", "Total incl. VAT"),
        ("Montant total TVA 19,00", "tax_amount", "Montant total TVA"),
        ("Total base imponible 100,00", "net_amount", "Total base imponible"),
        ("Total cuota IVA 21,00", "tax_amount", "Total cuota IVA"),
        ("Cuota IVA 21 % 21,00", "tax_amount", "Cuota IVA 21 %"),
        ("Totale imposta 22,00", "tax_amount", "Totale imposta"),
        # a generic sum label qualified by a word that names no sum is no label of a sum
        ("Totale sconti 0,00", "other", "sconti"),
        ("Total HT 100,00", "net_amount", "Total HT"),
        ("Total exkl. MWST 2’310.00", "net_amount", "Total exkl. MWST"),
        ("Summe ohne USt 100,00", "net_amount", "Summe ohne USt"),
        ("Honorarnote 2025-031", "invoice_number", "Honorarnote"),
        ("Total TTC 120,00", "gross_amount", "Total TTC"),
        # Belgian "hors TVA" / "TVA comprise": the net and the gross, not the tax
        ("Total HTVA 100,00", "net_amount", "Total HTVA"),
        ("Total TVAC 121,00", "gross_amount", "Total TVAC"),
        ("TVA 21 % 21,00", "tax_amount", "TVA 21 %"),
        ("MwSt A 19,00", "tax_amount", "MwSt A"),
        ("Zahlbetrag 690,00", "payable", "Zahlbetrag"),
        ("abzgl. Anzahlung 500,00", "prepaid", "abzgl. Anzahlung"),
        ("Montant déjà payé : 20,00", "prepaid", "Montant déjà payé :"),
        ("Reeds betaald 20,00", "prepaid", "Reeds betaald"),
        ("Già pagato 20,00", "prepaid", "Già pagato"),
        # dates of other things are not the date of issue
        ("Lieferdatum: 01.03.2024", "other_date", "Lieferdatum:"),
        ("Date de livraison : 01/04/2024", "other_date", "Date de livraison :"),
        ("Date d'échéance : 01/05/2024", "due_date", "Date d'échéance :"),
        ("Date de facture : 03/04/2024", "invoice_date", "Date de facture :"),
        ("Date de facturation 01/01/2023", "invoice_date", "Date de facturation"),
        # a date named by what it dates is another date, also where OCR misspelled what ("LVRAISON")
        ("DATE DE LVRAISON: 28/01/2026", "other_date", "DATE DE LVRAISON:"),
        ("Date de paiement 12/02/2024", "other_date", "Date de paiement"),
        ("Date of dispatch 3 March 2024", "other_date", "Date of dispatch"),
        ("Date limite de règlement : 19/10/2023", "due_date", "Date limite de règlement :"),
        ("Invoice date: 3 March 2024", "invoice_date", "Invoice date:"),
        # numbers of other things are not the invoice number
        ("Kunden-Nr. 4711", "other", "Kunden-Nr."),
        # "N° <what>": the word after the sign says whose number it is
        ("N° CONTRAT : CT2018120802", "other", "N° CONTRAT :"),
        ("N° BON DE LIVRAISON : DESPADV002", "other", "N° BON DE LIVRAISON :"),
        ("N° BON DE COMMANDE : ACHETEUR_BC001", "order_reference", "N° BON DE COMMANDE :"),
        ("N° BON DE VENTE : FOURNISSEUR_BV003", "sales_order_reference", "N° BON DE VENTE :"),
        ("Contract No. 4711", "other", "Contract No."),
        ("N° facture 2023-17", "invoice_number", "N° facture"),
        ("USt-IdNr. DE118654320", "other", "USt-IdNr."),
        ("Rechnungs-Nr. 4711", "invoice_number", "Rechnungs-Nr."),
        ("N° de facture FA-1", "invoice_number", "N° de facture"),
        ("Invoice 4711", "invoice_number", "Invoice"),
        # Portuguese, Polish, Czech, Scandinavian
        ("Faktura VAT nr FV/2025/03/117", "invoice_number", "Faktura VAT nr"),
        ("Fatura n.º FT 2025A/123", "invoice_number", "Fatura n."),
        ("Data wystawienia: 2025-03-10", "invoice_date", "Data wystawienia:"),
        ("Data sprzedaży: 2025-03-08", "other_date", "Data sprzedaży:"),
        ("Datum zdanitelného plnění: 28. 2. 2025", "other_date", "Datum zdanitelného plnění:"),
        ("Datum splatnosti: 18. 3. 2025", "due_date", "Datum splatnosti:"),
        ("Förfallodatum 2025-04-03", "due_date", "Förfallodatum"),
        ("Razem netto 2 000,00", "net_amount", "Razem netto"),
        ("Kwota VAT 23% 460,00", "tax_amount", "Kwota VAT 23%"),
        ("Razem brutto 2 460,00", "gross_amount", "Razem brutto"),
        ("Do zapłaty: 2 460,00 PLN", "payable", "Do zapłaty:"),
        ("Celkem k úhradě 12 100,00", "payable", "Celkem k úhradě"),
        ("Summa exkl. moms 5 000,00", "net_amount", "Summa exkl. moms"),
        ("Moms 25% 1 250,00", "tax_amount", "Moms 25%"),
        ("Att betala SEK 6 250,00", "payable", "Att betala"),
        ("Total s/ IVA 800,00", "net_amount", "Total s/ IVA"),
        ("NIP: 526-000-12-46", "other", "NIP:"),
        ("Kundnummer 5521", "other", "Kundnummer"),
        ("QST 9.975% 152.12", "tax_amount", "QST 9.975%"),  # a rate with three decimals (Québec)
        ("Total exkI. MWST 2'310.00", "net_amount", "Total exkl. MWST"),  # OCR's capital I for a small l
        ("C.F. 03214560371", "other", "C.F."),  # Italy's tax code is no invoice number
        ("Számla sorszáma: DF-2025/0042", "invoice_number", "Számla sorszáma:"),
        ("Kelt: 2025.04.10", "invoice_date", "Kelt:"),
        ("Teljesítés: 2025.04.08", "other_date", "Teljesítés:"),
        ("Fizetési határidő: 2025.04.25", "due_date", "Fizetési határidő:"),
        ("Nettó összesen 100 000 Ft", "net_amount", "Nettó összesen"),
        ("Bruttó összesen 127 000 Ft", "gross_amount", "Bruttó összesen"),
        ("P/O NO.: RI-2025-077", "order_reference", "P/O NO.:"),
        ("Identifiant client : gj1234-nh", "other", "Identifiant client :"),  # a host's customer ID, no number
        ("Rechnungs-Nr./-Datum: 2025-118 / 03.02.2025", "invoice_number", "Rechnungs-Nr./-Datum:"),
        ("Invoice No. & Date: 25-0091 / 14.02.2025", "invoice_number", "Invoice No. & Date:"),
        ("Total Taxable Value Rs. 1,26,779.66", "net_amount", "Total Taxable Value"),  # an Indian GST invoice
    ],
)
def test_the_longest_label_wins(text: str, kind: str, label: str) -> None:
    hit = label_at(text)
    assert hit is not None
    assert (hit.kind, hit.text) == (kind, label)


@pytest.mark.parametrize("text", ["Gesamtbetrags", "Totalisator 12,00", "Rechnungsweg", "Dates", "Bruttoinland"])
def test_a_label_is_matched_whole_never_as_the_start_of_a_word(text: str) -> None:
    assert label_at(text) is None


@pytest.mark.parametrize(
    ("text", "dated"),
    [("Rechnungs-Nr./-Datum: 2025-118 / 03.02.2025", True), ("Rechnungsnummer und -datum", True),
     ("Invoice no. / date", True), ("Rechnungs-Nr.: 2025-118", False), ("Rechnungsdatum: 03.02.2025", False),
     ("Rechnung Nr. 5 / Datenblatt", False)],
)
def test_a_number_label_that_names_the_date_too_says_so(text: str, dated: bool) -> None:
    # both values follow such a label, the number first: the date is read from it as well
    hit = label_at(text)
    assert hit is not None
    assert hit.dated is dated
