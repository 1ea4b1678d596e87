"""A neutral model of an EN 16931 invoice, the same whichever syntax (UBL, CII, ZUGFeRD 1.0) carried it.

Names follow the EN 16931 semantic model; the business term (BT-/BG-) is given beside each attribute.
Money and quantities are ``Decimal`` exactly as the document states them: a credit note's amounts keep
their sign (usually positive: the amount credited to the buyer), and ``is_credit_note`` tells the
direction. Nothing is negated or recomputed here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Syntax(StrEnum):
    UBL = "UBL 2.1"
    CII = "UN/CEFACT CII D16B"
    ZUGFERD1 = "ZUGFeRD 1.0"


# UNTDID 1001 document type codes that mean a credit note in EN 16931 (BT-3).
CREDIT_NOTE_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})

# Business terms of the seller's (BG-4) and buyer's (BG-7) party fields; other parties' fields have none here.
_PARTY_TERMS = {
    "seller": {"name": "BT-27", "trading": "BT-28", "legal": "BT-30", "vat": "BT-31", "tax": "BT-32",
               "endpoint": "BT-34", "street": "BT-35", "city": "BT-37", "postal": "BT-38", "country": "BT-40"},
    "buyer": {"name": "BT-44", "trading": "BT-45", "legal": "BT-47", "vat": "BT-48", "tax": "",
              "endpoint": "BT-49", "street": "BT-50", "city": "BT-52", "postal": "BT-53", "country": "BT-55"},
}  # fmt: skip


def party_terms(role: str) -> Callable[[str], str | None]:
    """The business term of a field (``"name"``, ``"vat"``, ``"street"`` ...) of the ``role``'s party, else None."""
    terms = _PARTY_TERMS.get(role, {})

    def term(key: str) -> str | None:
        return terms.get(key) or None

    return term


@dataclass(frozen=True, slots=True)
class Address:
    """BG-5 / BG-8 / BG-12 / BG-15."""

    street: str | None = None  # BT-35
    additional_street: str | None = None  # BT-36
    address_line_3: str | None = None  # BT-162
    postal_code: str | None = None  # BT-38
    city: str | None = None  # BT-37
    subdivision: str | None = None  # BT-39
    country: str | None = None  # BT-40


@dataclass(frozen=True, slots=True)
class Contact:
    """BG-6 / BG-9."""

    name: str | None = None  # BT-41
    phone: str | None = None  # BT-42
    email: str | None = None  # BT-43


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4), buyer (BG-7), payee (BG-10) or the seller's tax representative (BG-11)."""

    name: str | None = None  # BT-27 / BT-44 / BT-59 / BT-62
    trading_name: str | None = None  # BT-28 / BT-45
    identifiers: tuple[str, ...] = ()  # BT-29 / BT-46 / BT-60
    legal_registration_id: str | None = None  # BT-30 / BT-47 / BT-61
    vat_id: str | None = None  # BT-31 / BT-48 / BT-63
    tax_number: str | None = None  # BT-32
    electronic_address: str | None = None  # BT-34 / BT-49
    address: Address | None = None
    contact: Contact | None = None


@dataclass(frozen=True, slots=True)
class BankAccount:
    """BG-17 (credit transfer) or the debited account of BG-19 (direct debit)."""

    account_id: str  # BT-84 / BT-91: an IBAN where the document gives one
    name: str | None = None  # BT-85
    bic: str | None = None  # BT-86


@dataclass(frozen=True, slots=True)
class PaymentMeans:
    """BG-16."""

    code: str | None = None  # BT-81
    text: str | None = None  # BT-82
    remittance_information: str | None = None  # BT-83
    credit_account: BankAccount | None = None  # BG-17
    card_account: str | None = None  # BT-87
    mandate_id: str | None = None  # BT-89
    debited_account: str | None = None  # BT-91


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """BG-20 / BG-21 on the document, BG-27 / BG-28 on a line."""

    is_charge: bool
    amount: Decimal | None = None  # BT-92 / BT-99 / BT-136 / BT-141
    base_amount: Decimal | None = None  # BT-93 / BT-100
    percent: Decimal | None = None  # BT-94 / BT-101
    reason: str | None = None  # BT-97 / BT-104
    reason_code: str | None = None  # BT-98 / BT-105
    tax_category: str | None = None  # BT-95 / BT-102
    tax_rate: Decimal | None = None  # BT-96 / BT-103


@dataclass(frozen=True, slots=True)
class Totals:
    """BG-22."""

    line_total: Decimal | None = None  # BT-106
    allowance_total: Decimal | None = None  # BT-107
    charge_total: Decimal | None = None  # BT-108
    tax_basis: Decimal | None = None  # BT-109: the net amount
    tax_total: Decimal | None = None  # BT-110, in the document currency
    tax_total_in_tax_currency: Decimal | None = None  # BT-111
    gross: Decimal | None = None  # BT-112
    prepaid: Decimal | None = None  # BT-113
    rounding: Decimal | None = None  # BT-114
    payable: Decimal | None = None  # BT-115


@dataclass(frozen=True, slots=True)
class TaxBreakdown:
    """BG-23: one per VAT category and rate."""

    category: str | None = None  # BT-118
    rate: Decimal | None = None  # BT-119
    basis: Decimal | None = None  # BT-116
    tax: Decimal | None = None  # BT-117
    exemption_reason: str | None = None  # BT-120
    exemption_reason_code: str | None = None  # BT-121


@dataclass(frozen=True, slots=True)
class Note:
    """BG-1."""

    text: str  # BT-22
    subject_code: str | None = None  # BT-21 (UBL writes it as a "#CODE#" prefix of the note)


@dataclass(frozen=True, slots=True)
class ItemAttribute:
    """BG-32."""

    name: str  # BT-160
    value: str  # BT-161


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """BG-25 (and XRechnung's sub-lines, BG-DEX-01, nested under their parent)."""

    line_id: str | None = None  # BT-126
    name: str | None = None  # BT-153
    description: str | None = None  # BT-154
    quantity: Decimal | None = None  # BT-129
    unit: str | None = None  # BT-130
    net_price: Decimal | None = None  # BT-146
    gross_price: Decimal | None = None  # BT-148
    price_discount: Decimal | None = None  # BT-147
    price_base_quantity: Decimal | None = None  # BT-149
    price_base_unit: str | None = None  # BT-150
    net_amount: Decimal | None = None  # BT-131
    tax_category: str | None = None  # BT-151
    tax_rate: Decimal | None = None  # BT-152
    object_identifier: str | None = None  # BT-128
    order_line_reference: str | None = None  # BT-132
    accounting_cost: str | None = None  # BT-133
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    seller_item_id: str | None = None  # BT-155
    buyer_item_id: str | None = None  # BT-156
    standard_item_id: str | None = None  # BT-157
    classification_codes: tuple[str, ...] = ()  # BT-158
    origin_country: str | None = None  # BT-159
    attributes: tuple[ItemAttribute, ...] = ()  # BG-32
    notes: tuple[str, ...] = ()  # BT-127
    allowances_charges: tuple[AllowanceCharge, ...] = ()  # BG-27 / BG-28
    parent_line_id: str | None = None
    sub_lines: tuple[InvoiceLine, ...] = ()
    source: str = ""
    """Path of the line element in the XML."""

    def reference_text(self) -> str:
        """Every text of the line that may carry a reference (order, shipment, container ...), in one string."""
        parts: list[str] = []
        for value in (
            self.name,
            self.description,
            *self.notes,
            self.object_identifier,
            self.order_line_reference,
            self.seller_item_id,
            self.buyer_item_id,
            self.standard_item_id,
            *(f"{a.name}: {a.value}" for a in self.attributes),
        ):
            if value and value not in parts:
                parts.append(value)
        return " | ".join(parts)


@dataclass(frozen=True, slots=True)
class EInvoice:
    syntax: Syntax
    root: str
    """Qualified name of the root element, e.g. ``{urn:oasis:...:Invoice-2}Invoice``."""
    customization_id: str | None = None  # BT-24
    profile: str | None = None
    """Profile told from BT-24: MINIMUM, BASIC WL, BASIC, EN16931, EXTENDED, XRECHNUNG, PEPPOL BIS ..."""
    business_process: str | None = None  # BT-23
    number: str | None = None  # BT-1
    type_code: str | None = None  # BT-3
    is_credit_note: bool = False
    issue_date: date | None = None  # BT-2
    due_date: date | None = None  # BT-9
    tax_point_date: date | None = None  # BT-7
    delivery_date: date | None = None  # BT-72
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    currency: str | None = None  # BT-5
    tax_currency: str | None = None  # BT-6
    buyer_reference: str | None = None  # BT-10
    project_reference: str | None = None  # BT-11
    contract_reference: str | None = None  # BT-12
    order_reference: str | None = None  # BT-13
    sales_order_reference: str | None = None  # BT-14
    receiving_advice_reference: str | None = None  # BT-15
    despatch_advice_reference: str | None = None  # BT-16
    tender_reference: str | None = None  # BT-17
    object_identifier: str | None = None  # BT-18
    accounting_cost: str | None = None  # BT-19
    payment_terms: str | None = None  # BT-20
    creditor_reference_id: str | None = None  # BT-90 (SEPA creditor identifier)
    notes: tuple[Note, ...] = ()  # BG-1
    preceding_invoices: tuple[str, ...] = ()  # BT-25
    seller: Party = field(default_factory=Party)  # BG-4
    buyer: Party = field(default_factory=Party)  # BG-7
    payee: Party | None = None  # BG-10
    tax_representative: Party | None = None  # BG-11
    payment_means: tuple[PaymentMeans, ...] = ()  # BG-16
    allowances_charges: tuple[AllowanceCharge, ...] = ()  # BG-20 / BG-21
    totals: Totals = field(default_factory=Totals)  # BG-22
    tax_breakdown: tuple[TaxBreakdown, ...] = ()  # BG-23
    lines: tuple[InvoiceLine, ...] = ()  # BG-25
    sources: dict[str, str] = field(default_factory=dict)
    """Business term (``BT-1`` ...) -> path of the element or attribute it was read from."""
    raw: dict[str, str] = field(default_factory=dict)
    """Business term -> the text exactly as it stood in the XML (before parsing dates and amounts)."""
    problems: tuple[str, ...] = ()
    """Values the reader could not parse (a date or an amount in the wrong format), said in words."""

    @property
    def document_kind(self) -> str:
        return "credit note" if self.is_credit_note else "invoice"

    @property
    def seller_iban(self) -> str | None:
        """The first credit-transfer account of the seller (BT-84), as written."""
        for means in self.payment_means:
            if means.credit_account is not None:
                return means.credit_account.account_id
        return None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: dates ISO, amounts decimal strings, enums as their values."""
        converted = _plain(self)
        assert isinstance(converted, dict)
        converted["document_kind"] = self.document_kind
        return converted


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
