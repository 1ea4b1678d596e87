"""A thin reportlab canvas with y measured from the top of the page, as layouts are described."""

from __future__ import annotations

from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
VERA = Path(reportlab.__file__).parent / "fonts"
FAMILIES = ("Helvetica", "Times", "Courier", "DejaVuSans", "DejaVuSerif", "DejaVuSansCondensed", "DejaVuSansMono")
_BUILTIN = {"Helvetica": ("Helvetica", "Helvetica-Bold"), "Times": ("Times-Roman", "Times-Bold"),
            "Courier": ("Courier", "Courier-Bold")}  # fmt: skip


def fonts(family: str) -> tuple[str, str, str]:
    """(regular, bold, family actually used): DejaVu where the system has it, else reportlab's Vera."""
    if family in _BUILTIN:
        regular, bold = _BUILTIN[family]
        return regular, bold, family
    if not (DEJAVU / f"{family}.ttf").is_file():
        family = "Vera"
    if family not in pdfmetrics.getRegisteredFontNames():
        if family == "Vera":
            pdfmetrics.registerFont(TTFont("Vera", str(VERA / "Vera.ttf")))
            pdfmetrics.registerFont(TTFont("Vera-Bold", str(VERA / "VeraBd.ttf")))
        else:
            pdfmetrics.registerFont(TTFont(family, str(DEJAVU / f"{family}.ttf")))
            pdfmetrics.registerFont(TTFont(f"{family}-Bold", str(DEJAVU / f"{family}-Bold.ttf")))
    return family, f"{family}-Bold", family


class Page:
    """Draws text and rules; ``y`` is the baseline measured from the top edge."""

    def __init__(self, path: Path, size: tuple[float, float], family: str, *, title: str = "") -> None:
        self.width, self.height = size
        self.regular, self.bold, self.family = fonts(family)
        self.canvas = Canvas(str(path), pagesize=size, invariant=True, pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor("")
        self.pages = 1

    def width_of(self, text: str, size: float, *, bold: bool = False) -> float:
        return float(pdfmetrics.stringWidth(text, self.bold if bold else self.regular, size))

    def text(self, x: float, y: float, text: str, size: float = 9, *, bold: bool = False,
             align: str = "left", grey: float = 0.0) -> float:  # fmt: skip
        """Draws ``text``; returns its width."""
        c = self.canvas
        c.setFillGray(grey)
        c.setFont(self.bold if bold else self.regular, size)
        yy = self.height - y
        if align == "right":
            c.drawRightString(x, yy, text)
        elif align == "center":
            c.drawCentredString(x, yy, text)
        else:
            c.drawString(x, yy, text)
        c.setFillGray(0)
        return self.width_of(text, size, bold=bold)

    def rule(self, x0: float, x1: float, y: float, width: float = 0.5, grey: float = 0.0) -> None:
        c = self.canvas
        c.setStrokeGray(grey)
        c.setLineWidth(width)
        c.line(x0, self.height - y, x1, self.height - y)
        c.setStrokeGray(0)

    def box(self, x: float, y: float, w: float, h: float, *, fill: float | None = None, stroke: bool = True) -> None:
        c = self.canvas
        if fill is not None:
            c.setFillGray(fill)
        c.setLineWidth(0.5)
        c.rect(x, self.height - y - h, w, h, stroke=1 if stroke else 0, fill=1 if fill is not None else 0)
        c.setFillGray(0)

    def new_page(self) -> None:
        self.canvas.showPage()
        self.pages += 1

    def save(self) -> None:
        self.canvas.save()

    def wrap(self, text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
        rows = [""]
        for word in text.split():
            trial = f"{rows[-1]} {word}".strip()
            if self.width_of(trial, size, bold=bold) <= width or not rows[-1]:
                rows[-1] = trial
            else:
                rows.append(word)
        return rows
