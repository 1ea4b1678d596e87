"""The OCR reader: scans and photos (and PDFs without a usable text layer) through the configured engine.

Pages become images (``images``), the engine reads text boxes, boxes are split into words with boxes in PDF
points from the page's top-left, and field extraction and validation run on them exactly as on a text PDF.
The engine's confidence then scales each field's confidence by the words the field was read from.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator
from functools import lru_cache

import numpy as np

from belegflow_contracts.messages import InvoiceFieldsV1, MediaType
from belegflow_ocr.errors import EmptyDocumentError, RecognitionError
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.layout import build_lines
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog, Recognition, RecognitionStatus, Word
from belegflow_ocr.recognition.ocr.engines import Image, OcrEngine, OcrOptions, OcrPage, current_options, engine_for
from belegflow_ocr.recognition.ocr.errors import OcrEngineError, OcrEngineUnavailableError
from belegflow_ocr.recognition.ocr.images import IMAGE_TYPES, PageImage, load_images, render_pdf
from belegflow_ocr.recognition.ocr.lexicon import correct
from belegflow_ocr.recognition.pdftext import PdfLimits, read_text_layer
from belegflow_ocr.recognition.readers import BaseReader
from belegflow_ocr.recognition.sniff import sniff_media_type

NAME = "ocr"
# Above the text-layer reader (50) for a PDF it cannot read, never for one it can.
SCORE_SCANNED_PDF = 60
SCORE_IMAGE = 40
# A text box's height over the height of the words a text layer would give (ppocr boxes carry a margin).
_BOX_HEIGHT = {"tesseract": 1.0}
_DEFAULT_BOX_HEIGHT = 1.13
# Text height over font size in a text layer (ascender to descender).
_HEIGHT_PER_POINT = 1.17
# Relative advance widths, so a word's share of its box follows its letters, not only their count.
_NARROW = set("iljI.,:;!|'`()[]{}/\\-ftr ")
_WIDE = set("mwMWÄÖÜ@%&")


@lru_cache(maxsize=2)
def _text_layer_usable(data: bytes) -> bool | None:
    """Whether a PDF's text layer is real (None: not a PDF pdfium can read; the text reader reports why)."""
    try:
        return read_text_layer(data, filename="document").usable
    except RecognitionError:
        return None


def _advance(ch: str) -> float:
    return 0.55 if ch in _NARROW else 1.3 if ch in _WIDE else 1.0


def split_words(text: str, box: tuple[float, float, float, float], *, page: int, scale: float,
                height_factor: float, confidence: float,
                repaired: list[tuple[str, str]] | None = None) -> list[Word]:  # fmt: skip
    """Words of a text box, each with the share of the box its characters take, in points.

    Each token goes through the lexicon (``lexicon.correct``); what it changed is added to ``repaired``.
    """
    x0, y0, x1, y1 = (v * scale for v in box)
    mid, half = (y0 + y1) / 2, (y1 - y0) / (2 * height_factor)
    top, bottom = mid - half, mid + half
    size = (bottom - top) / _HEIGHT_PER_POINT
    advances = [_advance(ch) for ch in text]
    per_unit = (x1 - x0) / (sum(advances) or 1.0)
    tokens: list[tuple[str, float, float]] = []
    position = 0.0
    start: float | None = None
    chars: list[str] = []
    for ch, advance in zip([*text, " "], [*advances, 0.0], strict=True):
        if ch.isspace():
            if chars and start is not None:
                tokens.append(("".join(chars), start, position))
            chars, start = [], None
        else:
            if start is None:
                start = position
            chars.append(ch)
        position += advance
    words: list[Word] = []
    for token, begin, finish in tokens:
        pieces = correct(token)
        if pieces != [token] and repaired is not None:
            repaired.append((token, " ".join(pieces)))
        total = sum(len(p) for p in pieces)
        offset = begin
        for piece in pieces:
            width = (finish - begin) * len(piece) / total
            words.append(Word(piece, page, (x0 + offset * per_unit, top, x0 + (offset + width) * per_unit, bottom),
                              size, confidence))  # fmt: skip
            offset += width
    return words


_NO_PIXELS: Image = np.zeros((0, 0, 3), np.uint8)


def _chunks(pages: Iterable[PageImage], size: int) -> Iterator[list[PageImage]]:
    chunk: list[PageImage] = []
    for page in pages:
        chunk.append(page)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class OcrReader(BaseReader):
    """Reads page images with an OCR engine; the engine is built once per process and shared."""

    name = NAME

    def __init__(self, options: OcrOptions | None = None, *, limits: PdfLimits | None = None,
                 engine: OcrEngine | None = None) -> None:  # fmt: skip
        super().__init__()
        self.options = options or current_options()
        self.limits = limits or PdfLimits()
        self._engine = engine

    def score(self, data: bytes, media_type: str) -> int:
        sniffed = sniff_media_type(data)
        if sniffed in IMAGE_TYPES and media_type in IMAGE_TYPES:
            return SCORE_IMAGE
        if sniffed == MediaType.PDF.value and media_type == MediaType.PDF.value:
            return SCORE_SCANNED_PDF if _text_layer_usable(data) is False else 0
        return 0

    def _pages(self, data: bytes, *, filename: str, log: ProtocolLog) -> Iterator[PageImage]:
        sniffed = sniff_media_type(data)
        if sniffed == MediaType.PDF.value:
            # the text layer read enforces the page count and page size limits before anything is rendered
            layer = read_text_layer(data, filename=filename, limits=self.limits)
            log.info(f"ocr: PDF without a usable text layer ({layer.readable} readable of {layer.chars} chars on "
                     f"{len(layer.pages)} pages), rendering at {self.options.dpi} dpi",
                     chars=layer.chars, readable=layer.readable, pages=len(layer.pages))  # fmt: skip
            return render_pdf(data, filename=filename, dpi=self.options.dpi, max_pixels=self.options.max_pixels,
                              limits=self.limits)  # fmt: skip
        return load_images(data, filename=filename, dpi=self.options.dpi, max_pixels=self.options.max_pixels,
                           max_pages=self.limits.max_pages)  # fmt: skip

    def engine(self, *, filename: str) -> OcrEngine:
        if self._engine is None:
            try:
                self._engine = engine_for(self.options)
            except OcrEngineUnavailableError as exc:
                raise OcrEngineError(filename=filename, engine=self.options.engine, detail=exc.missing) from exc
        return self._engine

    def read(self, data: bytes, *, filename: str) -> Recognition:
        if not data:
            raise EmptyDocumentError(filename=filename)
        log = ProtocolLog()
        started = time.perf_counter()
        engine = self.engine(filename=filename)
        # pages go to the engine in batches and only their results are kept, so memory holds one batch of images
        pages: list[PageImage] = []
        read: list[OcrPage] = []
        batch = max(1, self.options.batch_size)
        for chunk in _chunks(self._pages(data, filename=filename, log=log), batch):
            try:
                read.extend(engine.recognize([p.pixels for p in chunk]))
            except MemoryError:
                raise
            except Exception as exc:  # the engines' own errors (ONNX Runtime, paddle, tesseract) end here
                if "bad_alloc" in str(exc):  # ONNX Runtime out of memory: the worker's limit, not the document
                    raise MemoryError(f"OCR engine {engine.name} ran out of memory") from exc
                raise OcrEngineError(filename=filename, engine=engine.name, detail=str(exc)[:500]) from exc
            pages.extend(dataclasses.replace(p, pixels=_NO_PIXELS) for p in chunk)
        factor = _BOX_HEIGHT.get(engine.name, _DEFAULT_BOX_HEIGHT)
        words: list[Word] = []
        repaired: list[tuple[str, str]] = []
        infos: list[PageInfo] = []
        for image, result in zip(pages, read, strict=True):
            scale = 72 / image.dpi
            infos.append(PageInfo(number=image.number, width=result.width * scale, height=result.height * scale))
            for box in result.boxes:
                words.extend(split_words(box.text, box.box, page=image.number, scale=scale, height_factor=factor,
                                         confidence=round(box.confidence, 4), repaired=repaired))  # fmt: skip
            skew = "not measured" if result.skew is None else f"{result.skew:+.1f} deg"
            log.info(f"ocr: page {image.number}: {len(result.boxes)} text boxes, mean confidence "
                     f"{result.mean_confidence:.2f}, rotation {result.rotation} deg, skew {skew}, "
                     f"{image.dpi:.0f} dpi, {result.seconds:.2f} s",
                     page=image.number, boxes=len(result.boxes), confidence=round(result.mean_confidence, 3),
                     rotation=result.rotation, skew="" if result.skew is None else round(result.skew, 2),
                     dpi=round(image.dpi), seconds=round(result.seconds, 3))  # fmt: skip
        mean = sum(p.mean_confidence * len(p.boxes) for p in read) / max(1, sum(len(p.boxes) for p in read))
        log.info(f"ocr: engine {engine.name} on {engine.device}, {len(pages)} pages, {len(words)} words, mean "
                 f"confidence {mean:.2f}, {time.perf_counter() - started:.2f} s",
                 engine=engine.name, device=engine.device, models=getattr(engine, "models", ""),
                 pages=len(pages), words=len(words), confidence=round(mean, 3),
                 seconds=round(time.perf_counter() - started, 3))  # fmt: skip
        if repaired:
            shown = ", ".join(f"{a!r} -> {b!r}" for a, b in repaired[:20])
            log.info(f"ocr: {len(repaired)} words repaired from the invoice lexicon: {shown}", repaired=len(repaired))
        text = "\n".join(line.text for line in build_lines(words))
        if not words:
            log.warning("ocr: no text found on any page; fields left empty")
            return Recognition(reader=self.name, status=RecognitionStatus.RECOGNIZED, fields=InvoiceFieldsV1(),
                               lines=[], protocol=log.entries, words=[], text="", pages=infos)  # fmt: skip
        # each field's confidence takes in the OCR confidence of the words it was read from (``scorer``)
        fields, lines = extract_fields(words, infos, log)
        return Recognition(reader=self.name, status=RecognitionStatus.RECOGNIZED, fields=fields, lines=lines,
                           protocol=log.entries, words=words, text=text, pages=infos)  # fmt: skip
