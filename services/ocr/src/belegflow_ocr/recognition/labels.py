"""The label lexicon: what invoices in German, English, French, Dutch, Italian and Spanish write before a value,
and the commonest labels of Portuguese, Polish, Czech, Hungarian and Scandinavian invoices.

Every label of every field is matched whole, and at one place in a text the **longest** label wins, whichever
field it belongs to. That is what keeps "Gesamtbetrag der Zuschläge" from being read as "Gesamtbetrag",
"TOTAL GST" or "TOTAL SAVINGS" as "TOTAL", "Lieferdatum" or "Date d'échéance" as a date of issue. Labels of
kind ``other`` exist only to be longer than the labels they would otherwise be mistaken for: a value after
them is never taken.

A phrase is a regular expression; a space in it stands for any run of blanks, including none (OCR drops and
adds spaces inside compounds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

# Kinds of labelled values. ``payable`` (BT-115) and ``prepaid`` (BT-113) take part in the sums only.
REFERENCE_KINDS = ("order_reference", "sales_order_reference", "buyer_reference", "shipment_reference")
"""Header references (``references``): the buyer's order (BT-13), the seller's order (BT-14), the buyer's
reference (BT-10) and the shipment. Their numbers are never the invoice number."""
KINDS = ("invoice_number", "invoice_date", "due_date", "net_amount", "tax_amount", "gross_amount", "payable",
         "prepaid", *REFERENCE_KINDS, "other", "other_date")  # fmt: skip
"""``other`` and ``other_date`` label what must not be taken: amounts and numbers that are no total or invoice
number, and dates that are not the date of issue (delivery, order, print date)."""

_NO = r"(?:Nr|No|Nº|N°|Num|Nummer|Number|n°|nº|#)\.?"
_PCT = r"(?:\d{1,2}(?:[.,]\d{1,3})?\s*%)"
_TAXWORD = (r"(?:MwSt|Mehrwertsteuer|USt|Umsatzsteuer|VAT|GST|TVA|T\.V\.A|BTW|IVA|Tax|Steuer|SST|CGST|SGST|IGST|UTGST|"
            r"HST|PST|QST|GST/HST|MOMS|MVA|ALV|DPH|ÁFA|PTU|KDV)\.?")
_CUR = r"(?:EUR|€|USD|\$|CHF|GBP|£|RM|MYR|SGD|S\$|INR|₹|Rs\.?)"
_BASE = (rf"(?: ?\(?(?:auf|on|sur|op|over|su|sobre) ?{_CUR}? ?\d{{1,3}}(?:[.,' ]?\d{{3}})*[.,]\d{{2}} ?{_CUR}?"
         rf"\)?)?")
"""The amount a tax is computed on, written into its label ("19 % MwSt. auf 90,00 €", "TVA 20 % sur 100,00"):
part of the label, never the tax. Not "von"/"of": "inkl. MwSt. von 3,19 €" names the tax itself."""

# (kind, weight, looks below, phrases). Weight is how surely the label names its kind; "looks below" says
# whether a value set under the label counts (a title's number never stands under it).
_LEXICON: tuple[tuple[str, float, bool, tuple[str, ...]], ...] = (
    ("invoice_number", 1.0, True, (
        r"Rechnungs ?-? ?(?:nummer|nr\.?|no\.?)", rf"Rechnung {_NO}", rf"Rg\.? ?-? ?{_NO}", rf"Re\.? ?-? ?{_NO}",
        r"Beleg ?-? ?(?:nummer|nr\.?)", rf"Beleg {_NO}", r"Gutschrifts? ?-? ?(?:nummer|nr\.?)", rf"Gutschrift {_NO}",
        r"Bon ?-? ?(?:nummer|nr\.?)", r"Quittungs ?-? ?(?:nummer|nr\.?)", r"Storno ?-? ?(?:nummer|nr\.?)",
        rf"Invoice {_NO}", r"Invoice ?#", r"Invoice (?:ID|Ref\.?|Reference)", rf"Inv\.? {_NO}", rf"Tax Invoice {_NO}",
        rf"Bill {_NO}", rf"Receipt {_NO}", rf"Credit ?note {_NO}", rf"Credit memo {_NO}",
        r"N[°ºo]\.? ?(?:de )?facture", r"Num[ée]ro (?:de )?facture", rf"Facture {_NO}", r"Facture num[ée]ro",
        r"N[°ºo]\.? ?d'avoir", rf"Avoir {_NO}", r"Factuur ?(?:nummer|nr\.?|no\.?)",
        r"Fattura (?:n\.?|nr\.?|numero|N[°º])",
        r"Numero (?:di )?fattura", r"N\. fattura", r"Factura (?:n[°º.]?|núm\.?|número)", r"N[°º] (?:de )?factura",
        r"Número (?:de )?factura", rf"Faktura ?-? ?{_NO}", r"Num[ée]ro d'avoir", rf"(?:Invoice )?Correction {_NO}",
        rf"Credit {_NO}", r"Numero (?:della )?nota di credito", r"Fakturanummer", r"Fakturanr\.?",
        r"N[°º]\.? ?(?:de )?(?:abono|rectificativa)", r"Abono (?:n[°º.]?|núm\.?|número)",
        r"Nota (?:di credito|de cr[ée]dito) (?:n\.?|nr\.?|n[°º])", r"Credit(?:nota)? ?(?:nummer|nr\.?)",
        r"Rechnungs ?-? ?korrektur ?-? ?(?:nummer|nr\.?)", r"Storno ?-? ?rechnungs? ?-? ?(?:nummer|nr\.?)",
        # Portuguese, Polish, Czech, Finnish
        r"Fatura (?:n[°º.]?|número)", r"N[°º.] (?:da )?fatura", r"Número (?:da )?fatura",
        r"Faktura (?:VAT )?(?:nr\.?|numer)", r"(?:Numer|Nr\.?) faktury",
        r"(?:Faktura|Daňový doklad)(?: ?-? ?daňový doklad)? (?:č\.|číslo)", r"Číslo (?:faktury|dokladu)",
        r"Laskun ?(?:numero|nro\.?)", r"Számla ?(?:sorszáma|száma|szám)", r"Sorszám",
    )),
    # In a correction or credit note "Réf. facture" names the invoice corrected, elsewhere the invoice itself.
    ("invoice_number", 0.8, True, (r"R[ée]f\.? (?:de (?:la )?)?facture", r"R[ée]f[ée]rence (?:de (?:la )?)?facture")),
    ("invoice_number", 0.75, True, (rf"Document {_NO}", rf"Doc\.? {_NO}", r"Dokument ?(?:nummer|nr\.?)",
                                    rf"Transaction {_NO}", rf"Trans\.? {_NO}", rf"Ticket {_NO}", r"N[°º]", r"Nr\.",
                                    r"No\.", r"Number", r"Nummer", r"Bon", r"Beleg", r"Receipt", r"Quittung",
                                    r"Reference", r"Ref\.", r"Our ref(?:erence)?\.?", r"Num[ée]ro", r"Número",
                                    r"Numero")),
    # A document's title, its number right after it: "Rechnung 2024-0815", "INVOICE 4711", "Facture FA-1".
    ("invoice_number", 0.85, False, (
        r"Rechnung", r"Invoice", r"Tax Invoice", r"Facture", r"Factuur", r"Fattura", r"Factura", r"Gutschrift",
        r"Credit ?note", r"Avoir", r"Facture d'avoir", r"Factura de abono", r"Abono", r"Nota di credito",
        r"Nota de cr[ée]dito", r"Creditnota", r"Rechnungskorrektur", r"Korrekturrechnung", r"Stornorechnung",
        r"[A-ZÄÖÜ][a-zäöüß]+rechnung", r"Proforma(?:rechnung| invoice)?", r"Commercial invoice", r"Facture proforma",
        r"(?:Final|Interim|Partial|Progress|Advance|Corrected|Corrective|Proforma|Pro ?-? ?forma|Commercial|Sales|"
        r"Service|Freight|Customs|Summary|Collective|Recurring|Original|Copy) invoice", r"Faktura",
        r"Facture (?:finale|d'acompte|de solde|proforma|rectificative|corrective|d'avoir)",
        r"Factura (?:final|proforma|rectificativa|correctiva|de abono)", r"Fattura (?:finale|proforma|di rettifica)",
        r"(?:Eind|Voorschot|Correctie|Credit)factuur", r"Honorarnote", r"Note d'honoraires",
        r"Fatura", r"Fatura ?-? ?recibo", r"Faktura VAT", r"Daňový doklad", r"Lasku", r"Számla",
    )),
    ("invoice_date", 1.0, True, (
        r"Rechnungs ?-? ?datum", r"Rechnungsdat\.", r"Belegdatum", r"Datum der Rechnung", r"Ausstellungsdatum",
        r"Gutschrifts ?-? ?datum", r"Rechnung vom", r"Invoice date", r"Invoice dt\.?", r"Date of invoice",
        r"Date of issue", r"Issue date", r"Date issued", r"Billing date", r"Invoice dated",
        r"Date (?:de (?:la )?)?factur(?:e|ation)", r"Date d'[ée]mission", r"Factuurdatum", r"Data (?:della )?fattura",
        r"Data (?:di )?emissione", r"Fecha (?:de )?(?:la )?factura", r"Fecha (?:de )?emisi[óo]n",
        r"Data (?:de )?emiss[ãa]o", r"Data da fatura", r"Data wystawienia(?: faktury)?", r"Datum vystavení",
        r"Faktura ?datum", r"Faktura ?dato", r"Laskun päiv[äa]ys", r"Kelt", r"Számla kelte", r"Kiállítás dátuma",
    )),
    ("invoice_date", 0.9, True, (r"Datum", r"Date", r"Dated", r"Fecha", r"Data", r"Datum/Date")),
    ("due_date", 1.0, True, (
        r"F[äa]llig(?:keitsdatum|keit|\s+am|\s+bis)?", r"(?:bitte )?zahlbar (?:bis|am)(?: zum)?", r"Zahlungsziel",
        r"Due (?:date|by|on)", r"Payment due(?: date| by)?", r"Payable by", r"Pay by", r"Date d'[ée]ch[ée]ance",
        r"[ÉE]ch[ée]ance", r"(?:à )?payer avant le", r"Date limite(?: de (?:r[èe]glement|paiement))?",
        r"[ÀA] r[ée]gler (?:avant|au plus tard) le", r"Payment deadline", r"Vervaldatum", r"(?:Data (?:di )?)?scadenza",
        r"Fecha (?:de )?vencimiento", r"Vencimiento", r"Data (?:de )?vencimento", r"Termin płatności",
        r"Datum splatnosti", r"Splatnost", r"Förfallo ?(?:datum|dag)", r"Forfalds ?dato", r"Forfalls ?dato",
        r"Eräpäivä", r"Fizetési határidő", r"Esedékesség",
    )),
    ("net_amount", 1.0, True, (
        r"Summe netto", r"Netto ?summe", r"Netto ?betrag", r"Gesamt ?netto", r"Netto ?gesamt",
        r"Gesamt ?betrag netto", r"Rechnungs ?betrag netto", r"Nettowarenwert", r"Warenwert netto",
        r"Zwischensumme netto", r"Summe (?:der )?Positionen netto", r"Net amount", r"Net total", r"Net total amount",
        r"Total net",
        r"Total (?:excl\.?|excluding|before|w/o) (?:VAT|GST|tax(?:es)?)", r"Amount (?:excl\.?|excluding) (?:VAT|tax)",
        r"Sub ?-? ?total (?:excl\.?|excluding) (?:VAT|GST|tax)", r"Totaal ?bedrag excl\.? BTW",
        r"Total HT", r"Montant HT", r"Total hors taxes?", r"(?:Total |Montant )?HTVA", r"(?:Total |Montant )?hors TVA",
        r"Montant hors taxes?", r"Sous ?-? ?total HT", r"Net HT", r"Totaal excl\.? BTW", r"Totaal exclusief BTW",
        r"Bedrag excl\.? BTW", r"Totale imponibile", r"Imponibile", r"(?:Total )?Base imponible", r"Importe neto",
        r"Totale netto", r"Total neto", r"Net (?:amount )?excl\.? (?:VAT|tax)",
        r"(?:Total )?Taxable (?:amount|value)", r"Tax base", r"Steuerpflichtiger Betrag", r"Bemessungsgrundlage",
        # "Total exkl. MWST", "Summe ohne USt", "Betrag vor Steuern"
        rf"(?:Total|Summe|Betrag|Gesamt ?(?:betrag|summe)?|Zwischen ?summe|Rechnungs ?betrag) "
        rf"(?:exkl\.?|exklusive|ohne|vor|excl\.?|netto) {_TAXWORD}", r"(?:Total|Summe|Betrag) vor Steuern",
        # Portuguese, Polish, Czech, Scandinavian
        r"Total (?:s/|sem) IVA", r"Valor (?:s/|sem) IVA", r"Base tribut[áa]vel", r"Incid[êe]ncia", r"Total il[íi]quido",
        r"(?:Razem|Suma|Warto[śs][ćc]) netto", r"Základ(?: DPH)?", r"Celkem bez DPH",
        r"Nettó(?: (?:összesen|érték|ár|összeg))?",
        r"(?:Summa|Belopp|Bel[øo]b|Sum|Totalt?) (?:exkl\.?|ekskl\.?|eks\.?|utan|uten|uden) (?:moms|mva)",
    )),
    ("net_amount", 0.9, True, (r"Netto", r"Net")),
    ("net_amount", 0.75, True, (r"Zwischen ?summe", r"Sub ?-? ?total", r"Warenwert", r"Summe (?:der )?Waren",
                                r"Waren ?summe", r"Sous ?-? ?total",
                                r"Goods total", r"Total goods", r"Lines? total", r"Total of lines",
                                r"Subtotaal", r"Summe (?:der )?Positionen", r"Positionssumme")),
    ("tax_amount", 1.0, True, (
        # "zzgl. 19 % MwSt", "Total TVA", "Montant total TVA"; but "Total incl. VAT" is the gross
        rf"(?:(?:zzgl\.?|zuzüglich|plus|inkl\.?|inklusive|enthaltene|enth\.|incl?\.?|including|add) ?|"
        rf"(?:total|gesamt|summe|montant(?: total)?|totaal|totale|importe|betrag|kwota|valor|summa) ?)?"
        rf"(?:{_PCT} ?)?{_TAXWORD}"
        rf"(?: ?-? ?(?:betrag|summe|amount|total))?"
        rf"(?: ?\(?(?:{_PCT}|(?<!TVA)(?<!TVA\x20)[A-Z]\b)\)?)?(?: ?{_CUR})?(?: (?:von|of))?{_BASE}",
        r"Steuer ?betrag", r"Umsatzsteuer ?betrag", r"Tax amount", r"VAT amount", r"Sales tax",
        r"Totaal ?bedrag BTW", r"BTW ?bedrag",
        r"Montant (?:de la )?TVA",
        # Spanish "cuota" is the tax charged ("Total cuota IVA", "Cuota IVA 21 %"), Italian "imposta" likewise
        rf"(?:Total )?cuotas? (?:de )?(?:IVA|IGIC)(?: ?\(?{_PCT}\)?)?", rf"(?:Totale )?imposta(?: IVA)?(?: ?{_PCT})?",
    )),
    ("gross_amount", 1.0, True, (
        r"Rechnungs ?betrag", r"Rechnungs ?endbetrag", r"Gesamt ?betrag", r"Brutto ?betrag", r"Brutto ?summe",
        r"End ?betrag", r"End ?summe", r"Summe brutto", r"Gesamt ?summe", r"Rechnungs ?summe",
        r"Rechnungs ?summe brutto", r"Gesamt ?betrag brutto", r"Gesamt ?brutto", r"Brutto ?gesamt", r"Total brutto",
        r"Gutschrifts ?betrag", r"Invoice total", r"Invoice amount", r"Total invoice amount", r"Grand total",
        r"Total am(?:ount|t\.?)",
        r"Total (?:incl?\.?|including|inclusive(?: of)?|with|inkl\.?) (?:VAT|GST|tax(?:es)?|MwSt\.?|USt\.?)",
        r"Total (?:am(?:ount|t\.?) )?(?:incl?\.?|including) (?:VAT|GST|tax)",
        r"Amount (?:incl?\.?|including) (?:VAT|tax)",
        r"Total sales (?:\()?(?:incl\.?|inclusive)(?: of)? (?:GST|VAT)(?:\))?", r"Nett total", r"Total TTC",
        # Belgian "TVA comprise": with the tax, not the tax
        r"(?:Total |Montant )?TVAC", r"(?:Total |Montant )?TVA (?:comprise|incluse)",
        r"Montant TTC", r"Total toutes taxes comprises", r"Montant total", r"Totaal incl\.? BTW",
        r"Totaal ?bedrag incl\.? BTW",
        r"Totaal inclusief BTW", r"Totaal ?bedrag", r"Factuurbedrag", r"Totale fattura", r"Totale documento",
        r"Importe total", r"Total factura", r"Credit total", r"Total credit", r"Gross (?:total|amount)",
        r"Gross total amount", r"Total gross", r"Totale (?:lordo|complessivo|generale)", r"Total general",
        r"Total (?:c/|com) IVA", r"(?:Razem|Suma|Warto[śs][ćc]) brutto", r"Celkem s DPH",
        r"Bruttó(?: (?:összesen|érték|összeg))?", r"Végösszeg",
        r"(?:Summa|Belopp|Bel[øo]b|Sum|Totalt?) (?:inkl\.?|inklusive) (?:moms|mva)",
    )),
    ("gross_amount", 0.9, True, (r"Brutto", rf"Total ?\(?{_CUR}\)?", rf"Summe ?{_CUR}", r"Totaal", r"Totale",
                                 r"Rounded total", r"Total rounded", r"Gesamt")),
    ("gross_amount", 0.8, True, (r"Total", r"Summe", r"Betrag", r"Amount")),
    ("payable", 1.0, True, (
        r"Zahl ?betrag", r"Zu zahlen(?:der Betrag)?", r"Zu zahlender (?:Betrag|Gesamtbetrag)", r"Offener Betrag",
        r"Rest ?betrag", r"Noch zu zahlen", r"Bitte (?:überweisen|zahlen)(?: Sie)?", r"Amount due", r"Balance due",
        r"Due payable", r"Total due", r"Amount payable", r"Total payable", r"Please pay", r"Amount to pay",
        r"Total am(?:ount|t\.?) (?:due|payable)", r"Balance (?:due|payable)", r"Montant (?:dû|du)",
        r"Net [àa] payer", r"Montant [àa] payer", r"Reste [àa] payer", r"Solde [àa] payer", r"Total [àa] payer",
        r"Te betalen", r"Totaal te betalen", r"Totale da pagare", r"Netto a pagare", r"Total a pagar",
        r"Importe a pagar", r"Zahlungsbetrag", r"Überweisungsbetrag", r"Do zapłaty", r"(?:Celkem )?k úhradě",
        r"Att betala", r"At betale", r"Å betale", r"Maksettava", r"Fizetendő(?: összeg)?",
    )),
    ("prepaid", 1.0, True, (
        r"(?:abzgl\.? |abzüglich |geleistete |erhaltene )?(?:An|Ab|Voraus) ?(?:zahlung|schlag|schlagszahlung)(?:en)?",
        r"Bereits (?:gezahlt|bezahlt|erhalten|geleistet)", r"Prepaid(?: amount)?", r"(?:Less )?(?:paid|deposit)",
        r"Amount paid", r"Already paid", r"Paid amount", r"Acomptes?(?: vers[ée]s?)?",
        r"D[ée]j[àa] (?:pay[ée]|r[ée]gl[ée])",
        r"Montant pay[ée]", r"Montant d[ée]j[àa] (?:pay[ée]|r[ée]gl[ée]|vers[ée])", r"Aanbetaling", r"Reeds betaald",
        r"Acconto", r"Gi[àa] (?:pagato|versato)", r"Anticipo", r"Ya pagado",
    )),
    ("other", 1.0, True, (
        # amounts that are not a total
        r"Gesamt ?betrag der (?:Zu|Ab)schl[äa]ge", r"Summe (?:der )?(?:Zu|Ab)schl[äa]ge",
        r"Gesamt ?betrag der Nachl[äa]sse",
        r"Summe (?:der )?(?:Rabatte|Nachl[äa]sse)", r"(?:Zu|Ab)schl[äa]ge", r"Rabatt(?:betrag)?", r"Skonto(?:betrag)?",
        r"Sconti", r"Sconto", r"Spese", r"Descuentos?", r"Remises?", r"Frais", r"Kortingen?", r"Toeslagen",
        r"Allowances?", r"Charges", r"Surcharges?", r"Gastos", r"Recargos?",
        r"N[°º]\.? ?(?:de )?(?:TVA|SIRET|SIREN|TVA intracommunautaire)", r"N[°º]\.? ?(?:d'identification|IVA|BTW)",
        r"Nachlass", r"Total savings", r"(?:You|Your) sav(?:ed|ings)", r"Savings", r"Total discounts?", r"Discounts?",
        r"Total (?:qty|quantity|items?|number of items|pcs|units)", r"Cash", r"Bar", r"Gegeben", r"R[üu]ckgeld",
        r"Change(?: due)?", r"Tendered", r"Paid amount", r"Amount tendered", r"Card", r"Kreditkarte",
        r"EC ?-? ?Karte", r"Visa", r"Mastercard",
        r"Rounding(?: adj(?:ustment)?\.?)?", r"Rundung", r"[ÜU]bertrag", r"Carried forward", r"Brought forward",
        r"Zwischensumme Seite", r"Seiten ?summe", r"Stamm ?kapital", r"Grund ?kapital", r"Share capital",
        r"Capital social", r"Remise", r"Escompte", r"Einzel ?preis", r"Unit price", r"Preis", r"Price", r"Menge",
        r"Qty", r"Quantity", r"Rate", r"Total charges", r"Gesamt ?betrag der (?:Frachten|Nebenkosten)",
        rf"Total {_TAXWORD} ?(?:exempt|free)", r"Kredit ?limit", r"Mindest ?bestellwert",
        # numbers that are not the invoice number
        r"Kunden ?-? ?(?:nummer|nr\.?|konto)", rf"Kd\.? ?-? ?{_NO}", r"Auftrags ?-? ?datum", r"Bestell ?-? ?datum",
        r"Liefer ?-? ?schein ?-? ?(?:nummer|nr\.?|datum)?",
        r"Steuer ?-? ?(?:nummer|nr\.?)", r"St\.? ?-? ?Nr\.?", r"Ust ?-? ?Id(?:ent)? ?-? ?(?:Nr\.?|nummer)?",
        r"Ihre USt ?-? ?Id(?:ent)? ?-? ?(?:Nr\.?|nummer)?", r"Konto ?(?:nummer|-? ?Nr\.?)?", r"Telefon", r"Tel\.?",
        r"Fax", r"Seite", r"Page", r"Blatt", r"Customer (?:No\.?|Number|ID|#|Ref\.?)", r"Account (?:No\.?|Number|#)",
        rf"Delivery note(?: {_NO})?", r"Unser Zeichen", r"Client (?:N[°º]|num[ée]ro|code)", r"N[°º] client",
        r"Klant ?nummer", r"Codice cliente",
        r"N[úu]mero de cliente", r"Identifiant (?:client|abonn[ée])", r"R[ée]f[ée]rence (?:client|abonn[ée])",
        r"Customer code", r"Tax ID", r"VAT (?:ID|No\.?|Reg(?:istration)?|number)(?: No\.?)?", r"SIRET", r"SIREN",
        r"Register ?nummer", r"HRB", r"Amtsgericht", r"Registergericht", r"Gesch[äa]ftsf[üu]hr(?:er|ung)", r"IBAN",
        r"BIC", r"SWIFT", r"BLZ", r"Vertrags ?nummer", r"Projekt ?nummer",
        r"N[°º]\.? ?(?:de |du )?(?:contrat|march[ée]|bon de (?:r[ée]ception|livraison)|projet|lot|client)",
        rf"Contra(?:ct|t) {_NO}", r"Contract (?:ID|Ref\.?|Reference)", r"Bon de (?:r[ée]ception|livraison)",
        r"Mandats ?referenz", r"Gl[äa]ubiger ?-? ?ID", r"Cashier", r"Kassierer", r"Table", r"Tisch", r"Terminal",
        r"Kasse", r"Filiale", r"Store", r"Till", r"Ihre Bestellung vom", r"Your order (?:of|dated)",
        r"Rechnungs ?-? ?(?:art|typ)", r"Invoice type(?: code)?",
        r"Type de facture", rf"Company (?:reg(?:istration)?\.?|no\.?)(?: {_NO})?", rf"Co\.? reg\.?(?: {_NO})?",
        rf"(?:GST|SST|GST/HST) ?(?:ID|Reg(?:istration)?\.?|No\.?|Number)(?: ?{_NO})?", r"ABN", r"GSTIN",
        r"NIP", r"REGON", r"KRS", r"IČO?", r"DIČ", r"NIF", r"NIPC", r"CIF", r"Org\.? ?-? ?nr\.?",
        r"Organisations ?nummer", r"CVR(?: ?-? ?nr\.?)?", r"Bankgiro", r"Plusgiro", r"Kund ?(?:nummer|nr\.?)",
        r"(?:Numer|Nr\.?) klienta", r"N[°º.] (?:de )?cliente", r"Momsreg\.? ?-? ?nr\.?", r"(?:Nr\.?|Numer) konta",
        r"C\.? ?F\.?", r"Codice fiscale", r"(?:Közösségi )?adószám", r"Cégjegyzékszám",
    )),
    # Header references: read as such (``references``), never as the invoice number.
    ("order_reference", 1.0, True, (
        r"Bestell ?-? ?(?:nummer|nr\.?)", rf"Bestellung {_NO}", r"Ihre Bestell ?-? ?(?:nummer|nr\.?)",
        r"Ihre Bestellung", r"Ihr Auftrag", r"Ihre Order(?: ?-? ?(?:nummer|nr\.?))?", r"Bestell ?referenz",
        rf"P\.? ?O\.? ?{_NO}", r"P\.? ?O\.? ?(?:ID|Ref\.?|Reference)", rf"Purchase order(?: {_NO})?",
        r"Purchase order (?:ID|Ref\.?|Reference)", rf"(?:Your|Customer|Client|Buyer's) (?:purchase )?order(?: {_NO})?",
        rf"Customer P\.? ?O\.?(?: {_NO})?", rf"P/O(?: {_NO})?",
        r"Bon de commande", r"N[°º]\.? (?:de )?commande", r"Num[ée]ro de commande",
        rf"Commande {_NO}", r"Votre commande", r"R[ée]f(?:[ée]rence|\.)? (?:de )?commande", r"Order ?nummer",
        r"N[°º]\.? ?(?:de |du )?bon de commande", r"Bestel ?nummer", r"Inkoop ?order ?(?:nummer|nr\.?)?",
        r"Uw (?:bestelling|order)(?: ?nummer)?",
        r"Numero (?:d'|dell')?ordine", r"N\.? ordine", rf"Ordine {_NO}", r"Vostro ordine", r"Ordine d'acquisto",
        r"Rif\.? ordine", r"N[úu]mero de pedido", r"N[°º] (?:de )?pedido", rf"Pedido {_NO}", r"Su pedido",
        r"Orden de compra",
    )),
    ("order_reference", 0.85, True, (rf"Order {_NO}", r"Order (?:ID|Ref\.?|Reference)")),
    ("order_reference", 0.8, False, (r"P\.? ?O\.?", r"Bestellung", r"Commande", r"Pedido")),
    ("sales_order_reference", 1.0, True, (
        r"Auftrags ?-? ?(?:nummer|nr\.?)", rf"Auftrag {_NO}", r"Unsere Auftrags ?-? ?(?:nummer|nr\.?)",
        rf"Sales order(?: {_NO})?", rf"Our order(?: {_NO})?", rf"Order confirmation(?: {_NO})?",
        r"Auftragsbest[äa]tigung(?: ?-? ?(?:nummer|nr\.?))?", r"Notre commande", r"Confirmation de commande",
        r"Ons ordernummer", r"Nostro ordine", r"Nuestro pedido", rf"Job {_NO}", r"Job reference",
        r"Bon de vente", r"N[°º]\.? ?(?:de |du )?bon de vente",
    )),
    ("buyer_reference", 1.0, True, (
        r"Ihr Zeichen", r"Ihre Referenz", r"Ihre Ref\.?", r"Kunden ?-? ?referenz", r"Käufer ?referenz",
        r"Your ref(?:erence)?\.?", r"Customer ref(?:erence)?\.?", r"Buyer reference", r"Leitweg ?-? ?ID",
        r"Votre r[ée]f[ée]rence", r"Votre r[ée]f\.?", r"R[ée]f[ée]rence client", r"Uw referentie", r"Uw kenmerk",
        r"Vostro riferimento", r"Vs\.? rif\.?", r"Su referencia", r"Referencia (?:del )?cliente",
    )),
    ("buyer_reference", 0.8, True, (r"Referenz",)),
    ("shipment_reference", 1.0, True, (
        r"Sendungs ?-? ?(?:nummer|nr\.?|referenz)", r"Tracking ?(?:nummer|number|no\.?|ID|#)?",
        r"Track (?:&|and) Trace", rf"Consignment(?: note)?(?: {_NO})?", rf"Shipment(?: ID| ref(?:erence)?| {_NO})?",
        rf"(?:Air )?way ?bill(?: {_NO})?", rf"[MH]?AWB(?: {_NO})?", rf"(?:[MH]B/?L|B/L)(?: {_NO})?",
        rf"Bill of lading(?: {_NO})?", r"Konnossement", rf"Booking (?:ref(?:erence)?\.?|{_NO})",
        r"Buchungs ?-? ?(?:nummer|nr\.?)", r"Container ?-? ?(?:nummer|nr\.?)", rf"Container {_NO}",
        r"Frachtbrief(?: ?-? ?(?:nummer|nr\.?))?",
        r"Positions ?-? ?(?:nummer|nr\.?)", r"Speditions ?-? ?auftrag", rf"Dossier {_NO}", r"N[°º] (?:de )?dossier",
        r"N[°º] d'exp[ée]dition", r"N[°º] de suivi", r"Lettre de (?:transport|voiture)", r"Connaissement",
        r"Zending ?(?:nummer|nr\.?)", r"Vrachtbrief", r"(?:Numero|N\.) (?:di )?spedizione", r"Lettera di vettura",
        r"Polizza di carico", r"N[úu]mero de (?:env[íi]o|seguimiento)", r"Conocimiento de embarque",
    )),
    ("other_date", 1.0, True, (
        r"Liefer ?-? ?(?:datum|zeitraum|tag)", r"Leistungs ?-? ?(?:datum|zeitraum)", r"Druck ?-? ?datum",
        r"Versand ?-? ?datum", r"Buchungs ?-? ?datum", r"Zeitraum", r"Abrechnungs ?-? ?zeitraum",
        r"Delivery date", r"Ship(?:ping|ment)? date", r"Order date", r"Service (?:date|period)", r"Print(?:ed)? date",
        r"Date of (?:delivery|supply|service|order|shipment)", r"(?:Billing|Service) period", r"Period",
        r"Date de (?:livraison|commande|prestation|l'exp[ée]dition)", r"Date d'exp[ée]dition", r"P[ée]riode",
        r"Leverdatum", r"Order ?datum", r"Data (?:di |del )?(?:consegna|ordine|DDT|documento di trasporto)",
        r"Fecha (?:de )?albar[áa]n", r"Date du bon de livraison", r"Fecha de (?:entrega|pedido)",
        r"Data (?:sprzedaży|dostawy|dokonania dostawy)", r"Datum (?:zdanitelného plnění|uskutečnění plnění)",
        r"Leverans ?datum", r"Leverings ?dato", r"Teljesítés(?: (?:dátuma|kelte|időpontja))?",
        r"Uhrzeit", r"Time", r"Zeit", r"Heure", r"Valuta", r"Valid (?:until|till)", r"G[üu]ltig bis",
        r"Geburtsdatum", r"Date of birth",
        # the invoice a correction or credit note refers to (EN 16931 BG-3), and the start and end of a period
        r"Date (?:de (?:la )?)?facture (?:associ[ée]e|d'origine|initiale|pr[ée]c[ée]dente|rectifi[ée]e)",
        r"(?:Original|Preceding|Referenced|Corrected) invoice date", r"Datum der (?:Ursprungs|Original)rechnung",
        r"(?:Urspr[üu]ngliches|Original) ?-? ?Rechnungsdatum",
        r"Date (?:de )?(?:d[ée]but|fin)(?:(?: de)? (?:prestation|p[ée]riode))?",
        r"(?:Period|Service) (?:start|end)(?: date)?", r"(?:Start|End) date", r"Leistungs ?-? ?(?:beginn|ende)",
        r"(?:Beginn|Ende) (?:des )?(?:Leistungs|Abrechnungs)?zeitraums?",
        r"Fecha (?:de )?factura (?:original|rectificada)",
        r"Data (?:della )?fattura (?:originale|di riferimento)",
    )),
    # "Date de <what>", "Date of <what>", "Fecha de <what>": a date named by what it dates is not the date of issue
    # unless what it dates is the invoice (those labels above are surer); also where OCR misspells what it is
    # ("DATE DE LVRAISON").
    ("other_date", 0.8, True, (
        r"Date (?:de |d'|du |des )(?!(?:la )?factur|[ée]mission|[ée]ch[ée]ance|limite)"
        r"[A-Za-zÀ-ÿ]{3,}",
        r"Date of (?!invoice|issue|issuance)[A-Za-z]{3,}",
        r"Fecha (?:de |del )(?!(?:la )?factura|emisi|vencim)[a-zñ]{3,}",
    )),
    ("other", 1.0, False, (
        # the number of the invoice a correction or credit note refers to: never this document's number
        r"N[°ºo]\.? ?(?:de (?:la )?)?facture (?:associ[ée]e|d'origine|initiale|pr[ée]c[ée]dente|rectifi[ée]e)",
        r"(?:Original|Preceding|Referenced|Corrected) invoice (?:no\.?|number|#)",
        r"(?:Urspr[üu]ngliche|Original) ?-? ?Rechnungs ?-? ?(?:nummer|nr\.?)", r"Bezug auf Rechnung(?: Nr\.?)?",
        r"Factura (?:original|rectificada) (?:n[°º.]?|núm\.?|número)",
        r"Fattura (?:originale|di riferimento) (?:n\.?|nr\.?)",
    )),
)


@dataclass(frozen=True, slots=True)
class Label:
    kind: str
    weight: float
    below: bool
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class LabelHit:
    label: Label
    match: re.Match[str]

    @property
    def kind(self) -> str:
        return self.label.kind

    @property
    def text(self) -> str:
        return self.match.group().strip()

    @property
    def dated(self) -> bool:
        """A number's label that names the date too ("Rechnungs-Nr./-Datum: 2025-118 / 03.02.2025")."""
        return "dated" in self.match.re.groupindex and self.match.group("dated") is not None


_WORD_END = r"(?![\wäöüßÄÖÜéèêàâçôûîÉÈ])"
_AND_DATE = rf"(?P<dated>\s*(?:/|&|und|u\.|and|et)\s*-?\s*(?:Datum|Date|Data|Fecha){_WORD_END})?"
"""The date named in the same label as the number, after it: both values follow, number first."""


def _compile(phrases: tuple[str, ...], *, kind: str) -> re.Pattern[str]:
    # Longest phrase first within one alternation; across alternations the longest match decides (label_at).
    ordered = sorted((p.replace(" ", r"\s*") for p in phrases), key=len, reverse=True)
    dated = _AND_DATE if kind == "invoice_number" else ""
    return re.compile(rf"\s*(?:{'|'.join(ordered)}){_WORD_END}{dated}\s*(?:[:#]|\.(?!\d))?\s*", re.IGNORECASE)


@cache
def lexicon() -> tuple[Label, ...]:
    return tuple(Label(kind, weight, below, _compile(phrases, kind=kind)) for kind, weight, below, phrases in _LEXICON)


def _longest(text: str, pos: int) -> LabelHit | None:
    best: LabelHit | None = None
    for label in lexicon():
        m = label.pattern.match(text, pos)
        if m is None or m.end() == pos:
            continue
        rank = (len(m.group().rstrip()), label.weight)
        if best is None or rank > (len(best.match.group().rstrip()), best.label.weight):
            best = LabelHit(label, m)
    return best


_AMOUNT_KINDS = frozenset({"net_amount", "tax_amount", "gross_amount", "payable", "prepaid"})
_QUALIFIER = re.compile(r"[A-Za-zÄÖÜäöüßÉéèêàâçôûî]{3,}")
_CURRENCY_WORD = re.compile(r"(?:EUR|USD|CHF|GBP|MYR|SGD|AUD|CAD|Euro|RM)\b", re.IGNORECASE)
_QUALIFIED = Label("other", 1.0, False, re.compile(""))


_OCR_SMALL_L = re.compile(r"(?<=[a-zäöüß])I(?=[a-zäöüß.:\s]|$)")
"""OCR reads a small "l" as a capital "I" ("Total exkI. MWST", "SchIussrechnung"): inside a word after a small
letter, a capital I is an l. Labels are matched on the text so repaired (one letter for one, so every position
stays the same); the values are read from the text as it is."""


@lru_cache(maxsize=16384)
def label_at(text: str, pos: int = 0) -> LabelHit | None:
    """The longest label starting at ``pos`` of ``text`` (of any kind); of equally long ones the surest.
    Cached: every decision asks for the labels of the same cells (the hit is read, never changed).

    A generic amount label ("Total", "Summe", "Netto") followed by a word is qualified by it: by another
    label ("Total base imponible" is the net, "Totale sconti" a discount) or by a word that names no kind
    of sum ("Summe Fracht"), which makes the whole no label of a sum at all.
    """
    text = _OCR_SMALL_L.sub("l", text)
    best = _longest(text, pos)
    if best is None or best.kind not in _AMOUNT_KINDS:
        return best
    rest = best.match.end()
    qualified = _longest(text, rest)
    if qualified is not None and qualified.kind != best.kind and qualified.kind in (*_AMOUNT_KINDS, *REFERENCE_KINDS,
                                                                                    "other"):
        return LabelHit(qualified.label, qualified.match)
    if (best.label.weight < 1.0 and qualified is None and _QUALIFIER.match(text, rest)
            and not _CURRENCY_WORD.match(text, rest)):  # fmt: skip
        return LabelHit(_QUALIFIED, best.match)
    return best


__all__ = ["KINDS", "REFERENCE_KINDS", "Label", "LabelHit", "label_at", "lexicon"]
