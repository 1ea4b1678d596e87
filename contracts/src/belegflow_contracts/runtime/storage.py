"""S3 object storage with claim checks: content-addressed keys, hashes verified on every read.

The services' calls go through the MinIO client (SigV4 over urllib3): a request costs well under half the CPU
of the same request through botocore (``python -m bench.s3client``). The archive's object-lock calls and the
stack's setup of the archive bucket stay on boto3 (``ensure_locked_bucket``, ``belegflow_export.archive``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import hashlib
import io
import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import certifi
import urllib3
from botocore.exceptions import ClientError
from minio import Minio
from minio.error import MinioException, S3Error
from minio.helpers import MAX_PART_SIZE, MIN_PART_SIZE
from opentelemetry.trace import SpanKind

from belegflow_contracts.runtime.errors import IntegrityError, TransientError
from belegflow_contracts.types import ObjectRef

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from minio.credentials.credentials import Credentials
    from minio.helpers import DictType
    from mypy_boto3_s3 import S3Client
    from opentelemetry.trace import Tracer

    from belegflow_contracts.runtime.settings import ServiceSettings

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
ATTEMPTS = 3
"""Tries of one request in all, as botocore's standard retry mode counts them: a refused or broken connection, a
read that timed out and a throttling or server error (429, 500, 502, 503, 504) are tried again, with backoff."""
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
FAILURES = (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError)
"""What a request may raise: the server's refusal or error, an HTTP or connection failure (retries spent)."""

S3_THREADS = 8
"""Threads of a store's own for its blocking S3 calls (the client's connection pool holds 10): S3 calls never
take the event loop's default executor, which the rest of the service (the NATS auth callout's password check
among them) must find free."""
_T = TypeVar("_T")

_tracer: Tracer | None = None


def trace_calls(tracer: Tracer | None) -> None:
    """Give every S3 call a span of its own (a child of the message or request that made it); ``None``: none."""
    global _tracer  # one switch per process, set where tracing is configured
    _tracer = tracer


@contextlib.contextmanager
def _span(operation: str, bucket: str, key: str | None = None) -> Iterator[None]:
    if _tracer is None:
        yield
        return
    attributes = {"rpc.system": "aws-api", "rpc.service": "S3", "rpc.method": operation, "aws.s3.bucket": bucket}
    if key is not None:
        attributes["aws.s3.key"] = key
    with _tracer.start_as_current_span(f"S3.{operation}", kind=SpanKind.CLIENT, attributes=attributes):
        yield


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_key(tenant: str, sha256: str, suffix: str) -> str:
    """``<tenant>/<aa>/<sha256><suffix>``: writing the same bytes twice lands on the same key."""
    return f"{tenant}/{sha256[:2]}/{sha256}{suffix}"


PAYLOAD_SHA256 = "x-amz-content-sha256"
"""SigV4's header for the SHA-256 of the request body, which the signature covers."""
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class _Client(Minio):
    """The MinIO client, except that a put whose caller already knows the body's SHA-256 (``PAYLOAD_SHA256`` in
    its headers) signs the payload with that hash instead of hashing the body a second time. Over plain http the
    payload stays signed, as before (a server that checks the hash, as MinIO does, refuses a body that does not
    match it); over https the client sends UNSIGNED-PAYLOAD and a Content-MD5 as it always did."""

    def _build_headers(self, host: str, headers: DictType | None = None, body: bytes | None = None,
                       creds: Credentials | None = None) -> tuple[DictType, datetime]:
        known = (headers or {}).get(PAYLOAD_SHA256)
        if not body or creds is None or self._base_url.is_https or not isinstance(known, str) \
                or not _SHA256_HEX.fullmatch(known):
            return super()._build_headers(host, headers, body, creds)
        built, date = super()._build_headers(host, headers, None, creds)  # the headers, with no body to hash
        built["Content-Length"] = str(len(body))
        built[PAYLOAD_SHA256] = known
        return built, date


def connect(endpoint_url: str, access_key: str, secret_key: str, region: str, *, ca_bundle: str | None = None
            ) -> Minio:  # fmt: skip
    """A client of the S3 server at ``endpoint_url`` (``http[s]://host[:port]``) with the services' timeouts and
    retries; path-style requests (the bucket in the path) to any server but AWS's own. ``ca_bundle``: the CA
    certificates an https endpoint is checked against (certifi's when ``None``)."""
    url = urlsplit(endpoint_url)
    if url.scheme not in ("http", "https") or not url.netloc or url.path.strip("/") or url.query:
        raise ValueError(f"S3 endpoint URL {endpoint_url!r}: want http[s]://host[:port], no path")
    retries = urllib3.Retry(
        total=ATTEMPTS - 1, connect=ATTEMPTS - 1, read=ATTEMPTS - 1, status=ATTEMPTS - 1, other=0,
        allowed_methods=frozenset({"GET", "HEAD", "PUT"}),  # each of ours may be repeated (keys are idempotent)
        status_forcelist=frozenset({429, 500, 502, 503, 504}), backoff_factor=0.5, backoff_max=20.0,
        backoff_jitter=0.5, respect_retry_after_header=True,
        raise_on_status=False,  # the last answer is the client's to read (its S3 error code), not urllib3's
    )
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S), maxsize=10, retries=retries,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_bundle or certifi.where(),
    )
    return _Client(url.netloc, access_key=access_key, secret_key=secret_key, secure=url.scheme == "https",
                   region=region, http_client=http)


class ObjectStore:
    """Thin async wrapper over an S3 client; every call states its timeout and retries (``connect``)."""

    def __init__(self, client: Minio) -> None:
        self._client = client
        self._threads: ThreadPoolExecutor | None = None

    async def _call(self, fn: Callable[..., _T], *args: object) -> _T:
        """``fn(*args)`` in one of the store's threads, in the caller's context (its span is the parent)."""
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=S3_THREADS, thread_name_prefix="s3")
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._threads, call)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ObjectStore:
        return cls(connect(settings.s3_endpoint_url, settings.s3_access_key_id, settings.s3_secret_access_key,
                           settings.s3_region, ca_bundle=settings.s3_ca_bundle))

    def _put(self, bucket: str, key: str, data: bytes, content_type: str, sha256: str | None) -> None:
        with _span("PutObject", bucket, key):
            # one request whatever the size, as before (no multipart upload, which the keys' policies may refuse);
            # the payload is signed with the hash the caller has (``_Client``)
            self._client.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type,
                                    part_size=min(max(len(data), MIN_PART_SIZE), MAX_PART_SIZE),
                                    metadata={PAYLOAD_SHA256: sha256} if sha256 is not None else None)

    async def put(self, bucket: str, key: str, data: bytes, *, content_type: str, sha256: str | None = None
                  ) -> ObjectRef:
        """Store ``data``; ``sha256``: its hash when the caller computed it already (it is not computed again,
        neither here nor for the request's signature, which signs the payload with it)."""
        try:
            await self._call(self._put, bucket, key, data, content_type, sha256)
        except FAILURES as exc:
            raise TransientError(f"S3 put {bucket}/{key} failed: {exc}") from exc
        return ObjectRef(bucket=bucket, key=key, sha256=sha256 or sha256_hex(data), size=len(data))

    async def put_content_addressed(
        self, bucket: str, tenant: str, data: bytes, *, suffix: str, content_type: str
    ) -> ObjectRef:
        return await self.put(bucket, content_key(tenant, sha256_hex(data), suffix), data, content_type=content_type)

    async def get_bytes(self, bucket: str, key: str) -> bytes | None:
        """The object's bytes, or ``None`` when it does not exist."""
        try:
            return await self._call(self._read, bucket, key)  # the request and its body in one thread hop
        except FAILURES as exc:
            raise TransientError(f"S3 get {bucket}/{key} failed: {exc}") from exc

    def _read(self, bucket: str, key: str) -> bytes | None:
        with _span("GetObject", bucket, key):
            try:
                response = self._client.get_object(bucket, key)
            except S3Error as exc:
                if exc.code in MISSING:
                    return None
                raise
            try:
                body: bytes = response.read()
            finally:
                response.close()
                response.release_conn()
        return body

    async def get_verified(self, ref: ObjectRef) -> bytes:
        """Read a claim check; a missing object is transient (eventual consistency), a bad hash permanent."""
        data = await self.get_bytes(ref.bucket, ref.key)
        if data is None:
            raise TransientError(f"S3 object {ref.bucket}/{ref.key} not found")
        actual = sha256_hex(data)
        if actual != ref.sha256:
            raise IntegrityError(bucket=ref.bucket, key=ref.key, expected=ref.sha256, actual=actual)
        return data

    def warm(self) -> None:
        """One cheap request, so the first document's put does not pay for the client's first call (imports,
        connection); whatever the server answers, even a refusal, is fine."""
        with contextlib.suppress(Exception):  # a warm-up only; the real calls report their own errors
            self._client.list_buckets()

    async def ensure_buckets(self, buckets: tuple[str, ...]) -> None:
        for bucket in buckets:
            if not await self._call(self._client.bucket_exists, bucket):
                await self._call(self._client.make_bucket, bucket)


def ensure_locked_bucket(client: S3Client, bucket: str) -> bool:
    """Create ``bucket`` with object lock where missing (blocking; run it in a thread); True when the server locks
    its objects. Object lock can only be switched on when a bucket is created, so the stack's setup creates the
    archive bucket with it before any service starts; export checks it again at its start."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        try:
            client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        except ClientError:
            client.create_bucket(Bucket=bucket)
    try:
        config = client.get_object_lock_configuration(Bucket=bucket)
    except ClientError:
        return False
    return config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
