"""Every public e-invoice in samples/einvoices reads as its XML states, and UBL/CII twins read alike.

The expected values come from plain XPath over the file (the EN 16931 syntax bindings), written here
independently of the readers; the readers must return exactly those values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from belegflow_ocr.recognition import Recognition, default_registry

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "einvoices"
FILES = sorted(p for p in SAMPLES.rglob("*") if p.suffix.lower() == ".xml")

UBL = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
UBL_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote",
}
CII_ROOT = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"


def _root(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def _xpath(root: etree._Element, expr: str, ns: dict[str, str]) -> str | None:
    value = root.xpath(f"normalize-space({expr})", namespaces=ns)
    assert isinstance(value, str)
    return value or None


def _getter(root: etree._Element, ns: dict[str, str]) -> Callable[[str], str | None]:
    def get(expr: str) -> str | None:
        return _xpath(root, expr, ns)

    return get


def _elements(root: etree._Element, expr: str, ns: dict[str, str]) -> list[etree._Element]:
    found = root.xpath(expr, namespaces=ns)
    assert isinstance(found, list)
    return [e for e in found if isinstance(e, etree._Element)]


def _amount(text: str | None) -> Decimal | None:
    return Decimal(text) if text else None


def _compact(text: str | None) -> str | None:
    return re.sub(r"\s", "", text).upper() if text else None


# UNTDID 1001: the codes EN 16931 uses for credit notes and for corrected invoices.
CREDIT_CODES = {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
CORRECTION_CODES = {"384", "471", "472", "473"}


def _kind(code: str | None, *, credit_root: bool = False) -> str:
    if credit_root or code in CREDIT_CODES:
        return "credit_note"
    return "correction" if code in CORRECTION_CODES else "invoice"


def expected(path: Path) -> dict[str, object]:
    """The fields as the XML states them, by the EN 16931 syntax bindings (UBL 2.1 / CII D16B)."""
    root = _root(path)
    if root.tag in UBL_ROOTS:
        x = _getter(root, UBL)
        seller = "/*/cac:AccountingSupplierParty/cac:Party"
        due = x("/*/cbc:DueDate")
        if root.tag.endswith("CreditNote") and not due:
            due = x("/*/cac:PaymentMeans/cbc:PaymentDueDate")
        return {
            "invoice_number": x("/*/cbc:ID"),
            "invoice_date": date.fromisoformat(x("/*/cbc:IssueDate") or ""),
            "due_date": date.fromisoformat(due) if due else None,
            "currency": x("/*/cbc:DocumentCurrencyCode"),
            "net_amount": _amount(x("/*/cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")),
            "tax_amount": _amount(x("/*/cac:TaxTotal/cbc:TaxAmount[@currencyID = /*/cbc:DocumentCurrencyCode]")),
            "gross_amount": _amount(x("/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")),
            "supplier_name": x(f"{seller}/cac:PartyLegalEntity/cbc:RegistrationName"),
            "supplier_street": x(f"{seller}/cac:PostalAddress/cbc:StreetName"),
            "supplier_postal_code": x(f"{seller}/cac:PostalAddress/cbc:PostalZone"),
            "supplier_city": x(f"{seller}/cac:PostalAddress/cbc:CityName"),
            "supplier_vat_id": _compact(x(f"{seller}/cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID")),
            "supplier_iban": _compact(x("(/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID)[1]")),
            "recipient_name": x("/*/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName"),
            "document_type": _kind(x("/*/cbc:InvoiceTypeCode | /*/cbc:CreditNoteTypeCode"),
                                   credit_root=root.tag.endswith("CreditNote")),
        }
    assert root.tag == CII_ROOT
    x = _getter(root, CII)
    tx = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
    seller = f"{tx}/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
    settlement = f"{tx}/ram:ApplicableHeaderTradeSettlement"
    sums = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    account = f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount"
    due = x(f"({settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString)[1]")
    issue = x("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
    return {
        "invoice_number": x("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID"),
        "invoice_date": datetime.strptime(issue or "", "%Y%m%d").date(),
        "due_date": datetime.strptime(due, "%Y%m%d").date() if due else None,
        "currency": x(f"{settlement}/ram:InvoiceCurrencyCode"),
        "net_amount": _amount(x(f"{sums}/ram:TaxBasisTotalAmount")),
        "tax_amount": _amount(
            x(f"{sums}/ram:TaxTotalAmount[not(@currencyID) or @currencyID = {settlement}/ram:InvoiceCurrencyCode]")
        ),
        "gross_amount": _amount(x(f"{sums}/ram:GrandTotalAmount")),
        "supplier_name": x(f"{seller}/ram:Name"),
        "supplier_street": x(f"{seller}/ram:PostalTradeAddress/ram:LineOne"),
        "supplier_postal_code": x(f"{seller}/ram:PostalTradeAddress/ram:PostcodeCode"),
        "supplier_city": x(f"{seller}/ram:PostalTradeAddress/ram:CityName"),
        "supplier_vat_id": _compact(x(f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")),
        "supplier_iban": _compact(x(f"({account}/*[self::ram:IBANID or self::ram:ProprietaryID])[1]")),
        "recipient_name": x(f"{tx}/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/ram:Name"),
        "document_type": _kind(x("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode")),
    }


def _recognize(path: Path) -> Recognition:
    return default_registry().recognize(path.read_bytes(), filename=path.name)


# Read from PDFs and scans only so far; an e-invoice's BT-13 reaches accrual as a header reference.
NOT_FROM_XML = frozenset({"order_reference", "sales_order_reference", "buyer_reference", "shipment_reference",
                          "recipient_vat_id", "supplier_tax_number", "supplier_registration_id"})


def _values(result: Recognition) -> dict[str, object]:
    return {
        name: (None if getattr(result.fields, name) is None else getattr(result.fields, name).value)
        for name in type(result.fields).model_fields if name not in NOT_FROM_XML
    }


def test_the_corpus_is_there() -> None:
    # The samples live in the repository so a fresh clone runs these tests.
    assert len(FILES) >= 100
    assert (SAMPLES / "xrechnung-testsuite" / "LICENSE").is_file()
    assert (SAMPLES / "en16931-examples" / "LICENSE.txt").is_file()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SAMPLES)) for p in FILES])
def test_every_einvoice_reads_as_its_xml_states(path: Path) -> None:
    root = _root(path)
    if root.tag not in UBL_ROOTS and root.tag != CII_ROOT:
        pytest.skip(f"{root.tag} is not an invoice or credit note")
    # GIVEN the values the XML states, by plain XPath
    truth = expected(path)
    # WHEN the default registry recognises the file
    result = _recognize(path)
    # THEN the e-invoice reader read it, and every field is exactly what the XML says (None where absent)
    assert result.reader == "einvoice-xml"
    assert _values(result) == truth
    for name in ("invoice_number", "invoice_date", "currency", "supplier_name", "gross_amount"):
        assert truth[name] is not None, f"{name} missing in {path.name}"
    # each field read carries confidence 1.0 and no place on a page, and the protocol names its XML path
    for name, value in truth.items():
        field = getattr(result.fields, name)
        if value is not None:
            assert (field.confidence, field.page, field.bbox) == (1.0, None, None)
            entry = next(e for e in result.protocol if e.data.get("field") == name)
            assert entry.data["path"].startswith("/"), entry
    assert result.einvoice is not None
    assert result.einvoice["number"] == truth["invoice_number"]


@dataclass(frozen=True)
class Twin:
    ubl: Path
    cii: Path


TWINS = [
    Twin(p, p.with_name(p.name.replace("_ubl.xml", "_uncefact.xml")))
    for p in FILES
    if p.name.endswith("_ubl.xml") and p.with_name(p.name.replace("_ubl.xml", "_uncefact.xml")).exists()
]


def _line_description_xpath(path: Path) -> list[str | None]:
    root = _root(path)
    if root.tag in UBL_ROOTS:
        lines = _elements(root, "/*/cac:InvoiceLine | /*/cac:CreditNoteLine", UBL)
        return [_xpath(ln, "cac:Item/cbc:Description", UBL) for ln in lines]
    lines = _elements(root, "//rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem", CII)
    return [_xpath(ln, "ram:SpecifiedTradeProduct/ram:Description", CII) for ln in lines]


def test_the_twins_are_found() -> None:
    # The XRechnung test suite gives (almost) every case in both syntaxes under one number.
    assert len(TWINS) >= 35


@pytest.mark.parametrize("twin", TWINS, ids=[t.ubl.name.removesuffix("_ubl.xml") for t in TWINS])
def test_ubl_and_cii_twins_give_identical_fields_and_lines(twin: Twin) -> None:
    # GIVEN the same invoice in UBL and in CII
    ubl, cii = _recognize(twin.ubl), _recognize(twin.cii)
    truth_ubl, truth_cii = expected(twin.ubl), expected(twin.cii)
    # THEN every field the two files state alike is read alike (a few test files really differ, e.g. a
    # VAT ID; there each side must still equal its own XML)
    same = [name for name in truth_ubl if truth_ubl[name] == truth_cii[name]]
    assert len(same) >= 10
    values_ubl, values_cii = _values(ubl), _values(cii)
    for name in same:
        assert values_ubl[name] == values_cii[name], name
    assert values_ubl == truth_ubl
    assert values_cii == truth_cii
    # AND the lines agree: position, description, quantity, price and net amount; references as sets
    assert len(ubl.lines) == len(cii.lines) >= 1
    descriptions = zip(_line_description_xpath(twin.ubl), _line_description_xpath(twin.cii), strict=False)
    for a, b, (desc_a, desc_b) in zip(ubl.lines, cii.lines, descriptions, strict=False):
        assert (a.position, a.description, a.quantity, a.unit_price, a.net_amount) == (
            b.position, b.description, b.quantity, b.unit_price, b.net_amount,
        )  # fmt: skip
        parts_a, parts_b = set(a.reference_text.split(" | ")), set(b.reference_text.split(" | "))
        if desc_a != desc_b:  # the files' item descriptions differ: compare the rest
            parts_a.discard(desc_a or "")
            parts_b.discard(desc_b or "")
        assert parts_a == parts_b
    assert ubl.einvoice is not None
    assert cii.einvoice is not None
    assert ubl.einvoice["syntax"] == "UBL 2.1"
    assert cii.einvoice["syntax"] == "UN/CEFACT CII D16B"
    assert ubl.einvoice["profile"] == cii.einvoice["profile"]
