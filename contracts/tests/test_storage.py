"""ObjectStore against a small S3 stand-in: what callers see for a missing object, a refusal, a server error
(tried again), a server that does not answer in time or at all, and bytes that do not match their claim check."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import hashlib
import hmac
import io
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from minio.helpers import sha256_hash

from belegflow_contracts.runtime import storage
from belegflow_contracts.runtime.errors import IntegrityError, TransientError
from belegflow_contracts.runtime.storage import ObjectStore, content_key, sha256_hex
from belegflow_contracts.types import ObjectRef


def _error(code: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{code}</Message>'
            f"<Resource>/b/k</Resource><RequestId>1</RequestId></Error>").encode()


SECRET = "service-secret"


def _signature_problem(method: str, path: str, headers: dict[str, str], body: bytes) -> str | None:
    """What is wrong with a request's SigV4 signature (header form, no query) and its payload hash, checked as
    MinIO checks them; None when nothing is."""
    auth = headers.get("authorization", "")
    try:
        credential, signed, signature = (part.split("=", 1)[1] for part in auth.split(" ", 1)[1].split(", "))
    except (IndexError, ValueError):
        return "AuthorizationHeaderMalformed"
    _key, date, region, service, _ = credential.split("/")
    payload = headers.get("x-amz-content-sha256", "")
    canonical = "\n".join([method, path, "", *(f"{h}:{headers.get(h, '').strip()}" for h in signed.split(";")), "",
                           signed, payload])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", headers.get("x-amz-date", ""), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{SECRET}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signature):
        return "SignatureDoesNotMatch"
    if "x-amz-content-sha256" not in signed.split(";"):
        return "the payload hash is not signed"
    if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
        return "XAmzContentSHA256Mismatch"
    return None


class _S3(BaseHTTPRequestHandler):
    """Objects in memory; keys under ``denied/`` are refused, ``flaky/`` fail with 503 ``fails`` times first,
    ``slow/`` answer after ``delay_s``. Every request is noted with its signature header; a put whose signature
    or payload hash does not hold is refused, as MinIO refuses it."""

    objects: ClassVar[dict[str, bytes]] = {}
    requests: ClassVar[list[tuple[str, str, str]]] = []
    payload_hashes: ClassVar[list[str]] = []
    fails: ClassVar[int] = 0
    delay_s: ClassVar[float] = 0.0

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", content_type: str = "application/xml") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _refused(self) -> bool:
        self.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
        if "/denied/" in self.path:
            self._answer(403, _error("AccessDenied"))
            return True
        if "/flaky/" in self.path and type(self).fails > 0:
            type(self).fails -= 1
            self._answer(503, _error("SlowDown"))
            return True
        if "/slow/" in self.path:
            threading.Event().wait(type(self).delay_s)
        return False

    def do_PUT(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.payload_hashes.append(self.headers.get("x-amz-content-sha256", ""))
        problem = _signature_problem("PUT", self.path, {k.lower(): v for k, v in self.headers.items()}, data)
        if problem is not None:
            self.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            self._answer(400 if problem == "XAmzContentSHA256Mismatch" else 403, _error(problem))
            return
        if not self._refused():
            self.objects[self.path] = data
            self._answer(200)

    def do_GET(self) -> None:
        if self._refused():
            return
        if self.path == "/":  # ListBuckets
            self._answer(200, b"<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>")
        elif self.path in self.objects:
            self._answer(200, self.objects[self.path], "application/octet-stream")
        else:
            self._answer(404, _error("NoSuchKey"))


@pytest.fixture
def server() -> Iterator[str]:
    _S3.objects, _S3.requests, _S3.payload_hashes, _S3.fails, _S3.delay_s = {}, [], [], 0, 0.0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _S3)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _store(url: str) -> ObjectStore:
    return ObjectStore(storage.connect(url, "service-key", SECRET, "us-east-1"))


def test_put_then_get_verified_with_a_content_addressed_key(server: str) -> None:
    objects = _store(server)
    data = b"%PDF-1.4 an original"
    ref = asyncio.run(objects.put_content_addressed("originals", "acme", data, suffix=".pdf",
                                                    content_type="application/pdf"))
    assert ref == ObjectRef(bucket="originals", key=content_key("acme", sha256_hex(data), ".pdf"),
                            sha256=sha256_hex(data), size=len(data))
    assert asyncio.run(objects.get_verified(ref)) == data
    # path-style, signed with the service's own key, one request each
    (put, put_path, signature), (get, get_path, _) = _S3.requests
    assert (put, get) == ("PUT", "GET")
    assert put_path == get_path == f"/originals/{ref.key}"
    assert "Credential=service-key/" in signature
    assert signature.startswith("AWS4-HMAC-SHA256")


def test_a_put_whose_caller_knows_the_hash_signs_the_payload_with_it_and_hashes_nothing_again(
        server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an original whose SHA-256 the caller has computed (ingest does, to key and check it)
    objects = _store(server)
    data = b"%PDF-1.4 " + bytes(range(256)) * 4096
    sha = sha256_hex(data)
    hashed: list[int] = []

    def counted(body: str | bytes | None) -> str:
        hashed.append(len(body or b""))
        return sha256_hash(body)

    monkeypatch.setattr("minio.api.sha256_hash", counted)
    # WHEN it is stored with that hash, and another object without one
    ref = asyncio.run(objects.put("originals", content_key("acme", sha, ".pdf"), data,
                                  content_type="application/pdf", sha256=sha))
    other = asyncio.run(objects.put("work", "acme/product.json", b"{}", content_type="application/json"))
    # THEN the first put's payload is signed with the caller's hash, which the server checked against the bytes
    # (a signature that does not hold or a hash that does not match is refused), and the body was hashed by
    # nobody in this process; the second is hashed by the client, as before
    assert _S3.payload_hashes == [sha, sha256_hex(b"{}")]
    assert [n for n in hashed if n] == [2]
    assert asyncio.run(objects.get_verified(ref)) == data
    assert asyncio.run(objects.get_verified(other)) == b"{}"


def test_a_put_with_a_hash_that_is_not_its_bytes_is_refused_by_a_server_that_checks(server: str) -> None:
    # GIVEN a caller whose hash is not the bytes' (a bug upstream): a server that checks the payload hash, as
    # MinIO does, refuses the put instead of storing bytes under a claim check they do not match
    objects = _store(server)
    with pytest.raises(TransientError, match="XAmzContentSHA256Mismatch"):
        asyncio.run(objects.put("originals", "acme/x.pdf", b"%PDF-1.4 one", content_type="application/pdf",
                                sha256=sha256_hex(b"%PDF-1.4 other")))
    assert _S3.objects == {}
    # and a value that is not a SHA-256 in hex is no payload hash: the client hashes the body itself
    client = storage.connect(server, "service-key", SECRET, "us-east-1")
    client.put_object("work", "acme/y", io.BytesIO(b"y"), 1, metadata={storage.PAYLOAD_SHA256: "not-a-hash"})
    assert _S3.payload_hashes[-1] == sha256_hex(b"y")


def test_s3_calls_never_wait_for_the_default_executor_and_keep_the_callers_context(server: str) -> None:
    # GIVEN a service whose default executor is busy (every thread blocked, as by slow password checks)
    objects = _store(server)
    seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="none")
    calls: list[str] = []
    original = objects._read

    def read(bucket: str, key: str) -> bytes | None:
        calls.append(seen.get())
        return original(bucket, key)

    objects._read = read  # type: ignore[method-assign]

    async def main() -> bytes | None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
        release = threading.Event()
        blocked = loop.run_in_executor(None, release.wait)
        try:
            seen.set("the message's context")
            # WHEN the store writes and reads meanwhile
            await asyncio.wait_for(objects.put("work", "acme/k", b"bytes", content_type="application/json"), 10)
            return await asyncio.wait_for(objects.get_bytes("work", "acme/k"), 10)
        finally:
            release.set()
            await blocked

    # THEN both finish in the store's own threads, in the caller's context (a span's parent is the message's)
    assert asyncio.run(main()) == b"bytes"
    assert calls == ["the message's context"]


def test_a_missing_object_is_none_and_a_missing_claim_check_transient(server: str) -> None:
    objects = _store(server)
    assert asyncio.run(objects.get_bytes("work", "acme/no/such/key")) is None
    with pytest.raises(TransientError, match="not found"):
        asyncio.run(objects.get_verified(ObjectRef(bucket="work", key="acme/gone", sha256="0" * 64, size=1)))


def test_bytes_that_do_not_match_their_claim_check_are_an_integrity_error(server: str) -> None:
    objects = _store(server)
    ref = asyncio.run(objects.put("work", "acme/product.json", b"{}", content_type="application/json"))
    forged = ref.model_copy(update={"sha256": sha256_hex(b"other")})
    with pytest.raises(IntegrityError) as failed:
        asyncio.run(objects.get_verified(forged))
    assert failed.value.actual == ref.sha256


def test_a_refusal_is_transient_for_a_read_and_a_write(server: str) -> None:
    objects = _store(server)
    with pytest.raises(TransientError, match="AccessDenied"):
        asyncio.run(objects.get_bytes("exports", "denied/x"))
    with pytest.raises(TransientError, match="AccessDenied"):
        asyncio.run(objects.put("exports", "denied/x", b"x", content_type="application/xml"))
    # a refusal is not tried again
    assert len(_S3.requests) == 2


def test_a_server_error_is_tried_again_up_to_three_times_in_all(server: str) -> None:
    objects = _store(server)
    _S3.fails = 2
    asyncio.run(objects.put("work", "flaky/a", b"a", content_type="application/json"))
    assert [r[0] for r in _S3.requests] == ["PUT", "PUT", "PUT"]
    _S3.fails, _S3.requests[:] = 5, []
    with pytest.raises(TransientError, match="SlowDown"):
        asyncio.run(objects.get_bytes("work", "flaky/a"))
    assert len(_S3.requests) == storage.ATTEMPTS


def test_a_server_that_does_not_answer_in_time_is_transient(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "READ_TIMEOUT_S", 0.2)
    objects = _store(server)
    _S3.delay_s = 1.0
    with pytest.raises(TransientError, match="slow/x"):
        asyncio.run(objects.get_bytes("work", "slow/x"))


def test_an_unreachable_server_is_transient() -> None:
    with socket.socket() as probe:  # an address nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
        objects = _store(url)
        with pytest.raises(TransientError, match="S3 put"):
            asyncio.run(objects.put("work", "k", b"x", content_type="application/json"))
        with pytest.raises(TransientError, match="S3 get"):
            asyncio.run(objects.get_bytes("work", "k"))
        objects.warm()  # a warm-up never fails


def test_an_endpoint_with_a_path_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="no path"):
        storage.connect("http://127.0.0.1:9000/s3", "k", "s", "us-east-1")

