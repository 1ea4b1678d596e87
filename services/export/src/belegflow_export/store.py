"""The export service's SQL: which invoice revisions were exported, and where the XML lies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from belegflow_contracts.runtime.db import Connection
    from belegflow_contracts.types import ObjectRef


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
