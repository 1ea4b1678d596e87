"""Invoices that charge no tax and say why: small businesses, reverse charge, exempt supplies.

Such an invoice prints no tax amount. Without the note, net and gross of one value were no consistent reading
(a tax of zero adds up with any pair of equal totals) and a stray small amount (a discount of 1 %) was taken for
the tax. With it, the tax is zero, net is gross, and the protocol says which note said so.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from belegflow_contracts.messages import InvoiceFieldsV1
from belegflow_ocr.recognition.cleanup import normalised
from belegflow_ocr.recognition.exemption import exemption_note
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.layout import build_lines
from belegflow_ocr.recognition.model import ProtocolLog, Word
from belegflow_ocr.recognition.pdftext import read_text_layer
from belegflow_ocr.recognition.scorer import Ranked, _joint_untaxed
from samples.wordpages import A4, Cell, extract, page, value

REAL = Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "real-layouts" / "invoices"
THRESHOLD = 0.9


def _readings(words: list[Word]) -> tuple[list[InvoiceFieldsV1], ProtocolLog]:
    """The rules' reading and the learned decision's, and the decision's protocol."""
    rules, _ = extract_fields(words, A4, ProtocolLog(), learned=False)
    fields, _, log = extract(words)
    return [rules, fields], log


def _head(*totals: Cell) -> list[Word]:
    return page((57, 150, "Rechnung Nr. RE-2024-117"), (57, 162, "Rechnungsdatum 12.03.2024"),
                (57, 300, "1 Beratung 1,00 Std 90,00 90,00"), *totals)  # fmt: skip


@pytest.mark.parametrize(("note", "kind"), [
    ("Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.", "small business"),
    ("Umsatzsteuerbefreit nach §19 UStG (Kleinunternehmerregelung)", "small business"),
    ("Steuerschuldnerschaft des Leistungsempfängers (§ 13b UStG)", "reverse charge"),
    ("Reverse charge: VAT to be accounted for by the recipient (Article 196 Directive 2006/112/EC)", "reverse charge"),
    ("Autoliquidation - TVA due par le preneur", "reverse charge"),
    ("BTW verlegd", "reverse charge"),
    ("TVA non applicable, art. 293 B du CGI", "small business"),
    ("Steuerfreie Leistung gemäß § 4 Nr. 3 UStG (grenzüberschreitende Beförderung)", "exempt"),
    ("Intra-Community supply, exempt from VAT", "exempt"),
])  # fmt: skip
def test_a_note_that_no_tax_is_charged_makes_the_tax_zero(note: str, kind: str) -> None:
    # GIVEN net and gross printed as one value, no tax amount, a note saying why, and a 1 % discount line
    words = _head((330, 330, "Rabatt 1,00 %"), (500, 330, "-0,90"), (330, 345, "Nettobetrag"), (500, 345, "89,10"),
                  (330, 360, "Rechnungsbetrag"), (500, 360, "89,10"), (57, 400, note, 8))  # fmt: skip
    # THEN the rules and the product read a tax of zero, with net equal to gross
    reads, log = _readings(words)
    for read in reads:
        assert value(read, "tax_amount") == Decimal("0.00")
        assert value(read, "net_amount") == Decimal("89.10")
        assert value(read, "gross_amount") == Decimal("89.10")
    # AND the protocol names the note and the kind of supply
    said = [e.message for e in log.entries if e.data.get("exemption")]
    assert said
    assert kind in said[0]
    assert note[:20] in said[0]
    # AND the tax is found where the note is printed
    tax = reads[1].tax_amount
    assert tax is not None
    assert tax.bbox is not None
    assert abs(tax.bbox[1] - (400 - 0.8 * 8)) < 1


def test_without_a_note_a_zero_tax_is_not_assumed() -> None:
    # GIVEN the same totals without any note
    words = _head((330, 330, "Rabatt 1,00 %"), (500, 330, "-0,90"), (330, 345, "Nettobetrag"), (500, 345, "89,10"),
                  (330, 360, "Rechnungsbetrag"), (500, 360, "89,10"))  # fmt: skip
    reads, log = _readings(words)
    # THEN nothing says why no tax is printed: no tax of zero is confirmed
    assert not any(e.data.get("exemption") for e in log.entries)
    for read in reads:
        tax = read.tax_amount
        assert tax is None or tax.value != 0 or tax.confidence < THRESHOLD


def test_a_single_total_of_a_small_business_is_net_and_gross_but_not_sure() -> None:
    # GIVEN a small business's invoice that prints only its total
    words = _head((330, 360, "Gesamtbetrag"), (500, 360, "90,00 €"),
                  (57, 400, "Im Rechnungsbetrag ist gemäß § 19 UStG keine Umsatzsteuer enthalten.", 8))  # fmt: skip
    reads, _ = _readings(words)
    for read in reads:
        assert value(read, "gross_amount") == Decimal("90.00")
        assert value(read, "net_amount") == Decimal("90.00")
        assert value(read, "tax_amount") == Decimal("0.00")
        # no sum confirms which printed total it is: a clerk looks
        gross = read.gross_amount
        assert gross is not None
        assert gross.confidence < THRESHOLD


def test_a_note_on_some_lines_does_not_zero_the_tax_of_the_others() -> None:
    # GIVEN a freight invoice: one exempt line (cross-border transport), the rest at 19 %, the sums add up
    words = _head((57, 315, "2 Grenzüberschreitende Beförderung, steuerfrei gem. § 4 Nr. 3 UStG 500,00", 8),
                  (330, 345, "Nettobetrag"), (500, 345, "590,00"), (330, 360, "zzgl. 19 % USt"),
                  (500, 360, "17,10"), (330, 375, "Rechnungsbetrag"), (500, 375, "607,10"))  # fmt: skip
    fields, _, log = extract(words)
    # THEN the printed tax stands
    assert value(fields, "tax_amount") == Decimal("17.10")
    assert value(fields, "net_amount") == Decimal("590.00")
    assert value(fields, "gross_amount") == Decimal("607.10")
    assert not any(e.data.get("exemption") for e in log.entries)


def test_a_heading_that_names_exemptions_is_no_note() -> None:
    lines = build_lines(page((57, 500, "Détail TVA (motif si exonération, code E, O, K, AE) Code Taux Base TVA"),
                             (57, 515, "Total exempt from VAT 0,00")))  # fmt: skip
    assert exemption_note(lines[:1]) is None
    assert exemption_note(lines) is not None  # the second line does say that an amount is exempt


def _ranked(value: str, score: float, row: int) -> Ranked:
    return Ranked(Decimal(value), score, 1, (0.0, 0.0, 1.0, 1.0), row)


def test_net_and_gross_of_an_untaxed_invoice_are_taken_as_one_value() -> None:
    # GIVEN the model ranking a line's amount first for gross, the total second
    ranked = {"net_amount": [_ranked("89.10", 0.8, 0)],
              "gross_amount": [_ranked("90.00", 0.5, 0), _ranked("89.10", 0.45, 1)]}  # fmt: skip
    joint = _joint_untaxed(ranked)
    # THEN the pair that is one value wins
    assert joint is not None
    assert joint["gross_amount"].value == Decimal("89.10")
    # AND a pair far less likely than the first-ranked two is not forced
    ranked["gross_amount"][1] = _ranked("89.10", 0.01, 1)
    assert _joint_untaxed(ranked) is None
    # AND first-ranked values that agree are left alone
    assert _joint_untaxed({"net_amount": [_ranked("5.00", 0.9, 0)], "gross_amount": [_ranked("5.00", 0.9, 0)]}) is None


@pytest.mark.skipif(not REAL.is_dir(), reason="shared real-layouts corpus not present")
@pytest.mark.parametrize(("path", "total"), [
    ("ahelmberger_factur-x-kit/ZFdemo_2p1_en16931.pdf", "9.90"),
    ("ahelmberger_factur-x-kit/FacturX_BASICWL_Test.pdf", "990.00"),
    ("ahelmberger_factur-x-kit/PDF_DESIGN_DE_Kleinunternehmer.pdf", "14.90"),
])  # fmt: skip
def test_small_business_invoices_of_another_generator(path: str, total: str) -> None:
    # GIVEN third-party PDFs read by their text layer alone (their XML says tax 0.00, net = gross)
    layer = read_text_layer((REAL / path).read_bytes(), filename=Path(path).name)
    assert exemption_note(build_lines([normalised(w) for w in layer.words])) is not None
    fields, _ = extract_fields(layer.words, layer.pages, ProtocolLog())
    # THEN the tax is zero (before: a 1 % discount, or 1.00 from "Tax: 0.00%", was taken for it)
    assert value(fields, "tax_amount") == Decimal("0.00")
    assert value(fields, "net_amount") == Decimal(total)
    assert value(fields, "gross_amount") == Decimal(total)
