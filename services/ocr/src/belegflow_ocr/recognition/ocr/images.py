"""Page images for OCR: PDF pages rendered with pypdfium2, PNG/JPEG/TIFF pages decoded with Pillow.

Limits come first: the PDF's page count and page size (``PdfLimits``, read by the text-layer reader before
anything is rendered) and every image page's pixel count (from the header, before it is decoded), so a
decompression bomb is refused without allocating it. EXIF orientation is applied to photos.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped, unused-ignore]
from PIL import Image as PilImage
from PIL import ImageOps, ImageSequence, UnidentifiedImageError

from belegflow_contracts.messages import MediaType
from belegflow_ocr.errors import CorruptPdfError
from belegflow_ocr.recognition.model import PageInfo
from belegflow_ocr.recognition.ocr.engines import Image
from belegflow_ocr.recognition.ocr.errors import (
    CorruptImageError,
    ImageTooLargeError,
    TooManyImagePagesError,
    UnsupportedImageModeError,
)
from belegflow_ocr.recognition.pdftext import PdfLimits

IMAGE_TYPES = (MediaType.PNG.value, MediaType.JPEG.value, MediaType.TIFF.value)
# Resolutions a file may claim; outside them (0, 1, 72 from a phone) the configured DPI is assumed.
_PLAUSIBLE_DPI = (100.0, 1200.0)
_CONVERTIBLE = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "I;16", "I;16L", "I;16B", "I;16N"}


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page to OCR and how its pixels map to PDF points (``points = pixels * 72 / dpi``)."""

    number: int
    pixels: Image
    dpi: float

    @property
    def info(self) -> PageInfo:
        h, w = self.pixels.shape[:2]
        return PageInfo(number=self.number, width=w * 72 / self.dpi, height=h * 72 / self.dpi)


def render_pdf(data: bytes, *, filename: str, dpi: int, max_pixels: int, limits: PdfLimits) -> Iterator[PageImage]:
    """Every page rendered at ``dpi``, one at a time (a long scan is never all in memory); a page that would
    exceed ``max_pixels`` is rendered at a lower DPI.

    The caller has read the text layer first, which refuses too many pages and absurd page sizes.
    """
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise CorruptPdfError(filename=filename, detail=str(exc)) from exc
    try:
        count: int = len(pdf)
        if count > limits.max_pages:  # read_text_layer checked it; this guards a direct caller
            raise CorruptPdfError(filename=filename, detail=f"{count} pages, more than {limits.max_pages}")
        for index in range(count):
            page = pdf[index]
            try:
                _refuse_huge_images(page, filename=filename, page_number=index + 1, max_pixels=max_pixels)
                width, height = page.get_size()
                scale = dpi / 72
                if width * height * scale * scale > max_pixels:
                    scale = math.sqrt(max_pixels / (width * height))
                bitmap = page.render(scale=scale, rev_byteorder=True)
                pixels = np.array(bitmap.to_numpy()[:, :, :3], dtype=np.uint8, copy=True)
            finally:
                page.close()
            yield PageImage(number=index + 1, pixels=pixels, dpi=scale * 72)
    finally:
        pdf.close()


def _refuse_huge_images(page: Any, *, filename: str, page_number: int, max_pixels: int) -> None:
    """A page is rendered at a bounded size, but pdfium decodes each embedded image whole first: a few hundred
    KB of compressed zeros can hold a 20,000 x 20,000 image (a decompression bomb). Refused before decoding."""
    for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=5):
        width, height = image.get_px_size()
        if width * height > max_pixels:
            raise ImageTooLargeError(filename=filename, width=width, height=height, limit=max_pixels,
                                     page=page_number)


def _rgb(frame: PilImage.Image, *, filename: str, page: int) -> Image:
    mode = frame.mode
    if mode not in _CONVERTIBLE:
        raise UnsupportedImageModeError(filename=filename, mode=mode, page=page)
    if mode.startswith("I;16"):
        frame = frame.point(lambda v: v / 256).convert("L")  # 16-bit grey: keep the top 8 bits
    if mode in ("LA", "PA", "RGBA", "P") and ("A" in mode or "transparency" in frame.info):
        # transparent areas are paper, not black
        rgba = frame.convert("RGBA")
        background = PilImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = PilImage.alpha_composite(background, rgba)
    return np.asarray(frame.convert("RGB"), dtype=np.uint8)


def _dpi(frame: PilImage.Image, default: int) -> float:
    value = frame.info.get("dpi")
    try:
        x = float(value[0]) if value else 0.0
    except (TypeError, ValueError, IndexError):
        x = 0.0
    return x if _PLAUSIBLE_DPI[0] <= x <= _PLAUSIBLE_DPI[1] else float(default)


def _declared_size(data: bytes) -> tuple[int, int]:
    """Width and height a PNG header declares (0, 0 for other formats), for the error about a bomb."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0


def load_images(data: bytes, *, filename: str, dpi: int, max_pixels: int, max_pages: int) -> Iterator[PageImage]:
    """Pages of a PNG, JPEG or (multi-page) TIFF, upright by their EXIF orientation, as RGB, one at a time."""
    with warnings.catch_warnings():
        # the pixel limit below is ours; Pillow's own bomb warning would only repeat it
        warnings.simplefilter("ignore", PilImage.DecompressionBombWarning)
        try:
            image = PilImage.open(io.BytesIO(data))
        except PilImage.DecompressionBombError as exc:
            width, height = _declared_size(data)
            raise ImageTooLargeError(filename=filename, width=width, height=height, limit=max_pixels) from exc
        except UnidentifiedImageError as exc:
            raise CorruptImageError(filename=filename, detail="not a PNG, JPEG or TIFF Pillow can decode") from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise CorruptImageError(filename=filename, detail=str(exc) or type(exc).__name__) from exc
        pages = 0
        try:
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                number = index + 1
                if number > max_pages:
                    raise TooManyImagePagesError(filename=filename, pages=number, limit=max_pages)
                width, height = frame.size
                if width * height > max_pixels:
                    raise ImageTooLargeError(filename=filename, width=width, height=height, limit=max_pixels,
                                             page=number)  # fmt: skip
                if width < 1 or height < 1:
                    raise CorruptImageError(filename=filename, detail=f"page {number} has no pixels")
                frame.load()
                upright = ImageOps.exif_transpose(frame) or frame
                pages += 1
                pixels = _rgb(upright, filename=filename, page=number)
                yield PageImage(number=number, pixels=pixels, dpi=_dpi(frame, dpi))
        except PilImage.DecompressionBombError as exc:
            raise ImageTooLargeError(filename=filename, width=0, height=0, limit=max_pixels) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # "image file is truncated", a broken deflate stream, a bad TIFF tag ...
            raise CorruptImageError(filename=filename, detail=str(exc) or type(exc).__name__) from exc
        finally:
            image.close()
    if not pages:
        raise CorruptImageError(filename=filename, detail="no image pages")
