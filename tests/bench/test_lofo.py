"""The leave-one-family-out bench: corpora, families, folds and the conservative calibration it fits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from belegflow_ocr.recognition import scorer
from belegflow_ocr.recognition.validation import CONFLICT_CONFIDENCE
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


def test_few_wrong_values_never_push_a_score_below_the_abstention_floor() -> None:
    # two of two wrong: maybe mostly wrong, not proven; a value that may be absent stays offered (unsure)
    assert lofo.share_right(0, 2) == scorer.ABSTAIN_BELOW
    assert lofo.share_right(0, 20) < 0.05  # twenty of twenty wrong: it is dropped
    assert lofo.share_right(3, 10) == scorer.ABSTAIN_BELOW
    assert lofo.share_right(10, 40) < scorer.ABSTAIN_BELOW
    # the lowest step of a fit made of one invoice's two wrong values
    points = [(0.01, False), (0.02, False)] + [(0.5 + i / 200, True) for i in range(100)]
    _, ys = lofo.isotonic(points)
    assert ys[0] == scorer.ABSTAIN_BELOW
    assert np.all(np.diff(ys) >= 0)



def _outcomes(name: str, right: int, wrong: int = 0) -> list[lofo.Outcome]:
    doc = F.Doc(id="x", path=Path("x"), kind="invoice", family="f", truth={}, keys=())
    return [lofo.Outcome(doc=doc, field=name.split("@")[0], value="1", right=i < right, raw=0.99, calibration=name,
                         real=True) for i in range(right + wrong)]  # fmt: skip


def test_amounts_that_add_up_are_calibrated_together_and_no_other_field_is() -> None:
    # GIVEN fifty real invoices whose three amounts add up and agree with the rules, all right; and fifty dates
    summed = [o for f in lofo.AMOUNTS for o in _outcomes(f"{f}@invoice#sum+agree", 50)]
    dates = _outcomes("invoice_date@invoice#agree", 50)
    fits = lofo.calibrate([*summed, *dates])
    # THEN each amount is sure on the record of all three (150 values), as none of them is on its own fifty
    for name in lofo.AMOUNTS:
        assert min(fits[f"{name}@invoice#sum+agree"][1]) > 0.99
    assert lofo.share_right(50, 50) < lofo.THRESHOLD
    # AND a date of the same record is not: it is checked by no sum
    assert max(fits["invoice_date@invoice#agree"][1]) == lofo.UNSURE_CAP
    # AND one wrong field takes the other two with it: the group is one record
    worse = [o for f in lofo.AMOUNTS
             for o in _outcomes(f"{f}@invoice#sum+agree", 40 if f == "tax_amount" else 50,
                                10 if f == "tax_amount" else 0)]  # fmt: skip
    assert all(max(ys) < lofo.THRESHOLD for _, ys in
               (lofo.calibrate(worse)[f"{f}@invoice#sum+agree"] for f in lofo.AMOUNTS))
    # AND amounts that do not add up, or a field seen too rarely, are calibrated field by field
    apart = [o for f in lofo.AMOUNTS for o in _outcomes(f"{f}@invoice#agree", 50)]
    assert all(max(ys) == lofo.UNSURE_CAP for _, ys in lofo.calibrate(apart).values())
    rare = [o for f in lofo.AMOUNTS for o in _outcomes(f"{f}@invoice#sum+agree", 50 if f != "net_amount" else 10)]
    assert max(lofo.calibrate(rare)["gross_amount@invoice#sum+agree"][1]) == lofo.UNSURE_CAP

@needs_real
def test_the_scans_of_real_invoices_are_read_by_ocr_in_the_family_of_their_pdf(tmp_path: Path) -> None:
    from belegflow_ocr.recognition.ocr.reader import OcrReader
    from belegflow_ocr.recognition.pdftext import PdfTextReader

    docs = [d for d in F.real_invoices() if "MultiPage" in d.id or d.id.endswith("OK-001_facture.pdf")]
    scans = F.real_invoice_scans(docs, tmp_path)
    assert [(s.family, s.truth, s.keys) for s in scans] == [(d.family, d.truth, d.keys) for d in docs]
    assert {s.path.suffix for s in scans} == {".pdf", ".jpg"}  # several pages: an image-only PDF
    first = {s.path.name: s.path.read_bytes() for s in scans}
    for s in scans:
        s.path.unlink()
    again = F.real_invoice_scans(docs, tmp_path)
    assert {s.path.name: s.path.read_bytes() for s in again} == first  # the same scan every time
    # the product's choice of reader: OCR for the image-only PDF, the text layer for the PDF it was made from
    assert all(isinstance(F._reader_for(s.path.read_bytes()), OcrReader) for s in scans)
    assert all(isinstance(F._reader_for(d.path.read_bytes()), PdfTextReader) for d in docs)


@needs_real
def test_an_iban_or_vat_id_the_xml_leaves_out_is_not_scored_unless_the_page_is_known_not_to_print_one() -> None:
    docs = {d.id: d for d in F.real_invoices()}
    minimum = docs["invoices/horstoeko_zugferd/pdf_fx_minimum_1.pdf"]  # a minimum profile: no IBAN in its XML
    assert "supplier_iban" not in minimum.keys
    assert "supplier_iban" not in minimum.truth
    assert "supplier_vat_id" in minimum.keys


def test_the_checks_after_the_decision_cap_the_bench_confidence_as_they_cap_the_products() -> None:
    from datetime import date
    from decimal import Decimal

    from belegflow_contracts.messages import AmountFieldV1, DateFieldV1, InvoiceFieldsV1, TextFieldV1

    fields = InvoiceFieldsV1(
        supplier_iban=TextFieldV1(value="DE00123456780000000000", confidence=0.89),  # fails mod 97
        supplier_vat_id=TextFieldV1(value="DE136695976", confidence=0.89),  # valid
        invoice_date=DateFieldV1(value=date(2024, 3, 1), confidence=0.89),
        due_date=DateFieldV1(value=date(2024, 2, 1), confidence=0.89),  # before the date of issue: dropped
        net_amount=AmountFieldV1(value=Decimal("100.00"), confidence=0.89),
        tax_amount=AmountFieldV1(value=Decimal("19.00"), confidence=0.89),
        gross_amount=AmountFieldV1(value=Decimal("119.00"), confidence=0.89),
    )
    caps = lofo.checked_caps(fields)
    # an ID failing its check keeps its calibrated confidence, but below the touchless threshold
    assert caps == {"supplier_iban": CONFLICT_CONFIDENCE, "due_date": 0.0}
    outcome = lofo.Outcome(F.Doc("d", "fam", "invoice", Path("d"), {}, ()), "supplier_iban:rules", "DE00", True,
                           0.95, cap=caps["supplier_iban"], calibration="supplier_iban:rules@invoice#invalid")
    lofo.apply([outcome], {"supplier_iban:rules@invoice": ([0.0, 1.0], [0.0, 1.0])})
    assert outcome.confidence == CONFLICT_CONFIDENCE


def test_a_copy_without_labels_keeps_values_and_boxes_and_knows_no_label() -> None:
    from belegflow_ocr.recognition.labels import label_at
    from belegflow_ocr.recognition.model import Word

    words = [Word("Rechnungsnummer:", 1, (10, 10, 90, 20), 10), Word("RE-2024-17", 1, (200, 10, 260, 20), 10),
             Word("Kundennr.", 1, (10, 30, 60, 40), 10), Word("4711", 1, (200, 30, 230, 40), 10),
             Word("Gesamtbetrag", 1, (10, 50, 80, 60), 10), Word("119,00", 1, (200, 50, 240, 60), 10),
             Word("Palettenstellplatz", 1, (10, 70, 110, 80), 10)]  # fmt: skip
    blanked = lofo.unlabelled(words)
    assert [w.bbox for w in blanked] == [w.bbox for w in words]
    assert [len(w.text) for w in blanked] == [len(w.text) for w in words]
    # the values and the words that are no label stay; a label's punctuation stays, its letters do not
    assert [blanked[i].text for i in (1, 3, 5, 6)] == ["RE-2024-17", "4711", "119,00", "Palettenstellplatz"]
    assert blanked[0].text.endswith(":")
    assert blanked[2].text.endswith(".")
    assert all(label_at(blanked[i].text) is None for i in (0, 2, 4))
    assert lofo.unlabelled(words) == blanked  # the same copy every time


def test_the_documents_trained_on_without_labels_are_chosen_by_their_id() -> None:
    docs = [F.Doc(id=f"doc-{i}", family="f", kind="invoice", path=Path("x"), truth={}, keys=()) for i in range(400)]
    chosen = [d.id for d in docs if lofo.dropped(d)]
    assert chosen == [d.id for d in docs if lofo.dropped(d)]
    assert 0.2 < len(chosen) / len(docs) < 0.4
    assert not any(lofo.dropped(d, share=0.0) for d in docs)
