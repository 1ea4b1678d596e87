"""What a document is (invoice, credit note, correction, till receipt), which language it speaks, and a
till receipt's merchant.

The type comes from the title a document gives itself ("Gutschrift", "Credit note", "Avoir",
"Rechnungskorrektur") where a title stands: at the top of page 1, alone in its cell or first in it. A till
receipt is told by its narrow page or by what only receipts print (cash given, change, the till).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import median

from belegflow_ocr.recognition.candidates import Candidate
from belegflow_ocr.recognition.cleanup import clean_text, split_glued
from belegflow_ocr.recognition.layout import Line, Segment, rounded, union
from belegflow_ocr.recognition.model import PageInfo

_TITLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A German "correction" that credits ("Rechnungskorrektur (Gutschrift)") is a credit note.
    ("credit_note", re.compile(
        r"^(?:Rechnungskorrektur|Korrekturrechnung|Rechnungsberichtigung)\s*\(\s*Gutschrift\s*\)", re.IGNORECASE)),
    ("correction", re.compile(
        r"^(?:Facture\s+corrective|Correctiefactuur|Gecorrigeerde\s+factuur|Factura\s+correctiva|"
        r"Fattura\s+correttiva|Rechnungsberichtigung|Rechnungskorrektur|Korrekturrechnung|Korrektur\s?-?\s?rechnung|Berichtigte\s+Rechnung|"
        r"Corrected\s+invoice|Invoice\s+correction|Corrective\s+invoice|Facture\s+rectificative|"
        r"Factura\s+rectificativa|Fattura\s+(?:di\s+)?rettifica|Gecorrigeerde\s+factuur)\b", re.IGNORECASE)),
    ("credit_note", re.compile(
        r"^(?:Factura\s+de\s+abono|Abono|Nota\s+de\s+abono|Creditfactuur|Credit\s+factuur|Gutschrift(?:sanzeige)?|Rechnungsgutschrift|Stornorechnung|Storno|Rechnungsstorno|Credit\s?-?\s?note|"
        r"Credit\s+memo|Credit\s+invoice|Facture\s+d'avoir|Avoir|Creditnota|Creditfactuur|Nota\s+di\s+credito|"
        r"Nota\s+de\s+cr[ée]dito|Factura\s+rectificativa\s+de\s+abono)\b", re.IGNORECASE)),
    ("receipt", re.compile(
        r"^(?:Kassenbon|Kassenbeleg|Kassenquittung|Quittung|Bon|Beleg|Receipt|Sales\s+receipt|Cash\s+receipt|"
        r"Official\s+receipt|Ticket\s+de\s+caisse|Kassabon|Scontrino)\b", re.IGNORECASE)),
    ("invoice", re.compile(
        r"^(?:[A-ZÄÖÜ][a-zäöüß]+rechnung|RECHNUNG|Rechnung|Invoice|Tax\s+invoice|Commercial\s+invoice|Facture|Factuur|Fattura|Factura|"
        r"Abschlagsrechnung|Schlussrechnung|Teilrechnung|Proforma|Pro\s?-?\s?forma)\b", re.IGNORECASE)),
)
# What only till receipts print: money tendered and change, the till, the card terminal's slip.
_RECEIPT_WORDS = re.compile(
    r"\b(?:Kassierer(?:in)?|Kassenbon|Bon\s?-?\s?Nr|Rückgeld|Gegeben|Cashier|Change\s+due|Change|Cash\s+tendered|"
    r"Tendered|Thank\s+you\s+for\s+shopping|Kundenbeleg|Terminal\s?-?\s?ID|TSE\s?-?\s?(?:Signatur|Transaktion)|"
    r"Auth(?:orisation|orization)?\s+code|Cardholder|Card\s+holder|Händlerbeleg|Merchant\s+copy|Customer\s+copy)\b",
    re.IGNORECASE,
)
_LANGUAGE_WORDS = {
    "de": re.compile(r"\b(?:Rechnung|Datum|Betrag|Summe|Steuer|MwSt|USt|und|für|Gesamt|Netto|Brutto|zahlbar|"
                     r"Menge|Preis|Bankverbindung)\b", re.IGNORECASE),
    "en": re.compile(r"\b(?:Invoice|Date|Amount|Total|Tax|VAT|GST|and|for|Due|Price|Quantity|Qty|Description|"
                     r"Bill|Payment|Thank)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(?:Facture|Date|Montant|Total|TVA|HT|TTC|et|pour|Quantité|Prix|Désignation|Échéance|"
                     r"Règlement)\b", re.IGNORECASE),
    "nl": re.compile(r"\b(?:Factuur|Datum|Bedrag|Totaal|BTW|en|voor|Aantal|Prijs|Omschrijving)\b", re.IGNORECASE),
    "it": re.compile(r"\b(?:Fattura|Data|Importo|Totale|IVA|e|per|Quantità|Prezzo|Descrizione)\b", re.IGNORECASE),
    "es": re.compile(r"\b(?:Factura|Fecha|Importe|Total|IVA|y|para|Cantidad|Precio|Descripción)\b", re.IGNORECASE),
}
# A bare '$' is no proof of America (Singapore, Australia and Canada write it too); a state and ZIP code is.
_US = re.compile(r"\bUSD\b|\bUS\$|,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?\b|United\s+States|\bU\.S\.A\b")


# A title stands alone, or before the document's number or date: "Rechnung", "INVOICE # 17", "Avoir n° 3".
_AFTER_TITLE = re.compile(
    r"\s*(?:$|[:#]|(?:Nr|No|N°|Nº|n°|nº|Nummer|Number|Num[ée]ro)\b|\d|[A-Z]{1,5}[-/]?\d|vom\b|du\b|of\b)"
)


def _title(text: str) -> tuple[str, str] | None:
    for kind, title in _TITLES:
        m = title.match(text)
        if m is not None and _AFTER_TITLE.match(text, m.end()):
            return kind, m.group()
    return None


def language(lines: Sequence[Line]) -> str:
    """The language most label words of the document belong to ('de', 'en', 'fr', 'nl', 'it', 'es')."""
    text = "\n".join(line.text for line in lines[:400])
    counts = {lang: len(pattern.findall(text)) for lang, pattern in _LANGUAGE_WORDS.items()}
    return max(counts, key=lambda lang: (counts[lang], lang == "de"))


def default_date_order(lines: Sequence[Line], lang: str) -> str:
    """American documents (English with dollars or a state and ZIP code) write the month first."""
    text = "\n".join(line.text for line in lines[:400])
    return "MDY" if lang == "en" and _US.search(text) else "DMY"


def narrow_page(pages: Sequence[PageInfo]) -> bool:
    """A till roll: narrower than a letter, or much taller than wide."""
    first = pages[0]
    return first.width < 400 or first.height > 2.2 * first.width


# What receipts print and invoices seldom do; two of them together make a receipt.
_TILL_WORDS = re.compile(
    r"\b(?:Kasse\s*\d+|Bon(?:\s?-?\s?Nr\.?)?:?\s*\d+|EC\s?-?\s?Karte|Girocard|Bar(?:geld)?|Danke|Thank\s+you|CASH|"
    r"SUBTOTAL|Till\s*\d+|Tisch\s*\d+|Table\s*\d+|Kassenbon|Cashier|Receipt|Quittung|Filiale\s*\d+|Store\s*\d+)\b",
    re.IGNORECASE,
)


def is_receipt_page(lines: Sequence[Line], pages: Sequence[PageInfo]) -> bool:
    if narrow_page(pages):
        return True
    text = "\n".join(line.text for line in lines[:200])
    strong = {m.group().lower() for m in _RECEIPT_WORDS.finditer(text)}
    weak = {re.sub(r"[\s\d:.-]+", "", m.group().lower()) for m in _TILL_WORDS.finditer(text)}
    return 2 * len(strong) + len(weak) >= 3 or len(strong) >= 2


def document_type(lines: Sequence[Line], pages: Sequence[PageInfo]) -> Candidate:
    """The document's own title at the top of page 1; a receipt by its shape or words; otherwise an invoice.

    A till receipt stays a receipt though it calls itself an invoice ("TAX INVOICE", "Rechnung Nr."): it is
    the simplified invoice of a sale at the till. A credit note or correction says so whatever its shape.
    """
    first = pages[0]
    receipt = is_receipt_page(lines, pages)
    top = [ln for ln in lines if ln.page == 1 and ln.top < 0.5 * first.height]
    titles: list[tuple[float, str, str, Segment]] = []
    for line in top:
        for seg in line.segments:
            found = _title(seg.text.strip())
            if found is None or (found[0] == "invoice" and receipt) or (found[0] == "receipt" and not receipt):
                continue
            # The title is set larger than the labels of the info block ("Rechnung Nr.:"); of equal ones, the
            # type that is not the default.
            titles.append((seg.size + (0.5 if found[0] != "invoice" else 0.0), found[0], found[1], seg))
    if titles:
        _, kind, text, seg = max(titles, key=lambda t: t[0])
        return Candidate(kind, 0.95, seg.page, rounded(seg.bbox), f"title {text!r} on page 1")
    if receipt:
        return Candidate("receipt", 0.9, None, None, "narrow page or till receipt wording")
    return Candidate("invoice", 0.8, None, None, "no title names another type")


def type_of_label(label: str) -> str | None:
    """A credit note or correction named by the label of its number ("Avoir n°", "Gutschrift-Nr.")."""
    for kind, title in _TITLES:
        if kind in ("credit_note", "correction") and title.match(label.strip()):
            return kind
    return None


# --- a till receipt's merchant --------------------------------------------------------------------

_NOT_A_NAME = re.compile(
    r"\d{3,}|@|www\.|https?:|\bTel\b|\bFax\b|Phone|Telefon|\bGST\b|\bVAT\b|USt|Steuer|\bReg\b|Receipt|Invoice|"
    r"Rechnung|Quittung|Kassenbon|Beleg|Welcome|Willkommen|Herzlich|Filiale|Branch|Store\s+\d|Datum|Date|Time|"
    r"Cashier|Kasse|\bNo\b\.?|\bNr\b\.?|Copy|Kopie|Original|Duplicate|Tax\s+invoice|Simplified",
    re.IGNORECASE,
)
_STREETISH = re.compile(
    r"\b(?:Jalan|Jln|Lorong|Taman|Street|St\.|Road|Rd\.?|Avenue|Ave\.?|Straße|Strasse|Str\.|Platz|Weg|Allee|"
    r"Lot|No\.|Unit|Floor|Level|Blok|Block|Rue|Boulevard|Bd)\b",
    re.IGNORECASE,
)
# A name continues on the next line when it ends with its legal form there ("... TRADING" / "SDN BHD").
_LEGAL_TAIL = re.compile(r"^(?:\(?[\w.&' -]*\)?\s*)?(?:SDN\.?\s*BHD\.?|BHD\.?|PTE\.?\s*LTD\.?|LTD\.?|LLC|INC\.?|"
                         r"GMBH|AG|KG|CO\.?|CORP\.?|S\.?A\.?R\.?L\.?|S\.?A\.?S\.?|B\.?V\.?|ENTERPRISE|TRADING)$",
                         re.IGNORECASE)  # fmt: skip


def merchant(lines: Sequence[Line], pages: Sequence[PageInfo], *, lang: str = "de") -> Candidate | None:
    """The merchant of a till receipt: the first line of the top that is a name (not a title, an address, a
    phone number or a tax number), joined with a next line that only carries its legal form; among the top
    lines, larger type wins."""
    first = pages[0]
    top = [ln for ln in lines if ln.page == 1 and ln.top < 0.3 * first.height][:8]
    if not top:
        return None
    body = median(w.size or w.height for ln in lines for w in ln.words)
    names: list[tuple[float, Line]] = []
    for rank, line in enumerate(top):
        text = line.text.strip()
        letters = sum(ch.isalpha() for ch in text)
        if letters < 3 or letters < 0.5 * len(text.replace(" ", "")) or _NOT_A_NAME.search(text):
            continue
        if _STREETISH.search(text) and rank > 0:
            continue
        size = max(w.size or w.height for w in line.words)
        score = 0.8 - 0.08 * rank + (0.1 if size >= 1.2 * body else 0.0)
        names.append((score, line))
    if not names:
        return None
    score, line = max(names, key=lambda n: n[0])
    parts: list[Segment] = list(line.segments)
    nxt = lines[line.index + 1] if line.index + 1 < len(lines) else None
    if nxt is not None and nxt.page == line.page and _LEGAL_TAIL.match(nxt.text.strip()):
        parts += list(nxt.segments)
    text = clean_text(" ".join(s.text for s in parts), name=True)
    if lang == "en":
        text = split_glued(text)
    box = rounded(union(s.bbox for s in parts))
    return Candidate(text, round(min(0.9, score), 3), line.page, box, "first name-like line at the top of the receipt")


__all__ = ["default_date_order", "document_type", "is_receipt_page", "language", "merchant", "narrow_page",
           "type_of_label"]
