"""Errors of the OCR path: page images that cannot be read, and engines that cannot start."""

from __future__ import annotations

from belegflow_ocr.errors import RecognitionError


class ImageTooLargeError(RecognitionError):
    """More pixels than the limit: a decompression bomb, or a scan no invoice needs (refused before decoding)."""

    def __init__(self, *, filename: str, width: int, height: int, limit: int, page: int = 1) -> None:
        size = f"measures {width} x {height} pixels ({width * height} pixels)" if width and height else "declares"
        super().__init__(
            f"{filename}: image page {page} {size}, more than the limit of {limit} pixels "
            "(decompression bomb?); not decoded",
            filename=filename,
        )
        self.width = width
        self.height = height
        self.limit = limit
        self.page = page


class CorruptImageError(RecognitionError):
    """The bytes look like an image but do not decode: truncated upload, damaged file."""

    def __init__(self, *, filename: str, detail: str) -> None:
        super().__init__(f"{filename}: the image is damaged and cannot be read ({detail})", filename=filename)
        self.detail = detail


class UnsupportedImageModeError(RecognitionError):
    """A pixel format scans and photos never use (32-bit integer or float samples, LAB, HSV ...)."""

    def __init__(self, *, filename: str, mode: str, page: int = 1) -> None:
        super().__init__(
            f"{filename}: image page {page} has pixel mode {mode!r}, which OCR cannot read "
            "(supported: bilevel, grey, palette, RGB, RGBA, CMYK, YCbCr, 16-bit grey)",
            filename=filename,
        )
        self.mode = mode
        self.page = page


class TooManyImagePagesError(RecognitionError):
    def __init__(self, *, filename: str, pages: int, limit: int) -> None:
        super().__init__(f"{filename}: the image has more than {limit} pages (limit {limit})", filename=filename)
        self.pages = pages
        self.limit = limit


class OcrEngineUnavailableError(Exception):
    """The configured OCR engine cannot run here (missing package, binary, language data or model files).

    Raised at start-up (and before a document is read), never retried: the configuration has to change.
    """

    def __init__(self, engine: str, missing: str) -> None:
        super().__init__(f"OCR engine {engine!r} cannot start: {missing}")
        self.engine = engine
        self.missing = missing


class OcrEngineError(RecognitionError):
    """The OCR engine was configured but cannot read this document (it cannot start in this worker)."""

    permanent = False

    def __init__(self, *, filename: str, engine: str, detail: str) -> None:
        super().__init__(f"{filename}: OCR engine {engine} failed: {detail}", filename=filename)
        self.engine = engine
        self.detail = detail
