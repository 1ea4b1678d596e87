"""Bad input on the OCR path: each gives a specific error, none takes the worker down."""

from __future__ import annotations

import asyncio
import io
import struct
import zlib

import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from belegflow_ocr.errors import EmptyDocumentError, PageSizeError, TooManyPagesError
from belegflow_ocr.recognition import PdfLimits, default_registry
from belegflow_ocr.recognition.ocr import (
    CorruptImageError,
    ImageTooLargeError,
    OcrOptions,
    OcrReader,
    TooManyImagePagesError,
    UnsupportedImageModeError,
)
from belegflow_ocr.recognition.ocr.images import load_images
from belegflow_ocr.worker import RecognitionPool


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header declaring ``width`` x ``height`` pixels, with a few bytes of compressed zeros."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    data = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def graphics_pdf(*, pages: int = 1, size: tuple[float, float] = (595.0, 842.0)) -> bytes:
    """A PDF with a drawing on every page and no text: what OCR gets."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=size, invariant=1)
    for _ in range(pages):
        canvas.rect(50, 50, 100, 100, fill=1)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def read(data: bytes, *, filename: str = "scan.png", options: OcrOptions | None = None,
         limits: PdfLimits | None = None) -> object:  # fmt: skip
    with OcrReader(options or OcrOptions(), limits=limits) as reader:
        return reader.read(data, filename=filename)


def test_decompression_bomb_png_is_refused_before_decoding() -> None:
    # GIVEN a 2 KB PNG that declares 100 000 x 100 000 pixels (10 gigapixels)
    data = png_bomb()
    assert len(data) < 2048
    # WHEN it is read THEN the error names the size and the limit, and nothing was decoded
    with pytest.raises(ImageTooLargeError) as info:
        read(data)
    assert (info.value.width, info.value.height) == (100_000, 100_000)
    assert info.value.limit == OcrOptions().max_pixels
    assert info.value.permanent
    assert "decompression bomb" in str(info.value)


def test_image_over_our_pixel_limit_but_under_pillows_is_refused_too() -> None:
    # 9000 x 9000 = 81 MP: below Pillow's own bomb threshold, above ours (60 MP)
    with pytest.raises(ImageTooLargeError) as info:
        read(png_bomb(9000, 9000))
    assert info.value.width == 9000


def test_truncated_image_is_a_corrupt_image_error() -> None:
    # GIVEN the first half of a real PNG (an interrupted upload)
    full = png(Image.effect_noise((400, 300), 64).convert("RGB"))
    with pytest.raises(CorruptImageError) as info:
        read(full[: len(full) // 2])
    assert "truncated" in info.value.detail or "damaged" in str(info.value)
    assert info.value.permanent


def test_garbage_after_an_image_header_is_a_corrupt_image_error() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"this is not a png at all" * 10
    with pytest.raises(CorruptImageError):
        read(data)


def test_zero_byte_image_is_an_empty_document() -> None:
    with pytest.raises(EmptyDocumentError):
        read(b"")
    with pytest.raises(EmptyDocumentError):
        default_registry().recognize(b"", filename="empty.png", media_type="image/png")


def test_unsupported_image_mode_is_named() -> None:
    # GIVEN a TIFF of 32-bit float samples (a measurement, not a scan)
    buf = io.BytesIO()
    Image.new("F", (64, 64), 0.5).save(buf, format="TIFF")
    with pytest.raises(UnsupportedImageModeError) as info:
        read(buf.getvalue(), filename="float.tif")
    assert info.value.mode == "F"
    assert "'F'" in str(info.value)


def test_tiff_with_more_pages_than_allowed_is_refused() -> None:
    frames = [Image.new("L", (32, 32), 255) for _ in range(4)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(TooManyImagePagesError) as info:
        list(load_images(buf.getvalue(), filename="many.tif", dpi=200, max_pixels=10**7, max_pages=3))
    assert info.value.limit == 3


def test_pdf_with_absurd_page_count_is_refused_on_the_ocr_path() -> None:
    # GIVEN a three-page scan and an OCR reader limited to two pages
    data = graphics_pdf(pages=3)
    with pytest.raises(TooManyPagesError) as info:
        read(data, filename="long.pdf", limits=PdfLimits(max_pages=2))
    assert (info.value.pages, info.value.limit) == (3, 2)


def test_pdf_with_absurd_page_size_is_refused_on_the_ocr_path() -> None:
    # GIVEN a scan-like PDF page of 20 000 x 20 000 pt: rendering it at 200 dpi would need 31 gigapixels
    data = graphics_pdf(size=(20_000.0, 20_000.0))
    # WHEN it goes through the registry (no text layer: OCR would take it) THEN it is refused, not rendered
    with pytest.raises(PageSizeError) as info:
        default_registry().recognize(data, filename="huge.pdf")
    assert info.value.page == 1
    with pytest.raises(PageSizeError):
        read(data, filename="huge.pdf")


def test_transparent_png_reads_as_white_paper() -> None:
    # a PNG with a transparent background must not turn into black paper
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    pages = list(load_images(png(image), filename="t.png", dpi=200, max_pixels=10**7, max_pages=5))
    assert pages[0].pixels.min() == 255


def test_bad_images_through_the_worker_pool_give_their_errors_and_the_worker_lives_on() -> None:
    async def run() -> None:
        pool = RecognitionPool(workers=1, timeout_s=120, memory_mb=3072)
        try:
            pid_before = None
            broken = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
            for data, error in ((png_bomb(), ImageTooLargeError), (broken, CorruptImageError)):
                with pytest.raises(error):
                    await pool.recognize(data, filename="bad.png", media_type="image/png")
                pids = [p.pid for p in getattr(pool._pool, "_processes", {}).values()]
                assert len(pids) == 1
                assert pid_before in (None, pids[0])  # the same worker process, not a replaced one
                pid_before = pids[0]
            # and a good image is read by that same worker afterwards
            result = await pool.recognize(png(Image.new("RGB", (300, 200), "white")), filename="blank.png",
                                          media_type="image/png")  # fmt: skip
            assert result.reader == "ocr"
        finally:
            pool.close()

    asyncio.run(run())
