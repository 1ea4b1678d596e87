"""Error classes that decide what happens to a message: retried (transient) or dead-lettered (permanent)."""

from __future__ import annotations


class BelegflowError(Exception):
    """Base of every belegflow error."""


class TransientError(BelegflowError):
    """Worth retrying: a server was unreachable, a timeout hit. Nacked with backoff up to max_deliver."""


class PermanentError(BelegflowError):
    """Retrying cannot help: a bad payload, a business rejection. Terminated and sent to the DLQ."""

    def __init__(self, reason: str, *, document_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.document_id = document_id


class IntegrityError(PermanentError):
    """An object's bytes do not match the SHA-256 its reference states."""

    def __init__(self, *, bucket: str, key: str, expected: str, actual: str) -> None:
        super().__init__(f"object {bucket}/{key} has sha256 {actual}, reference says {expected}")
        self.bucket = bucket
        self.key = key
        self.expected = expected
        self.actual = actual
