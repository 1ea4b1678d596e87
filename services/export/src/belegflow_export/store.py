"""The export service's SQL: which invoice revisions were exported, and where the XML lies."""

from __future__ import annotations

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
