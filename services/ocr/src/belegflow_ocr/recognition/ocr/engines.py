"""The one protocol every OCR engine satisfies, the options that choose one, and the per-process engine cache.

An engine takes many page images at once (RGB, ``uint8``, height x width x 3) and returns, for each, the
positioned text boxes it read, in pixels of the upright page (after any rotation and deskew it applied).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from belegflow_contracts.messages import OCR_ENGINES
from belegflow_ocr.recognition.ocr.errors import OcrEngineUnavailableError

Image = npt.NDArray[np.uint8]
"""One page: RGB, ``uint8``, shape (height, width, 3)."""

DEFAULT_ENGINE = "ppocr-onnx"
DEVICES = ("cpu", "cuda")
PPOCR_MODELS = ("ppocrv6-tiny", "ppocrv6-small", "ppocrv5", "ppocrv4")


@dataclass(frozen=True, slots=True)
class TextBox:
    """A run of text on one line, as the engine read it; ``box`` is x0, y0, x1, y1 in pixels from the top-left."""

    text: str
    confidence: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class OcrPage:
    """What an engine read on one page image, in the frame of the upright, deskewed page."""

    boxes: list[TextBox]
    width: int
    height: int
    rotation: int = 0
    """Clockwise degrees (0, 90, 180, 270) the image was turned to make its text upright."""
    skew: float | None = None
    """Degrees of skew measured and taken out (None: the engine does not measure it)."""
    seconds: float = 0.0

    @property
    def mean_confidence(self) -> float:
        return sum(b.confidence for b in self.boxes) / len(self.boxes) if self.boxes else 0.0


@runtime_checkable
class OcrEngine(Protocol):
    name: str
    device: str

    def recognize(self, images: Sequence[Image]) -> list[OcrPage]:
        """One ``OcrPage`` per image, in order."""
        ...


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """Everything that chooses and tunes an engine (from the service settings, ``BELEGFLOW_OCR_*``)."""

    engine: str = DEFAULT_ENGINE
    device: str = "cpu"
    threads: int = 0
    """Threads one engine uses for inference; 0 means every core of the machine."""
    dpi: int = 200
    """Resolution PDF pages are rendered at, and assumed for images that do not say theirs."""
    batch_size: int = 16
    """Text lines (ppocr-onnx) or pages (paddle) per inference call; a GPU worker wants more."""
    det_side: int = 1600
    """Longest side, in pixels, a page is scaled down to for text detection (ppocr-onnx)."""
    models: str = "ppocrv6-tiny"
    """PP-OCR model set for ppocr-onnx (see ``PPOCR_MODELS``)."""
    second_look: str | None = "ppocrv6-small"
    """PP-OCR model set whose recogniser reads again the lines ``models`` read with a confidence below
    ``second_look_below`` (ppocr-onnx; None: no second look). The better reading of the two is kept."""
    second_look_below: float = 0.97
    paddle_model_dir: Path | None = None
    tesseract_lang: str = "deu"
    max_pixels: int = 60_000_000
    """Largest page image decoded (a 600 dpi A4 scan is 35 MP); beyond it is a decompression bomb."""

    def with_engine(self, engine: str | None) -> OcrOptions:
        return self if engine is None or engine == self.engine else replace(self, engine=engine)

    def inference_threads(self) -> int:
        return self.threads if self.threads > 0 else (os.cpu_count() or 1)


def check_options(options: OcrOptions) -> None:
    """Values that can never work, as a clear error (the settings validate the same, this guards other callers)."""
    if options.engine not in OCR_ENGINES:
        raise OcrEngineUnavailableError(options.engine, f"unknown engine; choose one of {', '.join(OCR_ENGINES)}")
    if options.device not in DEVICES:
        raise OcrEngineUnavailableError(options.engine, f"unknown device {options.device!r}; choose cpu or cuda")
    for models in (options.models, options.second_look):
        if options.engine == "ppocr-onnx" and models is not None and models not in PPOCR_MODELS:
            raise OcrEngineUnavailableError(
                options.engine, f"unknown model set {models!r}; choose one of {', '.join(PPOCR_MODELS)}"
            )
    if not 0.0 <= options.second_look_below <= 1.0:
        raise OcrEngineUnavailableError(
            options.engine, f"second_look_below {options.second_look_below} is no confidence between 0 and 1"
        )


def check_engine(options: OcrOptions) -> None:
    """Cheap start-up check that the engine can run here: packages, binary, language data, model files, device.

    Raises ``OcrEngineUnavailableError`` naming what is missing; loads no model.
    """
    check_options(options)
    if options.engine == "ppocr-onnx":
        from belegflow_ocr.recognition.ocr.ppocr import check as check_ppocr

        check_ppocr(options)
    elif options.engine == "tesseract":
        from belegflow_ocr.recognition.ocr.tesseract import check as check_tesseract

        check_tesseract(options)
    else:
        from belegflow_ocr.recognition.ocr.paddle import check as check_paddle

        check_paddle(options)


def create_engine(options: OcrOptions) -> OcrEngine:
    """A new engine (loads its models); prefer ``engine_for``, which loads them once per process."""
    check_engine(options)
    if options.engine == "ppocr-onnx":
        from belegflow_ocr.recognition.ocr.ppocr import PpOcrOnnxEngine

        return PpOcrOnnxEngine(options)
    if options.engine == "tesseract":
        from belegflow_ocr.recognition.ocr.tesseract import TesseractEngine

        return TesseractEngine(options)
    from belegflow_ocr.recognition.ocr.paddle import PaddleEngine

    return PaddleEngine(options)


# --- per process: the options the worker was started with, and the engines built from them ---------

_lock = threading.Lock()
_options = OcrOptions()
_engines: dict[OcrOptions, OcrEngine] = {}


def configure(options: OcrOptions) -> None:
    """Sets the options this process reads documents with (the worker calls it once at start)."""
    global _options
    check_options(options)
    _options = options


def current_options() -> OcrOptions:
    return _options


def engine_for(options: OcrOptions) -> OcrEngine:
    """The engine for ``options``, created on first use and kept for the life of the process."""
    with _lock:
        engine = _engines.get(options)
        if engine is None:
            engine = create_engine(options)
            _engines[options] = engine
        return engine
