"""Ingest's SQL: documents, their protocol and the read model. Nothing else in ingest touches asyncpg."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

from belegflow_contracts.messages import ProtocolEntryV1
from belegflow_ingest.domain import Status, advance

if TYPE_CHECKING:
    import asyncpg

    from belegflow_contracts.runtime.db import Connection


# read-model columns an event may set
_JSON_COLUMNS = frozenset({"fields", "supplier", "assignments", "export", "review"})
_PLAIN_COLUMNS = frozenset({"reader", "revision"})


@dataclass(frozen=True, slots=True)
class NewDocument:
    id: UUID
    tenant: str
    sha256: str
    size: int
    media_type: str
    filename: str
    source: str
    bucket: str
    object_key: str
    received_at: datetime
    device: str | None = None
    device_pairing: int | None = None
    device_sequence: int | None = None


async def find_by_hash(conn: Connection, tenant: str, sha256: str) -> UUID | None:
    doc_id: UUID | None = await conn.fetchval(
        "SELECT id FROM documents WHERE tenant = $1 AND sha256 = $2", tenant, sha256
    )
    return doc_id


async def device_origin(conn: Connection, document_id: UUID) -> tuple[str | None, int | None, int | None]:
    """Which device, pairing of it and sequence number first sent a document (``None`` for other sources)."""
    row = await conn.fetchrow("SELECT device, device_pairing, device_sequence FROM documents WHERE id = $1",
                              document_id)
    return (row["device"], row["device_pairing"], row["device_sequence"]) if row else (None, None, None)


async def insert_document(conn: Connection, doc: NewDocument) -> bool:
    """Insert unless the tenant has these bytes already; False for a duplicate."""
    row = await conn.fetchrow(
        """
        INSERT INTO documents (id, tenant, sha256, size, media_type, filename, source, device, device_sequence,
                               bucket, object_key, status, received_at, device_pairing)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (tenant, sha256) DO NOTHING
        RETURNING id
        """,
        doc.id,
        doc.tenant,
        doc.sha256,
        doc.size,
        doc.media_type,
        doc.filename,
        doc.source,
        doc.device,
        doc.device_sequence,
        doc.bucket,
        doc.object_key,
        Status.INGESTED.value,
        doc.received_at,
        doc.device_pairing,
    )
    return row is not None


_PROTOCOL_ROWS = (
    "unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY "
    "AS p(step, at, level, message, data, n)"
)


def _protocol_columns(entries: list[ProtocolEntryV1]) -> list[list[Any]]:
    """The entries as the five arrays ``_PROTOCOL_ROWS`` takes (step, at, level, message, data)."""
    return [[e.step for e in entries], [e.at for e in entries], [e.level.value for e in entries],
            [e.message for e in entries], [json.dumps(e.data) for e in entries]]


async def add_protocol(conn: Connection, document_id: UUID, entries: list[ProtocolEntryV1]) -> None:
    """Append entries to the document's protocol, in their order, with one statement."""
    if not entries:
        return
    await conn.execute(
        "INSERT INTO protocol (document_id, step, at, level, message, data) "
        f"SELECT $1, p.step, p.at, p.level, p.message, p.data::jsonb FROM {_PROTOCOL_ROWS} ORDER BY p.n",
        document_id, *_protocol_columns(entries),
    )


_STATUSES = [status.value for status in Status]


@cache
def _advanced(event: Status) -> list[str]:
    """The status after ``event`` for each status in ``_STATUSES``, for the statement to pick from."""
    return [advance(status, event).value for status in Status]


async def apply_event(
    conn: Connection,
    document_id: UUID,
    event: Status,
    *,
    protocol: list[ProtocolEntryV1],
    updates: dict[str, Any],
    revision: int | None = None,
    review_version: int | None = None,
) -> bool:
    """Move the document's status forward, set the event's columns, append its protocol section.

    An event of an older ``revision`` than the document's current one only adds its protocol section. One
    statement: the row's update (its lock; the status it moves to is picked from the status it has then) and
    the protocol's rows; nothing for a document that does not exist. ``review_version``: the ``review`` of
    ``updates`` is set only over an earlier version of the review of this revision (decisions may arrive late).
    """
    if unknown := set(updates) - _JSON_COLUMNS - _PLAIN_COLUMNS:
        raise ValueError(f"not read-model columns: {sorted(unknown)}")
    values: list[Any] = [document_id, *_protocol_columns(protocol), _STATUSES, _advanced(event), revision]
    columns = ["status = ($8::text[])[array_position($7::text[], status)]", "updated_at = now()"]
    for name, value in updates.items():
        is_json = name in _JSON_COLUMNS
        values.append(json.dumps(value) if is_json else value)
        cast = "::jsonb" if is_json else ""
        if name == "review" and review_version is not None:
            values.append(review_version)
            newer = (f"revision IS DISTINCT FROM $9::int OR coalesce((review->>'version')::int, 0) < "
                     f"${len(values)}::int")
            columns.append(f"review = CASE WHEN {newer} THEN ${len(values) - 1}{cast} ELSE review END")
            continue
        columns.append(f"{name} = ${len(values)}{cast}")
    moved: bool = await conn.fetchval(
        f"""
        WITH moved AS (
            UPDATE documents SET {", ".join(columns)}
            WHERE id = $1 AND ($9::int IS NULL OR revision <= $9::int) RETURNING 1
        ), noted AS (
            INSERT INTO protocol (document_id, step, at, level, message, data)
            SELECT $1, p.step, p.at, p.level, p.message, p.data::jsonb FROM {_PROTOCOL_ROWS}
            WHERE EXISTS (SELECT 1 FROM documents WHERE id = $1) ORDER BY p.n
        )
        SELECT EXISTS (SELECT 1 FROM moved)
        """,
        *values,
    )
    return moved


async def review_version(conn: Connection, document_id: UUID, revision: int) -> int:
    """The version of the decision the read model shows for ``revision`` (0: none yet)."""
    version = await conn.fetchval(
        "SELECT (review->>'version')::int FROM documents WHERE id = $1 AND revision = $2", document_id, revision
    )
    return int(version or 0)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def get_document(conn: Connection, document_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM documents WHERE id = $1", document_id)
    if row is None:
        return None
    entries = await conn.fetch(
        "SELECT step, at, level, message, data FROM protocol WHERE document_id = $1 ORDER BY at, id", document_id
    )
    doc = dict(row)
    for key in _JSON_COLUMNS:
        doc[key] = _json(doc[key])
    doc["capture"] = _json(doc.get("capture"))  # what a device recorded at capture (device uploads only)
    doc["protocol"] = [{**dict(e), "data": _json(e["data"])} for e in entries]
    doc["recognition_requests"] = await recognition_requests(conn, document_id)
    return doc


async def list_documents(
    conn: Connection, tenant: str, *, status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """
        SELECT id, tenant, filename, sha256, media_type, source, status, received_at, updated_at
        FROM documents WHERE tenant = $1 AND ($2::text IS NULL OR status = $2)
        ORDER BY received_at DESC, id LIMIT $3 OFFSET $4
        """,
        tenant,
        status,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


# --- recognition control: repeat and cancel ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CurrentRevision:
    """What a repeat or cancel needs to know about a document, read under a row lock."""

    id: UUID
    tenant: str
    status: Status
    revision: int
    sha256: str
    size: int
    media_type: str
    filename: str
    source: str
    bucket: str
    object_key: str
    received_at: datetime


async def lock_current_revision(conn: Connection, document_id: UUID) -> CurrentRevision | None:
    """The document's current revision, locked until the transaction ends (repeat and cancel serialise here)."""
    row = await conn.fetchrow(
        "SELECT id, tenant, status, revision, sha256, size, media_type, filename, source, bucket, object_key, "
        "received_at FROM documents WHERE id = $1 FOR UPDATE",
        document_id,
    )
    if row is None:
        return None
    return CurrentRevision(**{**dict(row), "status": Status(row["status"])})


async def recognition_requested(conn: Connection, document_id: UUID, revision: int, action: str) -> bool:
    found = await conn.fetchval(
        "SELECT 1 FROM recognition_requests WHERE document_id = $1 AND revision = $2 AND action = $3",
        document_id, revision, action,
    )
    return found is not None


async def add_recognition_request(
    conn: Connection, document_id: UUID, revision: int, action: str, *, engine: str | None, reason: str,
    requested_by: str, at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO recognition_requests (document_id, revision, action, engine, reason, requested_by, requested_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        document_id, revision, action, engine, reason, requested_by, at,
    )


async def start_revision(conn: Connection, document_id: UUID, revision: int) -> None:
    """The document starts over at ``revision``: recognised, matched and assigned values belong to the old one.

    The last export stays (it names its revision) until the new revision is exported.
    """
    await conn.execute(
        "UPDATE documents SET revision = $2, status = $3, reader = NULL, fields = NULL, supplier = NULL, "
        "assignments = NULL, review = NULL, updated_at = now() WHERE id = $1",
        document_id, revision, Status.INGESTED.value,
    )


async def recognition_requests(conn: Connection, document_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT revision, action, engine, reason, requested_by, requested_at FROM recognition_requests "
        "WHERE document_id = $1 ORDER BY id",
        document_id,
    )
    return [dict(r) for r in rows]


async def waiting_of_supplier(conn: Connection, tenant: str, supplier_number: str, *, limit: int = 500) -> list[UUID]:
    """The tenant's documents waiting for review whose supplier (identified or chosen) is ``supplier_number``."""
    rows = await conn.fetch(
        "SELECT id FROM documents WHERE tenant = $1 AND status = 'review' AND COALESCE("
        "review->'supplier'->>'supplier_number', supplier->'supplier'->>'supplier_number') = $2 "
        "ORDER BY received_at, id LIMIT $3", tenant, supplier_number, limit)
    return [row["id"] for row in rows]


# --- e-mail intake -------------------------------------------------------------------------------

async def mail_message(conn: Connection, tenant: str, message_key: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM mail_messages WHERE tenant = $1 AND message_key = $2", tenant, message_key)
    return row


async def record_mail(conn: Connection, *, tenant: str, message_key: str, mailbox: str, uidvalidity: int, uid: int,
                      outcome: str, reason: str | None, documents: list[UUID], sender: str, subject: str) -> None:
    await conn.execute(
        "INSERT INTO mail_messages (tenant, message_key, mailbox, uidvalidity, uid, outcome, reason, documents, "
        "sender, subject) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        tenant, message_key, mailbox, uidvalidity, uid, outcome, reason, documents, sender, subject)


async def mail_filed(conn: Connection, tenant: str, message_key: str) -> None:
    await conn.execute("UPDATE mail_messages SET filed_at = now() WHERE tenant = $1 AND message_key = $2 "
                       "AND filed_at IS NULL", tenant, message_key)


# --- figures for the metrics ----------------------------------------------------------------------

async def received_at(conn: Connection, document_id: UUID) -> datetime | None:
    value: datetime | None = await conn.fetchval("SELECT received_at FROM documents WHERE id = $1", document_id)
    return value


async def figures(conn: Connection) -> dict[str, Any]:
    """Documents by status, sync sessions in progress (touched within the hour), devices' reported backlog."""
    by_status = {r["status"]: r["n"] for r in await conn.fetch(
        "SELECT status, count(*) AS n FROM documents GROUP BY status")}
    open_sessions = await conn.fetchval(
        "SELECT count(*) FROM device_sessions WHERE result = 'running' AND updated_at > now() - interval '1 hour'")
    backlog = await conn.fetchval("SELECT coalesce(sum(backlog), 0) FROM devices WHERE state = 'paired'")
    return {"by_status": by_status, "open_sessions": open_sessions or 0, "backlog": backlog or 0}


# --- approval limits and first approvals (four eyes) ---------------------------------------------------------------

async def limits_in_force(conn: Connection, tenant: str) -> bool:
    """Whether the tenant approves by limits: some user has one there."""
    return await conn.fetchval("SELECT 1 FROM approval_limits WHERE tenant = $1 LIMIT 1", tenant) is not None


async def approval_limit(conn: Connection, user_name: str, tenant: str) -> Decimal | None:
    value: Decimal | None = await conn.fetchval(
        "SELECT amount FROM approval_limits WHERE user_name = $1 AND tenant = $2", user_name, tenant)
    return value


async def first_approvals(conn: Connection, document_id: UUID, revision: int, version: int) -> list[str]:
    """Who gave the first approval of this review version (a correction, a new version, voids them)."""
    rows = await conn.fetch("SELECT by_name FROM first_approvals WHERE document_id = $1 AND revision = $2 AND "
                            "version = $3 ORDER BY approved_at", document_id, revision, version)
    return [row["by_name"] for row in rows]


async def add_first_approval(conn: Connection, document_id: UUID, revision: int, version: int, by: str,
                             gross: Decimal, entry: ProtocolEntryV1) -> None:
    """Record a first approval and its line in the document's protocol (the audit trail), in one transaction."""
    async with conn.transaction():
        added = await conn.fetchval(
            "INSERT INTO first_approvals (document_id, revision, version, by_name, gross) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT DO NOTHING RETURNING 1", document_id, revision, version, by, gross)
        if added:
            await add_protocol(conn, document_id, [entry])


# --- the desk's queue: counts, search, filters, sort, pages by cursor -------------------------------------------

@dataclass(frozen=True, slots=True)
class QueueQuery:
    """What a clerk asks the queue for; every search is optional. ``after`` is the last row's sort key and id."""

    tenant: str
    status: str
    supplier: str | None = None
    """a supplier number (exact) or the start of its name (any case)"""
    number: str | None = None
    """the start of the invoice number"""
    amount: Decimal | None = None
    date_from: str | None = None
    date_to: str | None = None
    channel: str | None = None
    older_than_days: int | None = None
    reason: str | None = None
    """a pattern of the reasons for review (``REASON_PATTERNS``)"""
    duplicates: bool = False
    sort: str = "newest"
    after: tuple[Any, str] | None = None
    limit: int = 50


REASON_PATTERNS: dict[str, str] = {
    "supplier": "%supplier%", "missing": "% missing%", "confidence": "%confidence%", "sums": "%not gross%",
    "limit": "%touchless limit%", "duplicate": "%duplicate of%", "einvoice": "%e-invoice%", "receipt": "%receipt%",
}
_SORTS = {"newest": ("received_at", "DESC"), "oldest": ("received_at", "ASC"), "amount": ("q_gross", "DESC")}


async def queue_counts(conn: Connection, tenant: str) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, count(*) AS n FROM documents WHERE tenant = $1 GROUP BY status", tenant)
    return {row["status"]: int(row["n"]) for row in rows}


async def queue(conn: Connection, query: QueueQuery) -> list[dict[str, Any]]:
    """One page of the queue (``limit`` rows, plus one to tell whether there is a next page)."""
    where = ["tenant = $1", "status = $2"]
    args: list[Any] = [query.tenant, query.status]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if query.supplier:
        where.append(f"(q_supplier_number = {arg(query.supplier)} OR q_supplier_name LIKE "
                     f"{arg(_like_prefix(query.supplier.lower()))})")
    if query.number:
        where.append(f"q_invoice_number LIKE {arg(_like_prefix(query.number))}")
    if query.amount is not None:
        where.append(f"q_gross = {arg(query.amount)}")
    if query.date_from:
        where.append(f"q_invoice_date >= {arg(query.date_from)}")
    if query.date_to:
        where.append(f"q_invoice_date <= {arg(query.date_to)}")
    if query.channel:
        where.append(f"source = {arg(query.channel)}")
    if query.older_than_days:
        where.append(f"received_at < now() - make_interval(days => {arg(query.older_than_days)})")
    if query.reason in REASON_PATTERNS:
        where.append(f"review ->> 'reasons' ILIKE {arg(REASON_PATTERNS[query.reason])}")
    if query.duplicates:
        where.append("review ->> 'duplicate_of' IS NOT NULL")
    column, direction = _SORTS.get(query.sort, _SORTS["newest"])
    if query.after is not None:
        key, last_id = query.after
        before = "<" if direction == "DESC" else ">"
        if column == "q_gross" and key is None:
            where.append(f"((q_gross IS NULL AND id < {arg(UUID(last_id))}) OR q_gross IS NOT NULL)")
        elif column == "q_gross":
            where.append(f"(q_gross, id) < ({arg(Decimal(str(key)))}, {arg(UUID(last_id))})")
        else:
            where.append(f"({column}, id) {before} ({arg(datetime.fromisoformat(str(key)))}, {arg(UUID(last_id))})")
    nulls = " NULLS FIRST" if column == "q_gross" else ""
    rows = await conn.fetch(
        "SELECT id, filename, source, status, received_at, q_supplier_number, q_invoice_number, q_invoice_date, "
        "q_gross, COALESCE(review -> 'supplier' ->> 'name', supplier -> 'supplier' ->> 'name') AS supplier_name, "
        "COALESCE(review -> 'invoice' ->> 'currency', fields -> 'fields' -> 'currency' ->> 'value') AS currency, "
        "review -> 'reasons' AS reasons, review ->> 'duplicate_of' AS duplicate_of, "
        "(review ->> 'version')::int AS version "
        f"FROM documents WHERE {' AND '.join(where)} "
        f"ORDER BY {column} {direction}{nulls}, id {direction} LIMIT {arg(query.limit + 1)}", *args)
    return [{**dict(row), "reasons": _json(row["reasons"]) or []} for row in rows]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def review_versions(conn: Connection, tenant: str, ids: list[UUID]) -> dict[UUID, int]:
    """The review version each of the tenant's documents in review shows (bulk decisions name the version seen)."""
    rows = await conn.fetch("SELECT id, (review ->> 'version')::int AS version FROM documents WHERE tenant = $1 AND "
                            "id = ANY($2::uuid[]) AND status = 'review'", tenant, ids)
    return {row["id"]: int(row["version"] or 0) for row in rows}


async def neighbours(conn: Connection, tenant: str, status: str, received_at: datetime, document_id: UUID
                     ) -> tuple[UUID | None, UUID | None]:
    """The documents before and after this one in its queue (newest first): the desk's previous and next."""
    before = await conn.fetchval(
        "SELECT id FROM documents WHERE tenant = $1 AND status = $2 AND (received_at, id) > ($3, $4) "
        "ORDER BY received_at, id LIMIT 1", tenant, status, received_at, document_id)
    after = await conn.fetchval(
        "SELECT id FROM documents WHERE tenant = $1 AND status = $2 AND (received_at, id) < ($3, $4) "
        "ORDER BY received_at DESC, id DESC LIMIT 1", tenant, status, received_at, document_id)
    return before, after
