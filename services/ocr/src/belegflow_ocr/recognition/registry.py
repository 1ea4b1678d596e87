"""Picks the reader with the highest score for a document and runs it."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Sequence

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]

from belegflow_ocr.errors import (
    DamagedDocumentError,
    EmptyDocumentError,
    ReaderFailedError,
    RecognitionError,
    UnsupportedMediaTypeError,
)
from belegflow_ocr.recognition.einvoice.readers import PdfInvoiceReader, XmlInvoiceReader
from belegflow_ocr.recognition.model import ProtocolLog, Recognition
from belegflow_ocr.recognition.ocr.engines import check_options, current_options
from belegflow_ocr.recognition.ocr.reader import OcrReader
from belegflow_ocr.recognition.pdftext import PdfTextReader, one_document
from belegflow_ocr.recognition.readers import Reader
from belegflow_ocr.recognition.sniff import sniff_media_type

ReaderFactory = Callable[[], Reader]


class ReaderRegistry:
    """Holds reader factories; each document gets fresh reader instances (they own temp files)."""

    def __init__(self, factories: Sequence[ReaderFactory]) -> None:
        self._factories = list(factories)

    def register(self, factory: ReaderFactory) -> None:
        self._factories.append(factory)

    def scores(self, data: bytes, media_type: str) -> list[tuple[str, int, ReaderFactory]]:
        """Every reader's score, best first (the first registered wins a tie)."""
        rated = []
        for factory in self._factories:
            reader = factory()
            rated.append((reader.name, reader.score(data, media_type), factory))
        return sorted(rated, key=lambda r: -r[1])

    def select(self, data: bytes, media_type: str, *, filename: str = "document") -> tuple[ReaderFactory, str]:
        """The best reader and why it was chosen; no reader with a positive score is an error."""
        rated = self.scores(data, media_type)
        if not rated or rated[0][1] <= 0:
            raise UnsupportedMediaTypeError(filename=filename, media_type=media_type or None)
        name, score, factory = rated[0]
        others = ", ".join(f"{n} {s}" for n, s, _ in rated[1:]) or "none"
        return factory, f"reader: {name} chosen for {media_type} (score {score}; others: {others})"

    def recognize(self, data: bytes, *, filename: str, media_type: str | None = None) -> Recognition:
        """Sniffs the type from the bytes (a given ``media_type`` is only a fallback) and reads."""
        if not data:
            raise EmptyDocumentError(filename=filename)
        sniffed = sniff_media_type(data)
        effective = sniffed or media_type or ""
        reader_name = "reader selection"
        try:
            with one_document():  # the text layer that the choice of reader reads is read once
                factory, why = self.select(data, effective, filename=filename)
                log = ProtocolLog()
                log.info(why, media_type=effective, sniffed=sniffed, declared=media_type, size=len(data))
                with factory() as reader:
                    reader_name = reader.name
                    result = reader.read(data, filename=filename)
        except RecognitionError:
            raise
        except MemoryError as exc:
            raise ReaderFailedError(filename=filename, reader=reader_name, detail=repr(exc)) from exc
        except OSError as exc:
            if exc.errno is not None:  # the system's (a full disk, too many files): may pass
                raise ReaderFailedError(filename=filename, reader=reader_name, detail=repr(exc)) from exc
            # a decoder's complaint about the bytes (Pillow: "image file is truncated")
            raise DamagedDocumentError(filename=filename, reader=reader_name, detail=str(exc)) from exc
        except (pdfium.PdfiumError, RecursionError, ValueError, LookupError, ArithmeticError, TypeError,
                AttributeError, EOFError, struct.error, SyntaxError) as exc:
            # the same bytes break the reader the same way every time: no retry, to the DLQ with why
            raise DamagedDocumentError(filename=filename, reader=reader_name,
                                       detail=f"{type(exc).__name__}: {exc}") from exc
        return dataclasses.replace(result, protocol=[*log.entries, *result.protocol])


def default_registry(*, ocr_engine: str | None = None) -> ReaderRegistry:
    """Readers available in this build: e-invoice XML, PDFs carrying e-invoice XML, the PDF text layer, and OCR
    for scans, photos and PDFs without a usable text layer.

    ``ocr_engine`` overrides the process's configured engine (``ppocr-onnx``, ``tesseract`` or ``paddle``);
    the engine itself is built on the first scan, once per process.
    """
    check_options(current_options().with_engine(ocr_engine))

    def ocr_reader() -> Reader:
        # the options are read when a document comes, so a worker configured after import uses its own
        return OcrReader(current_options().with_engine(ocr_engine))

    return ReaderRegistry([XmlInvoiceReader, PdfInvoiceReader, PdfTextReader, ocr_reader])
