"""Errors of the export service; every one here is permanent: the same event would fail again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from belegflow_contracts.runtime.errors import PermanentError

__all__ = [
    "ArchiveError",
    "DatevDataError",
    "DatevPeriodError",
    "ExportError",
    "TmsDataError",
    "TmsDataProblem",
    "TmsXmlInvalidError",
    "XmlErrorLine",
]


@dataclass(frozen=True, slots=True)
class XmlErrorLine:
    """One message of the XML parser or the XSD validator, where it points in the document."""

    line: int
    column: int
    message: str
    path: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}"
        if self.path:
            where += f" ({self.path})"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class TmsDataProblem:
    """Why one field of an event cannot go into a TMS transfer."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def _summary(head: str, items: Sequence[object]) -> str:
    if not items:
        return head
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return f"{head}: {items[0]}{more}"


class ExportError(PermanentError):
    """Base of the export service's own errors."""


class TmsXmlInvalidError(ExportError):
    """A TMS transfer XML is not well-formed, carries a DOCTYPE, or is invalid against tms-transfer-v1.xsd."""

    def __init__(self, errors: Sequence[XmlErrorLine], *, document_id: str | None = None) -> None:
        self.errors: tuple[XmlErrorLine, ...] = tuple(errors)
        super().__init__(
            _summary("TMS transfer XML is invalid", self.errors),
            document_id=document_id,
        )


class TmsDataError(ExportError):
    """An accrued event cannot become a TMS transfer, e.g. touchless without an invoice number."""

    def __init__(self, problems: Sequence[TmsDataProblem], *, document_id: str | None = None) -> None:
        self.problems: tuple[TmsDataProblem, ...] = tuple(problems)
        super().__init__(
            _summary("event cannot be exported to the TMS", self.problems),
            document_id=document_id,
        )


class DatevPeriodError(ExportError):
    """A booking period that is not a month written ``YYYY-MM``."""


class DatevDataError(ExportError):
    """An approved invoice that cannot be booked in DATEV: every reason, e.g. no GL account."""

    def __init__(self, problems: Sequence[str], *, document_id: str | None = None,
                 invoice_number: str | None = None) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        self.invoice_number = invoice_number
        super().__init__(_summary("invoice cannot be booked in DATEV", self.problems), document_id=document_id)


class ArchiveError(ExportError):
    """The archive refused a write: an object or index entry exists with other content."""

