"""How invoices look in the world: languages, label vocabularies, number and date notations, parties.

Used by the layout zoo and the receipts. Everything is drawn from a ``random.Random`` so that a seed
gives the same documents everywhere. Identifiers carry valid check digits where the standard has them
(IBAN ISO 13616 mod 97, German VAT ID ISO 7064, French VAT key).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from samples.generate import vat_id_de

CENT = Decimal("0.01")
LANGS = ("de", "en", "fr", "nl", "it", "es")

MONTHS = {
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}  # fmt: skip
MONTHS_ABBR = {
    "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "fr": ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."],
    "nl": ["jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."],
    "it": ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
    "es": ["ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic."],
}  # fmt: skip

# Date notations per language: the ones a document of that language uses (day before month throughout;
# the US month-first order is left out because no document here states a US context).
DATE_STYLES = {
    "de": ["dd.mm.yyyy", "dd.mm.yyyy", "d.m.yyyy", "dd.mm.yy", "d. month yyyy", "d. mon yyyy", "iso", "yyyymmdd"],
    "en": ["dd/mm/yyyy", "d month yyyy", "d mon yyyy", "month d, yyyy", "MON", "dd-mm-yyyy", "dd-mm-yy",
           "dd/mm/yy", "iso", "dd.mm.yyyy"],
    "fr": ["dd/mm/yyyy", "dd/mm/yyyy", "d month yyyy", "d mon yyyy", "dd.mm.yyyy", "dd-mm-yyyy", "dd/mm/yy", "iso"],
    "nl": ["dd-mm-yyyy", "d month yyyy", "dd/mm/yyyy", "iso"],
    "it": ["dd/mm/yyyy", "d month yyyy", "dd.mm.yyyy", "dd/mm/yy"],
    "es": ["dd/mm/yyyy", "d de month de yyyy", "dd-mm-yyyy", "dd/mm/yy"],
}  # fmt: skip


def fmt_date(d: date, style: str, lang: str) -> str:
    if style == "dd.mm.yyyy":
        return f"{d:%d.%m.%Y}"
    if style == "d.m.yyyy":
        return f"{d.day}.{d.month}.{d.year}"
    if style == "dd.mm.yy":
        return f"{d:%d.%m.%y}"
    if style == "dd/mm/yyyy":
        return f"{d:%d/%m/%Y}"
    if style == "dd/mm/yy":
        return f"{d:%d/%m/%y}"
    if style == "dd-mm-yyyy":
        return f"{d:%d-%m-%Y}"
    if style == "dd-mm-yy":
        return f"{d:%d-%m-%y}"
    if style == "iso":
        return d.isoformat()
    if style == "yyyymmdd":
        return f"{d:%Y%m%d}"
    month, abbr = MONTHS[lang][d.month - 1], MONTHS_ABBR[lang][d.month - 1]
    if style == "d. month yyyy":
        return f"{d.day}. {month} {d.year}"
    if style == "d. mon yyyy":
        return f"{d.day}. {abbr} {d.year}"
    if style == "d month yyyy":
        day = "1er" if lang == "fr" and d.day == 1 else str(d.day)
        return f"{day} {month} {d.year}"
    if style == "d mon yyyy":
        return f"{d.day} {abbr} {d.year}"
    if style == "month d, yyyy":
        return f"{month} {d.day}, {d.year}"
    if style == "MON":
        return f"{d.day:02d} {MONTHS_ABBR['en'][d.month - 1].upper()} {d.year}"
    if style == "d de month de yyyy":
        return f"{d.day} de {month} de {d.year}"
    raise ValueError(f"unknown date style {style!r}")


# Amount notations: (thousands separator, decimal separator)
NUMBER_STYLES = {"de": (".", ","), "en": (",", "."), "fr": ("\u202f", ","), "fr_space": (" ", ","),
                 "ch": ("'", "."), "plain_comma": ("", ","), "plain_dot": ("", ".")}  # fmt: skip
LANG_NUMBER_STYLES = {
    "de": ["de", "de", "de", "plain_comma"],
    "en": ["en", "en", "plain_dot"],
    "fr": ["fr_space", "fr_space", "fr", "plain_comma", "de"],
    "nl": ["de", "plain_comma"],
    "it": ["de", "plain_comma"],
    "es": ["de", "plain_comma"],
}


def fmt_number(value: Decimal, style: str) -> str:
    thousands, decimal = NUMBER_STYLES[style]
    q = value.quantize(CENT, ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, frac = f"{abs(q):.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}{thousands.join(groups)}{decimal}{frac}"


SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def fmt_amount(value: Decimal, number_style: str, currency: str, currency_style: str) -> str:
    """``currency_style``: none (stated elsewhere), prefix_symbol, suffix_symbol, prefix_code, suffix_code."""
    text = fmt_number(value, number_style)
    sym = SYMBOLS.get(currency, currency)
    if currency_style == "prefix_symbol":
        return f"{sym}{text}" if sym in "$£" else f"{sym} {text}"
    if currency_style == "suffix_symbol":
        return f"{text} {sym}"
    if currency_style == "prefix_code":
        return f"{currency} {text}"
    if currency_style == "suffix_code":
        return f"{text} {currency}"
    return text


# --- labels ------------------------------------------------------------------------------------------

LABELS: dict[str, dict[str, list[str]]] = {
    "de": {
        "title_invoice": ["Rechnung", "RECHNUNG", "Rechnung", "Faktura"],
        "title_partial": ["Abschlagsrechnung", "1. Abschlagsrechnung", "Teilrechnung"],
        "title_final": ["Schlussrechnung", "Schlussrechnung"],
        "title_credit_note": ["Gutschrift", "GUTSCHRIFT", "Rechnungskorrektur (Gutschrift)"],
        "title_correction": ["Rechnungskorrektur", "Korrekturrechnung", "Berichtigte Rechnung"],
        "number": ["Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr.", "Re.-Nr.", "Beleg-Nr.", "Belegnummer",
                   "Rechnung #", "RG-Nr."],
        "number_credit_note": ["Gutschrift-Nr.", "Gutschriftsnummer", "Beleg-Nr.", "Belegnummer"],
        "date": ["Rechnungsdatum", "Datum", "Belegdatum", "Rechnungsdatum", "Ausstellungsdatum"],
        "due": ["Fällig am", "Zahlbar bis", "Fälligkeitsdatum", "Zahlungsziel", "Fällig"],
        "delivery": ["Lieferdatum", "Leistungsdatum", "Leistungszeitraum bis", "Liefertag"],
        "order_date": ["Bestelldatum", "Auftragsdatum", "Ihre Bestellung vom"],
        "print_date": ["Druckdatum", "Gedruckt am", "Erstellt am"],
        "customer": ["Kundennummer", "Kunden-Nr.", "Kd.-Nr.", "Debitor"],
        "order": ["Auftragsnummer", "Auftrags-Nr.", "Ihre Bestellnummer", "Bestell-Nr.", "Lieferschein-Nr."],
        "buyer_vat": ["Ihre USt-IdNr.", "USt-IdNr. Kunde", "Ihre UID-Nummer"],
        "vat_id": ["USt-IdNr.", "USt-ID", "Umsatzsteuer-ID", "UStIdNr", "USt.-Id.-Nr."],
        "tax_no": ["Steuernummer", "St.-Nr."],
        "net": ["Nettobetrag", "Summe netto", "Gesamt netto", "Netto", "Zwischensumme", "Rechnungsbetrag netto",
                "Nettosumme", "Summe Positionen netto"],
        "tax": ["MwSt.", "USt.", "Umsatzsteuer", "zzgl. MwSt.", "zzgl. USt.", "Mehrwertsteuer"],
        "tax_total": ["Summe MwSt.", "Summe USt.", "Umsatzsteuer gesamt", "MwSt. gesamt"],
        "gross": ["Gesamtbetrag", "Rechnungsbetrag", "Bruttosumme", "Rechnungssumme brutto", "Endbetrag",
                  "Gesamt brutto", "Summe brutto", "Bruttobetrag", "Gesamtsumme", "Rechnungsbetrag brutto"],
        "payable": ["Zahlbetrag", "Zu zahlen", "Zu zahlender Betrag", "Offener Betrag", "Restbetrag"],
        "prepaid": ["abzgl. Anzahlung", "abzüglich Abschlagszahlungen", "bereits gezahlt", "erhaltene Anzahlung"],
        "lines_sum": ["Warenwert", "Summe Positionen", "Positionssumme", "Zwischensumme"],
        "discount": ["Rabatt", "abzgl. Rabatt", "Nachlass", "Sonderrabatt"],
        "charge": ["Frachtkosten", "Versandkosten", "Verpackung", "Mindermengenzuschlag"],
        "charges_total": ["Gesamtbetrag der Zuschläge", "Summe Zuschläge"],
        "allowances_total": ["Gesamtbetrag der Abschläge", "Summe Nachlässe"],
        "h_pos": ["Pos.", "Pos", "Nr.", "#"],
        "h_desc": ["Bezeichnung", "Beschreibung", "Artikel / Leistung", "Leistung", "Artikelbezeichnung"],
        "h_qty": ["Menge", "Anz.", "Anzahl", "Stück"],
        "h_unit": ["Einzelpreis", "E-Preis", "Preis/Einh.", "Einzelpr."],
        "h_total": ["Gesamt", "Gesamtpreis", "Betrag", "Nettobetrag", "Warenwert", "Summe", "Total", "Gesamt netto"],
        "h_rate": ["MwSt.", "USt.-%", "St."],
        "page": ["Seite"],
        "page_of": ["von"],
        "carry": ["Übertrag", "Zwischensumme Seite", "Übertrag von Seite"],
        "bill_to": ["Rechnungsempfänger", "Rechnungsadresse"],
        "ship_to": ["Lieferanschrift", "Lieferadresse"],
        "bank": ["Bankverbindung", "Bank", "Kreditinstitut"],
        "register": ["Amtsgericht", "Registergericht"],
        "managing": ["Geschäftsführer", "Geschäftsführung", "Inhaber"],
        "thanks": ["Vielen Dank für Ihren Auftrag.", "Wir danken für Ihren Auftrag.",
                   "Wir bedanken uns für die gute Zusammenarbeit."],
        "intro": ["Wir erlauben uns, Ihnen folgende Leistungen in Rechnung zu stellen:",
                  "Für unsere Lieferungen und Leistungen berechnen wir Ihnen:", "Sehr geehrte Damen und Herren,"],
        "terms": ["Zahlbar innerhalb von {days} Tagen ohne Abzug.", "Zahlungsziel: {days} Tage netto.",
                  "Bitte überweisen Sie den Betrag innerhalb von {days} Tagen."],
        "reference": ["zu Rechnung Nr. {number} vom {date}", "Bezug: Rechnung {number} vom {date}"],
        "fx_note": ["Gegenwert {amount} (Kurs {rate}) nur zur Information", "entspricht {amount} zum Kurs {rate}"],
        "page_total": ["Seitensumme", "Summe Seite"],
        "capital": ["Stammkapital", "Grundkapital"],
        "phone": ["Tel.", "Telefon", "Fon"],
    },
    "en": {
        "title_invoice": ["Invoice", "INVOICE", "Tax Invoice", "TAX INVOICE", "Sales Invoice"],
        "title_partial": ["Interim Invoice", "Progress Invoice", "Partial Invoice"],
        "title_final": ["Final Invoice", "Final Account"],
        "title_credit_note": ["Credit Note", "CREDIT NOTE", "Credit Memo"],
        "title_correction": ["Corrected Invoice", "Invoice Correction", "Corrective Invoice"],
        "number": ["Invoice No.", "Invoice number", "Invoice #", "Inv. No.", "Invoice No", "Document No.",
                   "Reference", "Invoice Ref."],
        "number_credit_note": ["Credit Note No.", "Credit note number", "Credit Memo #", "Document No."],
        "date": ["Invoice date", "Date", "Date of issue", "Issue date", "Invoice Date", "Dated"],
        "due": ["Due date", "Payment due", "Due by", "Pay by", "Due"],
        "delivery": ["Delivery date", "Date of supply", "Shipped", "Service date"],
        "order_date": ["Order date", "PO date", "Your order of"],
        "print_date": ["Printed", "Print date", "Generated on"],
        "customer": ["Customer No.", "Account No.", "Customer ID", "Client ref."],
        "order": ["Order No.", "PO number", "Your ref.", "Purchase order", "Delivery note"],
        "buyer_vat": ["Customer VAT No.", "Your VAT number", "Buyer VAT ID"],
        "vat_id": ["VAT No.", "VAT Reg. No.", "VAT number", "VAT ID", "VAT Registration No."],
        "tax_no": ["Company No.", "Company registration"],
        "net": ["Subtotal", "Net total", "Total excl. VAT", "Net amount", "Total net", "Sub-total",
                "Total before tax", "Amount excl. VAT"],
        "tax": ["VAT", "VAT", "Tax", "Sales tax", "Plus VAT"],
        "tax_total": ["Total VAT", "VAT total", "Total tax"],
        "gross": ["Total", "Invoice total", "Total amount", "Grand total", "Total incl. VAT", "TOTAL",
                  "Gross total", "Total inc VAT", "Invoice Total"],
        "payable": ["Amount due", "Due payable", "Balance due", "Amount payable", "Total due", "Please pay"],
        "prepaid": ["Less paid on account", "Less deposit received", "Amount paid", "Less payments received"],
        "lines_sum": ["Goods total", "Items total", "Total of lines"],
        "discount": ["Discount", "Less discount", "Trade discount"],
        "charge": ["Shipping", "Freight", "Handling charge", "Delivery charge"],
        "charges_total": ["Total charges", "Sum of charges"],
        "allowances_total": ["Total allowances", "Total discounts"],
        "h_pos": ["Item", "No.", "#", "Line"],
        "h_desc": ["Description", "Item description", "Product / Service", "Details"],
        "h_qty": ["Qty", "Quantity", "Units", "Hrs/Qty"],
        "h_unit": ["Unit price", "Rate", "Price", "Unit Cost"],
        "h_total": ["Amount", "Total", "Line total", "Net", "Net amount", "Total (net)"],
        "h_rate": ["VAT %", "Tax", "VAT rate"],
        "page": ["Page"],
        "page_of": ["of"],
        "carry": ["Carried forward", "Brought forward", "Balance c/f"],
        "bill_to": ["Bill to", "Invoice to", "Billing address", "Sold to"],
        "ship_to": ["Ship to", "Deliver to", "Delivery address"],
        "bank": ["Bank details", "Payment details", "Bank", "Remit to"],
        "register": ["Registered in England and Wales No.", "Company Reg. No."],
        "managing": ["Directors", "Managing Director"],
        "thanks": ["Thank you for your business.", "Thank you for your order!", "We appreciate your business."],
        "intro": ["Please find our charges below.", "For services rendered:", "Dear customer,"],
        "terms": ["Payment terms: {days} days net.", "Please pay within {days} days.", "Terms: net {days} days."],
        "reference": ["relating to invoice {number} dated {date}", "Ref. original invoice {number} of {date}"],
        "fx_note": ["Equivalent {amount} at rate {rate}, for information only", "approx. {amount} (rate {rate})"],
        "page_total": ["Page total", "Subtotal this page"],
        "capital": ["Share capital"],
        "phone": ["Tel", "Phone", "T"],
    },
    "fr": {
        "title_invoice": ["Facture", "FACTURE", "Facture"],
        "title_partial": ["Facture d'acompte", "Facture intermédiaire"],
        "title_final": ["Facture de solde", "Facture finale"],
        "title_credit_note": ["Avoir", "AVOIR", "Facture d'avoir"],
        "title_correction": ["Facture rectificative", "Facture corrective"],
        "number": ["N° de facture", "Facture n°", "Numéro de facture", "N°", "Réf. facture", "Facture N°"],
        "number_credit_note": ["N° d'avoir", "Avoir n°", "Numéro d'avoir"],
        "date": ["Date de facture", "Date", "Date d'émission", "Date de facturation", "Émise le"],
        "due": ["Date d'échéance", "Échéance", "À régler avant le", "Date limite de paiement"],
        "delivery": ["Date de livraison", "Date de prestation", "Livré le"],
        "order_date": ["Date de commande", "Votre commande du"],
        "print_date": ["Imprimé le", "Édité le"],
        "customer": ["N° client", "Code client", "Réf. client"],
        "order": ["N° de commande", "Bon de commande", "Votre référence", "Bon de livraison"],
        "buyer_vat": ["Votre n° TVA", "N° TVA client", "TVA intracom. client"],
        "vat_id": ["TVA intracommunautaire", "N° TVA", "TVA intracom.", "N° de TVA intracommunautaire"],
        "tax_no": ["SIRET", "SIREN"],
        "net": ["Total HT", "Montant HT", "Sous-total HT", "Total hors taxes", "Net HT"],
        "tax": ["TVA", "TVA", "Montant TVA"],
        "tax_total": ["Total TVA", "Montant total TVA"],
        "gross": ["Total TTC", "Montant TTC", "Total toutes taxes comprises", "Montant total TTC", "TOTAL TTC"],
        "payable": ["Net à payer", "Montant à payer", "Reste à payer", "Solde dû", "À payer"],
        "prepaid": ["Acompte versé", "Déjà réglé", "Acomptes reçus"],
        "lines_sum": ["Total des lignes", "Total brut HT"],
        "discount": ["Remise", "Remise commerciale", "Escompte"],
        "charge": ["Frais de port", "Frais de livraison", "Emballage"],
        "charges_total": ["Total des frais", "Total frais annexes"],
        "allowances_total": ["Total des remises"],
        "h_pos": ["Réf.", "N°", "#", "Ligne"],
        "h_desc": ["Désignation", "Description", "Libellé", "Article"],
        "h_qty": ["Qté", "Quantité", "Qté."],
        "h_unit": ["Prix unitaire HT", "P.U. HT", "Prix unit.", "PU"],
        "h_total": ["Montant HT", "Total HT", "Total", "Montant"],
        "h_rate": ["TVA", "Taux TVA"],
        "page": ["Page"],
        "page_of": ["sur", "/"],
        "carry": ["Report", "À reporter", "Report page précédente"],
        "bill_to": ["Facturé à", "Adresse de facturation", "Client"],
        "ship_to": ["Livré à", "Adresse de livraison"],
        "bank": ["Coordonnées bancaires", "Banque", "RIB"],
        "register": ["RCS", "R.C.S."],
        "managing": ["Gérant", "Président"],
        "thanks": ["Merci de votre confiance.", "Nous vous remercions de votre commande."],
        "intro": ["Veuillez trouver ci-dessous le détail de nos prestations.", "Madame, Monsieur,"],
        "terms": ["Paiement à {days} jours.", "Conditions de paiement : {days} jours net.",
                  "Règlement à {days} jours date de facture."],
        "reference": ["se rapportant à la facture {number} du {date}", "Réf. facture {number} du {date}"],
        "fx_note": ["Contre-valeur {amount} (taux {rate}) à titre indicatif", "soit {amount} au taux de {rate}"],
        "page_total": ["Total page", "Sous-total page"],
        "capital": ["SAS au capital de", "SARL au capital de"],
        "phone": ["Tél.", "Tél", "Téléphone"],
    },
    "nl": {
        "title_invoice": ["Factuur", "FACTUUR"],
        "title_partial": ["Voorschotfactuur", "Termijnfactuur"],
        "title_final": ["Eindfactuur"],
        "title_credit_note": ["Creditnota", "Creditfactuur"],
        "title_correction": ["Gecorrigeerde factuur", "Correctiefactuur"],
        "number": ["Factuurnummer", "Factuurnr.", "Factuur nr."],
        "number_credit_note": ["Creditnotanummer", "Nummer"],
        "date": ["Factuurdatum", "Datum"],
        "due": ["Vervaldatum", "Te betalen voor"],
        "delivery": ["Leverdatum", "Afleverdatum"],
        "order_date": ["Orderdatum", "Besteldatum"],
        "print_date": ["Afgedrukt op"],
        "customer": ["Klantnummer", "Debiteurnr."],
        "order": ["Ordernummer", "Uw referentie"],
        "buyer_vat": ["Uw btw-nummer", "Btw-nr. klant"],
        "vat_id": ["Btw-nummer", "Btw-nr.", "BTW nr"],
        "tax_no": ["KvK", "KvK-nummer"],
        "net": ["Subtotaal", "Totaal excl. btw", "Netto bedrag"],
        "tax": ["Btw", "BTW"],
        "tax_total": ["Totaal btw"],
        "gross": ["Totaal incl. btw", "Totaal", "Totaalbedrag", "Factuurbedrag"],
        "payable": ["Te betalen", "Openstaand bedrag"],
        "prepaid": ["Reeds betaald", "Voorschot"],
        "lines_sum": ["Totaal regels"],
        "discount": ["Korting"],
        "charge": ["Verzendkosten", "Vracht"],
        "charges_total": ["Totaal toeslagen"],
        "allowances_total": ["Totaal kortingen"],
        "h_pos": ["Nr.", "#"],
        "h_desc": ["Omschrijving", "Artikel"],
        "h_qty": ["Aantal", "Aant."],
        "h_unit": ["Prijs", "Stukprijs"],
        "h_total": ["Bedrag", "Totaal"],
        "h_rate": ["Btw %"],
        "page": ["Pagina"],
        "page_of": ["van"],
        "carry": ["Transport", "Over te brengen"],
        "bill_to": ["Factuuradres"],
        "ship_to": ["Afleveradres"],
        "bank": ["Bankgegevens", "Bank"],
        "register": ["KvK"],
        "managing": ["Directeur"],
        "thanks": ["Bedankt voor uw bestelling."],
        "intro": ["Hierbij factureren wij u:"],
        "terms": ["Betaling binnen {days} dagen."],
        "reference": ["betreft factuur {number} van {date}"],
        "fx_note": ["Tegenwaarde {amount} (koers {rate})"],
        "page_total": ["Paginatotaal"],
        "capital": ["Geplaatst kapitaal"],
        "phone": ["Tel.", "T"],
    },
    "it": {
        "title_invoice": ["Fattura", "FATTURA"],
        "title_partial": ["Fattura di acconto"],
        "title_final": ["Fattura a saldo"],
        "title_credit_note": ["Nota di credito", "NOTA DI CREDITO"],
        "title_correction": ["Fattura rettificativa"],
        "number": ["Numero fattura", "Fattura n.", "N. fattura", "Nr."],
        "number_credit_note": ["Nota di credito n.", "Numero"],
        "date": ["Data fattura", "Data", "Data documento"],
        "due": ["Scadenza", "Data scadenza"],
        "delivery": ["Data consegna", "Data DDT"],
        "order_date": ["Data ordine"],
        "print_date": ["Stampato il"],
        "customer": ["Codice cliente", "Cod. cliente"],
        "order": ["Ordine n.", "DDT n.", "Vs. riferimento"],
        "buyer_vat": ["P.IVA cliente", "Vs. Partita IVA"],
        "vat_id": ["Partita IVA", "P.IVA", "P. IVA"],
        "tax_no": ["Codice fiscale", "C.F."],
        "net": ["Imponibile", "Totale imponibile", "Totale netto"],
        "tax": ["IVA", "Imposta"],
        "tax_total": ["Totale IVA"],
        "gross": ["Totale fattura", "Totale documento", "Totale", "TOTALE"],
        "payable": ["Netto a pagare", "Totale da pagare"],
        "prepaid": ["Acconto versato", "Già pagato"],
        "lines_sum": ["Totale merce"],
        "discount": ["Sconto"],
        "charge": ["Spese di trasporto", "Spese di incasso"],
        "charges_total": ["Totale spese"],
        "allowances_total": ["Totale sconti"],
        "h_pos": ["Pos.", "N."],
        "h_desc": ["Descrizione", "Articolo"],
        "h_qty": ["Q.tà", "Quantità"],
        "h_unit": ["Prezzo unitario", "Prezzo"],
        "h_total": ["Importo", "Totale"],
        "h_rate": ["IVA %", "Aliq."],
        "page": ["Pagina"],
        "page_of": ["di"],
        "carry": ["Riporto", "A riportare"],
        "bill_to": ["Spett.le", "Intestatario"],
        "ship_to": ["Destinazione merce"],
        "bank": ["Coordinate bancarie", "Banca d'appoggio"],
        "register": ["REA", "Registro Imprese"],
        "managing": ["Amministratore"],
        "thanks": ["Grazie per la fiducia."],
        "intro": ["Vi addebitiamo quanto segue:"],
        "terms": ["Pagamento a {days} giorni data fattura."],
        "reference": ["rif. fattura n. {number} del {date}"],
        "fx_note": ["Controvalore {amount} (cambio {rate})"],
        "page_total": ["Totale pagina"],
        "capital": ["Capitale sociale"],
        "phone": ["Tel.", "Telefono"],
    },
    "es": {
        "title_invoice": ["Factura", "FACTURA"],
        "title_partial": ["Factura de anticipo"],
        "title_final": ["Factura final"],
        "title_credit_note": ["Nota de crédito", "Factura de abono"],
        "title_correction": ["Factura rectificativa", "FACTURA RECTIFICATIVA"],
        "number": ["Número de factura", "Factura n.º", "Nº factura", "Factura Nº", "Nº"],
        "number_credit_note": ["Nº abono", "Número"],
        "date": ["Fecha de factura", "Fecha", "Fecha de emisión", "Fecha factura"],
        "due": ["Fecha de vencimiento", "Vencimiento"],
        "delivery": ["Fecha de entrega", "Fecha albarán"],
        "order_date": ["Fecha de pedido"],
        "print_date": ["Impreso el"],
        "customer": ["Nº cliente", "Código cliente"],
        "order": ["Nº pedido", "Albarán nº", "Su referencia"],
        "buyer_vat": ["NIF cliente", "CIF cliente"],
        "vat_id": ["NIF-IVA", "CIF", "NIF", "N.I.F."],
        "tax_no": ["Registro Mercantil"],
        "net": ["Base imponible", "Subtotal", "Total base imponible"],
        "tax": ["IVA", "Cuota IVA"],
        "tax_total": ["Total IVA", "Total cuota IVA"],
        "gross": ["Total factura", "Total", "TOTAL", "Importe total"],
        "payable": ["Total a pagar", "Importe a pagar", "Líquido a pagar"],
        "prepaid": ["Anticipo recibido", "Ya pagado"],
        "lines_sum": ["Importe bruto", "Suma líneas"],
        "discount": ["Descuento", "Dto."],
        "charge": ["Portes", "Gastos de envío"],
        "charges_total": ["Total recargos"],
        "allowances_total": ["Total descuentos"],
        "h_pos": ["Ref.", "Nº"],
        "h_desc": ["Descripción", "Concepto", "Artículo"],
        "h_qty": ["Cant.", "Cantidad", "Uds."],
        "h_unit": ["Precio", "Precio unit.", "P.U."],
        "h_total": ["Importe", "Total", "Subtotal"],
        "h_rate": ["% IVA", "IVA"],
        "page": ["Página"],
        "page_of": ["de"],
        "carry": ["Suma y sigue", "Suma anterior"],
        "bill_to": ["Cliente", "Facturar a"],
        "ship_to": ["Enviar a", "Dirección de entrega"],
        "bank": ["Datos bancarios", "Banco"],
        "register": ["Inscrita en el Registro Mercantil de"],
        "managing": ["Administrador"],
        "thanks": ["Gracias por su confianza."],
        "intro": ["Detalle de los servicios prestados:"],
        "terms": ["Forma de pago: transferencia a {days} días."],
        "reference": ["rectifica la factura {number} de {date}"],
        "fx_note": ["Contravalor {amount} (cambio {rate})"],
        "page_total": ["Suma página"],
        "capital": ["Capital social"],
        "phone": ["Tel.", "Teléfono"],
    },
}  # fmt: skip


# --- parties ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    code: str
    name: dict[str, str]
    tax_rates: tuple[Decimal, ...]
    currency: str
    cities: tuple[tuple[str, str], ...]
    streets: tuple[str, ...]
    street_number_first: bool
    bban_len: int
    bban_alpha: int
    """leading letters of the BBAN (bank code), e.g. NL ABNA, GB NWBK."""


COUNTRIES = {
    "DE": Country("DE", {"de": "Deutschland", "en": "Germany", "fr": "Allemagne"}, (Decimal(19), Decimal(7)), "EUR",
                  (("20457", "Hamburg"), ("50667", "Köln"), ("80331", "München"), ("60311", "Frankfurt am Main"),
                   ("10115", "Berlin"), ("04109", "Leipzig"), ("70173", "Stuttgart"), ("28195", "Bremen"),
                   ("90402", "Nürnberg"), ("01067", "Dresden"), ("44135", "Dortmund"), ("30159", "Hannover")),
                  ("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Am Marktplatz", "Königsallee", "Schloßstraße",
                   "Gewerbering", "Lindenweg", "Mühlenstraße", "Carl-Zeiss-Straße", "Hafenweg", "Äußere Ringstraße"),
                  False, 18, 0),
    "FR": Country("FR", {"de": "Frankreich", "en": "France", "fr": "France"}, (Decimal(20), Decimal("5.5"),
                  Decimal(10)), "EUR",
                  (("75008", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"),
                   ("33000", "Bordeaux"), ("59000", "Lille"), ("67000", "Strasbourg"), ("44000", "Nantes")),
                  ("rue de la République", "avenue des Champs-Élysées", "boulevard Voltaire", "rue Nationale",
                   "chemin des Vignes", "place de la Gare", "rue du Général Leclerc", "allée des Tilleuls"),
                  True, 23, 0),
    "GB": Country("GB", {"de": "Vereinigtes Königreich", "en": "United Kingdom", "fr": "Royaume-Uni"},
                  (Decimal(20), Decimal(5)), "GBP",
                  (("EC1A 1BB", "London"), ("M1 1AE", "Manchester"), ("B1 1HQ", "Birmingham"), ("LS1 4AP", "Leeds"),
                   ("BS1 4DJ", "Bristol"), ("G1 1XQ", "Glasgow")),
                  ("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane", "King Street",
                   "Park Avenue"), True, 18, 4),
    "IE": Country("IE", {"de": "Irland", "en": "Ireland", "fr": "Irlande"}, (Decimal(23), Decimal("13.5")), "EUR",
                  (("D02 X285", "Dublin"), ("T12 R5CP", "Cork"), ("H91 E2K3", "Galway")),
                  ("Main Street", "Grafton Street", "Harbour Road", "Parnell Square"), True, 18, 4),
    "NL": Country("NL", {"de": "Niederlande", "en": "Netherlands", "fr": "Pays-Bas"}, (Decimal(21), Decimal(9)),
                  "EUR", (("1012 AB", "Amsterdam"), ("3011 AD", "Rotterdam"), ("3511 AX", "Utrecht"),
                          ("2511 BT", "Den Haag")),
                  ("Keizersgracht", "Stationsplein", "Hoofdstraat", "Kerkstraat", "Industrieweg"), False, 14, 4),
    "IT": Country("IT", {"de": "Italien", "en": "Italy", "fr": "Italie"}, (Decimal(22), Decimal(10)), "EUR",
                  (("20121", "Milano"), ("00184", "Roma"), ("10121", "Torino"), ("40121", "Bologna")),
                  ("Via Roma", "Via Garibaldi", "Corso Italia", "Viale Europa", "Via Dante"), False, 23, 1),
    "ES": Country("ES", {"de": "Spanien", "en": "Spain", "fr": "Espagne"}, (Decimal(21), Decimal(10)), "EUR",
                  (("28013", "Madrid"), ("08002", "Barcelona"), ("46001", "Valencia"), ("41001", "Sevilla")),
                  ("Calle Mayor", "Avenida de la Constitución", "Calle Alcalá", "Paseo de Gracia", "Calle Real"),
                  False, 20, 0),
    "CH": Country("CH", {"de": "Schweiz", "en": "Switzerland", "fr": "Suisse"}, (Decimal("8.1"), Decimal("2.6")),
                  "CHF", (("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("1201", "Genève")),
                  ("Bahnhofstrasse", "Seestrasse", "Rue du Rhône", "Dorfstrasse"), False, 17, 0),
}  # fmt: skip
LANG_COUNTRIES = {"de": ["DE", "DE", "DE", "DE", "CH"], "en": ["GB", "GB", "IE", "DE", "NL"],
                  "fr": ["FR", "FR", "FR", "CH"], "nl": ["NL"], "it": ["IT"], "es": ["ES"]}  # fmt: skip

_NAME_STEMS = ["Müller", "Schäfer", "Weiß", "Nordlicht", "Hansa", "Bärenfels", "Ostwind", "Keller", "Dupont",
               "Lefèvre", "Moreau", "Girard", "Bonnet", "Harrison", "Whitfield", "Ashworth", "Kensington", "Brennan",
               "Van Dijk", "De Vries", "Rossi", "Bianchi", "García", "Fernández", "Alpen", "Rheinland", "Atlas",
               "Horizon", "Polaris", "Meridian", "Vektor", "Quadrat", "Lumière", "Cobalt", "Tannenhof"]  # fmt: skip
_TRADES = {
    "de": ["Logistik", "Bürobedarf", "Elektrotechnik", "Metallbau", "Haustechnik", "Druckerei", "Software",
           "Gebäudereinigung", "Maschinenbau", "Verpackungen", "Steuerberatung", "Spedition"],
    "en": ["Logistics", "Office Supplies", "Engineering", "Consulting", "Printing", "Software", "Facilities",
           "Packaging", "Electrical", "Freight"],
    "fr": ["Transports", "Fournitures", "Informatique", "Conseil", "Imprimerie", "Électricité", "Emballages",
           "Nettoyage", "Services"],
    "nl": ["Logistiek", "Installatietechniek", "Drukkerij", "Advies"],
    "it": ["Trasporti", "Forniture", "Informatica", "Impianti"],
    "es": ["Transportes", "Suministros", "Informática", "Instalaciones"],
}  # fmt: skip
_LEGAL = {"DE": ["GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "UG (haftungsbeschränkt)", "OHG"],
          "CH": ["AG", "GmbH", "SA"], "FR": ["SAS", "SARL", "SA", "EURL"], "GB": ["Ltd", "Limited", "LLP", "plc"],
          "IE": ["Ltd", "Limited", "DAC"], "NL": ["B.V.", "N.V.", "V.O.F."], "IT": ["S.r.l.", "S.p.A.", "S.n.c."],
          "ES": ["S.L.", "S.A.", "S.L.U."]}  # fmt: skip
_PEOPLE = ["Anna Schäfer", "Jürgen Weiß", "Claire Dubois", "Marc Lefèvre", "James Whitfield", "Sarah Brennan",
           "Pieter de Vries", "Giulia Rossi", "Javier García", "Dr. Klaus Böhm"]  # fmt: skip
_BANKS = {"DE": ["Sparkasse", "Commerzbank", "Deutsche Bank", "Volksbank", "Postbank"],
          "FR": ["BNP Paribas", "Crédit Agricole", "Société Générale", "LCL"], "GB": ["Barclays", "NatWest", "HSBC",
          "Lloyds Bank"], "IE": ["AIB", "Bank of Ireland"], "NL": ["ABN AMRO", "Rabobank", "ING"],
          "IT": ["Intesa Sanpaolo", "UniCredit"], "ES": ["Banco Santander", "BBVA", "CaixaBank"],
          "CH": ["UBS", "PostFinance", "Zürcher Kantonalbank"]}  # fmt: skip
_BANK_CODES = {"GB": ["NWBK", "BARC", "HBUK", "LOYD"], "IE": ["AIBK", "BOFI"], "NL": ["ABNA", "RABO", "INGB"],
               "IT": ["X"]}  # fmt: skip


def iban(country: str, rng: random.Random) -> str:
    """An IBAN with valid ISO 13616 check digits."""
    c = COUNTRIES[country]
    alpha = rng.choice(_BANK_CODES[country]) if c.bban_alpha else ""
    digits = "".join(rng.choice(string.digits) for _ in range(c.bban_len - len(alpha)))
    if country == "FR":  # RIB key: the last two digits are a check of their own, any two digits read the same
        digits = digits[:21] + f"{rng.randrange(1, 97):02d}"
    bban = alpha + digits
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def vat_id(country: str, rng: random.Random) -> str:
    if country == "DE":
        return vat_id_de(f"{rng.randrange(10**7, 10**8)}")
    if country == "FR":
        siren = rng.randrange(10**8, 10**9)
        return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siren}"
    if country in ("GB",):
        return f"GB{rng.randrange(10**8, 10**9)}"
    if country == "IE":
        return f"IE{rng.randrange(10**6, 10**7)}{rng.choice('ABCDEFGHW')}{rng.choice(['', 'H'])}"
    if country == "NL":
        return f"NL{rng.randrange(10**8, 10**9)}B{rng.randrange(1, 20):02d}"
    if country == "IT":
        return f"IT{rng.randrange(10**10, 10**11)}"
    if country == "ES":
        return f"ES{rng.choice('ABCDEFGHJ')}{rng.randrange(10**7, 10**8)}"
    return f"CHE{rng.randrange(10**8, 10**9)}MWST"


def group4(text: str) -> str:
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def vat_printed(vat: str, rng: random.Random) -> str:
    """A VAT ID as printed: compact, or with the usual spaces."""
    if rng.random() < 0.7 or vat.startswith("CHE"):
        return vat
    body = vat[2:]
    return f"{vat[:2]} " + " ".join(body[i : i + 3] for i in range(0, len(body), 3))


@dataclass(frozen=True)
class Company:
    name: str
    short: str
    street: str
    postal_code: str
    city: str
    country: str
    vat_id: str
    iban: str
    bic: str
    bank: str
    phone: str
    email: str
    web: str
    register: str
    manager: str

    def address_lines(self, lang: str, *, with_country: bool) -> list[str]:
        lines = [self.street, f"{self.postal_code} {self.city}"]
        if self.country == "GB" or self.country == "IE":
            lines = [self.street, self.city, self.postal_code]
        if with_country:
            known = COUNTRIES.get(self.country)
            lines.append(known.name.get(lang, known.name["en"]) if known else self.country)
        return lines


def company(rng: random.Random, country: str, lang: str) -> Company:
    c = COUNTRIES[country]
    stem = rng.choice(_NAME_STEMS)
    trade = rng.choice(_TRADES[lang if lang in _TRADES else "en"])
    legal = rng.choice(_LEGAL[country])
    name = f"{stem} {trade} {legal}" if rng.random() < 0.6 else f"{trade} {stem} {legal}"
    number = str(rng.randint(1, 180)) + rng.choice(["", "", "", "a", "b"])
    street_name = rng.choice(c.streets)
    street = f"{number} {street_name}" if c.street_number_first else f"{street_name} {number}"
    if country == "FR":
        street = f"{number}, {street_name}" if rng.random() < 0.5 else street
    postal_code, city = rng.choice(c.cities)
    plain = stem.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("è", "e"), ("é", "e"), ("í", "i"), ("á", "a")):
        plain = plain.replace(a, b)
    slug = "".join(ch for ch in plain if ch.isascii() and ch.isalpha()) or "firma"
    tld = {"GB": "co.uk", "IE": "ie", "CH": "ch"}.get(country, country.lower())
    bic_bank = "".join(ch for ch in rng.choice(_BANKS[country]).upper() if ch.isalpha())[:4].ljust(4, "X")
    register = {
        "DE": f"Amtsgericht {city.split()[0]} HRB {rng.randrange(1000, 99999)}",
        "FR": f"RCS {city} B {rng.randrange(100, 999)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}",
        "GB": f"Registered in England and Wales No. {rng.randrange(10**7, 10**8):08d}",
        "IE": f"Registered in Ireland No. {rng.randrange(100000, 999999)}",
        "NL": f"KvK {rng.randrange(10**7, 10**8)}",
        "IT": f"REA MI-{rng.randrange(100000, 999999)}",
        "ES": f"Registro Mercantil de {city}, Tomo {rng.randrange(1000, 9999)}, Hoja M-{rng.randrange(10000, 99999)}",
        "CH": f"Handelsregister CHE-{rng.randrange(100, 999)}.{rng.randrange(100, 999)}.{rng.randrange(100, 999)}",
    }[country]
    return Company(
        name=name, short=stem, street=street, postal_code=postal_code, city=city, country=country,
        vat_id=vat_id(country, rng), iban=iban(country, rng),
        bic=f"{bic_bank}{country}{rng.choice(['XX', '2X', 'FF'])}",
        bank=rng.choice(_BANKS[country]),
        phone=f"+{ {'DE': 49, 'FR': 33, 'GB': 44, 'IE': 353, 'NL': 31, 'IT': 39, 'ES': 34, 'CH': 41}[country]} "
              f"{rng.randrange(10, 99)} {rng.randrange(100000, 9999999)}",
        email=f"{rng.choice(['info', 'billing', 'rechnung', 'accounts', 'contact'])}@{slug}.{tld}",
        web=f"www.{slug}.{tld}", register=register, manager=rng.choice(_PEOPLE),
    )  # fmt: skip

