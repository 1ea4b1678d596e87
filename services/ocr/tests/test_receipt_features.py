"""A till receipt's evidence for the learned decision, on receipts made here: its own arithmetic (tendered less
change, the total after the rounding adjustment), OCR's misreadings of TOTAL, and where its shop's name stands
(above the block of address, phone and tax numbers; a trade word is a name, a legal form alone is not)."""

from __future__ import annotations

from decimal import Decimal

from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.features import Document, amount_features, name_features, squash
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog, Word
from samples.wordpages import Cell, centred, page

RECEIPT = [PageInfo(1, 227.0, 600.0)]


def _document(words: list[Word]) -> Document:
    seen: list[Document] = []
    extract_fields(words, RECEIPT, ProtocolLog(), learned=False, observe=seen.append)
    assert seen
    assert seen[0].receipt
    return seen[0]


def _amount_rows(doc: Document, line_start: str) -> list[dict[str, float]]:
    found, rows = amount_features(doc)
    return [r for f, r in zip(found, rows, strict=True) if f.line.text.upper().startswith(line_start)]


def _names(doc: Document) -> dict[str, dict[str, float]]:
    cands, rows = name_features(doc)
    return {squash(c.value): r for c, r in zip(cands, rows, strict=True)}


def _header(*lines: str) -> list[Cell]:
    return [centred(20 + 14 * i, text, 9) for i, text in enumerate(lines)]


# --- the total: the receipt's own sums ---------------------------------------------------------------------


def test_the_total_after_rounding_is_tendered_less_change_and_subtotal_plus_tax_plus_rounding() -> None:
    # GIVEN a receipt whose sum before rounding (100.88) is not printed beside its subtotal and tax
    words = page(*_header("KEDAI MAJU JAYA SDN BHD", "NO 5, JALAN BUNGA 3, 81100 JOHOR"),
                 (15, 70, "Date: 12/03/2018"),
                 (15, 100, "ITEM A 1 x 95.17"), (170, 100, "95.17"),
                 (15, 130, "SUBTOTAL"), (170, 130, "95.17"),
                 (15, 144, "GST 6%"), (170, 144, "5.71"),
                 (15, 158, "ROUNDING ADJ"), (170, 158, "0.02"),
                 (15, 172, "NET TOTAL"), (170, 172, "100.90"),
                 (15, 186, "CASH"), (170, 186, "101.00"),
                 (15, 200, "CHANGE"), (170, 200, "0.10"), size=8.0)  # fmt: skip
    doc = _document(words)
    # THEN the net total is the cash less the change, and subtotal + tax + rounding
    total = _amount_rows(doc, "NET TOTAL")[0]
    assert total["eq_tender_less_change"] == 1.0
    assert total["eq_sum_plus_rounding"] == 1.0
    assert total["till_evidence"] >= 2.0
    # AND neither the cash tendered, the change nor the subtotal is backed by them
    for start in ("CASH", "CHANGE", "SUBTOTAL"):
        row = _amount_rows(doc, start)[0]
        assert row["eq_tender_less_change"] == 0.0, start
        assert row["till_evidence"] <= 0.0, start


def test_the_total_after_a_printed_rounding_is_told_from_the_sum_before_it() -> None:
    # GIVEN the exact sum, a negative rounding adjustment and the rounded total, paid exactly
    words = page(*_header("ROTI BAKERY ENTERPRISE"), (15, 50, "20/06/18 13:05"),
                 (15, 100, "TOTAL SALES (EXCL GST)"), (170, 100, "96.00"),
                 (15, 114, "GST"), (170, 114, "5.76"),
                 (15, 128, "TOTAL QTY: 2"), (170, 128, "101.76"),
                 (15, 142, "ROUNDING"), (170, 142, "-0.01"),
                 (15, 156, "TOTAL SALES (INCL GST)"), (170, 156, "101.75"),
                 (15, 170, "CASH"), (170, 170, "101.75"),
                 (15, 184, "CHANGE"), (170, 184, "0.00"), size=8.0)  # fmt: skip
    doc = _document(words)
    after = _amount_rows(doc, "TOTAL SALES (INCL")[0]
    before = _amount_rows(doc, "TOTAL QTY")[0]
    # THEN the rounded total is the one after rounding and the one tendered; the exact sum is the one before
    assert (after["eq_after_rounding"], after["eq_tendered"], after["eq_before_rounding"]) == (1.0, 1.0, 0.0)
    assert (before["eq_after_rounding"], before["eq_before_rounding"]) == (0.0, 1.0)
    assert after["till_evidence"] > before["till_evidence"]
    # AND the cash line itself is not its own evidence
    assert _amount_rows(doc, "CASH")[0]["eq_tendered"] == 0.0


def test_an_invoice_gets_no_till_equations() -> None:
    words = page((57, 60, "Rechnung Nr. 2024-117"), (57, 74, "Datum: 12.03.2024"),
                 (57, 500, "Nettobetrag"), (450, 500, "100,00"), (57, 514, "MwSt 19 %"), (450, 514, "19,00"),
                 (57, 528, "Gesamtbetrag"), (450, 528, "119,00"))  # fmt: skip
    seen: list[Document] = []
    extract_fields(words, [PageInfo(1, 595.0, 842.0)], ProtocolLog(), learned=False, observe=seen.append)
    _, rows = amount_features(seen[0])
    assert not any("till_evidence" in r for r in rows)


def test_a_total_misread_by_ocr_is_still_a_total() -> None:
    # GIVEN OCR's readings of TOTAL on a scanned receipt
    words = page(*_header("SEGI CASH & CARRY SDN BHD"), (15, 50, "Date: 05/04/2018"),
                 (15, 100, "Tatal Inclusive GST:"), (170, 100, "165.00"),
                 (15, 114, "NET TUTAL"), (170, 114, "165.00"),
                 (15, 128, "T0TAL"), (170, 128, "165.00"), size=8.0)  # fmt: skip
    doc = _document(words)
    for start in ("TATAL", "NET TUTAL", "T0TAL"):
        assert _amount_rows(doc, start)[0]["kw_total"] == 1.0, start
    # AND a word that merely starts alike is not one
    words = page(*_header("SEGI CASH & CARRY SDN BHD"), (15, 50, "Date: 05/04/2018"),
                 (15, 100, "TOTE BAG"), (170, 100, "5.00"), (15, 114, "TOTAL"), (170, 114, "5.00"),
                 size=8.0)  # fmt: skip
    assert _amount_rows(_document(words), "TOTE BAG")[0]["kw_total"] == 0.0


# --- the merchant: where the name stands and what it is ----------------------------------------------------


def test_a_trade_word_names_a_shop_but_a_trade_word_with_a_legal_form_continues_one() -> None:
    # GIVEN a stationer named by its trade word, and a restaurant whose second line is trade word + legal form
    doc = _document(page(*_header("S&Y STATIONERY", "(002050590-H)", "NO.36G JALAN BULAN 5, 40150 SHAH ALAM"),
                         (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0))  # fmt: skip
    assert "systationery" in _names(doc)
    doc = _document(page(*_header("LIAN CHI VEGETARIAN", "RESTAURANT SDN BHD", "(1095514-X)",
                                  "54, JALAN SS23/11, 47400 PETALING JAYA"),
                         (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0))  # fmt: skip
    names = _names(doc)
    # THEN the stationer is a candidate; the legal line alone is not, the two lines joined are
    assert "restaurantsdnbhd" not in names
    assert "lianchivegetarianrestaurantsdnbhd" in names


def test_a_name_after_a_lead_in_or_before_a_branch_is_cut_out() -> None:
    # GIVEN the legal name after "Owned by:" with its registration, and a name followed by its mall
    doc = _document(page(*_header("Banh Mi Cafe", "Owned by: banh mi cafe sdn bhd 1110644-W",
                                  "No. 1 Jalan Puteri 7/10, 47100 Puchong"),
                         (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0))  # fmt: skip
    names = _names(doc)
    assert names["banhmicafesdnbhd"]["variant_after_colon"] == 1.0
    doc = _document(page(*_header("EIGHT OUNCE COFFEE CO. THE GARDENS MALL", "F.K06, First Floor, The Gardens Mall"),
                         (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0))  # fmt: skip
    assert "eightouncecoffeeco" in _names(doc)


def test_the_name_stands_above_the_block_of_address_phone_and_tax_number() -> None:
    # GIVEN a slogan on top, the shop's name, its address, phone and tax number, then a notice
    doc = _document(page(*_header("THANK YOU AND DO VISIT US AGAIN", "ZEN AND COFFEE 28S/B", "NO 53, JALAN 3/62A",
                                  "BANDAR MENJALARA", "TEL: 03-6273 1234", "GST ID: 001363259392",
                                  "GOODS SOLD ARE NOT RETURNABLE"),
                         (15, 150, "Date: 05/04/2018"), (15, 180, "TOTAL"), (170, 180, "12.30"), size=8.0))  # fmt: skip
    names = _names(doc)
    name = names["zenandcoffee28sb"]
    # THEN the name has a legal form (glued to a number), the block right under it and none above it
    assert (name["form"], name["before_first_id"], name["ids_above"], name["next_id"]) == (1.0, 1.0, 0.0, 1.0)
    assert name["trade_only"] == 0.0
    # AND the slogan, the address line after the street and the notice after the block say what they are
    assert names["thankyouanddovisitusagain"]["slogan"] == 1.0
    assert names["bandarmenjalara"]["prev_address"] == 1.0
    assert names["bandarmenjalara"]["ids_above"] >= 1.0
    assert names["goodssoldarenotreturnable"]["ids_above"] >= 3.0


def test_a_branch_line_is_marked_and_ocr_confidence_is_a_feature() -> None:
    words = page(*_header("HAI-O RAYA BHD (169199-V)", "KEPONG OUTLET", "TEL/FAX: 03-6263 6977"),
                 (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0)  # fmt: skip
    words = [Word(w.text, w.page, w.bbox, w.size, 0.4 if w.text == "KEPONG" else 0.95) for w in words]
    names = _names(_document(words))
    assert names["kepongoutlet"]["branch"] == 1.0
    assert names["kepongoutlet"]["ocr_conf_min"] == 0.4
    assert names["haiorayabhd"]["branch"] == 0.0
    assert names["haiorayabhd"]["ocr_conf_mean"] == 0.95


def test_no_amount_feature_row_misses_the_till_features_on_a_receipt() -> None:
    words = page(*_header("KEDAI MAJU JAYA SDN BHD"), (15, 70, "Date: 12/03/2018"),
                 (15, 130, "TOTAL"), (170, 130, "9.00"), (15, 144, "CASH"), (170, 144, "10.00"),
                 (15, 158, "CHANGE"), (170, 158, "1.00"), size=8.0)  # fmt: skip
    found, rows = amount_features(_document(words))
    printed = [r for f, r in zip(found, rows, strict=True) if not r.get("virtual")]
    assert printed
    assert all("till_evidence" in r for r in printed)
    total = next(r for f, r in zip(found, rows, strict=True) if f.value == Decimal("9.00") and r["kw_total"])
    assert total["eq_tender_less_change"] == 1.0


def test_a_legal_form_line_never_starts_a_name_and_a_brand_over_the_legal_name_is_marked() -> None:
    # GIVEN a name whose legal form stands alone on the next line, the branch under it
    doc = _document(page(*_header("NANDO'S CHICKENLAND MALAYSIA", "SDN BHD", "NANDO'S 1 MONT KIARA",
                                  "UNIT G-13, JALAN KIARA, 50480 KUALA LUMPUR"),
                         (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0))  # fmt: skip
    names = _names(doc)
    # THEN the legal form joined to the branch is no candidate; the name joined to its legal form is
    assert "sdnbhdnandos1montkiara" not in names
    assert names["nandoschickenlandmalaysiasdnbhd"]["last_self_named"] == 0.0
    # GIVEN a brand over the legal name with its registration
    doc = _document(page(*_header("SUSHI MENTAI - PANDAN INDAH", "KMF FOODICIOUS SDN BHD (1132106-H)",
                                  "NO. 9-G, JALAN PERUBATAN 2, 55100 KUALA LUMPUR"),
                         (15, 100, "Date: 05/04/2018"), (15, 130, "TOTAL"), (170, 130, "12.30"), size=8.0))  # fmt: skip
    names = _names(doc)
    # THEN the brand knows the legal name follows, and the two joined are marked as two names
    assert names["sushimentaipandanindah"]["next_form"] == 1.0
    assert names["sushimentaipandanindahkmffoodicioussdnbhd"]["last_self_named"] == 1.0
    assert names["kmffoodicioussdnbhd"]["prev_form"] == 0.0


# --- the tax summary: its amount column ----------------------------------------------------------------------


def _summary_receipt(code: str, amount: str, gst: str) -> list[Word]:
    """A till receipt that prints its totals, then a GST summary whose "AMOUNT" column stands beside "GST"."""
    return page(*_header("PERNIAGAAN MAJU", "NO 59 JALAN PERMAS 9/5, 81750 JOHOR BAHRU"),
                (15, 70, "Date: 09/03/2018"),
                (15, 100, "ITEM A 1 x 313.50"), (170, 100, "313.50"),
                (15, 130, "TOTAL GST (RM) :"), (170, 130, "18.81"),
                (15, 144, "ROUNDING (RM) :"), (170, 144, "-0.01"),
                (15, 158, "TOTAL (RM) :"), (170, 158, "332.30"),
                (15, 172, "CASH :"), (170, 172, "332.30"),
                (15, 186, "CHANGE (RM) :"), (170, 186, "0.00"),
                (15, 210, "GST SUMMARY"),
                (15, 224, "TAX CODE"), (80, 224, "%"), (120, 224, "AMOUNT"), (175, 224, "GST"),
                (15, 238, code), (80, 238, "6"), (120, 238, amount), (175, 238, gst),
                (15, 252, "TOTAL :"), (120, 252, amount), (175, 252, gst))  # fmt: skip


def test_a_summarys_amount_column_of_which_the_tax_is_a_rate_is_the_taxable_base() -> None:
    # GIVEN a receipt whose GST summary prints the amount before tax (313.50) and its 6 % (18.81)
    fields, _ = extract_fields(_summary_receipt("SR", "313.50", "18.81"), RECEIPT, ProtocolLog(), learned=False)
    # THEN that amount is the net, and the total is the one the customer paid
    assert fields.net_amount is not None
    assert fields.net_amount.value == Decimal("313.50")
    assert fields.gross_amount is not None
    assert fields.gross_amount.value == Decimal("332.30")


def test_a_summarys_amount_column_that_includes_the_tax_stays_a_total() -> None:
    # GIVEN the same summary printing the amount with tax (332.31), of which 18.81 is 6 % of the rest
    fields, _ = extract_fields(_summary_receipt("SR", "332.31", "18.81"), RECEIPT, ProtocolLog(), learned=False)
    # THEN it is no net
    assert fields.net_amount is None or fields.net_amount.value != Decimal("332.31")
