"""Central side of edge capture on NATS: device uploads and chunks (JetStream), and the request/reply subjects.

Tenant and device always come from the subject (the server lets a device publish only below its own
prefix), never from a message body. Request/reply handlers never raise: every refusal is an answer.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

import nats.js.errors
from faststream.nats import NatsRouter
from pydantic import BaseModel, ValidationError

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DeviceBatchDocumentV1,
    DeviceBatchLimitsV1,
    DeviceBatchReceiptV1,
    DeviceBatchV1,
    DeviceCapabilitiesRequestV1,
    DeviceCapabilitiesV1,
    DeviceCaptureV1,
    DeviceConfigV1,
    DeviceMasterDataV1,
    DeviceReceiptV1,
    DeviceState,
    EdgeAckV1,
    Level,
    NumberBlockReplyV1,
    NumberBlockRequestV1,
    ProtocolEntryV1,
    ReceiptListV1,
    ReceiptQueryV1,
    ReceiptStatus,
    Source,
    SyncDataReplyV1,
    SyncDataRequestV1,
    SyncResult,
    SyncSessionV1,
)
from belegflow_contracts.runtime.context import Context, NatsMessage
from belegflow_contracts.runtime.errors import PermanentError
from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.runtime.messaging import consumer, jstream, message_id, outgoing, run_once
from belegflow_contracts.runtime.service import Runtime
from belegflow_ingest import device_store, devices, metrics, store
from belegflow_ingest.domain import admit
from belegflow_ingest.errors import AdmissionError
from belegflow_ingest.intake import BatchItem, BatchResult, take_in, take_in_batch
from belegflow_ingest.settings import Settings

if TYPE_CHECKING:
    from belegflow_contracts.runtime import Outgoing
    from belegflow_contracts.runtime.db import Connection

log = get_logger(__name__)
router = NatsRouter()
RuntimeDep = Annotated[Runtime, Context("runtime")]
SettingsDep = Annotated[Settings, Context("settings")]

SEQUENCE_HEADER = "Belegflow-Sequence"
FILENAME_HEADER = "Belegflow-Filename"
SHA256_HEADER = "Belegflow-Sha256"
CAPTURE_HEADER = "Belegflow-Capture"
CHUNK_HEADER = "Belegflow-Chunk"
SIZE_HEADER = "Belegflow-Size"
QUEUE = "ingest"
UPLOAD_WORKERS = 16
"""Device uploads (and chunks) handled at once per replica: the database, S3 and the broker are waited on
together, not one document after the other. Two deliveries of the same sequence never run at once."""
CONFIG_BUCKET, MASTERDATA_BUCKET = subjects.KV_BUCKETS

M = TypeVar("M", bound=BaseModel)
A = TypeVar("A", bound=BaseModel)


def _origin(msg: NatsMessage) -> tuple[str, str]:
    """(tenant, device) of a device subject ``edge.<t>.<d>.<kind>.v1``."""
    parts = msg.raw_message.subject.split(".")
    if len(parts) != 5 or parts[0] != "edge":
        raise PermanentError(f"not a device subject: {msg.raw_message.subject}")
    return parts[1], parts[2]


def _header(msg: NatsMessage, name: str) -> str:
    return str((msg.headers or {}).get(name, ""))


def _sequence(msg: NatsMessage) -> int:
    try:
        sequence = int(_header(msg, SEQUENCE_HEADER))
    except ValueError:
        raise PermanentError(f"device upload without a valid {SEQUENCE_HEADER} header") from None
    if sequence < 0:
        raise PermanentError(f"device upload with a negative {SEQUENCE_HEADER} header")
    return sequence


def _rejected(tenant: str, device: str, sequence: int, sha256: str, reason: str) -> DeviceReceiptV1:
    return DeviceReceiptV1(tenant=tenant, device=device, sequence=sequence, sha256=sha256,
                           status=ReceiptStatus.REJECTED, reason=reason)


def parse_capture(raw: str) -> DeviceCaptureV1 | None:
    """The ``Belegflow-Capture`` header; absent is fine, malformed is an ``AdmissionError``."""
    if not raw:
        return None
    try:
        return DeviceCaptureV1.model_validate_json(raw)
    except ValidationError as exc:
        raise AdmissionError(f"{CAPTURE_HEADER} header is not a valid DeviceCaptureV1: "
                             f"{exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None


_locks: dict[tuple[str, str, int], asyncio.Lock] = {}
_lock_users: Counter[tuple[str, str, int]] = Counter()


@contextlib.asynccontextmanager
async def one_at_a_time(tenant: str, device: str, sequence: int) -> AsyncIterator[None]:
    """Deliveries of one device sequence (a resend, the chunks of one document) are handled one after the other."""
    key = (tenant, device, sequence)
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    _lock_users[key] += 1
    try:
        async with lock:
            yield
    finally:
        _lock_users[key] -= 1
        if not _lock_users[key]:
            del _lock_users[key]
            del _locks[key]


def raw_body(msg: NatsMessage) -> bytes:
    """The decoder of the subscribers that take a device's bytes: the body as it came. The default decoder tries
    every body without a content type as JSON first (on the event loop: the whole body decoded as UTF-8, which for
    a scan ends at its first binary byte with an error that holds a copy of the body) before it gives it up."""
    body: bytes = msg.body
    return body


@dataclass(frozen=True, slots=True)
class Answer:
    """A receipt for the device; ``pairing``: kept for that pairing of the slot in the transaction that answers."""

    receipt: DeviceReceiptV1
    pairing: int | None = None


async def _pairing(rt: Runtime, tenant: str, device: str, *, backlog: int | None = None) -> int | str:
    """The device's current pairing when it is paired (and its contact is recorded), else why it may not do this.

    Sequence numbers count per pairing: a device paired after a reset starts at 1 again.
    """
    async with rt.db.acquire() as conn:
        slot = await device_store.contact(conn, tenant, device, at=datetime.now(UTC), backlog=backlog)
    if slot is not None and slot[0] is DeviceState.PAIRED:
        return slot[1]
    if slot is None:
        return f"device {device!r} of tenant {tenant} is not paired: no such slot"
    return f"device {device!r} of tenant {tenant} is not paired (slot state: {slot[0].value})"


async def _arrival(rt: Runtime, tenant: str, device: str, sequence: int) -> tuple[int | str, DeviceReceiptV1 | None]:
    """``_pairing`` and the receipt kept for ``sequence`` of that pairing, in one query."""
    async with rt.db.acquire() as conn:
        slot = await device_store.contact_for(conn, tenant, device, sequence, at=datetime.now(UTC))
    if slot is None:
        return f"device {device!r} of tenant {tenant} is not paired: no such slot", None
    if slot[0] is not DeviceState.PAIRED:
        return f"device {device!r} of tenant {tenant} is not paired (slot state: {slot[0].value})", None
    return slot[1], slot[2]


async def _paired(rt: Runtime, tenant: str, device: str, *, backlog: int | None = None) -> str | None:
    """None when the device is paired (and its contact is recorded), else why it may not do this."""
    pairing = await _pairing(rt, tenant, device, backlog=backlog)
    return pairing if isinstance(pairing, str) else None


async def receive_document(
    rt: Runtime, settings: Settings, *, tenant: str, device: str, sequence: int, data: bytes, claimed_sha256: str,
    filename: str, capture_header: str, arrival: tuple[int | str, DeviceReceiptV1 | None] | None = None,
) -> Answer:
    """The one way a device's document comes in (whole or assembled from chunks); returns the answer, which
    ``_answer`` keeps (a confirmed answer kept before stays the answer). ``arrival``: when the caller has it."""
    actual = hashlib.sha256(data).hexdigest()
    pairing, known = arrival or await _arrival(rt, tenant, device, sequence)
    if isinstance(pairing, str):
        return Answer(_rejected(tenant, device, sequence, actual, pairing))
    if known is not None and known.status is not ReceiptStatus.REJECTED:
        if known.sha256 == actual:
            return Answer(known)  # a resend after a lost receipt: the same answer, however late
        return Answer(_rejected(tenant, device, sequence, actual,
                                f"sequence {sequence} already carried another document (sha256 {known.sha256}); "
                                "a sequence number is never reused"))
    receipt: DeviceReceiptV1
    if claimed_sha256 != actual:
        receipt = _rejected(tenant, device, sequence, actual,
                            f"hash mismatch: header says {claimed_sha256 or 'nothing'}, bytes are {actual}")
    else:
        try:
            capture = parse_capture(capture_header)

            async def recorded(conn: Connection, document_id: Any) -> None:
                if capture is not None:
                    await keep_capture(conn, document_id, device, sequence, capture)

            result = await take_in(rt, tenant=tenant, data=data, filename=urllib.parse.unquote(filename),
                                   source=Source.DEVICE, limit=settings.max_upload_bytes, device=device,
                                   device_pairing=pairing, device_sequence=sequence, recorded=recorded)
        except AdmissionError as exc:
            receipt = _rejected(tenant, device, sequence, actual, exc.message)
        else:
            duplicate = result.duplicate
            if duplicate:
                # the device's own earlier delivery (answered before the receipt was kept) is no duplicate;
                # one of an earlier pairing of the slot is
                async with rt.db.acquire() as conn:
                    origin = await store.device_origin(conn, result.document_id)
                duplicate = origin != (device, pairing, sequence)
            receipt = DeviceReceiptV1(tenant=tenant, device=device, sequence=sequence, sha256=actual,
                                      status=ReceiptStatus.DUPLICATE if duplicate else ReceiptStatus.ACCEPTED,
                                      document_id=result.document_id)
    return Answer(receipt, pairing)


async def keep_capture(conn: Connection, document_id: Any, device: str, sequence: int,
                       capture: DeviceCaptureV1) -> None:
    """What the device recorded at capture goes with the document and into its protocol (in the caller's
    transaction)."""
    data = capture.model_dump(mode="json", exclude_none=True)
    await conn.execute("UPDATE documents SET capture = $2::jsonb WHERE id = $1 AND capture IS NULL",
                       document_id, json.dumps(data))
    number = f" as {capture.document_number}" if capture.document_number else ""
    entry = ProtocolEntryV1(
        step="ingest", at=datetime.now(UTC), level=Level.INFO,
        message=f"captured on device {device}{number} ({capture.document_type}) "
                f"at {capture.captured_at.isoformat()}",
        data={"device": device, "sequence": str(sequence), **{k: str(v) for k, v in data.items()}},
    )
    await store.add_protocol(conn, document_id, [entry])


async def record_capture(conn: Connection, document_id: Any, device: str, sequence: int,
                         capture: DeviceCaptureV1) -> None:
    """``keep_capture`` in a transaction of its own."""
    async with conn.transaction():
        await keep_capture(conn, document_id, device, sequence, capture)


async def _answer(rt: Runtime, msg: NatsMessage, consumer_name: str, answer: Answer | DeviceReceiptV1) -> None:
    """Keep the receipt (when it has a pairing) and publish it, exactly once per incoming message, in one
    transaction (a resend is a new message and is answered again)."""
    if isinstance(answer, DeviceReceiptV1):
        answer = Answer(answer)
    incoming = message_id(msg)

    async def effects(conn: Connection) -> list[Outgoing]:
        receipt = answer.receipt
        if answer.pairing is not None:
            receipt = await device_store.save_receipt(conn, receipt, pairing=answer.pairing)
        return [outgoing(subjects.device_receipt(receipt.tenant, receipt.device), receipt,
                         msg_id=f"receipt:{receipt.tenant}:{receipt.device}:{receipt.sequence}:{incoming}")]

    await run_once(rt.db, rt.broker, consumer_name=consumer_name, message_id=incoming, effects=effects)


@router.subscriber(  # type: ignore[untyped-decorator]  # faststream's decorator is untyped with **kwargs
    subjects.ALL_DEVICE_UPLOADS, stream=jstream("EDGE"),
    **consumer("ingest-device-uploads", max_workers=UPLOAD_WORKERS), decoder=raw_body)
async def on_device_upload(msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    """A device sends a document's bytes over its own subject; ingest answers with a receipt."""
    body = msg.body  # raw bytes: a document is never decoded as JSON
    tenant, device = _origin(msg)
    sequence = _sequence(msg)
    async with one_at_a_time(tenant, device, sequence):
        answer = await receive_document(rt, settings, tenant=tenant, device=device, sequence=sequence, data=body,
                                        claimed_sha256=_header(msg, SHA256_HEADER),
                                        filename=_header(msg, FILENAME_HEADER),
                                        capture_header=_header(msg, CAPTURE_HEADER))
        await _answer(rt, msg, "ingest-device-uploads", answer)


def parse_chunk(header: str, size_header: str, limit: int) -> tuple[int, int, int]:
    """(index, count, size) of ``Belegflow-Chunk: <index>/<count>`` and ``Belegflow-Size``; ValueError says why."""
    try:
        index_s, count_s = header.split("/")
        index, count, size = int(index_s), int(count_s), int(size_header)
    except ValueError:
        raise ValueError(f"chunk without valid {CHUNK_HEADER} (<index>/<count>) and {SIZE_HEADER} headers: "
                         f"{header!r}, {size_header!r}") from None
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"chunk {header!r}: index must be 0..count-1")
    if size < 1:
        raise ValueError(f"chunk {header!r}: whole size {size} is not positive")
    if size > limit:
        raise ValueError(f"document is larger than the limit of {limit} bytes (announced {size})")
    return index, count, size


@router.subscriber(  # type: ignore[untyped-decorator]  # faststream's decorator is untyped with **kwargs
    subjects.ALL_DEVICE_CHUNKS, stream=jstream("EDGE"),
    **consumer("ingest-device-chunks", max_workers=UPLOAD_WORKERS), decoder=raw_body)
async def on_device_chunk(msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    """One chunk of a larger document: kept until all are there, then assembled, verified and taken in."""
    tenant, device = _origin(msg)
    sequence = _sequence(msg)
    async with one_at_a_time(tenant, device, sequence):
        await _chunk(msg, rt, settings, tenant, device, sequence)


async def _chunk(msg: NatsMessage, rt: Runtime, settings: Settings, tenant: str, device: str, sequence: int) -> None:
    body = msg.body
    claimed = _header(msg, SHA256_HEADER)
    try:
        index, count, size = parse_chunk(_header(msg, CHUNK_HEADER), _header(msg, SIZE_HEADER),
                                         settings.max_upload_bytes)
    except ValueError as exc:
        await _answer(rt, msg, "ingest-device-chunks", _rejected(tenant, device, sequence, claimed or "-", str(exc)))
        return
    last = index == count - 1
    pairing, known = await _arrival(rt, tenant, device, sequence)
    if isinstance(pairing, str):
        if last:
            await _answer(rt, msg, "ingest-device-chunks", _rejected(tenant, device, sequence, claimed or "-", pairing))
        return
    if known is not None and known.status is not ReceiptStatus.REJECTED:
        # sent again after it was taken in: answer once, on the last chunk, as for a whole upload
        if last:
            again = known if known.sha256 == claimed else _rejected(
                tenant, device, sequence, claimed,
                f"sequence {sequence} already carried another document (sha256 {known.sha256}); "
                "a sequence number is never reused")
            await _answer(rt, msg, "ingest-device-chunks", again)
        return
    key = device_store.ChunkKey(tenant, device, pairing, sequence, claimed)
    async with rt.db.acquire() as conn:
        have = await device_store.add_chunk(conn, key, index=index, count=count, size=size, data=body,
                                            sweep=index == 0)
    if have < count:
        return
    async with rt.db.acquire() as conn:
        parts = await device_store.chunks(conn, key)
    data = b"".join(part for i, n, _, part in parts if n == count)
    answer: Answer | DeviceReceiptV1
    if [i for i, n, _, _ in parts if n == count] != list(range(count)) or len(data) != size:
        answer = _rejected(tenant, device, sequence, hashlib.sha256(data).hexdigest(),
                           f"chunks do not add up: {len(data)} bytes in {count} chunks, announced {size}")
    else:
        answer = await receive_document(rt, settings, tenant=tenant, device=device, sequence=sequence, data=data,
                                        claimed_sha256=claimed, filename=_header(msg, FILENAME_HEADER),
                                        capture_header=_header(msg, CAPTURE_HEADER), arrival=(pairing, None))
    async with rt.db.acquire() as conn:
        await device_store.drop_chunks(conn, key)
    await _answer(rt, msg, "ingest-device-chunks", answer)


# --- request/reply -------------------------------------------------------------------------------


def parse_message(model: type[M], body: bytes) -> M | str:
    """``body`` as a ``model``, or what is wrong with it (the first problem, with where it is)."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"not a valid {model.__name__}: {'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


async def device_config(rt: Runtime, tenant: str, device: str) -> DeviceConfigV1:
    """The device's config from the ``device-config`` bucket (``<tenant>.<device>``, else ``<tenant>``), or defaults."""
    kv = await rt.broker.key_value(CONFIG_BUCKET, declare=False)
    for key in (f"{tenant}.{device}", tenant):
        try:
            entry = await kv.get(key)
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            continue
        if entry.value:
            try:
                return DeviceConfigV1.model_validate_json(entry.value)
            except ValidationError as exc:
                log.error("device config in KV is not valid; using defaults", key=key, error=str(exc))
    return DeviceConfigV1(version=1)


async def device_masterdata(rt: Runtime, tenant: str, config: DeviceConfigV1) -> DeviceMasterDataV1:
    """The snapshot matching keeps in ``device-masterdata`` under ``<tenant>.snapshot``, or an empty one."""
    kv = await rt.broker.key_value(MASTERDATA_BUCKET, declare=False)
    try:
        entry = await kv.get(f"{tenant}.snapshot")
    except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
        return devices.empty_masterdata(config)
    try:
        snapshot = DeviceMasterDataV1.model_validate_json(entry.value or b"")
    except ValidationError as exc:
        log.error("device master data in KV is not valid; sending none", tenant=tenant, error=str(exc))
        return devices.empty_masterdata(config)
    return snapshot


async def _serve(
    msg: NatsMessage, model: type[M], failure: Callable[[str], A], handle: Callable[[str, str, M], Awaitable[A]]
) -> A:
    """Answer a device's request: tenant and device from the subject, the body as ``model``, then ``handle``.

    A body that is not a valid ``model``, and anything that goes wrong, is answered with ``failure(why)``.
    """
    body = msg.body
    try:
        tenant, device = _origin(msg)
        request = parse_message(model, body)
        if isinstance(request, str):
            log.warning("bad device request", subject=msg.raw_message.subject, error=request)
            return failure(request)
        return await handle(tenant, device, request)
    except Exception as exc:  # an answer, never a crash: the device must not wait for a timeout
        log.error("device request failed", subject=msg.raw_message.subject, error=str(exc))
        return failure(f"central could not answer: {type(exc).__name__}: {exc}")


@router.subscriber(subjects.ALL_DEVICE_NUMBERS, queue=QUEUE)
async def on_numbers(msg: NatsMessage, rt: RuntimeDep) -> NumberBlockReplyV1:
    """The next block of a series for this device (only for a paired device, only for a configured series)."""

    async def handle(tenant: str, device: str, request: NumberBlockRequestV1) -> NumberBlockReplyV1:
        if refusal := await _paired(rt, tenant, device):
            return NumberBlockReplyV1(error=refusal)
        config = await device_config(rt, tenant, device)
        if problem := devices.check_series(request.series, config):
            return NumberBlockReplyV1(error=problem)
        async with rt.db.acquire() as conn, conn.transaction():
            block = await device_store.allocate_block(conn, tenant=tenant, series=request.series, device=device,
                                                      size=config.block_size)
        log.info("number block", tenant=tenant, device=device, series=block.series, first=block.first,
                 last=block.last)
        return NumberBlockReplyV1(block=block)

    return await _serve(msg, NumberBlockRequestV1, lambda error: NumberBlockReplyV1(error=error), handle)


@router.subscriber(subjects.ALL_DEVICE_SYNC, queue=QUEUE)
async def on_sync(msg: NatsMessage, rt: RuntimeDep) -> SyncDataReplyV1:
    """Config and master data, each only when the device's version is not the current one."""

    async def handle(tenant: str, device: str, request: SyncDataRequestV1) -> SyncDataReplyV1:
        if refusal := await _paired(rt, tenant, device, backlog=request.backlog):
            return SyncDataReplyV1(error=refusal)
        config = await device_config(rt, tenant, device)
        return devices.sync_answer(request, config, await device_masterdata(rt, tenant, config))

    return await _serve(msg, SyncDataRequestV1, lambda error: SyncDataReplyV1(error=error), handle)


@router.subscriber(subjects.ALL_DEVICE_SESSIONS, queue=QUEUE)
async def on_session(msg: NatsMessage, rt: RuntimeDep) -> EdgeAckV1:
    """A sync session as the device saw it, at start and at end (upserted by id)."""

    async def handle(tenant: str, device: str, session: SyncSessionV1) -> EdgeAckV1:
        if (session.tenant, session.device) != (tenant, device):
            return EdgeAckV1(ok=False, error=f"session names {session.tenant}/{session.device} but came from "
                                             f"{tenant}/{device}")
        if refusal := await _paired(rt, tenant, device, backlog=devices.backlog_after(session)):
            return EdgeAckV1(ok=False, error=refusal)
        async with rt.db.acquire() as conn:
            if not await device_store.upsert_session(conn, tenant, device, session):
                return EdgeAckV1(ok=False, error=f"session {session.session_id} belongs to another device")
        if session.result is not SyncResult.RUNNING:
            metrics.EDGE_SESSIONS.labels(session.result.value).inc()
        return EdgeAckV1()

    return await _serve(msg, SyncSessionV1, lambda error: EdgeAckV1(ok=False, error=error), handle)


@router.subscriber(subjects.ALL_DEVICE_RECEIPT_QUERIES, queue=QUEUE)
async def on_receipt_query(msg: NatsMessage, rt: RuntimeDep) -> ReceiptListV1:
    """The receipts central keeps for these sequence numbers (a sequence it does not know is left out)."""

    async def handle(tenant: str, device: str, query: ReceiptQueryV1) -> ReceiptListV1:
        pairing = await _pairing(rt, tenant, device)
        if isinstance(pairing, str):
            return ReceiptListV1()
        async with rt.db.acquire() as conn:
            return ReceiptListV1(receipts=await device_store.receipts(conn, tenant, device, pairing,
                                                                      query.sequences))

    return await _serve(msg, ReceiptQueryV1, lambda _: ReceiptListV1(), handle)


# --- batches: several documents in one message, one transaction, one receipt ---------------------------

BATCH_HEADER = "Belegflow-Batch"
BATCH_CONSUMER = "ingest-device-batches"
BATCH_WORKERS = 4
"""Batches handled at once per replica."""
BATCH_LIMITS = DeviceBatchLimitsV1(version=1, max_documents=64, max_bytes=4 * 1024 * 1024)
"""What one batch may carry (well below the broker's 8 MB message limit, manifest included)."""
MANIFEST_LIMIT = 1024 * 1024
_hashing = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="batch-hash")
"""Batches are hashed beside the event loop, in threads of their own (the default executor stays free)."""
_batch_stream: tuple[float, bool] = (0.0, False)


@dataclass(frozen=True, slots=True)
class Batch:
    batch_id: UUID
    documents: list[tuple[DeviceBatchDocumentV1, bytes]]


def parse_batch(body: bytes, header: str, limits: DeviceBatchLimitsV1 = BATCH_LIMITS) -> Batch | str:
    """A ``batch.v1`` body: its manifest and each document's bytes, or why it cannot be read (as a whole)."""
    end = body.find(b"\n", 0, MANIFEST_LIMIT + 1)
    if end < 0:
        return f"batch without a manifest line (JSON, then a newline) in its first {MANIFEST_LIMIT} bytes"
    manifest = parse_message(DeviceBatchV1, body[:end])
    if isinstance(manifest, str):
        return f"batch manifest is {manifest}"
    if header and header != str(manifest.batch_id):
        return f"{BATCH_HEADER} header {header!r} is not the manifest's batch id {manifest.batch_id}"
    docs = manifest.documents
    if len(docs) > limits.max_documents:
        return f"batch too large: {len(docs)} documents, at most {limits.max_documents} in one batch"
    declared = sum(d.size for d in docs)
    if declared > limits.max_bytes:
        return f"batch too large: {declared} bytes of documents, at most {limits.max_bytes} in one batch"
    seen: set[int] = set()
    for doc in docs:
        if doc.sequence in seen:
            return f"sequence {doc.sequence} appears more than once in the batch"
        seen.add(doc.sequence)
    payload = len(body) - end - 1
    if payload != declared:
        return f"batch bytes do not add up: the manifest declares {declared} bytes, the body carries {payload}"
    view = memoryview(body)[end + 1:]
    out: list[tuple[DeviceBatchDocumentV1, bytes]] = []
    offset = 0
    for doc in docs:
        out.append((doc, bytes(view[offset:offset + doc.size])))
        offset += doc.size
    return Batch(manifest.batch_id, out)


def _batch_id(header: str) -> UUID | None:
    try:
        return UUID(header)
    except ValueError:
        return None


async def _batches_kept(rt: Runtime) -> bool:
    """Whether the EDGE stream keeps batches (a stream not yet updated by ``belegflow stack init`` does not);
    asked once a minute."""
    global _batch_stream
    now = asyncio.get_running_loop().time()
    at, kept = _batch_stream
    if now - at < 60.0 and at:
        return kept
    try:
        info = await rt.broker.connection.jetstream().stream_info("EDGE")
        kept = subjects.ALL_DEVICE_BATCHES in (info.config.subjects or [])
    except Exception as exc:  # not knowing is no offer
        log.warning("cannot read the EDGE stream's subjects; no batches offered", error=str(exc))
        kept = False
    _batch_stream = (now, kept)
    return kept


@router.subscriber(subjects.ALL_DEVICE_CAPABILITIES, queue=QUEUE)
async def on_capabilities(msg: NatsMessage, rt: RuntimeDep) -> DeviceCapabilitiesV1:
    """Which upload contracts central takes: batches (version 1) when the device can send them."""

    async def handle(tenant: str, device: str, request: DeviceCapabilitiesRequestV1) -> DeviceCapabilitiesV1:
        if refusal := await _paired(rt, tenant, device):
            return DeviceCapabilitiesV1(error=refusal)
        if BATCH_LIMITS.version in request.batch_versions and await _batches_kept(rt):
            return DeviceCapabilitiesV1(batch=BATCH_LIMITS)
        return DeviceCapabilitiesV1()

    return await _serve(msg, DeviceCapabilitiesRequestV1, lambda error: DeviceCapabilitiesV1(error=error), handle)


@router.subscriber(  # type: ignore[untyped-decorator]  # faststream's decorator is untyped with **kwargs
    subjects.ALL_DEVICE_BATCHES, stream=jstream("EDGE"),
    **consumer(BATCH_CONSUMER, max_workers=BATCH_WORKERS, ack_wait_s=60.0), decoder=raw_body)
async def on_device_batch(msg: NatsMessage, rt: RuntimeDep, settings: SettingsDep) -> None:
    """Several documents of one device: each answered in one batch receipt, taken in in one transaction."""
    tenant, device = _origin(msg)
    header = _header(msg, BATCH_HEADER)
    batch = parse_batch(msg.body, header)
    if isinstance(batch, str):
        log.warning("device batch refused", tenant=tenant, device=device, error=batch)
        refusal = DeviceBatchReceiptV1(tenant=tenant, device=device, batch_id=_batch_id(header), error=batch)
        incoming = message_id(msg)

        async def effects(conn: Connection) -> list[Outgoing]:
            return [_batch_receipt_out(refusal, incoming)]

        await run_once(rt.db, rt.broker, consumer_name=BATCH_CONSUMER, message_id=incoming, effects=effects)
        return
    async with contextlib.AsyncExitStack() as held:
        for sequence in sorted(doc.sequence for doc, _ in batch.documents):  # in order: two batches never deadlock
            await held.enter_async_context(one_at_a_time(tenant, device, sequence))
        await receive_batch(rt, settings, tenant=tenant, device=device, batch=batch, message_id=message_id(msg))


def _batch_receipt_out(answer: DeviceBatchReceiptV1, incoming: str) -> Outgoing:
    return outgoing(subjects.device_batch_receipt(answer.tenant, answer.device), answer,
                    msg_id=f"batch-receipt:{answer.tenant}:{answer.device}:{answer.batch_id}:{incoming}")


async def receive_batch(rt: Runtime, settings: Settings, *, tenant: str, device: str, batch: Batch,
                        message_id: str) -> None:
    """Answer every document of a batch as ``receive_document`` answers one, and take the new ones in together."""
    hashes = await asyncio.get_running_loop().run_in_executor(
        _hashing, lambda: [hashlib.sha256(data).hexdigest() for _, data in batch.documents])
    async with rt.db.acquire() as conn:
        slot = await device_store.contact_for_many(conn, tenant, device, [d.sequence for d, _ in batch.documents],
                                                   at=datetime.now(UTC))
    refusal: str | None = None
    if slot is None:
        refusal = f"device {device!r} of tenant {tenant} is not paired: no such slot"
    elif slot[0] is not DeviceState.PAIRED:
        refusal = f"device {device!r} of tenant {tenant} is not paired (slot state: {slot[0].value})"
    answers: dict[int, DeviceReceiptV1] = {}
    told: set[int] = set()
    """Answered as they were before (a resend), or refused for reusing a sequence: not kept again."""
    items: list[BatchItem] = []
    for (doc, data), actual in zip(batch.documents, hashes, strict=True):
        sequence = doc.sequence
        known = slot[2].get(sequence) if slot is not None and refusal is None else None
        if refusal is not None:
            answers[sequence] = _rejected(tenant, device, sequence, actual, refusal)
        elif known is not None and known.status is not ReceiptStatus.REJECTED:
            told.add(sequence)
            answers[sequence] = known if known.sha256 == actual else _rejected(
                tenant, device, sequence, actual,
                f"sequence {sequence} already carried another document (sha256 {known.sha256}); "
                "a sequence number is never reused")
        elif doc.sha256 != actual:
            answers[sequence] = _rejected(tenant, device, sequence, actual,
                                          f"hash mismatch: manifest says {doc.sha256 or 'nothing'}, bytes are {actual}")
        else:
            try:
                admission = admit(tenant, data, limit=settings.max_upload_bytes)
            except AdmissionError as exc:
                answers[sequence] = _rejected(tenant, device, sequence, actual, exc.message)
                continue
            capture = doc.capture.model_dump(mode="json", exclude_none=True) if doc.capture else None
            items.append(BatchItem(key=sequence, data=data, sha256=actual, filename=doc.filename,
                                   admission=admission, capture=capture,
                                   protocol=(_capture_entry(device, sequence, doc.capture, capture),)
                                   if doc.capture is not None and capture is not None else ()))
    pairing = slot[1] if slot is not None and refusal is None else None

    async def answer(conn: Connection, results: dict[int, BatchResult]) -> list[Outgoing]:
        receipts = []
        for (doc, _), actual in zip(batch.documents, hashes, strict=True):
            sequence = doc.sequence
            if sequence in answers:
                receipts.append(answers[sequence])
                continue
            result = results[sequence]
            duplicate = result.duplicate and result.origin != (device, pairing, sequence)
            receipts.append(DeviceReceiptV1(tenant=tenant, device=device, sequence=sequence,
                                            sha256=actual,
                                            status=ReceiptStatus.DUPLICATE if duplicate else ReceiptStatus.ACCEPTED,
                                            document_id=result.document_id))
        if pairing is not None:
            kept = iter(await device_store.save_receipts(
                conn, tenant, device, [r for r in receipts if r.sequence not in told], pairing=pairing))
            receipts = [r if r.sequence in told else next(kept) for r in receipts]
        return [_batch_receipt_out(DeviceBatchReceiptV1(tenant=tenant, device=device, batch_id=batch.batch_id,
                                                        receipts=receipts), message_id)]

    await take_in_batch(rt, tenant=tenant, items=items, source=Source.DEVICE, consumer_name=BATCH_CONSUMER,
                        message_id=message_id, answer=answer, device=device, device_pairing=pairing)


def _capture_entry(device: str, sequence: int, capture: DeviceCaptureV1, data: dict[str, Any]) -> ProtocolEntryV1:
    number = f" as {capture.document_number}" if capture.document_number else ""
    return ProtocolEntryV1(
        step="ingest", at=datetime.now(UTC), level=Level.INFO,
        message=f"captured on device {device}{number} ({capture.document_type}) "
                f"at {capture.captured_at.isoformat()}",
        data={"device": device, "sequence": str(sequence), **{k: str(v) for k, v in data.items()}},
    )
