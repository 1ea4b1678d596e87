"""PaddleOCR on paddlepaddle (the GPU worker's engine), with models from a local directory, never downloaded.

``BELEGFLOW_PADDLE_MODEL_DIR`` holds one folder per model, each an exported inference model
(``inference.json`` or ``inference.pdmodel``, ``inference.pdiparams`` and ``inference.yml``):

    det/   text detection (e.g. PP-OCRv5_server_det)
    rec/   text recognition with German letters (e.g. latin_PP-OCRv5_mobile_rec)
    cls/   optional: text line orientation (PP-LCNet_x1_0_textline_ori)

paddleocr and paddlepaddle come with the optional extra ``belegflow-ocr[paddle]`` and are imported lazily.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from belegflow_ocr.recognition.ocr.engines import Image, OcrOptions, OcrPage, TextBox
from belegflow_ocr.recognition.ocr.errors import OcrEngineUnavailableError

ENGINE = "paddle"
REQUIRED = ("det", "rec")


def _model_missing(folder: Path) -> str | None:
    if not folder.is_dir():
        return f"folder {folder} does not exist"
    if not (folder / "inference.pdiparams").is_file():
        return f"{folder / 'inference.pdiparams'} is missing"
    if not ((folder / "inference.json").is_file() or (folder / "inference.pdmodel").is_file()):
        return f"{folder} has neither inference.json nor inference.pdmodel"
    return None


def model_dirs(options: OcrOptions) -> dict[str, Path]:
    """The model folders, or a start-up error naming every one that is missing (checked before paddle loads)."""
    root = options.paddle_model_dir
    if root is None:
        raise OcrEngineUnavailableError(
            ENGINE, "BELEGFLOW_PADDLE_MODEL_DIR is not set (a folder with det/ and rec/ inference models; "
            "models are never downloaded at run time)"
        )
    if not root.is_dir():
        raise OcrEngineUnavailableError(ENGINE, f"BELEGFLOW_PADDLE_MODEL_DIR {root} does not exist")
    problems = [p for p in (_model_missing(root / name) for name in REQUIRED) if p]
    if problems:
        raise OcrEngineUnavailableError(ENGINE, "model files missing: " + "; ".join(problems))
    found = {name: root / name for name in REQUIRED}
    if _model_missing(root / "cls") is None:
        found["cls"] = root / "cls"
    return found


def check(options: OcrOptions) -> None:
    model_dirs(options)
    for package, extra in (("paddleocr", "paddleocr"), ("paddle", "paddlepaddle or paddlepaddle-gpu")):
        if importlib.util.find_spec(package) is None:
            raise OcrEngineUnavailableError(
                ENGINE, f"Python package {extra} is not installed (install the extra belegflow-ocr[paddle])"
            )


def _model_name(folder: Path) -> str | None:
    """The model name its inference.yml declares (``Global: model_name: ...``), so paddleocr loads it as is."""
    config = folder / "inference.yml"
    if not config.is_file():
        return None
    for line in config.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("model_name:"):
            return stripped.split(":", 1)[1].strip() or None
    return None


class PaddleEngine:
    name = ENGINE

    def __init__(self, options: OcrOptions) -> None:
        check(options)
        from paddleocr import PaddleOCR  # type: ignore[import-not-found, import-untyped, unused-ignore]

        dirs = model_dirs(options)
        self.options = options
        self.device = options.device
        self.models = ", ".join(f"{k}={_model_name(v) or v.name}" for k, v in dirs.items())
        kwargs: dict[str, Any] = {
            "text_detection_model_dir": str(dirs["det"]),
            "text_detection_model_name": _model_name(dirs["det"]),
            "text_recognition_model_dir": str(dirs["rec"]),
            "text_recognition_model_name": _model_name(dirs["rec"]),
            "use_doc_orientation_classify": False,
            "use_doc_unwarping": False,
            "use_textline_orientation": "cls" in dirs,
            "text_recognition_batch_size": options.batch_size,
            "device": "gpu:0" if options.device == "cuda" else "cpu",
        }
        if "cls" in dirs:
            kwargs["textline_orientation_model_dir"] = str(dirs["cls"])
            kwargs["textline_orientation_model_name"] = _model_name(dirs["cls"])
        if options.device == "cpu":
            kwargs["cpu_threads"] = options.inference_threads()
        self._ocr = PaddleOCR(**kwargs)

    def recognize(self, images: Sequence[Image]) -> list[OcrPage]:
        start = time.perf_counter()
        # paddleocr wants BGR like OpenCV
        results = list(self._ocr.predict([np.ascontiguousarray(img[:, :, ::-1]) for img in images]))
        seconds = (time.perf_counter() - start) / max(1, len(images))
        pages: list[OcrPage] = []
        for image, result in zip(images, results, strict=True):
            h, w = image.shape[:2]
            boxes = []
            for text, score, poly in zip(result["rec_texts"], result["rec_scores"], result["rec_polys"], strict=True):
                if not str(text).strip():
                    continue
                points = np.asarray(poly, dtype=np.float32)
                xs, ys = points[:, 0], points[:, 1]
                boxes.append(TextBox(str(text).strip(), float(score),
                                     (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))))  # fmt: skip
            boxes.sort(key=lambda b: (b.box[1], b.box[0]))
            pages.append(OcrPage(boxes=boxes, width=w, height=h, rotation=0, skew=None, seconds=seconds))
        return pages
