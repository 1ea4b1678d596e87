"""S3 object storage with claim checks: content-addressed keys, hashes verified on every read."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from belegflow_contracts.runtime.errors import IntegrityError, TransientError
from belegflow_contracts.types import ObjectRef

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from belegflow_contracts.runtime.settings import ServiceSettings


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_key(tenant: str, sha256: str, suffix: str) -> str:
    """``<tenant>/<aa>/<sha256><suffix>``: writing the same bytes twice lands on the same key."""
    return f"{tenant}/{sha256[:2]}/{sha256}{suffix}"


class ObjectStore:
    """Thin async wrapper over boto3; every call states its timeout and retries."""

    def __init__(self, client: S3Client) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ObjectStore:
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            aws_access_key_id=settings.s3_access_key_id,
            aws_secret_access_key=settings.s3_secret_access_key,
            region_name=settings.s3_region,
            config=Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        return cls(client)

    async def put(self, bucket: str, key: str, data: bytes, *, content_type: str, sha256: str | None = None
                  ) -> ObjectRef:
        """Store ``data``; ``sha256``: its hash when the caller computed it already (it is not computed again)."""
        try:
            await asyncio.to_thread(
                self._client.put_object, Bucket=bucket, Key=key, Body=data, ContentType=content_type
            )
        except (BotoCoreError, ClientError) as exc:
            raise TransientError(f"S3 put {bucket}/{key} failed: {exc}") from exc
        return ObjectRef(bucket=bucket, key=key, sha256=sha256 or sha256_hex(data), size=len(data))

    async def put_content_addressed(
        self, bucket: str, tenant: str, data: bytes, *, suffix: str, content_type: str
    ) -> ObjectRef:
        return await self.put(bucket, content_key(tenant, sha256_hex(data), suffix), data, content_type=content_type)

    async def get_bytes(self, bucket: str, key: str) -> bytes | None:
        """The object's bytes, or ``None`` when it does not exist."""
        try:
            body = await asyncio.to_thread(self._read, bucket, key)  # the request and its body in one thread hop
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise TransientError(f"S3 get {bucket}/{key} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"S3 get {bucket}/{key} failed: {exc}") from exc
        return body

    def _read(self, bucket: str, key: str) -> bytes:
        body: bytes = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
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
        """One cheap request, so the first document's put does not pay for the client's first call (endpoint
        rules, connection); whatever the server answers, even a refusal, is fine."""
        with contextlib.suppress(Exception):  # a warm-up only; the real calls report their own errors
            self._client.list_buckets()

    async def ensure_buckets(self, buckets: tuple[str, ...]) -> None:
        for bucket in buckets:
            try:
                await asyncio.to_thread(self._client.head_bucket, Bucket=bucket)
            except ClientError:
                await asyncio.to_thread(self._client.create_bucket, Bucket=bucket)


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
