"""Who sent the invoice and to whom: supplier name, address, IBAN and VAT ID kept apart from the recipient's.

The recipient stands in the address window (upper left of page 1, under a sender line); the supplier in the
letterhead, the sender line and the footer. An IBAN or VAT ID in the address window, or after words like
"Ihre USt-IdNr." or "Customer VAT", is the recipient's and never the supplier's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from statistics import median

from belegflow_ocr.recognition.candidates import Candidate, above, choose, span_box
from belegflow_ocr.recognition.cleanup import clean_text
from belegflow_ocr.recognition.features import squash
from belegflow_ocr.recognition.layout import Line, Segment, rounded
from belegflow_ocr.recognition.model import BBox, PageInfo, ProtocolLog, Word
from belegflow_ocr.recognition.parsing import Match

IBAN_LABEL = re.compile(r"\bIBAN\b", re.IGNORECASE)
VAT_LABEL = re.compile(
    r"USt[\s.-]*Id[\s.-]*(?:Nr)?|Umsatzsteuer[\s-]*Id|VAT\s*(?:ID|No|Reg|number)|Tax\s+ID|GST\s*(?:ID|No|Reg)|"
    r"TVA\s*intra|N[°º]\s*(?:de\s+)?TVA|Identifiant\s+TVA|BTW[\s-]*(?:nr|nummer|id)|Partita\s+IVA|P\.\s?IVA|NIF|CIF|"
    r"UID",
    re.IGNORECASE,
)
# The seller's and the buyer's role in Polish, Czech, Portuguese, Spanish and Swedish (Danish, Norwegian): as
# headings over their blocks or sections, and as hints before an identifier.
_SELLER_ROLE = r"Sprzedawca|Dostawca|Dodavatel|Prodávající|Fornecedor|Säljare|Leverantör|Leverandør"
_BUYER_ROLE = r"Nabywca|Odbiorca|Odběratel|Kupující|Adquirente|Comprador|Kund|Köpare"
# Words that make an identifier the recipient's: "Ihre USt-IdNr.", "Customer VAT", "N° TVA client".
_RECIPIENT_HINT = re.compile(
    r"\bVs\.|\b(?:Ihre|Ihr|Ihrem|Ihres|Ihren|Your|Votre|Vos|Uw|Vostr[oa]|Su|Sus|Kunden|Kunde|Customer|Client|Buyer|Käufer|"
    r"Leistungsempfänger|Rechnungsempfänger|Acheteur|Destinataire|Klant|Afnemer|Cliente|Bill\s*to|Ship\s*to|Sold\s*to|"
    rf"{_BUYER_ROLE})\b",
    re.IGNORECASE,
)
# An account the invoice is debited from is the payer's ("Montant prélevé … sur le compte FR76…", "wird von
# Ihrem Konto DE… abgebucht", "direct debit from"): never the account to pay to.
_DEBIT = re.compile(r"pr[ée]lev|abgebucht|abbuchen|Abbuchung|Lastschrift|eingezogen|einziehen|\bEinzug|"
                    r"debited|direct\s+debit|domiciliation|domiciliaci|incasso|addebit|adeudo|cargo\s+en\s+(?:su\s+)?cuenta",
                    re.IGNORECASE)
# Words that make it the supplier's own: "Unsere USt-IdNr.", "Our VAT number".
_SUPPLIER_HINT = re.compile(
    rf"\b(?:Unsere?|Our|Notre|Onze|Seller|Supplier|Verkäufer|Lieferant|Vendeur|{_SELLER_ROLE})\b", re.IGNORECASE
)
# OCR may lose the space between postcode and city ("24103Kiel").
_PLZ_CITY = re.compile(
    r"^(?:(?:D|A|CH|F|L|B|NL|DE|AT|FR|LU|BE|PL|PT|P|S|SE|CZ|SK|E|ES|I|IT|DK)\s?-\s?)?"
    # five digits (DE, FR, IT, ES), four (AT, CH, BE, DK; NL with its letters), Poland's "60-702", Portugal's
    # "1100-150", Sweden's, Czechia's and Slovakia's "403 13"
    r"(?P<plz>\d{5}|\d{4}-\d{3}|\d{2}-\d{3}|\d{3}\s\d{2}(?=\s)|\d{4}(?:\s?[A-Z]{2}(?=\s))?)\s*"
    r"(?P<city>[A-ZÄÖÜÉ][\w.\-ßäöüéèàç' ]*[\wß.])$"
)
# Where the city comes first: "Leeds LS1 4AP" (UK), "Dublin D02 X285" (Ireland), "Austin, TX 78701" (US),
# "Fremantle WA 6160" (Australia).
_CITY_CODE = (
    re.compile(r"^(?P<plz>[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\s+(?P<city>[A-Z][\w.'\- ]*[a-z.])$"),
    re.compile(r"^(?P<city>[A-Z][\w.'\- ]*?[a-z.])\s*,?\s+(?P<plz>[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})$"),
    re.compile(r"^(?P<city>[A-Z][\w.'\- ]*?[a-z.])\s*,?\s+(?P<plz>[AC-FHKNPRTV-Y]\d{2}\s?[AC-FHKNPRTV-Y\d]{4})$"),
    re.compile(r"^(?P<city>[A-Z][\w.'\- ]*?[a-z.]),\s+(?P<plz>[A-Z]{2}\s+\d{5}(?:-\d{4})?)$"),
    re.compile(r"^(?P<city>[A-Z][\w.'\- ]*?[a-z.]),?\s+(?P<plz>(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT)\s+\d{4})$"),
)


def _place(text: str) -> re.Match[str] | None:
    """Postcode and city of one address line, in the order of its country."""
    text = text.strip()
    m = _PLZ_CITY.match(text)
    if m is not None:
        return m
    for pattern in _CITY_CODE:
        m = pattern.match(text)
        if m is not None:
            return m
    return None


_STREET = re.compile(
    r"(?:\s\d+\s?[a-zA-Z]?(?:\s?-\s?\d+)?$)|(?:stra(?:ß|ss)e|str\.|weg|platz|allee|damm|ring|gasse|ufer|kai)\b|"
    r"^\d+[a-zA-Z]?,?\s+(?:bis\s+|ter\s+)?[A-Za-zÄÖÜäöüÉéè]|"
    r"^(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|route|via|viale|piazza|corso|calle|avenida|"
    r"plaza|paseo|carrer|rua|straat|laan|plein|gracht)\b|"
    r"\b(?:street|st\.?|road|rd\.?|lane|avenue|ave\.?|drive|way|close|court|square|place|crescent|terrace|row|"
    r"parade|hill|park|gardens|boulevard|straat|laan|weg|plein|gracht|kade|singel)$",
    re.IGNORECASE,
)
# OCR reads the middle dot between the parts of a sender line as '.', often with the space on one side only.
_SEPARATORS = re.compile(
    r"\s*[·•|]\s*|\s+[-–]\s+|\s+[-–](?=\d{5}\b)|,\s+|,(?=[A-ZÄÖÜ])|\s+\.\s*|\.\s*(?=(?:D-)?\d{5}\s+[A-ZÄÖÜ])|"
    r"(?<=GmbH)\.\s+|(?<=\b(?:AG|KG|SE|UG))\.\s+|(?<=OHG)\.\s+|"
    r"(?<=[a-zäöüß]{3})\.\s+(?=Tel|Fax|E-Mail|www|Telefon|Phone)"
)
# A sender line whose separator OCR lost: the name ends with its legal form, the street follows.
_NAME_THEN_STREET = re.compile(
    r"^(?P<name>.+?\b(?:GmbH(?: & Co\. KG)?|AG|KG|SE|UG(?: \(haftungsbeschränkt\))?|OHG|e\.\s?K\.|mbH|SARL|SAS|"
    r"EURL|SA|S\.A\.|S\.r\.l\.|S\.p\.A\.|S\.L\.U?\.?|Ltd\.?|Limited|LLP|plc|B\.V\.|N\.V\.|V\.O\.F\.|DAC))\s+"
    r"(?P<street>[A-ZÄÖÜ][^\d]*\s\d+\s?[a-zA-Z]?(?:\s?-\s?\d+)?|\d{1,4}\s?[a-zA-Z]?,?\s+[A-Za-zÄÖÜäöüéè].*)$"
)
# Headings over an address block that say whose it is: the invoice's recipient, or a delivery address.
_RECIPIENT_HEADING = re.compile(
    r"^(?:Bill(?:ed)?\s+to|Invoice\s+to|Sold\s+to|Billing\s+address|Invoice\s+address|Customer|Client|Kunde|"
    r"Rechnungs(?:empfänger|anschrift|adresse)|Rechnung\s+an|Empfänger|Leistungsempfänger|Factur[ée]\s+[àa]|"
    r"Adress[ée]e\s+[àa]|Adresse\s+de\s+facturation|"
    rf"Destinataire|Factuuradres|Gefactureerd\s+aan|Fatturare\s+a|Intestatario|Facturar\s+a|Cliente|{_BUYER_ROLE})\s*:?$",
    re.IGNORECASE,
)
_DELIVERY_HEADING = re.compile(
    r"^(?:Ship(?:ped)?\s+to|Deliver(?:ed)?\s+to|Delivery\s+address|Shipping\s+address|Liefer(?:anschrift|adresse)|"
    r"Lieferung\s+an|Warenempfänger|Leistungs(?:adresse|ort)|Livr[ée]\s+[àa]|Adresse\s+de\s+livraison|Leveringsadres|"
    r"Afleveradres|Consegna\s+a|Destinazione|Enviar\s+a|Direcci[óo]n\s+de\s+entrega)\s*:?$",
    re.IGNORECASE,
)
# A heading over the supplier's own block ("Émetteur", "Seller", "Absender"): the name is the line under it.
_SENDER_HEADING = re.compile(
    r"^(?:Absender|Verkäufer|Rechnungssteller|Lieferant|Leistungserbringer|From|Seller|Supplier|Vendor|Issued\s+by|"
    r"[ÉE]metteur|Exp[ée]diteur|Vendeur|Fournisseur|Afzender|Leverancier|Mittente|Fornitore|Cedente|Emisor|"
    rf"Vendedor|Proveedor|{_SELLER_ROLE})\s*:?$",
    re.IGNORECASE,
)
_SKIP_NAME = re.compile(
    r"^(?:Firma|Herrn?|Frau|An|To|Messrs\.?|Spett\.?(?:le|abile)|Egregi[oa]|Gentile|Sig\.(?:r[aei])?|Sehr\s+geehrte.*|"
    r"Exm[oa]s?\.?\s+Senhor(?:es|as?)?|Estimad[oa]s?.*|Szanown[iy].*|Vážen[íý].*|"
    r"z\.\s?Hd\.?.*|Attn\.?.*|Kreditorenbuchhaltung|Buchhaltung|Abteilung.*|Postfach.*|"
    r"À\s+l[’']attention.*|A\s+l[’']attention.*|Accounts\s+payable.*|FAO.*|c/o.*)$",
    re.IGNORECASE,
)
_LEGAL_FORM = re.compile(
    r"\b(?:GmbH|AG|KG|OHG|UG|e\.\s?K\.|e\.\s?V\.|SE|KGaA|GbR|Ltd\.?|Inc\.?|B\.V\.|S\.A\.|S\.r\.l\.|mbH)(?:\W|$)"
)
# A document's title, never a supplier's name however large it is printed.
_TITLE = re.compile(
    r"^(?:(?:tax|sales|commercial|final|simplified\s+tax|proforma|pro-forma)\s+)?(?:invoice|bill|receipt)"
    r"(?:\s+\w+)?$|^(?:[\wäöü]*rechnung[\wäöü]*|gutschrift|credit\s+note|facture(?:\s+[\w']+)?|factuur|fattura|"
    r"factura|faktura|honorarnote|note\s+d'honoraires|quittung|avoir|proforma.*)$|"
    # the title with the document's number on its line: "Faktura VAT nr FV/2025/03/117", "Fatura FT 2025A/123"
    r"^(?:[\wäöü]*rechnung|invoice|facture|factuur|fattura|factura|fatura|faktura|lasku)\b[^\d]{0,40}\d\S*$",
    re.IGNORECASE,
)
# The supplier named inline after the heading of its role ("Sold by: Shree Ganesh Electronics Pvt. Ltd.").
_SENDER_INLINE = re.compile(
    # a phrase that can only name the seller needs no colon ("Verkauft von Bücherwelt GmbH")
    r"^(?:(?:Sold\s+by|Issued\s+by|Verkauft\s+von|Vendu\s+par|Vendido\s+por|Venduto\s+da)\s*:?\s*|"
    r"(?:Seller|Supplier|Vendor|Verkäufer|Rechnungssteller|Lieferant|Vendeur|Fournisseur|Émetteur|Vendedor|Proveedor|"
    rf"Fornitore|Leverancier|{_SELLER_ROLE})\s*:\s*)"
    r"(?P<name>[^\W\d_][^:]{2,80})$",
    re.IGNORECASE,
)
_CURRENCIES = (("EUR", re.compile(r"€|\bEUR\b|\bEuro\b")), ("USD", re.compile(r"\bUSD\b|\bUS\$")),
               ("$", re.compile(r"(?<![A-Z])\$")), ("AUD", re.compile(r"\bAUD\b|\bA\$")),
               ("CAD", re.compile(r"\bCAD\b|\bC\$")), ("NZD", re.compile(r"\bNZD\b")),
               ("HKD", re.compile(r"\bHKD\b|\bHK\$")),
               ("CHF", re.compile(r"\bCHF\b|\bSFr\.?")), ("GBP", re.compile(r"£|\bGBP\b")),
               ("MYR", re.compile(r"\bRM(?=\s?\d|\b)|\bMYR\b")), ("SGD", re.compile(r"\bSGD\b|(?<![A-Z])S\$")),
               ("SEK", re.compile(r"\bSEK\b")), ("DKK", re.compile(r"\bDKK\b")), ("PLN", re.compile(r"\bPLN\b|zł")),
               ("JPY", re.compile(r"\bJPY\b|¥")),
               ("INR", re.compile(r"₹|\bRs\.?(?=\s?\d)|\bINR\b")),
               *((code, re.compile(rf"\b{code}\b")) for code in (
                   "NOK", "CZK", "HUF", "RON", "BGN", "ISK", "TRY", "CNY", "ZAR", "BRL", "MXN", "KRW",
                   "THB", "AED", "SAR", "ILS", "RUB", "UAH", "RSD", "MAD", "TND", "EGP", "QAR", "KWD", "IDR",
                   "PHP", "VND")))  # fmt: skip


_OF_RECIPIENT = "of the recipient"
_DEBITED = "IBAN debited"
_IN_WINDOW = "in the recipient's address window"


def is_recipients(c: Candidate) -> bool:
    """Whether ``id_candidates`` gave this IBAN or VAT ID to the recipient (by a word or by the window)."""
    return c.source.endswith((_OF_RECIPIENT, _IN_WINDOW))


# A fiscal or legal representative's block (EN 16931 BG-11) carries their VAT ID, not the supplier's.
_REPRESENTATIVE = re.compile(r"\b(?:Repr[ée]sentant|Representative|Vertreter|Fiskalvertreter|Steuervertreter|"
                             r"Rappresentante|Representante|Vertegenwoordiger)\b", re.IGNORECASE)  # fmt: skip
SECTION_LINES = 8


def section_heading(lines: Sequence[Line], line: Line, segment: Segment) -> str:
    """The heading of the column section ``segment`` stands in: going up the column (cells over it, no wide gap
    between lines), the first short cell without digits ("Vos identifiants", "Your details", "Représentant
    fiscal"); '' where there is none. Its words say whose the section's identifiers are."""
    below = line
    for index in range(line.index - 1, max(-1, line.index - 1 - SECTION_LINES), -1):
        upper = lines[index]
        if upper.page != line.page or below.top - upper.bottom > 1.5 * max(below.height, upper.height):
            return ""
        over = [s for s in upper.segments if s.x0 < segment.x1 and s.x1 > segment.x0 - 12]
        if not over:
            return ""
        text = " ".join(s.text for s in over).strip()
        if text and not any(ch.isdigit() for ch in text) and len(text.split()) <= 4 and "@" not in text:
            return text
        below = upper
    return ""


def id_candidates(
    lines: Sequence[Line],
    finder: Callable[[str], Sequence[Match]],
    label: re.Pattern[str],
    what: str,
    *,
    not_inside: Callable[[str], Sequence[Match]] | None = None,
    recipient_area: tuple[int, BBox] | None = None,
) -> list[Candidate]:
    """IBANs or VAT IDs anywhere; a label in front (same cell, the cell before or the cell above) makes them
    likelier. Matches inside a ``not_inside`` match (a VAT ID pattern within an IBAN) are no candidates. One
    in the ``recipient_area`` (the address window) or after a word that names the recipient is the
    recipient's; one after "Unsere"/"Our" is surely the supplier's."""
    found = []
    for line in lines:
        for si, seg in enumerate(line.segments):
            taken = [(m.start, m.end) for m in not_inside(seg.text)] if not_inside else []
            for match in finder(seg.text):
                value, start, end = match.value, match.start, match.end
                if any(s < end and start < e for s, e in taken):
                    continue
                before = seg.text[:start]
                prev = line.segments[si - 1].text if si else ""
                upper = above(lines, line, seg) if not before.strip() else ""
                labelled = bool(label.search(before[-40:])) or (
                    not before.strip() and (bool(label.search(prev)) or bool(label.search(upper)))
                )
                conf, source = (0.9, f"{what} label") if labelled else (0.6, f"{what} pattern without label")
                context = (before[-40:], "" if before.strip() else prev, upper)
                if what == "IBAN" and (_DEBIT.search(before[-60:]) or _DEBIT.search(seg.text[end:end + 40])):
                    conf, source = 0.2, f"{_DEBITED}, {_OF_RECIPIENT}"
                elif any(_SUPPLIER_HINT.search(t) for t in context):
                    conf, source = 0.95, f"{what} labelled as the supplier's own"
                elif any(_RECIPIENT_HINT.search(t) for t in context):
                    conf, source = 0.2, f"{what} {_OF_RECIPIENT}"
                elif recipient_area is not None and _inside(seg.page, seg.bbox, recipient_area):
                    conf, source = 0.2, f"{what} {_IN_WINDOW}"
                elif (heading := section_heading(lines, line, seg)) and _RECIPIENT_HINT.search(heading):
                    conf, source = 0.2, f"{what} under {heading!r}, {_OF_RECIPIENT}"
                elif heading and _REPRESENTATIVE.search(heading):
                    conf, source = 0.2, f"{what} under {heading!r}, of a representative, not the supplier"
                found.append(Candidate(value, conf, seg.page, span_box(seg, start, end), source))
    return found


def payees(ibans: Sequence[Candidate], log: ProtocolLog) -> list[Candidate]:
    """The IBANs that may be the supplier's: not an account the invoice says it debits (the payer's)."""
    debited = [c for c in ibans if c.source.startswith(_DEBITED)]
    for c in debited:
        log.info(f"supplier_iban: {c.value} is debited, the payer's account - not the supplier's",
                 field="supplier_iban", value=str(c.value))  # fmt: skip
    return [c for c in ibans if c not in debited]


_CAPITAL = re.compile(r"Stammkapital|Grundkapital|Kommanditkapital|share\s+capital|capital\s+stock", re.IGNORECASE)
_CURRENCY_LABEL = re.compile(r"\b(?:Währung|Currency|Beträge\s+in|Amounts\s+in)\b", re.IGNORECASE)


def currency(lines: Sequence[Line], totals: Sequence[Candidate | None], log: ProtocolLog) -> Candidate | None:
    """The currency printed on the line of a total (or labelled 'Währung') beats mentions elsewhere; the
    share capital in the legal footer says nothing about the invoice."""
    found: list[Candidate] = []
    places = [(c.page, c.bbox) for c in totals if c is not None and c.bbox is not None]
    for line in lines:
        on_total = any(page == line.page and box[1] < line.bottom and box[3] > line.top for page, box in places)
        for seg in line.segments:
            for code, pattern in _CURRENCIES:
                for m in pattern.finditer(seg.text):
                    conf, where = 0.8, "in the text"
                    if on_total:
                        conf, where = 0.97, "on the line of a total"
                    elif _CURRENCY_LABEL.search(seg.text[: m.start()]):
                        conf, where = 0.95, "labelled as the currency"
                    elif _CAPITAL.search(line.text):
                        conf, where = 0.3, "in the share capital"
                    found.append(Candidate(code, conf, seg.page, span_box(seg, m.start(), m.end()),
                                           f"{m.group()!r} {where}"))  # fmt: skip
    dollar = _dollar(lines)
    # Which dollar a bare '$' means is an inference from the country, never certain.
    found = [replace(c, value=dollar[0], confidence=min(c.confidence, DOLLAR_INFERRED),
                     source=f"{c.source}, {dollar[1]}") if c.value == "$" else c for c in found]  # fmt: skip
    if not found:
        found.append(Candidate("EUR", 0.5, None, None, "no currency printed, EUR assumed"))
    chosen = choose("currency", found, log)
    if chosen is not None and "'$' read as" in chosen.source:
        chosen = replace(chosen, confidence=min(chosen.confidence, DOLLAR_INFERRED))
    return chosen


DOLLAR_INFERRED = 0.7
# Where a bare '$' is printed, the country says which dollar it is.
_DOLLARS = (("SGD", re.compile(r"\bSingapore\b|\bGST\s+Reg", re.IGNORECASE)),
            ("AUD", re.compile(r"\bAustralia\b|\bABN\b|\b(?:NSW|VIC|QLD)\s+\d{4}\b")),
            ("CAD", re.compile(r"\bCanada\b|\bHST\b|\bGST/HST\b")),
            ("NZD", re.compile(r"\bNew\s+Zealand\b|\bNZBN\b")),
            ("HKD", re.compile(r"\bHong\s+Kong\b")))  # fmt: skip


def _dollar(lines: Sequence[Line]) -> tuple[str, str]:
    text = "\n".join(line.text for line in lines[:400])
    for code, pattern in _DOLLARS:
        if (m := pattern.search(text)) is not None:
            return code, f"'$' read as {code} ({m.group()!r} printed)"
    return "USD", "'$' read as USD (no other dollar country named)"


@dataclass(frozen=True, slots=True)
class Address:
    name: Segment | None
    street: Segment | None
    postal_code: str
    city: str
    place: Segment
    top: float
    page: int
    x0: float
    source: str
    left_aligned: bool = True
    role: str = ""
    """'recipient', 'delivery' or 'sender' where a heading over the block says so ("Bill to", "Livré à",
    "Émetteur")."""
    """False for a block whose lines share only their centre or right edge (a receipt's header, a letterhead
    set right): never the address window."""


_HOUSE_NUMBER_FIRST = re.compile(r"^\d{1,4}\s?[a-zA-Z]?(?:\s?(?:bis|ter))?,\s+(?=\D)")


def _several_parts(text: str) -> bool:
    """A line of several address parts ("Muster GmbH · Hauptstr. 1 · 12345 Ort"); the comma after a house number
    written first ("2, rue de la Paix") separates nothing."""
    return bool(_SEPARATORS.search(_HOUSE_NUMBER_FIRST.sub("", text, count=1)))


def _street_and_place(text: str) -> re.Match[str] | None:
    """The place of a line that holds the street and then the place after a comma ("ul. Głogowska 31, 60-702
    Poznań", "C/ Mayor 5, 28013 Madrid"), as compact layouts write it."""
    head, comma, tail = text.rpartition(", ")
    if not comma or not _STREET.search(head) or _several_parts(head) or _several_parts(tail):
        return None
    return _place(tail)


def _before_comma(seg: Segment) -> Segment:
    """The street of a line "street, postcode place": its words up to the last comma, without the comma."""
    words: list[Word] = []
    kept: list[Word] = []
    for word in seg.words:
        if word.text.endswith(","):
            words.append(replace(word, text=word.text[:-1]))
            kept = list(words)
        else:
            words.append(word)
    return Segment(tuple(kept))


def _address_blocks(lines: Sequence[Line], *, receipt: bool = False) -> list[Address]:
    """Address blocks written one part per line: name, (department), street, postcode and city; on a letter
    (not a till ``receipt``) the street and the place may share their line, and a title over the block ("TAX
    INVOICE") is no part of its name.

    A till receipt's shop address is no letter's block: its merchant is decided from the header (``merchant``),
    and both readings there only unsettled that decision (measured on the receipts, leaving one family out)."""
    blocks = []
    for line in lines:
        for seg in line.segments:
            m = _place(seg.text)
            one_line = None
            if m is None or _several_parts(seg.text):
                m = one_line = None if receipt else _street_and_place(seg.text)
                if m is None:
                    continue
            stack: list[Segment] = []
            last = seg
            size = seg.size
            modes = ["left", "right", "center"]
            for upper in reversed(lines[: line.index]):
                if upper.page != line.page or len(stack) >= 5:
                    break
                if last.bbox[1] - upper.bottom > 1.2 * size:
                    break
                aligned = [(s, md) for md in modes for s in upper.segments if _aligned(s, seg, md)]
                if not aligned:
                    # A line of a neighbouring column (the info block beside the window) is passed over.
                    if any(s.x0 < seg.x1 + 4 and s.x1 > seg.x0 - 4 for s in upper.segments):
                        break
                    continue
                above = aligned[0][0]
                gap = last.bbox[1] - above.bbox[3]
                if gap > 1.2 * size:
                    break
                if gap < -0.4 * size:
                    continue
                modes = [md for md in modes if any(a is above and md == m for a, m in aligned)]
                if above.size < 0.75 * size or _several_parts(above.text):
                    break
                stack.append(above)
                last = above
            stack.reverse()
            if one_line is not None:
                stack.append(_before_comma(seg))
            street = stack[-1] if stack and _STREET.search(stack[-1].text) else None
            role = ""
            for part in stack:
                if _RECIPIENT_HEADING.match(part.text.strip()):
                    role = "recipient"
                elif _DELIVERY_HEADING.match(part.text.strip()):
                    role = "delivery"
                elif _SENDER_HEADING.match(part.text.strip()):
                    role = "sender"
            names = [s for s in stack[: -1 if street else None]
                     if not _heading(s.text) and (receipt or not _TITLE.match(s.text.strip()))]
            names = [s for s in names if not re.search(r"\d{3,}|@|Tel|Fax", s.text)]
            blocks.append(Address(_joined_name(names), street, m.group("plz"), m.group("city"), seg,
                                  (stack[0] if stack else seg).bbox[1], seg.page, seg.x0, "address block",
                                  "left" in modes, role))  # fmt: skip
    return blocks


def _joined_numbers(parts: list[str]) -> list[str]:
    """A house number the comma split from its street ("134, rue Nationale") joins it again."""
    out: list[str] = []
    for part in parts:
        if out and re.fullmatch(r"\d{1,4}\s?[a-zA-Z]?(?:\s?(?:bis|ter))?", out[-1]):
            out[-1] = f"{out[-1]}, {part}"
        else:
            out.append(part)
    return out


def _heading(text: str) -> bool:
    text = text.strip()
    return bool(_SKIP_NAME.match(text) or _RECIPIENT_HEADING.match(text) or _DELIVERY_HEADING.match(text)
                or _SENDER_HEADING.match(text))


def _aligned(a: Segment, b: Segment, mode: str) -> bool:
    """Lines of one block share their left edge, their right edge (letterhead set right) or their centre."""
    if mode == "left":
        return abs(a.x0 - b.x0) < 4
    if mode == "right":
        return abs(a.x1 - b.x1) < 4
    return abs((a.x0 + a.x1) - (b.x0 + b.x1)) < 8


_NAME_CONTINUED = re.compile(
    r"^(?:\(haftungsbeschränkt\)|&\s*Co\b.*|Co\.?\s*KG.*|(?:GmbH|AG|KG|OHG|SE|UG|mbH|e\.\s?K\.)(?:\W.*)?)$"
)


def _joined_name(names: Sequence[Segment]) -> Segment | None:
    """The name line, joined with the lines it wraps onto: up to its legal form, or a legal form continued."""
    if not names:
        return None
    parts = [names[0]]
    for nxt in names[1:3]:
        joined = " ".join(p.text for p in parts)
        same_type = abs(nxt.size - parts[0].size) <= 0.15 * parts[0].size
        if same_type and (_NAME_CONTINUED.match(nxt.text.strip()) or joined.endswith("&") or (
                not _LEGAL_FORM.search(joined) and _LEGAL_FORM.search(nxt.text))):  # fmt: skip
            parts.append(nxt)
            continue
        break
    if len(parts) == 1:
        return parts[0]
    return Segment(tuple(w for p in parts for w in p.words))


@dataclass(frozen=True, slots=True)
class InlineAddress:
    name: str | None
    street: str | None
    postal_code: str
    city: str
    segment: Segment
    source: str


_ADDRESS_UNIT = re.compile(r"(?:Unit|Suite|Ste\.?|Flat|Floor|Building|Bldg\.?|Apt\.?|Apartment|Room|Postfach|"
                           r"P\.?\s?O\.?\s?Box|Case postale|BP|Bo[iî]te postale)\s*\d", re.IGNORECASE)
"""The first part of an address that is no name: "Unit 4, Brunel Way, Reading RG1 8DB" is a letterhead's address
line, not a sender line that names the sender."""


def _name_like(part: str) -> bool:
    return not (_STREET.search(part) or _place(part) or re.search(r"\d{3,}|@|www\.|\bTel\b|\bFax\b", part)
                or part[:1].isdigit() or _ADDRESS_UNIT.match(part))


def _inline_addresses(lines: Sequence[Line]) -> list[tuple[InlineAddress, Line]]:
    """Addresses on one line, parts separated by '·', '|' or commas (sender line, footer)."""
    found = []
    for line in lines:
        for seg in line.segments:
            parts = _joined_numbers([p.strip() for p in _SEPARATORS.split(seg.text) if p.strip()])
            if len(parts) < 2:
                continue
            for k, part in enumerate(parts):
                m = _place(part)
                if not m:
                    continue
                street = parts[k - 1] if k >= 1 and _STREET.search(parts[k - 1]) else None
                name_idx = k - 2 if street else k - 1
                name = parts[name_idx] if name_idx >= 0 and not _place(parts[name_idx]) else None
                if name is not None and _ADDRESS_UNIT.match(name):
                    name = None
                if name_idx > 0 and _name_like(parts[0]):
                    # the name leads a sender line, whatever lies between it and the street ("Suite 100 ·
                    # Building A")
                    name = parts[0]
                joined = _NAME_THEN_STREET.match(street) if street and name_idx < 0 else None
                if joined:
                    name, street = joined.group("name"), joined.group("street")
                if name and ":" in name:
                    name = name.split(":", 1)[1].strip() or None
                found.append((InlineAddress(name, street, m.group("plz"), m.group("city"), seg, "inline address"),
                              line))  # fmt: skip
                break
    return found


_CODE = re.compile(r"\S*(?:\d\S*){4,}|N[°ºo]\.?|Nr\.?|No\.?|#|:")


def _only_a_number(text: str) -> bool:
    """A document's number ("N° UC1_2023020_AFF", "RE-2024-0815": tokens with four digits or more, and number
    signs), never a name."""
    return not any(re.search(r"[^\W\d_]{3}", t) for t in text.split() if not _CODE.fullmatch(t))


def _footer_text(lines: Sequence[Line], first: PageInfo) -> str:
    """Page 1's footer (its lowest fifth), squashed as names are compared."""
    return "".join(squash(ln.text) for ln in lines if ln.page == 1 and ln.top > 0.8 * first.height)


def _named_in_footer(b: Address, footer: str) -> bool:
    """A block whose name the page's footer repeats (the legal line: "Société X – SASU au capital de …") is the
    supplier's own letterhead, never the address window, wherever it stands."""
    name = squash(b.name.text) if b.name is not None else ""
    return len(name) >= 6 and name in footer


def parties(
    lines: Sequence[Line], pages: Sequence[PageInfo], log: ProtocolLog, *, receipt: bool = False
) -> tuple[dict[str, Candidate | None], Candidate | None, tuple[int, BBox] | None]:
    """Supplier (letterhead, sender line, footer) and recipient (address window) of the first page, and where
    the address window is."""
    first = pages[0]
    blocks = _address_blocks(lines, receipt=receipt)
    inline = _inline_addresses(lines)
    # The address window of a letter: in the upper part of page 1, not at the very top (that is a
    # letterhead), and only on letter-sized pages (a till receipt has no window). It is the block under a
    # heading that says so ("Bill to"), else the block under a sender line, else the left one (DIN 5008),
    # else one on the right (Swiss and French letters).
    legal_line = _footer_text(lines, first)
    window = [b for b in blocks if b.page == 1 and 0.1 * first.height <= b.top < 0.45 * first.height
              and first.width >= 400 and b.left_aligned and b.role not in ("delivery", "sender")
              and not _named_in_footer(b, legal_line)]  # fmt: skip

    def between(ln: Line, b: Address) -> bool:
        """Whether text stands between ``ln`` and the block, over it: a sender line is the one right above."""
        def mid(o: Line) -> float:
            return (o.top + o.bottom) / 2

        # by the lines' middles: OCR's rows of text overlap a little
        return any(o.page == b.page and mid(ln) + 2 < mid(o) < b.top and o is not ln
                   and any(s.x0 < b.place.x1 and s.x1 > b.x0 for s in o.segments) for o in lines)

    def sender_above(b: Address) -> InlineAddress | None:
        over = [a for a, ln in inline if ln.page == 1 and ln.bottom <= b.top + 1 and b.top - ln.bottom < 40
                and a.segment.x0 < b.place.x1 and a.segment.x1 > b.x0 and not between(ln, b)]  # fmt: skip
        return over[-1] if over else None

    headed = [b for b in blocks if b.page == 1 and b.role == "recipient"]
    # a block right under a sender line is the window, also where a layout sets it higher than a letter would
    under_sender = [b for b in blocks if b.page == 1 and b.top < 0.45 * first.height and first.width >= 400
                    and b.role not in ("delivery", "sender") and sender_above(b) is not None]  # fmt: skip
    left = [b for b in window if b.x0 < 0.5 * first.width]
    recipient_block = (min(headed, key=lambda b: b.top) if headed else
                       min(under_sender, key=lambda b: b.top) if under_sender else
                       max(left, key=lambda b: b.top) if left else
                       max(window, key=lambda b: b.top) if window else None)  # fmt: skip
    sender_line = sender_above(recipient_block) if recipient_block is not None else None

    supplier: dict[str, list[Candidate]] = {k: [] for k in ("name", "street", "postal_code", "city")}

    def add(key: str, value: str | None, conf: float, seg: Segment, source: str) -> None:
        if value:
            text = clean_text(value, capital=key in ("street", "city"), name=key == "name")
            supplier[key].append(Candidate(text, conf, seg.page, rounded(seg.bbox), source))

    for b in blocks:
        if b is recipient_block or b.role in ("recipient", "delivery"):
            continue
        footer = b.top > 0.75 * first.height
        where = ("address block under the sender's heading" if b.role == "sender" else
                 "footer address block" if footer else "letterhead address block")  # fmt: skip
        conf = 0.85 if b.role == "sender" else 0.75 if footer else 0.8
        if b.name is not None:
            add("name", b.name.text, conf + (0.05 if _LEGAL_FORM.search(b.name.text) else 0), b.name, where)
        if b.street is not None:
            add("street", b.street.text, conf, b.street, where)
        add("postal_code", b.postal_code, conf, b.place, where)
        add("city", b.city, conf, b.place, where)
    for a, ln in inline:
        is_sender = a is sender_line
        where = "sender line above the address window" if is_sender else "address line in the footer"
        conf = 0.85 if is_sender else 0.75
        if not is_sender and ln.page == 1 and ln.top < 0.6 * first.height:
            continue
        add("name", a.name, conf, a.segment, where)
        add("street", a.street, conf, a.segment, where)
        add("postal_code", a.postal_code, conf, a.segment, where)
        add("city", a.city, conf, a.segment, where)
    # The largest type at the top of page 1 is usually the supplier's name (logo text).
    top_segs = [s for ln in lines if ln.page == 1 and ln.top < 0.15 * first.height for s in ln.segments
                if not _TITLE.match(s.text.strip()) and re.search(r"[A-Za-zÄÖÜäöü]{3}", s.text)
                and not _only_a_number(s.text)]  # fmt: skip
    body = median(w.size or w.height for ln in lines for w in ln.words)
    if top_segs:
        biggest = max(top_segs, key=lambda s: s.size)
        if biggest.size >= 1.25 * body:
            conf = 0.75 if _LEGAL_FORM.search(biggest.text) else 0.55
            add("name", biggest.text, conf, biggest, "largest type at the top of page 1")

    for ln in lines:
        if ln.page != 1:
            continue
        for seg in ln.segments:
            if (named := _SENDER_INLINE.match(seg.text.strip())) is not None:
                add("name", named.group("name"), 0.9, seg, "named after the seller's heading")
    form = _form_parties(lines)
    for key, (text, seg) in form.get("seller", {}).items():
        add(key, text, 0.92, seg, "seller's section of a form")
    chosen = {key: choose(f"supplier_{key}", cands, log) for key, cands in supplier.items()}
    recipients: list[Candidate] = []
    if recipient_block is not None and recipient_block.name is not None:
        conf = 0.85 if sender_line is not None else 0.75
        seg = recipient_block.name
        recipients.append(Candidate(clean_text(seg.text, name=True), conf, seg.page, rounded(seg.bbox),
                                    "first line of the address window"))  # fmt: skip
    if "name" in form.get("buyer", {}):
        text, seg = form["buyer"]["name"]
        recipients.append(Candidate(clean_text(text, name=True), 0.9, seg.page, rounded(seg.bbox),
                                    "buyer's section of a form"))  # fmt: skip
    chosen_recipient = choose("recipient_name", recipients, log)
    area = None
    if recipient_block is not None:
        top = recipient_block.top
        if sender_line is not None:
            # the window reaches a little above its first line, never up to the sender line over it (the
            # supplier's own: "Großmarkt 3, 20539 Hamburg · USt-IdNr. DE…")
            top = max(top, sender_line.segment.bbox[3] + _ABOVE_WINDOW + 1)
        elif _apart_above(lines, recipient_block):
            # a line set well apart above the window is not the window's ("VAT Reg No: GB 123 4567 82" under
            # the supplier's name in the letterhead)
            top += _ABOVE_WINDOW
        box = (recipient_block.x0, top, recipient_block.place.x1, _block_bottom(lines, recipient_block))
        area = (recipient_block.page, box)
    return chosen, chosen_recipient, area


def _block_bottom(lines: Sequence[Line], b: Address, most: int = 3) -> float:
    """Where the address block ends: its place line, or the lines under it that continue it on the same left
    edge (the country, the recipient's VAT ID and registration: "France", "TVA : FR…", "SIRET : …")."""
    bottom = b.place.bbox[3]
    size = b.place.size
    taken = 0
    for line in lines:
        if line.page != b.page or line.top <= b.place.bbox[1] + 1:
            continue
        if taken >= most or line.top - bottom > 2.2 * size:
            break
        seg = next((s for s in line.segments if abs(s.x0 - b.x0) < 4), None)
        if seg is None:
            if any(s.x0 < b.place.x1 and s.x1 > b.x0 for s in line.segments):
                break  # something else spans the block's column: it has ended
            continue
        bottom = seg.bbox[3]
        taken += 1
    return bottom


# Forms (the XRechnung viewer, ERP print-outs) set the parties side by side under section headings, each
# field as "label: value".
_SELLER_SECTION = re.compile(
    r"^(?:Informationen\s+zum\s+Verkäufer|Verkäufer|Rechnungssteller|Lieferant|Leistungserbringer|Seller(?:\s+information)?|"
    r"Information\s+(?:about|on)\s+the\s+seller|Supplier|Vendor|Vendeur|Fournisseur|Leverancier|Fornitore|Cedente|"
    rf"Vendedor|Proveedor|{_SELLER_ROLE})\s*:?$",
    re.IGNORECASE,
)
_BUYER_SECTION = re.compile(
    r"^(?:Informationen\s+zum\s+Käufer|Käufer|Rechnungsempfänger|Leistungsempfänger|Buyer(?:\s+information)?|"
    r"Information\s+(?:about|on)\s+the\s+buyer|Customer|Acheteur|Client|Afnemer|Klant|Cessionario|Comprador|"
    rf"Cliente|{_BUYER_ROLE})\s*:?$",
    re.IGNORECASE,
)
_FORM_FIELDS = (
    ("name", re.compile(r"^(?:Firmenname|Firma|Unternehmen|Company(?:\s+name)?|Registered\s+name|Raison\s+sociale|"
                        r"D[ée]nomination|Bedrijfsnaam|Ragione\s+sociale|Raz[óo]n\s+social)\s*:?$", re.IGNORECASE)),
    ("name", re.compile(r"^(?:Name|Nom|Naam|Nome|Nombre)\s*:?$", re.IGNORECASE)),
    ("street", re.compile(r"^(?:Adresszeile\s*1|Address\s+line\s*1|Straße|Strasse|Street|Adresse|Address|Rue)\s*:?$",
                          re.IGNORECASE)),
    ("postal_code", re.compile(r"^(?:PLZ|Postleitzahl|Post\s*code|Postal\s+code|ZIP(?:\s+code)?|Code\s+postal|"
                               r"Postcode|CAP|C[óo]digo\s+postal)\s*:?$", re.IGNORECASE)),
    ("city", re.compile(r"^(?:Ort|Stadt|City|Town|Location|Place|Ville|Localit[ée]|Plaats|Citt[àa]|Ciudad|"
                        r"Localit[àa])\s*:?$", re.IGNORECASE)),
)


def _form_parties(lines: Sequence[Line]) -> dict[str, dict[str, tuple[str, Segment]]]:
    """Name, street, postcode and city from the seller's and the buyer's section of a form: the value right of
    each field label, in the column under the section's heading, before a second name (a contact person)."""
    found: dict[str, dict[str, tuple[str, Segment]]] = {}
    for line in lines:
        heads = [(role, seg) for seg in line.segments for role, pattern in (("seller", _SELLER_SECTION),
                 ("buyer", _BUYER_SECTION)) if pattern.match(seg.text.strip())]  # fmt: skip
        for k, (role, head) in enumerate(heads):
            if role in found:
                continue
            x0 = head.x0 - 8
            x1 = heads[k + 1][1].x0 - 8 if k + 1 < len(heads) else float("inf")
            fields: dict[str, tuple[str, Segment]] = {}
            for nxt in lines[line.index + 1 : line.index + 25]:
                if nxt.page != line.page:
                    break
                cells = [s for s in nxt.segments if x0 <= s.x0 < x1]
                for i, cell in enumerate(cells[:-1]):
                    for key, pattern in _FORM_FIELDS:
                        if key not in fields and pattern.match(cell.text.strip()):
                            value = cells[i + 1].text.strip()
                            if value and not any(p.match(value) for _, p in _FORM_FIELDS):
                                fields[key] = (value, cells[i + 1])
                            break
            if fields:
                found[role] = fields
    return found


_ABOVE_WINDOW = 30
"""How far above its first line the address window's area reaches (points)."""


def _apart_above(lines: Sequence[Line], b: Address) -> bool:
    """Whether the nearest text over block ``b`` stands apart from it, more than a line and a half above."""
    over = [o for o in lines if o.page == b.page and o.bottom <= b.top + 1
            and any(s.x0 < b.place.x1 and s.x1 > b.x0 for s in o.segments)]  # fmt: skip
    if not over:
        return False
    nearest = max(over, key=lambda o: o.bottom)
    # the height of its words, not of the line (OCR joins two close rows into one line)
    return b.top - nearest.bottom > 1.5 * median(w.bbox[3] - w.bbox[1] for w in nearest.words)


def _inside(page: int, box: BBox, area: tuple[int, BBox]) -> bool:
    a_page, (x0, y0, x1, y1) = area
    mid_x, mid_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return page == a_page and x0 - 4 <= mid_x <= x1 + 40 and y0 - _ABOVE_WINDOW <= mid_y <= y1 + 30


__all__ = ["IBAN_LABEL", "VAT_LABEL", "currency", "id_candidates", "is_recipients", "parties", "payees"]
