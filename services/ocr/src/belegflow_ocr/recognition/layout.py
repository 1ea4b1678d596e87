"""Groups positioned words into lines and into segments (cells) separated by wide gaps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

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

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def bbox(self) -> BBox:
        return union(w.bbox for w in self.words)

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

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    @property
    def bbox(self) -> BBox:
        return union(s.bbox for s in self.segments)

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
        size = max(prev.size or prev.height, word.size or word.height)
        if word.bbox[0] - prev.bbox[2] > _SEGMENT_GAP * size:
            groups.append([word])
        else:
            groups[-1].append(word)
    return tuple(Segment(tuple(g)) for g in groups)


def build_lines(words: Iterable[Word]) -> list[Line]:
    """Lines in reading order (page, top to bottom); words share a line when their middles align."""
    result: list[Line] = []
    by_page: dict[int, list[Word]] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    for page in sorted(by_page):
        rows: list[list[Word]] = []
        for word in sorted(by_page[page], key=lambda w: ((w.bbox[1] + w.bbox[3]) / 2, w.bbox[0])):
            mid = (word.bbox[1] + word.bbox[3]) / 2
            if rows:
                row = rows[-1]
                row_mid = median((w.bbox[1] + w.bbox[3]) / 2 for w in row)
                tolerance = 0.4 * min(word.height, median(w.height for w in row))
                if abs(mid - row_mid) <= tolerance:
                    row.append(word)
                    continue
            rows.append([word])
        for row in rows:
            result.append(Line(index=len(result), segments=_segments(row)))
    return result
