"""Text as OCR and PDF producers deliver it, set right: compatibility forms, look-alike letters, names."""

from __future__ import annotations

import re
import unicodedata

import wordninja

from belegflow_ocr.recognition.model import Word

_LEGAL_FORMS = {f.lower(): f for f in ("GmbH", "AG", "KG", "OHG", "UG", "SE", "mbH", "KGaA", "GbR", "Ltd", "Inc")}


_DIGITS_IN_WORD = re.compile(r"(?<=[A-Za-zÄÖÜäöüß])[10]{1,2}(?=[a-zäöüß])")
# Greek and Cyrillic letters that look like Latin ones; OCR models that know several scripts mix them in.
_LOOKALIKES = str.maketrans("ρορναικτυμΑΒΕΖΗΙΚΜΝΟΡΤΥΧаеорсухАВЕКМНОРСТХ", "popvaiktuuABEZHIKMNOPTYXaeopcyxABEKMHOPCTX")
_LATIN = re.compile(r"[A-Za-z]")
_OTHER_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")


def normalised(word: Word) -> Word:
    """Compatibility forms folded (full-width ':' and ',' from OCR, ligatures; "nº" kept as "n°"), Greek beta read
    for 'ß', and '1' or '0' inside a word of letters read back as 'l' or 'o' ("Fä11ig"); the box stays."""
    # the ordinal º of "Nº" / "nº" (numéro) is the degree sign's look-alike, not the letter NFKC makes of it
    text = unicodedata.normalize("NFKC", word.text.replace("º", "°")).replace("β", "ß")
    if _OTHER_SCRIPT.search(text) and _LATIN.search(text):
        text = text.translate(_LOOKALIKES)
    if sum(ch.isalpha() for ch in text) >= 3:
        text = _DIGITS_IN_WORD.sub(lambda m: m.group().replace("1", "l").replace("0", "o"), text)
    return word if text == word.text else Word(text, word.page, word.bbox, word.size)


_LOWER_WORDS = {"oder", "über", "unter", "with", "from", "und", "von", "vom", "zum", "zur", "der", "die", "das", "den",
                "dem", "des", "für", "and", "the", "for"}  # fmt: skip


_ADDRESS_LABEL = re.compile(r"^(?:Bil+\s*to|Rechnungsempfänger|Rechnungsanschrift|Empfänger|Attn\.?|An|To)\s*:\s*",
                            re.IGNORECASE)  # fmt: skip


def _capitalised_name(text: str) -> str:
    """In a name with capitalised words, a lower-case word of four letters or more is OCR's small letter for a
    capital ('süderelbe Transporte GmbH'); names written all in lower case ('dm-drogerie markt') stay."""
    words = text.split(" ")
    proper = [w for w in words if w[:1].isupper() and w not in _LEGAL_FORMS.values()]
    if not proper:
        return text
    fixed = [w[0].upper() + w[1:] if w.isalpha() and w.islower() and len(w) >= 4 and w not in _LOWER_WORDS
             else w for w in words]  # fmt: skip
    return " ".join(fixed)


def clean_text(value: str, *, capital: bool = False, name: bool = False) -> str:
    """Names, streets and cities as printed, with the misreadings OCR makes inside words undone: 'I' or '1'
    between lower-case letters is an 'l', '0' there an 'o'; a legal form in the wrong case ('sE') is set
    right; streets and cities start with a capital letter."""
    text = " ".join(value.split()).replace("β", "ß")
    text = re.sub(r"\s*&\s*", " & ", text).strip()
    # A legal form glued to the word before it ("IndustrietechnikSE"), a document title run into the name.
    text = re.sub(r"(?<=[a-zäöüß]{3})(GmbH|AG|KG|SE|UG|OHG)$", r" \1", text)
    text = re.sub(r"\s+(?:INVOICE|Invoice|RECHNUNG|Rechnung|GUTSCHRIFT|Gutschrift)$", "", text)
    text = re.sub(r"(?<=[a-zäöüß])[I1](?=[a-zäöüß])", "l", text)
    text = re.sub(r"(?<=[A-ZÄÖÜ])1(?=[a-zäöüß])", "l", text)
    text = re.sub(r"(?<=[a-zäöüß])0(?=[a-zäöüß])", "o", text)
    text = re.sub(r"(?<=[a-zäöüß]{2})1(?=\s|$|-)", "l", text)
    # Italian and Spanish legal forms whose small l OCR reads as a capital I: "S.r.I." -> "S.r.l."
    text = re.sub(r"\bS\.r\.I\.", "S.r.l.", text)
    text = re.sub(
        r"(?<=\s)([A-Za-z]{2,4})(?=$|\s|\))",
        lambda m: _LEGAL_FORMS.get(m.group(1).lower(), m.group(1)) if m.group(1) not in _LEGAL_FORMS.values() and
        m.group(1).lower() in _LEGAL_FORMS and not m.group(1).islower() else m.group(1),
        text,
    )  # fmt: skip
    if capital and text[:1].islower():
        text = text[0].upper() + text[1:]
    if name:
        # An address label OCR ran into the name's line ("Bill to: Brandt KG").
        text = _ADDRESS_LABEL.sub("", text) or text
        text = _capitalised_name(text)
    return text


_GLUED = re.compile(r"\b[A-Z]{12,}\b")


def split_glued(text: str) -> str:
    """Capitals OCR ran together on a till receipt ("CITYSTATIONERYSHOP") split into the English words they
    are made of, where every part is a word of four letters or more; anything less certain stays as read."""

    def split(m: re.Match[str]) -> str:
        parts = wordninja.split(m.group())
        if len(parts) < 2 or any(len(p) < 4 for p in parts):
            return m.group()
        return " ".join(p.upper() for p in parts)

    return _GLUED.sub(split, text)


__all__ = ["clean_text", "normalised", "split_glued"]
