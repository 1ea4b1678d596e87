"""Supplier layout memory, pure: what an approved invoice teaches, and reading the next invoice with it.

A clerk's approval confirms every value of the invoice; the ones the clerk corrected were wrong before. For each
learnable field (``learned.KINDS``) a rule records where the right value stands on that supplier's layout. The
next document whose supplier keys (IBAN, VAT ID as printed) and layout match reads the field by the rule first.
A rule never touches the supplier's name, IBAN or VAT ID: how matching identified the supplier stays its own.
A rule whose value fails the sums or the dates is demoted (not used again until a clerk teaches it anew).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from belegflow_contracts.messages import (
    AmountFieldV1,
    DateFieldV1,
    InvoiceFieldsV1,
    InvoiceLineV1,
    LineTemplateV1,
    TextFieldV1,
)
from belegflow_ocr.recognition.learned import KINDS, FieldRule, Layout, layout_of, learn_rule, read_rules, similarity
from belegflow_ocr.recognition.templates import read_lines

if TYPE_CHECKING:
    from belegflow_contracts.messages import InvoiceV1
    from belegflow_ocr.recognition.model import PageInfo, ProtocolLog, Word

LEARNED_CONFIDENCE = 0.95
"""A value read by a rule a clerk taught: above matching's touchless threshold (0.9); the bench
(``bench/learning``) measures that such values are right."""
MOVED_CONFIDENCE = 0.91
"""A value found beside the learned label, but at another place than where it was taught (right of the label
instead of below it): still above the threshold, because its label, kind and format agree, and the sums and
dates are checked as for every learned value."""
SAME_LAYOUT = 0.6
"""Share of shared words from which two documents of one supplier count as one layout."""


def supplier_keys(*values: str | None) -> frozenset[str]:
    """IBANs and VAT IDs as compared: spaces dropped, capitals."""
    return frozenset(re.sub(r"\s+", "", v).upper() for v in values if v and v.strip())


@dataclass(frozen=True, slots=True)
class LearnedField:
    rule: FieldRule
    document_id: str
    by: str
    at: datetime
    corrected: bool
    """True: the clerk corrected the value; False: the clerk confirmed what was read."""
    uses: int = 0
    failures: int = 0
    demoted: bool = False
    demoted_why: str = ""

    def source(self) -> str:
        what = "correction" if self.corrected else "confirmation"
        return f"{what} of document {self.document_id} by {self.by} on {self.at.date().isoformat()}"

    def to_json(self) -> dict[str, object]:
        return {"rule": self.rule.to_json(), "document_id": self.document_id, "by": self.by,
                "at": self.at.isoformat(), "corrected": self.corrected, "uses": self.uses, "failures": self.failures,
                "demoted": self.demoted, "demoted_why": self.demoted_why}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> LearnedField:
        rule = data["rule"]
        if not isinstance(rule, dict):
            raise ValueError("a learned field needs its rule")
        return cls(rule=FieldRule.from_json(rule), document_id=str(data["document_id"]), by=str(data["by"]),
                   at=datetime.fromisoformat(str(data["at"])), corrected=bool(data["corrected"]),
                   uses=int(str(data.get("uses", 0))), failures=int(str(data.get("failures", 0))),
                   demoted=bool(data.get("demoted", False)), demoted_why=str(data.get("demoted_why", "")))


@dataclass(frozen=True, slots=True)
class LearnedLayout:
    """What is known of one layout of one supplier of one tenant."""

    tenant: str
    supplier_number: str
    supplier_name: str
    supplier_keys: frozenset[str]
    fingerprint: str
    tokens: frozenset[str]
    fields: dict[str, LearnedField]
    layout_id: int | None = None


@dataclass(frozen=True, slots=True)
class Teaching:
    """An approved invoice as learning sees it."""

    tenant: str
    document_id: str
    invoice: InvoiceV1
    supplier_number: str
    supplier_name: str
    keys: frozenset[str]
    approved_by: str
    at: datetime
    corrected: Mapping[str, tuple[str, datetime]] = field(default_factory=dict)
    """field -> (who corrected it, when) for the values a clerk changed before approving."""


def best_layout(layouts: Iterable[LearnedLayout], tokens: frozenset[str]) -> tuple[LearnedLayout | None, float]:
    scored = [(similarity(layout.tokens, tokens), layout) for layout in layouts]
    if not scored:
        return None, 0.0
    score, layout = max(scored, key=lambda s: s[0])
    return (layout if score >= SAME_LAYOUT else None), score


def learn(teaching: Teaching, words: Sequence[Word], pages: Sequence[PageInfo],
          known: Sequence[LearnedLayout]) -> tuple[LearnedLayout | None, list[str]]:
    """The layout memory after this approval (a new layout has no id yet), and what was learned, in words.

    ``known`` are the supplier's layouts of this tenant. A field whose right value no stable anchor leads to is
    not learned (it says so); a field already known by the same rule counts as confirmed again.
    """
    if not words:
        return None, ["nothing learned: the document has no positioned words (an e-invoice reads itself)"]
    seen = layout_of(words)
    mine = [k for k in known if k.tenant == teaching.tenant and k.supplier_number == teaching.supplier_number]
    existing, _ = best_layout(mine, seen.tokens)
    fields = dict(existing.fields) if existing else {}
    notes: list[str] = []
    for name in KINDS:
        value = getattr(teaching.invoice, name, None)
        if value is None:
            continue
        corrected = teaching.corrected.get(name)
        rule = learn_rule(name, value, words, pages)
        if rule is None:
            notes.append(f"{name}: {value} - no stable label leads to it on this layout; not learned")
            continue
        before = fields.get(name)
        if before is not None and before.rule == rule and corrected is None and not before.demoted:
            fields[name] = replace(before, uses=before.uses + 1)
            continue
        by, at = corrected if corrected is not None else (teaching.approved_by, teaching.at)
        fields[name] = LearnedField(rule=rule, document_id=teaching.document_id, by=by, at=at,
                                    corrected=corrected is not None)
        notes.append(f"{name}: {value} learned ({rule.describe()})")
    if not fields:
        return None, notes
    if existing is not None:
        tokens = existing.tokens & seen.tokens
        layout = replace(existing, fields=fields, tokens=tokens if len(tokens) >= 10 else existing.tokens,
                         supplier_keys=existing.supplier_keys | teaching.keys)
    else:
        layout = LearnedLayout(tenant=teaching.tenant, supplier_number=teaching.supplier_number,
                               supplier_name=teaching.supplier_name, supplier_keys=teaching.keys,
                               fingerprint=seen.fingerprint, tokens=seen.tokens, fields=fields)
    return layout, notes


# --- reading a document with what was learned -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    fields: InvoiceFieldsV1
    layout: LearnedLayout | None
    """The layout used, with its counters moved on (``None``: nothing learned applied)."""


def _field_value(value: object, page: int, bbox: tuple[float, float, float, float], confidence: float
                 ) -> TextFieldV1 | DateFieldV1 | AmountFieldV1:
    if isinstance(value, Decimal):
        return AmountFieldV1(value=value, confidence=confidence, page=page, bbox=bbox)
    if isinstance(value, date):
        return DateFieldV1(value=value, confidence=confidence, page=page, bbox=bbox)
    return TextFieldV1(value=str(value), confidence=confidence, page=page, bbox=bbox)


_WHERE = {"same": "after", "right": "right of", "below": "below"}


def _plain(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def apply(fields: InvoiceFieldsV1, words: Sequence[Word], pages: Sequence[PageInfo],
          layouts: Sequence[LearnedLayout], log: ProtocolLog) -> Applied:
    """``fields`` with what the supplier's learned layout reads, each such value with its source in ``log``.

    ``layouts`` are the tenant's layouts whose supplier keys the document prints. Learned values are checked
    together like the base reading: where they break net + tax = gross or put the due date before the
    invoice date, their rules are demoted and the base reading stands.
    """
    if not layouts or not words:
        return Applied(fields, None)
    seen: Layout = layout_of(words)
    layout, score = best_layout(layouts, seen.tokens)
    if layout is None:
        log.info(f"learning: supplier {layouts[0].supplier_number} has learned layouts, none like this one "
                 f"(best {score:.2f} < {SAME_LAYOUT}) - base reading only", learned="none")
        return Applied(fields, None)
    log.info(f"learning: layout {layout.fingerprint} of supplier {layout.supplier_number} ({score:.2f} alike), "
             f"{len(layout.fields)} learned field(s)", layout=layout.fingerprint, supplier=layout.supplier_number)
    usable = {n: f for n, f in layout.fields.items() if not f.demoted}
    for name, known in layout.fields.items():
        if known.demoted:
            log.warning(f"{name}: learned rule ({known.rule.describe()}) is demoted ({known.demoted_why}) - base "
                        "reading kept", field=name, learned="demoted")
    read = read_rules([f.rule for f in usable.values()], words, pages)
    updates: dict[str, object] = {}
    counters: dict[str, LearnedField] = dict(layout.fields)
    for name, known in usable.items():
        found = read.get(name)
        base = getattr(fields, name)
        if found is None:
            log.warning(f"{name}: learned rule ({known.rule.describe()}) found nothing here - base reading kept",
                        field=name, learned="missed")
            counters[name] = replace(known, failures=known.failures + 1)
            continue
        value = found.value
        moved = found.relation != known.rule.relation
        updates[name] = _field_value(value, found.page, found.bbox, MOVED_CONFIDENCE if moved else LEARNED_CONFIDENCE)
        counters[name] = replace(known, uses=known.uses + 1)
        agrees = base is not None and base.value == value
        was = "agrees with the base reading" if agrees else (
            f"base reading was {_plain(base.value)}" if base is not None else "base reading found none")
        if moved:
            was += f"; here the value stands {_WHERE[found.relation]} the label"
        log.info(f"{name}: {_plain(value)} - learned from the {known.source()} ({known.rule.describe()}; {was})",
                 field=name, learned=known.document_id, by=known.by)
    candidate = fields.model_copy(update=updates)
    for bad, why in _failed_checks(candidate, set(updates)):
        log.warning(f"{bad}: learned rule demoted: {why} - base reading kept", field=bad, learned="demoted")
        updates.pop(bad, None)
        known = counters[bad]
        counters[bad] = replace(known, uses=max(0, known.uses - 1), failures=known.failures + 1, demoted=True,
                                demoted_why=why)
    return Applied(fields.model_copy(update=updates), replace(layout, fields=counters))


def _failed_checks(fields: InvoiceFieldsV1, learned: set[str]) -> list[tuple[str, str]]:
    """Learned fields that break the invoice's own checks, with why."""
    failed: list[tuple[str, str]] = []
    net, tax, gross = fields.net_amount, fields.tax_amount, fields.gross_amount
    amounts = {"net_amount", "tax_amount", "gross_amount"} & learned
    if amounts and net is not None and tax is not None and gross is not None and net.value + tax.value != gross.value:
        why = f"net {net.value} + tax {tax.value} = {net.value + tax.value}, not gross {gross.value}"
        failed += [(name, why) for name in sorted(amounts)]
    issued, due = fields.invoice_date, fields.due_date
    dates = {"invoice_date", "due_date"} & learned
    if dates and issued is not None and due is not None and due.value < issued.value:
        failed += [(name, f"due date {due.value} before invoice date {issued.value}") for name in sorted(dates)]
    return failed


__all__ = ["LEARNED_CONFIDENCE", "MOVED_CONFIDENCE", "SAME_LAYOUT", "Applied", "LearnedField", "LearnedLayout",
           "Teaching", "apply", "apply_templates", "best_layout", "learn", "supplier_keys"]


# --- line templates of collective invoices ------------------------------------------------------------


def apply_templates(lines: list[InvoiceLineV1], fields: InvoiceFieldsV1, words: Sequence[Word],
                    templates: Sequence[tuple[LineTemplateV1, str, datetime]], log: ProtocolLog
                    ) -> list[InvoiceLineV1]:
    """The invoice's lines as the creditor's line template reads them (``templates``: the templates of the
    creditors whose keys the document prints, each with who imported it and when); the lines read before where
    no template finds its table."""
    for template, by, at in templates:
        read = read_lines(template, words)
        if not read:
            log.warning(f"lines: the line template of creditor {template.supplier_number} finds no table under "
                        f"'{template.table_start}' here - lines as read before", template=template.supplier_number)
            continue
        several = sum(1 for line in read if len(line.reference_text.split()) > len(line.description.split()))
        log.info(f"lines: {len(read)} read by the line template of creditor {template.supplier_number} (imported "
                 f"by {by} on {at.date().isoformat()}; {len(lines)} before), {several} with references beside the "
                 "description", template=template.supplier_number, lines=len(read))
        amounts = [line.net_amount for line in read]
        net = fields.net_amount
        if net is not None and amounts and all(a is not None for a in amounts):
            total = sum((a for a in amounts if a is not None), Decimal(0))
            if total != net.value:
                log.warning(f"lines: their sum {total} differs from the net amount {net.value}", field="lines")
        return read
    return lines
