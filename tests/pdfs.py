"""Small PDFs written object by object, for documents no generator makes: damaged ones, odd fonts."""

from __future__ import annotations

import io


def pdf(objects: list[bytes]) -> bytes:
    """A PDF of ``objects`` (numbered from 1, the first the catalog) with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


# Byte codes the odd font's ToUnicode map sends where no text extractor expects them: a lone high and a lone low
# surrogate, an emoji (a surrogate pair), NUL, ESC and a noncharacter; every other code reads as WinAnsi.
ODD = {"lone-high": b"\x80", "pair": b"\x81", "nul": b"\x82", "esc": b"\x83", "lone-low": b"\x84", "nonchar": b"\x85"}
_CMAP = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /Odd def /CMapType 2 def
1 begincodespacerange <00> <FF> endcodespacerange
6 beginbfchar
<80> <D83D>
<81> <D83DDE00>
<82> <0000>
<83> <001B>
<84> <DC00>
<85> <FFFF>
endbfchar
endcmap CMapName currentdict /CMap defineresource pop end end"""


def odd_font_pdf(lines: list[tuple[bytes, int]]) -> bytes:
    """A one-page A4 PDF printing each ``(text, y)`` in Helvetica whose ToUnicode map holds the :data:`ODD` codes,
    as born-digital PDFs with emoji or broken fonts do."""
    content = b"".join(b"BT /F1 10 Tf 60 %d Td (%s) Tj ET\n" % (y, text) for text, y in lines)
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /ToUnicode 6 0 R >>",
        stream(content), stream(_CMAP),
    ])
