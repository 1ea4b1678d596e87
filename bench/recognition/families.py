"""The development corpora as documents with truth and a layout family, and their words, read once and cached.

Families are what a model must generalise across: a publisher's template with its revisions is one family,
a generator's template is one, receipts are grouped by shop. Leave-one-family-out training and scoring
(``bench.recognition.lofo``) never lets a model see the family it is scored on.

Sources (all development data, none of the held-out public corpora):

- ``real-layouts`` invoices (``../shared/corpora/real-layouts/invoices``): born-digital PDFs read by their text
  layer (their embedded XML is the truth, never read by the extractor here).
- ``real-layouts`` receipts: photographed and scanned till receipts read by the OCR engine.
- ``real-layouts`` invoices as scans (``real_invoice_scans``): each page rendered at 200 DPI and degraded as a
  flatbed scan (skew, blur, noise, JPEG; ``bench.recognition.scans``), read by the OCR engine, with the same truth
  and in the same family as the PDF it was made from, so that a family is left out in both forms at once.
- generated families (``bench.recognition.sources`` output folders): each template of the zoo and the devset is
  a family of its own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from belegflow_ocr.recognition.model import PageInfo, Word

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
REAL_LAYOUTS = SHARED / "corpora" / "real-layouts"
CACHE = ROOT / "out" / "recognition-cache"

INVOICE_KEYS = ("invoice_number", "invoice_date", "net_amount", "gross_amount", "supplier_iban", "supplier_vat_id")
RECEIPT_KEYS = ("supplier_name", "invoice_date", "gross_amount")
SCORED = ("invoice_number", "invoice_date", "due_date", "net_amount", "tax_amount", "gross_amount", "supplier_iban",
          "supplier_vat_id", "supplier_name")
"""Fields each document is scored on where its truth names them; a value read where the truth has none (or where
the page does not show it) is only an error when it is read as sure."""

_VISIBLE = {"invoice_number": "invoice_number", "invoice_date": "issue_date", "due_date": "due_date",
            "net_amount": "net_total", "tax_amount": "tax_total", "gross_amount": "gross_total",
            "supplier_iban": "iban", "supplier_vat_id": "seller_vat_id", "supplier_name": "seller_name"}


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    family: str
    kind: str
    """``invoice`` or ``receipt``."""
    path: Path
    truth: dict[str, frozenset[str]]
    """Field -> the normalised values that are right; a field missing here is not stated (or not visible)."""
    keys: tuple[str, ...]


@dataclass(slots=True)
class Page:
    words: list[Word] = field(default_factory=list)
    pages: list[PageInfo] = field(default_factory=list)


# --- comparable values -------------------------------------------------------------------------------


def norm(name: str, value: object) -> str | None:
    """The comparable form: amounts to the cent, dates ISO, IDs compact and capitalised, names alphanumeric."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if name.endswith("_amount"):
        try:
            return format(abs(Decimal(text.replace(",", ""))).quantize(Decimal("0.01")), "f")
        except InvalidOperation:
            return None
    if name in ("supplier_iban", "supplier_vat_id", "invoice_number"):
        return re.sub(r"\s+", "", text).upper()
    if name == "supplier_name":
        return re.sub(r"[^0-9a-z]+", "", text.casefold()) or None
    return text


_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                       "DEC"), start=1)}  # fmt: skip


def receipt_date(text: str) -> str | None:
    """A SROIE key date (day first, as printed: 19/10/2018, 23-01-2019, 18/03/18, 28 MAR 18, 2018-03-05)."""
    t = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", t):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})", t):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif m := re.fullmatch(r"(\d{1,2})[- ]?([A-Z]{3})[A-Z]*[- ,]*(\d{2,4})", t):
        d, mo, y = int(m[1]), _MONTHS.get(m[2], 0), int(m[3])
    else:
        return None
    y += 2000 if y < 100 else 0
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


# --- the sources -------------------------------------------------------------------------------------


def invoice_family(layout_id: str) -> str:
    """The four FNFE template revisions are one publisher's template: one family."""
    return "fnfe" if layout_id.startswith("fnfe-") else layout_id


def real_invoices(root: Path = REAL_LAYOUTS) -> list[Doc]:
    docs = []
    for raw in (root / "expected_fields.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        visible = rec.get("visible_in_text_layer") or {}
        truth: dict[str, frozenset[str]] = {}
        unscored: set[str] = set()
        for name, key in _VISIBLE.items():
            if visible.get(key) is False:
                # The page does not show the XML's value: an IBAN or VAT ID it does not print is right as
                # nothing; any other field (a page that disagrees with its XML) is not scored.
                if name not in ("supplier_iban", "supplier_vat_id"):
                    unscored.add(name)
                continue
            value = rec.get(key)
            values = value if isinstance(value, list) else [value]
            normed = {n for v in values if (n := norm(name, v)) is not None}
            if normed:
                truth[name] = frozenset(normed)
            elif visible.get(key) is None and name in ("supplier_iban", "supplier_vat_id"):
                # The XML names none, and nobody checked the page: pages print IBANs and VAT IDs their XML leaves
                # out (a minimum profile has no IBAN), so nothing is not known to be right here.
                unscored.add(name)
        if "supplier_name" in truth and rec.get("seller_name") in ("LE FOURNISSEUR", "SELLER TRADE NAME"):
            truth.pop("supplier_name")  # a placeholder, printed as a logo caption as often as a name
        docs.append(Doc(id=rec["file"], family=invoice_family(rec["layout_id"]), kind="invoice",
                        path=root / rec["file"], truth=truth,
                        keys=tuple(k for k in INVOICE_KEYS if k not in unscored)))  # fmt: skip
    return docs


def real_receipts(root: Path = REAL_LAYOUTS / "receipts") -> list[Doc]:
    docs = []
    for raw in (root / "index.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        index, image, key, *_ = raw.split("\t")
        truth_raw = json.loads((root / key).read_text(encoding="utf-8"))
        truth: dict[str, frozenset[str]] = {}
        if (name := norm("supplier_name", truth_raw.get("company"))) is not None:
            truth["supplier_name"] = frozenset({name})
        if (day := receipt_date(str(truth_raw.get("date", "")))) is not None:
            truth["invoice_date"] = frozenset({day})
        total = re.sub(r"[^0-9.,]", "", str(truth_raw.get("total", "")))
        if (amount := norm("gross_amount", total)) is not None:
            truth["gross_amount"] = frozenset({amount})
        shop = norm("supplier_name", truth_raw.get("company")) or f"receipt-{index}"
        docs.append(Doc(id=f"receipts/{index}", family=f"shop:{shop}", kind="receipt", path=root / image,
                        truth=truth, keys=RECEIPT_KEYS))  # fmt: skip
    return docs


SCANS = ROOT / "out" / "real-scans"
SCAN_DPI = 200


def real_invoice_scans(docs: Iterable[Doc], out: Path = SCANS, *, dpi: int = SCAN_DPI) -> list[Doc]:
    """The real invoices as paper scans: the same truth, the same family, read by OCR instead of a text layer.

    Each scan is made once (a seed per document: the same file every time) under ``out``; one page is a JPEG, more
    pages an image-only PDF (no text layer, so the OCR engine reads it as it would a scanner's PDF)."""
    import random
    import time

    from bench.recognition.scans import degrade_scan, render_pages

    scans = []
    for doc in docs:
        if doc.kind != "invoice" or doc.family.startswith("gen:"):
            continue
        stem = re.sub(r"[^0-9A-Za-z._-]+", "_", doc.id.removesuffix(".pdf"))
        multi = out / f"{stem}-{dpi}dpi.pdf"
        single = out / f"{stem}-{dpi}dpi.jpg"
        target = multi if multi.is_file() else single
        if not target.is_file():
            rng = random.Random(f"real-{dpi}-{doc.id}")
            pages = [degrade_scan(page, rng, dpi)[0] for page in render_pages(doc.path, dpi)]
            out.mkdir(parents=True, exist_ok=True)
            if len(pages) == 1:
                target = single
                pages[0].save(target, "JPEG", quality=92, dpi=(dpi, dpi))
            else:
                target = multi
                pages[0].save(target, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi),
                              creationDate=time.gmtime(0), modDate=time.gmtime(0))  # the same bytes every time
        scans.append(Doc(id=f"scan{dpi}:{doc.id}", family=doc.family, kind="invoice", path=target, truth=doc.truth,
                         keys=doc.keys))  # fmt: skip
    return scans


def generated(folder: Path) -> list[Doc]:
    """A generated set (``bench.recognition.sources``): each template is a family."""
    docs = []
    for truth_file in sorted(folder.rglob("*.truth.json")):
        rec = json.loads(truth_file.read_text(encoding="utf-8"))
        doc_path = truth_file.parent / str(rec.get("file", ""))
        if not doc_path.is_file():
            continue
        receipt = rec.get("kind") == "receipt" or (rec.get("fields") or {}).get("document_type") == "receipt"
        truth = {n: frozenset({v}) for n in SCORED if (v := norm(n, (rec.get("fields") or {}).get(n))) is not None}
        docs.append(Doc(id=str(doc_path.relative_to(folder)), family=f"gen:{rec.get('template')}",
                        kind="receipt" if receipt else "invoice", path=doc_path, truth=truth,
                        keys=RECEIPT_KEYS if receipt else INVOICE_KEYS))  # fmt: skip
    return docs


# --- words, read once --------------------------------------------------------------------------------


def _reader_for(data: bytes) -> Any:
    """The reader the product picks (never the embedded XML: that is the truth): the product's own selection
    among the text layer reader and OCR, so a PDF without a usable text layer (a scanner's image-only PDF) goes to
    OCR as it does in the product."""
    from belegflow_ocr.recognition.ocr.engines import current_options
    from belegflow_ocr.recognition.ocr.reader import OcrReader
    from belegflow_ocr.recognition.pdftext import PdfTextReader
    from belegflow_ocr.recognition.registry import ReaderRegistry
    from belegflow_ocr.recognition.sniff import sniff_media_type

    registry = ReaderRegistry([PdfTextReader, lambda: OcrReader(current_options())])
    factory, _ = registry.select(data, sniff_media_type(data) or "")
    return factory()


@lru_cache(maxsize=1)
def reader_code() -> bytes:
    """A digest of the source of the readers that make words (the OCR package and the text layer reader)."""
    import belegflow_ocr.recognition.ocr as ocr_package
    from belegflow_ocr.recognition import pdftext

    files = [*sorted(Path(ocr_package.__file__).parent.glob("*.py")), Path(pdftext.__file__)]
    digest = hashlib.sha256()
    for source in files:
        digest.update(source.name.encode() + source.read_bytes())
    return digest.digest()


def read_words(doc: Doc, cache: Path = CACHE) -> Page:
    """The document's positioned words and pages, as the product's reader sees them (cached by content)."""
    from belegflow_ocr.recognition.ocr.engines import current_options

    data = doc.path.read_bytes()
    # by content, by every OCR option (a frozen dataclass: another model set or resolution reads other words) and
    # by the readers' code (a change to how words are split or repaired reads again)
    key = hashlib.sha256(data + repr(current_options()).encode() + reader_code()).hexdigest()[:24]
    cached = cache / f"{key}.json"
    if cached.is_file():
        raw = json.loads(cached.read_text(encoding="utf-8"))
    else:
        with _reader_for(data) as reader:
            rec = reader.read(data, filename=doc.path.name)
        raw = {"reader": rec.reader, "pages": [[p.number, p.width, p.height] for p in rec.pages],
               "words": [[w.text, w.page, list(w.bbox), w.size, w.confidence] for w in rec.words]}  # fmt: skip
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(raw), encoding="utf-8")
    return Page(words=[Word(t, p, (b[0], b[1], b[2], b[3]), s, c) for t, p, b, s, c in raw["words"]],
                pages=[PageInfo(n, w, h) for n, w, h in raw["pages"]])  # fmt: skip


def families(docs: Iterable[Doc]) -> dict[str, list[Doc]]:
    out: dict[str, list[Doc]] = {}
    for d in docs:
        out.setdefault(d.family, []).append(d)
    return out


def folds(docs: Sequence[Doc], *, groups: int) -> list[list[str]]:
    """Families dealt into ``groups`` folds, largest first, each to the lightest fold (deterministic): every
    family is scored by a model trained without it."""
    fams = sorted(families(docs).items(), key=lambda kv: (-len(kv[1]), kv[0]))
    out: list[list[str]] = [[] for _ in range(max(1, min(groups, len(fams))))]
    sizes = [0] * len(out)
    for name, members in fams:
        i = sizes.index(min(sizes))
        out[i].append(name)
        sizes[i] += len(members)
    return out
