"""Media types come from magic bytes, whatever the file is called."""

from __future__ import annotations

import pytest

from belegflow_ocr.recognition import sniff_media_type


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\r\n%PDF-1.4 after junk", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\0\0", "image/png"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
        (b"II*\x00\x08\0\0\0", "image/tiff"),
        (b"MM\x00*\0\0\0\x08", "image/tiff"),
        (b'<?xml version="1.0"?><Invoice/>', "application/xml"),
        (b'\xef\xbb\xbf<?xml version="1.0"?><rsm:CrossIndustryInvoice/>', "application/xml"),
        ('\ufeff<?xml version="1.0"?><Invoice/>'.encode("utf-16-le"), "application/xml"),
        (b"  \n<Invoice xmlns='urn:x'/>", "application/xml"),
        (b"<!-- from the ERP -->\n<Invoice xmlns='urn:x'/>", "application/xml"),
        (b"<!-- a -->  <?xml-stylesheet href='x'?><!--b--><ubl:Invoice/>", "application/xml"),
        (b"<!-- never closed <Invoice/>", None),
        (b"<!-- only a comment -->", None),
        (b"", None),
        (b"hello world", None),
        (b"PK\x03\x04zip", None),
    ],
)
def test_sniff(data: bytes, expected: str | None) -> None:
    assert sniff_media_type(data) == expected
