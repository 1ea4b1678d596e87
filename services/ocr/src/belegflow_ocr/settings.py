"""Settings of the ocr service (environment, prefix ``BELEGFLOW_``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field

from belegflow_contracts.runtime.settings import DatabaseSettings
from belegflow_ocr.recognition.ocr.engines import OcrOptions

OcrEngineName = Literal["ppocr-onnx", "tesseract", "paddle"]
PpOcrModels = Literal["ppocrv6-tiny", "ppocrv6-small", "ppocrv5", "ppocrv4"]


class Settings(DatabaseSettings):
    ocr_timeout_s: float = Field(default=120.0, gt=0, description="wall-clock limit of one recognition")
    ocr_memory_mb: int = Field(default=3072, ge=128, description="address-space limit of the worker process")
    ocr_workers: int = Field(default=1, ge=1, description="recognition worker processes in this replica")
    ocr_engine: OcrEngineName = Field(default="ppocr-onnx", description="OCR engine for scans and photos")
    ocr_device: Literal["cpu", "cuda"] = Field(default="cpu", description="where ppocr-onnx or paddle runs")
    ocr_threads: int = Field(default=0, ge=0, description="inference threads per worker; 0: cores / workers")
    ocr_dpi: int = Field(default=200, ge=72, le=600, description="rendering resolution of PDF pages for OCR")
    ocr_batch_size: int = Field(default=16, ge=1, le=1024, description="text lines (or pages) per inference call")
    ocr_det_side: int = Field(default=1600, ge=320, le=4096, description="longest side for text detection, px")
    ocr_models: PpOcrModels = Field(default="ppocrv6-tiny", description="PP-OCR model set of ppocr-onnx")
    ocr_second_look: PpOcrModels | Literal["off"] = Field(
        default="ppocrv6-small", description="PP-OCR model set that reads the unsure lines again; off: none")
    ocr_second_look_below: float = Field(
        default=0.97, ge=0.0, le=1.0, description="lines read with a lower confidence are read again")
    ocr_tesseract_lang: str = Field(default="deu", pattern=r"^[a-z_]+(\+[a-z_]+)*$", description="tesseract -l")
    ocr_max_image_pixels: int = Field(default=60_000_000, ge=1_000_000, description="largest page image decoded")
    paddle_model_dir: Path | None = Field(default=None, description="local PaddleOCR models (det/, rec/, cls/)")
    einvoice_rules_dir: Path | None = Field(
        default=None, description="the e-invoice rules: an unpacked KoSIT validator configuration (scenarios.xml "
        "with its XML Schemas and compiled EN 16931 / XRechnung Schematron); required, the service does not start "
        "without it")
    einvoice_viewer_dir: Path | None = Field(
        default=None, description="the official XRechnung visualisation (KoSIT xrechnung-visualization release, "
        "src/xsl inside): e-invoices shown as documents on the desk; unset: not shown")

    def ocr_options(self) -> OcrOptions:
        return OcrOptions(
            engine=self.ocr_engine,
            device=self.ocr_device,
            # the workers share the cores instead of each claiming all of them
            threads=self.ocr_threads or max(1, (os.cpu_count() or 1) // self.ocr_workers),
            dpi=self.ocr_dpi,
            batch_size=self.ocr_batch_size,
            det_side=self.ocr_det_side,
            models=self.ocr_models,
            second_look=None if self.ocr_second_look == "off" else self.ocr_second_look,
            second_look_below=self.ocr_second_look_below,
            paddle_model_dir=self.paddle_model_dir,
            tesseract_lang=self.ocr_tesseract_lang,
            max_pixels=self.ocr_max_image_pixels,
        )
