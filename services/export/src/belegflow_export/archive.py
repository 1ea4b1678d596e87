"""The GoBD archive: write-once objects under content-addressed keys, object lock, a hash-chained index per tenant.

- **Objects** lie at ``<tenant>/objects/<aa>/<sha256><suffix>``. A key is written once: the put is
  conditional (``If-None-Match: *``); on a server that does not refuse a second conditional put of a key
  (export tries it once at start, on ``_belegflow/conditional-put-probe``) each put is preceded by a look-up,
  so the guarantee holds there too. Where the bucket has object lock, each put carries COMPLIANCE retention
  until the end of the year plus 8 years (invoices) or 10 (booking records). A step's objects are written at
  once (they are content-addressed, so their order does not matter), then its index entries in one object.
- **The index** is one JSON entry per archived object. A step's entries are written once, together, as one
  object at ``<tenant>/index/<seq of its first entry>.json``: one entry per line (a single entry is the whole
  object, as every entry was before). Each entry names the previous entry's SHA-256 (``prev``), so no entry can
  be changed, removed or slipped in without breaking the chain. Export's schema keeps a second copy of the chain
  (``archive_index``).
- **verify** reads both copies and every object: a missing, altered or extra object or index entry and a
  broken chain are each reported with the key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from belegflow_contracts.messages import ArchiveEntryV1
from belegflow_contracts.runtime.errors import TransientError
from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.runtime.storage import ensure_locked_bucket
from belegflow_export import store
from belegflow_export.errors import ArchiveError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_boto3_s3 import S3Client

    from belegflow_contracts.runtime.db import Connection

__all__ = [
    "GENESIS",
    "ArchiveBucket",
    "ArchiveItem",
    "ArchiveKind",
    "Finding",
    "VerifyReport",
    "append",
    "entry_contract",
    "index_bodies",
    "index_key",
    "object_key",
    "retain_until",
    "verify",
]

log = get_logger(__name__)
GENESIS: Final = store.GENESIS
PROBE_KEY: Final = "_belegflow/conditional-put-probe"
INDEX_CONTENT_TYPE: Final = "application/x-ndjson"


class ArchiveKind(StrEnum):
    ORIGINAL = "original"
    EINVOICE = "einvoice"
    FIELDS = "fields"
    PROTOCOL = "protocol"
    TMS_TRANSFER = "tms-transfer"
    DATEV_BATCH = "datev-batch"
    DATEV_DOCUMENTS = "datev-documents"


#: Booking records are kept 10 years, everything else (invoices and their documents) 8.
BOOKING_RECORDS: Final = frozenset({ArchiveKind.DATEV_BATCH})


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_key(tenant: str, sha256: str, suffix: str) -> str:
    return f"{tenant}/objects/{sha256[:2]}/{sha256}{suffix}"


def index_key(tenant: str, seq: int) -> str:
    return f"{tenant}/index/{seq:012d}.json"


def retain_until(basis: date, years: int) -> datetime:
    """GoBD counts from the end of the calendar year: the retention ends with the last day of ``year + years``."""
    return datetime(basis.year + years + 1, 1, 1, tzinfo=UTC)


def _entry_bytes(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class ArchiveItem:
    """One thing to archive and what it is: which document, which event, who caused it."""

    kind: ArchiveKind
    data: bytes
    suffix: str
    content_type: str
    event: str
    by: str
    basis: date
    document_id: UUID | None = None
    revision: int | None = None


class ArchiveBucket:
    """The archive bucket (blocking boto3 calls; callers run them in a thread)."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self.bucket = bucket
        self.object_lock = False
        # True once the server was seen to refuse a second conditional put of a key: no look-up before a put
        self.conditional_puts = False

    @classmethod
    def connect(cls, *, endpoint_url: str, access_key_id: str, secret_access_key: str, region: str,
                bucket: str) -> ArchiveBucket:
        client = boto3.client(
            "s3", endpoint_url=endpoint_url, aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key, region_name=region,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 5, "mode": "standard"},
                          s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"),
        )
        return cls(client, bucket)

    @property
    def client(self) -> S3Client:
        return self._client

    def ensure(self) -> bool:
        """Create the bucket with object lock where missing; True when the server locks its objects."""
        self.object_lock = ensure_locked_bucket(self._client, self.bucket)
        self.conditional_puts = self._refuses_second_put()
        log.info("archive bucket ready", bucket=self.bucket, object_lock=self.object_lock,
                 conditional_puts=self.conditional_puts)
        return self.object_lock

    def _refuses_second_put(self) -> bool:
        """Whether the server refuses a conditional put (``If-None-Match: *``) of a key that exists.

        Two conditional puts of one key outside every tenant's prefix (a tenant starts with a letter or digit);
        only a refusal of the second with 412 counts. Anything else, a refused or failed probe included, keeps
        the look-up before each put."""
        outcomes: list[bool] = []
        for _ in range(2):
            try:
                self._client.put_object(Bucket=self.bucket, Key=PROBE_KEY, Body=b"probe", IfNoneMatch="*")
                outcomes.append(True)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in {"PreconditionFailed", "412"}:
                    return False
                outcomes.append(False)
            except BotoCoreError:
                return False
        return outcomes[-1] is False

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def put_once(self, key: str, data: bytes, *, content_type: str, until: datetime) -> bool:
        """Write ``key`` unless it exists; False when it did (never overwritten)."""
        if not self.conditional_puts and self.exists(key):
            return False
        extra: dict[str, Any] = {}
        if self.object_lock:
            extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                                    IfNoneMatch="*", **extra)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in {"PreconditionFailed", "412"}:
                return False
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
            if 400 <= status < 500:  # the server refuses this put; repeating it cannot help
                raise ArchiveError(f"archive refused to write {key}: {code} ({exc})") from exc
            raise TransientError(f"archive put {key} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"archive put {key} failed: {exc}") from exc
        return True

    def get(self, key: str) -> bytes | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        body: bytes = response["Body"].read()
        return body

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return found


# --- appending -------------------------------------------------------------------------------------------------


async def append(conn: Connection, bucket: ArchiveBucket, tenant: str, items: Sequence[ArchiveItem], *,
                 at: datetime, invoice_years: int, booking_years: int) -> list[dict[str, Any]]:
    """Archive ``items`` and chain an index entry for each; in the caller's transaction, one writer per tenant."""
    seq, head = await store.lock_archive_head(conn, tenant)
    shas = [_sha(item.data) for item in items]
    keys = [object_key(tenant, sha, item.suffix) for sha, item in zip(shas, items, strict=True)]
    earlier = await store.find_archive_entries(
        conn, tenant, [(key, item.document_id, item.kind.value) for key, item in zip(keys, items, strict=True)])
    again = [body is not None and json.loads(body).get("revision") == item.revision
             for body, item in zip(earlier, items, strict=True)]
    untils = [retain_until(item.basis, booking_years if item.kind in BOOKING_RECORDS else invoice_years)
              for item in items]

    def put_object(i: int) -> None:
        item = items[i]
        if not bucket.put_once(keys[i], item.data, content_type=item.content_type, until=untils[i]):
            existing = bucket.get(keys[i])
            if existing is None or _sha(existing) != shas[i]:
                raise ArchiveError(f"archive object {keys[i]} exists with other content; it was altered")

    # the objects first, all at once: content-addressed and written once, their order does not matter
    await asyncio.gather(*(asyncio.to_thread(put_object, i) for i in range(len(items)) if not again[i]))
    entries: dict[int, dict[str, Any]] = {}
    todo: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(items):
        if again[i]:
            # archived before (a redelivery after a crash took it into the chain): once is enough
            body_text = earlier[i] or ""
            entries[i] = {**json.loads(body_text), "entry_sha256": _sha(body_text.encode())}
            continue
        todo.append((i, {
            "tenant": tenant, "at": at.astimezone(UTC).isoformat(), "kind": item.kind.value, "event": item.event,
            "by": item.by, "document_id": str(item.document_id) if item.document_id else None,
            "revision": item.revision, "key": keys[i], "sha256": shas[i], "size": len(item.data),
            "content_type": item.content_type, "retain_until": untils[i].isoformat(),
        }))
    index_until = retain_until(at.date(), booking_years)
    added: list[tuple[int, str, str, UUID | None, str, str]] = []
    while todo:
        # the step's entries, each naming the one before, in one object under the first entry's seq
        bodies: list[bytes] = []
        prev = head
        for n, (_, entry) in enumerate(todo, start=1):
            bodies.append(_entry_bytes({**entry, "seq": seq + n, "prev": prev}))
            prev = _sha(bodies[-1])
        if await asyncio.to_thread(bucket.put_once, index_key(tenant, seq + 1), b"\n".join(bodies),
                                   content_type=INDEX_CONTENT_TYPE, until=index_until):
            for (i, _), body in zip(todo, bodies, strict=True):
                seq += 1
                head = _sha(body)
                added.append((seq, body.decode(), head, items[i].document_id, items[i].kind.value, keys[i]))
                entries[i] = {**json.loads(body), "entry_sha256": head}
            break
        # the key exists: the entries of a writer whose transaction did not commit; kept where they chain, and
        # those of these very items (a try of this step that did not commit) taken as theirs
        for body in await _adopt(conn, bucket, tenant, seq + 1, head):
            seq += 1
            head = _sha(body)
            if todo and _same(json.loads(body), todo[0][1]):
                entries[todo[0][0]] = {**json.loads(body), "entry_sha256": head}
                todo = todo[1:]
    await store.add_archive_entries(conn, tenant, added)
    await store.set_archive_head(conn, tenant, seq, head)
    return [entries[i] for i in range(len(items))]


def index_bodies(data: bytes) -> list[bytes]:
    """The entries of one index object, each as written (one per line)."""
    return data.split(b"\n")


def _same(existing: dict[str, Any], entry: dict[str, Any]) -> bool:
    return all(existing.get(name) == entry[name] for name in ("kind", "key", "sha256", "document_id", "revision"))


async def _adopt(conn: Connection, bucket: ArchiveBucket, tenant: str, first: int, head: str) -> list[bytes]:
    """Index entries already at ``first``: written by a writer whose transaction then failed. Kept if they chain."""
    key = index_key(tenant, first)
    existing = await asyncio.to_thread(bucket.get, key)
    if existing is None:
        raise ArchiveError(f"archive index entry {key} refused a write but cannot be read")
    bodies = index_bodies(existing)
    prev = head
    rows: list[tuple[int, str, str, UUID | None, str, str]] = []
    for seq, body in enumerate(bodies, start=first):
        try:
            entry = json.loads(body)
        except ValueError as exc:
            raise ArchiveError(f"archive index entry {key} is not JSON") from exc
        if not isinstance(entry, dict) or entry.get("prev") != prev or entry.get("seq") != seq:
            raise ArchiveError(f"archive index entry {key} does not follow the chain's head")
        prev = _sha(body)
        document = entry.get("document_id")
        rows.append((seq, body.decode(), prev, UUID(document) if document else None, str(entry.get("kind")),
                     str(entry.get("key"))))
    await store.add_archive_entries(conn, tenant, rows)
    log.warning("archive index entries of an unfinished write adopted", first=first, count=len(bodies))
    return bodies


def entry_contract(entry: dict[str, Any]) -> ArchiveEntryV1:
    """An index entry as ``append`` returns it, in its contract form."""
    return ArchiveEntryV1.model_validate({name: entry[name] for name in ArchiveEntryV1.model_fields})


# --- verifying -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong in the archive: what, where, and the detail."""

    problem: str
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.key} ({self.detail})"


@dataclass(slots=True)
class VerifyReport:
    tenant: str
    entries: int = 0
    objects: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


async def verify(conn: Connection, bucket: ArchiveBucket, tenant: str) -> VerifyReport:
    """Check the tenant's chain (both copies) and every object it names; list what is extra in the bucket."""
    report = VerifyReport(tenant=tenant)
    rows = await store.archive_entries(conn, tenant)
    index_keys = sorted(await asyncio.to_thread(bucket.keys, f"{tenant}/index/"))
    object_keys = set(await asyncio.to_thread(bucket.keys, f"{tenant}/objects/"))
    # every entry in the bucket by its seq, with the index object that holds it
    stored: dict[int, tuple[str, bytes]] = {}
    extra: list[str] = []
    for key in index_keys:
        data = await asyncio.to_thread(bucket.get, key)
        for body in index_bodies(data or b""):
            seq = _seq_of(body)
            if seq is None or seq in stored:
                extra.append(key)
            else:
                stored[seq] = (key, body)
    prev, referenced = GENESIS, set()
    for row in rows:
        report.entries += 1
        key, found = stored.pop(row.seq, (index_key(tenant, row.seq), None))
        if found is None:
            report.findings.append(Finding("missing index entry", key, f"entry {row.seq} is not in the bucket"))
        elif found != row.body.encode():
            report.findings.append(Finding("altered index entry", key, f"entry {row.seq}: sha256 {_sha(found)} in "
                                                                       f"the bucket, {row.sha256} in the chain"))
        entry = json.loads(row.body)
        if _sha(row.body.encode()) != row.sha256 or entry.get("prev") != prev or entry.get("seq") != row.seq:
            report.findings.append(Finding("broken chain", key, f"entry {row.seq} does not follow entry {row.seq - 1}"))
        prev = row.sha256
        target = str(entry.get("key"))
        referenced.add(target)
        data = await asyncio.to_thread(bucket.get, target)
        report.objects += 1
        if data is None:
            report.findings.append(Finding("missing object", target, f"named by index entry {row.seq}"))
        elif _sha(data) != entry.get("sha256"):
            report.findings.append(Finding("altered object", target,
                                           f"sha256 {_sha(data)}, index entry {row.seq} says {entry.get('sha256')}"))
    head = await store.archive_head(conn, tenant)
    if head is not None and head != (len(rows), prev):
        report.findings.append(Finding("broken chain", f"{tenant}/index/",
                                       "the chain's head does not match its entries"))
    for key in sorted({*extra, *(key for key, _ in stored.values())}):
        report.findings.append(Finding("extra index entry", key, "not in the chain"))
    for key in sorted(object_keys - referenced):
        report.findings.append(Finding("extra object", key, "no index entry names it"))
    return report


def _seq_of(body: bytes) -> int | None:
    try:
        entry = json.loads(body)
    except ValueError:
        return None
    seq = entry.get("seq") if isinstance(entry, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None
