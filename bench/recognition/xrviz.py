"""E-invoices printed by the official XRechnung visualisation, with the XML as truth.

Every UBL Invoice, UBL CreditNote and UN/CEFACT CII file in the corpus folder (default
``../shared/corpora`` beside the repository) goes through KoSIT's stylesheets
(``../shared/tools/xrechnung-visualization``, used from there): ``ubl-invoice-xr.xsl``,
``ubl-creditnote-xr.xsl`` or ``cii-xr.xsl`` to the semantic model, ``xrechnung-html.xsl`` to the
viewer HTML in German or English, and WeasyPrint prints the HTML to PDF as a browser would without
JavaScript (overview, details and supplements tabs shown, as the viewer's own print does). Page widths
vary by seed. The truth is read from the XML: BT-1, BT-2, BT-3 (document type), BT-5, BT-9,
BT-109/110/112, the seller's BT-27, BT-35, BT-38, BT-37, BT-31, BT-84 and the buyer's BT-44.

The corpus is split by a hash of the file name: one file in three is held out. The development seed
prints the development part, any other seed the held-out part.

``python -m bench.recognition.xrviz --out DIR [--seed S] [--count N]``
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from bench.recognition import truthfile

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
VISUALISATION = ROOT.parent / "shared" / "tools" / "xrechnung-visualization"
LANGS = ("de", "en")
PAGE_WIDTHS_MM = (280, 310, 340)
"""The viewer is a screen layout: printed on a wider page scaled to A4, its boxes do not wrap values."""

CREDIT_NOTE_CODES = {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
CORRECTION_CODES = {"384", "471", "472", "473"}


def document_type(code: str | None, root: str) -> str:
    """BT-3 as a document type: credit notes and corrections by UNTDID 1001 code, the rest invoices."""
    if code in CREDIT_NOTE_CODES or (code is None and root == "CreditNote"):
        return "credit_note"
    if code in CORRECTION_CODES:
        return "correction"
    return "invoice"


# --- truth from the XML ------------------------------------------------------------------------------


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


def parse(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def syntax(tree: etree._Element) -> str | None:
    """ubl-invoice, ubl-creditnote, cii or None."""
    return {"Invoice": "ubl-invoice", "CreditNote": "ubl-creditnote", "CrossIndustryInvoice": "cii"}.get(
        etree.QName(tree).localname
    )


def xml_truth(tree: etree._Element) -> dict[str, Any] | None:
    """Fields and lines of a UBL or CII invoice or credit note; None for XML that is neither."""
    kind = syntax(tree)
    if kind is None:
        return None
    lines: list[dict[str, str | None]] = []
    if kind.startswith("ubl"):
        top = "/*/"
        party = top + _l("AccountingSupplierParty", "Party")
        buyer = top + _l("AccountingCustomerParty", "Party")
        currency = _xp(tree, top + _l("DocumentCurrencyCode"))
        code = _xp(tree, top + _l("InvoiceTypeCode")) or _xp(tree, top + _l("CreditNoteTypeCode"))
        totals = top + _l("LegalMonetaryTotal")
        values: dict[str, object] = {
            "invoice_number": _xp(tree, top + _l("ID")),
            "invoice_date": _xp(tree, top + _l("IssueDate")),
            "due_date": _xp(tree, top + _l("DueDate")) or _xp(tree, top + _l("PaymentMeans", "PaymentDueDate")),
            "currency": currency,
            "net_amount": truthfile.money(_xp(tree, totals + "/" + _l("TaxExclusiveAmount"))),
            "tax_amount": truthfile.money(_xp(tree, f"{top}{_l('TaxTotal', 'TaxAmount')}[@currencyID='{currency}']")),
            "gross_amount": truthfile.money(_xp(tree, totals + "/" + _l("TaxInclusiveAmount"))),
            "supplier_name": _xp(tree, party + "/" + _l("PartyLegalEntity", "RegistrationName")),
            "supplier_street": _xp(tree, party + "/" + _l("PostalAddress", "StreetName")),
            "supplier_postal_code": _xp(tree, party + "/" + _l("PostalAddress", "PostalZone")),
            "supplier_city": _xp(tree, party + "/" + _l("PostalAddress", "CityName")),
            "supplier_iban": truthfile.compact(_xp(tree, top + _l("PaymentMeans", "PayeeFinancialAccount", "ID"))),
            "supplier_vat_id": truthfile.compact(
                _xp(tree, f"{party}/{_l('PartyTaxScheme')}[{_l('TaxScheme', 'ID')}='VAT']/{_l('CompanyID')}")
            ),
            "recipient_name": _xp(tree, buyer + "/" + _l("PartyLegalEntity", "RegistrationName")),
            "document_type": document_type(code, etree.QName(tree).localname),
        }
        for n in _nodes(tree, "/*/*[local-name()='InvoiceLine' or local-name()='CreditNoteLine']"):
            lines.append({
                "position": _xp(n, _l("ID")),
                "description": _xp(n, _l("Item", "Name")),
                "quantity": _xp(n, "*[local-name()='InvoicedQuantity' or local-name()='CreditedQuantity']"),
                "unit_price": _xp(n, _l("Price", "PriceAmount")),
                "net_amount": truthfile.money(_xp(n, _l("LineExtensionAmount"))),
            })  # fmt: skip
    else:
        doc = "/*/" + _l("ExchangedDocument")
        trade = "/*/" + _l("SupplyChainTradeTransaction")
        settle = trade + "/" + _l("ApplicableHeaderTradeSettlement")
        seller = trade + "/" + _l("ApplicableHeaderTradeAgreement", "SellerTradeParty")
        buyer = trade + "/" + _l("ApplicableHeaderTradeAgreement", "BuyerTradeParty")
        totals = settle + "/" + _l("SpecifiedTradeSettlementHeaderMonetarySummation")
        currency = _xp(tree, settle + "/" + _l("InvoiceCurrencyCode"))
        account = _l("SpecifiedTradeSettlementPaymentMeans", "PayeePartyCreditorFinancialAccount") + (
            "/*[local-name()='IBANID' or local-name()='ProprietaryID']"
        )
        address = seller + "/" + _l("PostalTradeAddress")
        values = {
            "invoice_number": _xp(tree, doc + "/" + _l("ID")),
            "invoice_date": _cii_date(_xp(tree, doc + "/" + _l("IssueDateTime", "DateTimeString"))),
            "due_date": _cii_date(
                _xp(tree, settle + "/" + _l("SpecifiedTradePaymentTerms", "DueDateDateTime", "DateTimeString"))
            ),
            "currency": currency,
            "net_amount": truthfile.money(_xp(tree, totals + "/" + _l("TaxBasisTotalAmount"))),
            "tax_amount": truthfile.money(
                _xp(tree, f"{totals}/{_l('TaxTotalAmount')}[@currencyID='{currency}']")
                or _xp(tree, f"{totals}/{_l('TaxTotalAmount')}[not(@currencyID)]")
            ),
            "gross_amount": truthfile.money(_xp(tree, totals + "/" + _l("GrandTotalAmount"))),
            "supplier_name": _xp(tree, seller + "/" + _l("Name")),
            "supplier_street": _xp(tree, address + "/" + _l("LineOne")),
            "supplier_postal_code": _xp(tree, address + "/" + _l("PostcodeCode")),
            "supplier_city": _xp(tree, address + "/" + _l("CityName")),
            "supplier_iban": truthfile.compact(_xp(tree, f"{settle}/{account}")),
            "supplier_vat_id": truthfile.compact(
                _xp(tree, f"{seller}/{_l('SpecifiedTaxRegistration', 'ID')}[@schemeID='VA']")
            ),
            "recipient_name": _xp(tree, buyer + "/" + _l("Name")),
            "document_type": document_type(_xp(tree, doc + "/" + _l("TypeCode")), "CrossIndustryInvoice"),
        }
        line_total = _l("SpecifiedLineTradeSettlement", "SpecifiedTradeSettlementLineMonetarySummation",
                        "LineTotalAmount")  # fmt: skip
        for n in _nodes(tree, trade + "/" + _l("IncludedSupplyChainTradeLineItem")):
            lines.append({
                "position": _xp(n, _l("AssociatedDocumentLineDocument", "LineID")),
                "description": _xp(n, _l("SpecifiedTradeProduct", "Name")),
                "quantity": _xp(n, _l("SpecifiedLineTradeDelivery", "BilledQuantity")),
                "unit_price": _xp(n, _l("SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount")),
                "net_amount": truthfile.money(_xp(n, line_total)),
            })  # fmt: skip
    return {"syntax": kind, "fields": truthfile.fields(**values), "lines": lines}


def corpus_files(corpora: Path) -> list[Path]:
    """Every UBL or CII invoice or credit note under ``corpora``, sorted."""
    found = []
    for path in sorted(corpora.rglob("*.xml")):
        try:
            tree = parse(path)
        except etree.XMLSyntaxError:
            continue
        if syntax(tree) is not None:
            found.append(path)
    return found


# --- printing ----------------------------------------------------------------------------------------


@dataclass
class Printer:
    """The two XSLT steps (compiled once) and the HTML-to-PDF step."""

    xsl: Path
    _proc: Any = None
    _sheets: dict[str, Any] | None = None

    def to_html(self, xml: Path, kind: str, lang: str) -> str:
        assert self._proc is not None
        assert self._sheets is not None
        model = self._sheets[kind].transform_to_string(source_file=str(xml))
        html_sheet = self._sheets["html"]
        html_sheet.set_parameter("lang", self._proc.make_string_value(lang))
        return str(html_sheet.transform_to_string(xdm_node=self._proc.parse_xml(xml_text=model)))

    def to_pdf(self, html: str, target: Path, width_mm: int) -> None:
        import weasyprint  # type: ignore[import-untyped, unused-ignore]

        height_mm = round(width_mm * 297 / 210)
        css = weasyprint.CSS(string=(
            f"@page {{ size: {width_mm}mm {height_mm}mm; margin: 14mm }}"
            " #details, #zusaetze { display: block !important }"
        ))  # fmt: skip
        weasyprint.HTML(string=html, base_url=str(self.xsl) + "/").write_pdf(
            str(target), stylesheets=[css], zoom=210 / width_mm
        )


@contextmanager
def printer(visualisation: Path) -> Iterator[Printer]:
    xsl = visualisation / "src" / "xsl"
    if not (xsl / "xrechnung-html.xsl").is_file():
        raise FileNotFoundError(f"no XRechnung visualisation at {visualisation} (src/xsl/xrechnung-html.xsl)")
    try:
        from saxonche import PySaxonProcessor  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("saxonche is not installed: make devset-tools installs it") from exc
    with PySaxonProcessor(license=False) as proc:
        xslt = proc.new_xslt30_processor()
        sheets = {
            "ubl-invoice": xslt.compile_stylesheet(stylesheet_file=str(xsl / "ubl-invoice-xr.xsl")),
            "ubl-creditnote": xslt.compile_stylesheet(stylesheet_file=str(xsl / "ubl-creditnote-xr.xsl")),
            "cii": xslt.compile_stylesheet(stylesheet_file=str(xsl / "cii-xr.xsl")),
            "html": xslt.compile_stylesheet(stylesheet_file=str(xsl / "xrechnung-html.xsl")),
        }
        yield Printer(xsl, proc, sheets)


def pdf_pages(path: Path) -> int:
    import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


def generate(out: Path, *, seed: int, count: int | None = None, corpora: Path = CORPORA,
             visualisation: Path = VISUALISATION, langs: Sequence[str] = LANGS) -> list[Path]:  # fmt: skip
    """Prints the corpus part of ``seed`` (``count`` files of it, all when None) into ``out``."""
    truthfile.check_count(count)
    if not corpora.is_dir():
        raise FileNotFoundError(f"no e-invoice corpus at {corpora}")
    bad = set(langs) - set(LANGS)
    if bad or not langs:
        raise ValueError(f"languages must be among {', '.join(LANGS)} (got {', '.join(langs) or 'none'})")
    part = truthfile.part_of_seed(seed)
    files = {str(p.relative_to(corpora)): p for p in corpus_files(corpora)}
    chosen = truthfile.pick([n for n in files if truthfile.corpus_part(n) == part], seed, count)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with printer(visualisation) as pr:
        for name in sorted(chosen):
            path = files[name]
            truth = xml_truth(parse(path))
            assert truth is not None
            rng = random.Random(f"xrviz-{seed}-{name}")
            lang, width = rng.choice(list(langs)), rng.choice(PAGE_WIDTHS_MM)
            stem = "xrviz-" + path.stem.replace(".", "-") + f"-{lang}"
            target = out / f"{stem}.pdf"
            try:
                pr.to_pdf(pr.to_html(path, str(truth["syntax"]), lang), target, width)
            except Exception as exc:  # a stylesheet error on one corpus file is reported, not fatal
                print(f"xrviz: {name} not printed: {exc}", file=sys.stderr)
                continue
            truthfile.write(out, stem, {
                "file": target.name, "set": "xrviz", "part": part, "template": f"kosit-{truth['syntax']}",
                "lang": lang, "pages": pdf_pages(target), "origin": name, "page_width_mm": width,
                "fields": truth["fields"], "lines": truth["lines"],
            })  # fmt: skip
            written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the PDFs and truth files")
    parser.add_argument("--seed", type=int, default=truthfile.HELD_OUT_SEED)
    parser.add_argument("--count", type=int, help="at most this many files of the part (default: all)")
    parser.add_argument("--corpora", type=Path, default=CORPORA, help=f"e-invoice folder (default {CORPORA})")
    parser.add_argument("--visualisation", type=Path, default=VISUALISATION)
    parser.add_argument("--lang", action="append", choices=LANGS, help="only these viewer languages")
    args = parser.parse_args(argv)
    try:
        paths = generate(args.out, seed=args.seed, count=args.count, corpora=args.corpora,
                         visualisation=args.visualisation, langs=args.lang or LANGS)  # fmt: skip
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        parser.error(str(exc))
    print(f"{len(paths)} printed e-invoices with truth in {args.out}")


if __name__ == "__main__":
    main()
