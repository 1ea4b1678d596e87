"""The desk's page view: pages rendered once per size, words and page sizes from recognition's work product."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from belegflow_contracts.runtime.storage import sha256_hex
from belegflow_contracts.types import ObjectRef
from belegflow_ingest import pages

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


class _Objects:
    """An object store holding a few objects, counting reads."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects, self.reads = objects, 0

    async def get_bytes(self, bucket: str, key: str) -> bytes | None:
        self.reads += 1
        return self.objects.get((bucket, key))

    async def get_verified(self, ref: ObjectRef) -> bytes:
        self.reads += 1
        return self.objects[(ref.bucket, ref.key)]


def _ref(data: bytes, key: str) -> ObjectRef:
    return ObjectRef(bucket="originals", key=key, sha256=sha256_hex(data), size=len(data))


def test_a_pdf_page_is_rendered_at_a_desk_width_once() -> None:
    # GIVEN a PDF original
    data = (SAMPLES / "invoices" / "invoice-01-din.pdf").read_bytes()
    objects = _Objects({("originals", "a.pdf"): data})
    ref = _ref(data, "a.pdf")
    # WHEN page 1 is asked for twice, at a width the desk does not render
    first = asyncio.run(pages.picture(objects, ref, "application/pdf", 1, 1190))  # type: ignore[arg-type]
    again = asyncio.run(pages.picture(objects, ref, "application/pdf", 1, 1190))  # type: ignore[arg-type]
    # THEN it is a PNG of the nearest desk width, read and rendered once
    assert first == again
    assert objects.reads == 1
    assert Image.open(io.BytesIO(first)).width == 1200
    assert pages.CACHE.count(ref.sha256) == 1
    # AND a page the PDF lacks is no page
    with pytest.raises(pages.PageNotFoundError):
        asyncio.run(pages.picture(objects, ref, "application/pdf", 2, 800))  # type: ignore[arg-type]


def test_a_scan_is_shown_as_stored_and_an_xml_has_no_page() -> None:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), "white").save(out, format="PNG")
    objects = _Objects({("originals", "s.png"): out.getvalue()})
    ref = _ref(out.getvalue(), "s.png")
    png = asyncio.run(pages.picture(objects, ref, "image/png", 1, 800))  # type: ignore[arg-type]
    assert Image.open(io.BytesIO(png)).size == (800, 1067)
    with pytest.raises(pages.PageNotFoundError):
        asyncio.run(pages.picture(objects, _ref(b"<x/>", "x.xml"), "application/xml", 1, 800))  # type: ignore[arg-type]


def test_words_and_page_sizes_come_from_the_work_product() -> None:
    # GIVEN recognition's work product of revision 2
    product = {"pages": [{"number": 1, "width": 595.3, "height": 841.9}, {"number": 2, "width": 595.3,
                                                                           "height": 841.9}],
               "words": [{"text": "RE-1", "page": 1, "bbox": [400, 100, 440, 110]},
                         {"text": "  ", "page": 1, "bbox": [1, 1, 2, 2]},
                         {"text": "Summe", "page": 2, "bbox": [50, 700, 90, 710], "confidence": 0.9}]}
    objects = _Objects({("work", "t1/d1/r2/recognition-v1.json"): json.dumps(product).encode()})
    # WHEN the desk reads it
    known = asyncio.run(pages.layout(objects, "t1", "d1", 2))  # type: ignore[arg-type]
    # THEN it knows both pages in points and the words of each (blank words left out)
    assert known.sizes == {1: (595.3, 841.9), 2: (595.3, 841.9)}
    assert [w.text for w in known.words_on(1)] == ["RE-1"]
    assert known.words_on(2)[0].bbox == (50.0, 700.0, 90.0, 710.0)
    # AND a revision not recognised yet has none
    assert asyncio.run(pages.layout(objects, "t1", "d1", 3)).words == []  # type: ignore[arg-type]


def test_the_cache_forgets_the_oldest_picture() -> None:
    cache = pages.PageCache(entries=2)
    for n in (1, 2, 3):
        cache.put(("h", n, 800), bytes([n]))
    assert cache.get(("h", 1, 800)) is None
    assert cache.get(("h", 3, 800)) == b"\x03"


def test_a_strip_far_taller_than_wide_is_shown_smaller_not_as_a_huge_bitmap() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 20000), "white").save(out, format="PNG")
    objects = _Objects({("originals", "strip.png"): out.getvalue()})
    png = asyncio.run(pages.picture(objects, _ref(out.getvalue(), "strip.png"), "image/png", 1, 800))  # type: ignore[arg-type]
    width, height = Image.open(io.BytesIO(png)).size
    assert width * height <= pages.MAX_PIXELS
