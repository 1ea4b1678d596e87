"""Ingest's pure decisions: sniffing, admission, lifecycle."""

from __future__ import annotations

import pytest

from belegflow_contracts.media import sniff
from belegflow_contracts.messages import MediaType
from belegflow_ingest.domain import Status, admit, advance
from belegflow_ingest.errors import (
    AdmissionError,
    EmptyDocumentError,
    InvalidTenantError,
    TooLargeError,
    UnsupportedTypeError,
)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, MediaType.PDF),
        (b"\x89PNG\r\n\x1a\n\x00\x00", MediaType.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", MediaType.JPEG),
        (b"II*\x00\x08\x00", MediaType.TIFF),
        (b"MM\x00*\x00\x08", MediaType.TIFF),
        (b'\xef\xbb\xbf<?xml version="1.0"?><Invoice/>', MediaType.XML),
        (b"  <rsm:CrossIndustryInvoice xmlns:rsm='x'>", MediaType.XML),
        ("\ufeff<?xml version='1.0'?><Invoice/>".encode("utf-16-le"), MediaType.XML),
        (b"PK\x03\x04 a zip file", None),
        (b"Rechnung 123", None),
    ],
)
def test_type_comes_from_the_bytes(data: bytes, expected: MediaType | None) -> None:
    assert sniff(data) == expected


def test_admit_normalises_the_tenant_and_names_the_type() -> None:
    admission = admit("  ACME ", PDF, limit=1000)
    assert (admission.tenant, admission.media_type) == ("acme", MediaType.PDF)


@pytest.mark.parametrize(
    ("tenant", "data", "limit", "error", "words"),
    [
        ("acme", b"", 100, EmptyDocumentError, "empty"),
        ("acme", b"hello world", 100, UnsupportedTypeError, "unsupported document type"),
        ("acme", PDF, 10, TooLargeError, "larger than the limit of 10 bytes"),
        ("acme", b"%PDF-1.4\n1 0 obj", 100, AdmissionError, "truncated"),
        ("a.b", PDF, 1000, InvalidTenantError, "tenant 'a.b' is not valid"),
        ("", PDF, 1000, InvalidTenantError, "not valid"),
    ],
)
def test_refusals_are_specific(tenant: str, data: bytes, limit: int, error: type[AdmissionError], words: str) -> None:
    with pytest.raises(error) as caught:
        admit(tenant, data, limit=limit)
    assert words in caught.value.message


def test_too_large_maps_to_413_and_unsupported_to_415() -> None:
    assert TooLargeError(size=2, limit=1).status_code == 413
    assert UnsupportedTypeError("x").status_code == 415
    assert EmptyDocumentError("x").status_code == 400


@pytest.mark.parametrize(
    ("current", "event", "expected"),
    [
        (Status.INGESTED, Status.RECOGNIZED, Status.RECOGNIZED),
        (Status.ACCRUED, Status.MATCHED, Status.ACCRUED),  # a late event never moves a document back
        (Status.RECOGNIZED, Status.EXPORTED, Status.EXPORTED),
        (Status.MATCHED, Status.FAILED, Status.FAILED),
        (Status.EXPORTED, Status.FAILED, Status.EXPORTED),  # what was exported stays exported
    ],
)
def test_status_only_moves_forward(current: Status, event: Status, expected: Status) -> None:
    assert advance(current, event) == expected
