"""Learning never makes a reading worse: each way a learned rule went wrong, on a page built for it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from belegflow_contracts.messages import InvoiceV1
from belegflow_ocr import learning
from belegflow_ocr.learning import LEARNED_CONFIDENCE, LearnedLayout, Teaching
from belegflow_ocr.recognition.learned import label_kind, stable
from belegflow_ocr.recognition.model import ProtocolLog, Word
from samples.generate import iban_de, vat_id_de
from samples.wordpages import A4, Cell, extract, page, value

IBAN = iban_de("20050550", "1234567890")
VAT = vat_id_de("11865432")
OTHER_IBAN = iban_de("37040044", "0532013000")
AT = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
FOOTER: Cell = (57, 780, f"IBAN {IBAN} · USt-IdNr. {VAT}", 7)


def invoice(number: str, issued: date, net: str, tax: str, gross: str, *, supplier: str = "70009",
            keys: frozenset[str] | None = None, corrected: tuple[str, ...] = ()) -> Teaching:
    truth = InvoiceV1(invoice_number=number, invoice_date=issued, net_amount=Decimal(net), tax_amount=Decimal(tax),
                      gross_amount=Decimal(gross), supplier_iban=IBAN, supplier_vat_id=VAT)
    return Teaching(tenant="acme", document_id="11111111-1111-1111-1111-111111111111", invoice=truth,
                    supplier_number=supplier, supplier_name="Vorlak Spedition GmbH",
                    keys=learning.supplier_keys(IBAN, VAT) if keys is None else keys, approved_by="user:bert", at=AT,
                    corrected=dict.fromkeys(corrected, ("user:anna", AT)))


def learn(words: list[Word], teaching: Teaching, known: list[LearnedLayout] | None = None
          ) -> tuple[LearnedLayout, list[str]]:
    layout, notes = learning.learn(teaching, words, A4, known or [])
    assert layout is not None, notes
    return replace(layout, layout_id=1), notes


# --- two fields, one label --------------------------------------------------------------------------


def open_items_page(number: str, net: str, tax: str, gross: str, due: str) -> list[Word]:
    """Invented labels; under the totals the amount due with the supplier's open items."""
    return page(
        (57, 60, "Vorlak Spedition GmbH", 14), (57, 140, "Hafenkontor Weser GmbH"),
        (330, 150, "Belegkennung"), (440, 150, number),
        (57, 260, "Umfuhr Terminal"), (480, 260, net),
        (330, 400, "Zwischenwert"), (480, 400, net),
        (330, 414, "Abgabe"), (480, 414, tax),
        (330, 428, "Endwert"), (480, 428, gross),
        (330, 442, "Saldo inkl. Vorposten"), (480, 442, due),
        FOOTER,
    )


def test_net_and_gross_are_never_learned_from_one_label() -> None:
    # GIVEN a tax-free invoice: net, gross and the amount due incl. open items are one number in one place each
    words = open_items_page("VK-2024-00017", "1.000,00", "0,00", "1.000,00", "1.000,00")
    layout, notes = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "0.00", "1000.00"))
    # THEN neither net nor gross is learned from a label that leads to both, and the protocol says so
    assert "net_amount" not in layout.fields
    assert "gross_amount" not in layout.fields
    assert any("gross_amount and net_amount: the same label 'saldo inkl. vorposten' leads to both" in n
               for n in notes), notes
    # AND the fields of their own labels are learned as ever
    assert layout.fields["invoice_number"].rule.anchor == "belegkennung"
    assert layout.fields["tax_amount"].rule.anchor == "abgabe"
    # WHEN the next invoice has open items THEN no learned net or gross takes the amount due
    second = open_items_page("VK-2024-00018", "2.000,00", "380,00", "2.380,00", "3.100,00")
    fields, _, _ = extract(second)
    applied = learning.apply(fields, second, A4, [layout], ProtocolLog())
    assert applied.fields.gross_amount == fields.gross_amount
    assert applied.fields.net_amount == fields.net_amount


def test_two_fields_reading_one_box_on_a_later_invoice_take_neither() -> None:
    words = open_items_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "1.190,00")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00"))
    # GIVEN (as stored before) a net rule on the label the gross rule reads
    gross = layout.fields["gross_amount"]
    net = replace(layout.fields["net_amount"], rule=replace(gross.rule, field="net_amount"))
    both = replace(layout, fields={**layout.fields, "net_amount": net})
    second = open_items_page("VK-2024-00018", "2.000,00", "380,00", "2.380,00", "2.380,00")
    fields, _, _ = extract(second)
    log = ProtocolLog()
    applied = learning.apply(fields, second, A4, [both], log)
    # THEN neither is taken from it
    assert applied.fields.net_amount == fields.net_amount
    assert applied.fields.gross_amount == fields.gross_amount
    assert any("read the same value box here - base reading kept" in e.message for e in log.entries)


# --- dates: a delivery date's label never leads to the invoice date -----------------------------------------


def dates_page(number: str, issued: str, delivered: str, *, delivery_label: str = "Lieferdatum") -> list[Word]:
    return page(
        (57, 60, "Vorlak Spedition GmbH", 14), (57, 140, "Hafenkontor Weser GmbH"),
        (330, 150, "Belegkennung"), (440, 150, number),
        (330, 163, delivery_label), (440, 163, delivered),
        (330, 176, "Ausgestellt zum"), (440, 176, issued),
        (330, 400, "Warenwert"), (480, 400, "1.000,00"), (330, 414, "Abgabe"), (480, 414, "190,00"),
        (330, 428, "Schlusswert"), (480, 428, "1.190,00"),
        FOOTER,
    )


def test_a_delivery_date_label_is_never_learned_for_the_invoice_date() -> None:
    # GIVEN delivery on the day of issue: the date stands after both labels
    words = dates_page("VK-2024-00017", "12.03.2024", "12.03.2024")
    layout, notes = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00",
                                         corrected=("invoice_date",)))
    # THEN the invoice date is learned from its own label, and the protocol says why not from the other
    assert layout.fields["invoice_date"].rule.anchor == "ausgestellt zum"
    assert "invoice_date: label 'lieferdatum' names a other date - never the invoice_date" in notes
    # AND the next invoice, delivered days before its issue, is read right
    second = dates_page("VK-2024-00018", "19.03.2024", "15.03.2024")
    fields, _, _ = extract(second)
    applied = learning.apply(fields, second, A4, [layout], ProtocolLog())
    assert value(applied.fields, "invoice_date") == date(2024, 3, 19)


def test_a_stored_rule_on_a_delivery_date_label_is_demoted_when_applied() -> None:
    words = dates_page("VK-2024-00017", "12.03.2024", "12.03.2024")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00",
                                     corrected=("invoice_date",)))
    # GIVEN a rule learned before these checks, on the delivery date's label
    known = layout.fields["invoice_date"]
    wrong = replace(known, rule=replace(known.rule, anchor="lieferdatum"))
    old = replace(layout, fields={**layout.fields, "invoice_date": wrong})
    second = dates_page("VK-2024-00018", "19.03.2024", "15.03.2024")
    fields, _, _ = extract(second)
    log = ProtocolLog()
    applied = learning.apply(fields, second, A4, [old], log)
    # THEN it is not used for the invoice date: demoted, the base reading kept, the protocol says why
    assert applied.fields.invoice_date == fields.invoice_date
    assert applied.layout is not None
    assert applied.layout.fields["invoice_date"].demoted
    assert any("its label 'lieferdatum' names a other date, never the invoice_date" in e.message
               for e in log.entries)


def test_a_date_under_two_unknown_labels_is_not_learned_from_that_document() -> None:
    # GIVEN an invented delivery label no lexicon knows, on the day of issue
    words = dates_page("VK-2024-00017", "12.03.2024", "12.03.2024", delivery_label="Abholung am")
    layout, notes = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00",
                                         corrected=("invoice_date",)))
    # THEN which label names the invoice date is not guessed
    assert "invoice_date" not in layout.fields
    assert any(n.startswith("invoice_date: 2024-03-12 - the same date stands under 2 labels") for n in notes), notes
    # AND a document that tells them apart teaches it
    later = dates_page("VK-2024-00018", "19.03.2024", "15.03.2024", delivery_label="Abholung am")
    taught, _ = learn(later, invoice("VK-2024-00018", date(2024, 3, 19), "1000.00", "190.00", "1190.00",
                                     corrected=("invoice_date",)), [layout])
    assert taught.fields["invoice_date"].rule.anchor == "ausgestellt zum"


def test_a_learned_invoice_date_that_is_a_delivery_date_here_is_not_taken() -> None:
    # GIVEN a date rule on an invented label that, on this invoice, carries the delivery date
    words = dates_page("VK-2024-00017", "12.03.2024", "10.03.2024")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00",
                                     corrected=("invoice_date",)))
    swapped = page(
        (57, 60, "Vorlak Spedition GmbH", 14), (57, 140, "Hafenkontor Weser GmbH"),
        (330, 150, "Belegkennung"), (440, 150, "VK-2024-00018"),
        (330, 163, "Rechnungsdatum"), (440, 163, "19.03.2024"),
        (330, 176, "Ausgestellt zum"), (440, 176, "Lieferdatum 15.03.2024"),
        (330, 400, "Warenwert"), (480, 400, "1.000,00"), (330, 414, "Abgabe"), (480, 414, "190,00"),
        (330, 428, "Schlusswert"), (480, 428, "1.190,00"), FOOTER,
    )
    fields, _, _ = extract(swapped)
    log = ProtocolLog()
    applied = learning.apply(fields, swapped, A4, [layout], log)
    assert value(applied.fields, "invoice_date") != date(2024, 3, 15)
    assert any("is the date after 'Lieferdatum" in e.message for e in log.entries), [e.message for e in log.entries]


# --- anchors without the taught document's own values ---------------------------------------------------------


def title_page(number: str, issued: str) -> list[Word]:
    return page(
        (57, 60, "Vorlak Spedition GmbH", 14), (57, 140, "Hafenkontor Weser GmbH"),
        (57, 200, f"Rechnung Nr. {number} vom {issued}", 12),
        (330, 400, "Warenwert"), (480, 400, "1.000,00"), (330, 414, "Abgabe"), (480, 414, "190,00"),
        (330, 428, "Schlusswert"), (480, 428, "1.190,00"),
        FOOTER,
    )


def test_an_anchor_keeps_no_number_of_the_taught_invoice() -> None:
    # GIVEN the title "Rechnung Nr. 4711 vom 12.03.2024", the only place of the invoice date
    words = title_page("4711", "12.03.2024")
    layout, _ = learn(words, invoice("4711", date(2024, 3, 12), "1000.00", "190.00", "1190.00",
                                     corrected=("invoice_date",)))
    # THEN the date's anchor is the title's stable words, not the number of this one invoice
    rule = layout.fields["invoice_date"].rule
    assert rule.anchor == "rechnung nr. vom"
    assert "4711" not in rule.anchor
    # AND the next invoice, another number, is read by it
    second = title_page("4712", "19.03.2024")
    fields, _, _ = extract(second)
    log = ProtocolLog()
    applied = learning.apply(fields, second, A4, [layout], log)
    assert value(applied.fields, "invoice_date") == date(2024, 3, 19)
    assert applied.fields.invoice_date is not None
    assert applied.fields.invoice_date.confidence == LEARNED_CONFIDENCE


def test_a_label_that_is_nothing_but_the_documents_values_is_no_anchor() -> None:
    # GIVEN a date whose only label is the cell above it, which holds the invoice number
    words = page(
        (57, 60, "Vorlak Spedition GmbH", 14), (57, 140, "Hafenkontor Weser GmbH"),
        (330, 150, "VK-4711"), (330, 163, "12.03.2024"),
        (330, 400, "Warenwert"), (480, 400, "1.000,00"), FOOTER,
    )
    teaching = invoice("VK-4711", date(2024, 3, 12), "1000.00", "190.00", "1190.00")
    layout, notes = learning.learn(teaching, words, A4, [])
    assert layout is None or "invoice_date" not in layout.fields
    assert "invoice_date: label 'vk-4711' is nothing but this document's own values - no anchor" in notes


def test_stable_words_drop_numbers_dates_and_month_names() -> None:
    assert stable("Rechnung Nr. 4711 vom") == "rechnung nr. vom"
    assert stable("Lieferung vom 12. März 2024 an") == "lieferung vom an"
    assert stable("Beleg ABCDEF", ["ABCDEF"]) == "beleg"
    assert stable("2024/FDX/7086") == ""
    assert label_kind("invoice_date", "Rechnung Nr. 4711 vom") == ("same", "invoice_date")
    assert label_kind("invoice_date", "Leistungsdatum")[0] == "refused"
    assert label_kind("gross_amount", "Anzahlung")[0] == "refused"


# --- keys: valid, the supplier's own, seen with one supplier only ------------------------------------------------


def test_an_invalid_iban_is_no_key() -> None:
    broken = IBAN[:2] + ("00" if IBAN[2:4] != "00" else "01") + IBAN[4:]
    assert learning.valid_key(broken) is None
    assert learning.supplier_keys(broken, VAT) == frozenset({VAT})
    keys, notes = learning.teaching_keys((broken,), ())
    assert keys == frozenset()
    assert notes == [f"key {broken}: not a valid IBAN or VAT ID - no key"]
    # AND a document printing only the broken IBAN finds no layout
    words = open_items_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "1.190,00")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00"))
    fields, _, _ = extract(words)
    assert fields.supplier_iban is not None
    bad = fields.model_copy(update={"supplier_iban": fields.supplier_iban.model_copy(update={"value": broken}),
                                    "supplier_vat_id": None})
    log = ProtocolLog()
    assert learning.apply(bad, words, A4, [layout], log).layout is None
    assert any(f"{broken} is no valid IBAN or VAT ID" in e.message for e in log.entries)


def test_a_printed_iban_that_is_not_the_suppliers_in_master_data_is_no_key() -> None:
    keys, notes = learning.teaching_keys((OTHER_IBAN, VAT), (IBAN, VAT))
    assert keys == frozenset({IBAN, VAT})
    assert notes == [f"key {OTHER_IBAN}: not the supplier's in master data - no key"]


def test_an_iban_printed_by_several_suppliers_finds_no_layout() -> None:
    words = open_items_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "1.190,00")
    shared_key = frozenset({IBAN})
    # GIVEN two suppliers' layouts, both under the same (factoring) IBAN
    first, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00",
                                    keys=shared_key))
    second = replace(first, layout_id=2, supplier_number="70010")
    fields, _, _ = extract(words)
    only_iban = fields.model_copy(update={"supplier_vat_id": None})
    # WHEN a document prints only that IBAN THEN no learned layout is used
    log = ProtocolLog()
    applied = learning.apply(only_iban, words, A4, [first, second], log)
    assert applied.layout is None
    assert applied.fields == only_iban
    assert any(f"{IBAN} is printed by several suppliers" in e.message for e in log.entries)
    # AND an IBAN known to be seen with several suppliers finds none even where one layout carries it
    assert learning.apply(only_iban, words, A4, [first], ProtocolLog(), shared=shared_key).layout is None
    # AND learning does not file a layout under it
    relearned, notes = learning.learn(invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00"),
                                      words, A4, [], shared=shared_key)
    assert relearned is not None
    assert IBAN not in relearned.supplier_keys
    assert f"keys {IBAN}: seen with several suppliers - no key" in notes


# --- a learned value that breaks the sums while the base reading holds -------------------------------------------


def prepaid_page(number: str, net: str, tax: str, gross: str, prepaid: str, due: str) -> list[Word]:
    return page(
        (57, 60, "Vorlak Spedition GmbH", 14), (57, 140, "Hafenkontor Weser GmbH"),
        (330, 150, "Belegkennung"), (440, 150, number), (330, 163, "Rechnungsdatum"), (440, 163, "12.03.2024"),
        (57, 260, "Umfuhr Terminal"), (480, 260, net),
        (330, 400, "Nettobetrag"), (480, 400, net), (330, 414, "MwSt 19 %"), (480, 414, tax),
        (330, 428, "Gesamtbetrag"), (480, 428, gross), (330, 442, "Anzahlung"), (480, 442, prepaid),
        (330, 456, "Zahlbetrag"), (480, 456, due),
        FOOTER,
    )


def test_the_gross_is_learned_from_its_own_label_not_the_amount_due() -> None:
    words = prepaid_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "0,00", "1.190,00")
    layout, notes = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00"))
    assert layout.fields["gross_amount"].rule.anchor == "gesamtbetrag"
    assert not any(f.rule.anchor in ("anzahlung", "zahlbetrag") for f in layout.fields.values()), notes


def test_a_learned_value_breaking_the_sums_where_the_base_reading_holds_keeps_the_base_reading() -> None:
    words = prepaid_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "0,00", "1.190,00")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00",
                                     corrected=("gross_amount",)))
    # GIVEN a gross rule on the amount due (as learned before these checks, from a correction)
    known = layout.fields["gross_amount"]
    on_due = replace(layout, fields={**layout.fields, "gross_amount": replace(
        known, rule=replace(known.rule, anchor="zahlbetrag", y=known.rule.y + 28 / 842))})
    # WHEN the next invoice has a prepayment: the amount due is no longer the gross
    second = prepaid_page("VK-2024-00018", "2.000,00", "380,00", "2.380,00", "500,00", "1.880,00")
    fields, _, _ = extract(second)
    assert value(fields, "gross_amount") == Decimal("2380.00")  # the base reading holds the sums
    log = ProtocolLog()
    applied = learning.apply(fields, second, A4, [on_due], log)
    # THEN the base gross stands, only the gross rule is demoted, and the protocol says why
    assert value(applied.fields, "gross_amount") == Decimal("2380.00")
    assert value(applied.fields, "net_amount") == Decimal("2000.00")
    assert applied.layout is not None
    demoted = {n for n, f in applied.layout.fields.items() if f.demoted}
    assert demoted == {"gross_amount"}
    assert any(e.message.startswith("gross_amount: learned rule demoted: net 2000.00 + tax 380.00 = 2380.00, not "
                                    "gross 1880.00; the base reading 2380.00 makes them hold") for e in log.entries)


def test_a_rule_that_only_confirmed_the_base_reading_never_overrides_a_confident_base_reading() -> None:
    words = prepaid_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "0,00", "1.190,00")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00"))
    known = layout.fields["invoice_date"]
    assert not known.corrected
    second = prepaid_page("VK-2024-00018", "2.000,00", "380,00", "2.380,00", "0,00", "2.380,00")
    fields, _, _ = extract(second)
    assert fields.invoice_date is not None
    confident = fields.model_copy(update={"invoice_date": fields.invoice_date.model_copy(
        update={"value": date(2024, 3, 13), "confidence": 0.97})})
    log = ProtocolLog()
    applied = learning.apply(confident, second, A4, [layout], log)
    assert applied.fields.invoice_date == confident.invoice_date
    assert any("the rule only confirmed the base reading when it was taught - base reading kept" in e.message
               for e in log.entries)


def test_a_known_rule_that_misreads_an_approved_invoice_is_demoted_when_learning() -> None:
    words = open_items_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "1.190,00")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00"))
    known = layout.fields["tax_amount"]
    wrong = replace(layout, fields={**layout.fields, "tax_amount": replace(
        known, rule=replace(known.rule, anchor="zwischenwert", y=400 / 842))})
    # GIVEN an approved invoice on which the tax's own label is not printed, so nothing is learned for it anew
    second = page(
        (57, 60, "Vorlak Spedition GmbH", 14), (57, 140, "Hafenkontor Weser GmbH"),
        (330, 150, "Belegkennung"), (440, 150, "VK-2024-00018"),
        (57, 260, "Umfuhr Terminal"), (480, 260, "2.000,00"), (330, 400, "Zwischenwert"), (480, 400, "2.000,00"),
        (330, 428, "Endwert"), (480, 428, "2.380,00"), (330, 442, "Saldo inkl. Vorposten"), (480, 442, "2.380,00"),
        FOOTER)
    relearned, notes = learning.learn(invoice("VK-2024-00018", date(2024, 3, 19), "2000.00", "380.00", "2380.00"),
                                      second, A4, [wrong])
    assert relearned is not None
    assert relearned.fields["tax_amount"].demoted
    assert any(n.startswith("tax_amount: learned rule demoted: reads 2000.00 on approved document") for n in notes)


def test_a_date_rule_whose_order_was_proven_wins_over_a_base_reading_with_day_and_month_swapped() -> None:
    words = prepaid_page("VK-2024-00017", "1.000,00", "190,00", "1.190,00", "0,00", "1.190,00")
    layout, _ = learn(words, invoice("VK-2024-00017", date(2024, 3, 12), "1000.00", "190.00", "1190.00"))
    assert layout.fields["invoice_date"].rule.shape == "DMY"
    fields, _, _ = extract(words)
    assert fields.invoice_date is not None
    swapped = fields.model_copy(update={"invoice_date": fields.invoice_date.model_copy(
        update={"value": date(2024, 12, 3), "confidence": 0.95})})
    applied = learning.apply(swapped, words, A4, [layout], ProtocolLog())
    assert value(applied.fields, "invoice_date") == date(2024, 3, 12)
