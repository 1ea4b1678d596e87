"""UN/CEFACT Cross Industry Invoice to the neutral model.

Two dialects share one reader, told apart by the root element's namespace:

- CII D16B (``rsm:CrossIndustryInvoice``, namespace ``...:CrossIndustryInvoice:100``): XRechnung CII,
  EN 16931, ZUGFeRD 2.x and Factur-X in every profile (MINIMUM, BASIC WL, BASIC, EN16931, EXTENDED).
- ZUGFeRD 1.0 (``rsm:CrossIndustryDocument``, namespace ``urn:ferd:CrossIndustryDocument:invoice:1p0``,
  ram:12 / udt:15): the same ideas with older element names, mapped in ``_ZF1`` below.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

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

CII_NS = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
ZF1_NS = "urn:ferd:CrossIndustryDocument:invoice:1p0"


@dataclass(frozen=True, slots=True)
class Dialect:
    syntax: Syntax
    namespaces: dict[str, str]
    context: str
    header: str
    transaction: str
    agreement: str
    delivery: str
    settlement: str
    summation: str
    rate: str
    referenced_id: str
    line_agreement: str
    line_delivery: str
    line_settlement: str
    line_summation: str


_D16B = Dialect(
    syntax=Syntax.CII,
    namespaces={
        "rsm": CII_NS,
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
        "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    },
    context="rsm:ExchangedDocumentContext",
    header="rsm:ExchangedDocument",
    transaction="rsm:SupplyChainTradeTransaction",
    agreement="ram:ApplicableHeaderTradeAgreement",
    delivery="ram:ApplicableHeaderTradeDelivery",
    settlement="ram:ApplicableHeaderTradeSettlement",
    summation="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    rate="ram:RateApplicablePercent",
    referenced_id="ram:IssuerAssignedID",
    line_agreement="ram:SpecifiedLineTradeAgreement",
    line_delivery="ram:SpecifiedLineTradeDelivery",
    line_settlement="ram:SpecifiedLineTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementLineMonetarySummation",
)

_ZF1 = Dialect(
    syntax=Syntax.ZUGFERD1,
    namespaces={
        "rsm": ZF1_NS,
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
    },
    context="rsm:SpecifiedExchangedDocumentContext",
    header="rsm:HeaderExchangedDocument",
    transaction="rsm:SpecifiedSupplyChainTradeTransaction",
    agreement="ram:ApplicableSupplyChainTradeAgreement",
    delivery="ram:ApplicableSupplyChainTradeDelivery",
    settlement="ram:ApplicableSupplyChainTradeSettlement",
    summation="ram:SpecifiedTradeSettlementMonetarySummation",
    rate="ram:ApplicablePercent",
    referenced_id="ram:ID",
    line_agreement="ram:SpecifiedSupplyChainTradeAgreement",
    line_delivery="ram:SpecifiedSupplyChainTradeDelivery",
    line_settlement="ram:SpecifiedSupplyChainTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementMonetarySummation",
)


def read_cii(root: Element) -> EInvoice:
    d = _ZF1 if root.tag == f"{{{ZF1_NS}}}CrossIndustryDocument" else _D16B
    # Real files bind the prefixes as they like (or not at all); look-ups use our own map, which works
    # because XPath matches namespace URIs, not prefixes.
    doc = XmlDoc(root, d.namespaces)
    ctx = doc.first(root, d.context)
    head = doc.first(root, d.header)
    tx = doc.first(root, d.transaction)
    agr = doc.first(tx, d.agreement)
    dlv = doc.first(tx, d.delivery)
    stl = doc.first(tx, d.settlement)
    ref = d.referenced_id

    customization = doc.text(ctx, "ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", "BT-24")
    type_code = doc.text(head, "ram:TypeCode", "BT-3")
    currency = doc.text(stl, "ram:InvoiceCurrencyCode", "BT-5")
    tax_currency = doc.text(stl, "ram:TaxCurrencyCode", "BT-6")
    terms = doc.all(stl, "ram:SpecifiedTradePaymentTerms")
    due = None
    for term in terms:
        due = due or doc.cii_date(term, "ram:DueDateDateTime/udt:DateTimeString", "BT-9")
    term_text = "\n".join(t for t in (doc.multiline(term, "ram:Description", "BT-20") for term in terms) if t)
    mandate = next((m for m in (doc.text(t, "ram:DirectDebitMandateID", "BT-89") for t in terms) if m), None)
    return EInvoice(
        syntax=d.syntax,
        root=root.tag,
        customization_id=customization,
        profile=profile_of(customization),
        business_process=doc.text(ctx, "ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", "BT-23"),
        number=doc.text(head, "ram:ID", "BT-1"),
        type_code=type_code,
        is_credit_note=type_code in CREDIT_NOTE_TYPE_CODES,
        issue_date=doc.cii_date(head, "ram:IssueDateTime/udt:DateTimeString", "BT-2"),
        due_date=due,
        tax_point_date=doc.cii_date(stl, "ram:ApplicableTradeTax/ram:TaxPointDate/udt:DateString", "BT-7"),
        delivery_date=doc.cii_date(
            dlv, "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString", "BT-72"
        ),
        period_start=doc.cii_date(stl, "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", "BT-73"),
        period_end=doc.cii_date(stl, "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString", "BT-74"),
        currency=currency,
        tax_currency=tax_currency,
        buyer_reference=doc.text(agr, "ram:BuyerReference", "BT-10"),
        project_reference=doc.text(agr, "ram:SpecifiedProcuringProject/ram:ID", "BT-11"),
        contract_reference=doc.text(agr, f"ram:ContractReferencedDocument/{ref}", "BT-12"),
        order_reference=doc.text(agr, f"ram:BuyerOrderReferencedDocument/{ref}", "BT-13"),
        sales_order_reference=doc.text(agr, f"ram:SellerOrderReferencedDocument/{ref}", "BT-14"),
        receiving_advice_reference=doc.text(dlv, f"ram:ReceivingAdviceReferencedDocument/{ref}", "BT-15"),
        despatch_advice_reference=doc.text(dlv, f"ram:DespatchAdviceReferencedDocument/{ref}", "BT-16"),
        tender_reference=doc.text(agr, f"ram:AdditionalReferencedDocument[ram:TypeCode='50']/{ref}", "BT-17"),
        object_identifier=doc.text(agr, f"ram:AdditionalReferencedDocument[ram:TypeCode='130']/{ref}", "BT-18"),
        accounting_cost=doc.text(stl, "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID", "BT-19"),
        payment_terms=term_text or None,
        notes=tuple(_notes(doc, head)),
        creditor_reference_id=doc.text(stl, "ram:CreditorReferenceID", "BT-90"),
        preceding_invoices=doc.texts(stl, f"ram:InvoiceReferencedDocument/{ref}"),
        seller=_party(doc, doc.first(agr, "ram:SellerTradeParty"), "seller"),
        buyer=_party(doc, doc.first(agr, "ram:BuyerTradeParty"), "buyer"),
        payee=_optional_party(doc, doc.first(stl, "ram:PayeeTradeParty")),
        tax_representative=_optional_party(doc, doc.first(agr, "ram:SellerTaxRepresentativeTradeParty")),
        payment_means=tuple(
            _payment_means(doc, pm, stl, mandate) for pm in doc.all(stl, "ram:SpecifiedTradeSettlementPaymentMeans")
        ),
        allowances_charges=tuple(
            _allowance_charge(doc, ac, d) for ac in doc.all(stl, "ram:SpecifiedTradeAllowanceCharge")
        ),
        totals=_totals(doc, doc.first(stl, d.summation), currency, tax_currency),
        tax_breakdown=tuple(_tax(doc, t, d) for t in doc.all(stl, "ram:ApplicableTradeTax")),
        lines=_lines(doc, tx, d),
        sources=doc.sources,
        raw=doc.raw,
        problems=tuple(doc.problems),
    )


def _party(doc: XmlDoc, party: Element | None, role: str = "") -> Party:
    if party is None:
        return Party()
    b = party_terms(role)
    address = doc.first(party, "ram:PostalTradeAddress")
    contact = doc.first(party, "ram:DefinedTradeContact")
    return Party(
        name=doc.text(party, "ram:Name", b("name")),
        trading_name=doc.text(party, "ram:SpecifiedLegalOrganization/ram:TradingBusinessName", b("trading")),
        identifiers=doc.texts(party, "ram:ID") + doc.texts(party, "ram:GlobalID"),
        legal_registration_id=doc.text(party, "ram:SpecifiedLegalOrganization/ram:ID", b("legal")),
        vat_id=doc.text(party, "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", b("vat")),
        tax_number=doc.text(party, "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']", b("tax")),
        electronic_address=doc.text(party, "ram:URIUniversalCommunication/ram:URIID", b("endpoint")),
        address=None
        if address is None
        else Address(
            street=doc.text(address, "ram:LineOne", b("street")),
            additional_street=doc.text(address, "ram:LineTwo"),
            address_line_3=doc.text(address, "ram:LineThree"),
            postal_code=doc.text(address, "ram:PostcodeCode", b("postal")),
            city=doc.text(address, "ram:CityName", b("city")),
            subdivision=doc.text(address, "ram:CountrySubDivisionName"),
            country=doc.text(address, "ram:CountryID", b("country")),
        ),
        contact=None
        if contact is None
        else Contact(
            name=doc.text(contact, "ram:PersonName") or doc.text(contact, "ram:DepartmentName"),
            phone=doc.text(contact, "ram:TelephoneUniversalCommunication/ram:CompleteNumber"),
            email=doc.text(contact, "ram:EmailURIUniversalCommunication/ram:URIID"),
        ),
    )


def _notes(doc: XmlDoc, head: Element | None) -> list[Note]:
    notes = []
    for note in doc.all(head, "ram:IncludedNote"):
        text = doc.multiline(note, "ram:Content")
        if text:
            notes.append(Note(text=text, subject_code=doc.text(note, "ram:SubjectCode")))
    return notes


def _optional_party(doc: XmlDoc, party: Element | None) -> Party | None:
    return None if party is None else _party(doc, party)


def _payment_means(doc: XmlDoc, pm: Element, stl: Element | None, mandate: str | None) -> PaymentMeans:
    account = doc.first(pm, "ram:PayeePartyCreditorFinancialAccount")
    account_id = None
    if account is not None:
        account_id = doc.text(account, "ram:IBANID", "BT-84") or doc.text(account, "ram:ProprietaryID", "BT-84")
    code = doc.text(pm, "ram:TypeCode", "BT-81")
    return PaymentMeans(
        code=code,
        text=doc.text(pm, "ram:Information", "BT-82"),
        remittance_information=doc.text(stl, "ram:PaymentReference", "BT-83"),
        credit_account=None
        if not account_id
        else BankAccount(
            account_id=account_id,
            name=doc.text(account, "ram:AccountName", "BT-85"),
            bic=doc.text(pm, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID", "BT-86"),
        ),
        card_account=doc.text(pm, "ram:ApplicableTradeSettlementFinancialCard/ram:ID"),
        mandate_id=mandate if code == "59" else None,
        debited_account=doc.text(pm, "ram:PayerPartyDebtorFinancialAccount/ram:IBANID", "BT-91"),
    )


def _allowance_charge(doc: XmlDoc, ac: Element, d: Dialect) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=(doc.text(ac, "ram:ChargeIndicator/udt:Indicator") or "").lower() == "true",
        amount=doc.decimal(ac, "ram:ActualAmount"),
        base_amount=doc.decimal(ac, "ram:BasisAmount"),
        percent=doc.decimal(ac, "ram:CalculationPercent"),
        reason=doc.text(ac, "ram:Reason"),
        reason_code=doc.text(ac, "ram:ReasonCode"),
        tax_category=doc.text(ac, "ram:CategoryTradeTax/ram:CategoryCode"),
        tax_rate=doc.decimal(ac, f"ram:CategoryTradeTax/{d.rate}"),
    )


def _totals(doc: XmlDoc, s: Element | None, currency: str | None, tax_currency: str | None) -> Totals:
    tax_nodes = doc.all(s, "ram:TaxTotalAmount") if s is not None else []
    # BT-110 carries the document currency; a second TaxTotalAmount in BT-6 is BT-111.
    own = [n for n in tax_nodes if n.get("currencyID") in (None, currency)]
    other = [n for n in tax_nodes if tax_currency and tax_currency != currency and n.get("currencyID") == tax_currency]
    tax = own[0] if own else (tax_nodes[0] if tax_nodes and not other else None)
    return Totals(
        line_total=doc.decimal(s, "ram:LineTotalAmount", "BT-106"),
        allowance_total=doc.decimal(s, "ram:AllowanceTotalAmount", "BT-107"),
        charge_total=doc.decimal(s, "ram:ChargeTotalAmount", "BT-108"),
        tax_basis=doc.decimal(s, "ram:TaxBasisTotalAmount", "BT-109"),
        tax_total=doc.decimal_of(tax, "BT-110"),
        tax_total_in_tax_currency=doc.decimal_of(other[0], "BT-111") if other else None,
        gross=doc.decimal(s, "ram:GrandTotalAmount", "BT-112"),
        prepaid=doc.decimal(s, "ram:TotalPrepaidAmount", "BT-113"),
        rounding=doc.decimal(s, "ram:RoundingAmount", "BT-114"),
        payable=doc.decimal(s, "ram:DuePayableAmount", "BT-115"),
    )


def _tax(doc: XmlDoc, t: Element, d: Dialect) -> TaxBreakdown:
    return TaxBreakdown(
        category=doc.text(t, "ram:CategoryCode"),
        rate=doc.decimal(t, d.rate),
        basis=doc.decimal(t, "ram:BasisAmount"),
        tax=doc.decimal(t, "ram:CalculatedAmount"),
        exemption_reason=doc.text(t, "ram:ExemptionReason"),
        exemption_reason_code=doc.text(t, "ram:ExemptionReasonCode"),
    )


def _lines(doc: XmlDoc, tx: Element | None, d: Dialect) -> tuple[InvoiceLine, ...]:
    """Top-level lines in document order; a line naming a parent (XRechnung sub-line) nests under it."""
    flat = [_line(doc, ln, d) for ln in doc.all(tx, "ram:IncludedSupplyChainTradeLineItem")] if tx is not None else []
    children: dict[str, list[InvoiceLine]] = {}
    for line in flat:
        if line.parent_line_id:
            children.setdefault(line.parent_line_id, []).append(line)
    known = {line.line_id for line in flat}

    def nest(line: InvoiceLine, depth: int = 0) -> InvoiceLine:
        subs = children.get(line.line_id or "", []) if depth < 32 else []
        if not subs:
            return line
        return _replace_subs(line, tuple(nest(s, depth + 1) for s in subs))

    # A parent the document does not contain leaves the line at the top rather than losing it.
    return tuple(nest(ln) for ln in flat if not ln.parent_line_id or ln.parent_line_id not in known)


def _replace_subs(line: InvoiceLine, subs: tuple[InvoiceLine, ...]) -> InvoiceLine:
    return dataclasses.replace(line, sub_lines=subs)


def _line(doc: XmlDoc, ln: Element, d: Dialect) -> InvoiceLine:
    ref = d.referenced_id
    line_doc = doc.first(ln, "ram:AssociatedDocumentLineDocument")
    product = doc.first(ln, "ram:SpecifiedTradeProduct")
    agr = doc.first(ln, d.line_agreement)
    dlv = doc.first(ln, d.line_delivery)
    stl = doc.first(ln, d.line_settlement)
    tax = doc.first(stl, "ram:ApplicableTradeTax")
    gross = doc.first(agr, "ram:GrossPriceProductTradePrice")
    net = doc.first(agr, "ram:NetPriceProductTradePrice")
    # BT-149/150 stand with the net price; some senders put them with the gross price only.
    base = doc.first(net, "ram:BasisQuantity")
    if base is None:
        base = doc.first(gross, "ram:BasisQuantity")
    return InvoiceLine(
        line_id=doc.text(line_doc, "ram:LineID"),
        name=doc.text(product, "ram:Name"),
        description=doc.text(product, "ram:Description"),
        quantity=doc.decimal(dlv, "ram:BilledQuantity"),
        unit=doc.attr(dlv, "ram:BilledQuantity", "unitCode"),
        net_price=doc.decimal(net, "ram:ChargeAmount"),
        gross_price=doc.decimal(gross, "ram:ChargeAmount"),
        price_discount=doc.decimal(gross, "ram:AppliedTradeAllowanceCharge/ram:ActualAmount"),
        price_base_quantity=doc.decimal(base, "."),
        price_base_unit=doc.attr(base, ".", "unitCode"),
        net_amount=doc.decimal(stl, f"{d.line_summation}/ram:LineTotalAmount"),
        tax_category=doc.text(tax, "ram:CategoryCode"),
        tax_rate=doc.decimal(tax, d.rate),
        object_identifier=doc.text(stl, f"ram:AdditionalReferencedDocument[ram:TypeCode='130']/{ref}")
        or doc.text(stl, f"ram:AdditionalReferencedDocument/{ref}"),
        order_line_reference=doc.text(agr, "ram:BuyerOrderReferencedDocument/ram:LineID"),
        accounting_cost=doc.text(stl, "ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID"),
        period_start=doc.cii_date(stl, "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"),
        period_end=doc.cii_date(stl, "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString"),
        seller_item_id=doc.text(product, "ram:SellerAssignedID"),
        buyer_item_id=doc.text(product, "ram:BuyerAssignedID"),
        standard_item_id=doc.text(product, "ram:GlobalID"),
        classification_codes=doc.texts(product, "ram:DesignatedProductClassification/ram:ClassCode"),
        origin_country=doc.text(product, "ram:OriginTradeCountry/ram:ID"),
        attributes=tuple(
            ItemAttribute(name=doc.text(c, "ram:Description") or "", value=doc.text(c, "ram:Value") or "")
            for c in doc.all(product, "ram:ApplicableProductCharacteristic")
        )
        if product is not None
        else (),
        notes=tuple(
            n for n in (doc.multiline(n, ".") for n in doc.all(line_doc, "ram:IncludedNote/ram:Content")) if n
        )
        if line_doc is not None
        else (),
        allowances_charges=tuple(
            _allowance_charge(doc, ac, d) for ac in doc.all(stl, "ram:SpecifiedTradeAllowanceCharge")
        )
        if stl is not None
        else (),
        parent_line_id=doc.text(line_doc, "ram:ParentLineID"),
        source=doc.path_of(ln),
    )
