"""The leave-one-family-out bench: corpora, families, folds and the conservative calibration it fits."""

from __future__ import annotations

import numpy as np
import pytest

from bench.recognition import families as F
from bench.recognition import lofo

needs_real = pytest.mark.skipif(not F.REAL_LAYOUTS.is_dir(), reason="../shared/corpora/real-layouts is absent")


@pytest.mark.parametrize(("text", "iso"), [
    ("19/10/2018", "2018-10-19"), ("23-01-2019", "2019-01-23"), ("18/03/18", "2018-03-18"),
    ("28 MAR 18", "2018-03-28"), ("2018-03-05", "2018-03-05"), ("31/02/2018", None), ("soon", None),
])
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


def test_the_calibration_is_monotone_and_never_above_the_share_right() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random(400)
    right = rng.random(400) < scores  # right about as often as the score says
    xs, ys = lofo.isotonic(list(zip(scores.tolist(), right.tolist(), strict=True)))
    assert np.all(np.diff(xs) >= 0)
    assert np.all(np.diff(ys) >= 0)
    # a lower bound: above 0.9 the fit claims less than the share right it saw there
    top = scores >= 0.9
    assert float(np.interp(0.95, xs, ys)) <= right[top].mean()


def test_few_values_never_claim_certainty() -> None:
    assert lofo.wilson_lower(10, 10) < 0.75
    assert lofo.wilson_lower(400, 400) > 0.98
    assert lofo.wilson_lower(0, 0) == 0.0
