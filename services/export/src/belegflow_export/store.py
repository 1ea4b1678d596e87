"""The export service's SQL: which invoice revisions were exported, and where the XML lies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeAlias
from uuid import UUID

if TYPE_CHECKING:
    import asyncpg

    from belegflow_contracts.runtime.db import Connection
    from belegflow_contracts.types import ObjectRef


# what the application layer holds: a pool of this schema's connections
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


async def record_export(
    conn: Connection,
    *,
    document_id: UUID,
    revision: int,
    tenant: str,
    invoice_number: str | None,
    supplier_number: str | None,
    ref: ObjectRef,
    exported_at: datetime,
) -> bool:
    """False when this revision was exported before (the one export it gets stands)."""
    row = await conn.fetchrow(
        """
        INSERT INTO tms_exports (document_id, revision, tenant, invoice_number, supplier_number, bucket, object_key,
                                 sha256, exported_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (document_id, revision) DO NOTHING RETURNING 1
        """,
        document_id, revision, tenant, invoice_number, supplier_number, ref.bucket, ref.key, ref.sha256, exported_at,
    )
    return row is not None


async def count_exports(conn: Connection, tenant: str) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM tms_exports WHERE tenant = $1", tenant)
    return count


@dataclass(frozen=True, slots=True)
class Gate:
    """What export knows of one revision: its accrued event (JSON) and the decision on it."""

    accrued: str | None
    state: str | None
    decided_by: str | None


async def lock_revision(conn: Connection, document_id: UUID, revision: int, tenant: str) -> Gate:
    """The revision's gate row, created when missing and locked until the transaction ends."""
    await conn.execute(
        "INSERT INTO revisions (document_id, revision, tenant) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        document_id, revision, tenant,
    )
    row = await conn.fetchrow(
        "SELECT accrued, state, decided_by FROM revisions WHERE document_id = $1 AND revision = $2 FOR UPDATE",
        document_id, revision,
    )
    if row is None:  # inserted above in this transaction; only a concurrent DELETE could remove it
        raise RuntimeError(f"revision {document_id}/{revision} vanished")
    return Gate(accrued=row["accrued"], state=row["state"], decided_by=row["decided_by"])


async def keep_accrued_locked(conn: Connection, document_id: UUID, revision: int, tenant: str,
                              accrued_json: str) -> Gate:
    """Keep the revision's accrued event in its gate row (made when missing), locked until the transaction ends;
    one statement. The gate's decision as it stands (``accrued``: the event just kept)."""
    row = await conn.fetchrow(
        "INSERT INTO revisions (document_id, revision, tenant, accrued) VALUES ($1, $2, $3, $4::jsonb) "
        "ON CONFLICT (document_id, revision) DO UPDATE SET accrued = EXCLUDED.accrued RETURNING state, decided_by",
        document_id, revision, tenant, accrued_json,
    )
    if row is None:  # an upsert always returns its row
        raise RuntimeError(f"revision {document_id}/{revision} not kept")
    return Gate(accrued=accrued_json, state=row["state"], decided_by=row["decided_by"])


async def keep_decision_locked(
    conn: Connection, document_id: UUID, revision: int, tenant: str, *, state: str, version: int, by: str,
    at: datetime,
) -> Gate:
    """Keep the decision in the revision's gate row (made when missing) unless a later version of it is kept
    already, the row locked until the transaction ends; one statement. ``accrued``: the event kept, if any."""
    newer = "(revisions.version IS NULL OR revisions.version < EXCLUDED.version)"
    row = await conn.fetchrow(
        "INSERT INTO revisions (document_id, revision, tenant, state, version, decided_by, decided_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (document_id, revision) DO UPDATE SET "
        f"state = CASE WHEN {newer} THEN EXCLUDED.state ELSE revisions.state END, "
        f"version = CASE WHEN {newer} THEN EXCLUDED.version ELSE revisions.version END, "
        f"decided_by = CASE WHEN {newer} THEN EXCLUDED.decided_by ELSE revisions.decided_by END, "
        f"decided_at = CASE WHEN {newer} THEN EXCLUDED.decided_at ELSE revisions.decided_at END "
        "RETURNING accrued, state, decided_by",
        document_id, revision, tenant, state, version, by, at,
    )
    if row is None:  # an upsert always returns its row
        raise RuntimeError(f"revision {document_id}/{revision} not kept")
    return Gate(accrued=row["accrued"], state=row["state"], decided_by=row["decided_by"])


async def keep_accrued(conn: Connection, document_id: UUID, revision: int, accrued_json: str) -> None:
    await conn.execute(
        "UPDATE revisions SET accrued = $3::jsonb WHERE document_id = $1 AND revision = $2",
        document_id, revision, accrued_json,
    )


async def keep_decision(
    conn: Connection, document_id: UUID, revision: int, *, state: str, version: int, by: str, at: datetime
) -> None:
    """Keep the decision unless a later version of it is kept already (events may arrive out of order)."""
    await conn.execute(
        "UPDATE revisions SET state = $3, version = $4, decided_by = $5, decided_at = $6 "
        "WHERE document_id = $1 AND revision = $2 AND (version IS NULL OR version < $4)",
        document_id, revision, state, version, by, at,
    )


# --- the archive's index ----------------------------------------------------------------------------------------

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ArchiveRow:
    seq: int
    body: str
    sha256: str


async def lock_archive_head(conn: Connection, tenant: str) -> tuple[int, str]:
    """The tenant's chain head ``(seq, sha256)``, locked until the transaction ends: one writer per tenant."""
    row = await conn.fetchrow("SELECT seq, sha256 FROM archive_heads WHERE tenant = $1 FOR UPDATE", tenant)
    if row is not None:  # a tenant's first archiving makes its head
        return int(row["seq"]), str(row["sha256"])
    await conn.execute("INSERT INTO archive_heads (tenant, seq, sha256) VALUES ($1, 0, $2) ON CONFLICT DO NOTHING",
                       tenant, GENESIS)
    row = await conn.fetchrow("SELECT seq, sha256 FROM archive_heads WHERE tenant = $1 FOR UPDATE", tenant)
    if row is None:
        raise RuntimeError(f"archive head of {tenant} vanished")
    return int(row["seq"]), str(row["sha256"])


async def set_archive_head(conn: Connection, tenant: str, seq: int, sha256: str) -> None:
    await conn.execute("UPDATE archive_heads SET seq = $2, sha256 = $3 WHERE tenant = $1", tenant, seq, sha256)


async def archive_head(conn: Connection, tenant: str) -> tuple[int, str] | None:
    row = await conn.fetchrow("SELECT seq, sha256 FROM archive_heads WHERE tenant = $1", tenant)
    return (int(row["seq"]), str(row["sha256"])) if row else None


async def add_archive_entry(conn: Connection, tenant: str, seq: int, body: str, sha256: str, *,
                            document_id: UUID | None, kind: str, key: str) -> None:
    await conn.execute(
        "INSERT INTO archive_index (tenant, seq, body, sha256, document_id, kind, object_key) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)", tenant, seq, body, sha256, document_id, kind, key)


async def add_archive_entries(conn: Connection, tenant: str,
                              rows: list[tuple[int, str, str, UUID | None, str, str]]) -> None:
    """``(seq, body, sha256, document_id, kind, object_key)`` of each entry, in one statement."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO archive_index (tenant, seq, body, sha256, document_id, kind, object_key) "
        "SELECT $1, e.seq, e.body, e.sha256, e.document_id, e.kind, e.object_key "
        "FROM unnest($2::bigint[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[]) "
        "AS e(seq, body, sha256, document_id, kind, object_key)",
        tenant, *(list(column) for column in zip(*rows, strict=True)))


async def find_archive_entries(conn: Connection, tenant: str,
                               wanted: list[tuple[str, UUID | None, str]]) -> list[str | None]:
    """For each ``(object_key, document_id, kind)``: its latest entry (JSON) if archived before, in one query."""
    if not wanted:
        return []
    rows = await conn.fetch(
        "SELECT w.n, (SELECT a.body FROM archive_index a WHERE a.tenant = $1 AND a.object_key = w.object_key "
        "AND a.kind = w.kind AND a.document_id IS NOT DISTINCT FROM w.document_id ORDER BY a.seq DESC LIMIT 1) "
        "AS body FROM unnest($2::text[], $3::uuid[], $4::text[], $5::int[]) AS w(object_key, document_id, kind, n)",
        tenant, [w[0] for w in wanted], [w[1] for w in wanted], [w[2] for w in wanted], list(range(len(wanted))))
    found: list[str | None] = [None] * len(wanted)
    for row in rows:
        found[row["n"]] = row["body"]
    return found


async def find_archive_entry(conn: Connection, tenant: str, key: str, *, document_id: UUID | None,
                             kind: str) -> str | None:
    """The chain's entry (JSON) for this object of this document, if it was archived before."""
    body: str | None = await conn.fetchval(
        "SELECT body FROM archive_index WHERE tenant = $1 AND object_key = $2 AND kind = $3 "
        "AND document_id IS NOT DISTINCT FROM $4 ORDER BY seq DESC LIMIT 1", tenant, key, kind, document_id)
    return body


async def archive_entries(conn: Connection, tenant: str) -> list[ArchiveRow]:
    rows = await conn.fetch("SELECT seq, body, sha256 FROM archive_index WHERE tenant = $1 ORDER BY seq", tenant)
    return [ArchiveRow(seq=int(r["seq"]), body=r["body"], sha256=r["sha256"]) for r in rows]


async def archive_tenants(conn: Connection) -> list[str]:
    return [r["tenant"] for r in await conn.fetch("SELECT tenant FROM archive_heads ORDER BY tenant")]


async def document_archive_entries(conn: Connection, document_id: UUID) -> list[str]:
    """The index entries (JSON) that name a document, in chain order."""
    rows = await conn.fetch("SELECT body FROM archive_index WHERE document_id = $1 ORDER BY seq", document_id)
    return [r["body"] for r in rows]


async def archive_entries_between(conn: Connection, tenant: str, first: datetime, last: datetime) -> list[str]:
    rows = await conn.fetch(
        "SELECT body FROM archive_index WHERE tenant = $1 AND (body::jsonb->>'at')::timestamptz >= $2 "
        "AND (body::jsonb->>'at')::timestamptz < $3 ORDER BY seq", tenant, first, last)
    return [r["body"] for r in rows]


# --- DATEV ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Approved:
    """The current revision of an approved invoice, with the accrued event export keeps (JSON) and its DATEV state."""

    document_id: UUID
    revision: int
    accrued: str
    exported: bool


async def lock_datev(conn: Connection, tenant: str) -> None:
    """One DATEV run per tenant at a time (on demand and schedule alike)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('datev:' || $1))", tenant)


async def approved_in_period(conn: Connection, tenant: str, first: date, last: date) -> list[Approved]:
    """Each document's latest revision, if approved, whose invoice date lies in ``first..last``."""
    rows = await conn.fetch(
        """
        SELECT latest.document_id, latest.revision, latest.accrued,
               EXISTS (SELECT 1 FROM datev_exported e WHERE e.document_id = latest.document_id) AS exported
        FROM (SELECT DISTINCT ON (document_id) document_id, revision, state, accrued::text AS accrued
              FROM revisions WHERE tenant = $1 AND accrued IS NOT NULL
              ORDER BY document_id, revision DESC) latest
        WHERE latest.state = 'approved'
          AND (latest.accrued::jsonb -> 'invoice' ->> 'invoice_date')::date BETWEEN $2 AND $3
        ORDER BY (latest.accrued::jsonb -> 'invoice' ->> 'invoice_date'), latest.document_id
        """,
        tenant, first, last,
    )
    return [Approved(document_id=r["document_id"], revision=r["revision"], accrued=r["accrued"],
                     exported=r["exported"]) for r in rows]


async def record_datev_batch(conn: Connection, *, batch_id: UUID, tenant: str, period: str, trigger: str, by: str,
                             at: datetime, bookings: int, invoices: int, skipped: str, extf_key: str | None,
                             extf_sha256: str | None, documents_key: str | None) -> None:
    await conn.execute(
        "INSERT INTO datev_batches (batch_id, tenant, period, trigger, requested_by, created_at, bookings, invoices, "
        "skipped, extf_key, extf_sha256, documents_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, "
        "$11, $12)", batch_id, tenant, period, trigger, by, at, bookings, invoices, skipped, extf_key, extf_sha256,
        documents_key)


async def record_datev_exports(
    conn: Connection, rows: list[tuple[UUID, int, str, UUID, bool, str | None, str, datetime]]
) -> None:
    """``(document_id, revision, tenant, batch_id, reexport, reason, by, at)`` per invoice of a batch."""
    await conn.executemany(
        "INSERT INTO datev_exported (document_id, revision, tenant, batch_id, reexport, reason, by, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", rows)


async def datev_tenants_due(conn: Connection, before: date) -> list[tuple[str, date]]:
    """Tenants with approved, never exported invoices dated before ``before``: ``(tenant, month)`` to export."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT r.tenant, date_trunc('month', (r.accrued -> 'invoice' ->> 'invoice_date')::date)::date AS month
        FROM revisions r
        WHERE r.state = 'approved' AND r.accrued IS NOT NULL
          AND (r.accrued -> 'invoice' ->> 'invoice_date')::date < $1
          AND NOT EXISTS (SELECT 1 FROM datev_exported e WHERE e.document_id = r.document_id)
        ORDER BY 1, 2
        """, before)
    return [(r["tenant"], r["month"]) for r in rows]
