"""What the agent refuses, and with which exit code the CLI says so."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_PAIRED = 3
    BAD_DOCUMENT = 4
    NUMBERS_EXHAUSTED = 5
    SYNC_BUSY = 6
    SYNC_PARTIAL = 7
    SYNC_FAILED = 8
    PAIRING_REFUSED = 9
    OFFLINE = 10


class EdgeError(Exception):
    """An error with a message meant for the person at the device, and the CLI's exit code."""

    exit_code: Exit = Exit.ERROR
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPairedError(EdgeError):
    exit_code = Exit.NOT_PAIRED
    code = "not_paired"


class AlreadyPairedError(EdgeError):
    code = "already_paired"


class PairingError(EdgeError):
    """Central refused the pairing code (unknown, used, expired, slot paired or revoked)."""

    exit_code = Exit.PAIRING_REFUSED
    code = "pairing_refused"

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"pairing refused: {code}: {detail}")
        self.code = code
        self.detail = detail


class CentralUnreachableError(EdgeError):
    exit_code = Exit.OFFLINE
    code = "offline"


class CredentialsRefusedError(CentralUnreachableError):
    """Central's broker refused this device's own credentials: its slot was reset or revoked (or central could
    not check them just now). The documents not yet synced stay in the local store."""

    code = "credentials_refused"
    HINT = ("central refused this device's credentials: its slot was reset or revoked at central (or central "
            "could not check them just now). Documents not yet synced stay on this device; save them with "
            "`belegflow-edge export --out DIR`, then pair again with the operator's new code")


class CaptureError(EdgeError):
    """A document the agent will not store; nothing of it was kept."""

    exit_code = Exit.BAD_DOCUMENT
    code = "bad_document"


class UnreadableDocumentError(CaptureError):
    code = "unreadable"


class EmptyDocumentError(CaptureError):
    code = "empty"


class UnsupportedTypeError(CaptureError):
    code = "unsupported_type"


class TooLargeError(CaptureError):
    code = "too_large"


class UnknownDocumentTypeError(CaptureError):
    code = "unknown_document_type"


class NumbersExhaustedError(EdgeError):
    """The device has no document number left in a series and may not invent one."""

    exit_code = Exit.NUMBERS_EXHAUSTED
    code = "numbers_exhausted"


class SyncBusyError(EdgeError):
    exit_code = Exit.SYNC_BUSY
    code = "sync_busy"

    def __init__(self) -> None:
        super().__init__("a sync is already running")
