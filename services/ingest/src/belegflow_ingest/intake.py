"""The one way a document enters: admit, store the original, record it, emit ``ingested`` exactly once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from belegflow_contracts import subjects
from belegflow_contracts.messages import IngestedV1, MediaType, ProtocolEntryV1, Source
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.errors import TransientError
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import mark_published_soon, outgoing, publish
from belegflow_contracts.runtime.storage import content_key, sha256_hex
from belegflow_contracts.types import ObjectRef, normalize_tenant
from belegflow_ingest import store
from belegflow_ingest.domain import Admission, Status, admit, suffix_for

if TYPE_CHECKING:
    from belegflow_contracts.runtime.service import Runtime

log = get_logger(__name__)
ORIGINALS = "originals"


@dataclass(frozen=True, slots=True)
class IntakeResult:
    document_id: UUID
    duplicate: bool
    tenant: str
    sha256: str
    media_type: MediaType


async def take_in(
    rt: Runtime,
    *,
    tenant: str,
    data: bytes,
    filename: str,
    source: Source,
    limit: int,
    device: str | None = None,
    device_pairing: int | None = None,
    device_sequence: int | None = None,
    details: dict[str, str] | None = None,
    recorded: Callable[[db.Connection, UUID], Awaitable[None]] | None = None,
) -> IntakeResult:
    """Admit ``data`` or raise an ``AdmissionError``; a second copy of the same bytes is a duplicate.

    ``recorded(conn, document_id)`` runs inside the transaction that records a new document (what the
    caller keeps with it commits with it, in one round of the database instead of a second transaction).
    """
    admission = admit(tenant, data, limit=limit)
    sha = sha256_hex(data)
    async with rt.db.acquire() as conn:
        existing = await store.find_by_hash(conn, admission.tenant, sha)
    if existing is not None:
        log.info("duplicate by hash", tenant=admission.tenant, document_id=str(existing), sha256=sha)
        return IntakeResult(existing, True, admission.tenant, sha, admission.media_type)

    # The original is stored before the record that points to it; a content-addressed key makes a
    # retry after a crash harmless.
    key = content_key(admission.tenant, sha, suffix_for(admission.media_type))
    ref = await rt.objects.put(ORIGINALS, key, data, content_type=admission.media_type.value, sha256=sha)
    now = datetime.now(UTC)
    doc_id = uuid.uuid4()
    bind_document(tenant=admission.tenant, document_id=str(doc_id))
    entry = ProtocolEntryV1(
        step="ingest",
        at=now,
        message=f"received {filename!r} from {source.value}: {admission.media_type.value}, {len(data)} bytes",
        data={"sha256": sha, "source": source.value, **({"device": device} if device else {}), **(details or {})},
    )
    event = IngestedV1(
        document_id=doc_id,
        tenant=admission.tenant,
        revision=1,
        original=ref,
        protocol=[entry],
        source=source,
        filename=filename,
        media_type=admission.media_type,
        received_at=now,
    )
    out = outgoing(subjects.ingested(admission.tenant), event, msg_id=subjects.msg_id(doc_id, "ingested", 1))
    async with rt.db.acquire() as conn, conn.transaction():
        inserted = await store.insert_document(
            conn,
            store.NewDocument(
                id=doc_id,
                tenant=admission.tenant,
                sha256=sha,
                size=len(data),
                media_type=admission.media_type.value,
                filename=filename,
                source=source.value,
                bucket=ref.bucket,
                object_key=ref.key,
                received_at=now,
                device=device,
                device_pairing=device_pairing,
                device_sequence=device_sequence,
            ),
        )
        if not inserted:
            # a concurrent upload of the same bytes won the race
            winner = await store.find_by_hash(conn, admission.tenant, sha)
            assert winner is not None
            return IntakeResult(winner, True, admission.tenant, sha, admission.media_type)
        await store.add_protocol(conn, doc_id, [entry])
        if recorded is not None:
            await recorded(conn, doc_id)
        row_id = await db.add_outbox(conn, out, source=f"intake:{doc_id}")
    await publish_after_commit(rt, out, row_id, what="ingested event")
    log.info("ingested", media_type=admission.media_type.value, size=len(data), source=source.value)
    return IntakeResult(doc_id, False, admission.tenant, sha, admission.media_type)


async def publish_after_commit(rt: Runtime, out: db.Outgoing, row_id: int, *, what: str) -> None:
    """Publish a committed outbox row now and mark it published; if the broker is away, the relay sends it later."""
    try:
        await publish(rt.broker, out)
    except TransientError as exc:
        # recorded and in the outbox: the relay publishes it when the broker is back
        log.warning(f"{what} queued for relay", error=str(exc))
    else:
        mark_published_soon(rt.db, [row_id])


# --- many documents at once (a device's batch) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One admitted document of a batch; ``key``: the caller's name for it (a device's sequence number)."""

    key: int
    data: bytes
    sha256: str
    filename: str
    admission: Admission
    capture: dict[str, object] | None = None
    """Kept in the document's ``capture`` column (what the device recorded when it captured)."""
    protocol: tuple[ProtocolEntryV1, ...] = ()
    """Entries added to the document's protocol after the one that says it was received."""
    details: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What became of one item: its document and, for bytes the tenant had already, who first sent them."""

    document_id: UUID
    duplicate: bool
    origin: tuple[str | None, int | None, int | None] = (None, None, None)
    """(device, pairing, sequence) of the document's first delivery; for a new one, this item's own."""


Answerer = Callable[["db.Connection", dict[int, BatchResult]], Awaitable[list[db.Outgoing]]]


async def take_in_batch(
    rt: Runtime,
    *,
    tenant: str,
    items: list[BatchItem],
    source: Source,
    consumer_name: str,
    message_id: str,
    answer: Answerer,
    device: str | None = None,
    device_pairing: int | None = None,
) -> bool:
    """Take in admitted documents together, exactly once per incoming message; True if applied now.

    The originals are stored side by side first (content-addressed, so a retry is harmless); then one
    transaction claims the message, records every new document with its protocol and ``ingested`` event,
    and keeps what ``answer(conn, results)`` returns (the device's receipt) in the outbox with them. The
    events and the answer are published together after the commit. On a redelivery of a message done
    before, nothing is applied again and its stored messages are published again.
    """
    normalized = normalize_tenant(tenant)
    source_name = f"{consumer_name}:{message_id}"
    results: dict[int, BatchResult] = {}
    async with rt.db.acquire() as conn:
        known = await _stored(conn, normalized, {i.sha256 for i in items})
    fresh: dict[str, tuple[BatchItem, UUID]] = {}  # the first item of each sha256 not stored yet
    for item in items:
        if item.sha256 in known:
            doc_id, origin = known[item.sha256]
            results[item.key] = BatchResult(doc_id, True, origin)
        elif item.sha256 in fresh:
            first, doc_id = fresh[item.sha256]
            results[item.key] = BatchResult(doc_id, True, (device, device_pairing, first.key))
        else:
            fresh[item.sha256] = (item, uuid.uuid4())
    refs = await asyncio.gather(*(_put(rt, normalized, sha, item) for sha, (item, _) in fresh.items()))
    now = datetime.now(UTC)
    new: list[tuple[BatchItem, UUID, Any, ProtocolEntryV1]] = []
    for (sha, (item, doc_id)), ref in zip(fresh.items(), refs, strict=True):
        entry = ProtocolEntryV1(
            step="ingest", at=now,
            message=f"received {item.filename!r} from {source.value}: {item.admission.media_type.value}, "
                    f"{len(item.data)} bytes",
            data={"sha256": sha, "source": source.value, **({"device": device} if device else {}),
                  **(item.details or {})})
        new.append((item, doc_id, ref, entry))
    events: list[db.Outgoing] = []
    async with rt.db.acquire() as conn, conn.transaction():
        applied = await db.claim_message(conn, consumer_name, message_id)
        if not applied:
            stored = await db.outbox_for_source(conn, source_name)
            new = []
        else:
            inserted = await _insert_documents(conn, normalized, new, source, now, device, device_pairing)
            lost = [(item, doc_id) for item, doc_id, _, _ in new if doc_id not in inserted]
            if lost:  # a concurrent delivery of the same bytes won the race
                won = await _stored(conn, normalized, {i.sha256 for i, _ in lost})
                for item, _ in lost:
                    doc_id, origin = won[item.sha256]
                    results[item.key] = BatchResult(doc_id, True, origin)
                # a later item of the batch with the same bytes points at the winner too
                for other in items:
                    if other.key not in {i.key for i, _ in lost} and other.sha256 in won:
                        results[other.key] = BatchResult(won[other.sha256][0], True, won[other.sha256][1])
            new = [n for n in new if n[1] in inserted]
            for item, doc_id, _, _ in new:
                results[item.key] = BatchResult(doc_id, False, (device, device_pairing, item.key))
            entries = [(doc_id, e) for item, doc_id, _ref, first in new for e in (first, *item.protocol)]
            if entries:
                await conn.execute(
                    "INSERT INTO protocol (document_id, step, at, level, message, data) "
                    "SELECT d, s, a, l, m, j::jsonb FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], "
                    "$4::text[], $5::text[], $6::text[]) AS t(d, s, a, l, m, j)",
                    [d for d, _ in entries], [e.step for _, e in entries], [e.at for _, e in entries],
                    [e.level.value for _, e in entries], [e.message for _, e in entries],
                    [json.dumps(e.data) for _, e in entries])
            for item, doc_id, ref, entry in new:
                event = IngestedV1(document_id=doc_id, tenant=normalized, revision=1, original=ref, protocol=[entry],
                                   source=source, filename=item.filename, media_type=item.admission.media_type,
                                   received_at=now)
                events.append(outgoing(subjects.ingested(normalized), event,
                                       msg_id=subjects.msg_id(doc_id, "ingested", 1)))
            outs = [*events, *await answer(conn, results)]
            stored = list(zip(await db.add_outbox_many(conn, outs, source=source_name), outs, strict=True))
    await _publish_together(rt, stored)
    if new:
        log.info("ingested a batch", tenant=normalized, documents=len(new), items=len(items), source=source.value)
    return applied


async def _stored(conn: db.Connection, tenant: str, shas: set[str]
                  ) -> dict[str, tuple[UUID, tuple[str | None, int | None, int | None]]]:  # fmt: skip
    """Of these bytes, those the tenant has: each its document and (device, pairing, sequence) of its first
    delivery."""
    rows = await conn.fetch(
        "SELECT sha256, id, device, device_pairing, device_sequence FROM documents "
        "WHERE tenant = $1 AND sha256 = ANY($2::text[])", tenant, list(shas))
    return {r["sha256"]: (r["id"], (r["device"], r["device_pairing"], r["device_sequence"])) for r in rows}


BATCH_PUTS = 8
"""S3 puts of batches at once per process, as many as the store has threads of its own (``S3_THREADS``): the
default executor, which the NATS auth callout's password check needs, stays free."""
_puts: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


async def _put(rt: Runtime, tenant: str, sha: str, item: BatchItem) -> ObjectRef:
    loop = asyncio.get_running_loop()
    slots = _puts.get(loop)
    if slots is None:
        slots = _puts[loop] = asyncio.Semaphore(BATCH_PUTS)
    async with slots:
        return await rt.objects.put(ORIGINALS, content_key(tenant, sha, suffix_for(item.admission.media_type)),
                                    item.data, content_type=item.admission.media_type.value, sha256=sha)


async def _insert_documents(conn: db.Connection, tenant: str, new: list[tuple[BatchItem, UUID, Any, ProtocolEntryV1]],
                            source: Source, now: datetime, device: str | None, pairing: int | None) -> set[UUID]:
    """The new documents in one statement; the ids of those inserted (bytes the tenant has already are not)."""
    if not new:
        return set()
    rows = await conn.fetch(
        """
        INSERT INTO documents (id, tenant, sha256, size, media_type, filename, source, device, device_sequence,
                               bucket, object_key, status, received_at, device_pairing, capture)
        SELECT id, $1, sha256, size, media_type, filename, $2, $3, seq, bucket, object_key, $4, $5, $6, capture::jsonb
        FROM unnest($7::uuid[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::text[],
                    $14::text[], $15::text[]) AS t(id, sha256, size, media_type, filename, seq, bucket, object_key,
                                                   capture)
        ON CONFLICT (tenant, sha256) DO NOTHING
        RETURNING id
        """,
        tenant, source.value, device, Status.INGESTED.value, now, pairing,
        [doc_id for _, doc_id, _, _ in new], [i.sha256 for i, _, _, _ in new], [len(i.data) for i, _, _, _ in new],
        [i.admission.media_type.value for i, _, _, _ in new], [i.filename for i, _, _, _ in new],
        [i.key if device else None for i, _, _, _ in new], [r.bucket for _, _, r, _ in new],
        [r.key for _, _, r, _ in new],
        [json.dumps(i.capture) if i.capture is not None else None for i, _, _, _ in new],
    )
    return {r["id"] for r in rows}


async def _publish_together(rt: Runtime, rows: list[tuple[int, db.Outgoing]]) -> None:
    """Publish committed outbox rows side by side; those the broker took are marked, the rest the relay sends."""
    if not rows:
        return
    outcomes = await asyncio.gather(*(publish(rt.broker, out) for _, out in rows), return_exceptions=True)
    done = [row_id for (row_id, _), outcome in zip(rows, outcomes, strict=True) if outcome is None]
    for outcome in outcomes:
        if isinstance(outcome, TransientError):
            log.warning("batch message queued for relay", error=str(outcome))
        elif isinstance(outcome, BaseException):
            raise outcome
    if done:
        mark_published_soon(rt.db, done)
