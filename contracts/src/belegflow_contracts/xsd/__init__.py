"""XML schemas belegflow writes documents against, shipped as package data."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

TMS_TRANSFER_V1_NAMESPACE: Final = "urn:belegflow:tms-transfer:1"
TMS_TRANSFER_V1_FILE: Final = "tms-transfer-v1.xsd"
TMS_TRANSFER_V2_NAMESPACE: Final = "urn:belegflow:tms-transfer:2"
TMS_TRANSFER_V2_FILE: Final = "tms-transfer-v2.xsd"

__all__ = [
    "TMS_TRANSFER_V1_FILE",
    "TMS_TRANSFER_V1_NAMESPACE",
    "TMS_TRANSFER_V2_FILE",
    "TMS_TRANSFER_V2_NAMESPACE",
    "tms_transfer_v1_xsd",
    "tms_transfer_v1_xsd_path",
    "tms_transfer_v2_xsd",
]


def tms_transfer_v1_xsd() -> bytes:
    """The bytes of ``tms-transfer-v1.xsd`` (self-contained: no imports or includes to resolve)."""
    return resources.files(__name__).joinpath(TMS_TRANSFER_V1_FILE).read_bytes()


def tms_transfer_v1_xsd_path() -> Path:
    """Filesystem path of ``tms-transfer-v1.xsd``, for tools that want a file (xmllint, editors)."""
    resource = resources.files(__name__).joinpath(TMS_TRANSFER_V1_FILE)
    # Installed wheels and source checkouts are plain directories; a zipped install has no path.
    if not isinstance(resource, Path):
        raise FileNotFoundError(f"{TMS_TRANSFER_V1_FILE} is not on the filesystem (zipped install?)")
    return resource


def tms_transfer_v2_xsd() -> bytes:
    """The bytes of ``tms-transfer-v2.xsd``: version 1 with the document type (invoice, credit note, correction)."""
    return resources.files(__name__).joinpath(TMS_TRANSFER_V2_FILE).read_bytes()
