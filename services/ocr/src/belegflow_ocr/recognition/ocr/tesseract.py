"""Tesseract through its command-line binary (TSV output), with the ``deu`` language data; where installed.

Install on Debian/Ubuntu: ``apt-get install tesseract-ocr tesseract-ocr-deu`` (``make install-tesseract``).
Tesseract finds lines and handles small skew itself. Where its ``osd`` data is installed, its orientation
detection (``--psm 0``) turns a page lying on its side or upside down upright first.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import time
from collections.abc import Sequence

import numpy as np
from PIL import Image as PilImage

from belegflow_ocr.recognition.ocr.engines import Image, OcrOptions, OcrPage, TextBox
from belegflow_ocr.recognition.ocr.errors import OcrEngineUnavailableError

ENGINE = "tesseract"
_TIMEOUT_S = 300
_MIN_OSD_CONFIDENCE = 2.0


def _binary() -> str:
    path = shutil.which("tesseract")
    if path is None:
        raise OcrEngineUnavailableError(
            ENGINE, "the tesseract binary is not on PATH (apt-get install tesseract-ocr tesseract-ocr-deu, "
            "or make install-tesseract)"
        )
    return path


def languages(binary: str) -> set[str]:
    done = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    lines = (done.stdout + done.stderr).splitlines()
    return {line.strip() for line in lines[1:] if line.strip() and " " not in line.strip()}


def check(options: OcrOptions) -> None:
    binary = _binary()
    if options.device != "cpu":
        raise OcrEngineUnavailableError(ENGINE, f"tesseract runs on the CPU only, not on {options.device}")
    have = languages(binary)
    missing = [lang for lang in options.tesseract_lang.split("+") if lang not in have]
    if missing:
        raise OcrEngineUnavailableError(
            ENGINE, f"language data {', '.join(missing)} is not installed (have: {', '.join(sorted(have)) or 'none'}; "
            "apt-get install tesseract-ocr-deu)"
        )


def parse_rotation(osd: str) -> tuple[int, float]:
    """Clockwise degrees to turn the page upright and tesseract's confidence in it, from ``--psm 0`` output."""
    rotate, confidence = 0, 0.0
    for line in osd.splitlines():
        key, _, value = line.partition(":")
        try:
            if key.strip() == "Rotate":
                rotate = int(value.strip()) % 360
            elif key.strip() == "Orientation confidence":
                confidence = float(value.strip())
        except ValueError:
            continue
    return (rotate if rotate in (90, 180, 270) else 0), confidence


def parse_tsv(tsv: str) -> list[TextBox]:
    """Words (level 5 rows) of tesseract's TSV output, confidence scaled to 0..1."""
    boxes: list[TextBox] = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        conf = float(row.get("conf") or -1)
        if conf < 0:
            continue
        left, top = float(row["left"]), float(row["top"])
        boxes.append(TextBox(text, conf / 100, (left, top, left + float(row["width"]), top + float(row["height"]))))
    return boxes


class TesseractEngine:
    name = ENGINE
    device = "cpu"

    def __init__(self, options: OcrOptions) -> None:
        check(options)
        self.options = options
        self.models = options.tesseract_lang
        self._binary = _binary()
        self._env = {**os.environ, "OMP_THREAD_LIMIT": str(options.inference_threads())}
        self._osd = "osd" in languages(self._binary)

    def _run(self, png: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # noqa: S603 - fixed argument list, binary found on PATH
            [self._binary, "stdin", "stdout", "--dpi", str(self.options.dpi), *args],
            input=png, capture_output=True, timeout=_TIMEOUT_S, env=self._env, check=False,
        )

    @staticmethod
    def _png(image: Image) -> bytes:
        buf = io.BytesIO()
        PilImage.fromarray(image).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def _one(self, image: Image) -> OcrPage:
        start = time.perf_counter()
        png = self._png(image)
        rotation = 0
        if self._osd:
            # fails on pages with too little text: then the page is read as it is
            osd = self._run(png, "--psm", "0")
            rotate, confidence = parse_rotation(osd.stdout.decode("utf-8", errors="replace"))
            if osd.returncode == 0 and rotate and confidence >= _MIN_OSD_CONFIDENCE:
                rotation = rotate
                image = np.ascontiguousarray(np.rot90(image, k=-(rotate // 90)))
                png = self._png(image)
        done = self._run(png, "-l", self.options.tesseract_lang, "--psm", "3", "tsv")
        if done.returncode != 0:
            raise RuntimeError(f"tesseract exited with {done.returncode}: {done.stderr.decode(errors='replace')[:300]}")
        h, w = image.shape[:2]
        boxes = parse_tsv(done.stdout.decode("utf-8", errors="replace"))
        return OcrPage(boxes=boxes, width=w, height=h, rotation=rotation, skew=None,
                       seconds=time.perf_counter() - start)  # fmt: skip

    def recognize(self, images: Sequence[Image]) -> list[OcrPage]:
        return [self._one(image) for image in images]
