"""Text whose font hands pdfium astral characters or broken surrogates never fails a document."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from belegflow_ocr.recognition import pdftext
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.model import PageInfo, ProtocolLog


class _TextPage:
    """What pdfium's text page answers, one UTF-16 unit per character, as it does for a real PDF."""

    def __init__(self, text: str) -> None:
        self.units = _units(text)

    def count_chars(self) -> int:
        return len(self.units)

    def get_charbox(self, i: int, loose: bool = True) -> tuple[float, float, float, float]:
        return (50.0 + 6 * i, 700.0, 55.0 + 6 * i, 710.0)


def _units(text: str) -> list[int]:
    raw = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(raw[i : i + 2], "little") for i in range(0, len(raw), 2)]


@pytest.fixture
def fake_pdfium(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(page: _TextPage) -> None:
        monkeypatch.setattr(pdftext, "pdfium_c", SimpleNamespace(
            FPDFText_GetUnicode=lambda _tp, i: page.units[i], FPDFText_GetFontSize=lambda _tp, _i: 10.0))
    return install


@pytest.mark.parametrize(
    ("printed", "read"),
    [
        ("Danke 😀 RE-4711", ["Danke", "😀", "RE-4711"]),           # a pair of surrogates is one character
        ("Summe \ud83d 119,00", ["Summe", "\ufffd", "119,00"]),      # a lone surrogate becomes U+FFFD
        ("\udc00abc", ["\ufffdabc"]),
        ("RE-0815\x1b \x07 Nr", ["RE-0815", "Nr"]),                 # a control character is no text
    ],
)
def test_surrogates_from_a_font_become_valid_text(fake_pdfium: Any, printed: str, read: list[str]) -> None:
    page = _TextPage(printed)
    fake_pdfium(page)
    words, count, _ = pdftext._page_words(page, 1, pdftext._View(0.0, 0.0, 595.0, 842.0))
    assert count == len(_units(printed))
    assert [w.text for w in words] == read
    # THEN everything recognition makes of them can be stored and sent as UTF-8 (the pipeline's JSON)
    fields, lines = extract_fields(words, [PageInfo(1, 595.0, 842.0)], ProtocolLog())
    payload = json.dumps({"words": [w.to_json() for w in words], "fields": fields.model_dump(mode="json"),
                          "lines": [ln.model_dump(mode="json") for ln in lines]}, ensure_ascii=False)
    payload.encode("utf-8")
