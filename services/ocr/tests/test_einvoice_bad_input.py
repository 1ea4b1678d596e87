"""Hostile or broken XML gets a specific, permanent error: nothing expanded, nothing fetched."""

from __future__ import annotations

import http.server
import pickle
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from belegflow_ocr.errors import (
    EmptyDocumentError,
    MalformedXmlError,
    NotAnInvoiceError,
    RecognitionError,
    UnsafeXmlError,
    XmlTooLargeError,
)
from belegflow_ocr.recognition import default_registry
from belegflow_ocr.recognition.einvoice import XmlInvoiceReader, XmlLimits, parse_einvoice, xmlsafe

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "einvoices"
UBL_FILE = SAMPLES / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard" / "01.01a-INVOICE_ubl.xml"
UBL_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CBC_NS = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&lol9;</cbc:ID>
</Invoice>
"""


def _xxe(system_id: str, *, declaration: bool = True) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if declaration else ""
    return (
        f'{head}<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{system_id}">]>\n'
        f'<Invoice xmlns="{UBL_NS}" xmlns:cbc="{CBC_NS}"><cbc:ID>&xxe;</cbc:ID></Invoice>\n'
    ).encode()


def _recognize(data: bytes, filename: str = "invoice.xml") -> object:
    return default_registry().recognize(data, filename=filename)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - shared by design: the server thread records, the test reads

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = b"SECRET-FROM-THE-NETWORK"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def http_server() -> Iterator[str]:
    """A local HTTP server that records every request, to prove nothing is fetched."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/entity.txt"
    finally:
        server.shutdown()
        server.server_close()


def test_external_entity_to_a_local_file_is_refused_and_not_read(tmp_path: Path) -> None:
    # GIVEN an invoice whose ID is an external entity pointing at a local secret
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = _xxe(secret.as_uri())
    # WHEN it is recognised THEN it is refused as unsafe, permanently, and the secret appears nowhere
    with pytest.raises(UnsafeXmlError) as info:
        _recognize(data)
    assert info.value.construct == "DOCTYPE"
    assert info.value.permanent
    assert info.value.details()["error_type"] == "UnsafeXmlError"
    assert "TOP-SECRET" not in str(info.value)
    assert "TOP-SECRET" not in repr(info.value.details())


def test_external_entity_over_http_is_refused_and_nothing_is_fetched(http_server: str) -> None:
    # GIVEN an invoice whose ID is an external entity on a (local, recording) web server
    data = _xxe(http_server)
    # WHEN it is recognised THEN it is refused, and the server never saw a request
    with pytest.raises(UnsafeXmlError):
        _recognize(data)
    assert _Recorder.requests == []


def test_doctype_without_xml_declaration_is_still_refused_as_unsafe(tmp_path: Path) -> None:
    # GIVEN an XXE file that starts right with the DOCTYPE (no <?xml ...?> line)
    data = _xxe((tmp_path / "x").as_uri(), declaration=False)
    # WHEN it is recognised THEN the XML reader takes it and refuses it as unsafe (not "unknown type")
    with pytest.raises(UnsafeXmlError):
        _recognize(data)


def test_utf16_encoded_doctype_is_refused() -> None:
    # GIVEN the same XXE encoded as UTF-16 (a byte scan for ASCII "<!DOCTYPE" would miss it)
    data = _xxe("file:///etc/passwd").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    # WHEN it is parsed THEN it is refused all the same
    with pytest.raises(UnsafeXmlError):
        parse_einvoice(data, filename="utf16.xml")


def test_billion_laughs_is_refused_without_expanding() -> None:
    # GIVEN the billion laughs (10^9 "lol"s, about 3 GB when expanded)
    # WHEN it is recognised THEN it is refused as unsafe before anything is expanded
    with pytest.raises(UnsafeXmlError) as info:
        _recognize(BILLION_LAUGHS)
    assert info.value.construct == "DOCTYPE"
    assert "lollol" not in str(info.value)


def test_billion_laughs_is_refused_within_a_small_memory_limit(tmp_path: Path) -> None:
    # GIVEN a child process limited to 1 GiB of address space (far below the 3 GB an expansion needs)
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(BILLION_LAUGHS)
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from belegflow_ocr.errors import UnsafeXmlError
        from belegflow_ocr.recognition import default_registry
        try:
            default_registry().recognize(open({str(bomb)!r}, "rb").read(), filename="bomb.xml")
        except UnsafeXmlError as exc:
            print("refused:", exc.construct)
            sys.exit(0)
        sys.exit(3)
        """
    )
    # WHEN it recognises the bomb THEN it refuses it and exits normally (no MemoryError, no kill)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused: DOCTYPE"


def test_xml_that_is_not_an_invoice_names_its_root_element() -> None:
    # GIVEN a bank statement (camt.053), well-formed and safe
    data = (
        b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        b"<BkToCstmrStmt/></Document>"
    )
    # WHEN it is recognised THEN the error names the root element and its namespace
    with pytest.raises(NotAnInvoiceError) as info:
        _recognize(data)
    assert info.value.root == "Document"
    assert info.value.namespace == "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
    assert "root element is Document" in info.value.message
    assert info.value.permanent


def test_ubl_order_is_not_an_invoice() -> None:
    # GIVEN a UBL Order: UBL, but not an invoice or credit note
    data = b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>1</ID></Order>'
    with pytest.raises(NotAnInvoiceError) as info:
        _recognize(data)
    assert info.value.root == "Order"


def test_truncated_xml_is_malformed_with_line_and_column() -> None:
    # GIVEN a real XRechnung cut off in the middle (an interrupted upload)
    data = UBL_FILE.read_bytes()
    cut = data[: len(data) // 2]
    # WHEN it is recognised THEN the error says not well-formed, with the line and column where it broke
    with pytest.raises(MalformedXmlError) as info:
        _recognize(cut, "cut.xml")
    expected_line = cut.count(b"\n") + 1
    assert info.value.line >= expected_line - 1
    assert info.value.column >= 1
    assert f"line {info.value.line}, column {info.value.column}" in info.value.message
    assert info.value.permanent


def test_mismatched_tags_name_the_line() -> None:
    data = f'<?xml version="1.0"?>\n<Invoice xmlns="{UBL_NS}">\n  <a></b>\n</Invoice>\n'.encode()
    with pytest.raises(MalformedXmlError) as info:
        _recognize(data)
    assert info.value.line == 3
    assert "mismatch" in info.value.detail.lower()


def test_undeclared_entity_is_malformed_not_expanded() -> None:
    data = f'<Invoice xmlns="{UBL_NS}" xmlns:cbc="{CBC_NS}"><cbc:ID>&undefined;</cbc:ID></Invoice>'.encode()
    with pytest.raises(MalformedXmlError) as info:
        _recognize(data)
    assert "undefined" in info.value.detail


def test_xml_over_the_size_limit_is_refused_before_parsing() -> None:
    data = UBL_FILE.read_bytes()
    reader = XmlInvoiceReader(XmlLimits(max_bytes=1024))
    with pytest.raises(XmlTooLargeError) as info:
        reader.read(data, filename="big.xml")
    assert (info.value.size, info.value.limit) == (len(data), 1024)


def test_empty_xml_is_empty() -> None:
    with pytest.raises(EmptyDocumentError):
        parse_einvoice(b"", filename="empty.xml")


@pytest.mark.parametrize(
    "data",
    [b"<", b"<?xml version='1.0'?>", b"<Invoice", b"\xef\xbb\xbf<Invoice xmlns='x'>\xff\xfe</Invoice>"],
    ids=["lone-bracket", "declaration-only", "open-tag", "bad-utf8"],
)
def test_broken_fragments_are_recognition_errors_never_crashes(data: bytes) -> None:
    with pytest.raises(RecognitionError) as info:
        _recognize(data)
    assert isinstance(info.value, MalformedXmlError | NotAnInvoiceError)


def test_the_parser_itself_neither_fetches_nor_reads_files_when_the_scan_is_bypassed(
    monkeypatch: pytest.MonkeyPatch, http_server: str, tmp_path: Path
) -> None:
    # GIVEN the byte scan switched off, so only the parser's own settings stand in the way
    monkeypatch.setattr(xmlsafe, "_refuse_declarations", lambda data, *, filename: None)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for data in (_xxe(http_server), _xxe(secret.as_uri())):
        # WHEN it is parsed THEN the DOCTYPE is still refused after parsing, nothing was fetched or read
        with pytest.raises(UnsafeXmlError) as info:
            xmlsafe.parse_xml(data, filename="x.xml")
        assert "TOP-SECRET" not in str(info.value)
    assert _Recorder.requests == []
    # AND the billion laughs stops at libxml2's amplification limit (or the DOCTYPE check), unexpanded
    with pytest.raises((UnsafeXmlError, MalformedXmlError)) as bomb:
        xmlsafe.parse_xml(BILLION_LAUGHS, filename="bomb.xml")
    assert "lollol" not in str(bomb.value)


@pytest.mark.parametrize(
    "error",
    [
        UnsafeXmlError(filename="a.xml", construct="DOCTYPE"),
        MalformedXmlError(filename="a.xml", line=3, column=7, detail="mismatch"),
        NotAnInvoiceError(filename="a.xml", root="Document", namespace="urn:x"),
        XmlTooLargeError(filename="a.xml", size=10, limit=5),
    ],
    ids=lambda e: type(e).__name__,
)
def test_xml_errors_cross_the_worker_process_with_their_details(error: RecognitionError) -> None:
    # The worker pool pickles errors back to the service; the details must survive the trip.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.details() == error.details()
    assert str(copy) == str(error)
