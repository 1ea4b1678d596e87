"""The learned decision: per field, a gradient-boosted model ranks every candidate; its confidence is calibrated.

The model file (``models/decision-v1.json``, built by ``make train-recognition``) holds, per field, LightGBM's
trees (evaluated by ``trees``: no LightGBM is needed to read) over the features of ``features``, and isotonic
calibrations fitted on layouts the model had not seen (leave one family out), so that a confidence of 0.9 means
nine in ten such values are right. Fields without a
ranking model (invoice number, IBAN, VAT ID) keep the rules' choice with a calibrated confidence.

Amounts are decided together: when the best net, tax and gross do not add up, the best consistent combination of
the top candidates is taken if the model finds it nearly as likely; otherwise the amounts stay as ranked and the
calibration's say on an inconsistent reading holds.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from itertools import product
from typing import Any

import numpy as np

from belegflow_contracts.messages import AmountFieldV1, DateFieldV1, InvoiceFieldsV1, TextFieldV1
from belegflow_ocr.recognition.cleanup import clean_text
from belegflow_ocr.recognition.features import (
    Document,
    amount_features,
    date_features,
    name_features,
    number_features,
    squash,
)
from belegflow_ocr.recognition.model import BBox, ProtocolLog, Word
from belegflow_ocr.recognition.trees import Ensemble
from belegflow_ocr.recognition.validation import CONFLICT_CONFIDENCE, id_check_fails, plausible_rate

MODEL_FILE = "decision-v1.json"
FORMAT = "belegflow-decision/1"
RANKED = ("invoice_number", "net_amount", "tax_amount", "gross_amount", "invoice_date", "due_date",
          "supplier_name")
CALIBRATED = ("supplier_iban", "supplier_vat_id", "supplier_name")
TOP_K = 3
JOINT_SHARE = 0.25
"""A consistent net + tax = gross is taken over the amounts ranked first when its joint likelihood is at least
this share of theirs."""
JOINT_KEEPS = 0.9
"""A first-ranked amount scored at least this high is not moved by the joint decision."""
CENT = Decimal("0.01")
ABSTAIN_BELOW = 0.5
BELOW_RANGE = ABSTAIN_BELOW
"""The most a calibration gives a score below every score it was fitted on."""
CONFLICT_CAP = CONFLICT_CONFIDENCE
"""Net, tax and gross that do not add up: at least one of them is wrong, so none is confident enough to pass
without a person (every EN 16931 invoice has net + tax = gross; prepaid and rounding change only the amount
due)."""
MAY_BE_ABSENT = ("due_date", "tax_amount", "invoice_number")
"""Fields many documents do not print: where the rules found none, the model fills one only where it is at least
``ABSTAIN_BELOW`` sure. Every document has a total and a date, so for those an unsure value (below the
touchless threshold, a clerk confirms it) is better than none."""


@dataclass(frozen=True, slots=True)
class Ranked:
    value: str | date | Decimal
    score: float
    page: int
    bbox: BBox
    row: int
    """The candidate's feature row (for the features that decided)."""


class Calibration:
    """Isotonic map from a raw score to the share of values right (piecewise linear between fitted points)."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        self.xs = np.asarray(xs, dtype=float)
        self.ys = np.asarray(ys, dtype=float)

    def __call__(self, score: float) -> float:
        if self.xs.size == 0:
            return score
        if score < self.xs[0]:
            # Below every score the fit saw, its share right is unknown. Where no label names a value (a layout's
            # words unknown), the model ranks the right one first with a score near 0 as often as not: the value
            # is offered (``ABSTAIN_BELOW``), never as more than that.
            return min(float(self.ys[0]), BELOW_RANGE)
        return float(np.interp(score, self.xs, self.ys))


class FieldModel:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.features: list[str] = list(spec["features"])
        self.ensemble = Ensemble.from_json(spec["trees"]) if spec.get("trees") else None

    def _matrix(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        return np.array([[row.get(name, 0.0) for name in self.features] for row in rows], dtype=float)

    def scores(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        if self.ensemble is None or not rows:
            return np.zeros(len(rows))
        return self.ensemble.predict(self._matrix(rows))

    def contributions(self, row: Mapping[str, float], top: int = 3) -> list[tuple[str, float]]:
        """The features that pushed this candidate's score most."""
        if self.ensemble is None:
            return []
        contrib = self.ensemble.contributions(self._matrix([row])[0])
        order = np.argsort(-np.abs(contrib))[:top]
        return [(self.features[i], float(contrib[i])) for i in order]


@dataclass(frozen=True, slots=True)
class DecisionModel:
    version: str
    fields: dict[str, FieldModel]
    manifest: dict[str, Any]
    calibrations: dict[str, Calibration]
    """``<field>@invoice`` and ``<field>@receipt``: invoices and receipts are calibrated apart."""

    def calibration(self, key: str) -> Calibration:
        """The calibration of ``<field>@<invoice|receipt>#<evidence>``, else of ``<field>@<kind>``, else none
        (the score as it is)."""
        found = self.calibrations.get(key) or self.calibrations.get(key.split("#")[0])
        return found if found is not None else Calibration([], [])


def calibration_key(name: str, receipt: bool, evidence: str) -> str:
    return f"{name}@{'receipt' if receipt else 'invoice'}#{evidence}"


_LOCK = threading.Lock()


@cache
def load_model() -> DecisionModel | None:
    """The shipped model, loaded once per process; None where the package carries none."""
    with _LOCK:
        try:
            raw = resources.files("belegflow_ocr.recognition").joinpath("models", MODEL_FILE).read_text("utf-8")
        except (FileNotFoundError, ModuleNotFoundError):
            return None
        return parse_model(json.loads(raw))


def parse_model(data: Mapping[str, Any]) -> DecisionModel:
    if data.get("format") != FORMAT:
        raise ValueError(f"decision model: format {data.get('format')!r} is not {FORMAT!r}")
    return DecisionModel(version=str(data.get("version", "")),
                         fields={name: FieldModel(spec) for name, spec in data["fields"].items()},
                         manifest=dict(data.get("manifest", {})),
                         calibrations={name: Calibration(c.get("x", []), c.get("y", []))
                                       for name, c in (data.get("calibrations") or {}).items()})  # fmt: skip


# --- candidates and their scores ---------------------------------------------------------------------


def candidate_rows(doc: Document) -> dict[str, tuple[list[Any], list[dict[str, float]]]]:
    """Every ranked field's candidates and their features (training and reading share this)."""
    amounts = amount_features(doc)
    dates = date_features(doc)
    out: dict[str, tuple[list[Any], list[dict[str, float]]]] = {
        "invoice_number": number_features(doc),
        "net_amount": amounts, "tax_amount": amounts, "gross_amount": amounts,
        "invoice_date": dates, "due_date": dates,
    }  # fmt: skip
    if doc.receipt:
        out["supplier_name"] = name_features(doc)
    return out


def rank(model: FieldModel, cands: Sequence[Any], rows: Sequence[Mapping[str, float]]) -> list[Ranked]:
    """Candidates by value, best first; a value printed several times counts by its best place."""
    scores = model.scores(rows)
    best: dict[object, Ranked] = {}
    for i, (cand, score) in enumerate(zip(cands, scores, strict=True)):
        value = abs(cand.value) if isinstance(cand.value, Decimal) else cand.value
        key = value.casefold() if isinstance(value, str) else value
        if key not in best or score > best[key].score:
            best[key] = Ranked(value, float(score), cand.page, cand.bbox, i)
    return sorted(best.values(), key=lambda r: -r.score)


def _joint(ranked: dict[str, list[Ranked]]) -> dict[str, Ranked] | None:
    """The best consistent net + tax = gross among the top candidates, where it is nearly as likely."""
    names = ("net_amount", "tax_amount", "gross_amount")
    if any(not ranked.get(n) for n in names):
        return None
    firsts = [ranked[n][0] for n in names]
    values = [r.value for r in firsts]
    n, t, g = values
    if isinstance(n, Decimal) and isinstance(t, Decimal) and isinstance(g, Decimal) \
            and abs(n + t - g) <= CENT / 2 and plausible_rate(n, t):  # fmt: skip
        return None
    independent = math.prod(max(r.score, 1e-6) for r in firsts)
    choice: tuple[float, tuple[Ranked, ...]] | None = None
    # an amount the model is sure of stays; the others may move to make the three add up
    options = [ranked[n][:1] if ranked[n][0].score >= JOINT_KEEPS else ranked[n][:TOP_K] for n in names]
    for combo in product(*options):
        n, t, g = (c.value for c in combo)
        if not (isinstance(n, Decimal) and isinstance(t, Decimal) and isinstance(g, Decimal)):
            continue
        if abs(n + t - g) > CENT / 2 or g <= 0 or n == g or not plausible_rate(n, t):
            continue
        joint = math.prod(max(c.score, 1e-6) for c in combo)
        if choice is None or joint > choice[0]:
            choice = (joint, combo)
    if choice is None or choice[0] < JOINT_SHARE * independent:
        return None
    return dict(zip(names, choice[1], strict=True))


def _joint_untaxed(ranked: dict[str, list[Ranked]]) -> dict[str, Ranked] | None:
    """Net and gross of an invoice that charges no tax: the likeliest pair among the top candidates that is one
    value, where the first-ranked two differ and the pair is nearly as likely as they are."""
    names = ("net_amount", "gross_amount")
    if any(not ranked.get(n) for n in names):
        return None
    firsts = [ranked[n][0] for n in names]
    if firsts[0].value == firsts[1].value:
        return None
    independent = math.prod(max(r.score, 1e-6) for r in firsts)
    options = [ranked[n][:1] if ranked[n][0].score >= JOINT_KEEPS else ranked[n][:TOP_K] for n in names]
    pairs = [(math.prod(max(c.score, 1e-6) for c in combo), combo) for combo in product(*options)
             if combo[0].value == combo[1].value and combo[1].value != 0]  # fmt: skip
    if not pairs:
        return None
    joint, combo = max(pairs, key=lambda p: p[0])
    return dict(zip(names, combo, strict=True)) if joint >= JOINT_SHARE * independent else None


def _field(name: str, value: str | date | Decimal, confidence: float, page: int | None,
           bbox: BBox | None) -> AmountFieldV1 | DateFieldV1 | TextFieldV1:
    conf = round(min(1.0, max(0.0, confidence)), 3)
    if isinstance(value, Decimal):
        return AmountFieldV1(value=value, confidence=conf, page=page, bbox=bbox)
    if isinstance(value, date):
        return DateFieldV1(value=value, confidence=conf, page=page, bbox=bbox)
    return TextFieldV1(value=str(value), confidence=conf, page=page, bbox=bbox)


def _evidence(name: str, value: object, picks: Mapping[str, object], rules: InvoiceFieldsV1) -> str:
    """What backs a value besides the model's score: the rules chose it too (``agree``), and for amounts the
    three add up (``sum``). Each class is calibrated apart, so that a value backed by arithmetic and by the rules
    earns its confidence on its own record. A tax of zero makes no ``sum``: net equal to gross adds up with it
    whatever was read (one total taken twice), so it checks nothing (a tax-exempt supply has its own class)."""
    old = getattr(rules, name)
    parts = []
    if name in ("net_amount", "tax_amount", "gross_amount"):
        n, t, g = (picks.get(k) for k in ("net_amount", "tax_amount", "gross_amount"))
        if isinstance(n, Decimal) and isinstance(t, Decimal) and isinstance(g, Decimal):
            if not _sums(n, t, g):
                parts.append("conflict")
            elif t != 0:
                parts.append("sum")
    if old is not None and old.value == value:
        parts.append("agree")
    return "+".join(parts) or "alone"


_OTHERWISE = {"_amount": ("same_cell_other", "left_other"), "_date": ("same_cell_other_date", "left_other_date")}


def _not_labelled_otherwise(name: str, cands: list[Any], rows: list[dict[str, float]]
                            ) -> tuple[list[Any], list[dict[str, float]]]:  # fmt: skip
    """A value whose own label the lexicon names as something else (a carry-over, a discount, a delivery date)
    is never the field, as in the rules; where nothing else is printed, the candidates stay as they are."""
    marks = next((m for suffix, m in _OTHERWISE.items() if name.endswith(suffix)), ())
    keep = [i for i, row in enumerate(rows) if not any(row.get(m, 0.0) for m in marks)]
    if not keep or len(keep) == len(rows):
        return cands, rows
    return [cands[i] for i in keep], [rows[i] for i in keep]


def _sums(net: Decimal, tax: Decimal, gross: Decimal) -> bool:
    """Net plus tax is the gross to the cent, at a plausible rate."""
    return gross != 0 and abs(net + tax - gross) <= CENT / 2 and plausible_rate(net, tax)


def _adds_up(triple: Sequence[object]) -> bool:
    n, t, g = (x.value if isinstance(x, AmountFieldV1) else None for x in triple)
    return n is not None and t is not None and g is not None and _sums(n, t, g)


_SDN_BHD = re.compile(r"\bS[DIOU0]N\.?\s*BH[DZO0]\b\.?", re.IGNORECASE)
_ZERO_IN_WORD = re.compile(r"\b(?=[A-Za-z0]*[A-Za-z]{3})[A-Za-z]*0[A-Za-z0]*\b")


def repair_name(text: str) -> str:
    """What OCR makes of a legal form and of an O in a name: "SONBHD", "SIN BHZ" -> "SDN BHD",
    "KMFF00DICIOUS" -> "KMFFOODICIOUS" (a zero inside a word of letters; a number with letters stays)."""
    text = _SDN_BHD.sub("SDN BHD", text)
    return _ZERO_IN_WORD.sub(lambda m: m.group().replace("0", "O"), text)


def _overlaps(a: BBox, b: BBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def ocr_factor(words: Sequence[Word], page: int | None, bbox: BBox | None) -> float:
    """The lowest OCR confidence of the words a value was read from; 1.0 for a text layer (no OCR confidences)."""
    if page is None or bbox is None:
        return 1.0
    return min((w.confidence for w in words if w.confidence is not None and w.page == page
                and _overlaps(w.bbox, bbox)), default=1.0)  # fmt: skip


def with_ocr_confidence(fields: InvoiceFieldsV1, words: Sequence[Word], log: ProtocolLog, *,
                        skip: Collection[str] = ()) -> InvoiceFieldsV1:  # fmt: skip
    """Each field's confidence (but those in ``skip``) times the lowest OCR confidence of the words it was read
    from."""
    updates: dict[str, object] = {}
    for name in InvoiceFieldsV1.model_fields:
        current = getattr(fields, name)
        if name in skip or current is None or current.page is None or current.bbox is None:
            continue
        ocr = ocr_factor(words, current.page, current.bbox)
        scaled = round(current.confidence * ocr, 3)
        if scaled < current.confidence:
            updates[name] = current.model_copy(update={"confidence": scaled})
            log.info(f"{name}: confidence {current.confidence:.2f} x OCR confidence {ocr:.2f} = {scaled:.2f}",
                     field=name, ocr_confidence=round(ocr, 3), confidence=scaled)  # fmt: skip
    return fields.model_copy(update=updates) if updates else fields


def decide(doc: Document, log: ProtocolLog, model: DecisionModel | None = None, *,
           trace: dict[str, str] | None = None) -> InvoiceFieldsV1:
    """The fields as the learned decision reads them: ranked fields replaced, the others' confidence calibrated.

    On a scan or photo the OCR confidence of the words a value was read from is part of what is calibrated
    (the model's score times it): a date the OCR engine was unsure of is not a sure date, however well it is
    placed. Fields the model does not calibrate take the OCR confidence as a factor."""
    model = model if model is not None else load_model()
    fields = doc.heuristic
    words = [w for line in doc.lines for w in line.words if w.confidence is not None]
    if model is None:
        return with_ocr_confidence(fields, words, log)
    updates: dict[str, object] = {}
    ranked: dict[str, list[Ranked]] = {}
    why: dict[str, str] = {}
    feature_rows: dict[str, Sequence[Mapping[str, float]]] = {}
    for name, (cands, rows) in candidate_rows(doc).items():
        fm = model.fields.get(name)
        if fm is None or fm.ensemble is None or not cands:
            continue
        cands, rows = _not_labelled_otherwise(name, cands, rows)
        ranked[name] = rank(fm, cands, rows)
        feature_rows[name] = rows
    # An invoice that says it charges no tax, read so by the rules: its tax is zero, and net and gross are one
    # value (the model ranks printed amounts; a tax that is not printed is none of them).
    untaxed = doc.tax_exemption is not None and fields.tax_amount is not None and fields.tax_amount.value == 0
    # Where it printed a single total, that total is also its net.
    net_is_total = untaxed and fields.net_amount is not None and fields.gross_amount is not None \
        and (fields.net_amount.page, fields.net_amount.bbox) == (fields.gross_amount.page, fields.gross_amount.bbox)
    if untaxed:
        ranked.pop("tax_amount", None)
    if net_is_total:
        ranked.pop("net_amount", None)
    joint = _joint_untaxed(ranked) if untaxed else _joint(ranked)
    picks: dict[str, object] = {}
    places: dict[str, tuple[int, BBox]] = {}
    for name in ("net_amount", "tax_amount", "gross_amount"):
        chosen = joint[name] if joint is not None else (ranked[name][0] if ranked.get(name) else None)
        current = getattr(fields, name)
        picks[name] = chosen.value if chosen is not None else (current.value if current is not None else None)
    for name, options in ranked.items():
        if not options:
            continue
        fm = model.fields[name]
        if name == "due_date" and "invoice_date" in places:
            # one printed date is never both the date of issue and the due date
            options = [o for o in options if (o.page, o.bbox) != places["invoice_date"]]
            if not options:
                continue
        pick = joint[name] if joint is not None and name in joint else options[0]
        rules_value = getattr(fields, name)
        if name == "invoice_number" and isinstance(pick.value, str) and rules_value is not None \
                and str(rules_value.value).casefold() == pick.value.casefold():  # fmt: skip
            # the same number printed in two places in two cases: the rules' choice of spelling (capitals win)
            pick = replace(pick, value=str(rules_value.value))
        places[name] = (pick.page, pick.bbox)
        how = "consistent net + tax = gross among the top candidates" if joint is not None and name in joint \
            else "ranked first"  # fmt: skip
        key = calibration_key(name, doc.receipt, _evidence(name, pick.value, picks, fields))
        ocr = ocr_factor(words, pick.page, pick.bbox)
        confidence = model.calibration(key)(pick.score * ocr)
        if trace is not None:
            trace[name] = key
        rival = next((o for o in options if o.value != pick.value), None)
        current = getattr(fields, name)
        if name in MAY_BE_ABSENT and current is None and confidence < ABSTAIN_BELOW:
            why[name] = f"nothing: the rules found none and the best candidate {pick.value} is unsure"
            continue
        if name == "supplier_name" and isinstance(pick.value, str):
            # the rules' spelling of the same name (OCR's glued words split, case set right), else cleaned; either
            # with OCR's slips in legal forms and zeros for O repaired
            same = current is not None and squash(str(current.value)) == squash(pick.value)
            pick = replace(pick, value=repair_name(str(current.value) if same and current is not None
                                                   else clean_text(pick.value, name=True)))  # fmt: skip
        top = ", ".join(f"{f} {c:+.2f}" for f, c in fm.contributions(feature_rows[name][pick.row]))
        why[name] = (f"{how} (score {pick.score:.2f}"
                     + (f", next {rival.value} {rival.score:.2f}" if rival is not None else "")
                     + (f", OCR confidence {ocr:.2f}" if ocr < 1.0 else "")
                     + f"; top features: {top})")
        updates[name] = _field(name, pick.value, confidence, pick.page, pick.bbox)
    if untaxed and doc.tax_exemption is not None and (tax := fields.tax_amount) is not None:
        key = calibration_key("tax_amount", doc.receipt, "exempt")
        confidence = model.calibration(key)(tax.confidence * ocr_factor(words, tax.page, tax.bbox))
        if trace is not None:
            trace["tax_amount"] = key
        why["tax_amount"] = f"no tax charged ({doc.tax_exemption.kind}): '{doc.tax_exemption.text}'"
        updates["tax_amount"] = tax.model_copy(update={"confidence": round(confidence, 3)})
        if net_is_total and isinstance(total := updates.get("gross_amount") or fields.gross_amount, AmountFieldV1):
            updates["net_amount"] = total
            why["net_amount"] = "the single total, as no tax is charged"
    # Net, tax and gross that add up stand or fall together: each is as sure as the best of them. Three that do
    # not add up are none of them sure.
    amounts = ("net_amount", "tax_amount", "gross_amount")
    triple = [updates.get(n) or getattr(fields, n) for n in amounts]
    if _adds_up(triple):
        best = max(t.confidence for t in triple if isinstance(t, AmountFieldV1))
        for n, t in zip(amounts, triple, strict=True):
            if isinstance(t, AmountFieldV1) and t.confidence < best:
                updates[n] = t.model_copy(update={"confidence": best})
    elif all(isinstance(t, AmountFieldV1) for t in triple):
        for n, t in zip(amounts, triple, strict=True):
            if isinstance(t, AmountFieldV1) and t.confidence > CONFLICT_CAP:
                updates[n] = t.model_copy(update={"confidence": CONFLICT_CAP})
                why[n] = f"{why.get(n, 'as read')}; net + tax != gross, so not sure"
    for name in CALIBRATED:
        if name in updates:
            continue
        current = getattr(fields, name)
        if current is None:
            continue
        # an ID failing its check digits is calibrated as a class of its own (a misread, or a specimen printed so)
        invalid = isinstance(current.value, str) and id_check_fails(name, current.value)
        key = calibration_key(f"{name}:rules", doc.receipt, "invalid" if invalid else "rules")
        calibrated = model.calibration(key)(current.confidence * ocr_factor(words, current.page, current.bbox))
        if trace is not None:
            trace[name] = key
        updates[name] = current.model_copy(update={"confidence": round(calibrated, 3)})
    for name, new in updates.items():
        old = getattr(fields, name)
        assert isinstance(new, AmountFieldV1 | DateFieldV1 | TextFieldV1)
        if old is None or old.value != new.value:
            before = "nothing" if old is None else old.value
            log.info(f"{name}: learned decision takes {new.value} over the rules' {before} - "
                     f"{why.get(name, '')}; confidence {new.confidence:.2f}",
                     field=name, value=new.value, confidence=f"{new.confidence:.2f}",
                     reason=why.get(name, ""), model=model.version)  # fmt: skip
        elif name in why:
            log.info(f"{name}: learned decision agrees ({why[name]}); confidence {new.confidence:.2f}",
                     field=name, confidence=f"{new.confidence:.2f}", model=model.version)  # fmt: skip
    return with_ocr_confidence(fields.model_copy(update=updates), words, log, skip=updates.keys())


__all__ = ["DecisionModel", "FieldModel", "calibration_key", "candidate_rows", "decide", "load_model",
           "ocr_factor", "parse_model", "rank", "repair_name", "with_ocr_confidence"]
