"""Supplier layout memory on hand-built pages: learn from an approval, read the next invoice, demote, keep apart."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from belegflow_contracts.messages import InvoiceV1
from belegflow_ocr import learning
from belegflow_ocr.learning import LEARNED_CONFIDENCE, Teaching
from belegflow_ocr.recognition.learned import KINDS, norm, shape_of
from belegflow_ocr.recognition.model import ProtocolLog, Word
from samples.generate import iban_de, vat_id_de
from samples.wordpages import A4, extract, page, value

IBAN = iban_de("20050550", "1234567890")
VAT = vat_id_de("11865432")
AT = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)


def invoice_page(number: str, issued: str, net: str, tax: str, gross: str, *, extra: str = "Kundenkonto") -> list[Word]:
    """A layout no lexicon knows: invented labels, values right of them, a totals block with its own words."""
    return page(
        (57, 60, "Vorlak Spedition GmbH", 14),
        (57, 140, "Hafenkontor Weser GmbH"), (57, 152, "28195 Bremen"),
        (330, 150, "Belegkennung"), (440, 150, number),
        (330, 163, "Ausgestellt zum"), (440, 163, issued),
        (330, 176, extra), (440, 176, "4711-0815"),
        (57, 260, "Umfuhr Terminal"), (480, 260, net),
        (330, 400, "Warenwert"), (480, 400, net),
        (330, 414, "Abgabe"), (480, 414, tax),
        (330, 428, "Schlusswert"), (480, 428, gross),
        (57, 780, f"IBAN {IBAN} · USt-IdNr. {VAT}", 7),
    )


FIRST = invoice_page("VK-2024-00017", "12.03.2024", "1.000,00", "190,00", "1.190,00")
SECOND = invoice_page("VK-2024-00018", "19.03.2024", "2.500,00", "475,00", "2.975,00")
TRUTH_FIRST = InvoiceV1(invoice_number="VK-2024-00017", invoice_date=date(2024, 3, 12), net_amount=Decimal("1000.00"),
                        tax_amount=Decimal("190.00"), gross_amount=Decimal("1190.00"), supplier_iban=IBAN,
                        supplier_vat_id=VAT)


def teaching(truth: InvoiceV1 = TRUTH_FIRST, *, tenant: str = "acme", corrected: tuple[str, ...] = ("invoice_number",)
             ) -> Teaching:
    return Teaching(tenant=tenant, document_id="11111111-1111-1111-1111-111111111111", invoice=truth,
                    supplier_number="70009", supplier_name="Vorlak Spedition GmbH",
                    keys=learning.supplier_keys(IBAN, VAT), approved_by="user:bert", at=AT,
                    corrected=dict.fromkeys(corrected, ("user:anna", AT)))


def learned_layout() -> learning.LearnedLayout:
    layout, notes = learning.learn(teaching(), FIRST, A4, [])
    assert layout is not None, notes
    return replace(layout, layout_id=1)


def test_the_base_extractor_is_not_sure_of_this_layout() -> None:
    # GIVEN invented labels THEN the invoice number is not read, or not surely enough to pass without a person
    # (that is what learning is for)
    fields, _, _ = extract(SECOND)
    number = fields.invoice_number
    assert number is None or number.value != "VK-2024-00018" or number.confidence < 0.9
    assert value(fields, "supplier_iban") == IBAN


def test_an_approval_teaches_each_field_by_its_label() -> None:
    layout = learned_layout()
    rules = {name: f.rule for name, f in layout.fields.items()}
    assert rules["invoice_number"].anchor == "belegkennung"
    assert rules["invoice_number"].relation == "right"
    assert rules["invoice_number"].shape == shape_of("VK-2024-00017") == "A-9-9"
    # the totals block wins over the table row that repeats the net amount
    assert rules["net_amount"].anchor == "warenwert"
    assert rules["gross_amount"].anchor == "schlusswert"
    assert layout.fields["invoice_number"].corrected is True
    assert layout.fields["invoice_number"].by == "user:anna"
    assert layout.fields["gross_amount"].corrected is False  # confirmed by the approver
    assert layout.fields["gross_amount"].by == "user:bert"


def test_the_next_invoice_is_read_with_it_and_the_protocol_names_the_source() -> None:
    fields, _, _ = extract(SECOND)
    log = ProtocolLog()
    applied = learning.apply(fields, SECOND, A4, [learned_layout()], log)
    assert value(applied.fields, "invoice_number") == "VK-2024-00018"
    assert value(applied.fields, "invoice_date") == date(2024, 3, 19)
    assert value(applied.fields, "gross_amount") == Decimal("2975.00")
    assert applied.fields.invoice_number is not None
    assert applied.fields.invoice_number.confidence == LEARNED_CONFIDENCE
    messages = [e.message for e in log.entries]
    assert ("invoice_number: VK-2024-00018 - learned from the correction of document "
            "11111111-1111-1111-1111-111111111111 by user:anna on 2024-05-02 (label 'belegkennung', right of it; ")\
        in "\n".join(messages)
    assert applied.layout is not None
    assert applied.layout.fields["invoice_number"].uses == 1


def test_identification_fields_are_never_learned() -> None:
    assert not {"supplier_iban", "supplier_vat_id", "supplier_name"} & set(KINDS)
    assert not {"supplier_iban", "supplier_vat_id", "supplier_name"} & set(learned_layout().fields)


def test_a_rule_whose_sums_fail_is_demoted_and_the_base_reading_stands() -> None:
    # GIVEN a next invoice on which the learned totals do not add up (the supplier printed a discount line there)
    broken = invoice_page("VK-2024-00019", "20.03.2024", "2.500,00", "475,00", "2.900,00")
    fields, _, _ = extract(broken)
    log = ProtocolLog()
    applied = learning.apply(fields, broken, A4, [learned_layout()], log)
    # THEN the learned amounts are not taken, each demoted rule says why
    assert applied.layout is not None
    demoted = {n for n, f in applied.layout.fields.items() if f.demoted}
    assert demoted == {"net_amount", "tax_amount", "gross_amount"}
    assert any("gross_amount: learned rule demoted: net 2500.00 + tax 475.00 = 2975.00, not gross 2900.00" in e.message
               for e in log.entries)
    assert applied.fields.gross_amount == fields.gross_amount
    # AND the number is still read by its own rule
    assert value(applied.fields, "invoice_number") == "VK-2024-00019"
    # AND a demoted rule is not used again
    again = ProtocolLog()
    later = learning.apply(fields, SECOND, A4, [applied.layout], again)
    assert later.fields.gross_amount == fields.gross_amount
    assert any("is demoted" in e.message for e in again.entries)


def test_a_new_correction_teaches_a_demoted_rule_anew() -> None:
    layout = learned_layout()
    demoted = replace(layout, fields={n: replace(f, demoted=True) for n, f in layout.fields.items()})
    relearned, _ = learning.learn(teaching(corrected=("gross_amount",)), FIRST, A4, [demoted])
    assert relearned is not None
    assert not relearned.fields["gross_amount"].demoted


def test_another_layout_of_the_supplier_is_not_read_with_it() -> None:
    other = page((57, 60, "Vorlak Spedition GmbH", 14), (57, 100, "Ganz andere Seite mit eigenen Worten"),
                 (57, 120, "Rechnungsnummer: 4711"), (57, 780, f"IBAN {IBAN}", 7))
    fields, _, _ = extract(other)
    log = ProtocolLog()
    applied = learning.apply(fields, other, A4, [learned_layout()], log)
    assert applied.layout is None
    assert applied.fields == fields
    assert "none like this one" in log.entries[0].message


def test_learning_keeps_tenants_and_suppliers_apart() -> None:
    # GIVEN a layout learned for tenant acme
    acme = learned_layout()
    # WHEN tenant globex approves an invoice of the same supplier THEN it starts its own layout, not acme's
    globex, _ = learning.learn(teaching(tenant="globex"), FIRST, A4, [acme])
    assert globex is not None
    assert globex.layout_id is None
    assert globex.tenant == "globex"


def test_anchors_compare_without_case_colons_or_trailing_dots() -> None:
    assert norm("Beleg-Nr.:") == norm("beleg-nr") == "beleg-nr"
    assert norm("  Ausgestellt   zum: ") == "ausgestellt zum"
