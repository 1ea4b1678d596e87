"""UBL 2.1 Invoice and CreditNote (EN 16931 UBL syntax binding, XRechnung, Peppol BIS 3) to the neutral model."""

from __future__ import annotations

import re

from belegflow_ocr.recognition.einvoice.model import (
    CREDIT_NOTE_TYPE_CODES,
    Address,
    AllowanceCharge,
    BankAccount,
    Contact,
    EInvoice,
    InvoiceLine,
    ItemAttribute,
    Note,
    Party,
    PaymentMeans,
    Syntax,
    TaxBreakdown,
    Totals,
    party_terms,
)
from belegflow_ocr.recognition.einvoice.profiles import profile_of
from belegflow_ocr.recognition.einvoice.xmldoc import Element, XmlDoc

_SUBJECT = re.compile(r"^#([A-Z]{3})#")
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def read_ubl(root: Element) -> EInvoice:
    credit = root.tag == f"{{{UBL_CREDIT_NOTE}}}CreditNote"
    doc = XmlDoc(root, {"ubl": UBL_CREDIT_NOTE if credit else UBL_INVOICE, "cac": CAC, "cbc": CBC})
    kind = "CreditNote" if credit else "Invoice"
    customization = doc.text(root, "cbc:CustomizationID", "BT-24")
    type_code = doc.text(root, f"cbc:{kind}TypeCode", "BT-3")
    currency = doc.text(root, "cbc:DocumentCurrencyCode", "BT-5")
    tax_currency = doc.text(root, "cbc:TaxCurrencyCode", "BT-6")
    # An Invoice has cbc:DueDate; the UBL 2.1 CreditNote has none and carries BT-9 in the payment means.
    due = doc.iso_date(root, "cbc:DueDate", "BT-9")
    if due is None and credit:
        due = doc.iso_date(root, "cac:PaymentMeans/cbc:PaymentDueDate", "BT-9")
    invoice = EInvoice(
        syntax=Syntax.UBL,
        root=root.tag,
        customization_id=customization,
        profile=profile_of(customization),
        business_process=doc.text(root, "cbc:ProfileID", "BT-23"),
        number=doc.text(root, "cbc:ID", "BT-1"),
        type_code=type_code,
        is_credit_note=credit or (type_code in CREDIT_NOTE_TYPE_CODES),
        issue_date=doc.iso_date(root, "cbc:IssueDate", "BT-2"),
        due_date=due,
        tax_point_date=doc.iso_date(root, "cbc:TaxPointDate", "BT-7"),
        delivery_date=doc.iso_date(root, "cac:Delivery/cbc:ActualDeliveryDate", "BT-72"),
        period_start=doc.iso_date(root, "cac:InvoicePeriod/cbc:StartDate", "BT-73"),
        period_end=doc.iso_date(root, "cac:InvoicePeriod/cbc:EndDate", "BT-74"),
        currency=currency,
        tax_currency=tax_currency,
        buyer_reference=doc.text(root, "cbc:BuyerReference", "BT-10"),
        project_reference=doc.text(root, "cac:ProjectReference/cbc:ID", "BT-11")
        or doc.text(root, "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']/cbc:ID", "BT-11"),
        contract_reference=doc.text(root, "cac:ContractDocumentReference/cbc:ID", "BT-12"),
        order_reference=doc.text(root, "cac:OrderReference/cbc:ID", "BT-13"),
        sales_order_reference=doc.text(root, "cac:OrderReference/cbc:SalesOrderID", "BT-14"),
        receiving_advice_reference=doc.text(root, "cac:ReceiptDocumentReference/cbc:ID", "BT-15"),
        despatch_advice_reference=doc.text(root, "cac:DespatchDocumentReference/cbc:ID", "BT-16"),
        tender_reference=doc.text(root, "cac:OriginatorDocumentReference/cbc:ID", "BT-17"),
        object_identifier=doc.text(root, "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='130']/cbc:ID", "BT-18"),
        accounting_cost=doc.text(root, "cbc:AccountingCost", "BT-19"),
        payment_terms=doc.multiline(root, "cac:PaymentTerms/cbc:Note", "BT-20"),
        notes=tuple(_note(n) for n in (doc.multiline(n, ".") for n in doc.all(root, "cbc:Note")) if n),
        creditor_reference_id=doc.text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification"
                                       "/cbc:ID[@schemeID='SEPA']", "BT-90")
        or doc.text(root, "cac:PayeeParty/cac:PartyIdentification/cbc:ID[@schemeID='SEPA']", "BT-90"),
        preceding_invoices=doc.texts(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        seller=_party(doc, doc.first(root, "cac:AccountingSupplierParty/cac:Party"), "seller"),
        buyer=_party(doc, doc.first(root, "cac:AccountingCustomerParty/cac:Party"), "buyer"),
        payee=_optional_party(doc, doc.first(root, "cac:PayeeParty")),
        tax_representative=_optional_party(doc, doc.first(root, "cac:TaxRepresentativeParty")),
        payment_means=tuple(_payment_means(doc, pm) for pm in doc.all(root, "cac:PaymentMeans")),
        allowances_charges=tuple(_allowance_charge(doc, ac) for ac in doc.all(root, "cac:AllowanceCharge")),
        totals=_totals(doc, root, currency, tax_currency),
        tax_breakdown=_tax_breakdown(doc, root, currency),
        lines=tuple(_line(doc, ln, kind) for ln in doc.all(root, f"cac:{kind}Line")),
        sources=doc.sources,
        raw=doc.raw,
        problems=tuple(doc.problems),
    )
    return invoice


def _party(doc: XmlDoc, party: Element | None, role: str = "") -> Party:
    if party is None:
        return Party()
    b = party_terms(role)
    address = doc.first(party, "cac:PostalAddress")
    contact = doc.first(party, "cac:Contact")
    # The legal name where there is one (seller, buyer); otherwise the party name (payee, tax representative),
    # which is then no trading name.
    legal_name = doc.text(party, "cac:PartyLegalEntity/cbc:RegistrationName", b("name"))
    return Party(
        name=legal_name or doc.text(party, "cac:PartyName/cbc:Name", b("name")),
        trading_name=doc.text(party, "cac:PartyName/cbc:Name", b("trading")) if legal_name else None,
        # A SEPA creditor identifier is BT-90, not a party identifier.
        identifiers=doc.texts(party, "cac:PartyIdentification/cbc:ID[not(@schemeID='SEPA')]"),
        legal_registration_id=doc.text(party, "cac:PartyLegalEntity/cbc:CompanyID", b("legal")),
        vat_id=doc.text(party, "cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID", b("vat")),
        tax_number=doc.text(party, "cac:PartyTaxScheme[not(cac:TaxScheme/cbc:ID='VAT')]/cbc:CompanyID", b("tax")),
        electronic_address=doc.text(party, "cbc:EndpointID", b("endpoint")),
        address=None
        if address is None
        else Address(
            street=doc.text(address, "cbc:StreetName", b("street")),
            additional_street=doc.text(address, "cbc:AdditionalStreetName"),
            address_line_3=doc.text(address, "cac:AddressLine/cbc:Line"),
            postal_code=doc.text(address, "cbc:PostalZone", b("postal")),
            city=doc.text(address, "cbc:CityName", b("city")),
            subdivision=doc.text(address, "cbc:CountrySubentity"),
            country=doc.text(address, "cac:Country/cbc:IdentificationCode", b("country")),
        ),
        contact=None
        if contact is None
        else Contact(
            name=doc.text(contact, "cbc:Name"),
            phone=doc.text(contact, "cbc:Telephone"),
            email=doc.text(contact, "cbc:ElectronicMail"),
        ),
    )


def _note(text: str) -> Note:
    match = _SUBJECT.match(text)
    if match:
        return Note(text=text[match.end() :].strip(), subject_code=match.group(1))
    return Note(text=text)


def _optional_party(doc: XmlDoc, party: Element | None) -> Party | None:
    return None if party is None else _party(doc, party)


def _payment_means(doc: XmlDoc, pm: Element) -> PaymentMeans:
    account = doc.first(pm, "cac:PayeeFinancialAccount")
    account_id = doc.text(account, "cbc:ID", "BT-84") if account is not None else None
    return PaymentMeans(
        code=doc.text(pm, "cbc:PaymentMeansCode", "BT-81"),
        text=doc.attr(pm, "cbc:PaymentMeansCode", "name"),
        remittance_information=doc.text(pm, "cbc:PaymentID", "BT-83"),
        credit_account=None
        if not account_id
        else BankAccount(
            account_id=account_id,
            name=doc.text(account, "cbc:Name", "BT-85"),
            bic=doc.text(account, "cac:FinancialInstitutionBranch/cbc:ID", "BT-86"),
        ),
        card_account=doc.text(pm, "cac:CardAccount/cbc:PrimaryAccountNumberID"),
        mandate_id=doc.text(pm, "cac:PaymentMandate/cbc:ID", "BT-89"),
        debited_account=doc.text(pm, "cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID", "BT-91"),
    )


def _allowance_charge(doc: XmlDoc, ac: Element) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=(doc.text(ac, "cbc:ChargeIndicator") or "").lower() == "true",
        amount=doc.decimal(ac, "cbc:Amount"),
        base_amount=doc.decimal(ac, "cbc:BaseAmount"),
        percent=doc.decimal(ac, "cbc:MultiplierFactorNumeric"),
        reason=doc.text(ac, "cbc:AllowanceChargeReason"),
        reason_code=doc.text(ac, "cbc:AllowanceChargeReasonCode"),
        tax_category=doc.text(ac, "cac:TaxCategory/cbc:ID"),
        tax_rate=doc.decimal(ac, "cac:TaxCategory/cbc:Percent"),
    )


def _tax_amount(doc: XmlDoc, root: Element, currency: str | None) -> Element | None:
    """BT-110 is the cac:TaxTotal/cbc:TaxAmount in the document currency (BT-111 the one in BT-6)."""
    amounts = doc.all(root, "cac:TaxTotal/cbc:TaxAmount")
    own = [n for n in amounts if currency and n.get("currencyID") == currency]
    if own:
        return own[0]
    # No currencyID that matches (not schema-valid, but seen): the total with the breakdown is BT-110.
    with_breakdown = doc.all(root, "cac:TaxTotal[cac:TaxSubtotal]/cbc:TaxAmount")
    found = with_breakdown or amounts
    return found[0] if found else None


def _totals(doc: XmlDoc, root: Element, currency: str | None, tax_currency: str | None) -> Totals:
    total = doc.first(root, "cac:LegalMonetaryTotal")
    in_tax_currency = [
        n for n in doc.all(root, "cac:TaxTotal/cbc:TaxAmount")
        if tax_currency and tax_currency != currency and n.get("currencyID") == tax_currency
    ]  # fmt: skip
    return Totals(
        line_total=doc.decimal(total, "cbc:LineExtensionAmount", "BT-106"),
        allowance_total=doc.decimal(total, "cbc:AllowanceTotalAmount", "BT-107"),
        charge_total=doc.decimal(total, "cbc:ChargeTotalAmount", "BT-108"),
        tax_basis=doc.decimal(total, "cbc:TaxExclusiveAmount", "BT-109"),
        tax_total=doc.decimal_of(_tax_amount(doc, root, currency), "BT-110"),
        tax_total_in_tax_currency=doc.decimal_of(in_tax_currency[0], "BT-111") if in_tax_currency else None,
        gross=doc.decimal(total, "cbc:TaxInclusiveAmount", "BT-112"),
        prepaid=doc.decimal(total, "cbc:PrepaidAmount", "BT-113"),
        rounding=doc.decimal(total, "cbc:PayableRoundingAmount", "BT-114"),
        payable=doc.decimal(total, "cbc:PayableAmount", "BT-115"),
    )


def _tax_breakdown(doc: XmlDoc, root: Element, currency: str | None) -> tuple[TaxBreakdown, ...]:
    totals = doc.all(root, "cac:TaxTotal[cac:TaxSubtotal]")
    own = [t for t in totals if currency and doc.attr(t, "cbc:TaxAmount", "currencyID") == currency]
    totals = own or totals
    return tuple(
        TaxBreakdown(
            category=doc.text(sub, "cac:TaxCategory/cbc:ID"),
            rate=doc.decimal(sub, "cac:TaxCategory/cbc:Percent"),
            basis=doc.decimal(sub, "cbc:TaxableAmount"),
            tax=doc.decimal(sub, "cbc:TaxAmount"),
            exemption_reason=doc.text(sub, "cac:TaxCategory/cbc:TaxExemptionReason"),
            exemption_reason_code=doc.text(sub, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
        )
        for total in totals[:1]
        for sub in doc.all(total, "cac:TaxSubtotal")
    )


def _line(doc: XmlDoc, ln: Element, kind: str, parent: str | None = None) -> InvoiceLine:
    item = doc.first(ln, "cac:Item")
    price = doc.first(ln, "cac:Price")
    quantity_path = "cbc:CreditedQuantity" if kind == "CreditNote" else "cbc:InvoicedQuantity"
    if doc.first(ln, quantity_path) is None:
        quantity_path = "cbc:InvoicedQuantity|cbc:CreditedQuantity"
    line_id = doc.text(ln, "cbc:ID")
    return InvoiceLine(
        line_id=line_id,
        name=doc.text(item, "cbc:Name"),
        description=doc.text(item, "cbc:Description"),
        quantity=doc.decimal(ln, quantity_path),
        unit=doc.attr(ln, quantity_path, "unitCode"),
        net_price=doc.decimal(price, "cbc:PriceAmount"),
        gross_price=doc.decimal(price, "cac:AllowanceCharge/cbc:BaseAmount"),
        price_discount=doc.decimal(price, "cac:AllowanceCharge/cbc:Amount"),
        price_base_quantity=doc.decimal(price, "cbc:BaseQuantity"),
        price_base_unit=doc.attr(price, "cbc:BaseQuantity", "unitCode"),
        net_amount=doc.decimal(ln, "cbc:LineExtensionAmount"),
        tax_category=doc.text(item, "cac:ClassifiedTaxCategory/cbc:ID"),
        tax_rate=doc.decimal(item, "cac:ClassifiedTaxCategory/cbc:Percent"),
        object_identifier=doc.text(ln, "cac:DocumentReference[cbc:DocumentTypeCode='130']/cbc:ID")
        or doc.text(ln, "cac:DocumentReference/cbc:ID"),
        order_line_reference=doc.text(ln, "cac:OrderLineReference/cbc:LineID"),
        accounting_cost=doc.text(ln, "cbc:AccountingCost"),
        period_start=doc.iso_date(ln, "cac:InvoicePeriod/cbc:StartDate"),
        period_end=doc.iso_date(ln, "cac:InvoicePeriod/cbc:EndDate"),
        seller_item_id=doc.text(item, "cac:SellersItemIdentification/cbc:ID"),
        buyer_item_id=doc.text(item, "cac:BuyersItemIdentification/cbc:ID"),
        standard_item_id=doc.text(item, "cac:StandardItemIdentification/cbc:ID"),
        classification_codes=doc.texts(item, "cac:CommodityClassification/cbc:ItemClassificationCode"),
        origin_country=doc.text(item, "cac:OriginCountry/cbc:IdentificationCode"),
        attributes=tuple(
            ItemAttribute(name=doc.text(p, "cbc:Name") or "", value=doc.text(p, "cbc:Value") or "")
            for p in doc.all(item, "cac:AdditionalItemProperty")
        )
        if item is not None
        else (),
        notes=tuple(n for n in (doc.multiline(n, ".") for n in doc.all(ln, "cbc:Note")) if n),
        allowances_charges=tuple(_allowance_charge(doc, ac) for ac in doc.all(ln, "cac:AllowanceCharge")),
        parent_line_id=parent,
        # XRechnung extension: cac:SubInvoiceLine (and cac:SubCreditNoteLine) nest inside their parent.
        sub_lines=tuple(_line(doc, sub, kind, line_id) for sub in doc.all(ln, f"cac:Sub{kind}Line")),
        source=doc.path_of(ln),
    )
