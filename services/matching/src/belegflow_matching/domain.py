"""Matching's pure decisions: lookup keys, which supplier sent the invoice, touchless or review, the protocol."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Final
from uuid import UUID

from belegflow_contracts.messages import (
    Decision,
    DocumentType,
    EInvoiceVerdict,
    InvoiceV1,
    Level,
    MatchedV1,
    MatchKey,
    ProtocolEntryV1,
    RecognizedV1,
    RuleLevel,
    SupplierMatchV1,
    SupplierV1,
    document_type_of,
)
from belegflow_contracts.types import normalize_iban, normalize_vat_id
from belegflow_matching.errors import BatchRefusedError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    from belegflow_contracts.messages import EInvoiceCheckV1, InvoiceFieldsV1

STEP: Final = "matching"
CONFIDENCE: Final = {MatchKey.IBAN: 0.99, MatchKey.VAT_ID: 0.97, MatchKey.NAME: 0.6, MatchKey.CHOSEN: 1.0}
# IBAN and VAT ID identify a legal entity; a name is only a hint and always goes to a clerk.
STRONG_KEYS: Final = frozenset({MatchKey.IBAN, MatchKey.VAT_ID})


@dataclass(frozen=True, slots=True)
class SupplierRecord:
    """One supplier as master data holds it."""

    supplier_number: str
    name: str
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    ibans: tuple[str, ...] = ()
    vat_id: str | None = None
    gl_account: str | None = None
    cost_center: str | None = None
    tax_key: str | None = None
    amount_tolerance: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Keys:
    """The lookup keys read on the document, normalised; a key that fails its check is left out, with why."""

    iban: str | None = None
    vat_id: str | None = None
    name: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidates:
    """What master data holds for each key (the store looks them up, the domain chooses)."""

    by_iban: SupplierRecord | None = None
    by_vat: tuple[SupplierRecord, ...] = ()
    by_name: tuple[SupplierRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Identification:
    supplier: SupplierMatchV1 | None
    record: SupplierRecord | None
    key_value: str | None
    notes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


_LEGAL_PUNCT = re.compile(r"[^0-9a-z]+")


def normalize_name(name: str) -> str:
    """Case, accents, punctuation and spacing do not tell suppliers apart; everything else does."""
    folded = unicodedata.normalize("NFKD", name.casefold().replace("ß", "ss"))
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_LEGAL_PUNCT.sub(" ", ascii_only).split())


def lookup_keys(fields: InvoiceFieldsV1) -> Keys:
    notes: list[str] = []
    iban = vat_id = name = None
    if fields.supplier_iban is not None:
        try:
            iban = normalize_iban(fields.supplier_iban.value)
        except ValueError as exc:
            notes.append(f"IBAN read {fields.supplier_iban.value!r} not used as key: {exc}")
    if fields.supplier_vat_id is not None:
        try:
            vat_id = normalize_vat_id(fields.supplier_vat_id.value)
        except ValueError as exc:
            notes.append(f"VAT ID read {fields.supplier_vat_id.value!r} not used as key: {exc}")
    if fields.supplier_name is not None:
        name = normalize_name(fields.supplier_name.value) or None
    return Keys(iban=iban, vat_id=vat_id, name=name, notes=tuple(notes))


def build_invoice(event: RecognizedV1, keys: Keys) -> InvoiceV1:
    """The invoice as read; IBAN and VAT ID in their normalised form when they pass their checks."""
    f = event.fields
    return InvoiceV1(
        document_type=read_document_type(event),
        invoice_number=f.invoice_number.value if f.invoice_number else None,
        invoice_date=f.invoice_date.value if f.invoice_date else None,
        due_date=f.due_date.value if f.due_date else None,
        currency=(f.currency.value.upper() if f.currency and f.currency.value else "EUR"),
        net_amount=f.net_amount.value if f.net_amount else None,
        tax_amount=f.tax_amount.value if f.tax_amount else None,
        gross_amount=f.gross_amount.value if f.gross_amount else None,
        supplier_name=f.supplier_name.value if f.supplier_name else None,
        supplier_iban=keys.iban or (f.supplier_iban.value if f.supplier_iban else None),
        supplier_vat_id=keys.vat_id or (f.supplier_vat_id.value if f.supplier_vat_id else None),
        recipient_name=f.recipient_name.value if f.recipient_name else None,
        lines=list(event.lines),
        references=list(event.references),
    )


def read_document_type(event: RecognizedV1) -> DocumentType:
    """What recognition says the document is (its ``document_type`` field, else the e-invoice type code BT-3 in
    its protocol); an invoice when it says nothing."""
    read = event.fields.document_type
    if read is not None and read.value in set(DocumentType):
        return DocumentType(read.value)
    for entry in event.protocol:
        if entry.data.get("type_code"):
            return document_type_of(entry.data["type_code"])
    return DocumentType.INVOICE


def _as_match(record: SupplierRecord, key: MatchKey, iban: str | None) -> SupplierMatchV1:
    # the IBAN on the invoice is the one to pay to when it is the supplier's; otherwise its first one
    chosen = iban if iban in record.ibans else (record.ibans[0] if record.ibans else None)
    return SupplierMatchV1(
        supplier_number=record.supplier_number,
        name=record.name,
        street=record.street,
        postal_code=record.postal_code,
        city=record.city,
        country=record.country,
        vat_id=record.vat_id,
        iban=chosen,
        gl_account=record.gl_account,
        cost_center=record.cost_center,
        tax_key=record.tax_key,
        matched_by=key,
        confidence=CONFIDENCE[key],
    )


def identify(keys: Keys, candidates: Candidates) -> Identification:
    """IBAN first, then VAT ID, then the exact normalised name; a key that names several suppliers names none."""
    notes = list(keys.notes)
    conflicts: list[str] = []
    chosen: tuple[SupplierRecord, MatchKey, str] | None = None
    if keys.iban is not None:
        if candidates.by_iban is not None:
            chosen = (candidates.by_iban, MatchKey.IBAN, keys.iban)
        else:
            notes.append(f"IBAN {keys.iban} is not in master data")
    if keys.vat_id is not None:
        numbers = sorted(r.supplier_number for r in candidates.by_vat)
        if chosen is not None:
            if numbers and chosen[0].supplier_number not in numbers:
                conflicts.append(
                    f"IBAN {keys.iban} belongs to supplier {chosen[0].supplier_number}, "
                    f"VAT ID {keys.vat_id} to {', '.join(numbers)}"
                )
        elif len(numbers) == 1:
            chosen = (candidates.by_vat[0], MatchKey.VAT_ID, keys.vat_id)
        elif numbers:
            notes.append(f"VAT ID {keys.vat_id} belongs to several suppliers ({', '.join(numbers)})")
        else:
            notes.append(f"VAT ID {keys.vat_id} is not in master data")
    if chosen is None and keys.name is not None:
        numbers = sorted(r.supplier_number for r in candidates.by_name)
        if len(numbers) == 1:
            chosen = (candidates.by_name[0], MatchKey.NAME, keys.name)
        elif numbers:
            notes.append(f"name {keys.name!r} belongs to several suppliers ({', '.join(numbers)})")
        else:
            notes.append(f"name {keys.name!r} is not in master data")
    if chosen is None:
        if keys.iban is None and keys.vat_id is None and keys.name is None:
            notes.append("no IBAN, VAT ID or supplier name was read")
        return Identification(supplier=None, record=None, key_value=None, notes=notes, conflicts=conflicts)
    record, key, value = chosen
    return Identification(
        supplier=_as_match(record, key, keys.iban),
        record=record,
        key_value=value,
        notes=notes,
        conflicts=conflicts,
    )


# failed rules named one by one among the review reasons; the rest are counted (all are in the protocol)
_EINVOICE_REASONS: Final = 10


def einvoice_reasons(check: EInvoiceCheckV1 | None) -> list[str]:
    """Why an e-invoice cannot go touchless: each error-level rule it failed (it is invalid), and each field where
    a hybrid PDF's picture disagrees with its XML. None for a valid, consistent e-invoice or another document."""
    if check is None:
        return []
    reasons: list[str] = []
    if check.verdict is EInvoiceVerdict.INVALID:
        errors = [f for f in check.failed if f.level is RuleLevel.ERROR]
        for rule in errors[:_EINVOICE_REASONS]:
            reasons.append(f"e-invoice invalid: {rule.rule} - {rule.message}"[:500])
        more = max(0, check.failed_total - len(check.failed)) + max(0, len(errors) - _EINVOICE_REASONS)
        if more:
            reasons.append(f"e-invoice invalid: {more} more failed rules (see the protocol)")
        if not errors:
            reasons.append("e-invoice invalid")
    for difference in check.picture_differences:
        reasons.append(f"picture and XML disagree on {difference.field}: the XML says {difference.xml}, the page "
                       f"says {difference.page_value}")
    return reasons


def automatic_rejection(event: RecognizedV1, *, reject_invalid: bool) -> str | None:
    """Why the revision is rejected without a person (the tenant refuses invalid e-invoices); None: it is not."""
    check = event.einvoice
    if not reject_invalid or check is None or check.verdict is not EInvoiceVerdict.INVALID:
        return None
    rules = ", ".join(dict.fromkeys(f.rule for f in check.failed if f.level is RuleLevel.ERROR))
    return f"invalid e-invoice ({check.scenario or 'no validation scenario'}): {rules or 'rules failed'}"[:500]


def decide(
    fields: InvoiceFieldsV1, invoice: InvoiceV1, found: Identification, *, min_confidence: float,
    max_gross: Decimal | None = None, manual_reason: str | None = None, book_receipts: bool = False,
    einvoice: EInvoiceCheckV1 | None = None,
) -> tuple[Decision, list[str]]:
    """Touchless only with a strong supplier key and number, date and gross read surely and adding up,
    and a gross within the tenant's limit (``max_gross``, none when ``None``).

    A document marked for manual capture (its recognition was cancelled) always goes to review, with why first;
    so does an invalid e-invoice (its failed rules are the reasons) and a hybrid PDF whose picture disagrees with
    its XML (the fields are).
    """
    reasons: list[str] = [manual_reason] if manual_reason is not None else []
    reasons.extend(einvoice_reasons(einvoice))
    supplier = found.supplier
    if supplier is None:
        reasons.append("no supplier identified from master data")
    elif supplier.matched_by not in STRONG_KEYS:
        reasons.append(f"supplier {supplier.supplier_number} identified by {supplier.matched_by.value} only")
    reasons.extend(found.conflicts)
    required = {
        "invoice number": fields.invoice_number,
        "invoice date": fields.invoice_date,
        "gross amount": fields.gross_amount,
    }
    for label, value in required.items():
        if value is None:
            reasons.append(f"{label} missing")
        elif value.confidence < min_confidence:
            reasons.append(f"{label} read with confidence {value.confidence:.2f} < {min_confidence:.2f}")
    net, tax, gross = invoice.net_amount, invoice.tax_amount, invoice.gross_amount
    if net is not None and tax is not None and gross is not None and net + tax != gross:
        reasons.append(f"net {net} + tax {tax} = {net + tax}, not gross {gross}")
    if invoice.document_type is DocumentType.RECEIPT and not book_receipts:
        reasons.append("a till receipt: the tenant does not book receipts as invoices")
    if max_gross is not None and gross is not None and abs(gross) > max_gross:
        reasons.append(f"gross {gross} above the tenant's touchless limit {max_gross}")
    return (Decision.REVIEW if reasons else Decision.TOUCHLESS), reasons


def _differences(fields: InvoiceFieldsV1, keys: Keys, record: SupplierRecord) -> dict[str, tuple[str, str]]:
    read: dict[str, tuple[str | None, str | None, bool]] = {
        # field: (read, master data, compare normalised names)
        "name": (fields.supplier_name.value if fields.supplier_name else None, record.name, True),
        "street": (fields.supplier_street.value if fields.supplier_street else None, record.street, True),
        "postal_code": (
            fields.supplier_postal_code.value if fields.supplier_postal_code else None, record.postal_code, True
        ),
        "city": (fields.supplier_city.value if fields.supplier_city else None, record.city, True),
        "vat_id": (keys.vat_id, record.vat_id, False),
    }
    diffs: dict[str, tuple[str, str]] = {}
    for name, (was_read, master, fuzzy) in read.items():
        if was_read is None or master is None:
            continue
        same = normalize_name(was_read) == normalize_name(master) if fuzzy else was_read == master
        if not same:
            diffs[name] = (was_read, master)
    if keys.iban is not None and record.ibans and keys.iban not in record.ibans:
        diffs["iban"] = (keys.iban, ", ".join(record.ibans))
    return diffs


def protocol(
    fields: InvoiceFieldsV1,
    keys: Keys,
    found: Identification,
    decision: Decision,
    reasons: list[str],
    *,
    at: datetime,
) -> list[ProtocolEntryV1]:
    """Matching's protocol section: the key that matched, read versus master data, and the decision."""
    entries: list[ProtocolEntryV1] = []
    read = {"iban": keys.iban or "", "vat_id": keys.vat_id or "", "name": keys.name or ""}
    supplier, record = found.supplier, found.record
    if supplier is None or record is None:
        entries.append(ProtocolEntryV1(
            step=STEP, at=at, level=Level.WARNING,
            message="no supplier identified: " + "; ".join(found.notes),
            data={f"read.{k}": v for k, v in read.items() if v},
        ))
    else:
        message = (
            f"supplier {supplier.supplier_number} ({supplier.name}) identified by "
            f"{supplier.matched_by.value} {found.key_value} (confidence {supplier.confidence:.2f})"
        )
        if found.notes:
            message += "; " + "; ".join(found.notes)
        entries.append(ProtocolEntryV1(
            step=STEP, at=at, message=message,
            data={"matched_by": supplier.matched_by.value, "key": found.key_value or "",
                  "supplier_number": supplier.supplier_number, "confidence": f"{supplier.confidence:.2f}",
                  **{f"read.{k}": v for k, v in read.items() if v}},
        ))
        diffs = _differences(fields, keys, record)
        if diffs:
            entries.append(ProtocolEntryV1(
                step=STEP, at=at, level=Level.WARNING,
                message="read differs from master data, master data used: " + "; ".join(
                    f"{name} read {was!r}, master data {master!r}" for name, (was, master) in diffs.items()
                ),
                data={k: v for name, (was, master) in diffs.items()
                      for k, v in ((f"{name}.read", was), (f"{name}.master", master))},
            ))
        filled = {
            "gl_account": record.gl_account, "cost_center": record.cost_center, "tax_key": record.tax_key,
            "street": record.street, "postal_code": record.postal_code, "city": record.city,
        }
        given = {k: v for k, v in filled.items() if v}
        if given:
            entries.append(ProtocolEntryV1(
                step=STEP, at=at,
                message="filled from master data: " + ", ".join(f"{k} {v}" for k, v in given.items()),
                data=given,
            ))
    if decision is Decision.TOUCHLESS:
        entries.append(ProtocolEntryV1(
            step=STEP, at=at,
            message="decision: touchless (strong supplier key; number, date and gross sure; amounts add up)",
            data={"decision": decision.value},
        ))
    else:
        entries.append(ProtocolEntryV1(
            step=STEP, at=at, level=Level.WARNING,
            message="decision: review - " + "; ".join(reasons),
            data={"decision": decision.value, **{f"reason.{i}": r for i, r in enumerate(reasons, 1)}},
        ))
    return entries


def match(event: RecognizedV1, keys: Keys, candidates: Candidates, *, min_confidence: float, at: datetime,
          max_gross: Decimal | None = None, companies: Sequence[CompanyRecord] = (), book_receipts: bool = False
          ) -> MatchedV1:
    """The whole step on one recognized document: identify supplier and recipient, fill, decide, explain."""
    invoice = build_invoice(event, keys)
    company, company_note = identify_company(invoice.recipient_name, companies)
    invoice = invoice.model_copy(update={"recipient_company": company})
    found = identify(keys, candidates)
    decision, reasons = decide(event.fields, invoice, found, min_confidence=min_confidence, max_gross=max_gross,
                               manual_reason=manual_capture_reason(event), book_receipts=book_receipts,
                               einvoice=event.einvoice)
    entries = protocol(event.fields, keys, found, decision, reasons, at=at)
    if company_note:
        # before the decision entry, which stays the last one
        entries.insert(len(entries) - 1, ProtocolEntryV1(step=STEP, at=at, message=company_note,
                                                         data={"recipient_company": company or ""}))
    return MatchedV1(
        document_id=event.document_id,
        tenant=event.tenant,
        revision=event.revision,
        original=event.original,
        protocol=entries,
        invoice=invoice,
        supplier=found.supplier,
        decision=decision,
        reasons=reasons,
    )


@dataclass(frozen=True, slots=True)
class CompanyRecord:
    """One of the tenant's own companies, as master data holds it."""

    company_number: str
    name: str
    aliases: tuple[str, ...] = ()
    vat_id: str | None = None


def identify_company(recipient: str | None, companies: Sequence[CompanyRecord]) -> tuple[str | None, str]:
    """The tenant's company the invoice is addressed to (by name or alias), or the only one; and why.

    An empty note means the tenant keeps no companies.
    """
    if not companies:
        return None, ""
    if recipient:
        key = normalize_name(recipient)
        named = [c for c in companies if key in {normalize_name(n) for n in (c.name, *c.aliases)}]
        if len(named) == 1:
            return named[0].company_number, (f"recipient company {named[0].company_number} ({named[0].name}) "
                                             f"identified by the name {recipient!r}")
    if len(companies) == 1:
        only = companies[0]
        return only.company_number, f"recipient company {only.company_number} ({only.name}) preselected: the " \
                                    "tenant has only this one"
    read = f"recipient {recipient!r} names none of" if recipient else "no recipient read among"
    return None, f"recipient company not identified: {read} the tenant's {len(companies)} companies"


def manual_capture_reason(event: RecognizedV1) -> str | None:
    """Why a clerk must capture the document by hand (its recognition was cancelled); ``None`` when not."""
    if not event.manual:
        return None
    return event.manual_reason or "recognition marked the document for manual capture"


def check_batch(records: list[SupplierV1]) -> None:
    """Refuse a batch that contradicts itself before it touches the database."""
    numbers: set[str] = set()
    owner: dict[str, str] = {}
    for record in records:
        if record.supplier_number in numbers:
            raise BatchRefusedError(supplier_number=record.supplier_number, detail="occurs twice in the batch")
        numbers.add(record.supplier_number)
        for iban in record.ibans:
            other = owner.setdefault(iban, record.supplier_number)
            if other != record.supplier_number:
                raise BatchRefusedError(
                    supplier_number=record.supplier_number,
                    detail=f"IBAN {iban} is also given to supplier {other} in the same batch",
                )


# --- duplicates: the same invoice again, with other bytes or from another channel ---------------

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def invoice_key(number: str | None) -> str | None:
    """An invoice number as it identifies an invoice: case, blanks and punctuation do not count."""
    if number is None:
        return None
    key = _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", number).upper())
    return key or None


@dataclass(frozen=True, slots=True)
class Earlier:
    """An earlier document of the same supplier that may be this invoice again (found by the store)."""

    document_id: UUID
    invoice_number: str | None
    invoice_date: date | None
    gross_amount: Decimal | None


def duplicate_reasons(invoice: InvoiceV1, earlier: list[Earlier]) -> tuple[UUID | None, list[str]]:
    """The document this one repeats (same supplier and number, and same date or gross), and the review reasons.

    Same supplier, date and gross with another number is flagged too, without naming it a duplicate.
    """
    key = invoice_key(invoice.invoice_number)
    duplicate_of: UUID | None = None
    reasons: list[str] = []
    for other in earlier:
        same_number = key is not None and invoice_key(other.invoice_number) == key
        same_date = invoice.invoice_date is not None and other.invoice_date == invoice.invoice_date
        same_gross = invoice.gross_amount is not None and other.gross_amount == invoice.gross_amount
        if same_number and (same_date or same_gross):
            if duplicate_of is None:
                duplicate_of = other.document_id
            reasons.append(f"suspected duplicate of document {other.document_id}: same supplier and invoice number "
                           f"{other.invoice_number}" + (", same date" if same_date else "")
                           + (", same gross" if same_gross else ""))
        elif same_date and same_gross:
            reasons.append(f"possible duplicate of document {other.document_id}: same supplier, date and gross, "
                           f"invoice number {other.invoice_number or 'missing'} there")
    return duplicate_of, reasons


def flag_duplicates(matched: MatchedV1, earlier: list[Earlier], *, at: datetime) -> tuple[MatchedV1, UUID | None]:
    """The match with suspected duplicates sent to review, and the document it repeats (if any)."""
    duplicate_of, reasons = duplicate_reasons(matched.invoice, earlier)
    if not reasons:
        return matched, None
    entry = ProtocolEntryV1(
        step=STEP, at=at, level=Level.WARNING, message="duplicate check: " + "; ".join(reasons),
        data={"duplicate_of": str(duplicate_of) if duplicate_of else "",
              **{f"reason.{i}": r for i, r in enumerate(reasons, 1)}},
    )
    all_reasons = [*matched.reasons, *reasons]
    protocol = list(matched.protocol)
    if matched.decision is Decision.TOUCHLESS:
        # the touchless decision entry is the last one; it no longer holds
        protocol[-1] = ProtocolEntryV1(
            step=STEP, at=at, level=Level.WARNING, message="decision: review - " + "; ".join(all_reasons),
            data={"decision": Decision.REVIEW.value, **{f"reason.{i}": r for i, r in enumerate(all_reasons, 1)}},
        )
    flagged = matched.model_copy(update={"decision": Decision.REVIEW, "reasons": all_reasons,
                                         "protocol": [*protocol, entry]})
    return flagged, duplicate_of
