"""Accrual's SQL: accruals and their assignment to invoice lines. Nothing else in accrual touches asyncpg."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import asyncpg

from belegflow_accrual.domain import AccrualRecord, next_status, normalize_reference
from belegflow_accrual.errors import BatchRefusedError
from belegflow_contracts.messages import AccrualStatus

if TYPE_CHECKING:
    from uuid import UUID

    from belegflow_contracts.messages import AccrualBatchV1
    from belegflow_contracts.runtime.db import Connection


def _record(row: Any) -> AccrualRecord:
    return AccrualRecord(
        accrual_number=row["accrual_number"],
        supplier_number=row["supplier_number"],
        reference=row["reference"],
        amount=Decimal(row["amount"]),
        currency=row["currency"],
        status=AccrualStatus(row["status"]),
        assigned_document=row["assigned_document"],
        assigned_revision=row["assigned_revision"],
        assigned_line=row["assigned_line"],
    )


async def apply_accruals(conn: Connection, batch: AccrualBatchV1) -> int:
    """Upsert every accrual of the batch, or none: a refusal rolls back to the savepoint taken here."""
    tenant = batch.tenant
    async with conn.transaction():
        rows = await conn.fetch(
            "SELECT accrual_number, status FROM accruals WHERE tenant = $1 AND accrual_number = ANY($2::text[]) "
            "ORDER BY accrual_number FOR UPDATE",
            tenant,
            [r.accrual_number for r in batch.records],
        )
        current = {row["accrual_number"]: AccrualStatus(row["status"]) for row in rows}
        for record in batch.records:
            status = next_status(current.get(record.accrual_number), record.status)
            try:
                await conn.execute(
                    """
                    INSERT INTO accruals (tenant, accrual_number, supplier_number, reference, reference_raw, amount,
                                          currency, status, batch_id, source)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                    ON CONFLICT (tenant, accrual_number) DO UPDATE SET
                        supplier_number = EXCLUDED.supplier_number, reference = EXCLUDED.reference,
                        reference_raw = EXCLUDED.reference_raw, amount = EXCLUDED.amount,
                        currency = EXCLUDED.currency, status = EXCLUDED.status, batch_id = EXCLUDED.batch_id,
                        source = EXCLUDED.source, updated_at = now()
                    """,
                    tenant,
                    record.accrual_number,
                    record.supplier_number,
                    normalize_reference(record.reference),
                    record.reference,
                    record.amount,
                    record.currency.upper(),
                    status.value,
                    batch.batch_id,
                    batch.source,
                )
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
                raise BatchRefusedError(accrual_number=record.accrual_number, detail=str(exc)) from exc
    return len(batch.records)


async def lock_accruals(conn: Connection, tenant: str, supplier_number: str, keys: list[str]) -> list[AccrualRecord]:
    """The supplier's accruals filed under any of the keys, locked so a concurrent invoice waits for us.

    Locked in accrual-number order, so two invoices wanting the same accruals cannot deadlock.
    """
    if not keys:
        return []
    rows = await conn.fetch(
        "SELECT * FROM accruals WHERE tenant = $1 AND supplier_number = $2 AND reference = ANY($3::text[]) "
        "ORDER BY accrual_number FOR UPDATE",
        tenant,
        supplier_number,
        keys,
    )
    return [_record(r) for r in rows]


async def assign(
    conn: Connection, tenant: str, document_id: UUID, revision: int, taken: list[tuple[str, int]]
) -> None:
    """Mark what the document took; accruals an earlier revision of it held and this one did not are freed."""
    await conn.executemany(
        "UPDATE accruals SET status = 'assigned', assigned_document = $3, assigned_revision = $4, "
        "assigned_line = $5, assigned_at = now(), updated_at = now() "
        "WHERE tenant = $1 AND accrual_number = $2 "
        "AND (status = 'open' OR (status = 'assigned' AND assigned_document = $3))",
        [(tenant, number, document_id, revision, line) for number, line in taken],
    )
    await conn.execute(
        "UPDATE accruals SET status = 'open', assigned_document = NULL, assigned_revision = NULL, "
        "assigned_line = NULL, assigned_at = NULL, updated_at = now() "
        "WHERE tenant = $1 AND status = 'assigned' AND assigned_document = $2 AND assigned_revision < $3",
        tenant,
        document_id,
        revision,
    )


async def get_accrual(conn: Connection, tenant: str, accrual_number: str) -> AccrualRecord | None:
    row = await conn.fetchrow(
        "SELECT * FROM accruals WHERE tenant = $1 AND accrual_number = $2", tenant, accrual_number
    )
    return _record(row) if row is not None else None
