"""The one way a document enters: admit, store the original, record it, emit ``ingested`` exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from belegflow_contracts import subjects
from belegflow_contracts.messages import IngestedV1, MediaType, ProtocolEntryV1, Source
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.errors import TransientError
from belegflow_contracts.runtime.logging import bind_document, get_logger
from belegflow_contracts.runtime.messaging import mark_published_soon, outgoing, publish
from belegflow_contracts.runtime.storage import content_key, sha256_hex
from belegflow_ingest import store
from belegflow_ingest.domain import admit, suffix_for

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
