"""The e-invoice corpus printed in house styles: the zoo's layouts filled with each XML's own values.

Every invoice and credit note of the corpus part of the seed (see ``bench.recognition.xrviz``) is drawn
with a zoo template in German, English or French: seller and buyer, number, dates, lines as the XML
states them (quantity, net price, line net amount, VAT rate), the totals block from BT-106, BT-107,
BT-108, BT-109, the VAT breakdown (BG-23), BT-110, BT-112, BT-113 and BT-115, and the seller's IBAN and
VAT ID in the footer. Nothing is recomputed, so the truth is the XML's (as for ``xrviz``).

``python -m bench.recognition.xrhouse --out DIR [--seed S] [--count N]``
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from bench.recognition import truthfile, world, xrviz, zoo
from bench.recognition.xrviz import _l, _nodes, _xp

LANGS = ("de", "en", "fr")


def _dec(text: str | None) -> Decimal:
    try:
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


@dataclass
class XmlItem(zoo.Item):
    amount: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.amount


@dataclass
class XmlInvoice(zoo.Invoice):
    """An invoice whose totals are the XML's, not recomputed."""

    x_lines_sum: Decimal = Decimal(0)
    x_net: Decimal = Decimal(0)
    x_tax: Decimal = Decimal(0)
    x_gross: Decimal = Decimal(0)
    x_payable: Decimal = Decimal(0)
    x_breakdown: tuple[tuple[Decimal, Decimal, Decimal], ...] = ()
    """(rate, taxable amount, tax) per VAT category."""

    @property
    def lines_sum(self) -> Decimal:
        return self.x_lines_sum

    def bases(self) -> dict[Decimal, Decimal]:
        out: dict[Decimal, Decimal] = {}
        for rate, base, _ in self.x_breakdown:
            out[rate] = out.get(rate, Decimal(0)) + base
        return out

    def taxes(self) -> dict[Decimal, Decimal]:
        out: dict[Decimal, Decimal] = {}
        for rate, _, tax in self.x_breakdown:
            out[rate] = out.get(rate, Decimal(0)) + tax
        return out

    @property
    def net(self) -> Decimal:
        return self.x_net

    @property
    def tax(self) -> Decimal:
        return self.x_tax

    @property
    def gross(self) -> Decimal:
        return self.x_gross

    @property
    def payable(self) -> Decimal:
        return self.x_payable


def _company(name: str | None, street: str | None, postal: str | None, city: str | None, country: str | None,
             vat: str | None = None, iban: str | None = None) -> world.Company:  # fmt: skip
    name = name or "-"
    return world.Company(
        name=name, short=name.split()[0].strip(",."), street=street or "", postal_code=postal or "",
        city=city or "", country=country or "", vat_id=vat or "", iban=iban or "", bic="", bank="", phone="",
        email="", web="", register="", manager="",
    )  # fmt: skip


def _date(text: str | None) -> date | None:
    if not text:
        return None
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def from_xml(tree: etree._Element, truth: dict[str, object], tpl: zoo.Template, stem: str) -> XmlInvoice | None:
    """The XML as an invoice to draw; None when it lacks what a printed invoice shows (a date, lines)."""
    f = truth["fields"]
    assert isinstance(f, dict)
    issued = _date(f["invoice_date"])
    if issued is None or f["gross_amount"] is None or f["net_amount"] is None:
        return None
    kind = truth["syntax"]
    items: list[zoo.Item] = []
    breakdown: list[tuple[Decimal, Decimal, Decimal]] = []
    if str(kind).startswith("ubl"):
        seller_p = "/*/" + _l("AccountingSupplierParty", "Party")
        buyer_p = "/*/" + _l("AccountingCustomerParty", "Party")
        addr = _l("PostalAddress")
        seller_country = _xp(tree, f"{seller_p}/{addr}/{_l('Country', 'IdentificationCode')}")
        buyer = _company(f["recipient_name"] or _xp(tree, f"{buyer_p}/{_l('PartyName', 'Name')}"),
                         _xp(tree, f"{buyer_p}/{addr}/{_l('StreetName')}"),
                         _xp(tree, f"{buyer_p}/{addr}/{_l('PostalZone')}"),
                         _xp(tree, f"{buyer_p}/{addr}/{_l('CityName')}"),
                         _xp(tree, f"{buyer_p}/{addr}/{_l('Country', 'IdentificationCode')}"))  # fmt: skip
        totals = "/*/" + _l("LegalMonetaryTotal")
        lines_sum = _dec(_xp(tree, f"{totals}/{_l('LineExtensionAmount')}"))
        allowance = _dec(_xp(tree, f"{totals}/{_l('AllowanceTotalAmount')}"))
        charge = _dec(_xp(tree, f"{totals}/{_l('ChargeTotalAmount')}"))
        payable = _dec(_xp(tree, f"{totals}/{_l('PayableAmount')}"))
        for sub in _nodes(tree, "/*/" + _l("TaxTotal", "TaxSubtotal")):
            breakdown.append((_dec(_xp(sub, _l("TaxCategory", "Percent"))), _dec(_xp(sub, _l("TaxableAmount"))),
                              _dec(_xp(sub, _l("TaxAmount")))))  # fmt: skip
        for n in _nodes(tree, "/*/*[local-name()='InvoiceLine' or local-name()='CreditNoteLine']"):
            qty = _dec(_xp(n, "*[local-name()='InvoicedQuantity' or local-name()='CreditedQuantity']"))
            items.append(XmlItem(_xp(n, _l("Item", "Name")) or "-", qty, _dec(_xp(n, _l("Price", "PriceAmount"))),
                                 _dec(_xp(n, _l("Item", "ClassifiedTaxCategory", "Percent"))),
                                 _dec(_xp(n, _l("LineExtensionAmount")))))  # fmt: skip
    else:
        trade = "/*/" + _l("SupplyChainTradeTransaction")
        agreement = trade + "/" + _l("ApplicableHeaderTradeAgreement")
        settle = trade + "/" + _l("ApplicableHeaderTradeSettlement")
        seller_country = _xp(tree, f"{agreement}/{_l('SellerTradeParty', 'PostalTradeAddress', 'CountryID')}")
        b_addr = f"{agreement}/{_l('BuyerTradeParty', 'PostalTradeAddress')}"
        buyer = _company(f["recipient_name"], _xp(tree, f"{b_addr}/{_l('LineOne')}"),
                         _xp(tree, f"{b_addr}/{_l('PostcodeCode')}"), _xp(tree, f"{b_addr}/{_l('CityName')}"),
                         _xp(tree, f"{b_addr}/{_l('CountryID')}"))  # fmt: skip
        totals = settle + "/" + _l("SpecifiedTradeSettlementHeaderMonetarySummation")
        lines_sum = _dec(_xp(tree, f"{totals}/{_l('LineTotalAmount')}"))
        allowance = _dec(_xp(tree, f"{totals}/{_l('AllowanceTotalAmount')}"))
        charge = _dec(_xp(tree, f"{totals}/{_l('ChargeTotalAmount')}"))
        payable = _dec(_xp(tree, f"{totals}/{_l('DuePayableAmount')}"))
        for sub in _nodes(tree, f"{settle}/{_l('ApplicableTradeTax')}"):
            breakdown.append((_dec(_xp(sub, _l("RateApplicablePercent"))), _dec(_xp(sub, _l("BasisAmount"))),
                              _dec(_xp(sub, _l("CalculatedAmount")))))  # fmt: skip
        for n in _nodes(tree, trade + "/" + _l("IncludedSupplyChainTradeLineItem")):
            price = _xp(n, _l("SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount"))
            rate = _xp(n, _l("SpecifiedLineTradeSettlement", "ApplicableTradeTax", "RateApplicablePercent"))
            amount = _xp(n, _l("SpecifiedLineTradeSettlement", "SpecifiedTradeSettlementLineMonetarySummation",
                               "LineTotalAmount"))  # fmt: skip
            items.append(XmlItem(_xp(n, _l("SpecifiedTradeProduct", "Name")) or "-",
                                 _dec(_xp(n, _l("SpecifiedLineTradeDelivery", "BilledQuantity"))), _dec(price),
                                 _dec(rate), _dec(amount)))  # fmt: skip
    if not items or not breakdown:
        return None
    seller = _company(str(f["supplier_name"] or ""), f["supplier_street"], f["supplier_postal_code"],
                      f["supplier_city"], seller_country, f["supplier_vat_id"], f["supplier_iban"])
    gross = _dec(str(f["gross_amount"]))
    doc_type = f["document_type"]
    due = _date(f["due_date"]) if f["due_date"] else None
    inv = XmlInvoice(
        stem=stem, tpl=tpl, kind=doc_type if doc_type in ("credit_note", "correction") else "invoice",
        number=str(f["invoice_number"]), issued=issued, due=due, terms_days=0, delivered=issued, ordered=issued,
        printed=issued, currency=str(f["currency"] or "EUR"), seller=seller, buyer=buyer, buyer_vat=None,
        customer_no="", order_no="", items=items, allowance=allowance, charge=charge, prepaid=gross - payable,
        print_terms=False, x_lines_sum=lines_sum, x_net=_dec(str(f["net_amount"])),
        x_tax=_dec(str(f["tax_amount"])) if f["tax_amount"] else Decimal(0), x_gross=gross, x_payable=payable,
        x_breakdown=tuple(breakdown),
    )  # fmt: skip
    return inv


def _template(rng: random.Random, part: str) -> zoo.Template:
    """A zoo template of the part in German, English or French, without invented distractors."""
    while True:
        tpl = zoo.template(part, rng.randrange(zoo.TEMPLATES))
        if tpl.lang in LANGS:
            return replace(tpl, distractors=frozenset(d for d in tpl.distractors if d in ("carry", "page_total")))


def generate(out: Path, *, seed: int, count: int | None = None, corpora: Path = xrviz.CORPORA) -> list[Path]:
    truthfile.check_count(count)
    if not corpora.is_dir():
        raise FileNotFoundError(f"no e-invoice corpus at {corpora}")
    part = truthfile.part_of_seed(seed)
    files = {str(p.relative_to(corpora)): p for p in xrviz.corpus_files(corpora)}
    chosen = truthfile.pick([n for n in files if truthfile.corpus_part(n) == part], seed, None)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in chosen:
        if count is not None and len(written) >= count:
            break
        tree = xrviz.parse(files[name])
        truth = xrviz.xml_truth(tree)
        if truth is None:
            continue
        rng = random.Random(f"xrhouse-{seed}-{name}")
        stem = "xrhouse-" + files[name].stem.replace(".", "-")
        inv = from_xml(tree, truth, _template(rng, part), stem)
        if inv is None:
            continue
        path = out / f"{stem}.pdf"
        drawer = zoo.Draw(inv, path, random.Random(f"xrhouse-draw-{seed}-{name}"))
        pages = drawer.draw()
        if pages > 1:
            drawer = zoo.Draw(inv, path, random.Random(f"xrhouse-draw-{seed}-{name}"), pages)
            pages = drawer.draw()
        truthfile.write(out, stem, {
            "file": path.name, "set": "xrhouse", "part": part, "template": inv.tpl.name, "lang": inv.tpl.lang,
            "pages": pages, "origin": name, "fields": truth["fields"], "lines": truth["lines"],
        })  # fmt: skip
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=truthfile.HELD_OUT_SEED)
    parser.add_argument("--count", type=int, help="at most this many files of the part (default: all)")
    parser.add_argument("--corpora", type=Path, default=xrviz.CORPORA)
    args = parser.parse_args(argv)
    try:
        paths = generate(args.out, seed=args.seed, count=args.count, corpora=args.corpora)
    except (ValueError, FileNotFoundError) as exc:
        parser.error(str(exc))
    print(f"{len(paths)} e-invoices in house styles with truth in {args.out}")


if __name__ == "__main__":
    main()
