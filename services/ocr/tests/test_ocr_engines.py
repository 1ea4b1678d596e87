"""The engines behind the OCR protocol: German letters, tesseract where installed, paddle's start-up checks."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pytest
from PIL import Image
from pydantic import ValidationError

from belegflow_contracts.messages import InvoiceFieldsV1, TextFieldV1
from belegflow_ocr.recognition import default_registry
from belegflow_ocr.recognition.model import ProtocolLog, Word
from belegflow_ocr.recognition.ocr import (
    OcrEngine,
    OcrEngineError,
    OcrEngineUnavailableError,
    OcrOptions,
    OcrReader,
    check_engine,
    create_engine,
    engine_for,
)
from belegflow_ocr.recognition.ocr.engines import current_options
from belegflow_ocr.recognition.ocr.ppocr import deskew_box, mostly_vertical, skew_of
from belegflow_ocr.recognition.ocr.reader import split_words
from belegflow_ocr.recognition.ocr.tesseract import languages, parse_rotation, parse_tsv
from belegflow_ocr.recognition.scorer import with_ocr_confidence
from belegflow_ocr.settings import Settings
from bench.recognition.engines import word_lines

# Words German invoices are full of, with every letter PP-OCRv4's Chinese/English dictionary lacks (ö Ä Ö ß).
GERMAN = ["Müller GmbH", "Straße", "Größe", "Bürobedarf", "München", "Köln", "Überseetor", "Äpfel", "Ölmühle",
          "Fußweg", "Düsseldorf", "Gebühr"]  # fmt: skip
HAS_TESSERACT = shutil.which("tesseract") is not None
HAS_PADDLE = importlib.util.find_spec("paddleocr") is not None and importlib.util.find_spec("paddle") is not None


def read_lines(engine: OcrEngine, images: list[np.ndarray]) -> list[str]:
    return [" ".join(b.text for b in page.boxes) for page in engine.recognize(images)]


@pytest.fixture(scope="module")
def default_engine() -> OcrEngine:
    return engine_for(current_options())


def test_the_engine_is_built_once_per_process_and_options(default_engine: OcrEngine) -> None:
    assert engine_for(current_options()) is default_engine
    assert engine_for(OcrOptions(batch_size=3)) is not default_engine
    assert default_engine.name == "ppocr-onnx"
    assert default_engine.device == "cpu"


def test_default_models_read_german_letters(default_engine: OcrEngine) -> None:
    # GIVEN German words rendered at 200 dpi WHEN the default engine reads them THEN every letter is right
    got = read_lines(default_engine, word_lines(GERMAN))
    assert got == GERMAN


def test_ppocrv4_models_lack_german_letters_the_default_has() -> None:
    # the measurement behind the default: PP-OCRv4's dictionary has no ö, Ä, Ö or ß, so it cannot read them
    v4 = engine_for(OcrOptions(models="ppocrv4", second_look=None))
    got = read_lines(v4, word_lines(GERMAN))
    assert sum(g == w for g, w in zip(got, GERMAN, strict=True)) <= len(GERMAN) // 2
    assert not any(ch in "".join(got) for ch in "öÄÖß")


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The settings the ocr service needs besides the OCR ones; the OCR ones as their defaults."""
    for name, value in {"NATS_URL": "nats://127.0.0.1:4222", "S3_ENDPOINT_URL": "http://127.0.0.1:9000",
                        "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s",
                        "DATABASE_URL": "postgresql://ocr:p@127.0.0.1:5432/belegflow"}.items():  # fmt: skip
        monkeypatch.setenv(f"BELEGFLOW_{name}", value)
    for name in ("OCR_WORKERS", "OCR_THREADS", "OCR_DEVICE", "OCR_SECOND_LOOK", "OCR_SECOND_LOOK_BELOW"):
        monkeypatch.delenv(f"BELEGFLOW_{name}", raising=False)
    return monkeypatch


def test_settings_choose_the_engine_and_refuse_unknown_values(service_env: pytest.MonkeyPatch) -> None:
    monkeypatch = service_env
    monkeypatch.setenv("BELEGFLOW_OCR_ENGINE", "tesseract")
    monkeypatch.setenv("BELEGFLOW_OCR_DPI", "300")
    options = Settings().ocr_options()  # type: ignore[call-arg]
    assert (options.engine, options.dpi, options.device) == ("tesseract", 300, "cpu")
    assert options.threads == max(1, (os.cpu_count() or 1))
    monkeypatch.setenv("BELEGFLOW_OCR_WORKERS", str(2 * (os.cpu_count() or 1)))
    assert Settings().ocr_options().threads == 1  # type: ignore[call-arg]
    _refused(monkeypatch, "OCR_ENGINE", "abbyy")
    _refused(monkeypatch, "OCR_DEVICE", "tpu")


def _refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """The settings refuse ``BELEGFLOW_<name>=<value>``, naming the setting; the variable is unset again."""
    monkeypatch.setenv(f"BELEGFLOW_{name}", value)
    with pytest.raises(ValidationError, match=name.lower()):
        Settings()  # type: ignore[call-arg]
    monkeypatch.delenv(f"BELEGFLOW_{name}")


def test_unknown_engine_or_model_set_is_a_clear_start_up_error() -> None:
    with pytest.raises(OcrEngineUnavailableError, match="unknown engine"):
        check_engine(OcrOptions(engine="abbyy"))
    with pytest.raises(OcrEngineUnavailableError, match="unknown model set"):
        check_engine(OcrOptions(models="ppocrv9"))


def test_cuda_without_a_cuda_onnxruntime_is_a_clear_start_up_error() -> None:
    import onnxruntime  # type: ignore[import-untyped, unused-ignore]

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine has a CUDA build of onnxruntime")
    with pytest.raises(OcrEngineUnavailableError, match="CUDAExecutionProvider") as info:
        check_engine(OcrOptions(device="cuda"))
    assert "gpu" in info.value.missing


# --- paddle: models only from a local directory ----------------------------------------------------


def test_paddle_without_a_model_dir_names_the_setting() -> None:
    with pytest.raises(OcrEngineUnavailableError, match="BELEGFLOW_PADDLE_MODEL_DIR is not set"):
        check_engine(OcrOptions(engine="paddle"))


def test_paddle_with_a_missing_model_dir_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(OcrEngineUnavailableError, match=f"{missing} does not exist"):
        check_engine(OcrOptions(engine="paddle", paddle_model_dir=missing))


def test_paddle_with_incomplete_models_names_every_missing_file(tmp_path: Path) -> None:
    (tmp_path / "det").mkdir()
    (tmp_path / "det" / "inference.json").write_text("{}")
    with pytest.raises(OcrEngineUnavailableError) as info:
        check_engine(OcrOptions(engine="paddle", paddle_model_dir=tmp_path))
    message = str(info.value)
    assert f"{tmp_path / 'det' / 'inference.pdiparams'} is missing" in message
    assert f"folder {tmp_path / 'rec'} does not exist" in message


def test_paddle_with_models_but_without_the_package_says_which_extra(tmp_path: Path) -> None:
    if HAS_PADDLE:
        pytest.skip("paddleocr and paddlepaddle are installed here")
    for name in ("det", "rec"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "inference.json").write_text("{}")
        (tmp_path / name / "inference.pdiparams").write_bytes(b"")
    with pytest.raises(OcrEngineUnavailableError, match=r"belegflow-ocr\[paddle\]"):
        check_engine(OcrOptions(engine="paddle", paddle_model_dir=tmp_path))


def test_a_reader_whose_engine_cannot_start_raises_a_recognition_error(tmp_path: Path) -> None:
    image = Image.new("RGB", (100, 50), "white")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    with OcrReader(OcrOptions(engine="paddle", paddle_model_dir=tmp_path / "none")) as reader, \
            pytest.raises(OcrEngineError, match="does not exist"):  # fmt: skip
        reader.read(buf.getvalue(), filename="scan.png")


@pytest.mark.skipif(not HAS_PADDLE, reason="paddleocr and paddlepaddle are not installed (extra belegflow-ocr[paddle])")
def test_paddle_engine_needs_its_model_dir_even_when_installed(tmp_path: Path) -> None:
    with pytest.raises(OcrEngineUnavailableError, match="does not exist"):
        create_engine(OcrOptions(engine="paddle", paddle_model_dir=tmp_path / "none"))


# --- tesseract, where installed ----------------------------------------------------------------------


def test_tesseract_tsv_words_are_parsed_with_their_confidence() -> None:
    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
           "1\t1\t0\t0\t0\t0\t0\t0\t1654\t2339\t-1\t\n"
           "5\t1\t1\t1\t1\t1\t100\t200\t80\t30\t96.5\tStraße\n"
           "5\t1\t1\t1\t1\t2\t190\t200\t40\t30\t-1\t \n")  # fmt: skip
    boxes = parse_tsv(tsv)
    assert [(b.text, round(b.confidence, 3), b.box) for b in boxes] == [("Straße", 0.965, (100, 200, 180, 230))]


def test_tesseract_missing_language_is_a_clear_error() -> None:
    if not HAS_TESSERACT:
        with pytest.raises(OcrEngineUnavailableError, match="tesseract binary is not on PATH"):
            check_engine(OcrOptions(engine="tesseract"))
        return
    with pytest.raises(OcrEngineUnavailableError, match="language data xyz is not installed"):
        check_engine(OcrOptions(engine="tesseract", tesseract_lang="xyz"))


def test_tesseract_orientation_output_is_parsed() -> None:
    osd = "Page number: 0\nOrientation in degrees: 270\nRotate: 90\nOrientation confidence: 16.18\nScript: Latin\n"
    rotate, confidence = parse_rotation(osd)
    assert rotate == 90
    assert confidence == pytest.approx(16.18)
    assert parse_rotation("Rotate: 45\n") == (0, 0.0)
    assert parse_rotation("garbage") == (0, 0.0)


@pytest.mark.skipif(not HAS_TESSERACT, reason="tesseract is not installed (make install-tesseract)")
@pytest.mark.parametrize("turn", [0, 90])
def test_tesseract_reads_a_rendered_invoice(generator: ModuleType, tmp_path: Path, turn: int) -> None:
    try:
        check_engine(OcrOptions(engine="tesseract"))
    except OcrEngineUnavailableError as exc:
        pytest.skip(str(exc))
    if turn and "osd" not in languages(shutil.which("tesseract") or "tesseract"):
        pytest.skip("tesseract's osd data is not installed")
    path = generator.generate(tmp_path, seed=77, count=1)[0]
    truth: dict[str, Any] = json.loads(path.with_name(path.stem + ".truth.json").read_text(encoding="utf-8"))
    document = pdfium.PdfDocument(str(path))
    image = document[0].render(scale=200 / 72).to_pil().convert("RGB").rotate(turn, expand=True)
    document.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=(200, 200))
    with OcrReader(OcrOptions(engine="tesseract")) as reader:
        result = reader.read(buf.getvalue(), filename="scan.png")
    for name in ("invoice_number", "invoice_date", "gross_amount", "supplier_iban"):
        field = getattr(result.fields, name)
        assert field is not None, name
        assert str(field.value) == truth["fields"][name]
    summary = next(e for e in result.protocol if e.message.startswith("ocr: engine"))
    assert summary.data["engine"] == "tesseract"
    page = next(e for e in result.protocol if e.message.startswith("ocr: page 1"))
    assert page.data["rotation"] == str(turn)  # clockwise degrees that undid the counter-clockwise turn


def test_a_repeat_can_ask_the_registry_for_another_engine() -> None:
    with pytest.raises(OcrEngineUnavailableError, match="unknown engine"):
        default_registry(ocr_engine="abbyy")
    if not HAS_TESSERACT:
        pytest.skip("tesseract is not installed (make install-tesseract)")
    buf = io.BytesIO()
    Image.fromarray(np.vstack(word_lines(["Rechnung Nr. 4711"]))).save(buf, format="PNG")
    result = default_registry(ocr_engine="tesseract").recognize(buf.getvalue(), filename="scan.png")
    summary = next(e for e in result.protocol if e.message.startswith("ocr: engine"))
    assert summary.data["engine"] == "tesseract"
    assert "4711" in result.text


# --- geometry and words ----------------------------------------------------------------------------


def _quad(x0: float, y0: float, x1: float, y1: float, angle: float = 0.0) -> np.ndarray:
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    t = np.radians(angle)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) - [cx, cy]
    quad: np.ndarray = (pts @ rot.T + [cx, cy]).astype(np.float32)
    return quad


def test_skew_is_the_median_angle_of_long_boxes_and_is_taken_out() -> None:
    quads = [_quad(100, 100 + 40 * i, 700, 130 + 40 * i, 1.5) for i in range(5)] + [_quad(50, 50, 60, 60, 30)]
    assert skew_of(quads) == pytest.approx(1.5, abs=0.05)
    x0, y0, x1, y1 = deskew_box(quads[0], 1.5, 1000, 1400)
    assert y1 - y0 == pytest.approx(30, abs=1)
    assert x1 - x0 == pytest.approx(600, abs=1)


def test_a_page_on_its_side_has_mostly_vertical_boxes() -> None:
    assert mostly_vertical([_quad(100 + 40 * i, 100, 130 + 40 * i, 700) for i in range(4)])
    assert not mostly_vertical([_quad(100, 100 + 40 * i, 700, 130 + 40 * i) for i in range(4)])


def test_a_text_box_is_split_into_words_by_their_letters() -> None:
    words = split_words("Rechnung Nr. 4711", (0.0, 100.0, 340.0, 140.0), page=2, scale=0.5, height_factor=1.0,
                        confidence=0.9)  # fmt: skip
    assert [w.text for w in words] == ["Rechnung", "Nr.", "4711"]
    assert all(w.page == 2 and w.confidence == 0.9 for w in words)
    assert words[0].bbox[0] == 0.0
    assert words[-1].bbox[2] == pytest.approx(170.0)
    assert words[0].bbox[2] < words[1].bbox[0] < words[1].bbox[2] < words[2].bbox[0]
    assert words[0].bbox[1:4:2] == (50.0, 70.0)


def test_field_confidence_is_scaled_by_the_words_it_was_read_from() -> None:
    number = TextFieldV1(value="4711", confidence=0.9, page=1, bbox=(10, 10, 50, 20))
    name = TextFieldV1(value="A", confidence=0.8, page=1, bbox=(10, 40, 50, 50))
    fields = InvoiceFieldsV1(invoice_number=number, supplier_name=name)
    words = [Word("4711", 1, (12, 11, 48, 19), 9, 0.5), Word("A", 1, (12, 41, 20, 49), 9, 1.0),
             Word("4711", 2, (12, 11, 48, 19), 9, 0.1)]  # fmt: skip
    log = ProtocolLog()
    result = with_ocr_confidence(fields, words, log)
    assert result.invoice_number is not None
    assert result.invoice_number.confidence == pytest.approx(0.45)
    assert result.supplier_name == fields.supplier_name
    assert len(log.entries) == 1


class _Lines:
    """A recogniser that reads every crop as given and records which crops it was asked to read."""

    def __init__(self, readings: dict[int, tuple[str, float]]) -> None:
        self.readings = readings
        self.asked: list[int] = []

    def __call__(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        keys = [int(c[0, 0, 0]) for c in crops]
        self.asked += keys
        return [self.readings[k] for k in keys]


def test_the_second_look_reads_only_the_unsure_lines_again_and_keeps_the_surer_reading() -> None:
    engine: Any = create_engine(OcrOptions(second_look="ppocrv6-small", second_look_below=0.9))
    first = _Lines({0: ("TOTAL", 0.99), 1: ("GUARD1AN", 0.62), 2: ("12.5O", 0.80), 3: ("SDN BHD", 0.95)})
    second = _Lines({1: ("GUARDIAN", 0.97), 2: ("12.S0", 0.55)})
    engine._recognizer, engine._second_look = first, second
    crops = [np.full((4, 4, 3), k, np.uint8) for k in range(4)]
    got = engine._read(crops)
    assert second.asked == [1, 2]  # only the lines read with a confidence below 0.9
    assert got == [("TOTAL", 0.99), ("GUARDIAN", 0.97), ("12.5O", 0.80), ("SDN BHD", 0.95)]


def test_the_second_look_is_built_from_its_own_model_set_or_not_at_all() -> None:
    engine: Any = create_engine(OcrOptions(second_look=None))
    assert engine._second_look is None
    assert create_engine(OcrOptions(models="ppocrv6-small", second_look="ppocrv6-small"))._second_look is None  # type: ignore[attr-defined]
    with pytest.raises(OcrEngineUnavailableError, match="unknown model set 'ppocrv9'"):
        check_engine(OcrOptions(second_look="ppocrv9"))
    with pytest.raises(OcrEngineUnavailableError, match="no confidence between 0 and 1"):
        check_engine(OcrOptions(second_look_below=1.5))


def test_the_second_look_reads_rendered_words_as_well_as_the_first(default_engine: OcrEngine) -> None:
    # every line read twice (threshold 1.0): nothing the first reading had right is lost
    both = engine_for(OcrOptions(second_look="ppocrv6-small", second_look_below=1.0))
    assert read_lines(both, word_lines(GERMAN)) == GERMAN


def test_settings_switch_the_second_look_off_or_refuse_an_unknown_model_set(service_env: pytest.MonkeyPatch) -> None:
    monkeypatch = service_env
    assert Settings().ocr_options().second_look == "ppocrv6-small"  # type: ignore[call-arg]
    monkeypatch.setenv("BELEGFLOW_OCR_SECOND_LOOK", "off")
    assert Settings().ocr_options().second_look is None  # type: ignore[call-arg]
    _refused(monkeypatch, "OCR_SECOND_LOOK", "ppocrv9")
    _refused(monkeypatch, "OCR_SECOND_LOOK_BELOW", "2")
