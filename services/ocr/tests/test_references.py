"""Header references, the recipient's VAT ID and the supplier's tax and company registrations, read from words."""

from __future__ import annotations

from pathlib import Path

import pytest

from belegflow_contracts.messages import DocumentReferenceV1, InvoiceFieldsV1
from belegflow_ocr.domain import header_references
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.layout import build_lines
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog, Word
from belegflow_ocr.recognition.parties import section_heading
from belegflow_ocr.recognition.references import abn_ok, parse_reference
from samples.generate import vat_id_de
from samples.wordpages import extract, page, value

VAT = vat_id_de("11865432")
OTHER_VAT = vat_id_de("21445566")
RECEIPTS = Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "real-layouts" / "receipts"


def letter(*info: tuple[float, float, str]) -> list[Word]:
    """A German letter: sender line, address window, an info block on the right, totals, a footer."""
    return page(
        (57, 60, "Spedition Nordlicht GmbH", 14),
        (57, 140, "Nordlicht GmbH · Hafenstraße 3 · 24103 Kiel", 7),
        (57, 160, "Kühne Maschinenbau AG"), (57, 172, "Industriestraße 12"), (57, 184, "80331 München"),
        (350, 150, "Rechnungsnummer: RE-2024-0815"), (350, 162, "Rechnungsdatum: 12.03.2024"),
        *info,
        (57, 400, "Nettobetrag: 1.000,00 € zzgl. 19 % MwSt.: 190,00 € Gesamtbetrag: 1.190,00 €"),
        (57, 800, f"Spedition Nordlicht GmbH · USt-IdNr. {VAT} · Steuernummer 19/293/12345 · HRB 4711", 7),
    )  # fmt: skip


def test_header_references_of_a_letter_each_by_its_label() -> None:
    fields, _, log = extract(letter(
        (350, 174, "Kundennummer: 10023"), (350, 186, "Ihre Bestellung: 4500012345"),
        (350, 198, "Auftragsnummer: SO-778812"), (350, 210, "Sendungsnummer: 1Z 999 AA1 01 2345 6784"),
        (350, 222, "Ihr Zeichen: KM-77"),
    ))  # fmt: skip
    assert value(fields, "invoice_number") == "RE-2024-0815"
    assert value(fields, "order_reference") == "4500012345"
    assert value(fields, "sales_order_reference") == "SO-778812"
    assert value(fields, "shipment_reference") == "1Z 999 AA1 01 2345 6784"
    assert value(fields, "buyer_reference") == "KM-77"
    assert fields.order_reference is not None
    assert fields.order_reference.confidence >= 0.9
    assert fields.order_reference.page == 1
    assert fields.order_reference.bbox is not None
    # AND the supplier's registrations from the footer
    assert value(fields, "supplier_tax_number") == "19/293/12345"
    assert value(fields, "supplier_registration_id") == "HRB 4711"
    assert any(e.data.get("field") == "order_reference" for e in log.entries)


@pytest.mark.parametrize(("label", "number"), [
    ("PO Number:", "PO-2024-117"), ("Purchase order No.", "4500098765"), ("Bon de commande :", "BC 77812"),
    ("N° de commande :", "CMD-5521"), ("Ordernummer:", "880123"), ("Bestell-Nr.", "B-2024-17"),
    ("Numero ordine:", "OA/2024/55"), ("Your order no.", "77-1234"),
])  # fmt: skip
def test_order_numbers_in_six_languages_are_never_the_invoice_number(label: str, number: str) -> None:
    # GIVEN only an order number in the header, no invoice number label
    words = page((57, 60, "Nordlicht GmbH", 14), (350, 150, f"{label} {number}"), (350, 162, "Date: 12.03.2024"),
                 (57, 400, "Total: 1.190,00 EUR"))  # fmt: skip
    fields, _, _ = extract(words)
    assert value(fields, "order_reference") == number
    assert value(fields, "invoice_number") != number


def test_a_customer_number_is_no_order_number_and_a_label_without_value_gives_nothing() -> None:
    fields, _, _ = extract(letter((350, 174, "Kundennummer: 10023"), (350, 186, "Bestellnummer:"),
                                  (350, 198, "Customer No. 4711")))  # fmt: skip
    assert value(fields, "order_reference") is None
    assert value(fields, "invoice_number") == "RE-2024-0815"


def test_the_invoice_number_is_not_taken_again_as_a_reference() -> None:
    fields, _, _ = extract(letter((350, 174, "Referenz: RE-2024-0815")))
    assert value(fields, "buyer_reference") is None


def test_the_recipients_vat_id_is_read_and_never_the_suppliers() -> None:
    # GIVEN the buyer's VAT ID after "Ihre USt-IdNr." and the seller's in the footer
    words = page(
        (350, 150, "Ihre USt-IdNr.:"), (450, 150, OTHER_VAT),
        (57, 800, f"Spedition Nordlicht GmbH · USt-IdNr. {VAT}", 7),
    )  # fmt: skip
    fields, _, _ = extract(words)
    assert value(fields, "supplier_vat_id") == VAT
    assert value(fields, "recipient_vat_id") == OTHER_VAT
    assert fields.recipient_vat_id is not None
    assert fields.recipient_vat_id.confidence >= 0.85


@pytest.mark.parametrize("label", ["Ihre USt-IdNr.:", "Your VAT no.:", "TVA client :",
                                   "N° TVA intracommunautaire du client :"])  # fmt: skip
def test_only_the_recipients_vat_id_printed_leaves_the_suppliers_empty(label: str) -> None:
    words = page((57, 60, "Nordlicht GmbH", 14), (300, 150, f"{label} {OTHER_VAT}"))
    fields, _, log = extract(words)
    assert value(fields, "recipient_vat_id") == OTHER_VAT
    assert value(fields, "supplier_vat_id") is None
    assert any("is the recipient's VAT ID" in e.message for e in log.entries)


def test_a_vat_id_in_the_address_window_is_the_recipients() -> None:
    fields, _, _ = extract(letter((57, 196, f"USt-IdNr.: {OTHER_VAT}")))
    assert value(fields, "recipient_vat_id") == OTHER_VAT
    assert value(fields, "supplier_vat_id") == VAT


@pytest.mark.parametrize(("heading", "section"), [
    ("Vos identifiants", "N° TVA : "), ("Your details", "VAT No.: "), ("Ihre Daten", "USt-IdNr.: "),
    ("Représentant fiscal", "TVA : "), ("Fiscal representative", "VAT: "),
])  # fmt: skip
def test_a_vat_id_in_a_section_headed_as_the_buyers_or_a_representatives_is_not_the_suppliers(
    heading: str, section: str
) -> None:
    # GIVEN the seller's block with its VAT ID on the left, and on the right, under a heading, a section of the
    # buyer's (or a fiscal representative's) identifiers whose VAT ID carries only a plain label, printed twice
    words = page(
        (57, 60, "Nordlicht GmbH", 14), (57, 80, "Hafenstraße 3"), (57, 92, "24103 Kiel"),
        (57, 104, f"N° TVA : {VAT}"),
        (300, 80, "Rechnung RE-2024-0815"), (300, 92, "Datum: 12.03.2024"),
        (300, 200, heading), (305, 212, "SIREN : 987 654 321"), (305, 224, f"{section}{OTHER_VAT}"),
        (57, 260, "Représentant"), (57, 272, f"VAT {OTHER_VAT}"),
        (57, 400, "Nettobetrag: 1.000,00 € zzgl. 19 % MwSt.: 190,00 € Gesamtbetrag: 1.190,00 €"),
    )  # fmt: skip
    fields, _, _ = extract(words)
    assert value(fields, "supplier_vat_id") == VAT


def test_a_section_heading_is_the_first_short_cell_without_digits_up_the_column() -> None:
    words = page((300, 200, "Vos identifiants"), (305, 212, "SIREN : 987 654 321"), (305, 224, f"TVA {OTHER_VAT}"),
                 (57, 224, "Gauche"), (305, 400, f"TVA {VAT}"))  # fmt: skip
    lines = build_lines(words)
    tva = [(ln, s) for ln in lines for s in ln.segments if s.text.startswith("TVA")]
    # up the column, past the cell with digits, to the heading; the cell of another column does not count
    assert section_heading(lines, *tva[0]) == "Vos identifiants"
    # a value alone after a wide gap is in no section
    assert section_heading(lines, *tva[1]) == ""
    assert section_heading(lines, lines[0], lines[0].segments[0]) == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("4500012345 vom 12.03.2024", "4500012345"), ("PO 4711", "PO 4711"), ("MSCU 123456 7", "MSCU 123456 7"),
    ("12.03.2024", None), ("1.190,00", None), ("Herr Meier", None), ("", None), (": SO-2024-17 Kunde", "SO-2024-17"),
])  # fmt: skip
def test_parse_reference(text: str, expected: str | None) -> None:
    found = parse_reference(text)
    assert (found[0][0] if found else None) == expected


def test_abn_check_digits() -> None:
    assert abn_ok("51 824 753 556")
    assert not abn_ok("51 824 753 557")


@pytest.mark.parametrize(("line", "expected"), [
    ("GST Reg No: M2-0012345-6", "M2-0012345-6"), ("ABN 51 824 753 556", "51824753556"),
    ("GSTIN: 27AAPFU0939F1ZV", "27AAPFU0939F1ZV"), ("SST ID: W10-1808-31000123", "W10-1808-31000123"),
])  # fmt: skip
def test_tax_registrations_outside_the_eu(line: str, expected: str) -> None:
    fields, _, _ = extract(page((57, 40, "KEDAI RUNCIT MAJU SDN BHD", 10), (57, 60, line, 8),
                                (57, 300, "TOTAL 12.60", 8)))  # fmt: skip
    assert value(fields, "supplier_tax_number") == expected


# --- real receipts (SROIE): OCR'd words with their boxes --------------------------------------------


def receipt_words(number: str) -> list[Word]:
    """The words of one receipt's ``box/NNN.csv`` (four corners, then the transcript of the line)."""
    words = []
    for raw in (RECEIPTS / "box" / f"{number}.csv").read_text(encoding="utf-8", errors="replace").splitlines():
        parts = raw.split(",", 8)
        if len(parts) < 9 or not parts[8].strip():
            continue
        xs, ys = [float(v) for v in parts[0:8:2]], [float(v) for v in parts[1:8:2]]
        text = parts[8]
        width = (max(xs) - min(xs)) / max(1, len(text))
        pos = 0
        for token in text.split():
            start = text.index(token, pos)
            pos = start + len(token)
            words.append(Word(token, 1, (min(xs) + start * width, min(ys), min(xs) + pos * width, max(ys)),
                              max(ys) - min(ys)))  # fmt: skip
    return words


def read_receipt(number: str) -> InvoiceFieldsV1:
    words = receipt_words(number)
    size = PageInfo(1, max(w.bbox[2] for w in words) + 20, max(w.bbox[3] for w in words) + 20)
    fields, _ = extract_fields(words, [size], ProtocolLog())
    return fields


needs_receipts = pytest.mark.skipif(not (RECEIPTS / "box").is_dir(), reason="shared receipts corpus not present")


@needs_receipts
@pytest.mark.parametrize(("number", "gst", "company"), [
    ("003", "000849813504", None),  # "GST ID NO: 000849813504"
    ("019", "001090105344", "002643278-A"),  # "GST NO: 0010 9010 5344" in groups
    ("108", "001269075968", "002231061-T"),  # "COMPANY REG NO. : (002231061-T)"
    ("147", "001375580160", "1248446-V"),  # "(GST REG.NO: 001375580160)" under "... (1248446-V)"
    ("171", "000899874816", "1101083-T"),  # "GST REG #000899874816"
    ("260", "001662431232", None),  # a bare "GST:" before twelve digits
    ("316", "000517095424", "210038-K"),  # "CO REG NO : 210038-K"
])  # fmt: skip
def test_gst_ids_and_company_numbers_of_real_receipts(number: str, gst: str, company: str | None) -> None:
    fields = read_receipt(number)
    assert value(fields, "supplier_tax_number") == gst
    if company is not None:
        assert value(fields, "supplier_registration_id") == company
    # a GST amount is never a registration, and a registration never the invoice number
    assert value(fields, "invoice_number") not in {gst, company} - {None}


@needs_receipts
@pytest.mark.parametrize("number", ["107", "160", "396"])
def test_a_receipts_own_order_number_is_no_purchase_order(number: str) -> None:
    # "ORDER#: 116455", "YOUR ORDER NUMBER IS 7290", "ORDERNO#1106368": the shop's queue, not the buyer's order
    assert value(read_receipt(number), "order_reference") is None


# --- header references passed on to accrual ----------------------------------------------------------


def test_a_pdfs_header_references_travel_with_their_business_terms() -> None:
    product: dict[str, object] = {"reader": "pdf-text", "fields": {
        "order_reference": {"value": "4500012345", "confidence": 0.95},
        "sales_order_reference": {"value": "SO-778812", "confidence": 0.95},
        "buyer_reference": None,
        "shipment_reference": {"value": "1Z 999 AA1 01 2345 6784", "confidence": 0.95},
    }}  # fmt: skip
    assert header_references(product) == [DocumentReferenceV1(term="BT-13", value="4500012345"),
                                          DocumentReferenceV1(term="BT-14", value="SO-778812"),
                                          DocumentReferenceV1(term="shipment", value="1Z 999 AA1 01 2345 6784")]
