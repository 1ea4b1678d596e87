"""Matching's SQL: suppliers, their IBANs, match results. Nothing else in matching touches asyncpg."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import asyncpg

from belegflow_contracts.messages import InvoiceV1, ReviewState, SupplierMatchV1
from belegflow_contracts.types import ObjectRef
from belegflow_matching.domain import (
    Candidates,
    CompanyRecord,
    Earlier,
    Keys,
    SupplierRecord,
    invoice_key,
    normalize_name,
)
from belegflow_matching.errors import BatchRefusedError
from belegflow_matching.review import Review

if TYPE_CHECKING:
    from uuid import UUID

    from belegflow_contracts.messages import CompanyBatchV1, DecisionV1, MatchedV1, SupplierBatchV1
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


# --- review: the decision on each revision, its audit trail, and the business key of duplicates -----------


async def supplier_by_number(conn: Connection, tenant: str, supplier_number: str) -> SupplierRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_SUPPLIER_COLUMNS} FROM suppliers s WHERE s.tenant = $1 AND s.supplier_number = $2",
        tenant, supplier_number,
    )
    return _record(row) if row is not None else None


async def find_earlier(conn: Connection, matched: MatchedV1) -> list[Earlier]:
    """Other documents of the same supplier with the same invoice number, or the same date and gross.

    Serialised per tenant and supplier (a transaction lock), so two copies arriving at once still see each other.
    """
    supplier = matched.supplier
    if supplier is None:
        return []
    invoice = matched.invoice
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"dup:{matched.tenant}:{supplier.supplier_number}")
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (document_id) document_id, invoice->>'invoice_number' AS invoice_number, invoice_date,
               gross_amount
        FROM reviews
        WHERE tenant = $1 AND supplier_number = $2 AND document_id <> $3 AND state <> 'rejected'
          AND ((invoice_key IS NOT NULL AND invoice_key = $4)
               OR (invoice_date IS NOT NULL AND invoice_date = $5 AND gross_amount = $6))
        ORDER BY document_id, revision DESC
        """,
        matched.tenant, supplier.supplier_number, matched.document_id, invoice_key(invoice.invoice_number),
        invoice.invoice_date, invoice.gross_amount,
    )
    found = [Earlier(document_id=r["document_id"], invoice_number=r["invoice_number"],
                     invoice_date=r["invoice_date"], gross_amount=r["gross_amount"]) for r in rows]
    return sorted(found, key=lambda e: str(e.document_id))


async def save_review(conn: Connection, review: Review) -> None:
    """Insert or update the decision on one revision, with the business key duplicates are looked up by."""
    invoice = review.invoice
    await conn.execute(
        """
        INSERT INTO reviews (document_id, revision, tenant, state, version, original, invoice, supplier, reasons,
                             duplicate_of, supplier_number, invoice_key, invoice_date, gross_amount, editors)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11, $12, $13, $14, $15::jsonb)
        ON CONFLICT (document_id, revision) DO UPDATE SET
            state = EXCLUDED.state, version = EXCLUDED.version, invoice = EXCLUDED.invoice,
            supplier = EXCLUDED.supplier, reasons = EXCLUDED.reasons, duplicate_of = EXCLUDED.duplicate_of,
            supplier_number = EXCLUDED.supplier_number, invoice_key = EXCLUDED.invoice_key,
            invoice_date = EXCLUDED.invoice_date, gross_amount = EXCLUDED.gross_amount, editors = EXCLUDED.editors,
            updated_at = now()
        """,
        review.document_id, review.revision, review.tenant, review.state.value, review.version,
        review.original.model_dump_json(), invoice.model_dump_json(),
        review.supplier.model_dump_json() if review.supplier else None, json.dumps(list(review.reasons)),
        review.duplicate_of, review.supplier.supplier_number if review.supplier else None,
        invoice_key(invoice.invoice_number), invoice.invoice_date, invoice.gross_amount,
        json.dumps(list(review.editors)),
    )


async def lock_current_review(conn: Connection, tenant: str, document_id: UUID) -> Review | None:
    """The decision on the document's latest revision, locked until the transaction ends; another tenant's: None."""
    row = await conn.fetchrow(
        "SELECT * FROM reviews WHERE tenant = $1 AND document_id = $2 ORDER BY revision DESC LIMIT 1 FOR UPDATE",
        tenant, document_id,
    )
    if row is None:
        return None
    return Review(
        document_id=row["document_id"], revision=row["revision"], tenant=row["tenant"],
        state=ReviewState(row["state"]), version=row["version"],
        original=ObjectRef.model_validate_json(row["original"]),
        invoice=InvoiceV1.model_validate_json(row["invoice"]),
        supplier=SupplierMatchV1.model_validate_json(row["supplier"]) if row["supplier"] else None,
        reasons=tuple(json.loads(row["reasons"])), duplicate_of=row["duplicate_of"],
        editors=tuple(json.loads(row["editors"])),
    )


async def add_audit(conn: Connection, event: DecisionV1) -> None:
    """One line of the append-only audit trail per step (a step of a version is recorded once)."""
    await conn.execute(
        """
        INSERT INTO review_audit (document_id, revision, version, tenant, action, by_whom, at, reason, changes)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
        """,
        event.document_id, event.revision, event.version, event.tenant, event.action, event.by, event.at,
        event.reason, json.dumps([c.model_dump() for c in event.changes]),
    )


async def audit_trail(conn: Connection, document_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT * FROM review_audit WHERE document_id = $1 ORDER BY id", document_id)
    return [dict(r) for r in rows]


# --- the tenant's own companies ---------------------------------------------------------------------------


async def apply_companies(conn: Connection, batch: CompanyBatchV1) -> int:
    """Upsert every company of the batch (the caller's transaction makes it all or nothing)."""
    await conn.executemany(
        """
        INSERT INTO companies (tenant, company_number, name, aliases, vat_id, street, postal_code, city, country,
                               batch_id, source)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (tenant, company_number) DO UPDATE SET
            name = EXCLUDED.name, aliases = EXCLUDED.aliases, vat_id = EXCLUDED.vat_id, street = EXCLUDED.street,
            postal_code = EXCLUDED.postal_code, city = EXCLUDED.city, country = EXCLUDED.country,
            batch_id = EXCLUDED.batch_id, source = EXCLUDED.source, updated_at = now()
        """,
        [(batch.tenant, c.company_number, c.name, c.aliases, c.vat_id, c.street, c.postal_code, c.city, c.country,
          batch.batch_id, batch.source) for c in batch.records],
    )
    return len(batch.records)


async def companies(conn: Connection, tenant: str) -> list[CompanyRecord]:
    rows = await conn.fetch(
        "SELECT company_number, name, aliases, vat_id FROM companies WHERE tenant = $1 ORDER BY company_number", tenant
    )
    return [CompanyRecord(company_number=r["company_number"], name=r["name"], aliases=tuple(r["aliases"]),
                          vat_id=r["vat_id"]) for r in rows]
