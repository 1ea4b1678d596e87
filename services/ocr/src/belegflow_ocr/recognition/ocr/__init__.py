"""OCR for scans and photos: engines behind one protocol (ppocr-onnx, paddle, tesseract) and the OCR reader."""

from belegflow_ocr.recognition.ocr.engines import (
    DEFAULT_ENGINE,
    OcrEngine,
    OcrOptions,
    OcrPage,
    TextBox,
    check_engine,
    configure,
    create_engine,
    current_options,
    engine_for,
)
from belegflow_ocr.recognition.ocr.errors import (
    CorruptImageError,
    ImageTooLargeError,
    OcrEngineError,
    OcrEngineUnavailableError,
    TooManyImagePagesError,
    UnsupportedImageModeError,
)
from belegflow_ocr.recognition.ocr.reader import OcrReader

__all__ = [
    "DEFAULT_ENGINE",
    "CorruptImageError",
    "ImageTooLargeError",
    "OcrEngine",
    "OcrEngineError",
    "OcrEngineUnavailableError",
    "OcrOptions",
    "OcrPage",
    "OcrReader",
    "TextBox",
    "TooManyImagePagesError",
    "UnsupportedImageModeError",
    "check_engine",
    "configure",
    "create_engine",
    "current_options",
    "engine_for",
]
