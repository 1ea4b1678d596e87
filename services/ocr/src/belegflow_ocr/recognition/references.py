"""Header references and the parties' further identifiers: what the invoice is for and who is registered how.

* References the header states (``labels.REFERENCE_KINDS``): the buyer's order (BT-13, "Bestellnummer",
  "PO Number", "N° de commande"), the seller's order (BT-14, "Auftragsnummer"), the buyer's reference (BT-10,
  "Ihr Zeichen", "Your reference") and the shipment ("Sendungsnummer", "AWB", "B/L"). Their labels are part
  of the lexicon, so the longest label decides and none of their numbers is ever the invoice number; a value in
  the table's rows is a line's reference, not the header's.
* The recipient's VAT ID (BT-48): one after words that name the buyer ("Ihre USt-IdNr.", "Your VAT no.",
  "TVA client") or in the address window. The supplier's VAT ID is never one of these.
* The supplier's tax registration other than an EU VAT ID (BT-32): a German "Steuernummer", GST (Malaysia,
  Singapore, India's GSTIN), Malaysian SST, Australia's ABN (check digits).
* The supplier's company registration (BT-30): "CO. REG. NO", "(123456-X)" beside a shop's name, "HRB 12345",
  SIREN/SIRET.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from belegflow_ocr.recognition.candidates import Candidate, Value, below, choose, labelled, span_box
from belegflow_ocr.recognition.labels import REFERENCE_KINDS
from belegflow_ocr.recognition.layout import Line, Segment
from belegflow_ocr.recognition.model import BBox, ProtocolLog
from belegflow_ocr.recognition.parsing import find_amounts, find_dates, find_ibans, find_vat_ids
from belegflow_ocr.recognition.parties import is_recipients

# --- header references -----------------------------------------------------------------------------

_NOISE = re.compile(r"^(?:Nr|No|Nº|N°|n°|nº|Num|Nummer|Number|number|#|:|-|\.|/)\.?:?$")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/._]*")
_PREFIX = re.compile(r"^[A-Z]{1,5}$")
# a further group of the same reference: "1Z 999 AA1 01 2345 6784", "MSCU 123456 7", "4500 0123"
_GROUP = re.compile(r"^(?=.*\d)[A-Z0-9]{1,6}$")
_AMOUNT_LIKE = re.compile(r"^\d{1,3}(?:[.,]\d{3})*[.,]\d{2}$")


def parse_reference(text: str) -> list[tuple[Value, int, int]]:
    """A reference after its label: an optional short capital prefix ("PO 4711", "MSCU 123456 7"), a token with a
    digit and the digit groups that continue it, as printed. A date, an amount, an IBAN, a VAT ID or a plain
    word first is no reference."""
    dates = find_dates(text)
    start: int | None = None
    end = 0
    for m in re.finditer(r"\S+", text):
        raw = m.group()
        token = raw.strip(":#,;()")
        if start is None and (not token or _NOISE.match(raw)):
            continue
        lead = m.start() + len(raw) - len(raw.lstrip(":#,;()"))
        spoiled = (any(s <= m.start() < e for _, s, e in dates) or _AMOUNT_LIKE.match(token) is not None
                   or token.endswith("%") or not _TOKEN.fullmatch(token) or bool(find_vat_ids(token))
                   or bool(find_ibans(token)))  # fmt: skip
        digit = any(ch.isdigit() for ch in token)
        if start is None:
            if spoiled or not (digit or _PREFIX.match(token)):
                return []
            start = lead
        elif spoiled or not (_GROUP.match(token) or (digit and not any(ch.isdigit() for ch in text[start:end]))):
            break
        end = lead + len(token.rstrip("."))
    if start is None or not any(ch.isdigit() for ch in text[start:end]):
        return []
    return [(" ".join(text[start:end].split()), start, end)]


@dataclass(frozen=True, slots=True)
class Found:
    """What this module decided, each ``None`` where nothing was found."""

    order_reference: Candidate | None = None
    sales_order_reference: Candidate | None = None
    buyer_reference: Candidate | None = None
    shipment_reference: Candidate | None = None
    recipient_vat_id: Candidate | None = None
    supplier_vat_id: Candidate | None = None
    """The supplier's VAT ID as given, unless it was the recipient's (then the next best, or None)."""
    supplier_tax_number: Candidate | None = None
    supplier_registration_id: Candidate | None = None


# the labels of a purchase order a till receipt may print (a receipt's bare "ORDER NO" is the shop's own)
_PURCHASE_ORDER = re.compile(r"\bP\.? ?O\b|Purchase|Bestell|commande|pedido|ordine|Inkoop", re.IGNORECASE)


def header_references(
    lines: Sequence[Line], table_rows: set[int], log: ProtocolLog, *, invoice_number: Candidate | None = None,
    receipt: bool = False,
) -> dict[str, Candidate | None]:
    """The header's references, one per kind: each the best labelled value outside the table's rows. A value
    that is the invoice number is not taken again as a reference. A till receipt's "ORDER NO" is the shop's
    own order (a table, a queue number), no purchase order: there only a label that names the buyer counts."""
    chosen: dict[str, Candidate | None] = {}
    number = str(invoice_number.value).casefold() if invoice_number is not None else None
    for kind in REFERENCE_KINDS:
        found = [c for c in labelled(lines, kind, parse_reference, skip=table_rows)
                 if str(c.value).casefold() != number
                 and not (receipt and kind == "order_reference" and not _PURCHASE_ORDER.search(c.label))]
        chosen[kind] = choose(kind, found, log) if found else None
    return chosen


# --- the parties' VAT IDs ----------------------------------------------------------------------------


def recipient_vat_id(vat_candidates: Sequence[Candidate], log: ProtocolLog) -> Candidate | None:
    """The buyer's VAT ID: a candidate the parties' rules gave to the recipient (labelled as theirs, or in the
    address window), surer where a label names the buyer than where only the place does."""
    mine = [replace(c, confidence=0.9 if "window" not in c.source else 0.8) for c in vat_candidates
            if is_recipients(c)]  # fmt: skip
    return choose("recipient_vat_id", mine, log) if mine else None


def supplier_vat_id(
    chosen: Candidate | None, vat_candidates: Sequence[Candidate], recipient: Candidate | None, log: ProtocolLog
) -> Candidate | None:
    """The supplier's VAT ID, never the recipient's: where the decision fell on the recipient's ID (the only
    one printed, or printed again without a label), the best other candidate, else none."""
    if chosen is None:
        return None
    theirs = {str(recipient.value).casefold()} if recipient is not None else set()
    theirs |= {str(c.value).casefold() for c in vat_candidates if is_recipients(c)}
    if str(chosen.value).casefold() not in theirs:
        return chosen
    others = [c for c in vat_candidates if not is_recipients(c) and str(c.value).casefold() not in theirs]
    log.warning(f"supplier_vat_id: {chosen.value} is the recipient's VAT ID, not the supplier's"
                + ("" if others else " - left empty"), field="supplier_vat_id", value=str(chosen.value))
    return choose("supplier_vat_id", others, log) if others else None


# --- tax registrations other than an EU VAT ID (BT-32) ---------------------------------------------------

_NO = r"(?:NO|NUMBER|NUM|NR|#|ID)\.?"
_SEP = r"[\s.:#=]*"
# Malaysia's and Singapore's GST, Malaysia's SST: "GST REG NO : 000123456789", "(GST ID : ...)", "SST ID: ..."
_GST_LABEL = re.compile(
    rf"\b(?:GST|SST|GST/TAX|GST/SST)\s*(?:REG(?:ISTRATION|ISTERED)?\.?\s*(?:{_NO})?|REF\.?\s*{_NO}|{_NO})"
    rf"(?:{_SEP}{_NO})?{_SEP}",
    re.IGNORECASE,
)
# a bare "GST:" before twelve digits (Malaysia's GST number) is a registration, not a tax amount
_GST_BARE = re.compile(r"\bGST\s*[:.]?\s*(?=(?:\d\s?){11}\d(?![\d.,]))", re.IGNORECASE)
_GST_VALUE = re.compile(r"(?P<v>(?=(?:[A-Z\- ]*\d){6})[A-Z0-9](?:[A-Z0-9\-]|\s(?=\d{3,}\b)){5,19})(?![A-Z0-9])")
_ABN = re.compile(r"\bA\.?B\.?N\.?\s*[:#.]?\s*(?P<v>\d{2}\s?\d{3}\s?\d{3}\s?\d{3})(?!\d)")
_GSTIN = re.compile(r"(?<![A-Z0-9])(?P<v>\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z])(?![A-Z0-9])")
_GSTIN_LABEL = re.compile(r"\bGST\s*IN\b|\bGST\s*(?:No|Number)\b", re.IGNORECASE)
_STEUERNUMMER = re.compile(
    r"\b(?:Steuer\s*-?\s*(?:nummer|nr\.?)|St\.?\s*-?\s*Nr\.?)\s*[:.]?\s*(?P<v>\d{2,3}\s?/\s?\d{3,4}\s?/\s?\d{4,5}|"
    r"\d{10,13})(?!\d)",
    re.IGNORECASE,
)


def abn_ok(abn: str) -> bool:
    """The check of an Australian Business Number: first digit less one, weighted, sum mod 89."""
    digits = [int(d) for d in re.sub(r"\D", "", abn)]
    if len(digits) != 11:
        return False
    digits[0] -= 1
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 89 == 0


def _compact(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def tax_number_candidates(lines: Sequence[Line], recipient_area: tuple[int, BBox] | None = None) -> list[Candidate]:
    """The supplier's tax registrations that are no EU VAT ID, each after its label (or, a GSTIN, by its shape)."""
    found: list[Candidate] = []

    def add(value: str, conf: float, seg: Segment, start: int, end: int, source: str) -> None:
        if recipient_area is not None and _inside(seg.page, seg.bbox, recipient_area):
            return
        found.append(Candidate(_compact(value), conf, seg.page, span_box(seg, start, end), source))

    for line in lines:
        for seg in line.segments:
            text = seg.text
            for m in _ABN.finditer(text):
                ok = abn_ok(m.group("v"))
                add(m.group("v"), 0.95 if ok else 0.5, seg, m.start("v"), m.end("v"),
                    "ABN, check digits " + ("ok" if ok else "wrong"))
            for m in _GSTIN.finditer(text):
                labelled_ = bool(_GSTIN_LABEL.search(text[: m.start()]))
                add(m.group("v"), 0.95 if labelled_ else 0.8, seg, m.start("v"), m.end("v"),
                    "GSTIN label" if labelled_ else "GSTIN by its shape")
            for m in _STEUERNUMMER.finditer(text):
                add(m.group("v"), 0.9, seg, m.start("v"), m.end("v"), "Steuernummer label")
            if _GSTIN.search(text):
                continue
            labels = list(_GST_LABEL.finditer(text)) or list(_GST_BARE.finditer(text))
            for label in labels:
                value = _GST_VALUE.match(text, label.end())
                if value is not None and not find_amounts(value.group("v")):
                    add(value.group("v").strip(), 0.9, seg, value.start("v"), value.end("v"),
                        f"label {label.group().strip()!r}")
                elif not text[label.end() :].strip(" ()"):
                    # the label ends its cell: the number stands right of it, or under it
                    si = line.segments.index(seg)
                    right = [(s, "right of it", 0.85) for s in line.segments[si + 1 : si + 2]]
                    under = [(s, "below it", 0.8) for s in below(lines, line, seg, depth=1)]
                    for other, where, conf in [*right, *under]:
                        value = _GST_VALUE.match(other.text.lstrip("( "))
                        if value is not None and not find_amounts(value.group("v")):
                            off = other.text.index(value.group("v"))
                            add(value.group("v").strip(), conf, other, off, off + len(value.group("v")),
                                f"label {label.group().strip()!r}, {where}")
                            break
    return found


# --- company registration (BT-30) ---------------------------------------------------------------------

# Malaysia's company number: digits, a hyphen, a letter ("123456-X"; "(CO. NO:20154-T)"); the new twelve
# digits ("201901012345") before it are the same company.
_MY_COMPANY = r"(?:[A-Z]{2})?\d{3,12}-?[A-Z]"
_REG_LABEL = re.compile(
    r"\b(?:COMPANY|CO)\.?\s*(?:REG(?:ISTRATION)?\.?\s*)?(?:NO|NUMBER|#)?\.?\s*[:#.]?\s*\(?\s*"
    rf"(?P<v>{_MY_COMPANY}|\d{{6,10}}[A-Z]?)(?![A-Z0-9])|"
    r"\b(?:ROC|UEN|BRN|Company\s+Registration)\s*(?:NO\.?|Number)?\s*[:#.]?\s*(?P<w>[A-Z0-9]{6,12}-?[A-Z0-9]?)(?![A-Z0-9])",
    re.IGNORECASE,
)
_BRACKETED = re.compile(rf"\((?P<v>{_MY_COMPANY})\)")
_SHOP_FORM = re.compile(r"\b(?:SDN\.?\s*BHD|BHD|S/B|SB|ENTERPRISE|TRADING|PTE\.?\s*LTD|PLT|RESOURCES)\b",
                        re.IGNORECASE)
_REGISTER = re.compile(r"\b(?P<v>HR[AB]\s?\d{2,6}(?:\s?[A-Z]{1,2}\b)?)|"
                       r"\b(?:SIRE[NT]|RCS|KvK(?:-?nummer)?)\s*[:.]?\s*(?P<w>\d(?:\s?\d){8,13})(?!\d)",
                       re.IGNORECASE)


def registration_candidates(lines: Sequence[Line], recipient_area: tuple[int, BBox] | None = None) -> list[Candidate]:
    """The supplier's company registration: after its label, in brackets after a name with a legal form, or
    (a receipt) in brackets in the shop's header."""
    found: list[Candidate] = []
    for line in lines:
        for seg in line.segments:
            if recipient_area is not None and _inside(seg.page, seg.bbox, recipient_area):
                continue
            text = seg.text
            taken: list[tuple[int, int]] = []
            for m in _REG_LABEL.finditer(text):
                group = "v" if m.group("v") else "w"
                if find_amounts(m.group(group)):
                    continue
                found.append(Candidate(m.group(group).upper(), 0.9, seg.page, span_box(seg, m.start(group),
                                       m.end(group)), "company registration label"))  # fmt: skip
                taken.append(m.span())
            for m in _BRACKETED.finditer(text):
                if any(s <= m.start() < e for s, e in taken) or not re.search(r"\d{4}", m.group("v")):
                    continue
                named = bool(_SHOP_FORM.search(text[: m.start()])) or line.index < 4
                found.append(Candidate(m.group("v").upper(), 0.85 if named else 0.6, seg.page,
                                       span_box(seg, m.start("v"), m.end("v")),
                                       "in brackets after the name" if named else "in brackets"))  # fmt: skip
            for m in _REGISTER.finditer(text):
                group = "v" if m.group("v") else "w"
                value = " ".join(m.group(group).split()) if group == "v" else _compact(m.group(group))
                found.append(Candidate(value, 0.85, seg.page, span_box(seg, m.start(group), m.end(group)),
                                       "commercial register"))  # fmt: skip
    return found


def _inside(page: int, box: BBox, area: tuple[int, BBox]) -> bool:
    a_page, (x0, y0, x1, y1) = area
    mid_x, mid_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return page == a_page and x0 - 4 <= mid_x <= x1 + 40 and y0 - 30 <= mid_y <= y1 + 30


# --- all of it -------------------------------------------------------------------------------------


def read_references(
    lines: Sequence[Line],
    table_rows: set[int],
    log: ProtocolLog,
    *,
    vat_candidates: Sequence[Candidate],
    supplier_vat: Candidate | None,
    recipient_area: tuple[int, BBox] | None,
    invoice_number: Candidate | None = None,
    receipt: bool = False,
) -> Found:
    """Header references, the recipient's VAT ID, the supplier's VAT ID kept apart from it, and the supplier's
    tax and company registrations."""
    refs = header_references(lines, table_rows, log, invoice_number=invoice_number, receipt=receipt)
    buyer_vat = recipient_vat_id(vat_candidates, log)
    seller_vat = supplier_vat_id(supplier_vat, vat_candidates, buyer_vat, log)
    # a till receipt has no address window: an address block in its header is the shop's
    area = None if receipt else recipient_area
    taxes = tax_number_candidates(lines, area)
    tax = choose("supplier_tax_number", taxes, log) if taxes else None
    regs = [c for c in registration_candidates(lines, area)
            if tax is None or _compact(str(c.value)) != tax.value]  # fmt: skip
    registration = choose("supplier_registration_id", regs, log) if regs else None
    return Found(order_reference=refs["order_reference"], sales_order_reference=refs["sales_order_reference"],
                 buyer_reference=refs["buyer_reference"], shipment_reference=refs["shipment_reference"],
                 recipient_vat_id=buyer_vat, supplier_vat_id=seller_vat, supplier_tax_number=tax,
                 supplier_registration_id=registration)  # fmt: skip


__all__ = ["Found", "abn_ok", "parse_reference", "read_references", "registration_candidates",
           "tax_number_candidates"]
