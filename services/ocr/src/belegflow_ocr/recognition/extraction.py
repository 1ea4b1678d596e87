"""Reads invoice fields and table lines from positioned words: labels, their values beside or below."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from belegflow_contracts.messages import (
    AmountFieldV1,
    DateFieldV1,
    InvoiceFieldsV1,
    InvoiceLineV1,
    TextFieldV1,
)
from belegflow_ocr.recognition.layout import Line, Segment, build_lines, rounded, union
from belegflow_ocr.recognition.model import BBox, PageInfo, ProtocolLog, Word
from belegflow_ocr.recognition.parsing import (
    Match,
    find_amounts,
    find_dates,
    find_ibans,
    find_vat_ids,
    parse_amount,
    parse_quantity,
)
from belegflow_ocr.recognition.validation import amounts_consistent, validate

Value = str | date | Decimal
Parser = Callable[[str], list[tuple[Value, int, int]]]


@dataclass(frozen=True, slots=True)
class Candidate:
    value: Value
    confidence: float
    page: int | None
    bbox: BBox | None
    source: str


@dataclass(frozen=True, slots=True)
class Label:
    pattern: re.Pattern[str]
    weight: float
    name: str


def _labels(*specs: tuple[str, float]) -> tuple[Label, ...]:
    """Labels match where a cell or a part of it starts (``pattern.match(text, pos)``), never inside a word."""
    return tuple(
        Label(re.compile(r"\s*(?:" + p + r")(?![\wäöüß])\s*[:.#]?", re.IGNORECASE), w, p) for p, w in specs
    )


INVOICE_NUMBER = _labels(
    (r"Rechnungs\s*-?\s*(?:nummer|nr\.?|no\.?)", 1.0),
    (r"Rechnung\s+(?:Nr\.?|Nummer|No\.?)", 1.0),
    (r"Invoice\s*(?:No\.?|Number|Nr\.?|#)", 1.0),
    (r"Beleg\s*-?\s*(?:nummer|nr\.?)", 0.8),
    (r"Re\.?\s*-?\s*Nr\.?", 0.9),
    (r"Bon\s*-?\s*(?:nummer|nr\.?)", 0.8),
)
INVOICE_DATE = _labels(
    (r"Rechnungs\s*-?\s*datum", 1.0),
    (r"Invoice\s+date", 1.0),
    (r"Belegdatum", 0.9),
    (r"Datum", 0.9),
    (r"Date", 0.85),
)
DUE_DATE = _labels(
    (r"F[äa]llig(?:keitsdatum|keit|\s+am|\s+bis)?", 1.0),
    (r"(?:bitte\s+)?zahlbar\s+(?:bis|am)(?:\s+zum)?", 1.0),
    (r"Zahlungsziel", 0.9),
    (r"Due\s+(?:date|by|on)", 1.0),
    (r"Payable\s+by", 0.9),
)
NET = _labels(
    (r"Summe\s+netto|Netto\s?summe|Netto\s?betrag|Gesamt\s+netto|Net\s+amount|Net\s+total|Total\s+net", 1.0),
    (r"Netto(?:\s+gesamt)?|Net", 0.9),
    (r"Zwischensumme|Subtotal|Warenwert", 0.75),
)
_PCT = r"\d{1,2}(?:[.,]\d{1,2})?\s*%"
TAX = _labels(
    (
        rf"(?:zzgl\.?|zuzüglich|plus|inkl\.?|enthaltene)?\s*(?:{_PCT}\s*)?"
        r"(?:MwSt\.?|Mehrwertsteuer|USt\.?(?![-\s]*Id)|Umsatzsteuer(?![-\s]*Id)|VAT(?!\s*(?:ID|No|Reg|number)))"
        rf"(?:\s*\(?{_PCT}\)?)?",
        1.0,
    ),
)
GROSS = _labels(
    # Compounds may come back from OCR with a space inside ("Gesamt summe").
    (r"Rechnungs\s?betrag|Gesamt\s?betrag|Brutto\s?betrag|End\s?betrag|Summe\s+brutto|Gesamt\s?summe|"
     r"Invoice\s+total|Grand\s+total", 1.0),
    (r"Zu\s+zahlen(?:der\s+Betrag)?|Amount\s+due|Total\s+(?:amount|due|EUR)|Brutto|Total", 0.9),
    (r"Summe(?!\s*(?:netto|net|der\s+Positionen))", 0.8),
)
# Carry-over rows of a table continued on the next page: not an invoice line, and the end of this page's rows.
_CARRY = re.compile(r"^\s*(?:Übertrag|Uebertrag|Zwischensumme\s+Seite|Carried\s+forward|Brought\s+forward|"
                    r"Carry\s+over)\b", re.IGNORECASE)  # fmt: skip
# Parts of one cell: "Netto 100,00 €, zzgl. 19 % USt 19,00 €" holds two labelled values. A part ends at a
# separator, or after an amount or a date that a word follows ("Netto: 100,00 € USt 19 %: 19,00 €").
_INLINE_SEP = re.compile(r"[,;·|•]\s+|\s{2,}|\s+\.\s+|,(?=[A-Za-zÄÖÜäöü])")
_VALUE_END = re.compile(
    r"(?:\d[.,']\d{2}|\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{2}-\d{2})(?:\s*(?:€|EUR|USD|CHF|GBP|\$|£))?"
    r"(?:\s*[.·•|;,]\s*|\s+)(?=[A-Za-zÄÖÜäöüß])"
)
_IBAN_LABEL = re.compile(r"\bIBAN\b", re.IGNORECASE)
_VAT_LABEL = re.compile(r"USt[\s.-]*Id[\s.-]*(?:Nr)?|Umsatzsteuer[\s-]*Id|VAT\s*(?:ID|No|Reg)|Tax\s+ID", re.IGNORECASE)
_RECIPIENT_HINT = re.compile(r"\b(?:Ihre|Your|Kunden|Customer)\b", re.IGNORECASE)
# OCR may lose the space between postcode and city ("24103Kiel").
_PLZ_CITY = re.compile(r"^(?:D\s?-\s?)?(?P<plz>\d{5})\s*(?P<city>[A-ZÄÖÜ][\w.\-ßäöü ]*[\wß.])$")
_STREET = re.compile(
    r"(?:\s\d+\s?[a-zA-Z]?(?:\s?-\s?\d+)?$)|(?:stra(?:ß|ss)e|str\.|weg|platz|allee|damm|ring|gasse|ufer|kai)\b",
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
    r"^(?P<name>.+?\b(?:GmbH(?: & Co\. KG)?|AG|KG|SE|UG(?: \(haftungsbeschränkt\))?|OHG|e\.\s?K\.|mbH))\s+"
    r"(?P<street>[A-ZÄÖÜ][^\d]*\s\d+\s?[a-zA-Z]?(?:\s?-\s?\d+)?)$"
)
_SKIP_NAME = re.compile(
    r"^(?:Firma|Herrn?|Frau|An|To|z\.\s?Hd\.?.*|Attn\.?.*|Bill\s+to:?|Rechnungsempfänger:?|Kreditorenbuchhaltung|"
    r"Buchhaltung|Abteilung.*|Postfach.*)$",
    re.IGNORECASE,
)
_LEGAL_FORM = re.compile(
    r"\b(?:GmbH|AG|KG|OHG|UG|e\.\s?K\.|e\.\s?V\.|SE|KGaA|GbR|Ltd\.?|Inc\.?|B\.V\.|S\.A\.|S\.r\.l\.|mbH)(?:\W|$)"
)
_TITLE = re.compile(r"^(?:Rechnung|Invoice|Gutschrift|Credit\s+note|Proforma.*)$", re.IGNORECASE)
_CURRENCIES = (("EUR", re.compile(r"€|\bEUR\b")), ("USD", re.compile(r"\$|\bUSD\b")),
               ("CHF", re.compile(r"\bCHF\b")), ("GBP", re.compile(r"£|\bGBP\b")))  # fmt: skip


# --- text clean-up -------------------------------------------------------------------------------

_LEGAL_FORMS = {f.lower(): f for f in ("GmbH", "AG", "KG", "OHG", "UG", "SE", "mbH", "KGaA", "GbR", "Ltd", "Inc")}


_DIGITS_IN_WORD = re.compile(r"(?<=[A-Za-zÄÖÜäöüß])[10]{1,2}(?=[a-zäöüß])")
# Greek and Cyrillic letters that look like Latin ones; OCR models that know several scripts mix them in.
_LOOKALIKES = str.maketrans("ρορναικτυμΑΒΕΖΗΙΚΜΝΟΡΤΥΧаеорсухАВЕКМНОРСТХ", "popvaiktuuABEZHIKMNOPTYXaeopcyxABEKMHOPCTX")
_LATIN = re.compile(r"[A-Za-z]")
_OTHER_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")


def _normalised(word: Word) -> Word:
    """Compatibility forms folded (full-width ':' and ',' from OCR, ligatures), Greek beta read for 'ß', and
    '1' or '0' inside a word of letters read back as 'l' or 'o' ("Fä11ig"); the box stays."""
    text = unicodedata.normalize("NFKC", word.text).replace("β", "ß")
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


# --- value parsers -------------------------------------------------------------------------------


def _parse_number(text: str) -> list[tuple[Value, int, int]]:
    """An invoice number: the tokens after the label up to the first plain word or date."""
    parts: list[str] = []
    start = end = -1
    dates = find_dates(text)
    for m in re.finditer(r"\S+", text):
        token = m.group().strip(":#,;")
        if not token:
            continue
        in_date = any(s <= m.start() < e for _, s, e in dates)
        if in_date or (re.search(r"[a-zäöüß]{2}", token) and not re.search(r"\d", token)):
            break
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9\-/._]*", token):
            break
        parts.append(token)
        start = m.start() if start < 0 else start
        end = m.end()
    value = "".join(parts).rstrip(".")
    if not value or not re.search(r"\d", value):
        return []
    return [(value, start, end)]


def _parse_dates(text: str) -> list[tuple[Value, int, int]]:
    return [(d, s, e) for d, s, e in find_dates(text)]


def _parse_last_amount(text: str) -> list[tuple[Value, int, int]]:
    amounts = find_amounts(text)
    return [(amounts[-1][0], amounts[-1][1], amounts[-1][2])] if amounts else []


# --- geometry helpers ----------------------------------------------------------------------------


def _span_box(segment: Segment, start: int, end: int) -> BBox:
    """Box of the words of ``segment`` that the characters start..end of its text fall on."""
    boxes = []
    pos = 0
    for word in segment.words:
        w_end = pos + len(word.text)
        if pos < end and start < w_end:
            boxes.append(word.bbox)
        pos = w_end + 1
    return rounded(union(boxes) if boxes else segment.bbox)


def _beside(lines: Sequence[Line], line: Line, segment: Segment, *, every: bool = False) -> list[Segment]:
    """Cells right of ``segment`` that landed on the line above or below: a photo's rows slant unevenly, so a
    value far right can sit a few points off its label. Nearest first, within 0.6 of the text height and only
    a cell clearly nearer than the other side's; with ``every`` (amounts, which the sums sort out) all within
    0.8."""
    mid = (segment.bbox[1] + segment.bbox[3]) / 2
    height = segment.bbox[3] - segment.bbox[1]
    near: list[tuple[float, Segment]] = []
    for other in (lines[line.index - 1] if line.index else None, lines[line.index + 1] if line.index + 1 < len(lines)
                  else None):  # fmt: skip
        if other is None or other.page != line.page:
            continue
        for seg in other.segments:
            off = abs((seg.bbox[1] + seg.bbox[3]) / 2 - mid)
            if seg.x0 > segment.x1 and off < (0.8 if every else 0.6) * height:
                near.append((off, seg))
    near.sort(key=lambda n: n[0])
    if every:
        return [seg for _, seg in near]
    if not near or (len(near) > 1 and near[0][0] > 0.7 * near[1][0]):
        return []
    return [near[0][1]]


def _below(lines: Sequence[Line], line: Line, segment: Segment, depth: int = 2) -> Iterable[Segment]:
    """Segments under ``segment`` (overlapping it horizontally) in the next lines of the same page."""
    for found, other in enumerate(lines[line.index + 1 : line.index + 1 + depth], start=1):
        if other.page != line.page or other.top - line.bottom > 2.5 * max(line.height, other.height) * found:
            return
        for seg in other.segments:
            if seg.x0 < segment.x1 + 2 and seg.x1 > segment.x0 - 2:
                yield seg


def _label_at(text: str, labels: Sequence[Label], pos: int) -> tuple[Label, re.Match[str]] | None:
    for label in labels:
        m = label.pattern.match(text, pos)
        if m:
            return label, m
    return None


def _labelled(
    lines: Sequence[Line],
    labels: Sequence[Label],
    parse: Parser,
    *,
    skip: set[int] | None = None,
    rightmost: bool = False,
) -> list[Candidate]:
    """Values of a labelled field: after the label in its cell, right of it on the same line, or below it.

    A label starts a cell or a part of a cell after a separator ("Netto 100,00 €, USt 19,00 €"); its value
    in the cell ends at the next separator. Only a label that starts its cell looks right of or below it.
    """
    found: list[Candidate] = []
    for line in lines:
        if skip and line.index in skip:
            continue
        for si, seg in enumerate(line.segments):
            text = seg.text
            seps = [(m.start(), m.end()) for m in _INLINE_SEP.finditer(text)]
            seps += [(m.end(), m.end()) for m in _VALUE_END.finditer(text)]
            for start in [0, *sorted({e for _, e in seps})]:
                hit = _label_at(text, labels, start)
                if hit is None:
                    continue
                label, m = hit
                label_text = m.group().strip()
                part_end = min((b for b, _ in seps if b >= m.end()), default=len(text))
                hits = parse(text[m.end() : part_end])
                if not hits and start == 0 and part_end < len(text):
                    hits = parse(text[m.end() :])
                if hits:
                    v, s, e = hits[-1] if rightmost else hits[0]
                    found.append(Candidate(v, 0.95 * label.weight, seg.page, _span_box(seg, s + m.end(), e + m.end()),
                                           f"label {label_text!r}, same cell"))  # fmt: skip
                    continue
                if start > 0 and text[m.end() :].strip():
                    continue
                right = list(line.segments[si + 1 :])
                if rightmost:
                    right.reverse()
                got = False
                for other in right[:1] if not rightmost else right:
                    hits = parse(other.text)
                    if hits:
                        v, s, e = hits[-1] if rightmost else hits[0]
                        found.append(Candidate(v, 0.9 * label.weight, other.page, _span_box(other, s, e),
                                               f"label {label_text!r}, right of it"))  # fmt: skip
                        got = True
                        break
                if not got and not right:
                    # Amounts take every near cell: net + tax = gross decides among them later.
                    for rank, near in enumerate(_beside(lines, line, seg, every=rightmost)):
                        hits = parse(near.text)
                        if hits:
                            v, s, e = hits[-1] if rightmost else hits[0]
                            found.append(Candidate(v, (0.75 - 0.05 * rank) * label.weight, near.page,
                                                   _span_box(near, s, e),
                                                   f"label {label_text!r}, right of it on a slanting row"))  # fmt: skip
                            got = True
                if not got:
                    for other in _below(lines, line, seg):
                        hits = parse(other.text)
                        if hits:
                            v, s, e = hits[0]
                            found.append(Candidate(v, 0.8 * label.weight, other.page, _span_box(other, s, e),
                                                   f"label {label_text!r}, below it"))  # fmt: skip
                            break
    return found


# --- choosing ------------------------------------------------------------------------------------


def _show(value: Value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _choose(name: str, candidates: list[Candidate], log: ProtocolLog) -> Candidate | None:
    """Best candidate; several candidates agreeing on one value make it more certain."""
    if not candidates:
        log.info(f"{name}: not found", field=name, candidates=0)
        return None
    # Texts that differ only in case agree (OCR reads 's' for 'S'); the variant with capitals where the others
    # have none is the one printed.
    by_value: dict[Value, list[Candidate]] = {}
    for c in candidates:
        by_value.setdefault(c.value.casefold() if isinstance(c.value, str) else c.value, []).append(c)

    def strength(group: list[Candidate]) -> float:
        best = max(c.confidence for c in group)
        return min(0.99, best + 0.04 * (len(group) - 1))

    def capitals(c: Candidate) -> tuple[int, float]:
        return (sum(w[:1].isupper() for w in str(c.value).split()), c.confidence)

    _, group = max(by_value.items(), key=lambda kv: strength(kv[1]))
    value = max(group, key=capitals).value
    best = max(group, key=lambda c: c.confidence)
    winner = Candidate(value, round(strength(group), 3), best.page, best.bbox, best.source)
    considered = "; ".join(f"{_show(c.value)} ({c.confidence:.2f}, {c.source}, p{c.page})" for c in candidates)
    reason = best.source + (f", {len(group)} places agree" if len(group) > 1 else "")
    log.info(
        f"{name}: {_show(value)} - {reason} (confidence {winner.confidence:.2f}, {len(candidates)} candidates)",
        field=name,
        value=_show(value),
        confidence=f"{winner.confidence:.2f}",
        reason=reason,
        candidates=considered,
    )
    return winner


def _text_field(c: Candidate | None) -> TextFieldV1 | None:
    return TextFieldV1(value=str(c.value), confidence=c.confidence, page=c.page, bbox=c.bbox) if c else None


def _date_field(c: Candidate | None) -> DateFieldV1 | None:
    if c is None or not isinstance(c.value, date):
        return None
    return DateFieldV1(value=c.value, confidence=c.confidence, page=c.page, bbox=c.bbox)


def _amount_field(c: Candidate | None) -> AmountFieldV1 | None:
    if c is None or not isinstance(c.value, Decimal):
        return None
    return AmountFieldV1(value=c.value, confidence=c.confidence, page=c.page, bbox=c.bbox)


# --- fields --------------------------------------------------------------------------------------


def _above(lines: Sequence[Line], line: Line, segment: Segment) -> str:
    """Text of the cell right above ``segment`` (a label written over its value), or ''."""
    if line.index == 0:
        return ""
    upper = lines[line.index - 1]
    if upper.page != line.page or line.top - upper.bottom > 1.5 * max(line.height, upper.height):
        return ""
    over = [s for s in upper.segments if s.x0 < segment.x1 and s.x1 > segment.x0]
    return " ".join(s.text for s in over)


def _id_candidates(
    lines: Sequence[Line],
    finder: Callable[[str], Sequence[Match]],
    label: re.Pattern[str],
    what: str,
    *,
    not_inside: Callable[[str], Sequence[Match]] | None = None,
) -> list[Candidate]:
    """IBANs or VAT IDs anywhere; a label in front (same cell, the cell before or the cell above) makes them
    likelier. Matches inside a ``not_inside`` match (a VAT ID pattern within an IBAN) are no candidates."""
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
                above = _above(lines, line, seg) if not before.strip() else ""
                labelled = bool(label.search(before[-40:])) or (
                    not before.strip() and (bool(label.search(prev)) or bool(label.search(above)))
                )
                conf, source = (0.9, f"{what} label") if labelled else (0.6, f"{what} pattern without label")
                if any(_RECIPIENT_HINT.search(t) for t in (before[-40:], "" if before.strip() else prev, above)):
                    conf, source = 0.2, f"{what} of the recipient"
                found.append(Candidate(value, conf, seg.page, _span_box(seg, start, end), source))
    return found


_CAPITAL = re.compile(r"Stammkapital|Grundkapital|Kommanditkapital|share\s+capital|capital\s+stock", re.IGNORECASE)
_CURRENCY_LABEL = re.compile(r"\b(?:Währung|Currency|Beträge\s+in|Amounts\s+in)\b", re.IGNORECASE)


def _currency(lines: Sequence[Line], totals: Sequence[Candidate | None], log: ProtocolLog) -> Candidate | None:
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
                    found.append(Candidate(code, conf, seg.page, _span_box(seg, m.start(), m.end()),
                                           f"{m.group()!r} {where}"))  # fmt: skip
    if not found:
        found.append(Candidate("EUR", 0.5, None, None, "no currency printed, EUR assumed"))
    return _choose("currency", found, log)


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
    """False for a block whose lines share only their centre or right edge (a receipt's header, a letterhead
    set right): never the address window."""


def _address_blocks(lines: Sequence[Line]) -> list[Address]:
    """Address blocks written one part per line: name, (department), street, postcode and city."""
    blocks = []
    for line in lines:
        for seg in line.segments:
            m = _PLZ_CITY.match(seg.text)
            if not m or _SEPARATORS.search(seg.text):
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
                if above.size < 0.75 * size or _SEPARATORS.search(above.text):
                    break
                stack.append(above)
                last = above
            stack.reverse()
            street = stack[-1] if stack and _STREET.search(stack[-1].text) else None
            names = [s for s in stack[: -1 if street else None] if not _SKIP_NAME.match(s.text.strip())]
            names = [s for s in names if not re.search(r"\d{3,}|@|Tel|Fax", s.text)]
            blocks.append(Address(_joined_name(names), street, m.group("plz"), m.group("city"), seg,
                                  (stack[0] if stack else seg).bbox[1], seg.page, seg.x0, "address block",
                                  "left" in modes))  # fmt: skip
    return blocks


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


def _inline_addresses(lines: Sequence[Line]) -> list[tuple[InlineAddress, Line]]:
    """Addresses on one line, parts separated by '·', '|' or commas (sender line, footer)."""
    found = []
    for line in lines:
        for seg in line.segments:
            parts = [p.strip() for p in _SEPARATORS.split(seg.text) if p.strip()]
            if len(parts) < 2:
                continue
            for k, part in enumerate(parts):
                m = _PLZ_CITY.match(part)
                if not m:
                    continue
                street = parts[k - 1] if k >= 1 and _STREET.search(parts[k - 1]) else None
                name_idx = k - 2 if street else k - 1
                name = parts[name_idx] if name_idx >= 0 and not _PLZ_CITY.match(parts[name_idx]) else None
                joined = _NAME_THEN_STREET.match(street) if street and name_idx < 0 else None
                if joined:
                    name, street = joined.group("name"), joined.group("street")
                if name and ":" in name:
                    name = name.split(":", 1)[1].strip() or None
                found.append((InlineAddress(name, street, m.group("plz"), m.group("city"), seg, "inline address"),
                              line))  # fmt: skip
                break
    return found


def _parties(
    lines: Sequence[Line], pages: Sequence[PageInfo], log: ProtocolLog
) -> tuple[dict[str, Candidate | None], Candidate | None]:
    """Supplier (letterhead, sender line, footer) and recipient (address window) of the first page."""
    first = pages[0]
    blocks = _address_blocks(lines)
    inline = _inline_addresses(lines)
    # The address window of a letter: upper left of page 1, not at the very top (that is a letterhead), and
    # only on letter-sized pages (a till receipt has no window).
    upper_left = [b for b in blocks if b.page == 1 and 0.1 * first.height <= b.top < 0.45 * first.height
                  and b.x0 < 0.5 * first.width and first.width >= 400 and b.left_aligned]  # fmt: skip
    recipient_block = max(upper_left, key=lambda b: b.top) if upper_left else None
    sender_line = None
    if recipient_block is not None:
        above = [(a, ln) for a, ln in inline if ln.page == 1 and ln.bottom <= recipient_block.top + 1
                 and recipient_block.top - ln.bottom < 40]  # fmt: skip
        if above:
            sender_line = above[-1][0]

    supplier: dict[str, list[Candidate]] = {k: [] for k in ("name", "street", "postal_code", "city")}

    def add(key: str, value: str | None, conf: float, seg: Segment, source: str) -> None:
        if value:
            text = clean_text(value, capital=key in ("street", "city"), name=key == "name")
            supplier[key].append(Candidate(text, conf, seg.page, rounded(seg.bbox), source))

    for b in blocks:
        if b is recipient_block:
            continue
        footer = b.top > 0.75 * first.height
        where = "footer address block" if footer else "letterhead address block"
        conf = 0.75 if footer else 0.8
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
                if not _TITLE.match(s.text.strip()) and re.search(r"[A-Za-zÄÖÜäöü]{3}", s.text)]  # fmt: skip
    body = median(w.size or w.height for ln in lines for w in ln.words)
    if top_segs:
        biggest = max(top_segs, key=lambda s: s.size)
        if biggest.size >= 1.25 * body:
            conf = 0.75 if _LEGAL_FORM.search(biggest.text) else 0.55
            add("name", biggest.text, conf, biggest, "largest type at the top of page 1")

    chosen = {key: _choose(f"supplier_{key}", cands, log) for key, cands in supplier.items()}
    recipient = None
    if recipient_block is not None and recipient_block.name is not None:
        conf = 0.85 if sender_line is not None else 0.75
        seg = recipient_block.name
        recipient = Candidate(clean_text(seg.text, name=True), conf, seg.page, rounded(seg.bbox),
                              "first line of the address window")  # fmt: skip
    chosen_recipient = _choose("recipient_name", [recipient] if recipient else [], log)
    return chosen, chosen_recipient


# --- table lines ---------------------------------------------------------------------------------

_COLUMNS = {
    "position": re.compile(r"^(?:Pos\.?|Position|Nr\.?|#|Lfd\.?\s*Nr\.?)$", re.IGNORECASE),
    "description": re.compile(
        r"^(?:Beschreibung|Bezeichnung|Leistung|Leistungsbeschreibung|Artikel|Text|Description|Item|Service)$",
        re.IGNORECASE,
    ),
    "quantity": re.compile(r"^(?:Menge|Anzahl|Anz\.?|Stk\.?|Stück|Qty\.?|Quantity)$", re.IGNORECASE),
    "unit_price": re.compile(
        r"^(?:Einzelpreis|E-Preis|EP|Preis|Stückpreis|Unit\s+price|Price|Rate)(?:\s*\(?(?:€|EUR)\)?)?$",
        re.IGNORECASE,
    ),
    "net_amount": re.compile(
        r"^(?:Gesamt|Gesamtpreis|Betrag|Netto|Nettobetrag|Summe|GP|Amount|Total|Net\s+amount)(?:\s*\(?(?:€|EUR)\)?)?$",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True, slots=True)
class _Table:
    header: Line
    columns: dict[str, tuple[float, float]]


def _header_cells(segment: Segment, taken: set[str]) -> list[tuple[str, float, float]]:
    """Column headers in one cell: a whole cell, or several headers set too close to be split by the gap
    ("Pos. Beschreibung"), read greedily as the longest run of words that names a column."""
    words = segment.words
    found: list[tuple[str, float, float]] = []
    i = 0
    while i < len(words):
        for j in range(len(words), i, -1):
            text = " ".join(w.text for w in words[i:j])
            kind = next((k for k, p in _COLUMNS.items() if k not in taken and p.match(text)), None)
            if kind is not None:
                found.append((kind, words[i].bbox[0], words[j - 1].bbox[2]))
                taken.add(kind)
                i = j
                break
        else:
            return found if found else []
    return found


def _find_tables(lines: Sequence[Line]) -> list[_Table]:
    tables = []
    for line in lines:
        columns: dict[str, tuple[float, float]] = {}
        for seg in line.segments:
            for kind, x0, x1 in _header_cells(seg, set(columns)):
                columns[kind] = (x0, x1)
        if len(columns) >= 3 and "description" in columns and "net_amount" in columns:
            tables.append(_Table(line, columns))
    return tables


def _column_of(segment: Segment, columns: dict[str, tuple[float, float]]) -> str:
    """Text starts under its header's left edge, numbers end under its right edge (right-aligned)."""

    def distance(span: tuple[float, float]) -> float:
        return min(abs(segment.x0 - span[0]), abs(segment.x1 - span[1]))

    return min(columns, key=lambda k: distance(columns[k]))


def _table_lines(lines: Sequence[Line], log: ProtocolLog) -> tuple[list[InvoiceLineV1], set[int]]:
    """Rows under each table header until the totals; lines without amounts continue the row above."""
    result: list[InvoiceLineV1] = []
    used: set[int] = set()
    stop_labels = [*NET, *GROSS, *TAX]
    for table in _find_tables(lines):
        used.add(table.header.index)
        rows: list[tuple[dict[str, str], list[Line]]] = []
        last_bottom = table.header.bottom
        for line in lines[table.header.index + 1 :]:
            if line.page != table.header.page:
                break
            if line.top - last_bottom > 3.0 * line.height:
                break
            if any(lb.pattern.match(s.text) for s in line.segments[:2] for lb in stop_labels):
                break
            if _CARRY.match(line.text):
                used.add(line.index)
                break
            cells: dict[str, list[str]] = {}
            for seg in line.segments:
                cells.setdefault(_column_of(seg, table.columns), []).append(seg.text)
            texts = {k: " ".join(v) for k, v in cells.items()}
            has_amount = parse_amount(texts.get("net_amount", "")) is not None
            if has_amount:
                rows.append((texts, [line]))
            elif rows:
                rows[-1][1].append(line)
            else:
                continue
            used.add(line.index)
            last_bottom = line.bottom
        for texts, row_lines in rows:
            position = len(result) + 1
            pos_text = texts.get("position", "")
            if re.fullmatch(r"\d{1,4}\.?", pos_text.strip()):
                position = int(pos_text.strip().rstrip("."))
            box = rounded(union(ln.bbox for ln in row_lines))
            result.append(
                InvoiceLineV1(
                    position=max(position, 1),
                    description=texts.get("description", "").strip() or row_lines[0].text,
                    quantity=parse_quantity(texts.get("quantity", "")),
                    unit_price=parse_amount(texts.get("unit_price", "")),
                    net_amount=parse_amount(texts.get("net_amount", "")),
                    reference_text=" ".join(ln.text for ln in row_lines),
                    page=row_lines[0].page,
                    bbox=box,
                )
            )
        log.info(
            f"lines: table on page {table.header.page} with columns {', '.join(table.columns)}, {len(rows)} rows",
            header=table.header.text,
            rows=len(rows),
        )
    if not result:
        result = _receipt_lines(lines, used, log)
    if not result:
        log.info("lines: no table header and no receipt items found, no invoice lines read")
    return result, used


_RECEIPT_ITEM = re.compile(
    r"^(?P<desc>.*?)\s*(?P<qty>\d{1,4}(?:[.,]\d{1,3})?)\s*[xX×*]\s*(?P<price>\d{1,3}(?:[.,']\d{3})*[.,]\d{2})\b"
)


def _receipt_lines(lines: Sequence[Line], used: set[int], log: ProtocolLog) -> list[InvoiceLineV1]:
    """Till receipts have no table: an item is 'quantity x price' with the line amount at the right, its
    text on the same line or the line above; quantity times price must give the amount."""
    result: list[InvoiceLineV1] = []
    for line in lines:
        m = _RECEIPT_ITEM.match(line.text)
        if not m:
            continue
        quantity, price = parse_quantity(m.group("qty")), parse_amount(m.group("price"))
        amounts = find_amounts(line.text[m.end() :])
        if quantity is None or price is None or not amounts:
            continue
        total = amounts[-1][0]
        if abs((quantity * price).quantize(Decimal("0.01")) - total) > Decimal("0.01"):
            continue
        description = m.group("desc").strip()
        row = [line]
        if not description and line.index > 0:
            upper = lines[line.index - 1]
            wordy = re.search(r"[A-Za-zÄÖÜäöüß]{2}", upper.text)
            if upper.page == line.page and not find_amounts(upper.text) and wordy:
                description = upper.text
                row.insert(0, upper)
        if not description:
            continue
        used.update(ln.index for ln in row)
        result.append(
            InvoiceLineV1(
                position=len(result) + 1,
                description=description,
                quantity=quantity,
                unit_price=price,
                net_amount=total,
                reference_text=" ".join(ln.text for ln in row),
                page=line.page,
                bbox=rounded(union(ln.bbox for ln in row)),
            )
        )
    if result:
        log.info(f"lines: {len(result)} receipt items (quantity x price = amount)", rows=len(result))
    return result


# --- amounts -------------------------------------------------------------------------------------


def _amounts(lines: Sequence[Line], skip: set[int], log: ProtocolLog) -> dict[str, Candidate | None]:
    """Net, tax and gross; a combination where net + tax = gross beats higher single scores."""
    found = {
        name: _labelled(lines, labels, _parse_last_amount, skip=skip, rightmost=True)
        for name, labels in (("net_amount", NET), ("tax_amount", TAX), ("gross_amount", GROSS))
    }
    # Totals sit below the table; of equal labels the last one on the page is the sum.
    for name, cands in found.items():
        found[name] = [
            Candidate(c.value, min(0.99, c.confidence + 0.01 * i), c.page, c.bbox, c.source)
            for i, c in enumerate(cands)
        ]
    best: tuple[Candidate, Candidate, Candidate] | None = None
    for n in found["net_amount"]:
        for t in found["tax_amount"]:
            for g in found["gross_amount"]:
                values = (n.value, t.value, g.value)
                if all(isinstance(v, Decimal) for v in values) and amounts_consistent(*values):  # type: ignore[arg-type]
                    score = n.confidence + t.confidence + g.confidence
                    if best is None or score > sum(c.confidence for c in best):
                        best = (n, t, g)
    if best is not None:
        for name, pick in zip(("net_amount", "tax_amount", "gross_amount"), best, strict=True):
            rest = [c for c in found[name] if c.value != pick.value]
            found[name] = [pick, *rest] if pick.confidence >= max((c.confidence for c in rest), default=0) else [
                Candidate(pick.value, max(c.confidence for c in rest) + 0.01, pick.page, pick.bbox,
                          pick.source + ", fits net + tax = gross"), *rest]  # fmt: skip
    chosen = {name: _choose(name, cands, log) for name, cands in found.items()}
    net, tax, gross = chosen["net_amount"], chosen["tax_amount"], chosen["gross_amount"]
    # Two of three printed: the third follows, though with no place on the page.
    if net is None and tax is not None and gross is not None:
        chosen["net_amount"] = _derived("net_amount", Decimal(str(gross.value)) - Decimal(str(tax.value)), log)
    elif tax is None and net is not None and gross is not None:
        chosen["tax_amount"] = _derived("tax_amount", Decimal(str(gross.value)) - Decimal(str(net.value)), log)
    elif gross is None and net is not None and tax is not None:
        chosen["gross_amount"] = _derived("gross_amount", Decimal(str(net.value)) + Decimal(str(tax.value)), log)
    return chosen


def _derived(name: str, value: Decimal, log: ProtocolLog) -> Candidate:
    log.warning(f"{name}: not printed, derived from the other two amounts as {value}", field=name, value=value)
    return Candidate(value, 0.5, None, None, "derived")


# --- dates ---------------------------------------------------------------------------------------


_TERMS = re.compile(
    r"(?:innerhalb\s+(?:von\s+)?|binnen\s+|within\s+|Zahlungsziel:?\s*|Zahlungsbedingungen:?\s*|"
    r"Payment\s+terms:?\s*|(?:zahlbar|payable)\s+(?:in\s+)?)(\d{1,3})\s+(?:Tagen|Tage|days)",
    re.IGNORECASE,
)
# "innerhalb von 8 Tagen 2 % Skonto" is an early-payment discount, not the due date.
_DISCOUNT = re.compile(r"Skonto|discount|abzüglich\s+\d", re.IGNORECASE)


def _due_from_terms(lines: Sequence[Line], invoice_date: date | None) -> list[Candidate]:
    """'zahlbar innerhalb von 30 Tagen', 'Zahlungsziel: 30 Tage netto', 'Payment terms: 30 days net': the due
    date counted from the invoice date; terms of a cash discount (Skonto) are not the due date."""
    if invoice_date is None:
        return []
    found = []
    for line in lines:
        for seg in line.segments:
            if _DISCOUNT.search(seg.text):
                continue
            for m in _TERMS.finditer(seg.text):
                due = invoice_date + timedelta(days=int(m.group(1)))
                found.append(Candidate(due, 0.6, seg.page, _span_box(seg, m.start(), m.end()),
                                       f"payment terms {m.group()!r}"))  # fmt: skip
    return found


def _due_candidates(lines: Sequence[Line], invoice_date: date | None, log: ProtocolLog) -> list[Candidate]:
    """Labelled due dates that do not lie before the invoice date; without one, the payment terms."""
    cands = _labelled(lines, DUE_DATE, _parse_dates)
    if invoice_date is not None:
        early = [c for c in cands if isinstance(c.value, date) and c.value < invoice_date]
        if early:
            log.info(
                f"due_date: {', '.join(_show(c.value) for c in early)} passed over, before the invoice date "
                f"{invoice_date.isoformat()}",
                field="due_date",
            )
            cands = [c for c in cands if c not in early]
    return cands or _due_from_terms(lines, invoice_date)


def extract_fields(
    words: Sequence[Word], pages: Sequence[PageInfo], log: ProtocolLog, *, today: date | None = None
) -> tuple[InvoiceFieldsV1, list[InvoiceLineV1]]:
    """All fields and lines of an invoice from its positioned words, validated, with the protocol."""
    words = [_normalised(w) for w in words]
    lines = build_lines(words)
    if not lines or not pages:
        return InvoiceFieldsV1(), []
    invoice_lines, table_rows = _table_lines(lines, log)

    number = _choose("invoice_number", _labelled(lines, INVOICE_NUMBER, _parse_number), log)
    date_cands = _labelled(lines, INVOICE_DATE, _parse_dates)
    if not date_cands:
        date_cands = [Candidate(d, 0.35, ln.page, rounded(ln.bbox), "first date on page 1, unlabelled")
                      for ln in lines[:40] if ln.page == 1 for d, _, _ in find_dates(ln.text)][:1]  # fmt: skip
    invoice_date = _choose("invoice_date", date_cands, log)
    issued = invoice_date.value if invoice_date is not None and isinstance(invoice_date.value, date) else None
    due = _choose("due_date", _due_candidates(lines, issued, log), log)
    amounts = _amounts(lines, table_rows, log)
    currency = _currency(lines, list(amounts.values()), log)
    party, recipient = _parties(lines, pages, log)
    iban = _choose("supplier_iban", _id_candidates(lines, find_ibans, _IBAN_LABEL, "IBAN"), log)
    vat_cands = _id_candidates(lines, find_vat_ids, _VAT_LABEL, "VAT ID", not_inside=find_ibans)
    vat = _choose("supplier_vat_id", vat_cands, log)

    fields = InvoiceFieldsV1(
        invoice_number=_text_field(number),
        invoice_date=_date_field(invoice_date),
        due_date=_date_field(due),
        currency=_text_field(currency),
        net_amount=_amount_field(amounts["net_amount"]),
        tax_amount=_amount_field(amounts["tax_amount"]),
        gross_amount=_amount_field(amounts["gross_amount"]),
        supplier_name=_text_field(party["name"]),
        supplier_street=_text_field(party["street"]),
        supplier_postal_code=_text_field(party["postal_code"]),
        supplier_city=_text_field(party["city"]),
        supplier_iban=_text_field(iban),
        supplier_vat_id=_text_field(vat),
        recipient_name=_text_field(recipient),
    )
    return validate(fields, invoice_lines, log, today=today), invoice_lines
