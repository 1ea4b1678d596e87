"""Groups positioned words into lines and into segments (cells) separated by wide gaps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median

import numpy as np

from belegflow_ocr.recognition.model import BBox, Word

# A horizontal gap wider than this many times the font size separates two cells of a line.
_SEGMENT_GAP = 1.1


def union(boxes: Iterable[BBox]) -> BBox:
    bs = list(boxes)
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def rounded(box: BBox) -> BBox:
    return (round(box[0], 1), round(box[1], 1), round(box[2], 1), round(box[3], 1))


@dataclass(frozen=True, slots=True)
class Segment:
    words: tuple[Word, ...]
    # Computed once: extraction asks for a cell's text and box many times.
    text: str = field(init=False, compare=False, repr=False)
    bbox: BBox = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", " ".join(w.text for w in self.words))
        object.__setattr__(self, "bbox", union(w.bbox for w in self.words))

    @property
    def page(self) -> int:
        return self.words[0].page

    @property
    def size(self) -> float:
        return max(w.size or w.height for w in self.words)

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def x1(self) -> float:
        return self.bbox[2]


@dataclass(frozen=True, slots=True)
class Line:
    index: int
    segments: tuple[Segment, ...]
    text: str = field(init=False, compare=False, repr=False)
    bbox: BBox = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", " ".join(s.text for s in self.segments))
        object.__setattr__(self, "bbox", union(s.bbox for s in self.segments))

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def page(self) -> int:
        return self.segments[0].page

    @property
    def top(self) -> float:
        return self.bbox[1]

    @property
    def bottom(self) -> float:
        return self.bbox[3]

    @property
    def height(self) -> float:
        return median(w.height for w in self.words)


def _segments(words: Sequence[Word]) -> tuple[Segment, ...]:
    ordered = sorted(words, key=lambda w: w.bbox[0])
    groups: list[list[Word]] = [[ordered[0]]]
    for word in ordered[1:]:
        prev = groups[-1][-1]
        a, b = prev.size or prev.height, word.size or word.height
        size = max(a, b)
        # A wide gap, or type of a very different size (a title beside a name), starts a new cell.
        if word.bbox[0] - prev.bbox[2] > _SEGMENT_GAP * size or min(a, b) < 0.6 * size:
            groups.append([word])
        else:
            groups[-1].append(word)
    return tuple(Segment(tuple(g)) for g in groups)


def _mid(word: Word) -> float:
    return (word.bbox[1] + word.bbox[3]) / 2


class _Row:
    __slots__ = ("heights", "high", "low", "spans", "words")

    def __init__(self, word: Word, level: float) -> None:
        self.words = [word]
        self.low = self.high = level
        self.heights = [word.height]
        self.spans = [(word.bbox[0], word.bbox[2])]

    def height(self) -> float:
        return median(self.heights)

    def overlaps(self, other: _Row) -> bool:
        """Two words of one line do not overlap horizontally by more than half of the shorter (OCR boxes
        cut from one text box overlap a little)."""
        return any(
            min(a1, b1) - max(a0, b0) > 0.5 * min(a1 - a0, b1 - b0)
            for a0, a1 in self.spans
            for b0, b1 in other.spans
        )

    def absorb(self, other: _Row) -> None:
        self.words += other.words
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.heights += other.heights
        self.spans += other.spans


# Residual skew searched for, as dy/dx: up to about 2.3 degrees either way, in steps of about 0.06 degrees.
_SLOPES = [k / 1000 for k in range(-40, 41)]


def estimate_slope(words: Sequence[Word]) -> float:
    """The skew left in a page's word boxes (dy/dx), 0 for a straight page.

    Rows of text are sharpest, as a histogram of word middles over the page height, when the middles are
    first corrected by the right slope. A born-digital page is sharpest at 0; a scan that the OCR engine did
    not fully straighten is sharpest at its residual skew. Ties go to the smaller slope.
    """
    if len(words) < 12:
        return 0.0
    xs = np.array([(w.bbox[0] + w.bbox[2]) / 2 for w in words])
    ys = np.array([_mid(w) for w in words])
    widths = np.array([max(w.bbox[2] - w.bbox[0], 1.0) for w in words])
    x_mid = float(np.median(xs))
    bin_size = max(1.0, 0.3 * median(w.height for w in words))

    def sharpness(slope: float) -> float:
        best = 0.0
        levels = (ys - slope * (xs - x_mid)) / bin_size
        for offset in (0.0, 0.5):
            keys = np.floor(levels + offset).astype(np.int64)
            sums = np.bincount(keys - keys.min(), weights=widths)
            best = max(best, float(np.dot(sums, sums)))
        return best

    scores = {slope: sharpness(slope) for slope in _SLOPES}
    top = max(scores.values())
    return min((sl for sl, sc in scores.items() if sc >= 0.97 * top), key=abs)


def _rows(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped into rows, closest middles first: a row's middles stay within 0.4 of its text height.

    Merging the closest pairs first keeps two columns apart whose rows lie a few points apart (the window
    address beside the info block), where taking words top to bottom would chain them into one line.
    """
    slope = estimate_slope(words)
    x_mid = median((w.bbox[0] + w.bbox[2]) / 2 for w in words) if words else 0.0
    levels = [_mid(w) - slope * ((w.bbox[0] + w.bbox[2]) / 2 - x_mid) for w in words]
    rows = {i: _Row(w, levels[i]) for i, w in enumerate(words)}
    owner = list(range(len(words)))
    order = sorted(range(len(words)), key=lambda i: levels[i])
    pairs: list[tuple[float, int, int]] = []
    for k, i in enumerate(order):
        limit = 0.4 * max(words[i].height, 1e-6)
        for j in order[k + 1 :]:
            diff = levels[j] - levels[i]
            if diff > limit:
                break
            pairs.append((diff, i, j))
    pairs.sort()

    def find(i: int) -> int:
        while owner[i] != i:
            owner[i] = owner[owner[i]]
            i = owner[i]
        return i

    for _, i, j in pairs:
        a, b = find(i), find(j)
        if a == b:
            continue
        ra, rb = rows[a], rows[b]
        tolerance = 0.4 * min(ra.height(), rb.height())
        if max(ra.high, rb.high) - min(ra.low, rb.low) > tolerance or ra.overlaps(rb):
            continue
        ra.absorb(rb)
        owner[b] = a
        del rows[b]
    ordered = sorted(rows.values(), key=lambda r: ((r.low + r.high) / 2, min(w.bbox[0] for w in r.words)))
    return [sorted(r.words, key=lambda w: w.bbox[0]) for r in ordered]


def build_lines(words: Iterable[Word]) -> list[Line]:
    """Lines in reading order (page, top to bottom); words share a line when their middles align."""
    result: list[Line] = []
    by_page: dict[int, list[Word]] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    for page in sorted(by_page):
        for row in _rows(by_page[page]):
            result.append(Line(index=len(result), segments=_segments(row)))
    return result
