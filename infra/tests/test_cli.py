"""The operator CLI at its boundary: commands that need no server, and bad input to them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]

REPO = Path(__file__).resolve().parents[2]
BELEGFLOW = [sys.executable, "-m", "belegflow_ops"]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BELEGFLOW, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=env, check=False)


def test_extract_works_with_no_server_and_prints_the_stable_field_names(tmp_path: Path) -> None:
    # GIVEN a born-digital invoice and no stack at all (an empty working folder)
    pdf = REPO / "samples" / "invoices" / "invoice-02-modern.pdf"
    truth = json.loads(pdf.with_suffix(".truth.json").read_text())
    # WHEN extracting as JSON
    result = run("extract", str(pdf), "--json", cwd=tmp_path)
    # THEN one JSON object comes out with the documented shape and the invoice's values
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    doc = json.loads(line)
    assert set(doc) == {"file", "sha256", "reader", "fields", "lines", "protocol"}
    assert doc["reader"] == "pdf-text"
    for name in ("invoice_number", "invoice_date", "gross_amount", "supplier_iban", "supplier_vat_id"):
        assert doc["fields"][name]["value"] == truth["fields"][name], name
        assert set(doc["fields"][name]) == {"value", "confidence", "page", "bbox"}


def test_extract_reads_a_scan_by_ocr_with_the_same_field_names(tmp_path: Path) -> None:
    # GIVEN a scan of a sample invoice: a 200 dpi PNG, no text layer at all
    pdf = REPO / "samples" / "invoices" / "invoice-02-modern.pdf"
    truth = json.loads(pdf.with_suffix(".truth.json").read_text())
    scan = tmp_path / "scan.png"
    pdfium.PdfDocument(str(pdf))[0].render(scale=200 / 72).to_pil().convert("L").save(scan)
    # WHEN extracting as JSON
    result = run("extract", str(scan), "--json", cwd=tmp_path)
    # THEN the OCR reader read it, and the key fields come out under the same names with their place on the page
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["reader"] == "ocr"
    for name in ("invoice_number", "invoice_date", "gross_amount", "supplier_iban", "supplier_vat_id"):
        assert doc["fields"][name]["value"] == truth["fields"][name], name
        assert doc["fields"][name]["page"] == 1
        assert doc["fields"][name]["bbox"] is not None


def test_extract_names_a_bad_file_and_still_reads_the_good_one(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not an invoice")
    good = REPO / "samples" / "invoices" / "invoice-01-din.pdf"
    result = run("extract", str(bad), str(good), "--json", cwd=tmp_path)
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["file"] == str(bad)
    assert first["error_type"] == "UnsupportedMediaTypeError"
    assert second["fields"]["invoice_number"]["value"] == "RE-24-08133"


def test_commands_that_need_a_stack_say_so(tmp_path: Path) -> None:
    result = run("masterdata", "import", "suppliers", str(REPO / "samples" / "masterdata" / "suppliers.csv"),
                 "--tenant", "acme", cwd=tmp_path)
    assert result.returncode == 2
    assert "no running stack" in result.stderr


def test_unknown_master_data_kind_is_refused(tmp_path: Path) -> None:
    result = run("masterdata", "import", "customers", str(REPO / "samples" / "masterdata" / "suppliers.csv"),
                 "--tenant", "acme", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown master data kind 'customers'" in result.stderr
