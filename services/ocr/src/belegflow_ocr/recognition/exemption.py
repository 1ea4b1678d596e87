"""Invoices that charge no tax and say why.

A small business (§ 19 UStG, "TVA non applicable, art. 293 B du CGI"), a supply whose tax the buyer owes
(reverse charge: § 13b UStG, Article 196 of the VAT directive, "autoliquidation", "BTW verlegd"), an exempt or
zero-rated supply (§ 4 UStG, an intra-Community supply, an export): such an invoice prints no tax amount and
often a single total. Its tax is zero and its net is its gross, and the note is the evidence (EN 16931 BT-120,
the VAT exemption reason text). A freight forwarder's carriers from other member states invoice this way as a
rule, so an invoice without a printed tax is not an unreadable one.

The note is a phrase of the law or of the trade in one of the languages we read, matched anywhere in a line.
A heading that only names exemptions ("Détail TVA (motif si exonération …)") is no note: every phrase says
that this invoice charges none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from belegflow_ocr.recognition.layout import Line
from belegflow_ocr.recognition.model import BBox

_S = r"\s*"
_PARA = r"(?:§|Paragraph|Par\.)"
_NOTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("small business", (
        rf"{_PARA}{_S}19{_S}(?:Abs\.?{_S}1{_S})?UStG", r"Kleinunternehmer", r"TVA non applicable",
        rf"art(?:icle|\.)?{_S}293{_S}B\b", r"franchise en base de (?:la )?TVA", r"kleineondernemersregeling",
        r"small business (?:scheme|exemption)",
    )),
    ("reverse charge", (
        r"Steuerschuldnerschaft des Leistungsempf(?:ä|ae|a)ngers", rf"{_PARA}{_S}13{_S}b{_S}(?:Abs\.?{_S}\d+{_S})?UStG",
        r"Reverse[- ]?Charge", r"Umkehr(?:ung)? der Steuerschuld", r"autoliquidation", r"auto-liquidation",
        rf"Art(?:icle|ikel|\.)?{_S}196\b", r"BTW verlegd", r"btw-verlegging", r"verlegging van (?:de )?btw",
        r"inversi[oó]n del sujeto pasivo", r"inversione contabile", r"tax payable by the (?:customer|recipient)",
        r"VAT to be accounted for by the (?:customer|recipient)",
    )),
    ("exempt", (
        r"steuerfreie?s?\s+(?:nach|gem(?:äß|\.)|gemäß|gemaess|lt\.|laut|innergemeinschaftliche|Ausfuhr)",
        rf"{_PARA}{_S}4{_S}Nr\.?{_S}\d+{_S}[a-z]?{_S}UStG", r"(?:umsatz)?steuerbefreit",
        r"von der Umsatzsteuer befreit", r"keine Umsatzsteuer", r"ohne (?:Ausweis (?:der|von) )?Umsatzsteuer",
        r"kein(?:en)? Ausweis (?:der|von) Umsatzsteuer", r"nicht steuerbar", r"innergemeinschaftliche Lieferung",
        r"VAT[- ]exempt", r"exempt from VAT", r"zero[- ]rated", r"not subject to VAT",
        r"outside the scope of (?:UK |EU )?VAT", r"no VAT (?:is )?(?:charged|shown)",
        r"intra-?Community (?:supply|delivery)", r"exon[ée]r[ée]e?s? de (?:la )?TVA", r"exon[ée]ration de (?:la )?TVA",
        r"hors (?:du )?champ d'application de la TVA", rf"article{_S}262{_S}ter", r"livraison intracommunautaire",
        r"exent[oa] de IVA", r"operaci[oó]n exenta", r"esente IVA", r"non imponibile", r"fuori campo IVA",
        r"vrijgesteld van (?:de )?(?:BTW|omzetbelasting)", r"intracommunautaire levering",
    )),
)  # fmt: skip
_PATTERNS = tuple((kind, re.compile("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE))
                  for kind, phrases in _NOTES)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Exemption:
    """A note on the page saying that the invoice charges no tax."""

    kind: str
    """``small business``, ``reverse charge`` or ``exempt``."""
    text: str
    """The line that says it, as printed."""
    page: int
    bbox: BBox


def exemption_note(lines: Sequence[Line]) -> Exemption | None:
    """The first line of the document that says no tax is charged, with what kind of supply it names."""
    for line in lines:
        for kind, pattern in _PATTERNS:
            if pattern.search(line.text):
                return Exemption(kind, line.text.strip(), line.page, line.bbox)
    return None


__all__ = ["Exemption", "exemption_note"]
