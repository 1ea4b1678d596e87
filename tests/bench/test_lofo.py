"""The leave-one-family-out bench: corpora, families, folds and the conservative calibration it fits."""

from __future__ import annotations

import numpy as np
import pytest

from bench.recognition import families as F
from bench.recognition import lofo

needs_real = pytest.mark.skipif(not F.REAL_LAYOUTS.is_dir(), reason="../shared/corpora/real-layouts is absent")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("19/10/2018", "2018-10-19"),
        ("23-01-2019", "2019-01-23"),
        ("18/03/18", "2018-03-18"),
        ("28 MAR 18", "2018-03-28"),
        ("2018-03-05", "2018-03-05"),
        ("31/02/2018", None),
        ("soon", None),
    ],
)
def test_receipt_key_dates_are_read_day_first(text: str, iso: str | None) -> None:
    assert F.receipt_date(text) == iso


@needs_real
def test_the_real_invoices_keep_one_family_per_publisher_and_leave_pages_that_disagree_unscored() -> None:
    docs = F.real_invoices()
    assert len(docs) == 31
    families = F.families(docs)
    assert len(families["fnfe"]) == 14  # the four FNFE template revisions are one family
    calc = next(d for d in docs if d.id.endswith("CALC-001_facture.pdf"))
    # its XML says 3000.00, its page 3042.00: the gross is not scored there
    assert "gross_amount" not in calc.keys
    assert "invoice_number" in calc.keys


@needs_real
def test_every_family_lands_in_exactly_one_fold_the_same_way_every_time() -> None:
    docs = F.real_invoices() + F.real_receipts()
    folds = F.folds(docs, groups=5)
    assert folds == F.folds(list(reversed(docs)), groups=5)
    names = [name for fold in folds for name in fold]
    assert sorted(names) == sorted(F.families(docs))
    assert len(names) == len(set(names))


def test_the_calibration_is_monotone_and_its_confidences_average_out_to_the_share_right() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(2000)
    truth = rng.random(2000) < np.clip(2 * scores - 0.5, 0, 1)  # the raw score is not a probability
    xs, ys = lofo.isotonic(list(zip(scores.tolist(), truth.tolist(), strict=True)))
    assert np.all(np.diff(xs) >= 0)
    assert np.all(np.diff(ys) >= 0)
    confidence = np.interp(scores, xs, ys)
    points = list(zip(confidence.tolist(), truth.tolist(), strict=True))
    assert lofo.ece(points) < 0.03
    assert lofo.ece(list(zip(scores.tolist(), truth.tolist(), strict=True))) > 0.1  # the raw score is not
    sure = confidence >= lofo.THRESHOLD
    assert sure.sum() > 100
    assert truth[sure].mean() >= lofo.THRESHOLD


def test_few_values_never_reach_the_touchless_threshold() -> None:
    assert lofo.share_right(10, 10) == lofo.UNSURE_CAP < lofo.THRESHOLD  # ten of ten: likely, not proven
    assert lofo.share_right(400, 400) > 0.99
    assert lofo.share_right(3, 4) == pytest.approx(0.7)
    assert lofo.share_right(0, 0) == 0.0
    assert lofo.wilson_lower(10, 10) < 0.75
    assert lofo.wilson_lower(400, 400) > 0.98
    # a step of few values gets the same treatment as a kind seen rarely
    _, ys = lofo.isotonic([(0.99, True)] * 4)
    assert max(ys) == lofo.UNSURE_CAP
