"""DATEV documents: the invoice images with ``document.xml`` (DATEV XML interface, document schema 6.0) in a ZIP.

Each ``document`` carries the invoice's GUID, the same one the booking's ``Beleglink`` names (``BEDI "<guid>"``),
so DATEV Unternehmen online links booking and image. ``type="2"`` files it as an incoming invoice.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final
from uuid import UUID

from lxml import etree

if TYPE_CHECKING:
    from collections.abc import Sequence

    from belegflow_export.datev import DatevClient

__all__ = ["DOCUMENT_NAMESPACE", "DocumentImage", "documents_zip", "read_documents_zip"]

DOCUMENT_NAMESPACE: Final = "http://xml.datev.de/bedi/tps/document/v06.0"
_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"


@dataclass(frozen=True, slots=True)
class DocumentImage:
    """One invoice's image: its GUID (the document id), file name inside the ZIP, bytes, invoice number."""

    document_id: UUID
    filename: str
    data: bytes
    invoice_number: str


def _document_xml(client: DatevClient, images: Sequence[DocumentImage], *, created_at: datetime,
                  description: str) -> bytes:
    nsmap = {None: DOCUMENT_NAMESPACE, "xsi": _XSI}
    root = etree.Element(f"{{{DOCUMENT_NAMESPACE}}}archive", nsmap=nsmap)  # type: ignore[arg-type]
    root.set(f"{{{_XSI}}}schemaLocation", f"{DOCUMENT_NAMESPACE} Document_v060.xsd")
    root.set("version", "6.0")
    root.set("generatingSystem", "belegflow")

    def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{DOCUMENT_NAMESPACE}}}{name}")
        if text is not None:
            element.text = text
        return element

    header = sub(root, "header")
    sub(header, "date", created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    sub(header, "description", description)
    sub(header, "consultantNumber", str(client.consultant_number))
    sub(header, "clientNumber", str(client.client_number))
    content = sub(root, "content")
    for image in images:
        document = sub(content, "document")
        document.set("guid", str(image.document_id))
        document.set("processID", "1")
        document.set("type", "2")
        sub(document, "keywords", image.invoice_number)
        extension = sub(document, "extension")
        extension.set(f"{{{_XSI}}}type", "File")
        extension.set("name", image.filename)
    xml: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return xml


def documents_zip(client: DatevClient, images: Sequence[DocumentImage], *, created_at: datetime,
                  description: str) -> bytes:
    """``document.xml`` first, then each image under its file name; byte-identical for equal input."""
    buffer = io.BytesIO()
    stamp = created_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("document.xml", _document_xml(client, images, created_at=created_at,
                                                            description=description)),
                           *((image.filename, image.data) for image in images)]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def read_documents_zip(data: bytes) -> dict[str, str]:
    """``{guid: file name}`` from a documents ZIP, after checking that every file named is in it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        root = etree.fromstring(archive.read("document.xml"),
                                etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    found: dict[str, str] = {}
    for document in root.iter(f"{{{DOCUMENT_NAMESPACE}}}document"):
        extension = document.find(f"{{{DOCUMENT_NAMESPACE}}}extension")
        name = extension.get("name") if extension is not None else None
        if name is None or name not in names:
            raise ValueError(f"document {document.get('guid')} names file {name!r}, which the ZIP lacks")
        found[str(document.get("guid"))] = name
    return found
