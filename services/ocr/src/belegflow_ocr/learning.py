"""Supplier layout memory, pure: what an approved invoice teaches, and reading the next invoice with it.

A clerk's approval confirms every value of the invoice; the ones the clerk corrected were wrong before. For each
learnable field (``learned.KINDS``) a rule records where the right value stands on that supplier's layout. The
next document whose supplier keys (IBAN, VAT ID as printed) and layout match reads the field by the rule first.
A rule never touches the supplier's name, IBAN or VAT ID: how matching identified the supplier stays its own.

Learning must never make a reading worse:

- a rule's anchor keeps only the label's stable words (never the taught document's own values), and a label
  the lexicon names as another field's (a delivery date's, a prepayment's) is never an anchor of the field;
- two fields are never learned from one label: where two fields' values stand in the same box, neither is
  learned from it;
- a rule is stored only where it reads the approved value back on the taught document, and a rule stored
  before that reads another value there is demoted;
- a learned value that breaks net + tax = gross or puts the dates out of order, where the base reading holds,
  is not taken and its rule is demoted; a rule taught by confirming the base reading never overrides a
  confident base reading that differs;
- layouts are keyed only by valid IBANs and VAT IDs that belong to the supplier matching identified (its
  master data's), and an ID seen with several suppliers is no key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING

from belegflow_contracts.messages import (
    AmountFieldV1,
    DateFieldV1,
    InvoiceFieldsV1,
    InvoiceLineV1,
    LineTemplateV1,
    TextFieldV1,
)
from belegflow_contracts.types import iban_checksum_ok, vat_id_problem
from belegflow_ocr.recognition.learned import (
    KINDS,
    Candidate,
    FieldRule,
    Layout,
    Read,
    label_kind,
    label_kinds,
    layout_of,
    learn_candidates,
    lines_of,
    read_rules,
    similarity,
    stable,
)
from belegflow_ocr.recognition.parsing import find_dates
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
STRONG_BASE = 0.9
"""A base reading at this confidence or more is strongly supported: a rule taught by confirming the base
reading (not by a correction) never overrides it with another value."""


def _compact(value: str) -> str:
    return re.sub(r"[\s-]+", "", value).upper()


def valid_key(value: str | None) -> str | None:
    """An IBAN (check digits, country length) or VAT ID (format, check digits where its scheme has them) as a
    layout key (compact, capitals), or ``None`` where it is neither."""
    if not value or not value.strip():
        return None
    key = _compact(value)
    if iban_checksum_ok(key) or vat_id_problem(key) is None:
        return key
    return None


def supplier_keys(*values: str | None) -> frozenset[str]:
    """The valid IBANs and VAT IDs of ``values`` as compared: spaces dropped, capitals; an invalid one is none."""
    return frozenset(k for k in (valid_key(v) for v in values) if k is not None)


def teaching_keys(printed: Iterable[str | None], master: Iterable[str | None]) -> tuple[frozenset[str], list[str]]:
    """The keys an approval files the layout under, and why printed ones are not.

    ``printed``: the IBAN and VAT ID as the invoice prints them; ``master``: those of the supplier that matching
    identified, from master data. Where master data has keys, only they are keys (a printed ID that is not the
    supplier's, a factoring company's IBAN say, is not); else the printed ones that are valid.
    """
    notes = []
    own = supplier_keys(*master)
    for value in printed:
        if not value or not value.strip():
            continue
        key = valid_key(value)
        if key is None:
            notes.append(f"key {_compact(value)}: not a valid IBAN or VAT ID - no key")
        elif own and key not in own:
            notes.append(f"key {key}: not the supplier's in master data - no key")
    return (own or supplier_keys(*printed)), notes


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


def _own_values(invoice: InvoiceV1) -> list[str]:
    """The taught document's own values as text: no anchor keeps them."""
    values = [invoice.invoice_number, invoice.supplier_iban, invoice.supplier_vat_id]
    return [v for v in values if v]


def _one_label_each(picks: Mapping[str, Sequence[Candidate]], notes: list[str]) -> dict[str, Candidate]:
    """Each field's best candidate such that no two fields are read from one value box (nor from one label cell
    in one direction but below it): where two would be, neither is learned from that place and the next best
    are tried."""
    barred: set[tuple[object, ...]] = set()
    while True:
        chosen: dict[str, Candidate] = {}
        for name, cands in picks.items():
            for cand in cands:
                if not {_box_key(cand), _place_key(cand)} & barred:
                    chosen[name] = cand
                    break
        clashes: dict[tuple[object, ...], list[str]] = {}
        for name, cand in chosen.items():
            clashes.setdefault(_box_key(cand), []).append(name)
            if cand.rule.relation != "below":
                clashes.setdefault(_place_key(cand), []).append(name)
        bad = {key: names for key, names in clashes.items() if len(names) > 1}
        if not bad:
            return chosen
        for key, names in bad.items():
            barred.add(key)
            label = chosen[names[0]].label
            notes.append(f"{' and '.join(sorted(set(names)))}: the same label '{label}' leads to both (one value "
                         "box) - neither is learned from it")


def _box_key(cand: Candidate) -> tuple[object, ...]:
    return ("box", cand.box[0], *(round(v, 1) for v in cand.box[1]))


def _place_key(cand: Candidate) -> tuple[object, ...]:
    return ("label", *cand.place, cand.rule.kind)


def _ambiguous_date(name: str, cands: Sequence[Candidate]) -> tuple[list[Candidate], str | None]:
    """A date printed under two labels (a delivery date on the day of issue) tells not which is the field's:
    where the lexicon names one of them as the field's, that one; else none is learned from this document."""
    labels = list(dict.fromkeys(stable(c.label) for c in cands))
    if len(labels) < 2:
        return list(cands), None
    named = [c for c in cands if c.label_kind == name]
    if named and len({stable(c.label) for c in named}) == 1:
        return named, None
    return [], (f"the same date stands under {len(labels)} labels ({', '.join(repr(x) for x in labels)}): which "
                "one names it is not known from this document - not learned")


def learn(teaching: Teaching, words: Sequence[Word], pages: Sequence[PageInfo],
          known: Sequence[LearnedLayout], *, shared: frozenset[str] = frozenset()
          ) -> tuple[LearnedLayout | None, list[str]]:
    """The layout memory after this approval (a new layout has no id yet), and what was learned, in words.

    ``known`` are the supplier's layouts of this tenant; ``shared`` the keys seen with several suppliers (no
    key). A field whose right value no stable anchor leads to is not learned (it says so); a field already
    known by the same label counts as confirmed again; a rule known before that reads another value on this
    approved document is demoted.
    """
    if not words:
        return None, ["nothing learned: the document has no positioned words (an e-invoice reads itself)"]
    seen = layout_of(words)
    mine = [k for k in known if k.tenant == teaching.tenant and k.supplier_number == teaching.supplier_number]
    existing, _ = best_layout(mine, seen.tokens)
    fields = dict(existing.fields) if existing else {}
    notes: list[str] = []
    own = _own_values(teaching.invoice)
    truth: dict[str, object] = {}
    picks: dict[str, list[Candidate]] = {}
    for name, kind in KINDS.items():
        value = getattr(teaching.invoice, name, None)
        if value is None:
            continue
        truth[name] = abs(value) if kind == "amount" and isinstance(value, Decimal) else value
        cands, refused = learn_candidates(name, value, words, pages, values=own)
        notes += [f"{name}: {why}" for why in refused]
        if kind == "date":
            cands, why = _ambiguous_date(name, cands)
            if why is not None:
                notes.append(f"{name}: {value} - {why}")
        picks[name] = cands
    chosen = _one_label_each(picks, notes)
    # checked before it is stored: on the taught document, every rule reads the approved value back
    back = read_rules([c.rule for c in chosen.values()], words, pages)
    for name in list(chosen):
        got = back.get(name)
        if got is None or got.value != truth[name]:
            notes.append(f"{name}: its rule ({chosen[name].rule.describe()}) reads "
                         f"{_plain(got.value) if got else 'nothing'} here, not {_plain(truth[name])} - not learned")
            del chosen[name]
    for name in truth:
        if name not in chosen and name not in fields:
            notes.append(f"{name}: {_plain(truth[name])} - no stable label leads to it on this layout; not learned")
    stale = read_rules([f.rule for n, f in fields.items() if n not in chosen and not f.demoted and n in truth],
                       words, pages)
    for name, got in stale.items():
        if got is None or got.value != truth[name]:
            why = (f"reads {_plain(got.value) if got else 'nothing'} on approved document {teaching.document_id}, "
                   f"where it is {_plain(truth[name])}")
            fields[name] = replace(fields[name], demoted=True, demoted_why=why, failures=fields[name].failures + 1)
            notes.append(f"{name}: learned rule demoted: {why}")
    for name, cand in chosen.items():
        rule = cand.rule
        corrected = teaching.corrected.get(name)
        before = fields.get(name)
        if (before is not None and corrected is None and not before.demoted
                and (before.rule.anchor, before.rule.relation, before.rule.shape)
                == (rule.anchor, rule.relation, rule.shape)):  # fmt: skip
            fields[name] = replace(before, uses=before.uses + 1)
            continue
        by, at = corrected if corrected is not None else (teaching.approved_by, teaching.at)
        fields[name] = LearnedField(rule=rule, document_id=teaching.document_id, by=by, at=at,
                                    corrected=corrected is not None)
        notes.append(f"{name}: {_plain(truth[name])} learned ({rule.describe()})")
    if not fields:
        return None, notes
    keys = teaching.keys - shared
    if teaching.keys & shared:
        notes.append(f"keys {', '.join(sorted(teaching.keys & shared))}: seen with several suppliers - no key")
    if existing is not None:
        tokens = existing.tokens & seen.tokens
        layout = replace(existing, fields=fields, tokens=tokens if len(tokens) >= 10 else existing.tokens,
                         supplier_keys=(existing.supplier_keys | keys) - shared)
    else:
        layout = LearnedLayout(tenant=teaching.tenant, supplier_number=teaching.supplier_number,
                               supplier_name=teaching.supplier_name, supplier_keys=keys,
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


def _reachable(fields: InvoiceFieldsV1, layouts: Sequence[LearnedLayout], shared: frozenset[str],
               log: ProtocolLog) -> list[LearnedLayout]:
    """The layouts of the one supplier whose valid, unshared keys the document prints (none where they name
    several)."""
    printed = [f.value for f in (fields.supplier_iban, fields.supplier_vat_id) if f is not None]
    for value in printed:
        if valid_key(value) is None:
            log.info(f"learning: {_compact(value)} is no valid IBAN or VAT ID - not used to find a learned layout",
                     learned="key")
    keys = supplier_keys(*printed)
    owners: dict[str, set[str]] = {}
    for layout in layouts:
        for key in layout.supplier_keys & keys:
            owners.setdefault(key, set()).add(layout.supplier_number)
    several = {k for k, o in owners.items() if len(o) > 1} | (keys & shared)
    for key in sorted(several):
        log.info(f"learning: {key} is printed by several suppliers - not used to find a learned layout",
                 learned="key")
    usable = keys - several
    found = [lay for lay in layouts if lay.supplier_keys & usable]
    suppliers = sorted({lay.supplier_number for lay in found})
    if len(suppliers) > 1:
        log.warning(f"learning: the document's keys name several suppliers ({', '.join(suppliers)}) - base reading "
                    "only", learned="none")
        return []
    return found


def apply(fields: InvoiceFieldsV1, words: Sequence[Word], pages: Sequence[PageInfo],
          layouts: Sequence[LearnedLayout], log: ProtocolLog, *, shared: frozenset[str] = frozenset()) -> Applied:
    """``fields`` with what the supplier's learned layout reads, each such value with its source in ``log``.

    ``layouts`` are the tenant's layouts whose supplier keys the document prints; ``shared`` the keys seen
    with several suppliers, which find none. Learned values are checked together with the base reading: where
    they break net + tax = gross or put the dates out of order, where two fields read one value box, or where
    a rule that only confirmed the base reading disagrees with a confident base reading, the base reading
    stands (the rules that break the checks are demoted).
    """
    if not layouts or not words:
        return Applied(fields, None)
    layouts = _reachable(fields, layouts, shared, log)
    if not layouts:
        return Applied(fields, None)
    seen: Layout = layout_of(words)
    layout, score = best_layout(layouts, seen.tokens)
    if layout is None:
        log.info(f"learning: supplier {layouts[0].supplier_number} has learned layouts, none like this one "
                 f"(best {score:.2f} < {SAME_LAYOUT}) - base reading only", learned="none")
        return Applied(fields, None)
    log.info(f"learning: layout {layout.fingerprint} of supplier {layout.supplier_number} ({score:.2f} alike), "
             f"{len(layout.fields)} learned field(s)", layout=layout.fingerprint, supplier=layout.supplier_number)
    counters: dict[str, LearnedField] = dict(layout.fields)
    usable: dict[str, LearnedField] = {}
    for name, known in layout.fields.items():
        verdict, kind = label_kind(name, known.rule.anchor)
        if known.demoted:
            log.warning(f"{name}: learned rule ({known.rule.describe()}) is demoted ({known.demoted_why}) - base "
                        "reading kept", field=name, learned="demoted")
        elif verdict == "refused":
            why = f"its label '{known.rule.anchor}' names a {kind.replace('_', ' ')}, never the {name}"
            log.warning(f"{name}: learned rule demoted: {why} - base reading kept", field=name, learned="demoted")
            counters[name] = replace(known, demoted=True, demoted_why=why)
        else:
            usable[name] = known
    read = read_rules([f.rule for f in usable.values()], words, pages)
    updates: dict[str, object] = {}
    found_at: dict[str, Read] = {}
    for name, known in usable.items():
        found = read.get(name)
        base = getattr(fields, name)
        if found is None:
            log.warning(f"{name}: learned rule ({known.rule.describe()}) found nothing here - base reading kept",
                        field=name, learned="missed")
            counters[name] = replace(known, failures=known.failures + 1)
            continue
        value = found.value
        if (not known.corrected and base is not None and base.value != value
                and base.confidence >= STRONG_BASE and not _order_proven(known.rule, value, base.value)):  # fmt: skip
            log.warning(f"{name}: learned rule ({known.rule.describe()}) reads {_plain(value)}, the base reading "
                        f"{_plain(base.value)} at {base.confidence:.2f}; the rule only confirmed the base reading "
                        f"when it was taught - base reading kept", field=name, learned="skipped")
            counters[name] = replace(known, failures=known.failures + 1)
            continue
        moved = found.relation != known.rule.relation
        updates[name] = _field_value(value, found.page, found.bbox, MOVED_CONFIDENCE if moved else LEARNED_CONFIDENCE)
        found_at[name] = found
        counters[name] = replace(known, uses=known.uses + 1)
        agrees = base is not None and base.value == value
        was = "agrees with the base reading" if agrees else (
            f"base reading was {_plain(base.value)}" if base is not None else "base reading found none")
        if moved:
            was += f"; here the value stands {_WHERE[found.relation]} the label"
        log.info(f"{name}: {_plain(value)} - learned from the {known.source()} ({known.rule.describe()}; {was})",
                 field=name, learned=known.document_id, by=known.by)
    boxes: dict[tuple[object, ...], list[str]] = {}
    for name, found in found_at.items():
        boxes.setdefault((found.page, *found.bbox), []).append(name)
    for names in (n for n in boxes.values() if len(n) > 1):
        for name in names:
            log.warning(f"{name}: learned rules of {' and '.join(sorted(names))} read the same value box here - "
                        "base reading kept", field=name, learned="skipped")
            updates.pop(name, None)
            counters[name] = replace(counters[name], uses=max(0, counters[name].uses - 1),
                                     failures=counters[name].failures + 1)
    for bad, why in _failed_checks(fields, updates, words):
        log.warning(f"{bad}: learned rule demoted: {why} - base reading kept", field=bad, learned="demoted")
        updates.pop(bad, None)
        known = counters[bad]
        counters[bad] = replace(known, uses=max(0, known.uses - 1), failures=known.failures + 1, demoted=True,
                                demoted_why=why)
    return Applied(fields.model_copy(update=updates), replace(layout, fields=counters))


def _order_proven(rule: FieldRule, learned: object, base: object) -> bool:
    """The base reading is the learned date with day and month swapped, and the rule reads dates in the order
    that its taught date proved (day and month differed there): the rule's order stands."""
    if not (isinstance(learned, date) and isinstance(base, date)) or rule.shape not in ("DMY", "MDY"):
        return False
    return learned.day <= 12 and base == date(learned.year, learned.day, learned.month)


_AMOUNTS = ("net_amount", "tax_amount", "gross_amount")
_DATES = ("invoice_date", "due_date")


def _sums_hold(fields: InvoiceFieldsV1) -> bool | None:
    """net + tax = gross: ``None`` where one of them is missing."""
    net, tax, gross = fields.net_amount, fields.tax_amount, fields.gross_amount
    if net is None or tax is None or gross is None:
        return None
    return net.value + tax.value == gross.value


def _dates_hold(fields: InvoiceFieldsV1) -> bool | None:
    issued, due = fields.invoice_date, fields.due_date
    if issued is None or due is None:
        return None
    return issued.value <= due.value


def _culprits(base: InvoiceFieldsV1, updates: Mapping[str, object], names: Sequence[str],
              holds: Callable[[InvoiceFieldsV1], bool | None]) -> list[str] | None:
    """The one smallest set of learned fields without which the check holds on complete values (the base
    reading's there); ``None`` where there is no such single set."""
    learned = [n for n in names if n in updates]
    for size in range(1, len(learned)):
        fixes = [set(drop) for drop in combinations(learned, size)
                 if holds(base.model_copy(update={n: v for n, v in updates.items() if n not in drop})) is True]
        if len(fixes) == 1:
            return sorted(fixes[0])
        if fixes:
            return None
    return None


def _failed_checks(base: InvoiceFieldsV1, updates: Mapping[str, object], words: Sequence[Word]
                   ) -> list[tuple[str, str]]:
    """Learned fields that break the invoice's own checks, with why. Where the base reading's values make the
    check hold without one of them, only that one fails; else every learned field of the check."""
    failed: list[tuple[str, str]] = []
    fields = base.model_copy(update=dict(updates))
    net, tax, gross = fields.net_amount, fields.tax_amount, fields.gross_amount
    if _sums_hold(fields) is False and net is not None and tax is not None and gross is not None:
        why = f"net {net.value} + tax {tax.value} = {net.value + tax.value}, not gross {gross.value}"
        culprits = _culprits(base, updates, _AMOUNTS, _sums_hold)
        if culprits is not None:
            why += "; the base reading " + ", ".join(
                f"{_plain(getattr(base, n).value)}" for n in culprits) + " makes them hold"
        failed += [(n, why) for n in (culprits or [n for n in _AMOUNTS if n in updates])]
    issued, due = fields.invoice_date, fields.due_date
    if _dates_hold(fields) is False and issued is not None and due is not None:
        why = f"due date {due.value} before invoice date {issued.value}"
        culprits = _culprits(base, updates, _DATES, _dates_hold)
        failed += [(n, why) for n in (culprits or [n for n in _DATES if n in updates])]
    learned_date = updates.get("invoice_date")
    if isinstance(learned_date, DateFieldV1) and (base.invoice_date is None
                                                  or base.invoice_date.value != learned_date.value):
        label = _other_date_label(words, learned_date.value)
        if label is not None:
            failed.append(("invoice_date", f"{learned_date.value} is the date after '{label}' here, not the "
                                           "invoice date"))
    return list(dict.fromkeys(failed))


def _other_date_label(words: Sequence[Word], value: date) -> str | None:
    """The label of a delivery, service, order or due date that ``value`` stands after on this document (in its
    cell or the cell right of the label), if any."""
    for line in lines_of(words):
        for i, seg in enumerate(line.segments):
            kinds = label_kinds(seg.text)
            if not kinds or kinds[0][0] not in ("other_date", "due_date"):
                continue
            text = " ".join(s.text for s in line.segments[i : i + 2])
            if any(d == value for d, _, _ in find_dates(text, compact=True)):
                return seg.text
    return None


__all__ = ["LEARNED_CONFIDENCE", "MOVED_CONFIDENCE", "SAME_LAYOUT", "STRONG_BASE", "Applied", "LearnedField",
           "LearnedLayout", "Teaching", "apply", "apply_templates", "best_layout", "learn", "supplier_keys",
           "teaching_keys", "valid_key"]


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
