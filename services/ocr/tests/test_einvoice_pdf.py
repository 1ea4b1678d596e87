# ruff: noqa: E501 - the XML templates below keep one element per line, as real e-invoices do
"""PDFs carrying e-invoices (ZUGFeRD 1.0, ZUGFeRD 2.x / Factur-X, XRechnung): the XML is read, the page compared.

The PDFs are the committed born-digital samples (samples/invoices, with their truth); the tests build
the XML from that truth in CII D16B, ZUGFeRD 1.0 or UBL and embed it with pdfium.
"""

from __future__ import annotations

import ctypes
import io
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped, unused-ignore]
import pytest
from lxml import etree

from belegflow_contracts.messages import Level
from belegflow_ocr.errors import PageSizeError
from belegflow_ocr.recognition import PdfLimits, Recognition, default_registry
from belegflow_ocr.recognition.einvoice import PdfInvoiceReader, XmlLimits

REPO = Path(__file__).resolve().parents[3]
SAMPLE_PDFS = sorted((REPO / "samples" / "invoices").glob("*.pdf"))

FACTURX_EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG_3 = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


def truth_of(pdf: Path) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads(pdf.with_suffix(".truth.json").read_text(encoding="utf-8"))
    return truth


def _d(iso: str) -> str:
    return iso.replace("-", "")


def _e(value: object) -> str:
    return escape(str(value))


def cii_xml(truth: dict[str, Any], *, guideline: str = FACTURX_EN16931, type_code: str = "380",
            lines: bool = True) -> bytes:  # fmt: skip
    """A Factur-X / ZUGFeRD 2.x / XRechnung CII invoice with the truth's values."""
    f = truth["fields"]
    items = "".join(
        f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{ln["position"]}</ram:LineID>
        <ram:IncludedNote><ram:Content>{_e(ln["reference"] or "")}</ram:Content></ram:IncludedNote>
      </ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>{_e(ln["description"])}</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount>{ln["unit_price"]}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">{ln["quantity"]}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{ln["net_amount"]}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>"""
        for ln in truth["lines"]
        if lines
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{_e(guideline)}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>{_e(f["invoice_number"])}</ram:ID>
    <ram:TypeCode>{type_code}</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{_d(f["invoice_date"])}</udt:DateTimeString></ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>{items}
    <ram:ApplicableHeaderTradeAgreement>
      <ram:BuyerReference>04011000-12345-34</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>{_e(f["supplier_name"])}</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>{f["supplier_postal_code"]}</ram:PostcodeCode>
          <ram:LineOne>{_e(f["supplier_street"])}</ram:LineOne>
          <ram:CityName>{_e(f["supplier_city"])}</ram:CityName>
          <ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{f["supplier_vat_id"]}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{_e(f["recipient_name"])}</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>{f["currency"]}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{f["supplier_iban"]}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount>{f["tax_amount"]}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount>{f["net_amount"]}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode>
        <ram:RateApplicablePercent>19.00</ram:RateApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">{_d(f["due_date"])}</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>{f["net_amount"]}</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>{f["net_amount"]}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="{f["currency"]}">{f["tax_amount"]}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>{f["gross_amount"]}</ram:GrandTotalAmount>
        <ram:DuePayableAmount>{f["gross_amount"]}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def zugferd1_xml(truth: dict[str, Any], *, profile: str = "comfort") -> bytes:
    """A ZUGFeRD 1.0 invoice (CrossIndustryDocument, ram:12 / udt:15) with the truth's values."""
    f = truth["fields"]
    items = "".join(
        f"""
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>{ln["position"]}</ram:LineID>
        <ram:IncludedNote><ram:Content>{_e(ln["reference"] or "")}</ram:Content></ram:IncludedNote>
      </ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedSupplyChainTradeAgreement>
        <ram:GrossPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">{ln["unit_price"]}</ram:ChargeAmount></ram:GrossPriceProductTradePrice>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">{ln["unit_price"]}</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedSupplyChainTradeAgreement>
      <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">{ln["quantity"]}</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>19.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">{ln["net_amount"]}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct><ram:SellerAssignedID>ART-{ln["position"]}</ram:SellerAssignedID><ram:Name>{_e(ln["description"])}</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>"""
        for ln in truth["lines"]
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:{profile}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>{_e(f["invoice_number"])}</ram:ID>
    <ram:Name>RECHNUNG</ram:Name>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">{_d(f["invoice_date"])}</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>Es bestehen Rabatt- und Bonusvereinbarungen.</ram:Content></ram:IncludedNote>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:BuyerReference>AB-312</ram:BuyerReference>
      <ram:SellerTradeParty>
        <ram:Name>{_e(f["supplier_name"])}</ram:Name>
        <ram:PostalTradeAddress>
          <ram:PostcodeCode>{f["supplier_postal_code"]}</ram:PostcodeCode>
          <ram:LineOne>{_e(f["supplier_street"])}</ram:LineOne>
          <ram:CityName>{_e(f["supplier_city"])}</ram:CityName>
          <ram:CountryID>DE</ram:CountryID>
        </ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID></ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">{f["supplier_vat_id"]}</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>{_e(f["recipient_name"])}</ram:Name></ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:ID>PO-4711</ram:ID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeDelivery>
      <ram:ActualDeliverySupplyChainEvent><ram:OccurrenceDateTime><udt:DateTimeString format="102">{_d(f["invoice_date"])}</udt:DateTimeString></ram:OccurrenceDateTime></ram:ActualDeliverySupplyChainEvent>
    </ram:ApplicableSupplyChainTradeDelivery>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:PaymentReference>{_e(f["invoice_number"])}</ram:PaymentReference>
      <ram:InvoiceCurrencyCode>{f["currency"]}</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>31</ram:TypeCode>
        <ram:Information>Überweisung</ram:Information>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{f["supplier_iban"]}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
        <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>GENODEF1M04</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount currencyID="EUR">{f["tax_amount"]}</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="EUR">{f["net_amount"]}</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:ApplicablePercent>19.00</ram:ApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:Description>Zahlbar ohne Abzug</ram:Description>
        <ram:DueDateDateTime><udt:DateTimeString format="102">{_d(f["due_date"])}</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">{f["net_amount"]}</ram:LineTotalAmount>
        <ram:ChargeTotalAmount currencyID="EUR">0.00</ram:ChargeTotalAmount>
        <ram:AllowanceTotalAmount currencyID="EUR">0.00</ram:AllowanceTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">{f["net_amount"]}</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">{f["tax_amount"]}</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">{f["gross_amount"]}</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">{f["gross_amount"]}</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>{items}
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
""".encode()


def ubl_xml(truth: dict[str, Any], *, customization: str = XRECHNUNG_3) -> bytes:
    """An XRechnung UBL invoice with the truth's values."""
    f = truth["fields"]
    lines = "".join(
        f"""
  <cac:InvoiceLine>
    <cbc:ID>{ln["position"]}</cbc:ID>
    <cbc:Note>{_e(ln["reference"] or "")}</cbc:Note>
    <cbc:InvoicedQuantity unitCode="C62">{ln["quantity"]}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{ln["net_amount"]}</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>{_e(ln["description"])}</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{ln["unit_price"]}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>"""
        for ln in truth["lines"]
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ubl:Invoice xmlns:ubl="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>{_e(customization)}</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>{_e(f["invoice_number"])}</cbc:ID>
  <cbc:IssueDate>{f["invoice_date"]}</cbc:IssueDate>
  <cbc:DueDate>{f["due_date"]}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>{f["currency"]}</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>04011000-12345-34</cbc:BuyerReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PostalAddress>
      <cbc:StreetName>{_e(f["supplier_street"])}</cbc:StreetName>
      <cbc:CityName>{_e(f["supplier_city"])}</cbc:CityName>
      <cbc:PostalZone>{f["supplier_postal_code"]}</cbc:PostalZone>
      <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
    </cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>{f["supplier_vat_id"]}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>{_e(f["supplier_name"])}</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyLegalEntity><cbc:RegistrationName>{_e(f["recipient_name"])}</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>{f["supplier_iban"]}</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{f["tax_amount"]}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{f["net_amount"]}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{f["tax_amount"]}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{f["net_amount"]}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{f["net_amount"]}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{f["gross_amount"]}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">{f["gross_amount"]}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>{lines}
</ubl:Invoice>
""".encode()


def with_attachments(pdf: bytes, attachments: dict[str, bytes]) -> bytes:
    """The PDF with files embedded under ``/Names/EmbeddedFiles`` (as PDF/A-3 e-invoices carry them)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        for name, data in attachments.items():
            doc.new_attachment(name).set_data(data)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
    finally:
        doc.close()


def with_annotation_attachment(pdf: bytes, name: str, data: bytes) -> bytes:
    """The PDF with a file attachment annotation on page 1 that carries ``data`` (no /EmbeddedFiles entry)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0]
        annot = pdfium_c.FPDFPage_CreateAnnot(page, pdfium_c.FPDF_ANNOT_FILEATTACHMENT)
        wide = (name + "\0").encode("utf-16-le")
        buffer = ctypes.create_string_buffer(wide, len(wide))
        raw = pdfium_c.FPDFAnnot_AddFileAttachment(annot, ctypes.cast(buffer, pdfium_c.FPDF_WIDESTRING))
        pdfium.PdfAttachment(raw, doc).set_data(data)
        pdfium_c.FPDFPage_CloseAnnot(annot)
        page.close()
        assert doc.count_attachments() == 0
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
    finally:
        doc.close()


# --- tests ---------------------------------------------------------------------------------------


def _expected_fields(truth: dict[str, Any]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in truth["fields"].items():
        if name.endswith("_date"):
            out[name] = date.fromisoformat(value)
        elif name.endswith("_amount"):
            out[name] = Decimal(value)
        else:
            out[name] = value
    return out


def _values(result: Recognition) -> dict[str, object]:
    """The values of the fields a sample's truth states (it states no header references or further IDs)."""
    return {
        name: (None if getattr(result.fields, name) is None else getattr(result.fields, name).value)
        for name in type(result.fields).model_fields if name not in NOT_IN_TRUTH
    }


NOT_IN_TRUTH = frozenset({"order_reference", "sales_order_reference", "buyer_reference", "shipment_reference",
                          "recipient_vat_id", "supplier_tax_number", "supplier_registration_id"})


def _recognize(data: bytes) -> Recognition:
    return default_registry().recognize(data, filename="invoice.pdf")


def _warnings(result: Recognition) -> list[str]:
    return [e.message for e in result.protocol if e.level == Level.WARNING]


KINDS = [
    # (name in the PDF, XML builder, syntax, profile)
    ("ZUGFeRD-invoice.xml", lambda t: zugferd1_xml(t), "ZUGFeRD 1.0", "COMFORT"),
    ("factur-x.xml", lambda t: cii_xml(t), "UN/CEFACT CII D16B", "EN16931"),
    ("zugferd-invoice.xml", lambda t: cii_xml(t, guideline="urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic"),
     "UN/CEFACT CII D16B", "BASIC"),
    ("xrechnung.xml", lambda t: ubl_xml(t), "UBL 2.1", "XRECHNUNG"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "build", "syntax", "profile"), KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("pdf", SAMPLE_PDFS[:2], ids=[p.stem for p in SAMPLE_PDFS[:2]])
def test_pdf_with_embedded_einvoice_is_read_from_the_xml(
    pdf: Path, name: str, build: Callable[[dict[str, Any]], bytes], syntax: str, profile: str
) -> None:
    # GIVEN a born-digital invoice PDF carrying the same invoice as embedded XML
    truth = truth_of(pdf)
    data = with_attachments(pdf.read_bytes(), {name: build(truth)})
    # WHEN it is recognised
    result = _recognize(data)
    # THEN the e-invoice PDF reader won over the text layer and every field is the XML's
    assert result.reader == "einvoice-pdf"
    assert "einvoice-pdf chosen" in result.protocol[0].message
    assert "pdf-text 50" in result.protocol[0].message
    assert _values(result) == _expected_fields(truth)
    assert result.einvoice is not None
    assert (result.einvoice["syntax"], result.einvoice["profile"]) == (syntax, profile)
    # AND the lines are the XML's, with their references in the reference text
    assert [(ln.description, ln.quantity, ln.unit_price, ln.net_amount) for ln in result.lines] == [
        (ln["description"], Decimal(ln["quantity"]), Decimal(ln["unit_price"]), Decimal(ln["net_amount"]))
        for ln in truth["lines"]
    ]
    for line, want in zip(result.lines, truth["lines"], strict=True):
        if want["reference"]:
            assert want["reference"] in line.reference_text
    # AND the visible page agrees, so no warning, and agreeing fields point to where they stand
    assert not [e for e in result.protocol if e.data.get("page_value")]
    for field in ("invoice_number", "gross_amount", "supplier_iban"):
        value = getattr(result.fields, field)
        assert value.confidence == 1.0
        assert value.page == 1
        assert value.bbox is not None
    assert any(e.data.get("attachment") == name for e in result.protocol)
    assert "einvoice" in result.work_product()


def test_page_that_disagrees_with_the_xml_is_an_error_with_both_values() -> None:
    # GIVEN a PDF whose embedded XML states another number and gross amount than the visible page
    pdf = SAMPLE_PDFS[0]
    truth = truth_of(pdf)
    changed = json.loads(json.dumps(truth))
    changed["fields"]["invoice_number"] = "XML-2024-0001"
    changed["fields"]["gross_amount"] = str(Decimal(truth["fields"]["gross_amount"]) + 100)
    data = with_attachments(pdf.read_bytes(), {"factur-x.xml": cii_xml(changed)})
    # WHEN it is recognised
    result = _recognize(data)
    # THEN the XML's values are used, and the protocol names both values for exactly those two fields
    assert result.reader == "einvoice-pdf"
    assert result.fields.invoice_number is not None
    assert result.fields.invoice_number.value == "XML-2024-0001"
    assert result.fields.gross_amount is not None
    assert result.fields.gross_amount.value == Decimal(changed["fields"]["gross_amount"])
    disagreements = {e.data["field"]: e for e in result.protocol if e.data.get("page_value")}
    assert set(disagreements) == {"invoice_number", "gross_amount"}
    assert disagreements["invoice_number"].data["xml"] == "XML-2024-0001"
    assert disagreements["invoice_number"].data["page_value"] == truth["fields"]["invoice_number"]
    assert disagreements["gross_amount"].data["page_value"] == truth["fields"]["gross_amount"]
    # in the e-invoice check's own protocol section, as errors: the invoice must wait for a person
    assert all(e.level == Level.ERROR and e.step == "einvoice-validation" for e in disagreements.values())
    # a disagreeing field keeps no place on the page; an agreeing one has it
    assert result.fields.invoice_number.page is None
    assert result.fields.net_amount is not None
    assert result.fields.net_amount.page == 1


def test_malformed_embedded_xml_falls_back_to_the_page_and_says_so() -> None:
    # GIVEN a PDF whose factur-x.xml was cut off in the middle
    pdf = SAMPLE_PDFS[1]
    truth = truth_of(pdf)
    xml = cii_xml(truth)
    data = with_attachments(pdf.read_bytes(), {"factur-x.xml": xml[: len(xml) // 2]})
    # WHEN it is recognised
    result = _recognize(data)
    # THEN the fields come from the visible page, and the protocol says why, with line and column
    assert result.reader == "pdf-text"
    assert result.einvoice is None
    assert _values(result) == _expected_fields(truth)
    broken = next(e for e in result.protocol if e.data.get("attachment") == "factur-x.xml")
    assert broken.level == Level.WARNING
    assert broken.data["error_type"] == "MalformedXmlError"
    assert int(broken.data["line"]) > 1
    assert any("fields come from the visible page" in w for w in _warnings(result))


def test_embedded_xml_over_the_size_limit_falls_back_with_its_size_in_the_protocol() -> None:
    # GIVEN a reader that takes embedded XML up to 1 KiB, and a PDF carrying a larger one
    pdf = SAMPLE_PDFS[0]
    xml = cii_xml(truth_of(pdf))
    data = with_attachments(pdf.read_bytes(), {"factur-x.xml": xml})
    # WHEN it reads the PDF THEN it says why the XML was left out and reads the page instead
    with PdfInvoiceReader(xml_limits=XmlLimits(max_bytes=1024)) as reader:
        result = reader.read(data, filename="big.pdf")
    assert result.reader == "pdf-text"
    refused = next(e for e in result.protocol if e.data.get("attachment") == "factur-x.xml")
    assert refused.data["error_type"] == "XmlTooLargeError"
    assert refused.data["size"] == refused.data["attachment_bytes"] == str(len(xml))
    assert refused.data["limit"] == "1024"


def test_broken_xml_on_an_unreadable_page_raises_the_pages_own_error() -> None:
    # GIVEN broken embedded XML on a page the limits refuse (larger than 100 pt)
    pdf = SAMPLE_PDFS[0]
    data = with_attachments(pdf.read_bytes(), {"factur-x.xml": b"<rsm:CrossIndustryInvoice"})
    # WHEN it is read THEN the specific page error comes out, not a vague one
    with PdfInvoiceReader(pdf_limits=PdfLimits(max_page_side=100)) as reader, pytest.raises(PageSizeError):
        reader.read(data, filename="huge.pdf")


def test_embedded_xml_with_entities_is_not_expanded_and_the_page_is_read() -> None:
    # GIVEN a PDF whose embedded XML declares an external entity
    pdf = SAMPLE_PDFS[0]
    xxe = cii_xml(truth_of(pdf)).replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    data = with_attachments(pdf.read_bytes(), {"factur-x.xml": xxe})
    # WHEN it is recognised THEN the XML is refused (nothing expanded) and the page is read instead
    result = _recognize(data)
    assert result.reader == "pdf-text"
    refused = next(e for e in result.protocol if e.data.get("attachment") == "factur-x.xml")
    assert refused.data["error_type"] == "UnsafeXmlError"
    assert "root:" not in json.dumps([e.model_dump(mode="json") for e in result.protocol])


def test_pdf_with_an_unrelated_xml_attachment_stays_with_the_text_layer() -> None:
    # GIVEN a PDF that carries some other XML file
    pdf = SAMPLE_PDFS[0]
    data = with_attachments(pdf.read_bytes(), {"packing-list.xml": b"<packingList><item>1</item></packingList>"})
    # WHEN it is recognised THEN the e-invoice reader declines and the text layer reads it
    assert PdfInvoiceReader().score(data, "application/pdf") == 0
    result = _recognize(data)
    assert result.reader == "pdf-text"
    assert _values(result) == _expected_fields(truth_of(pdf))


def test_xml_attached_by_a_file_attachment_annotation_is_found() -> None:
    # GIVEN a PDF whose e-invoice hangs on a file attachment annotation instead of /EmbeddedFiles
    pdf = SAMPLE_PDFS[3]
    truth = truth_of(pdf)
    data = with_annotation_attachment(pdf.read_bytes(), "factur-x.xml", cii_xml(truth))
    # WHEN it is recognised THEN the XML is found and read
    result = _recognize(data)
    assert result.reader == "einvoice-pdf"
    assert _values(result) == _expected_fields(truth)


def test_the_standard_name_is_preferred_over_other_embedded_invoices() -> None:
    # GIVEN a PDF with an old copy under another name and the invoice under factur-x.xml
    pdf = SAMPLE_PDFS[0]
    truth = truth_of(pdf)
    old = json.loads(json.dumps(truth))
    old["fields"]["invoice_number"] = "OLD-1"
    data = with_attachments(pdf.read_bytes(), {"aaa-copy.xml": cii_xml(old), "factur-x.xml": cii_xml(truth)})
    # WHEN it is recognised THEN factur-x.xml is the one read
    result = _recognize(data)
    assert result.fields.invoice_number is not None
    assert result.fields.invoice_number.value == truth["fields"]["invoice_number"]


# --- the CLI ------------------------------------------------------------------------------------


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "belegflow_ops", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


STABLE_FIELDS = {
    "invoice_number", "invoice_date", "due_date", "currency", "net_amount", "tax_amount", "gross_amount",
    "supplier_name", "supplier_street", "supplier_postal_code", "supplier_city", "supplier_iban",
    "supplier_vat_id", "recipient_name", "document_type", "order_reference", "sales_order_reference",
    "buyer_reference", "shipment_reference", "recipient_vat_id", "supplier_tax_number", "supplier_registration_id",
}  # fmt: skip


def test_extract_json_on_a_ubl_file_and_a_zugferd_pdf(tmp_path: Path) -> None:
    # GIVEN an XRechnung UBL file and a ZUGFeRD 1.0 PDF, and no server at all
    ubl = REPO / "samples" / "einvoices" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard"
    ubl_file = ubl / "01.07a-INVOICE_ubl.xml"
    pdf = SAMPLE_PDFS[2]
    truth = truth_of(pdf)
    zugferd = tmp_path / "zugferd.pdf"
    zugferd.write_bytes(with_attachments(pdf.read_bytes(), {"ZUGFeRD-invoice.xml": zugferd1_xml(truth)}))
    # WHEN both are extracted as JSON
    result = _cli("extract", str(ubl_file), str(zugferd), "--json", cwd=tmp_path)
    # THEN one JSON object per file, with the stable field names and the values the XML states
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["reader"] == "einvoice-xml"
    assert set(first["fields"]) == STABLE_FIELDS
    root = etree.parse(str(ubl_file), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
          "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}  # fmt: skip
    assert first["fields"]["invoice_number"]["value"] == root.findtext("cbc:ID", namespaces=ns)
    assert first["fields"]["due_date"]["value"] == root.findtext("cbc:DueDate", namespaces=ns)
    gross = root.findtext("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", namespaces=ns)
    assert Decimal(first["fields"]["gross_amount"]["value"]) == Decimal(gross or "")
    assert first["fields"]["gross_amount"]["confidence"] == 1.0
    assert first["einvoice"]["syntax"] == "UBL 2.1"
    assert second["reader"] == "einvoice-pdf"
    assert set(second["fields"]) == STABLE_FIELDS
    for name, value in truth["fields"].items():
        assert second["fields"][name]["value"] == value, name
    assert second["einvoice"]["syntax"] == "ZUGFeRD 1.0"
    assert second["einvoice"]["seller"]["tax_number"] == "201/113/40209"
    assert len(second["lines"]) == len(truth["lines"])
