"""Why ingest refuses a document; each maps to a specific HTTP status and message."""

from __future__ import annotations

from belegflow_contracts.runtime.errors import BelegflowError


class AdmissionError(BelegflowError):
    """A document that is not accepted; nothing of it is stored."""

    status_code = 400
    code = "rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyDocumentError(AdmissionError):
    code = "empty"


class UnsupportedTypeError(AdmissionError):
    status_code = 415
    code = "unsupported-type"


class TooLargeError(AdmissionError):
    status_code = 413
    code = "too-large"

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(f"document is larger than the limit of {limit} bytes (got at least {size})")
        self.size = size
        self.limit = limit


class InvalidTenantError(AdmissionError):
    code = "invalid-tenant"


class DocumentNotFoundError(BelegflowError):
    def __init__(self, document_id: str) -> None:
        super().__init__(f"document {document_id} not found")
        self.document_id = document_id
