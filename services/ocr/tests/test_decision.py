"""The learned decision: the shipped model, its calibration, the candidates' features on real layouts, and the
failures the rules made on layouts nobody here wrote."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.features import (
    Document,
    amount_features,
    date_features,
    name_features,
    number_features,
)
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog
from belegflow_ocr.recognition.pdftext import PdfTextReader
from belegflow_ocr.recognition.scorer import (
    ABSTAIN_BELOW,
    CONFLICT_CAP,
    FORMAT,
    MODEL_FILE,
    Calibration,
    decide,
    load_model,
    parse_model,
    repair_name,
)
from belegflow_ocr.recognition.trees import Ensemble
from belegflow_ocr.recognition.validation import validate
from samples.wordpages import A4, centred, extract, page, value

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "real-layouts" / "invoices"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpora/real-layouts is not beside the checkout")
RECEIPT = [PageInfo(1, 227.0, 600.0)]


def _raw_model() -> dict[str, object]:
    text = resources.files("belegflow_ocr.recognition").joinpath("models", MODEL_FILE).read_text("utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


def _document(path: Path) -> Document:
    with PdfTextReader() as reader:
        rec = reader.read(path.read_bytes(), filename=path.name)
    seen: list[Document] = []
    extract_fields(rec.words, rec.pages, ProtocolLog(), learned=False, observe=seen.append)
    return seen[0]


# --- the model the package ships --------------------------------------------------------------------------


def test_the_shipped_model_loads_and_ranks_every_amount_date_and_receipt_merchant() -> None:
    model = load_model()
    assert model is not None
    assert model.version.startswith("decision-v1-")
    for name in ("invoice_number", "net_amount", "tax_amount", "gross_amount", "invoice_date", "due_date",
                 "supplier_name"):
        assert model.fields[name].ensemble is not None, name


def test_every_calibration_is_monotone_and_a_probability() -> None:
    model = load_model()
    assert model is not None
    assert model.calibrations, "the model carries no calibration"
    for name, cal in model.calibrations.items():
        assert np.all(np.diff(cal.xs) >= 0), name
        assert np.all(np.diff(cal.ys) >= -1e-9), f"{name}: a higher score must never mean a lower confidence"
        assert cal.ys.min() >= 0.0, name
        assert cal.ys.max() <= 1.0, name
        # a probability from the fit: a score above the fitted range keeps the top value; one below it, whose
        # share right the fit never saw, is offered at most as unsure as a value may be to be offered at all
        assert cal(5.0) == pytest.approx(float(cal.ys[-1]))
        assert cal(-5.0) == pytest.approx(min(float(cal.ys[0]), ABSTAIN_BELOW))


def test_a_score_below_every_score_the_calibration_saw_is_offered_but_never_sure() -> None:
    # GIVEN a calibration fitted only on high scores (the real invoices' numbers scored 0.968 and up, all right)
    cal = Calibration([0.968, 0.999], [0.89, 0.89])
    # THEN the fitted range keeps its share right
    assert cal(0.968) == pytest.approx(0.89)
    assert cal(0.99) == pytest.approx(0.89)
    # AND a score below it (a layout whose labels no lexicon knows) is offered, but as no more than a coin toss
    assert cal(0.01) == pytest.approx(ABSTAIN_BELOW)
    assert cal(0.01) >= ABSTAIN_BELOW  # not dropped: the model ranks the right value first there as often as not
    assert Calibration([0.2, 0.9], [0.3, 0.95])(0.1) == pytest.approx(0.3)  # a lower step stays as low


def test_the_manifest_names_only_development_data() -> None:
    manifest = _raw_model()["manifest"]
    assert isinstance(manifest, dict)
    trained_on = " ".join(manifest["trained_on"]).casefold()
    assert "real-layouts" in trained_on
    assert "gen:" in trained_on
    for held_out in ("mustang", "invoice2data", "peppol", "ferd", "zugferd-corpus", "sroie-test"):
        assert held_out not in trained_on


def test_a_model_of_another_format_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="format"):
        parse_model({"format": "something-else/9", "fields": {}})
    assert _raw_model()["format"] == FORMAT


# --- features on real layouts ------------------------------------------------------------------------------


@needs_real
def test_a_totals_row_under_its_headers_with_footer_text_between_knows_its_header() -> None:
    # GIVEN the FNFE template: "TOTAL HT | TOTAL TVA | TOTAL TTC" and, three lines lower, "100,00 | 8,00 | 108,00"
    doc = _document(REAL / "FacturX-NET_FacturXDotNet" / "Facture_F20220024_EN16931.pdf")
    found, rows = amount_features(doc)
    by_value = {(f.value, f.line.index): row for f, row in zip(found, rows, strict=True)}
    net = [row for (v, _), row in by_value.items() if v == Decimal("100.00") and row["above_net_amount"] == 1.0]
    gross = [row for (v, _), row in by_value.items() if v == Decimal("108.00") and row["above_gross_amount"] == 1.0]
    # THEN the header over each value is found, and the sums between the amounts are seen
    assert net
    assert gross
    assert gross[0]["eq_sum_of_two"] == 1.0
    assert net[0]["eq_part_of_sum"] == 1.0


@needs_real
def test_a_referenced_invoices_date_and_a_period_start_are_not_the_date_of_issue() -> None:
    # GIVEN an invoice that prints "Date : 31/01/2022" at the top and, lower, the date of the invoice it refers to
    # and the start of the service period, both the first of the month
    doc = _document(REAL / "FacturX-NET_FacturXDotNet" / "Facture_F20220023_EXTENDED.pdf")
    found, rows = date_features(doc)
    firsts = [row for f, row in zip(found, rows, strict=True) if f.value == date(2022, 1, 1)]
    # THEN those are labelled as other dates (the lexicon), and the learned decision reads the date of issue
    assert firsts
    assert not any(row["left_invoice_date"] or row["same_cell_invoice_date"] for row in firsts)
    assert any(row["left_other_date"] or row["same_cell_other_date"] for row in firsts)
    with PdfTextReader() as reader:
        path = REAL / "FacturX-NET_FacturXDotNet" / "Facture_F20220023_EXTENDED.pdf"
        rec = reader.read(path.read_bytes(), filename=path.name)
    assert rec.fields.invoice_date is not None
    assert rec.fields.invoice_date.value == date(2022, 1, 31)


# --- the failures of the rules, on pages made here ---------------------------------------------------------


def test_a_cash_total_rounded_to_five_cents_is_the_total() -> None:
    # GIVEN a till receipt that prints the exact sum and, below it, the total rounded for cash
    words = page(centred(30, "KEDAI MAJU JAYA SDN BHD", 11, mid=113.5),
                 (15, 60, "Date: 12/03/2018"),
                 (15, 90, "ITEM A 1 x 9.08"), (170, 90, "9.08"),
                 (15, 104, "ITEM B 1 x 5.10"), (170, 104, "5.10"),
                 (15, 130, "TOTAL"), (170, 130, "14.18"),
                 (15, 144, "ROUNDING ADJ"), (170, 144, "0.02"),
                 (15, 158, "TOTAL ROUNDED"), (170, 158, "14.20"),
                 (15, 172, "CASH"), (170, 172, "20.00"),
                 (15, 186, "CHANGE"), (170, 186, "5.80"), size=8.0)  # fmt: skip
    fields, _, _ = extract(words, RECEIPT)
    assert value(fields, "gross_amount") == Decimal("14.20")


def test_a_two_digit_year_is_this_century() -> None:
    words = page(centred(30, "ROTI BAKERY ENTERPRISE", 11, mid=113.5),
                 (15, 60, "20/06/18 13:05"), (15, 90, "TOTAL"), (170, 90, "7.50"), size=8.0)  # fmt: skip
    fields, _, _ = extract(words, RECEIPT)
    assert value(fields, "invoice_date") == date(2018, 6, 20)


def test_a_heading_line_is_not_the_merchant() -> None:
    # GIVEN a receipt whose first line is the shop's opening hours, the shop's name below it
    words = page((40, 20, "SHOPPING HOURS 10AM - 10PM"),
                 centred(40, "SUNRISE MART SDN BHD", 11, mid=113.5),
                 (40, 56, "(123456-X)"), (30, 70, "NO 5, JALAN BUNGA 3, 81100 JOHOR"),
                 (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0)  # fmt: skip
    fields, _, _ = extract(words, RECEIPT)
    name = value(fields, "supplier_name")
    assert isinstance(name, str)
    assert "SUNRISE MART" in name.upper()
    assert "HOURS" not in name.upper()


def test_a_legal_form_on_its_own_line_is_not_the_merchant() -> None:
    # GIVEN a receipt whose shop name runs over two lines, the legal form alone on the second
    words = page(centred(30, "NANDO'S CHICKENLAND MALAYSIA", 10, mid=113.5), centred(44, "SDN BHD", 10, mid=113.5),
                 (40, 58, "(123456-X)"), (30, 72, "LOT 2, JALAN AMPANG, 50450 KUALA LUMPUR"),
                 (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0)  # fmt: skip
    seen: list[Document] = []
    extract_fields(words, RECEIPT, ProtocolLog(), learned=False, observe=seen.append)
    # THEN no candidate is the legal form alone, and the merchant read holds the name
    cands, _ = name_features(seen[0])
    assert "SDN BHD" not in [c.value for c in cands]
    name = value(decide(seen[0], ProtocolLog()), "supplier_name")
    assert isinstance(name, str)
    assert "CHICKENLAND" in name.upper()


def test_amounts_that_do_not_add_up_are_never_sure() -> None:
    # GIVEN totals whose printed net, tax and gross contradict each other
    words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 74, "Datum: 12.03.2024"),
                 (57, 500, "Nettobetrag"), (450, 500, "1.000,00"), (57, 514, "MwSt 19 %"), (450, 514, "190,00"),
                 (57, 528, "Gesamtbetrag"), (450, 528, "1.250,00"))  # fmt: skip
    fields, _, _ = extract(words, A4)
    # THEN none of them is sure enough to pass without a person (the touchless threshold is 0.9)
    assert CONFLICT_CAP < 0.9
    for name in ("net_amount", "tax_amount", "gross_amount"):
        field = getattr(fields, name)
        assert field is None or field.confidence <= CONFLICT_CAP, name
    assert (value(fields, "net_amount"), value(fields, "tax_amount"), value(fields, "gross_amount")) == (
        Decimal("1000.00"), Decimal("190.00"), Decimal("1250.00"))


def test_a_conflict_caps_even_what_the_model_and_the_rules_agree_on() -> None:
    # GIVEN a model whose calibration makes every amount certain
    model = parse_model({**_raw_model(), "calibrations": {
        f"{n}@invoice": {"x": [0.0, 1.0], "y": [1.0, 1.0]} for n in ("net_amount", "tax_amount", "gross_amount")}})
    words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 74, "Datum: 12.03.2024"),
                 (57, 500, "Nettobetrag"), (450, 500, "100,00"), (57, 514, "MwSt 19 %"), (450, 514, "0,00"),
                 (57, 528, "Gesamtbetrag"), (450, 528, "119,00"))  # fmt: skip
    seen: list[Document] = []
    extract_fields(words, A4, ProtocolLog(), learned=False, observe=seen.append)
    # WHEN the learned decision reads totals that contradict each other
    log = ProtocolLog()
    fields = decide(seen[0], log, model)
    # THEN the certainty the calibration gives is capped, and the protocol says why
    for name in ("net_amount", "tax_amount", "gross_amount"):
        field = getattr(fields, name)
        assert field is not None, name
        assert field.confidence == CONFLICT_CAP, (name, field)
    assert sum("net + tax != gross" in e.message for e in log.entries) == 3


def test_an_id_failing_its_check_digits_is_calibrated_apart_and_never_sure() -> None:
    # GIVEN a model whose calibration makes every valid IBAN certain and one failing its check sum a coin toss
    model = parse_model({**_raw_model(), "calibrations": {
        "supplier_iban:rules@invoice#rules": {"x": [0.0, 1.0], "y": [0.99, 0.99]},
        "supplier_iban:rules@invoice#invalid": {"x": [0.0, 1.0], "y": [0.5, 0.5]}}})
    valid, invalid = "DE34200505501234567890", "DE35200505501234567890"
    confidences = {}
    for iban in (valid, invalid):
        words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 74, "Datum: 12.03.2024"), (57, 700, f"IBAN: {iban}"))
        seen: list[Document] = []
        extract_fields(words, A4, ProtocolLog(), learned=False, observe=seen.append)
        trace: dict[str, str] = {}
        # WHEN the learned decision calibrates the IBAN the rules read
        fields = decide(seen[0], ProtocolLog(), model, trace=trace)
        assert fields.supplier_iban is not None
        assert fields.supplier_iban.value == iban
        confidences[iban] = (trace["supplier_iban"], fields.supplier_iban.confidence)
    # THEN each goes through its own class's calibration
    assert confidences[valid] == ("supplier_iban:rules@invoice#rules", 0.99)
    assert confidences[invalid] == ("supplier_iban:rules@invoice#invalid", 0.5)
    # and after the checks, even a class that learned to trust such IDs never lets one pass without a person
    sure = parse_model({**_raw_model(), "calibrations": {
        "supplier_iban:rules@invoice#invalid": {"x": [0.0, 1.0], "y": [0.99, 0.99]}}})
    words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 74, "Datum: 12.03.2024"), (57, 700, f"IBAN: {invalid}"))
    seen = []
    extract_fields(words, A4, ProtocolLog(), learned=False, observe=seen.append)
    decided = decide(seen[0], ProtocolLog(), sure)
    assert decided.supplier_iban is not None
    assert decided.supplier_iban.confidence == 0.99
    log = ProtocolLog()
    checked = validate(decided, [], log, calibrated=True)
    assert any("mod-97" in e.message for e in log.entries)
    assert checked.supplier_iban is not None
    assert checked.supplier_iban.confidence == CONFLICT_CAP < 0.9


def test_the_protocol_says_why_the_learned_decision_chose_with_its_top_features() -> None:
    words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 74, "Datum: 12.03.2024"),
                 (57, 500, "Nettobetrag"), (450, 500, "1.000,00"), (57, 514, "MwSt 19 %"), (450, 514, "190,00"),
                 (57, 528, "Gesamtbetrag"), (450, 528, "1.190,00"))  # fmt: skip
    fields, _, log = extract(words, A4)
    assert value(fields, "gross_amount") == Decimal("1190.00")
    messages = [e.message for e in log.entries if e.data.get("field") == "gross_amount"]
    assert any("learned decision" in m and "top features" in m for m in messages), messages


def test_without_a_model_the_rules_answer() -> None:
    words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 500, "Gesamtbetrag"), (450, 500, "1.190,00"))
    fields, _ = extract_fields(words, A4, ProtocolLog(), learned=False)
    assert fields.gross_amount is not None
    assert fields.gross_amount.value == Decimal("1190.00")


# --- the trees read without LightGBM ----------------------------------------------------------------------


def test_the_trees_predict_what_lightgbm_predicts() -> None:
    lgb = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(400, 6))
    labels = ((matrix[:, 0] + 0.5 * matrix[:, 3] - matrix[:, 5] ** 2) > 0).astype(int)
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "num_threads": 1, "deterministic": True}
    booster = lgb.train(params, lgb.Dataset(matrix, label=labels), num_boost_round=40)
    ensemble = Ensemble.from_lightgbm(booster.dump_model())
    fresh = rng.normal(size=(200, 6))
    assert np.allclose(ensemble.predict(fresh), booster.predict(fresh), atol=1e-9)
    # and the contributions add up to the raw score, as LightGBM's own do
    raw = booster.predict(fresh[:1], raw_score=True)[0]
    assert ensemble.contributions(fresh[0]).sum() == pytest.approx(raw - _bias(ensemble))


def _bias(ensemble: Ensemble) -> float:
    """What every row starts from: the roots' values."""
    return float(sum(t.value[0] for t in ensemble.trees))


def test_a_model_that_is_not_binary_or_has_categorical_splits_is_refused() -> None:
    with pytest.raises(ValueError, match="binary"):
        Ensemble.from_lightgbm({"objective": "regression", "tree_info": [], "feature_names": []})
    dump = {"objective": "binary sigmoid:1", "feature_names": ["a"], "tree_info": [{"tree_structure": {
        "split_feature": 0, "threshold": "1||2", "decision_type": "==", "internal_value": 0.0,
        "left_child": {"leaf_value": 1.0}, "right_child": {"leaf_value": -1.0}}}]}
    with pytest.raises(ValueError, match="numerical"):
        Ensemble.from_lightgbm(dump)


def test_a_type_code_beside_the_title_and_a_customer_or_register_number_are_not_the_invoice_number() -> None:
    # GIVEN a title with the document type code in brackets, a customer number and a register number nearby
    words = page((57, 60, "RECHNUNG (380)", 14), (57, 90, "Rechnungsnummer: RE-2024-0815"),
                 (57, 104, "Kundennummer: 100234"), (57, 118, "Datum: 12.03.2024"),
                 (350, 60, "Amtsgericht Köln HRB 40213"),
                 (57, 500, "Nettobetrag"), (450, 500, "1.000,00"), (57, 514, "MwSt 19 %"), (450, 514, "190,00"),
                 (57, 528, "Gesamtbetrag"), (450, 528, "1.190,00"))  # fmt: skip
    fields, _, _ = extract(words, A4)
    assert value(fields, "invoice_number") == "RE-2024-0815"


def test_net_after_document_level_allowances_and_charges_is_the_net() -> None:
    # GIVEN lines summing to 1.000,00, a document-level discount and a freight charge, then the net of the
    # invoice (EN 16931 BG-20/BG-21: net = lines - allowances + charges)
    words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 74, "Datum: 12.03.2024"),
                 (57, 440, "Summe Positionen"), (450, 440, "1.000,00"),
                 (57, 454, "Rabatt 5 %"), (450, 454, "-50,00"), (57, 468, "Frachtkosten"), (450, 468, "20,00"),
                 (57, 490, "Nettobetrag"), (450, 490, "970,00"), (57, 504, "MwSt 19 %"), (450, 504, "184,30"),
                 (57, 518, "Gesamtbetrag"), (450, 518, "1.154,30"))  # fmt: skip
    fields, _, _ = extract(words, A4)
    assert value(fields, "net_amount") == Decimal("970.00")
    assert value(fields, "gross_amount") == Decimal("1154.30")



@pytest.mark.parametrize(("read", "meant"), [
    ("HAI0RAYA BHD", "HAIORAYA BHD"),  # a zero read for an O inside a word of letters
    ("KMFF00DICIOUS SDN BHD", "KMFFOODICIOUS SDN BHD"),
    ("ABC TRADING SONBHD", "ABC TRADING SDN BHD"),  # OCR's spellings of the legal form
    ("XYZ SIN BHZ", "XYZ SDN BHD"),
    ("OLIVE9 PHARMACY", "OLIVE9 PHARMACY"),  # a name with a digit in it stays
    ("7-ELEVEN 1024", "7-ELEVEN 1024"),
])  # fmt: skip
def test_ocr_slips_in_a_shop_name_are_repaired_and_numbers_in_it_stay(read: str, meant: str) -> None:
    assert repair_name(read) == meant


def test_the_joint_decision_never_takes_a_tax_larger_than_any_rate() -> None:
    from belegflow_ocr.recognition.scorer import Ranked, _joint

    def ranked(*options: tuple[str, float]) -> list[Ranked]:
        return [Ranked(Decimal(v), s, 1, (0.0, 0.0, 1.0, 1.0), i) for i, (v, s) in enumerate(options)]

    # GIVEN first-ranked amounts that do not add up; among the runners-up a tax 7 times the net that adds up
    # (700 + 100 = 800, the likelier combination) and a tax at 19 % that adds up too
    choices = {"net_amount": ranked(("100.00", 0.6)),
               "tax_amount": ranked(("50.00", 0.6), ("700.00", 0.55), ("19.00", 0.3)),
               "gross_amount": ranked(("900.00", 0.6), ("800.00", 0.55), ("119.00", 0.4))}  # fmt: skip
    joint = _joint(choices)
    # THEN the reading at a real rate wins
    assert joint is not None
    assert [joint[n].value for n in ("net_amount", "tax_amount", "gross_amount")] == \
        [Decimal("100.00"), Decimal("19.00"), Decimal("119.00")]  # fmt: skip
    # ... and with only the swapped reading at hand (tax 7 times the net), nothing is forced
    choices = {"net_amount": ranked(("100.00", 0.6)), "tax_amount": ranked(("50.00", 0.6), ("700.00", 0.5)),
               "gross_amount": ranked(("900.00", 0.6), ("800.00", 0.5))}  # fmt: skip
    assert _joint(choices) is None


def test_a_postcode_before_its_place_is_no_invoice_number_candidate() -> None:
    # GIVEN a layout whose labels no lexicon knows: the recipient's block with its postcode, a row of values
    words = page((57, 120, "Hafenkontor Weser GmbH"), (57, 132, "Am Speicher 3"), (57, 144, "28195 Bremen"),
                 (57, 200, "Felhaprim"), (200, 200, "Hapkorem"), (57, 212, "FV0009455"), (200, 212, "11/08/2024"),
                 (57, 240, "Zurgos 12345 Datum"))  # fmt: skip
    seen: list[Document] = []
    extract_fields(words, A4, ProtocolLog(), learned=False, observe=seen.append)
    found, _ = number_features(seen[0])
    values = {str(f.value) for f in found}
    # THEN the document's number is a candidate and the postcode is not; a number before a label still is
    assert "FV0009455" in values
    assert "28195" not in values
    assert "12345" in values
