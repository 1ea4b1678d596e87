"""Leave one family out: the recognition figure to develop against, and the training of the shipped model.

Every candidate of every development document gets its features (``belegflow_ocr.recognition.features``). The
families are dealt into folds; each fold is read by a model trained on the other folds only, and its confidences
are calibrated by an isotonic fit on the other folds' predictions. So every figure printed here is for layouts
the model never saw, neither in training nor in calibration.

    python -m bench.recognition.lofo                       # the figures, per family and overall
    python -m bench.recognition.lofo --write-model FILE    # and the model trained on all families
                                                           # (make train-recognition)

Printed per family and overall: key fields exact, silent errors (wrong at a confidence >= 0.9), expected
calibration error, and the reliability table (confidence bucket -> share right).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from belegflow_contracts.messages import AmountFieldV1, DateFieldV1, InvoiceFieldsV1, InvoiceLineV1, TextFieldV1
from belegflow_ocr.recognition.cleanup import normalised
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.features import Document
from belegflow_ocr.recognition.labels import label_at
from belegflow_ocr.recognition.layout import build_lines
from belegflow_ocr.recognition.model import ProtocolLog, Word
from belegflow_ocr.recognition.scorer import (
    ABSTAIN_BELOW,
    CONFLICT_CAP,
    FORMAT,
    RANKED,
    Calibration,
    DecisionModel,
    candidate_rows,
    decide,
    ocr_factor,
)
from belegflow_ocr.recognition.trees import Ensemble
from belegflow_ocr.recognition.validation import validate
from bench.recognition import families as F

THRESHOLD = 0.9
WILSON_Z = 2.0
POOL_REAL_ONLY = True
PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 10,
    "feature_fraction": 0.8, "feature_fraction_seed": 7, "lambda_l2": 1.0, "verbose": -1, "num_threads": 1,
    "deterministic": True, "force_row_wise": True, "seed": 7,
}  # fmt: skip
ROUNDS = 200
REAL_WEIGHT = 5.0
"""A document made by other people's software counts this many times a generated one: generated layouts teach
their own conventions (measured: real-layout net amounts fell from 87 % to 71 % with them unweighted)."""
FOLDS = 5
DROPOUT_SHARE = 0.3
"""This share of the documents (chosen by a digest of their id) is trained on a second time with the words of
every label the lexicon knows made unknown (``unlabelled``): every training layout prints labels the lexicon
knows, so without these copies what the trees choose on a layout whose labels no lexicon knows (another
language, a supplier's own wording) is an accident of training. The copies are never scored nor calibrated on."""
DROPOUT_FIELDS = ("invoice_number", "net_amount", "tax_amount")
"""The fields the copies without labels are trained for: those a layout of unknown labels is read wrong in most
(the invoice number beside a customer number, net and tax among the subtotals). Measured with the copies training
every field: real receipts' totals fell from 90.7 % to 89.3 % (a total told by its "TOTAL" beside the cash
tendered), real invoices' due dates from 90 % to 87 %, and the dates and totals of layouts of unknown labels
gained nothing."""
_NONSENSE = "qxzjkvw"
"""The letters a label's letters are replaced by: no label of the lexicon and no key word of a line
(``features._KEYWORDS``) is made of these alone, so a replaced label reads as no label and no key word."""


@dataclass
class Prepared:
    doc: F.Doc
    document: Document
    rows: dict[str, tuple[list[Any], list[dict[str, float]], list[int]]]
    """field -> candidates, features, labels (1 = the right value)."""
    lines: list[InvoiceLineV1] = field(default_factory=list)
    """The invoice lines the product checks the net amount against."""


@dataclass
class Outcome:
    doc: F.Doc
    field: str
    value: str | None
    right: bool | None
    """None: the truth does not say (not scored for exactness)."""
    raw: float
    """What the calibration maps: the model's score times ``ocr`` (as ``scorer.decide`` calibrates it)."""
    ocr: float = 1.0
    """The lowest OCR confidence of the words the value was read from (1.0 on a text layer)."""
    calibration: str = ""
    """Which calibration this confidence goes through (``<field>@invoice`` or ``<field>@receipt``)."""
    real: bool = False
    confidence: float = 0.0
    cap: float | None = None
    """The most the product's checks after the decision leave of any confidence (an IBAN failing its check sum,
    amounts that do not add up, an implausible date); None: no check lowered it."""


def prepare(doc: F.Doc, *, without_labels: bool = False) -> Prepared | None:
    """The document's candidates with their features and labels; ``without_labels``: read from its words with
    every known label made unknown (``unlabelled``), for training only (the truth is the same)."""
    page = F.read_words(doc)
    if not page.words:
        return None
    words = unlabelled(page.words) if without_labels else page.words
    seen: list[Document] = []
    _, lines = extract_fields(words, page.pages, ProtocolLog(), learned=False, observe=seen.append)
    if not seen:
        return None
    document = seen[0]
    rows: dict[str, tuple[list[Any], list[dict[str, float]], list[int]]] = {}
    for name, (cands, feats) in candidate_rows(document).items():
        want = doc.truth.get(name)
        labels = [int(want is not None and F.norm(name, c.value) in want) for c in cands]
        rows[name] = (cands, feats, labels)
    if without_labels:
        rows = {name: row for name, row in rows.items() if name in DROPOUT_FIELDS}
    return Prepared(doc, document, rows, lines)


def dropped(doc: F.Doc, share: float = DROPOUT_SHARE) -> bool:
    """Whether ``doc`` is trained on a second time without its labels: by a digest of its id, so that the same
    documents are chosen in every run (the model rebuilds byte for byte)."""
    digest = hashlib.sha256(f"label-dropout:{doc.id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") < share * 2**32


def unlabelled(words: Sequence[Word]) -> list[Word]:
    """``words`` (as the extractor normalises them) with the letters of every label the lexicon finds replaced
    by nonsense of the same length: the boxes, digits and punctuation stay, so the values, their places and the
    layout are the same, and the labels are words no lexicon knows.

    A label is looked for at every word start of every cell, as the extractor and the features look for them
    at a cell's start or after a separator; from that start to the end of the label's match is blanked (a
    qualified label, "Total base imponible", matches from its qualifier on but starts at "Total")."""
    words = [normalised(w) for w in words]
    where = {id(w): i for i, w in enumerate(words)}
    blank: dict[int, set[int]] = defaultdict(set)
    for line in build_lines(words):
        for seg in line.segments:
            offsets = list(itertools.accumulate((len(w.text) + 1 for w in seg.words), initial=0))[:-1]
            for start in offsets:
                hit = label_at(seg.text, start)
                if hit is None:
                    continue
                for w, at in zip(seg.words, offsets, strict=True):
                    for i in range(max(at, start), min(at + len(w.text), hit.match.end())):
                        if w.text[i - at].isalpha():
                            blank[where[id(w)]].add(i - at)
    return [replace(w, text=_nonsense(w.text, blank[i])) if i in blank else w for i, w in enumerate(words)]


def _nonsense(text: str, positions: set[int]) -> str:
    """``text`` with the letters at ``positions`` replaced, the same for the same word (a label printed twice
    reads the same twice), case kept."""
    digest = hashlib.sha256(text.encode()).digest()
    out = list(text)
    for i in positions:
        letter = _NONSENSE[digest[i % len(digest)] % len(_NONSENSE)]
        out[i] = letter.upper() if text[i].isupper() else letter
    return "".join(out)


def feature_names(prepared: Iterable[Prepared], name: str) -> list[str]:
    names: set[str] = set()
    for p in prepared:
        if name in p.rows:
            for row in p.rows[name][1]:
                names.update(row)
    return sorted(names)


def train(prepared: Sequence[Prepared], name: str, features: list[str]) -> Any:
    import lightgbm as lgb

    xs: list[list[float]] = []
    ys: list[int] = []
    weights: list[float] = []
    for p in prepared:
        if name not in p.rows or name not in p.doc.truth:
            continue  # a document whose truth does not state the field teaches nothing about it
        _, feats, labels = p.rows[name]
        xs += [[row.get(f, 0.0) for f in features] for row in feats]
        ys += labels
        weights += [1.0 if p.doc.family.startswith("gen:") else REAL_WEIGHT] * len(labels)
    if not ys or sum(ys) == 0:
        return None
    data = lgb.Dataset(np.array(xs, dtype=float), label=np.array(ys), weight=np.array(weights),
                       feature_name=features, free_raw_data=True)  # fmt: skip
    return lgb.train(PARAMS, data, num_boost_round=ROUNDS)


Fit = dict[str, tuple[list[float], list[float]]]


def build_model(
    prepared: Sequence[Prepared], features: dict[str, list[str]], calibration: Fit | None = None
) -> tuple[DecisionModel, dict[str, Any]]:
    specs: dict[str, Any] = {}
    for name in RANKED:
        booster = train(prepared, name, features[name])
        importance: list[str] = []
        if booster is not None:
            gains = booster.feature_importance(importance_type="gain")
            importance = [features[name][i] for i in np.argsort(-gains)[:10]]
        trees = Ensemble.from_lightgbm(booster.dump_model()).to_json() if booster is not None else None
        specs[name] = {"features": features[name], "trees": trees, "importance": importance}
    model = {
        "format": FORMAT,
        "version": "",
        "fields": specs,
        "calibrations": {name: {"x": xs, "y": ys} for name, (xs, ys) in (calibration or {}).items()},
    }
    from belegflow_ocr.recognition.scorer import parse_model

    return parse_model(model), model


def identity(model: DecisionModel) -> DecisionModel:
    model.calibrations.clear()
    return model


def read(p: Prepared, model: DecisionModel) -> list[Outcome]:
    """The document read with ``model`` (its calibration the identity): each scored field, raw confidence."""
    trace: dict[str, str] = {}
    fields = decide(p.document, ProtocolLog(), model, trace=trace)
    caps = checked_caps(fields, p.lines)
    words = [w for ln in p.document.lines for w in ln.words]
    out = []
    for name in F.SCORED:
        f = getattr(fields, name) if caps.get(name) != 0.0 else None  # the checks dropped it (due before issue)
        value = F.norm(name, f.value) if f is not None else None
        want = p.doc.truth.get(name)
        if want is not None:
            right: bool | None = value in want
        elif name in p.doc.keys and p.doc.kind == "invoice" and not p.doc.family.startswith("gen:"):
            right = value is None  # the page does not show it: nothing is the right answer
        else:
            right = None
        key = name if name in RANKED and (name != "supplier_name" or p.document.receipt) else f"{name}:rules"
        kind = "receipt" if p.document.receipt else "invoice"
        cal = trace.get(name, f"{key}@{kind}")
        ocr = ocr_factor(words, f.page, f.bbox) if f is not None else 1.0
        out.append(Outcome(p.doc, key, value, right, f.confidence if f is not None else 0.0, ocr, cal,
                           real=not p.doc.family.startswith("gen:"), cap=caps.get(name)))  # fmt: skip
    return out


def checked_caps(fields: InvoiceFieldsV1, lines: Sequence[InvoiceLineV1] = ()) -> dict[str, float]:
    """What the product's checks after the decision (``validation.validate``) leave of each field's confidence:
    they run on the fields at full confidence, and a field they lower is capped there (a dropped one at 0)."""
    full = fields.model_copy(update={name: f.model_copy(update={"confidence": 1.0})
                                     for name in InvoiceFieldsV1.model_fields
                                     if isinstance(f := getattr(fields, name), AmountFieldV1 | DateFieldV1
                                                   | TextFieldV1)})  # fmt: skip
    checked = validate(full, list(lines), ProtocolLog(), calibrated=True)
    caps = {}
    for name in InvoiceFieldsV1.model_fields:
        before, after = getattr(full, name), getattr(checked, name)
        if isinstance(before, AmountFieldV1 | DateFieldV1 | TextFieldV1):
            if after is None:
                caps[name] = 0.0
            elif isinstance(after, AmountFieldV1 | DateFieldV1 | TextFieldV1) and after.confidence < 1.0:
                caps[name] = after.confidence
    return caps


UNSURE_CAP = THRESHOLD - 0.01
"""A share right at or above the touchless threshold that too few values bear out stays just below it."""
TOUCHLESS_LOWER = 0.96
"""A group of values may be read as sure (a confidence at or above ``THRESHOLD``) only where the lower bound of
its share right is at least this. Measured: with the bound at the threshold itself (0.9), receipt dates that OCR
misread (2013 for 2018) passed at 0.97 in a group 98 % right, three silent errors in 441 fields; at 0.95, one
fold's top step of receipt dates (about 80 values, all right) passed and took one such misread (OCR confidence
0.9994) to 0.99. At 0.96 a step needs about 100 values all right."""


def share_right(k: float, n: int) -> float:
    """The confidence of a group of ``n`` values of which ``k`` were right: the share right, estimated with
    Jeffreys' prior ((k + 1/2) / (n + 1): so that the confidences average out to the share right and the
    calibration error stays small), but never at or above the touchless threshold unless the lower bound of the
    share (Wilson, z = 2, one-sided ~98 %) is at least ``TOUCHLESS_LOWER``: a confidence of 0.9 or more lets a
    value into the books without a person, and only a group seen often enough, and right nearly always, may do
    that. Likewise never below the abstention floor (``ABSTAIN_BELOW``, where a value that may be absent is
    dropped) unless the upper bound of the share is below it."""
    if n == 0:
        return 0.0
    mean = (k + 0.5) / (n + 1)
    if mean >= THRESHOLD and wilson_lower(k, n) < TOUCHLESS_LOWER:
        return UNSURE_CAP
    if mean < ABSTAIN_BELOW and wilson_upper(k, n) >= ABSTAIN_BELOW:
        # Below the floor a value that may be absent is dropped: only a group seen often enough, and wrong
        # nearly always, may do that. Two wrong values of one invoice had made every lower score a 0.17.
        return ABSTAIN_BELOW
    return mean


def isotonic(points: Sequence[tuple[float, bool]]) -> tuple[list[float], list[float]]:
    from sklearn.isotonic import IsotonicRegression  # type: ignore[import-untyped]

    if len(points) < 5:
        # too few to fit a curve: every score gets the share right of them all (none seen: nothing sure)
        level = round(share_right(float(sum(p[1] for p in points)), len(points)), 6)
        return [0.0, 1.0], [level, level]
    xs = np.array([p[0] for p in points])
    ys = np.array([float(p[1]) for p in points])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(xs, ys)
    # Each step of the fit holds a number of values and how many were right: its confidence is
    # ``share_right`` of them; a higher score never gets a lower confidence.
    fitted = iso.predict(xs)
    steps_x: list[float] = []
    steps_y: list[float] = []
    for level in sorted(set(fitted.tolist())):
        inside = fitted == level
        n, k = int(inside.sum()), float(ys[inside].sum())
        steps_x += [float(xs[inside].min()), float(xs[inside].max())]
        steps_y += [share_right(k, n)] * 2
    order = np.argsort(steps_x, kind="stable")
    xs_out = [round(steps_x[i], 6) for i in order]
    ys_out = np.maximum.accumulate([steps_y[i] for i in order])
    return xs_out, [round(float(y), 6) for y in ys_out]


def wilson_upper(k: float, n: int, z: float = WILSON_Z) -> float:
    return 1.0 - wilson_lower(n - k, n, z)


def wilson_lower(k: float, n: int, z: float = WILSON_Z) -> float:
    if n == 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


# Calibration is fitted on documents made by other people's software (real layouts) wherever there are any of a
# kind: generated layouts are easier than the world and would make every confidence too high. A kind seen
# rarely is never read as sure (``share_right``).


MIN_CLASS = 20
"""An evidence class seen on fewer values than this is calibrated with its field's other classes: four values
all right would otherwise make any score of the class, however low, a 0.89."""


def calibrate(outcomes: Iterable[Outcome]) -> dict[str, tuple[list[float], list[float]]]:
    real: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    every: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for o in outcomes:
        if o.value is not None and o.right is not None:
            every[o.calibration].append((o.raw, o.right))
            if o.real:
                real[o.calibration].append((o.raw, o.right))
    chosen = {name: real[name] if POOL_REAL_ONLY and real[name] else pts for name, pts in every.items()}
    fits = {name: isotonic(pts) for name, pts in chosen.items() if len(pts) >= MIN_CLASS}
    # and per field and kind of document over every evidence class, for a class seen on fewer values
    pooled: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for name, pts in (real if POOL_REAL_ONLY else every).items():
        pooled[name.split("#")[0]] += pts
    fits.update({name: isotonic(pts) for name, pts in pooled.items() if name not in fits})
    fits.update(_summed_together(real if POOL_REAL_ONLY else every))
    return fits


AMOUNTS = ("net_amount", "tax_amount", "gross_amount")


def _summed_together(points: dict[str, list[tuple[float, bool]]]) -> dict[str, tuple[list[float], list[float]]]:
    """Net, tax and gross backed by the same evidence that includes their sum (``#sum``, ``#sum+agree``) are
    calibrated as one group: the arithmetic that backs each of them is one check of all three (a triple that adds
    up at a plausible rate is right or wrong together), so their values are pooled before the gate of
    ``share_right`` asks whether enough were seen. Each field alone has at most one value per document, too few
    for a real-invoice group ever to be read as sure; together they are three. Only where each of the three has
    ``MIN_CLASS`` values of its own, so that no field rides on the others' record alone."""
    fits: dict[str, tuple[list[float], list[float]]] = {}
    groups: dict[str, list[str]] = defaultdict(list)
    for name in points:
        field_name, _, rest = name.partition("@")
        if field_name in AMOUNTS and "#" in rest and "sum" in rest.split("#")[1].split("+"):
            groups[rest].append(name)
    for members in groups.values():
        if len(members) == len(AMOUNTS) and all(len(points[m]) >= MIN_CLASS for m in members):
            fit = isotonic([p for m in sorted(members) for p in points[m]])
            fits.update(dict.fromkeys(members, fit))
    return fits


def apply(outcomes: Iterable[Outcome], calibration: dict[str, tuple[list[float], list[float]]]) -> None:
    for o in outcomes:
        # as the model does: the evidence class's calibration, else the field's for the kind, else the score
        identity = ([0.0, 1.0], [0.0, 1.0])
        xs, ys = calibration.get(o.calibration) or calibration.get(o.calibration.split("#")[0], identity)
        o.confidence = Calibration(xs, ys)(o.raw) if o.value is not None else 0.0
        if "#conflict" in o.calibration:  # as the model caps amounts that do not add up
            o.confidence = min(o.confidence, CONFLICT_CAP)
        if o.cap is not None:  # and as the checks after the decision do
            o.confidence = min(o.confidence, o.cap)


# --- figures --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    right: int = 0
    total: int = 0
    silent: int = 0
    fields: int = 0
    conf: list[tuple[float, bool]] = field(default_factory=list)

    def add(self, o: Outcome, key: bool) -> None:
        if o.right is None:
            return
        self.fields += 1
        if key and o.field.split(":")[0] in o.doc.truth:
            self.total += 1
            self.right += o.right
        if o.value is not None:
            self.conf.append((o.confidence, o.right))
            self.silent += (not o.right) and o.confidence >= THRESHOLD

    @property
    def exact(self) -> float:
        return self.right / self.total if self.total else float("nan")


def ece(points: Sequence[tuple[float, bool]], bins: int = 10) -> float:
    if not points:
        return float("nan")
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, r) for c, r in points if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if inside:
            mean_conf = sum(c for c, _ in inside) / len(inside)
            total += len(inside) * abs(mean_conf - sum(r for _, r in inside) / len(inside))
    return total / len(points)


BUCKETS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 0.99), (0.99, 1.01))


def reliability(points: Sequence[tuple[float, bool]]) -> list[tuple[str, int, float]]:
    out = []
    for lo, hi in BUCKETS:
        inside = [r for c, r in points if lo <= c < hi]
        if inside:
            out.append((f"{lo:.2f}-{min(hi, 1.0):.2f}", len(inside), sum(inside) / len(inside)))
    return out


def report(outcomes: Sequence[Outcome], groups: dict[str, str]) -> dict[str, Any]:
    """Per family and per corpus: key fields exact, silent errors, ECE; the reliability table overall."""
    by_family: dict[str, Tally] = defaultdict(Tally)
    by_corpus: dict[str, Tally] = defaultdict(Tally)
    by_field: dict[str, Tally] = defaultdict(Tally)
    for o in outcomes:
        key = o.field.split(":")[0] in o.doc.keys
        corpus = groups[o.doc.id]
        by_family[f"{corpus} / {o.doc.family}"].add(o, key)
        by_corpus[corpus].add(o, key)
        by_field[f"{corpus} / {o.field}"].add(o, True)
    lines = [f"{'family':58} {'docs':>4} {'key exact':>10} {'silent':>7} {'ECE':>6}"]
    docs: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        docs[f"{groups[o.doc.id]} / {o.doc.family}"].add(o.doc.id)
    for name in sorted(by_family):
        t = by_family[name]
        lines.append(f"{name[:58]:58} {len(docs[name]):4d} {t.exact:10.1%} {t.silent:7d} {ece(t.conf):6.3f}")
    print("\n".join(lines))
    print()
    print(f"{'field':58} {'scored':>6} {'exact':>8} {'silent':>7}")
    for name in sorted(by_field):
        t = by_field[name]
        print(f"{name[:58]:58} {t.total:6d} {t.exact:8.1%} {t.silent:7d}")
    print()
    summary: dict[str, Any] = {}
    print(f"{'corpus':22} {'key exact':>10} {'silent/fields':>14} {'ECE':>6} {'right at >=0.9':>15}")
    for name in sorted(by_corpus):
        t = by_corpus[name]
        sure = [r for c, r in t.conf if c >= THRESHOLD]
        sure_rate = sum(sure) / len(sure) if sure else float("nan")
        print(f"{name:22} {t.exact:10.1%} {t.silent:5d}/{t.fields:<5d} {t.silent / max(1, t.fields):6.2%} "
              f"{ece(t.conf):6.3f} {sure_rate:9.1%} ({len(sure)})")  # fmt: skip
        summary[name] = {"key_exact": t.exact, "silent": t.silent, "fields": t.fields, "ece": ece(t.conf),
                         "right_at_threshold": sure_rate, "at_threshold": len(sure),
                         "reliability": reliability(t.conf)}  # fmt: skip
    every = [p for t in by_corpus.values() for p in t.conf]
    print("\nreliability (all corpora): confidence bucket -> fields, share right")
    for bucket, n, share in reliability(every):
        print(f"  {bucket}  {n:5d}  {share:6.1%}")
    summary["all"] = {"ece": ece(every), "reliability": reliability(every)}
    return summary


def write_outcomes(path: Path, per_fold: dict[int, list[Outcome]], groups: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for k, fold in sorted(per_fold.items()):
            for o in fold:
                out.write(json.dumps({"fold": k, "doc": o.doc.id, "family": o.doc.family, "corpus": groups[o.doc.id],
                                      "field": o.field, "value": o.value, "right": o.right, "raw": o.raw,
                                      "ocr": o.ocr, "calibration": o.calibration, "real": o.real, "cap": o.cap,
                                      "key": o.field.split(":")[0] in o.doc.keys,
                                      "truth": o.field.split(":")[0] in o.doc.truth}) + "\n")  # fmt: skip


# --- the run ------------------------------------------------------------------------------------------------


def corpus_docs(train_set: Path | None) -> tuple[list[F.Doc], dict[str, str]]:
    docs: list[F.Doc] = []
    groups: dict[str, str] = {}
    invoices = F.real_invoices()
    for d in invoices:
        docs.append(d)
        groups[d.id] = "real-layouts invoices"
    for d in F.real_invoice_scans(invoices):
        docs.append(d)
        groups[d.id] = "real-layouts scans"
    for d in F.real_receipts():
        docs.append(d)
        groups[d.id] = "real-layouts receipts"
    if train_set is not None and train_set.is_dir():
        for d in F.generated(train_set):
            docs.append(d)
            groups[d.id] = "generated receipts" if d.kind == "receipt" else "generated invoices"
    return docs, groups


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--train-set",
        type=Path,
        default=F.ROOT / "out" / "train-set",
        help="generated development set (bench.recognition.sources --seed 1); absent: real layouts only",
    )
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--write-model", type=Path, help="train on every family and write the model file here")
    parser.add_argument("--json", type=Path, help="write the figures as JSON")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong key fields")
    parser.add_argument(
        "--outcomes",
        type=Path,
        help="write every scored field (fold, raw score, right or not) as JSON lines, to study "
        "calibration without training again",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    docs, groups = corpus_docs(args.train_set)
    prepared = [p for d in docs if (p := prepare(d)) is not None]
    # training only: in the folds that train without the document's family, and in the shipped model
    blanked = [a for p in prepared if dropped(p.doc) and (a := prepare(p.doc, without_labels=True)) is not None]
    print(f"{len(prepared)} documents (and {len(blanked)} without their labels, for training), "
          f"{len({d.family for d in docs})} families, prepared in {time.perf_counter() - started:.0f} s",
          flush=True)  # fmt: skip
    features = {name: feature_names([*prepared, *blanked], name) for name in RANKED}

    # Real receipts (many shops, few each) and every other family are dealt into folds separately, so that each
    # fold holds invoices and receipts alike.
    by_family = F.folds([p.doc for p in prepared if p.doc.kind == "invoice"], groups=args.folds)
    by_shop = F.folds([p.doc for p in prepared if p.doc.kind == "receipt"], groups=args.folds)
    fold_of: dict[str, int] = {}
    for i, names in enumerate(by_family):
        fold_of.update(dict.fromkeys(names, i))
    for i, names in enumerate(by_shop):
        fold_of.update(dict.fromkeys(names, i))
    per_fold: dict[int, list[Outcome]] = defaultdict(list)
    folds = sorted(set(fold_of.values()))
    for k in folds:
        training = [p for p in (*prepared, *blanked) if fold_of[p.doc.family] != k]
        model, _ = build_model(training, features)
        model = identity(model)
        for p in prepared:
            if fold_of[p.doc.family] == k:
                per_fold[k].extend(read(p, model))
        print(f"fold {k + 1}/{len(folds)}: trained on {len(training)} documents, "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    if args.outcomes:
        write_outcomes(args.outcomes, per_fold, groups)
    outcomes: list[Outcome] = []
    for k in folds:
        others = [o for j in folds if j != k for o in per_fold[j]]
        apply(per_fold[k], calibrate(others))
        outcomes += per_fold[k]
    print()
    summary = report(outcomes, groups)
    if args.misses:
        print("\nwrong key fields (first of each):")
        shown = 0
        for o in outcomes:
            if o.right is False and o.field.split(":")[0] in o.doc.keys and shown < args.misses:
                print(f"  {o.doc.id}  {o.field}: want {sorted(o.doc.truth.get(o.field.split(':')[0], []))} "
                      f"got {o.value} ({o.confidence:.2f})")  # fmt: skip
                shown += 1
        print(f"\nsilent errors (wrong at a confidence >= {THRESHOLD}):")
        for o in outcomes:
            if o.right is False and o.confidence >= THRESHOLD:
                print(f"  {o.doc.id}  {o.field}: want {sorted(o.doc.truth.get(o.field.split(':')[0], []))} "
                      f"got {o.value} ({o.confidence:.2f}, {o.calibration})")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    if args.write_model:
        _, spec = build_model([*prepared, *blanked], features, calibrate(outcomes))
        manifest = {
            "trained_on": sorted({f"{groups[p.doc.id]}: {p.doc.family}" for p in prepared}),
            "documents": len(prepared),
            "label_dropout": {"share": DROPOUT_SHARE, "documents": len(blanked)},
            "sources": {name: sum(1 for p in prepared if groups[p.doc.id] == name)
                        for name in sorted(set(groups.values()))},
            "corpus_manifest_sha256": hashlib.sha256((F.REAL_LAYOUTS / "MANIFEST.sha256").read_bytes()).hexdigest(),
            "params": PARAMS, "rounds": ROUNDS, "folds": args.folds,
            "lofo": {k: {m: v for m, v in s.items() if m != "reliability"} for k, s in summary.items() if k != "all"},
        }  # fmt: skip
        body = json.dumps([spec["fields"], spec["calibrations"]], sort_keys=True)
        spec["version"] = "decision-v1-" + hashlib.sha256(body.encode()).hexdigest()[:12]
        spec["manifest"] = manifest
        args.write_model.parent.mkdir(parents=True, exist_ok=True)
        args.write_model.write_text(json.dumps(spec, sort_keys=True, default=str) + "\n", encoding="utf-8")
        print(f"\nmodel {spec['version']} written to {args.write_model} "
              f"({args.write_model.stat().st_size / 1e6:.1f} MB)")  # fmt: skip
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
