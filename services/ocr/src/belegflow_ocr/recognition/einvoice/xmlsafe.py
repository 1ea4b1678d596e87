"""Parses untrusted XML without ever expanding an entity, reading a DTD or touching the network."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from belegflow_ocr.errors import EmptyDocumentError, MalformedXmlError, UnsafeXmlError, XmlTooLargeError

# The largest real e-invoices carry attachments as base64 (the XRechnung test suite has 3 MB ones).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
# A DTD is the only place entities can be declared; both are refused in every encoding lxml reads.
_FORBIDDEN = ("<!DOCTYPE", "<!ENTITY")
_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


@dataclass(frozen=True, slots=True)
class XmlLimits:
    max_bytes: int = DEFAULT_MAX_BYTES


def _parser() -> etree.XMLParser:
    # A new parser per document: lxml parsers are not thread-safe, and this one must never be reused
    # with other settings.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _refuse_declarations(data: bytes, *, filename: str) -> None:
    for construct in _FORBIDDEN:
        for encoding in _ENCODINGS:
            if construct.encode(encoding) in data:
                raise UnsafeXmlError(filename=filename, construct=construct[2:])


def looks_like_xml(data: bytes) -> bool:
    """The first non-blank character (after a byte order mark) opens a tag or a declaration."""
    head = data[:256]
    for bom in _BOMS:
        if head.startswith(bom):
            if bom in (b"\xff\xfe", b"\xfe\xff"):
                head = head[len(bom) :].decode("utf-16-le" if bom == b"\xff\xfe" else "utf-16-be", "ignore").encode()
            else:
                head = head[len(bom) :]
            break
    return head.lstrip().startswith(b"<")


def parse_xml(data: bytes, *, filename: str, limits: XmlLimits | None = None) -> etree._Element:
    """The root element of ``data``; a specific error for empty, oversized, unsafe or malformed XML."""
    limits = limits or XmlLimits()
    if not data:
        raise EmptyDocumentError(filename=filename)
    if len(data) > limits.max_bytes:
        raise XmlTooLargeError(filename=filename, size=len(data), limit=limits.max_bytes)
    _refuse_declarations(data, filename=filename)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        raise MalformedXmlError(filename=filename, line=line, column=column, detail=str(exc.msg)) from exc
    # Belt and braces: an encoding the scan above does not know could still hide a DOCTYPE.
    tree = root.getroottree()
    if getattr(tree.docinfo, "doctype", "") or tree.docinfo.internalDTD is not None:
        raise UnsafeXmlError(filename=filename, construct="DOCTYPE")
    return root
