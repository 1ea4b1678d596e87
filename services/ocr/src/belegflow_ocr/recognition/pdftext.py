"""Reads the text layer of a born-digital PDF into positioned words with pypdfium2."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped, unused-ignore]

from belegflow_contracts.messages import InvoiceFieldsV1, MediaType
from belegflow_ocr.errors import (
    CorruptPdfError,
    EmptyDocumentError,
    EncryptedPdfError,
    PageSizeError,
    TooManyPagesError,
    TruncatedPdfError,
)
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.layout import build_lines
from belegflow_ocr.recognition.model import (
    PageInfo,
    ProtocolLog,
    Recognition,
    RecognitionStatus,
    Word,
)
from belegflow_ocr.recognition.readers import BaseReader
from belegflow_ocr.recognition.sniff import sniff_media_type

# Acrobat looks for %%EOF in the last KiB; we allow some trailing junk beyond that.
_EOF_WINDOW = 2048
# Fewer readable characters than this on all pages: a scan with a stray header, not a text layer.
_MIN_TEXT_CHARS = 20
_MIN_READABLE_RATIO = 0.6


@dataclass(frozen=True, slots=True)
class PdfLimits:
    max_pages: int = 200
    # 14 400 pt (200 in) is the largest page the PDF spec allows without UserUnit scaling.
    max_page_side: float = 14_400.0


@dataclass(frozen=True, slots=True)
class TextLayer:
    pages: list[PageInfo]
    words: list[Word]
    chars: int
    readable: int

    @property
    def usable(self) -> bool:
        return self.readable >= _MIN_TEXT_CHARS and self.readable >= _MIN_READABLE_RATIO * max(self.chars, 1)


def _is_readable(ch: str) -> bool:
    if ch.isspace():
        return False
    category = unicodedata.category(ch)
    # Private use and unassigned code points come from fonts without a usable ToUnicode map.
    return category[0] in "LNPS" and category not in ("Co", "Cn") and ch != "\ufffd"


def _open(data: bytes, *, filename: str) -> object:
    if not data:
        raise EmptyDocumentError(filename=filename)
    if sniff_media_type(data) != MediaType.PDF.value:
        raise CorruptPdfError(filename=filename, detail="no %PDF- header")
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise TruncatedPdfError(filename=filename, size=len(data))
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedPdfError(filename=filename) from exc
        raise CorruptPdfError(filename=filename, detail=str(exc)) from exc


def whole_text(text: str) -> str:
    """Text as pdfium hands it over, made valid: it gives UTF-16 units one by one, so a character outside the
    basic plane (an emoji in a font) arrives as two surrogates, and a broken font as a lone one. Pairs are
    joined, a lone surrogate becomes U+FFFD: such text can always be stored and sent (UTF-8)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass(frozen=True, slots=True)
class _View:
    """How a page is shown: its crop box and its /Rotate (clockwise, in degrees). Positions are given as shown,
    from the top left corner: a page saved turned ("/Rotate 90" over landscape content, as a viewer or a
    scanner writes it) is read the way a person sees it."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int = 0

    @property
    def size(self) -> tuple[float, float]:
        width, height = self.right - self.left, self.top - self.bottom
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """A box in PDF user space (x0, y0, x1, y1 from the bottom left) as shown (from the top left)."""
        if self.rotation == 0:  # most pages, and every character of them: no corners to sort
            return left - self.left, self.top - top, right - self.left, self.top - bottom
        corners = [self._point(left, bottom), self._point(right, top)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return min(xs), min(ys), max(xs), max(ys)

    def _point(self, x: float, y: float) -> tuple[float, float]:
        if self.rotation == 90:
            return y - self.bottom, x - self.left
        if self.rotation == 180:
            return self.right - x, y - self.bottom
        if self.rotation == 270:
            return self.top - y, self.right - x
        return x - self.left, self.top - y


class _Printed:
    """The characters of a page so far, to know one printed again over itself: a generator's "bold" that prints
    each line twice a fraction of a point apart, or a second text layer laid over the first. Such a copy would
    double every word ("Hotel Hotel Zum Zum Stadtpark Stadtpark")."""

    _CELL = 8.0

    def __init__(self) -> None:
        self._at: dict[tuple[str, int, int], list[tuple[float, float]]] = {}

    def again(self, ch: str, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether ``ch`` in its box stands on a copy of itself already printed (centres closer than half its
        width and a quarter of its height: the next letter of "ll" or "00" is a whole width away); else it is
        noted."""
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = max(x1 - x0, 0.2) / 2, max(y1 - y0, 0.4) / 4
        cell = self._CELL
        # the cells the window around the centre touches: one, rarely two or four
        for i in range(int((cx - dx) // cell), int((cx + dx) // cell) + 1):
            for j in range(int((cy - dy) // cell), int((cy + dy) // cell) + 1):
                for px, py in self._at.get((ch, i, j), ()):
                    if abs(px - cx) < dx and abs(py - cy) < dy:
                        return True
        self._at.setdefault((ch, int(cx // cell), int(cy // cell)), []).append((cx, cy))
        return False


def _page_words(textpage: object, page_no: int, view: _View) -> tuple[list[Word], int, int]:
    """Groups characters into words; a word ends at white space or a jump in position. A character printed over
    a copy of itself is read once."""
    printed = _Printed()
    words: list[Word] = []
    count: int = textpage.count_chars()  # type: ignore[attr-defined]
    readable = 0
    buf: list[str] = []
    box: list[float] = []
    size = 0.0

    def flush() -> None:
        nonlocal buf, box
        if buf:
            words.append(Word(whole_text("".join(buf)), page_no, (box[0], box[1], box[2], box[3]), size))
        buf, box = [], []

    for i in range(count):
        ch = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
        if ch.isspace() or ch in "\x00\x02\ufffe":
            flush()
            continue
        if unicodedata.category(ch) == "Cc":  # a control character a font maps a glyph to: no text
            continue
        if _is_readable(ch):
            readable += 1
        x0, y0, x1, y1 = view.box(*textpage.get_charbox(i, loose=True))  # type: ignore[attr-defined]
        if printed.again(ch, x0, y0, x1, y1):
            continue
        if box:
            height = box[3] - box[1]
            same_line = abs((y0 + y1) / 2 - (box[1] + box[3]) / 2) < height * 0.5
            # A gap wider than a space means a new word even where the PDF has no space character.
            adjacent = -height * 0.5 <= x0 - box[2] <= height * 0.25
            if not (same_line and adjacent):
                flush()
        if not box:
            box = [x0, y0, x1, y1]
            size = float(pdfium_c.FPDFText_GetFontSize(textpage, i))
        else:
            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
        buf.append(ch)
    flush()
    return words, count, readable


# Choosing a reader reads a PDF's text layer (is it usable?) and the chosen reader reads the same bytes again:
# while one document is recognised (``one_document``), the layer is read once. Keyed by the bytes object's
# identity, never by an equal copy; each entry holds its bytes, so no other object can take that identity.
_layers: ContextVar[dict[tuple[int, PdfLimits], tuple[bytes, TextLayer]] | None] = ContextVar("text_layers",
                                                                                               default=None)


@contextmanager
def one_document() -> Iterator[None]:
    """Text layers read inside are kept until it ends (one document's recognition)."""
    token = _layers.set({})
    try:
        yield
    finally:
        _layers.reset(token)


def read_text_layer(data: bytes, *, filename: str, limits: PdfLimits | None = None) -> TextLayer:
    """Positioned words of every page; raises a specific error for empty, damaged or absurd PDFs."""
    limits = limits or PdfLimits()
    kept = _layers.get()
    hit = kept.get((id(data), limits)) if kept is not None else None
    if hit is not None:
        layer = hit[1]
    else:
        layer = _read_text_layer(data, filename=filename, limits=limits)
        if kept is not None:
            kept[(id(data), limits)] = (data, layer)
    # each caller its own lists (the words are frozen)
    return TextLayer(pages=list(layer.pages), words=list(layer.words), chars=layer.chars, readable=layer.readable)


def _read_text_layer(data: bytes, *, filename: str, limits: PdfLimits) -> TextLayer:
    pdf = _open(data, filename=filename)
    try:
        page_count: int = len(pdf)  # type: ignore[arg-type]
        if page_count == 0:
            raise CorruptPdfError(filename=filename, detail="no pages")
        if page_count > limits.max_pages:
            raise TooManyPagesError(filename=filename, pages=page_count, limit=limits.max_pages)
        pages: list[PageInfo] = []
        words: list[Word] = []
        chars = readable = 0
        for index in range(page_count):
            page = pdf[index]  # type: ignore[index]
            try:
                left, bottom, right, top = (float(v) for v in page.get_cropbox())
                view = _View(left, bottom, right, top, int(page.get_rotation()) % 360)
                width, height = view.size
                if not (1.0 <= width <= limits.max_page_side and 1.0 <= height <= limits.max_page_side):
                    raise PageSizeError(
                        filename=filename, page=index + 1, width=width, height=height, limit=limits.max_page_side
                    )
                pages.append(PageInfo(number=index + 1, width=width, height=height))
                textpage = page.get_textpage()
                try:
                    page_words, n, r = _page_words(textpage, index + 1, view)
                finally:
                    textpage.close()
                words.extend(page_words)
                chars += n
                readable += r
            finally:
                page.close()
        return TextLayer(pages=pages, words=words, chars=chars, readable=readable)
    finally:
        pdf.close()  # type: ignore[attr-defined]


class PdfTextReader(BaseReader):
    """Born-digital PDFs: reads the text layer; a PDF without one is left to OCR."""

    name = "pdf-text"

    def __init__(self, limits: PdfLimits | None = None) -> None:
        super().__init__()
        self.limits = limits or PdfLimits()

    def score(self, data: bytes, media_type: str) -> int:
        # Below the e-invoice readers (a PDF carrying XML is read from the XML), above OCR.
        return 50 if media_type == MediaType.PDF.value and sniff_media_type(data) == MediaType.PDF.value else 0

    def read(self, data: bytes, *, filename: str) -> Recognition:
        log = ProtocolLog()
        layer = read_text_layer(data, filename=filename, limits=self.limits)
        text = "\n".join(_page_text(layer.words, page.number) for page in layer.pages)
        if not layer.usable:
            log.warning(
                f"pdf-text: no usable text layer ({layer.readable} readable of {layer.chars} chars on "
                f"{len(layer.pages)} pages) - OCR needed, no OCR engine configured; fields left empty",
                chars=layer.chars,
                readable=layer.readable,
                pages=len(layer.pages),
            )
            return Recognition(
                reader=self.name,
                status=RecognitionStatus.NO_TEXT_LAYER,
                fields=InvoiceFieldsV1(),
                lines=[],
                protocol=log.entries,
                words=layer.words,
                text=text,
                pages=layer.pages,
            )
        log.info(
            f"pdf-text: born-digital, {layer.readable} chars on {len(layer.pages)} pages - OCR skipped",
            chars=layer.chars,
            words=len(layer.words),
            pages=len(layer.pages),
        )
        fields, lines = extract_fields(layer.words, layer.pages, log)
        return Recognition(
            reader=self.name,
            status=RecognitionStatus.RECOGNIZED,
            fields=fields,
            lines=lines,
            protocol=log.entries,
            words=layer.words,
            text=text,
            pages=layer.pages,
        )


def _page_text(words: list[Word], page: int) -> str:

    return "\n".join(line.text for line in build_lines(w for w in words if w.page == page))
