"""The recognition development set: deterministic, truthful to what is printed, split by seed; the bench runs."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pytest

from bench.recognition import accuracy, receipts, scans, sources, truthfile, world, xrhouse, xrviz, zoo


def _truths(folder: Path) -> list[dict[str, Any]]:
    return truthfile.read_all(folder)


def _text(pdf: Path) -> str:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _iban_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _xrviz_ready() -> bool:
    return (
        importlib.util.find_spec("saxonche") is not None
        and importlib.util.find_spec("weasyprint") is not None
        and (xrviz.VISUALISATION / "src" / "xsl" / "xrechnung-html.xsl").is_file()
        and xrviz.CORPORA.is_dir()
    )


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zoo")
    zoo.generate(out, count=40, seed=2)
    return out


@pytest.fixture(scope="module")
def receipt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("receipts")
    receipts.generate(out, count=16, seed=2)
    return out


def test_generators_are_deterministic_by_seed(tmp_path: Path) -> None:
    for name, gen in (("zoo", zoo.generate), ("receipts", receipts.generate)):
        a = gen(tmp_path / f"{name}-a", count=6, seed=7)
        b = gen(tmp_path / f"{name}-b", count=6, seed=7)
        c = gen(tmp_path / f"{name}-c", count=6, seed=8)
        assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b], name
        assert _truths(tmp_path / f"{name}-a") == _truths(tmp_path / f"{name}-b"), name
        assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c], name


def test_scans_and_photos_are_deterministic_by_seed(receipt_dir: Path, tmp_path: Path) -> None:
    made = []
    for name in ("a", "b"):
        made.append([p.read_bytes() for p in scans.scan_folder(receipt_dir, tmp_path / name, dpi=150, limit=2, seed=3)])
        made.append([p.read_bytes() for p in scans.photo_folder(receipt_dir, tmp_path / f"photo-{name}", seed=3,
                                                                 templates=receipts.STYLES, limit=2)])  # fmt: skip
    assert made[0] == made[2]
    assert made[1] == made[3]
    assert len(made[1]) == 2


def test_zoo_truth_is_complete_and_consistent(zoo_dir: Path) -> None:
    docs = _truths(zoo_dir)
    assert len(docs) == 40
    assert {d["part"] for d in docs} == {"held-out"}
    assert len({d["lang"] for d in docs}) >= 3
    assert len({d["template"] for d in docs}) >= 30
    for doc in docs:
        f = doc["fields"]
        assert list(f) == list(truthfile.FIELDS)
        assert f["document_type"] in truthfile.DOCUMENT_TYPES
        assert _iban_ok(f["supplier_iban"]), doc["file"]
        net, tax, gross = (Decimal(f[k]) for k in ("net_amount", "tax_amount", "gross_amount"))
        assert net + tax == gross, doc["file"]
        assert gross > 0, "credit notes keep their amounts positive, as printed"
        assert Decimal(doc["payable_amount"]) <= gross
        assert f["due_date"] >= f["invoice_date"]
        assert " " not in f["invoice_number"]


def test_zoo_pdfs_print_what_the_truth_says(zoo_dir: Path) -> None:
    for doc in _truths(zoo_dir):
        text = _text(zoo_dir / doc["file"])
        flat = "".join(text.split())
        f = doc["fields"]
        assert f["invoice_number"] in flat, doc["file"]
        assert f["supplier_name"] in text.replace("\n", " ").replace("\r", ""), doc["file"]
        tpl = zoo.template(doc["part"], int(doc["template"].rsplit("-", 1)[1]))
        gross = "".join(world.fmt_number(Decimal(f["gross_amount"]), tpl.number_style).split())
        assert gross in flat, doc["file"]
        assert f["supplier_iban"] in flat, doc["file"]


def test_receipts_print_merchant_total_and_date(receipt_dir: Path) -> None:
    docs = _truths(receipt_dir)
    assert {d["lang"] for d in docs} == {"de", "en"}
    for doc in docs:
        f = doc["fields"]
        text = _text(receipt_dir / doc["file"])
        assert text.strip().splitlines()[0].strip() == f["supplier_name"], doc["file"]
        total = f["gross_amount"].replace(".", "," if doc["lang"] == "de" else ".")
        assert total in text, doc["file"]
        assert f["document_type"] == "receipt"
        assert f["supplier_iban"] is None
        assert f["recipient_name"] is None


def test_parts_are_disjoint() -> None:
    assert truthfile.part_of_seed(truthfile.DEVELOPMENT_SEED) == "development"
    assert truthfile.part_of_seed(truthfile.HELD_OUT_SEED) == "held-out"
    dev = {repr(replace(zoo.template("development", i), name="")) for i in range(zoo.TEMPLATES)}
    held = {repr(replace(zoo.template("held-out", i), name="")) for i in range(zoo.TEMPLATES)}
    assert len(dev) == len(held) == zoo.TEMPLATES
    assert not dev & held
    names = [f"doc{i}.xml" for i in range(300)]
    held_files = [n for n in names if truthfile.corpus_part(n) == "held-out"]
    assert 60 < len(held_files) < 140


def test_generators_refuse_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        zoo.main(["--out", str(tmp_path), "--count", "0"])
    assert "--count must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        receipts.main(["--out", str(tmp_path), "--count", "-3"])
    assert "--count must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        sources.main(["--out", str(tmp_path), "--dpi", "20"])
    assert "--dpi values must lie between 50 and 600" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        xrviz.main(["--out", str(tmp_path), "--corpora", str(tmp_path / "none")])
    assert "no e-invoice corpus at" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        accuracy.main(["--threshold", "1.5"])
    assert "--threshold must lie between 0 and 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        accuracy.main(["--set-dir", str(tmp_path / "missing")])
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="not a field"):
        truthfile.fields(invoice_no="1")


def test_xml_truth_reads_type_code_and_both_syntaxes() -> None:
    folder = accuracy.EINVOICES / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard"
    ubl = next(folder.glob("*_ubl.xml"), None)
    if ubl is None:
        pytest.skip("public e-invoice samples not present")
    a = xrviz.xml_truth(xrviz.parse(ubl))
    b = xrviz.xml_truth(xrviz.parse(ubl.with_name(ubl.name.replace("_ubl.xml", "_uncefact.xml"))))
    assert a is not None
    assert b is not None
    assert a["fields"]["document_type"] == b["fields"]["document_type"] == "invoice"
    for name in ("invoice_number", "invoice_date", "net_amount", "gross_amount", "supplier_iban"):
        assert a["fields"][name] == b["fields"][name], name
    credit = next((p for p in accuracy.EINVOICES.rglob("*.xml") if "CreditNote" in p.read_text(errors="ignore")[:600]),
                  None)  # fmt: skip
    if credit is not None:
        c = xrviz.xml_truth(xrviz.parse(credit))
        assert c is not None
        assert c["fields"]["document_type"] == "credit_note"
        assert Decimal(c["fields"]["gross_amount"]) > 0
    assert xrviz.document_type("384", "Invoice") == "correction"


@pytest.mark.skipif(not _xrviz_ready(), reason="saxonche, WeasyPrint or the XRechnung visualisation missing")
def test_xrviz_prints_the_invoice_number_of_the_xml(tmp_path: Path) -> None:
    written = xrviz.generate(tmp_path, seed=2, count=1)
    assert len(written) == 1
    (doc,) = _truths(tmp_path)
    assert doc["part"] == "held-out"
    assert truthfile.corpus_part(doc["origin"]) == "held-out"
    flat = "".join(_text(tmp_path / doc["file"]).split())
    assert doc["fields"]["invoice_number"] in flat
    assert doc["fields"]["document_type"] in truthfile.DOCUMENT_TYPES


@pytest.mark.skipif(not xrviz.CORPORA.is_dir(), reason="the e-invoice corpus is missing")
def test_xrhouse_prints_the_xml_values_in_house_styles(tmp_path: Path) -> None:
    written = xrhouse.generate(tmp_path, seed=1, count=3)
    assert len(written) == 3
    for doc in _truths(tmp_path):
        assert doc["part"] == "development"
        assert truthfile.corpus_part(doc["origin"]) == "development"
        tpl = zoo.template(doc["part"], int(doc["template"].rsplit("-", 1)[1]))
        flat = "".join(_text(tmp_path / doc["file"]).split())
        f = doc["fields"]
        assert f["invoice_number"].replace(" ", "") in flat
        assert "".join(world.fmt_number(Decimal(f["gross_amount"]), tpl.number_style).split()) in flat
        if f["supplier_iban"]:
            assert f["supplier_iban"] in flat


def test_the_bench_runs_end_to_end_beside_the_previous_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.build(tmp_path / "set", seed=2, sources=["zoo", "receipts"], counts={"zoo": 2, "receipts": 2},
                  dpis=[200], scan_count=0, photos=False)  # fmt: skip
    out = tmp_path / "figures.json"
    assert accuracy.main(["--set-dir", str(tmp_path / "set"), "--sets", "born-digital", "--json", str(out),
                          "--threshold", "0.9", "--work", str(tmp_path / "work")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "## reliability" in printed
    assert "silent errors" in printed
    assert "seconds per page (this tree vs 7017380)" in printed
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert set(figures["sets"]) == {"zoo", "receipts"}
    assert figures["sets"]["receipts"]["key_fields"]["names"] == list(truthfile.RECEIPT_KEY_FIELDS)
    assert figures["sets"]["zoo"]["documents"] == 2
    assert sum(row["fields"] for row in figures["reliability"]) <= 4 * len(truthfile.FIELDS)
    assert figures["silent_errors"]["fields"] == 4 * len(truthfile.FIELDS)
    assert figures["speed"]["text layer"]["documents"] == 4
    assert figures["baseline"]["speed"]["text layer"]["documents"] == 4
    assert set(figures["baseline"]["sets"]) == {"zoo", "receipts"}
