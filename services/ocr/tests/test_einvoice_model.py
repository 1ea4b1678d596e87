# ruff: noqa: E501 - the XML below keeps one element per line, as real e-invoices do
"""The neutral e-invoice model: profiles, credit notes, ZUGFeRD 1.0, parties, payment, tax and lines."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from belegflow_contracts.messages import Level
from belegflow_ocr.errors import UnsafeXmlError
from belegflow_ocr.recognition import default_registry
from belegflow_ocr.recognition.einvoice import EInvoice, Syntax, parse_einvoice
from belegflow_ocr.worker import RecognitionPool

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "einvoices"
XR = SAMPLES / "xrechnung-testsuite" / "src" / "test"
CEN = SAMPLES / "en16931-examples"


def _read(path: Path) -> EInvoice:
    return parse_einvoice(path.read_bytes(), filename=path.name)


def _cii(guideline: str, *, type_code: str = "380", lines: str = "") -> bytes:
    """A small CII invoice (the MINIMUM / BASIC WL shape: header, seller, buyer, totals) for one guideline."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext>
  <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
  <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{guideline}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument>
  <ram:ID>FX-2024-17</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>
  <ram:IssueDateTime><udt:DateTimeString format="102">20240229</udt:DateTimeString></ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>{lines}
  <ram:ApplicableHeaderTradeAgreement>
   <ram:BuyerReference>LEITWEG-1</ram:BuyerReference>
   <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name>
    <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE 123 456 789</ram:ID></ram:SpecifiedTaxRegistration>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>Kunde AG</ram:Name></ram:BuyerTradeParty>
   <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>PO-77</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>119.00</ram:GrandTotalAmount>
    <ram:DuePayableAmount>119.00</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


PROFILES = [
    ("urn:factur-x.eu:1p0:minimum", "MINIMUM"),
    ("urn:factur-x.eu:1p0:basicwl", "BASIC WL"),
    ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "BASIC"),
    ("urn:cen.eu:en16931:2017", "EN16931"),
    ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "EXTENDED"),
    ("urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:extended", "EXTENDED"),
    ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", "XRECHNUNG"),
    ("urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3", "XRECHNUNG"),
    ("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0#conformant#"
     "urn:xeinkauf.de:kosit:extension:xrechnung_3.0", "XRECHNUNG EXTENSION"),
    ("urn:example:unknown", None),
]  # fmt: skip


@pytest.mark.parametrize(("guideline", "profile"), PROFILES, ids=[p[1] or "unknown" for p in PROFILES])
def test_every_cii_profile_is_told_and_read(guideline: str, profile: str | None) -> None:
    # GIVEN a CII invoice in the shape of the smallest profiles (no lines)
    result = default_registry().recognize(_cii(guideline), filename="factur-x.xml")
    # THEN the profile is told from the guideline, and the fields the profile carries are read
    assert result.einvoice is not None
    assert result.einvoice["profile"] == profile
    assert result.einvoice["customization_id"] == guideline
    assert result.fields.invoice_number is not None
    assert result.fields.invoice_number.value == "FX-2024-17"
    assert result.fields.supplier_vat_id is not None
    assert result.fields.supplier_vat_id.value == "DE123456789"
    assert result.fields.gross_amount is not None
    assert result.fields.gross_amount.value == Decimal("119.00")
    assert result.lines == []
    described = next(e for e in result.protocol if e.data.get("syntax"))
    assert described.data["customization_id"] == guideline
    assert described.data["profile"] == (profile or "")


def test_ubl_credit_note_is_said_to_be_one_and_keeps_its_amounts_as_stated() -> None:
    # GIVEN the CEN UBL credit note
    path = CEN / "ubl" / "examples" / "ubl-tc434-creditnote1.xml"
    result = default_registry().recognize(path.read_bytes(), filename=path.name)
    # THEN the protocol warns that it is a credit note, and the amounts are the document's (positive)
    assert result.einvoice is not None
    assert result.einvoice["is_credit_note"] is True
    assert result.einvoice["document_kind"] == "credit note"
    warning = next(e for e in result.protocol if e.data.get("document_kind") == "credit note" and e.level == Level.WARNING)
    assert "not negated" in warning.message
    assert result.fields.gross_amount is not None
    assert result.fields.gross_amount.value == Decimal("100.11")
    assert [line.net_amount for line in result.lines] == [Decimal("100.11")]
    assert result.lines[0].quantity is not None


def test_cii_type_code_381_is_a_credit_note() -> None:
    invoice = parse_einvoice(_cii("urn:cen.eu:en16931:2017", type_code="381"), filename="cn.xml")
    assert invoice.is_credit_note
    assert invoice.type_code == "381"
    assert invoice.totals.gross == Decimal("119.00")


def test_an_invoice_is_not_a_credit_note() -> None:
    invoice = parse_einvoice(_cii("urn:cen.eu:en16931:2017"), filename="inv.xml")
    assert not invoice.is_credit_note
    assert invoice.document_kind == "invoice"


def test_header_details_of_the_rich_case_read_alike_in_ubl_and_cii() -> None:
    # GIVEN XRechnung case 02.01 (tax currency, payee, tax representative, allowances, charges, two rates)
    ubl = _read(XR / "business-cases" / "standard" / "02.01a-INVOICE_ubl.xml")
    cii = _read(XR / "business-cases" / "standard" / "02.01a-INVOICE_uncefact.xml")
    # THEN both syntaxes give the same neutral model for these parts
    assert (ubl.syntax, cii.syntax) == (Syntax.UBL, Syntax.CII)
    for attr in ("number", "type_code", "issue_date", "due_date", "tax_point_date", "delivery_date", "currency",
                 "tax_currency", "buyer_reference", "project_reference", "contract_reference", "order_reference",
                 "sales_order_reference", "tax_breakdown", "allowances_charges", "payment_means", "lines"):  # fmt: skip
        assert getattr(_no_sources(ubl), attr) == getattr(_no_sources(cii), attr), attr
    assert ubl.totals.tax_total_in_tax_currency == cii.totals.tax_total_in_tax_currency is not None
    assert ubl.payee is not None
    assert cii.payee is not None
    assert ubl.payee.name == cii.payee.name == "[Payee name]"
    assert ubl.tax_representative is not None
    assert cii.tax_representative is not None
    assert ubl.tax_representative.vat_id == cii.tax_representative.vat_id
    assert [n.text for n in ubl.notes] == [n.text for n in cii.notes]
    assert [n.subject_code for n in ubl.notes] == [n.subject_code for n in cii.notes]
    # and the tax breakdown adds up to the tax total
    assert sum((t.tax or Decimal(0) for t in ubl.tax_breakdown), Decimal(0)) == ubl.totals.tax_total
    assert len(ubl.tax_breakdown) == 2


def _no_sources(invoice: EInvoice) -> EInvoice:
    return dataclasses.replace(
        invoice,
        lines=tuple(dataclasses.replace(ln, source="") for ln in invoice.lines),
        sources={},
        raw={},
        root="",
        syntax=Syntax.UBL,
    )


def test_ubl_sub_lines_nest_under_their_parent_and_their_references_reach_the_line() -> None:
    # GIVEN an XRechnung extension invoice with sub-lines (cac:SubInvoiceLine)
    invoice = _read(XR / "business-cases" / "extension" / "04.01a-INVOICE_ubl.xml")
    result = default_registry().recognize(
        (XR / "business-cases" / "extension" / "04.01a-INVOICE_ubl.xml").read_bytes(), filename="04.01a.xml"
    )
    # THEN the top-level lines are the pipeline's lines and the sub-lines hang beneath them
    assert len(result.lines) == len(invoice.lines)
    nested = [sub for line in invoice.lines for sub in line.sub_lines]
    assert nested, "the extension case has sub-lines"
    assert all(sub.parent_line_id for sub in nested)
    first_with_subs = next(i for i, line in enumerate(invoice.lines) if line.sub_lines)
    sub_name = invoice.lines[first_with_subs].sub_lines[0].name
    assert sub_name is not None
    assert sub_name in result.lines[first_with_subs].reference_text


def test_cii_sub_lines_nest_by_parent_line_id() -> None:
    invoice = _read(XR / "business-cases" / "extension" / "04.05a-INVOICE_uncefact.xml")
    ids = [line.line_id for line in invoice.lines]
    assert len(ids) == len(set(ids))
    for line in invoice.lines:
        for sub in line.sub_lines:
            assert sub.parent_line_id == line.line_id


def test_line_references_carry_object_ids_order_lines_and_item_ids() -> None:
    # GIVEN case 03.07 (items with buyer's, seller's and standard identifiers, order line references)
    invoice = _read(XR / "business-cases" / "standard" / "03.07a-INVOICE_ubl.xml")
    line = invoice.lines[0]
    text = line.reference_text()
    for value in (line.order_line_reference, line.seller_item_id, line.buyer_item_id, line.standard_item_id):
        assert value
        assert value in text


def test_zugferd_1_xml_reads_with_its_own_element_names() -> None:
    # GIVEN a ZUGFeRD 1.0 COMFORT invoice (namespace urn:ferd:CrossIndustryDocument:invoice:1p0)
    xml = ZUGFERD1.encode()
    result = default_registry().recognize(xml, filename="ZUGFeRD-invoice.xml")
    # THEN it is read as ZUGFeRD 1.0 with its header, parties, payment, tax and line
    assert result.reader == "einvoice-xml"
    invoice = parse_einvoice(xml, filename="ZUGFeRD-invoice.xml")
    assert (invoice.syntax, invoice.profile) == (Syntax.ZUGFERD1, "COMFORT")
    assert (invoice.number, invoice.issue_date, invoice.due_date) == ("RE1337", date(2013, 3, 5), date(2013, 4, 4))
    assert invoice.seller.name == "Lieferant GmbH"
    assert (invoice.seller.vat_id, invoice.seller.tax_number) == ("DE123456789", "201/113/40209")
    assert invoice.seller.address is not None
    assert (invoice.seller.address.street, invoice.seller.address.postal_code) == ("Lieferantenstraße 20", "80333")
    assert invoice.order_reference == "PO-0815"
    means = invoice.payment_means[0]
    assert means.credit_account is not None
    assert (means.code, means.credit_account.account_id, means.credit_account.bic) == (
        "31", "DE08700901001234567890", "GENODEF1M04",
    )  # fmt: skip
    assert [(t.rate, t.basis, t.tax) for t in invoice.tax_breakdown] == [
        (Decimal("19.00"), Decimal("198.00"), Decimal("37.62")),
    ]
    assert (invoice.totals.tax_basis, invoice.totals.tax_total, invoice.totals.gross) == (
        Decimal("198.00"), Decimal("37.62"), Decimal("235.62"),
    )  # fmt: skip
    (line,) = invoice.lines
    assert (line.line_id, line.name, line.quantity, line.unit, line.net_price, line.net_amount) == (
        "1", "Trennblätter A4", Decimal("20.0000"), "C62", Decimal("9.9000"), Decimal("198.00"),
    )  # fmt: skip
    assert (line.seller_item_id, line.order_line_reference, line.tax_rate) == ("TB100A4", "3", Decimal("19.00"))
    assert result.fields.supplier_iban is not None
    assert result.fields.supplier_iban.value == "DE08700901001234567890"
    assert result.fields.tax_amount is not None
    assert result.fields.tax_amount.value == Decimal("37.62")


def test_values_that_do_not_parse_are_left_out_and_said() -> None:
    # GIVEN a CII invoice with a date and an amount in the wrong format
    xml = _cii("urn:cen.eu:en16931:2017").replace(b"20240229", b"29.02.2024").replace(b">119.00<", b">119,00<")
    result = default_registry().recognize(xml, filename="bad-values.xml")
    # THEN those fields stay empty and the protocol says which value was wrong and where
    assert result.fields.invoice_date is None
    assert result.fields.gross_amount is None
    problems = [e.message for e in result.protocol if e.message.startswith("einvoice: value left out")]
    assert any("'29.02.2024'" in p and "BT-2" in p for p in problems)
    assert any("'119,00'" in p and "GrandTotalAmount" in p for p in problems)


def test_the_work_product_and_json_carry_the_model_as_plain_json() -> None:
    path = XR / "business-cases" / "standard" / "01.14a-INVOICE_uncefact.xml"
    result = default_registry().recognize(path.read_bytes(), filename=path.name)
    product = result.work_product()
    einvoice = product["einvoice"]
    assert isinstance(einvoice, dict)
    assert einvoice["syntax"] == "UN/CEFACT CII D16B"
    assert isinstance(einvoice["totals"]["gross"], str)
    assert einvoice["issue_date"] == "2018-04-13"
    assert einvoice["sources"]["BT-1"] == "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID"


ZUGFERD1 = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>RE1337</ram:ID>
    <ram:Name>RECHNUNG</ram:Name>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>Lieferant GmbH, Geschäftsführer Hans Muster</ram:Content>
      <ram:SubjectCode>REG</ram:SubjectCode></ram:IncludedNote>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Lieferant GmbH</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>80333</ram:PostcodeCode>
          <ram:LineOne>Lieferantenstraße 20</ram:LineOne>
          <ram:CityName>München</ram:CityName>
          <ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID></ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:Name>Kunden AG Mitte</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>69876</ram:PostcodeCode><ram:LineOne>Kundenstraße 15</ram:LineOne>
          <ram:CityName>Frankfurt</ram:CityName><ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
      </ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:ID>PO-0815</ram:ID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent>
        <ram:OccurrenceDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString></ram:OccurrenceDateTime>
      </ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableSupplyChainTradeDelivery>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:PaymentReference>2013-471102</ram:PaymentReference>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>31</ram:TypeCode>
        <ram:Information>Überweisung</ram:Information>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE08700901001234567890</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
        <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>GENODEF1M04</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount currencyID="EUR">37.62</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="EUR">198.00</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:ApplicablePercent>19.00</ram:ApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:Description>Zahlbar innerhalb 30 Tagen netto</ram:Description>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20130404</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
        <ram:ChargeTotalAmount currencyID="EUR">0.00</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount currencyID="EUR">0.00</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">198.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">37.62</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">235.62</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">235.62</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedSupplyChainTradeAgreement>
        <ram:BuyerOrderReferencedDocument><ram:LineID>3</ram:LineID></ram:BuyerOrderReferencedDocument>
        <ram:GrossPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">9.9000</ram:ChargeAmount></ram:GrossPriceProductTradePrice>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">9.9000</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedSupplyChainTradeAgreement>
      <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">20.0000</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode>
          <ram:ApplicablePercent>19.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct><ram:SellerAssignedID>TB100A4</ram:SellerAssignedID><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
"""


async def test_an_einvoice_and_its_errors_come_back_from_the_worker_process() -> None:
    # GIVEN the service's worker pool (a separate process with a memory limit)
    path = XR / "business-cases" / "standard" / "01.08a-INVOICE_uncefact.xml"
    pool = RecognitionPool(workers=1, timeout_s=120, memory_mb=2048)
    try:
        # WHEN it reads an XRechnung and an unsafe XML
        result = await pool.recognize(path.read_bytes(), filename=path.name, media_type="application/xml")
        with pytest.raises(UnsafeXmlError) as info:
            await pool.recognize(b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', filename="x.xml", media_type=None)
    finally:
        pool.close()
    # THEN the model and the specific error both cross the process boundary intact
    assert result.reader == "einvoice-xml"
    assert result.einvoice is not None
    assert result.einvoice["number"] == _read(path).number
    assert info.value.construct == "DOCTYPE"


@pytest.mark.parametrize("encoding", ["utf-16", "iso-8859-1", "utf-8-sig"])
def test_the_same_invoice_in_another_encoding_reads_alike(encoding: str) -> None:
    # GIVEN an XRechnung re-encoded (UTF-16 with BOM, Latin-1 with character references, UTF-8 with BOM)
    path = XR / "business-cases" / "standard" / "01.05a-INVOICE_uncefact.xml"
    text = path.read_text(encoding="utf-8")
    declared = text.replace('encoding="UTF-8"', f'encoding="{encoding.removesuffix("-sig").upper()}"', 1)
    data = declared.encode(encoding, errors="xmlcharrefreplace")
    # WHEN both are recognised THEN the fields and lines are the same
    original = default_registry().recognize(path.read_bytes(), filename=path.name)
    again = default_registry().recognize(data, filename=path.name)
    assert again.reader == "einvoice-xml"
    assert again.fields == original.fields
    assert again.lines == original.lines
