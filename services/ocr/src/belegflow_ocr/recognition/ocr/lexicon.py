"""Repairs typical OCR slips in the words invoices are read by: labels, separators, glued dates.

Only a word the lexicon knows replaces a read word, only for the slips OCR is known to make (digits read
for letters inside a word, umlaut dots lost or doubled by a plain vowel), and only when exactly one
lexicon word fits. Numbers, amounts, IBANs and dates are never
changed: they have validation (checksums, sums) of their own, and a guessed digit would hide a misread.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Labels the field extraction looks for, and words around them, German and English.
WORDS = """
Rechnung Rechnungsnummer Rechnungsdatum Rechnungsbetrag Rechnungs Datum Belegdatum Belegnummer Leistungsdatum
Lieferdatum Fällig Fälligkeit Fälligkeitsdatum Zahlbar Zahlungsziel Zahlungsbedingungen Kundennummer Kunden
Auftragsnummer Bestellnummer Lieferschein Netto Nettobetrag Nettosumme Brutto Bruttobetrag Gesamt Gesamtbetrag
Endbetrag Summe Zwischensumme Umsatzsteuer Mehrwertsteuer MwSt USt Steuernummer Steuer Betrag Beträge Menge
Anzahl Preis Einzelpreis Bezeichnung Leistung Leistungen Position Pos Währung Bankverbindung Sparkasse Bank
IBAN BIC Konto Telefon Telefax Fax Mail Geschäftsführer Amtsgericht Handelsregister Straße Strasse Weg Platz
Allee Gasse Ring Damm Ufer Hafen Logistik Spedition Transport Lager Zoll Fracht Container Sendung Gutschrift
Firma GmbH Gesellschaft Kreditorenbuchhaltung Buchhaltung Bitte überweisen Angabe Vielen Dank für unsere
Invoice Number Date Due Payable Bill Ship Total Subtotal Amount Tax Net Gross Description Quantity Unit Price
Balance Payment Terms Account Customer Reference Order Page Seite von
"""
_KNOWN = {w.lower(): w for w in WORDS.split()}
# Digits OCR reads for letters inside a word ("Bi11" for "Bill", "T0tal" for "Total").
_LOOKALIKE = str.maketrans({"1": "l", "0": "o", "5": "s", "8": "b", "|": "l"})
_WORD = re.compile(r"^([^\W\d_]*[\w|]*?)([:.,;]*)$")
_GLUED_DATE = re.compile(r"^(\d{1,2}\.)([^\W\d_]{3,}\.?)$")
_SEPARATORS = {".", "•", "∙", "‧"}
# What OCR glues together where the page has a space: a number sign and the number ("N°FA-2026-0001"), a label's
# colon and its value ("Date:2026-08-15", "IBAN:DE02…"), and items on either side of a middle dot
# ("20260815·Échéance"). A time ("14:11"), a URL ("https://") or a ratio ("1:2") is never split.
_GLUED_SIGN = re.compile(r"^([Nn][°º]\.?:?|N[ro]\.:?)([A-Za-z0-9].*)$")
_GLUED_LABEL = re.compile(r"^([^\W\d_][^\W\d_.\-/]*(?:[.\-/][^\W\d_]+)*\.?:)([\w+€$£].*)$")
_GLUED_DOT = re.compile(r"^(.+?)([·•∙‧])(.+)$")
# A slash glued to the date after it, where the page has "2025-118 / 03.02.2025".
_GLUED_SLASH = re.compile(r"^(/)(\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2}))$")


_UMLAUT = {"a": "ä", "o": "ö", "u": "ü", "A": "Ä", "O": "Ö", "U": "Ü"}


def _umlaut_variants(word: str) -> set[str]:
    """The slips OCR makes on umlauts: the dots lost ("Fallig") or the plain vowel read beside it ("Faällig")."""
    variants = set()
    for i, ch in enumerate(word):
        if ch in _UMLAUT:
            variants.add(word[:i] + _UMLAUT[ch] + word[i + 1 :])
            if word[i + 1 : i + 2] == _UMLAUT[ch]:
                variants.add(word[:i] + word[i + 1 :])
            if i > 0 and word[i - 1] == _UMLAUT[ch]:
                variants.add(word[:i] + word[i + 1 :])
    return variants


@lru_cache(maxsize=4096)
def _known(core: str) -> str | None:
    lower = core.lower()
    if lower in _KNOWN or len(core) < 4:
        return None
    letters = sum(ch.isalpha() for ch in core)
    if letters < 2:
        return None
    if any(ch.isdigit() or ch == "|" for ch in core):
        mapped = lower.translate(_LOOKALIKE)
        if mapped in _KNOWN and letters * 2 >= len(core):
            return _KNOWN[mapped]
        return None
    close = {_KNOWN[v.lower()] for v in _umlaut_variants(core) if v.lower() in _KNOWN}
    return close.pop() if len(close) == 1 else None


def _cased(replacement: str, read: str) -> str:
    if read.isupper() and len(read) > 1:
        return replacement.upper()
    if read[:1].islower():
        return replacement[:1].lower() + replacement[1:]
    return replacement


def correct(token: str) -> list[str]:
    """The word(s) a read token stands for: itself, a lexicon word, a glued date split in two, or what OCR glued
    together split where the page has a space (a number sign, a label's colon, a middle dot, a slash before a
    date)."""
    if token in _SEPARATORS:
        return ["·"]
    for glue in (_GLUED_DOT, _GLUED_SIGN, _GLUED_LABEL, _GLUED_SLASH):
        if (parts := glue.match(token)) is not None:
            return [piece for part in parts.groups() for piece in correct(part)]
    glued = _GLUED_DATE.match(token)
    if glued:
        return [glued.group(1), glued.group(2)]
    match = _WORD.match(token)
    if not match:
        return [token]
    core, tail = match.groups()
    replacement = _known(core) if core else None
    return [token] if replacement is None else [_cased(replacement, core) + tail]
