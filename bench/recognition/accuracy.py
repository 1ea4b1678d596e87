"""Per-field exact-match accuracy of recognition, measured through the product's reader registry.

``python -m bench.recognition.accuracy`` measures

- the e-invoices in ``samples/einvoices/`` (truth read from the XML with plain XPath),
- born-digital PDFs from ``bench.recognition.devset`` (held-out seed, not the one rules were developed on),
- scans of those PDFs at 150/200/300 DPI and phone photos of the receipts (``bench.recognition.scans``),

each through ``default_registry()`` and ``recognition_to_json``, exactly as the product reads a file.
It prints one table per set, one row per field, and the key-field aggregate: the share of
(document, key field) pairs read exactly right, where the key fields are invoice number, invoice date,
gross, net and tax amount, currency, supplier IBAN, supplier VAT ID and supplier name. A field the
document does not state (a receipt's IBAN) counts as right only if the reader reports nothing.
A set no registered reader can read says so instead of showing figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from belegflow_ocr.errors import RecognitionError, UnsupportedMediaTypeError
from belegflow_ocr.recognition import default_registry, recognition_to_json, sniff_media_type
from belegflow_ocr.recognition.registry import ReaderRegistry
from bench.recognition import devset, scans

ROOT = Path(__file__).resolve().parents[2]
EINVOICES = ROOT / "samples" / "einvoices"
FIELDS = devset.FIELDS
KEY_FIELDS = devset.KEY_FIELDS
LINE_CHECKS = ("lines_count", "line_amounts")
AMOUNT_FIELDS = {"net_amount", "tax_amount", "gross_amount"}
DEVELOPMENT_SEED = 1
HELD_OUT_SEED = 2


# --- comparing ---------------------------------------------------------------------------------


def normalise(name: str, value: object) -> str | None:
    """The comparable form of a field value: amounts as two-decimal strings, IDs compact, text trimmed."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if name in AMOUNT_FIELDS:
        try:
            return format(Decimal(text).quantize(Decimal("0.01")), "f")
        except InvalidOperation:
            return text
    if name in ("supplier_iban", "supplier_vat_id", "invoice_number"):
        return "".join(text.split()).upper()
    return " ".join(text.split())


@dataclass
class FieldScore:
    right: int = 0
    total: int = 0
    found: int = 0
    stated: int = 0

    def add(self, ok: bool, found: bool, stated: bool) -> None:
        self.total += 1
        self.right += ok
        self.found += found and stated
        self.stated += stated

    @property
    def rate(self) -> float | None:
        return self.right / self.total if self.total else None


@dataclass
class Miss:
    file: str
    field: str
    want: str | None
    got: str | None


@dataclass
class SetResult:
    name: str
    documents: int = 0
    failed: int = 0
    status: str = ""
    fields: dict[str, FieldScore] = field(default_factory=lambda: {n: FieldScore() for n in (*FIELDS, *LINE_CHECKS)})
    by_group: dict[str, FieldScore] = field(default_factory=dict)
    misses: list[Miss] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> FieldScore:
        total = FieldScore()
        for name in KEY_FIELDS:
            s = self.fields[name]
            total.right += s.right
            total.total += s.total
            total.found += s.found
            total.stated += s.stated
        return total


def score_document(result: SetResult, truth: dict[str, Any], got: dict[str, Any], group: str) -> None:
    result.documents += 1
    group_score = result.by_group.setdefault(group, FieldScore())
    for name in FIELDS:
        want = normalise(name, truth["fields"].get(name))
        raw = got["fields"].get(name)
        have = normalise(name, raw["value"] if raw else None)
        ok = want == have
        result.fields[name].add(ok, have is not None, want is not None)
        if name in KEY_FIELDS:
            group_score.add(ok, have is not None, want is not None)
        if not ok:
            result.misses.append(Miss(str(truth.get("file")), name, want, have))
    want_lines = truth.get("lines")
    if want_lines is None:
        return
    got_lines = got.get("lines", [])
    count_ok = len(got_lines) == len(want_lines)
    result.fields["lines_count"].add(count_ok, bool(got_lines), bool(want_lines))
    want_amounts = [normalise("net_amount", ln.get("net_amount")) for ln in want_lines]
    got_amounts = [normalise("net_amount", ln.get("net_amount")) for ln in got_lines]
    amounts_ok = want_amounts == got_amounts
    result.fields["line_amounts"].add(amounts_ok, bool(got_lines), bool(want_lines))
    if not count_ok:
        result.misses.append(Miss(str(truth.get("file")), "lines_count", str(len(want_lines)), str(len(got_lines))))


# --- running the product -----------------------------------------------------------------------


def recognise(path: Path, registry: ReaderRegistry) -> dict[str, Any]:
    data = path.read_bytes()
    recognition = registry.recognize(data, filename=path.name)
    return recognition_to_json(recognition, file=str(path), sha256=hashlib.sha256(data).hexdigest())


def readable(paths: Sequence[Path], registry: ReaderRegistry) -> str | None:
    """None when some registered reader takes the first document; otherwise why none does."""
    if not paths:
        return "no documents"
    data = paths[0].read_bytes()
    media = sniff_media_type(data) or ""
    try:
        registry.select(data, media, filename=paths[0].name)
    except UnsupportedMediaTypeError:
        return f"no reader registered for {media or 'this type'}"
    return None


def run_set(name: str, docs: Iterable[tuple[Path, dict[str, Any], str]], registry: ReaderRegistry,
            *, unreadable_hint: str = "") -> SetResult:  # fmt: skip
    items = list(docs)
    result = SetResult(name)
    why = readable([p for p, _, _ in items], registry)
    if why is not None:
        result.status = why + (f" ({unreadable_hint})" if unreadable_hint else "")
        return result
    for path, truth, group in items:
        try:
            got = recognise(path, registry)
        except RecognitionError as exc:
            result.failed += 1
            result.errors.append(f"{path.name}: {exc}")
            got = {"fields": {}, "lines": []}
        score_document(result, truth, got, group)
    return result


def generated_docs(folder: Path) -> list[tuple[Path, dict[str, Any], str]]:
    docs = []
    for truth_file in sorted(folder.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        docs.append((folder / truth["file"], truth, str(truth.get("template", "?"))))
    return docs


# --- e-invoice truth from the XML ----------------------------------------------------------------


def _nodes(tree: etree._Element, path: str) -> list[etree._Element]:
    found = tree.xpath(path)
    return [n for n in found if isinstance(n, etree._Element)] if isinstance(found, list) else []


def _xp(tree: etree._Element, path: str) -> str | None:
    nodes = _nodes(tree, path)
    text = nodes[0].text if nodes else None
    return text.strip() if text is not None and text.strip() else None


def _l(*names: str) -> str:
    """An XPath over local names, so that namespace prefixes do not matter."""
    return "/".join(f"*[local-name()='{n}']" for n in names)


def _cii_date(text: str | None) -> str | None:
    if text is None or len(text) != 8 or not text.isdigit():
        return text
    return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()


def einvoice_truth(path: Path) -> dict[str, Any] | None:
    """Fields and lines of a UBL or CII invoice, read with XPath; None for XML that is neither."""
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    root = etree.QName(tree).localname
    f: dict[str, str | None]
    if root in ("Invoice", "CreditNote"):
        party = "/*/" + _l("AccountingSupplierParty", "Party")
        customer = _l("AccountingCustomerParty", "Party")
        vat = _l("CompanyID")
        currency = _xp(tree, "/*/" + _l("DocumentCurrencyCode"))
        f = {
            "invoice_number": _xp(tree, "/*/" + _l("ID")),
            "invoice_date": _xp(tree, "/*/" + _l("IssueDate")),
            "due_date": _xp(tree, "/*/" + _l("DueDate")) or _xp(tree, "/*/" + _l("PaymentMeans", "PaymentDueDate")),
            "currency": currency,
            "net_amount": _xp(tree, "/*/" + _l("LegalMonetaryTotal", "TaxExclusiveAmount")),
            "tax_amount": _xp(tree, f"/*/{_l('TaxTotal', 'TaxAmount')}[@currencyID='{currency}']"),
            "gross_amount": _xp(tree, "/*/" + _l("LegalMonetaryTotal", "TaxInclusiveAmount")),
            "supplier_name": _xp(tree, party + "/" + _l("PartyLegalEntity", "RegistrationName"))
            or _xp(tree, party + "/" + _l("PartyName", "Name")),
            "supplier_street": _xp(tree, party + "/" + _l("PostalAddress", "StreetName")),
            "supplier_postal_code": _xp(tree, party + "/" + _l("PostalAddress", "PostalZone")),
            "supplier_city": _xp(tree, party + "/" + _l("PostalAddress", "CityName")),
            "supplier_iban": _xp(tree, "/*/" + _l("PaymentMeans", "PayeeFinancialAccount", "ID")),
            "supplier_vat_id": _xp(tree, f"{party}/{_l('PartyTaxScheme')}[{_l('TaxScheme', 'ID')}='VAT']/{vat}"),
            "recipient_name": _xp(tree, f"/*/{customer}/{_l('PartyLegalEntity', 'RegistrationName')}")
            or _xp(tree, f"/*/{customer}/{_l('PartyName', 'Name')}"),
        }
        lines = _nodes(tree, "/*/*[local-name()='InvoiceLine' or local-name()='CreditNoteLine']")
        amounts = [_xp(ln, _l("LineExtensionAmount")) for ln in lines]
    elif root == "CrossIndustryInvoice":
        doc = "/*/" + _l("ExchangedDocument")
        trade = "/*/" + _l("SupplyChainTradeTransaction")
        settle = trade + "/" + _l("ApplicableHeaderTradeSettlement")
        seller = trade + "/" + _l("ApplicableHeaderTradeAgreement", "SellerTradeParty")
        totals = settle + "/" + _l("SpecifiedTradeSettlementHeaderMonetarySummation")
        currency = _xp(tree, settle + "/" + _l("InvoiceCurrencyCode"))
        terms = _l("SpecifiedTradePaymentTerms", "DueDateDateTime", "DateTimeString")
        # BT-84, the payment account: an IBAN or a proprietary account id, the first one stated.
        account = _l("SpecifiedTradeSettlementPaymentMeans", "PayeePartyCreditorFinancialAccount") + (
            "/*[local-name()='IBANID' or local-name()='ProprietaryID']"
        )
        buyer = _l("ApplicableHeaderTradeAgreement", "BuyerTradeParty", "Name")
        line_total = _l("SpecifiedLineTradeSettlement", "SpecifiedTradeSettlementLineMonetarySummation",
                        "LineTotalAmount")
        f = {
            "invoice_number": _xp(tree, doc + "/" + _l("ID")),
            "invoice_date": _cii_date(_xp(tree, doc + "/" + _l("IssueDateTime", "DateTimeString"))),
            "due_date": _cii_date(_xp(tree, f"{settle}/{terms}")),
            "currency": currency,
            "net_amount": _xp(tree, totals + "/" + _l("TaxBasisTotalAmount")),
            "tax_amount": _xp(tree, f"{totals}/{_l('TaxTotalAmount')}[@currencyID='{currency}']")
            or _xp(tree, totals + "/" + _l("TaxTotalAmount")),
            "gross_amount": _xp(tree, totals + "/" + _l("GrandTotalAmount")),
            "supplier_name": _xp(tree, seller + "/" + _l("Name")),
            "supplier_street": _xp(tree, seller + "/" + _l("PostalTradeAddress", "LineOne")),
            "supplier_postal_code": _xp(tree, seller + "/" + _l("PostalTradeAddress", "PostcodeCode")),
            "supplier_city": _xp(tree, seller + "/" + _l("PostalTradeAddress", "CityName")),
            "supplier_iban": _xp(tree, f"{settle}/{account}"),
            "supplier_vat_id": _xp(tree, f"{seller}/{_l('SpecifiedTaxRegistration', 'ID')}[@schemeID='VA']"),
            "recipient_name": _xp(tree, f"{trade}/{buyer}"),
        }
        lines = _nodes(tree, trade + "/" + _l("IncludedSupplyChainTradeLineItem"))
        amounts = [_xp(ln, line_total) for ln in lines]
    else:
        return None
    return {"file": path.name, "fields": f, "lines": [{"net_amount": a} for a in amounts]}


def einvoice_docs(folder: Path) -> list[tuple[Path, dict[str, Any], str]]:
    docs = []
    for path in sorted(folder.rglob("*.xml")):
        try:
            truth = einvoice_truth(path)
        except etree.XMLSyntaxError:
            continue
        if truth is not None:
            docs.append((path, truth, "ubl" if "ubl" in path.name.lower() or "/ubl/" in str(path) else "cii"))
    return docs


# --- reporting ---------------------------------------------------------------------------------


def _pct(score: FieldScore) -> str:
    return "n/a" if score.rate is None else f"{100 * score.rate:5.1f} %"


def table(result: SetResult) -> str:
    head = f"## {result.name}: "
    if result.status:
        return head + result.status + "\n"
    out = [head + f"{result.documents} documents" + (f", {result.failed} not readable" if result.failed else ""),
           "", "| field | exact | right / total | stated | found |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, s in result.fields.items():
        if s.total:
            out.append(f"| {name}{' *' if name in KEY_FIELDS else ''} | {_pct(s)} | {s.right} / {s.total} | "
                       f"{s.stated} | {s.found} |")  # fmt: skip
    k = result.key
    out.append(f"| **key fields** (*) | **{_pct(k)}** | {k.right} / {k.total} | {k.stated} | {k.found} |")
    return "\n".join(out) + "\n"


def group_table(result: SetResult) -> str:
    if result.status or not result.by_group:
        return ""
    out = [f"key fields of {result.name} by template:", "", "| template | key fields | right / total |",
           "|---|---:|---:|"]  # fmt: skip
    for group, s in sorted(result.by_group.items()):
        out.append(f"| {group} | {_pct(s)} | {s.right} / {s.total} |")
    return "\n".join(out) + "\n"


def to_json(results: Sequence[SetResult], meta: dict[str, object]) -> dict[str, object]:
    sets: dict[str, object] = {}
    for r in results:
        sets[r.name] = (
            {"status": r.status}
            if r.status
            else {
                "documents": r.documents,
                "not_readable": r.failed,
                "fields": {n: {"right": s.right, "total": s.total, "rate": s.rate} for n, s in r.fields.items()},
                "key_fields": {"right": r.key.right, "total": r.key.total, "rate": r.key.rate},
                "key_fields_by_template": {g: s.rate for g, s in r.by_group.items()},
            }
        )
    return {"meta": meta, "key_fields": list(KEY_FIELDS), "sets": sets}


KEY_DEFINITION = (
    "key fields (*) = " + ", ".join(KEY_FIELDS) + "; exact match after normalising (amounts to two decimals, "
    "IBAN/VAT ID/invoice number without spaces); a field the document does not state is right only if none is reported"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED,
                        help=f"devset seed (default {HELD_OUT_SEED}, held out; rules were developed on "
                             f"{DEVELOPMENT_SEED})")  # fmt: skip
    parser.add_argument("--count", type=int, default=70, help="generated invoices")
    parser.add_argument("--dpi", type=int, nargs="*", default=[150, 200, 300], help="scan resolutions")
    parser.add_argument("--scan-count", type=int, default=35, help="how many of the invoices are scanned")
    parser.add_argument("--sets", nargs="*", default=["einvoice", "born-digital", "scan", "photo"],
                        choices=["einvoice", "born-digital", "scan", "photo"])  # fmt: skip
    parser.add_argument("--einvoices", type=Path, default=EINVOICES)
    parser.add_argument("--work", type=Path, help="keep generated files here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong fields per set")
    args = parser.parse_args(argv)
    if args.count < 1 or args.scan_count < 0:
        parser.error("--count must be at least 1 and --scan-count not negative")
    if any(d < 50 or d > 600 for d in args.dpi):
        parser.error("--dpi values must lie between 50 and 600")

    registry = default_registry()
    results: list[SetResult] = []
    with tempfile.TemporaryDirectory(prefix="belegflow-accuracy-") as tmp:
        work = args.work or Path(tmp)
        born = work / f"born-digital-seed{args.seed}"
        if {"born-digital", "scan", "photo"} & set(args.sets):
            devset.generate(born, count=args.count, seed=args.seed)
        if "einvoice" in args.sets:
            docs = einvoice_docs(args.einvoices) if args.einvoices.is_dir() else []
            results.append(run_set("e-invoices (samples/einvoices)", docs, registry))
        if "born-digital" in args.sets:
            results.append(run_set(f"born-digital PDFs (seed {args.seed})", generated_docs(born), registry))
        if "scan" in args.sets:
            for dpi in args.dpi:
                folder = work / f"scan-{dpi}dpi"
                scans.scan_folder(born, folder, dpi=dpi, limit=args.scan_count, seed=args.seed)
                results.append(run_set(f"scans {dpi} DPI", generated_docs(folder), registry,
                                       unreadable_hint="no OCR reader"))  # fmt: skip
        if "photo" in args.sets:
            folder = work / "photos"
            scans.photo_folder(born, folder, seed=args.seed)
            results.append(run_set("phone photos of receipts", generated_docs(folder), registry,
                                   unreadable_hint="no OCR reader"))  # fmt: skip

    print(KEY_DEFINITION + "\n")
    for r in results:
        print(table(r))
        extra = group_table(r)
        if extra:
            print(extra)
        if args.misses:
            for m in r.misses[: args.misses]:
                print(f"  miss {m.file} {m.field}: want {m.want!r} got {m.got!r}")
            for e in r.errors[: args.misses]:
                print(f"  error {e}")
            print()
    if args.json:
        meta = {"seed": args.seed, "count": args.count, "dpi": args.dpi, "scan_count": args.scan_count,
                "key_definition": KEY_DEFINITION}  # fmt: skip
        args.json.write_text(json.dumps(to_json(results, meta), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
