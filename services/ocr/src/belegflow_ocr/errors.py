"""Errors recognition raises for input it cannot read; each says whether retrying could help."""

from __future__ import annotations


class RecognitionError(Exception):
    """Base of every recognition error; ``permanent`` errors go to the DLQ, the others are retried."""

    permanent: bool = True

    def __init__(self, message: str, *, filename: str) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename

    def details(self) -> dict[str, str]:
        """Structured fields for the protocol and the DLQ reason."""
        data = {k: str(v) for k, v in vars(self).items() if k != "message" and v is not None}
        data["error_type"] = type(self).__name__
        data["permanent"] = str(self.permanent).lower()
        return data

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross from the worker process by pickle; keyword-only constructors cannot be called with the
        # message alone, so the state travels instead (else the pool reports a dead worker, not the error).
        return (_rebuild, (type(self), self.message, dict(vars(self))))


def _rebuild(cls: type[RecognitionError], message: str, state: dict[str, object]) -> RecognitionError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class EmptyDocumentError(RecognitionError):
    def __init__(self, *, filename: str) -> None:
        super().__init__(f"{filename}: the file is empty (0 bytes)", filename=filename)


class UnsupportedMediaTypeError(RecognitionError):
    def __init__(self, *, filename: str, media_type: str | None) -> None:
        shown = media_type or "unknown"
        super().__init__(f"{filename}: no reader can read this file (type {shown})", filename=filename)
        self.media_type = media_type


class EncryptedPdfError(RecognitionError):
    def __init__(self, *, filename: str) -> None:
        super().__init__(f"{filename}: the PDF is encrypted with a password; cannot read it", filename=filename)


class CorruptPdfError(RecognitionError):
    def __init__(self, *, filename: str, detail: str) -> None:
        super().__init__(f"{filename}: the PDF is damaged and cannot be read ({detail})", filename=filename)
        self.detail = detail


class TruncatedPdfError(CorruptPdfError):
    """The file stops before its end-of-file marker: usually an interrupted upload or copy."""

    def __init__(self, *, filename: str, size: int) -> None:
        super().__init__(filename=filename, detail=f"truncated: no %%EOF marker at the end of {size} bytes")
        self.size = size


class TooManyPagesError(RecognitionError):
    def __init__(self, *, filename: str, pages: int, limit: int) -> None:
        super().__init__(f"{filename}: {pages} pages exceed the limit of {limit}", filename=filename)
        self.pages = pages
        self.limit = limit


class PageSizeError(RecognitionError):
    """A page so large (or so small) that no invoice looks like it; rendering it could exhaust memory."""

    def __init__(self, *, filename: str, page: int, width: float, height: float, limit: float) -> None:
        super().__init__(
            f"{filename}: page {page} measures {width:.0f} x {height:.0f} pt, outside 1..{limit:.0f} pt",
            filename=filename,
        )
        self.page = page
        self.width = width
        self.height = height
        self.limit = limit


class ReaderFailedError(RecognitionError):
    """A reader broke on input it had accepted; transient because it may be a resource problem."""

    permanent = False

    def __init__(self, *, filename: str, reader: str, detail: str) -> None:
        super().__init__(f"{filename}: reader {reader} failed: {detail}", filename=filename)
        self.reader = reader
        self.detail = detail


class DamagedDocumentError(RecognitionError):
    """A reader broke on the bytes themselves (a cyclic PDF page tree, a truncated image, a malformed structure):
    permanent, because the same bytes break it again; the reason names the reader and what it hit."""

    def __init__(self, *, filename: str, reader: str, detail: str) -> None:
        super().__init__(f"{filename}: the document is damaged and cannot be read by {reader} ({detail})",
                         filename=filename)
        self.reader = reader
        self.detail = detail


class XmlTooLargeError(RecognitionError):
    def __init__(self, *, filename: str, size: int, limit: int) -> None:
        super().__init__(f"{filename}: the XML has {size} bytes, more than the limit of {limit}", filename=filename)
        self.size = size
        self.limit = limit


class UnsafeXmlError(RecognitionError):
    """A DOCTYPE or ENTITY declaration: refused before parsing, so nothing is expanded or fetched (XXE, billion
    laughs)."""

    def __init__(self, *, filename: str, construct: str) -> None:
        super().__init__(
            f"{filename}: the XML contains a {construct} declaration; e-invoices never need one, and it could "
            "expand entities or fetch files (refused, nothing expanded)",
            filename=filename,
        )
        self.construct = construct


class MalformedXmlError(RecognitionError):
    def __init__(self, *, filename: str, line: int, column: int, detail: str) -> None:
        super().__init__(f"{filename}: the XML is not well-formed at line {line}, column {column}: {detail}",
                         filename=filename)  # fmt: skip
        self.line = line
        self.column = column
        self.detail = detail


class NotAnInvoiceError(RecognitionError):
    """Well-formed XML of another kind (a bank statement, an order, an XSLT ...)."""

    def __init__(self, *, filename: str, root: str, namespace: str | None) -> None:
        where = f" in namespace {namespace}" if namespace else " without a namespace"
        super().__init__(
            f"{filename}: the XML root element is {root}{where}, not an e-invoice (expected UBL Invoice or "
            "CreditNote, UN/CEFACT CrossIndustryInvoice or ZUGFeRD 1.0 CrossIndustryDocument)",
            filename=filename,
        )
        self.root = root
        self.namespace = namespace


__all__ = [
    "CorruptPdfError",
    "EmptyDocumentError",
    "EncryptedPdfError",
    "MalformedXmlError",
    "NotAnInvoiceError",
    "PageSizeError",
    "ReaderFailedError",
    "RecognitionError",
    "TooManyPagesError",
    "TruncatedPdfError",
    "UnsafeXmlError",
    "UnsupportedMediaTypeError",
    "XmlTooLargeError",
]
