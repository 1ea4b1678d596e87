"""Tells a document's media type from its first bytes, never from its name."""

from __future__ import annotations

from belegflow_contracts.messages import MediaType

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
# PDF readers accept a header anywhere in the first KiB; some scanners write junk before it.
_PDF_WINDOW = 1024


def _looks_like_xml(head: bytes) -> bool:
    for bom in _BOMS:
        if head.startswith(bom):
            if bom == b"\xef\xbb\xbf":
                head = head[len(bom) :]
                break
            # UTF-16: decode enough to see the first tag.
            encoding = "utf-16-le" if bom == b"\xff\xfe" else "utf-16-be"
            head = head[len(bom) :].decode(encoding, errors="ignore").encode("utf-8")
            break
    stripped = head.lstrip()
    return stripped.startswith(b"<?xml") or (stripped.startswith(b"<") and stripped[1:2].isalpha())


def sniff_media_type(data: bytes) -> str | None:
    """Media type from magic bytes (PDF, PNG, JPEG, TIFF, XML with or without BOM), or ``None``."""
    if not data:
        return None
    if b"%PDF-" in data[:_PDF_WINDOW]:
        return MediaType.PDF.value
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType.PNG.value
    if data.startswith(b"\xff\xd8\xff"):
        return MediaType.JPEG.value
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return MediaType.TIFF.value
    if _looks_like_xml(data[:512]):
        return MediaType.XML.value
    return None
