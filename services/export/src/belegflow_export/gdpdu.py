"""The tax auditor's export (GoBD data access, "Z3"): archived documents, a table of them, a GDPdU ``index.xml``.

``index.xml`` follows the GDPdU description standard (``gdpdu-01-09-2004.dtd``): one ``Media`` with the
table ``archive.csv`` (Windows-1252, semicolons, CRLF, decimal comma, dates ``DD.MM.YYYY``) whose rows
name every archived object of the range, with the file it was copied to under ``documents/``.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final

from lxml import etree

from belegflow_export import store
from belegflow_export.errors import ArchiveError
from belegflow_export.files import write_atomically

if TYPE_CHECKING:
    from belegflow_export.archive import ArchiveBucket
    from belegflow_export.store import Pool

__all__ = ["COLUMNS", "AuditorExport", "export_for_auditor", "index_xml"]

# (name, kind in GDPdU, description)
COLUMNS: Final = (
    ("seq", "Numeric", "position in the tenant's hash-chained archive index"),
    ("archived_on", "Date", "day the object was archived"),
    ("kind", "AlphaNumeric", "original, einvoice, fields, protocol, tms-transfer, datev-batch, datev-documents"),
    ("event", "AlphaNumeric", "what caused the archiving: approved, exported, datev-export"),
    ("by", "AlphaNumeric", "who caused it"),
    ("document_id", "AlphaNumeric", "the invoice's document id (empty for a batch)"),
    ("revision", "Numeric", "the invoice revision"),
    ("file", "AlphaNumeric", "path of the copy below documents/"),
    ("sha256", "AlphaNumeric", "SHA-256 of the file"),
    ("size", "Numeric", "bytes"),
    ("retain_until", "Date", "end of the retention"),
)


@dataclass(frozen=True, slots=True)
class AuditorExport:
    folder: Path
    rows: int

    def summary(self) -> str:
        return f"{self.rows} archived object(s) with index.xml in {self.folder}"


def index_xml(tenant: str, first: date, last: date) -> bytes:
    """The GDPdU description of ``archive.csv``."""
    root = etree.Element("DataSet")
    etree.SubElement(root, "Version").text = "1.0"
    supplier = etree.SubElement(root, "DataSupplier")
    etree.SubElement(supplier, "Name").text = f"belegflow archive of {tenant}"
    etree.SubElement(supplier, "Location").text = "belegflow"
    etree.SubElement(supplier, "Comment").text = "invoices, their protocols and booking records (GoBD)"
    media = etree.SubElement(root, "Media")
    etree.SubElement(media, "Name").text = "Medium 1"
    table = etree.SubElement(media, "Table")
    etree.SubElement(table, "URL").text = "archive.csv"
    etree.SubElement(table, "Name").text = "archive"
    etree.SubElement(table, "Description").text = "every archived object of the range, in chain order"
    validity = etree.SubElement(table, "Validity")
    span = etree.SubElement(validity, "Range")
    etree.SubElement(span, "From").text = first.strftime("%d.%m.%Y")
    etree.SubElement(span, "To").text = last.strftime("%d.%m.%Y")
    etree.SubElement(validity, "Format").text = "DD.MM.YYYY"
    etree.SubElement(table, "ANSI")  # archive.csv is Windows-1252
    etree.SubElement(table, "DecimalSymbol").text = ","
    etree.SubElement(table, "DigitGroupingSymbol").text = "."
    variable = etree.SubElement(table, "VariableLength")
    etree.SubElement(variable, "ColumnDelimiter").text = ";"
    etree.SubElement(variable, "RecordDelimiter").text = "&#13;&#10;"
    etree.SubElement(variable, "TextEncapsulator").text = '"'
    for index, (name, kind, description) in enumerate(COLUMNS):
        column = etree.SubElement(variable, "VariablePrimaryKey" if index == 0 else "VariableColumn")
        etree.SubElement(column, "Name").text = name
        etree.SubElement(column, "Description").text = description
        if kind == "Numeric":
            etree.SubElement(column, "Numeric")
        elif kind == "Date":
            etree.SubElement(etree.SubElement(column, "Date"), "Format").text = "DD.MM.YYYY"
        else:
            etree.SubElement(column, "AlphaNumeric")
    body = etree.tostring(root, encoding="UTF-8", pretty_print=True).decode()
    # the record delimiter is written as the standard shows it, an entity reference, not an escaped ampersand
    body = body.replace("&amp;#13;&amp;#10;", "&#13;&#10;")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE DataSet SYSTEM "gdpdu-01-09-2004.dtd">\n'
            + body).encode()


async def export_for_auditor(pool: Pool, bucket: ArchiveBucket, tenant: str, first: date, last: date,
                             out: Path) -> AuditorExport:
    """Copy the range's archived objects (each checked against its index entry) and describe them for the auditor."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    async with pool.acquire() as conn:
        bodies = await store.archive_entries_between(conn, tenant, start, end)
    folder = out / tenant
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for body in bodies:
        entry = json.loads(body)
        key = str(entry["key"])
        data = await asyncio.to_thread(bucket.get, key)
        if data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ArchiveError(f"archive object {key} is missing or altered; run `belegflow archive verify`")
        name = f"documents/{entry['seq']:06d}-{entry['kind']}{PurePosixPath(key).suffix}"
        await asyncio.to_thread(write_atomically, folder, name, data)
        writer.writerow([entry["seq"], datetime.fromisoformat(entry["at"]).strftime("%d.%m.%Y"), entry["kind"],
                         entry["event"], entry["by"], entry["document_id"] or "", entry["revision"] or "", name,
                         entry["sha256"], entry["size"],
                         datetime.fromisoformat(entry["retain_until"]).strftime("%d.%m.%Y")])
    await asyncio.to_thread(write_atomically, folder, "archive.csv", buffer.getvalue().encode("cp1252", "replace"))
    await asyncio.to_thread(write_atomically, folder, "index.xml", index_xml(tenant, first, last))
    return AuditorExport(folder=folder, rows=len(bodies))
