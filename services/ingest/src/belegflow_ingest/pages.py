"""The document's pages for the desk: each page as a picture (a PDF rendered with pdfium, a scan as stored),
and the positioned words and page sizes recognition kept in its work product, for the boxes drawn on it.

Coordinates are PDF points from the page's top-left corner, as the contract's bboxes are; the desk draws them
in an SVG whose view box is the page's size in points, so they fit the picture at any zoom.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.types import ObjectRef

if TYPE_CHECKING:
    from belegflow_contracts.runtime.storage import ObjectStore

log = get_logger(__name__)
WORK = "work"  # ocr's bucket of work products
WIDTHS: Final = (800, 1200, 1600)
"""Picture widths the desk asks for (pixels): the screen's, and two zoom steps; nothing else is rendered."""
MAX_PAGES: Final = 200
MAX_PIXELS: Final = 1600 * 1600 * 3
_CACHE_ENTRIES: Final = 64
_PDF: Final = "application/pdf"
# pdfium is not thread-safe: one rendering at a time per process
_pdfium = asyncio.Lock()


class PageNotFoundError(Exception):
    """The document has no such page, or no page picture at all (an e-invoice XML)."""


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    page: int
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Layout:
    """What the work product knows of the pages: sizes in points and the positioned words."""

    sizes: dict[int, tuple[float, float]]
    words: list[Word]

    def words_on(self, page: int) -> list[Word]:
        return [w for w in self.words if w.page == page]


def work_key(tenant: str, document_id: str, revision: int) -> str:
    """Where ocr keeps a revision's recognition output (its ``store.work_key``)."""
    return f"{tenant}/{document_id}/r{revision}/recognition-v1.json"


def layout_of(product: dict[str, Any]) -> Layout:
    sizes = {int(p["number"]): (float(p["width"]), float(p["height"]))
             for p in product.get("pages") or [] if isinstance(p, dict)}
    words = []
    for w in product.get("words") or []:
        box = w.get("bbox") if isinstance(w, dict) else None
        if not box or len(box) != 4 or not str(w.get("text", "")).strip():
            continue
        words.append(Word(text=str(w["text"]), page=int(w.get("page") or 1),
                          bbox=(float(box[0]), float(box[1]), float(box[2]), float(box[3]))))
    return Layout(sizes=sizes, words=words)


async def layout(objects: ObjectStore, tenant: str, document_id: str, revision: int) -> Layout:
    """The revision's page sizes and words; empty while recognition has not finished (or read an XML)."""
    data = await objects.get_bytes(WORK, work_key(tenant, document_id, revision))
    if data is None:
        return Layout(sizes={}, words=[])
    try:
        return layout_of(json.loads(data))
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("desk: work product unreadable, no words on the page", error=str(exc))
        return Layout(sizes={}, words=[])


class PageCache:
    """Rendered pages by (original's hash, page, width): the same picture is rendered once (LRU, bounded)."""

    def __init__(self, entries: int = _CACHE_ENTRIES) -> None:
        self._entries = entries
        self._pictures: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._counts: dict[str, int] = {}

    def get(self, key: tuple[str, int, int]) -> bytes | None:
        found = self._pictures.get(key)
        if found is not None:
            self._pictures.move_to_end(key)
        return found

    def put(self, key: tuple[str, int, int], picture: bytes) -> None:
        self._pictures[key] = picture
        self._pictures.move_to_end(key)
        while len(self._pictures) > self._entries:
            self._pictures.popitem(last=False)

    def count(self, sha256: str) -> int | None:
        return self._counts.get(sha256)

    def set_count(self, sha256: str, pages: int) -> None:
        self._counts[sha256] = pages


CACHE: Final = PageCache()


def sized(width: int) -> int:
    """The nearest width the desk renders (so a caller cannot make the server render arbitrary sizes)."""
    return min(WIDTHS, key=lambda w: abs(w - width))


def _render_pdf(data: bytes, page: int, width: int) -> tuple[bytes, int]:
    import pypdfium2  # type: ignore[import-untyped, unused-ignore]

    pdf = pypdfium2.PdfDocument(data)
    try:
        count = len(pdf)
        if not 1 <= page <= min(count, MAX_PAGES):
            raise PageNotFoundError(f"page {page} of {count}")
        handle = pdf[page - 1]
        try:
            points_wide, points_high = handle.get_width(), handle.get_height()
            # a page far taller than wide is drawn smaller rather than as a bitmap of any size
            scale = min(width / points_wide, (MAX_PIXELS / (points_wide * points_high)) ** 0.5)
            bitmap = handle.render(scale=scale)
            image = bitmap.to_pil()
        finally:
            handle.close()
    finally:
        pdf.close()
    return _png(image), count


def _render_image(data: bytes, page: int, width: int) -> tuple[bytes, int]:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        count = getattr(image, "n_frames", 1)
        if not 1 <= page <= min(count, MAX_PAGES):
            raise PageNotFoundError(f"page {page} of {count}")
        image.seek(page - 1)
        frame = ImageOps.exif_transpose(image.convert("RGB"))
        height = max(1, round(frame.height * width / frame.width))
        if width * height > MAX_PIXELS:  # a strip far taller than wide is shown smaller
            shrink = (MAX_PIXELS / (width * height)) ** 0.5
            width, height = max(1, int(width * shrink)), max(1, int(height * shrink))
        return _png(frame.resize((width, height))), count


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def renders(media_type: str) -> bool:
    return media_type == _PDF or media_type.startswith("image/")


async def picture(objects: ObjectStore, original: ObjectRef, media_type: str, page: int, width: int) -> bytes:
    """Page ``page`` of the original as a PNG ``width`` pixels wide (one of ``WIDTHS``), from the cache when seen."""
    key = (original.sha256, page, sized(width))
    cached = CACHE.get(key)
    if cached is not None:
        return cached
    if not renders(media_type):
        raise PageNotFoundError(f"a {media_type} has no pages to show")
    data = await objects.get_verified(original)
    render = _render_pdf if media_type == _PDF else _render_image
    async with _pdfium:
        try:
            png, count = await asyncio.to_thread(render, data, page, key[2])
        except PageNotFoundError:
            raise
        except Exception as exc:  # whatever pdfium or Pillow refuse: the page is not shown
            raise PageNotFoundError(f"page {page} cannot be rendered: {exc}") from exc
    CACHE.put(key, png)
    CACHE.set_count(original.sha256, count)
    return png


async def page_count(objects: ObjectStore, original: ObjectRef, media_type: str, known: Layout) -> int:
    """How many pages the desk can show: recognition's count, else the original's (read once)."""
    if known.sizes:
        return max(known.sizes)
    if not renders(media_type):
        return 0
    cached = CACHE.count(original.sha256)
    if cached is None:
        try:
            await picture(objects, original, media_type, 1, WIDTHS[0])
        except PageNotFoundError:
            return 0
        cached = CACHE.count(original.sha256) or 0
    return min(cached, MAX_PAGES)


__all__ = ["CACHE", "WIDTHS", "Layout", "PageCache", "PageNotFoundError", "Word", "layout", "layout_of",
           "page_count", "picture", "renders", "sized", "work_key"]
