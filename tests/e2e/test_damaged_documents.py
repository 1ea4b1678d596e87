"""Damaged documents (a cyclic PDF page tree, a truncated TIFF) get a permanent, named error everywhere:
`belegflow extract` prints a JSON line and goes on with the batch, the ocr service sends them to the DLQ at
the first delivery instead of retrying them as if the fault could pass."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS
from PIL import Image

from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition import default_registry
from belegflow_ops import processes
from tests.conftest import SAMPLES, dead_letters, upload
from tests.pdfs import pdf


def cyclic_pdf(variant: int = 0) -> bytes:
    """A PDF whose page tree refers back to itself."""
    pages = (b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>" if variant == 0
             else b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    third = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>" if variant == 0
             else b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>")
    return pdf([b"<< /Type /Catalog /Pages 2 0 R >>", pages, third])


def truncated_tiff(compression: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1200, 1600), 255).save(buf, "TIFF", compression=compression)
    data = buf.getvalue()
    return data[: len(data) // 3]


def image_bomb_pdf(side: int = 8000) -> bytes:
    """A PDF of a few hundred KB whose one page holds a ``side`` x ``side`` grey image of compressed zeros."""
    packer = zlib.compressobj(9)
    row = b"\xff" * side
    image = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % (side, side, len(image)) + image + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ])


def test_a_small_pdf_holding_a_huge_image_is_refused_before_it_is_decoded() -> None:
    from belegflow_ocr.recognition.ocr.errors import ImageTooLargeError

    bomb = image_bomb_pdf()
    assert len(bomb) < 200_000
    with pytest.raises(ImageTooLargeError) as error:
        default_registry().recognize(bomb, filename="bomb.pdf")
    assert error.value.permanent
    assert "8000 x 8000" in str(error.value)


DAMAGED = {"cyclic.pdf": cyclic_pdf(0), "cyclic-pages.pdf": cyclic_pdf(1), "truncated.tif": truncated_tiff(),
           "truncated-lzw.tif": truncated_tiff("tiff_lzw")}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_recognition_names_a_damaged_document_as_permanent(name: str) -> None:
    with pytest.raises(RecognitionError) as error:
        default_registry().recognize(DAMAGED[name], filename=name)
    assert error.value.permanent, error.value
    assert name in str(error.value)


def test_extract_prints_a_json_line_per_damaged_file_and_reads_the_rest(tmp_path: Path) -> None:
    # GIVEN a folder of damaged files and one good invoice after them
    folder = tmp_path / "batch"
    folder.mkdir()
    for name, data in DAMAGED.items():
        (folder / name).write_bytes(data)
    (folder / "zz-good.pdf").write_bytes((SAMPLES / "invoices" / "invoice-01-din.pdf").read_bytes())
    # WHEN the folder is extracted
    result = subprocess.run([sys.executable, "-m", "belegflow_ops", "extract", "--json", str(folder)],
                            capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
                            env={**os.environ, "BELEGFLOW_HOME": str(tmp_path / "none")})
    # THEN every file has its line, the damaged ones name their error, the good one is read; no traceback
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(line["file"]).name for line in lines] == [*sorted(DAMAGED), "zz-good.pdf"]
    for line in lines[:-1]:
        assert line["error_type"] in ("DamagedDocumentError", "CorruptImageError", "CorruptPdfError"), line
    assert lines[-1]["fields"]["invoice_number"]["value"] == "RE-24-08133"
    assert "Traceback" not in result.stderr
    assert "extracted: 5/5, 4 failed" in result.stderr


@pytest.mark.e2e
async def test_ocr_sends_a_damaged_document_to_the_dlq_at_the_first_delivery(
    services: processes.ServiceSet, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    path = tmp_path / "cyclic.pdf"
    path.write_bytes(DAMAGED["cyclic.pdf"])
    response = upload(services, tenant, path)
    # ingest takes it in (a PDF header, an end marker, within the limits); only reading it fails
    assert response.status_code == 201, response.text
    (letter,) = await dead_letters(nc, "ocr", tenant, expect=1, timeout_s=90)
    assert letter["deliveries"] == 1
    assert "damaged" in letter["reason"]
    assert letter["document_id"] == response.json()["id"]
