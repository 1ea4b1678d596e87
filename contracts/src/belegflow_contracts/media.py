"""Tells a document's media type from its first bytes, never from its name (ingest admits by it, ocr reads by it)."""

from __future__ import annotations

from belegflow_contracts.messages import MediaType

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
# PDF readers accept a header anywhere in the first KiB; some scanners write junk before it.
_PDF_WINDOW = 1024
# how far an XML prolog (comments, processing instructions) is looked through for the first element
_XML_WINDOW = 8192


def _looks_like_xml(head: bytes) -> bool:
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM) :]
    for bom, encoding in _UTF16_BOMS.items():
        if head.startswith(bom):
            # UTF-16: decode enough to see the first tag
            head = head[len(bom) :].decode(encoding, errors="ignore").encode("utf-8")
            break
    stripped = head.lstrip()
    if stripped.startswith(b"<?xml"):
        return True
    # the prolog may hold comments and processing instructions before the first element (a licence header,
    # a stylesheet); skip them as far as the window reaches
    while stripped.startswith((b"<!--", b"<?")):
        end = stripped.find(b"-->" if stripped.startswith(b"<!--") else b"?>")
        if end < 0:
            return False
        stripped = stripped[end + (3 if stripped.startswith(b"<!--") else 2):].lstrip()
    return stripped.startswith(b"<") and stripped[1:2].isalpha()


def sniff(data: bytes) -> MediaType | None:
    """Media type from magic bytes (PDF, PNG, JPEG, TIFF, XML with or without BOM), or ``None``."""
    if not data:
        return None
    if b"%PDF-" in data[:_PDF_WINDOW]:
        return MediaType.PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return MediaType.TIFF
    if _looks_like_xml(data[:_XML_WINDOW]):
        return MediaType.XML
    return None
