"""Matching's SQL: suppliers, their IBANs, match results. Nothing else in matching touches asyncpg."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import asyncpg

from belegflow_matching.domain import Candidates, Keys, SupplierRecord, normalize_name
from belegflow_matching.errors import BatchRefusedError

if TYPE_CHECKING:
    from uuid import UUID

    from belegflow_contracts.messages import MatchedV1, SupplierBatchV1
    from belegflow_contracts.runtime.db import Connection

_SUPPLIER_COLUMNS = (
    "s.supplier_number, s.name, s.street, s.postal_code, s.city, s.country, s.vat_id, s.gl_account, "
    "s.cost_center, s.tax_key, s.amount_tolerance, "
    "coalesce((SELECT array_agg(i.iban ORDER BY i.position) FROM supplier_ibans i "
    "WHERE i.tenant = s.tenant AND i.supplier_number = s.supplier_number), '{}') AS ibans"
)


def _record(row: Any) -> SupplierRecord:
    return SupplierRecord(
        supplier_number=row["supplier_number"],
        name=row["name"],
        street=row["street"],
        postal_code=row["postal_code"],
        city=row["city"],
        country=row["country"],
        ibans=tuple(row["ibans"]),
        vat_id=row["vat_id"],
        gl_account=row["gl_account"],
        cost_center=row["cost_center"],
        tax_key=row["tax_key"],
        amount_tolerance=Decimal(row["amount_tolerance"]),
    )


async def all_suppliers(conn: Connection, tenant: str) -> list[SupplierRecord]:
    """Every supplier of the tenant (for the device master-data snapshot)."""
    rows = await conn.fetch(
        f"SELECT {_SUPPLIER_COLUMNS} FROM suppliers s WHERE s.tenant = $1 ORDER BY s.supplier_number", tenant
    )
    return [_record(r) for r in rows]


async def apply_suppliers(conn: Connection, batch: SupplierBatchV1) -> int:
    """Upsert every supplier of the batch, or none: a refusal rolls back to the savepoint taken here."""
    tenant = batch.tenant
    async with conn.transaction():
        numbers = [r.supplier_number for r in batch.records]
        # a supplier's IBANs are replaced as a whole, so an IBAN may move between suppliers of one batch
        await conn.execute(
            "DELETE FROM supplier_ibans WHERE tenant = $1 AND supplier_number = ANY($2::text[])", tenant, numbers
        )
        all_ibans = [iban for r in batch.records for iban in r.ibans]
        held = await conn.fetch(
            "SELECT iban, supplier_number FROM supplier_ibans WHERE tenant = $1 AND iban = ANY($2::text[]) "
            "ORDER BY iban",
            tenant,
            all_ibans,
        )
        if held:
            holder = {row["iban"]: row["supplier_number"] for row in held}
            record = next(r for r in batch.records if any(i in holder for i in r.ibans))
            iban = next(i for i in record.ibans if i in holder)
            raise BatchRefusedError(
                supplier_number=record.supplier_number,
                detail=f"IBAN {iban} already belongs to supplier {holder[iban]} (not in this batch)",
            )
        for record in batch.records:
            try:
                await conn.execute(
                    """
                    INSERT INTO suppliers (tenant, supplier_number, name, name_key, street, postal_code, city,
                                           country, vat_id, gl_account, cost_center, tax_key, amount_tolerance,
                                           batch_id, source)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                    ON CONFLICT (tenant, supplier_number) DO UPDATE SET
                        name = EXCLUDED.name, name_key = EXCLUDED.name_key, street = EXCLUDED.street,
                        postal_code = EXCLUDED.postal_code, city = EXCLUDED.city, country = EXCLUDED.country,
                        vat_id = EXCLUDED.vat_id, gl_account = EXCLUDED.gl_account,
                        cost_center = EXCLUDED.cost_center, tax_key = EXCLUDED.tax_key,
                        amount_tolerance = EXCLUDED.amount_tolerance, batch_id = EXCLUDED.batch_id,
                        source = EXCLUDED.source, updated_at = now()
                    """,
                    tenant,
                    record.supplier_number,
                    record.name,
                    normalize_name(record.name),
                    record.street,
                    record.postal_code,
                    record.city,
                    record.country,
                    record.vat_id,
                    record.gl_account,
                    record.cost_center,
                    record.tax_key,
                    record.amount_tolerance,
                    batch.batch_id,
                    batch.source,
                )
                await conn.executemany(
                    "INSERT INTO supplier_ibans (tenant, iban, supplier_number, position) VALUES ($1, $2, $3, $4)",
                    [(tenant, iban, record.supplier_number, pos) for pos, iban in enumerate(record.ibans)],
                )
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
                raise BatchRefusedError(supplier_number=record.supplier_number, detail=str(exc)) from exc
    return len(batch.records)


async def _suppliers_where(
    conn: Connection, tenant: str, column: Literal["vat_id", "name_key"], value: str | None
) -> tuple[SupplierRecord, ...]:
    """The tenant's suppliers with ``column = value``, in supplier-number order; none for a missing key."""
    if value is None:
        return ()
    rows = await conn.fetch(
        f"SELECT {_SUPPLIER_COLUMNS} FROM suppliers s WHERE s.tenant = $1 AND s.{column} = $2 "
        "ORDER BY s.supplier_number",
        tenant,
        value,
    )
    return tuple(_record(r) for r in rows)


async def find_candidates(conn: Connection, tenant: str, keys: Keys) -> Candidates:
    """The suppliers each key points to; the domain decides which one counts."""
    by_iban = None
    if keys.iban is not None:
        row = await conn.fetchrow(
            f"SELECT {_SUPPLIER_COLUMNS} FROM suppliers s JOIN supplier_ibans k "
            "ON k.tenant = s.tenant AND k.supplier_number = s.supplier_number "
            "WHERE k.tenant = $1 AND k.iban = $2",
            tenant,
            keys.iban,
        )
        by_iban = _record(row) if row is not None else None
    by_vat = await _suppliers_where(conn, tenant, "vat_id", keys.vat_id)
    by_name = await _suppliers_where(conn, tenant, "name_key", keys.name)
    return Candidates(by_iban=by_iban, by_vat=by_vat, by_name=by_name)


async def save_match(conn: Connection, matched: MatchedV1) -> None:
    """One result per document revision; a later result of the same revision replaces it."""
    supplier = matched.supplier
    await conn.execute(
        """
        INSERT INTO matches (document_id, revision, tenant, supplier_number, matched_by, confidence, decision,
                             reasons)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
        ON CONFLICT (document_id, revision) DO UPDATE SET
            supplier_number = EXCLUDED.supplier_number, matched_by = EXCLUDED.matched_by,
            confidence = EXCLUDED.confidence, decision = EXCLUDED.decision, reasons = EXCLUDED.reasons,
            matched_at = now()
        """,
        matched.document_id,
        matched.revision,
        matched.tenant,
        supplier.supplier_number if supplier else None,
        supplier.matched_by.value if supplier else None,
        supplier.confidence if supplier else None,
        matched.decision.value,
        json.dumps(matched.reasons),
    )


async def get_match(conn: Connection, document_id: UUID, revision: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT * FROM matches WHERE document_id = $1 AND revision = $2", document_id, revision
    )
    return dict(row) if row is not None else None
