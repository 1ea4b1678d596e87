"""Accrual's SQL: accruals, creditors' tolerances, tenants' settings, TMS events, and which line took which
accrual. Nothing else in accrual touches asyncpg."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import asyncpg

from belegflow_accrual import domain
from belegflow_accrual.domain import AccrualRecord, Creditor, TenantSettings, Tolerance, normalize_reference
from belegflow_accrual.errors import AccrualEventRefusedError, BatchRefusedError
from belegflow_accrual.references import ReferencePatterns
from belegflow_contracts.messages import AccrualEventV1, AccrualStatus
from belegflow_contracts.runtime.errors import PermanentError, TransientError

if TYPE_CHECKING:
    from uuid import UUID

    from belegflow_contracts.messages import AccrualBatchV1, AccrualSettingsV1, SupplierBatchV1
    from belegflow_contracts.runtime.db import Connection


EventState = Literal["applied", "held", "already-applied"]


def _record(row: Any) -> AccrualRecord:
    return AccrualRecord(
        accrual_number=row["accrual_number"],
        supplier_number=row["supplier_number"],
        reference=row["reference"],
        amount=Decimal(row["amount"]),
        currency=row["currency"],
        status=AccrualStatus(row["status"]),
        service_type=row["service_type"],
        rates={k: Decimal(v) for k, v in json.loads(row["rates"]).items()},
        assigned_document=row["assigned_document"],
        assigned_revision=row["assigned_revision"],
        assigned_line=row["assigned_line"],
        last_sequence=row["last_sequence"],
    )


def _rates(rates: dict[str, Decimal]) -> str:
    return json.dumps({k.upper(): format(v, "f") for k, v in rates.items()})


# --- creditors and settings ------------------------------------------------------------------------


async def apply_creditors(conn: Connection, batch: SupplierBatchV1) -> int:
    """The tolerances of every supplier of the batch (the supplier's other master data is matching's)."""
    await conn.executemany(
        """
        INSERT INTO creditors (tenant, supplier_number, amount_tolerance, amount_tolerance_percent,
                               service_tolerances, batch_id)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6)
        ON CONFLICT (tenant, supplier_number) DO UPDATE SET
            amount_tolerance = EXCLUDED.amount_tolerance,
            amount_tolerance_percent = EXCLUDED.amount_tolerance_percent,
            service_tolerances = EXCLUDED.service_tolerances, batch_id = EXCLUDED.batch_id, updated_at = now()
        """,
        [(batch.tenant, s.supplier_number, s.amount_tolerance, s.amount_tolerance_percent,
          json.dumps([t.model_dump(mode="json") for t in s.service_tolerances]), batch.batch_id)
         for s in batch.records],
    )
    return len(batch.records)


async def known_creditors(conn: Connection, tenant: str, numbers: list[str]) -> set[str]:
    rows = await conn.fetch("SELECT supplier_number FROM creditors WHERE tenant = $1 AND supplier_number = ANY($2)",
                            tenant, numbers)
    return {row["supplier_number"] for row in rows}


def _tolerance(absolute: Any, percent: Any) -> Tolerance:
    return Tolerance(None if absolute is None else Decimal(absolute), None if percent is None else Decimal(percent))


async def get_creditor(conn: Connection, tenant: str, supplier_number: str) -> Creditor | None:
    row = await conn.fetchrow("SELECT * FROM creditors WHERE tenant = $1 AND supplier_number = $2",
                              tenant, supplier_number)
    if row is None:
        return None
    by_service = {t["service_type"].lower(): _tolerance(t.get("amount_tolerance"), t.get("amount_tolerance_percent"))
                  for t in json.loads(row["service_tolerances"])}
    return Creditor(supplier_number, _tolerance(row["amount_tolerance"], row["amount_tolerance_percent"]), by_service)


async def put_settings(conn: Connection, settings: AccrualSettingsV1) -> bool:
    """Store a tenant's settings unless newer ones are stored; True when stored."""
    row = await conn.fetchrow(
        """
        INSERT INTO tenant_settings (tenant, send_accrual_numbers, position_patterns, changed_by, changed_at)
        VALUES ($1, $2, $3::jsonb, $4, $5)
        ON CONFLICT (tenant) DO UPDATE SET send_accrual_numbers = EXCLUDED.send_accrual_numbers,
            position_patterns = EXCLUDED.position_patterns, changed_by = EXCLUDED.changed_by,
            changed_at = EXCLUDED.changed_at
        WHERE tenant_settings.changed_at <= EXCLUDED.changed_at
        RETURNING tenant
        """,
        settings.tenant, settings.send_accrual_numbers, json.dumps(settings.position_patterns), settings.changed_by,
        settings.changed_at,
    )
    return row is not None


async def get_settings(conn: Connection, tenant: str, *, default_send: bool) -> TenantSettings:
    """The tenant's settings; a tenant without any sends accrual numbers as the service's default says."""
    row = await conn.fetchrow("SELECT * FROM tenant_settings WHERE tenant = $1", tenant)
    if row is None:
        return TenantSettings(send_accrual_numbers=default_send)
    return TenantSettings(send_accrual_numbers=row["send_accrual_numbers"],
                          patterns=ReferencePatterns.compile(json.loads(row["position_patterns"])))


# --- accruals --------------------------------------------------------------------------------------


async def apply_accruals(conn: Connection, batch: AccrualBatchV1) -> int:
    """Upsert every accrual of the batch, or none: a refusal rolls back to the savepoint taken here."""
    tenant = batch.tenant
    async with conn.transaction():
        creditors = await known_creditors(conn, tenant, sorted({r.supplier_number for r in batch.records}))
        domain.check_batch(batch.records, creditors)
        rows = await conn.fetch(
            "SELECT accrual_number, status FROM accruals WHERE tenant = $1 AND accrual_number = ANY($2::text[]) "
            "ORDER BY accrual_number FOR UPDATE",
            tenant,
            [r.accrual_number for r in batch.records],
        )
        current = {row["accrual_number"]: AccrualStatus(row["status"]) for row in rows}
        for record in batch.records:
            status = domain.next_status(current.get(record.accrual_number), record.status)
            try:
                await conn.execute(
                    """
                    INSERT INTO accruals (tenant, accrual_number, supplier_number, reference, reference_raw, amount,
                                          currency, status, batch_id, source, service_type, rates)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)
                    ON CONFLICT (tenant, accrual_number) DO UPDATE SET
                        supplier_number = EXCLUDED.supplier_number, reference = EXCLUDED.reference,
                        reference_raw = EXCLUDED.reference_raw, amount = EXCLUDED.amount,
                        currency = EXCLUDED.currency, status = EXCLUDED.status, batch_id = EXCLUDED.batch_id,
                        source = EXCLUDED.source, service_type = EXCLUDED.service_type, rates = EXCLUDED.rates,
                        updated_at = now()
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
                    record.service_type,
                    _rates(record.rates),
                )
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
                raise BatchRefusedError(accrual_number=record.accrual_number, detail=str(exc)) from exc
    return len(batch.records)


async def lock_accruals(conn: Connection, tenant: str, keys: list[str]) -> list[AccrualRecord]:
    """The tenant's accruals filed under any of the keys, of any creditor, locked so a concurrent invoice or
    TMS event waits for us.

    Locked in accrual-number order, so two invoices wanting the same accruals cannot deadlock.
    """
    if not keys:
        return []
    rows = await conn.fetch(
        "SELECT * FROM accruals WHERE tenant = $1 AND reference = ANY($2::text[]) ORDER BY accrual_number FOR UPDATE",
        tenant,
        keys,
    )
    return [_record(r) for r in rows]


class LostAssignmentError(TransientError):
    """An accrual this invoice chose was taken or closed by someone else first; deciding again sees why."""


async def assign(
    conn: Connection, tenant: str, document_id: UUID, revision: int, taken: list[tuple[str, int]]
) -> None:
    """Mark what the document took; accruals an earlier revision of it held and this one did not are freed.

    Each accrual is taken only from ``open`` (or from this document): a concurrent assignment or resolution
    that got there first makes this one lose, and the whole decision is taken again.
    """
    await conn.execute(
        "UPDATE accruals SET status = 'open', assigned_document = NULL, assigned_revision = NULL, "
        "assigned_line = NULL, assigned_at = NULL, updated_at = now() "
        "WHERE tenant = $1 AND status = 'assigned' AND assigned_document = $2 AND assigned_revision < $3",
        tenant,
        document_id,
        revision,
    )
    lost = []
    for number, line in taken:
        result = await conn.execute(
            "UPDATE accruals SET status = 'assigned', assigned_document = $3, assigned_revision = $4, "
            "assigned_line = $5, assigned_at = now(), updated_at = now() "
            "WHERE tenant = $1 AND accrual_number = $2 "
            "AND (status = 'open' OR (status = 'assigned' AND assigned_document = $3 AND assigned_revision = $4))",
            tenant, number, document_id, revision, line,
        )
        if result.split()[-1] != "1":
            lost.append(number)
    if lost:
        raise LostAssignmentError(f"accrual(s) {', '.join(lost)} were taken or closed meanwhile; deciding again")


async def get_accrual(conn: Connection, tenant: str, accrual_number: str, *, lock: bool = False
                      ) -> AccrualRecord | None:
    row = await conn.fetchrow(
        "SELECT * FROM accruals WHERE tenant = $1 AND accrual_number = $2" + (" FOR UPDATE" if lock else ""),
        tenant, accrual_number,
    )
    return _record(row) if row is not None else None


async def _save(conn: Connection, tenant: str, record: AccrualRecord, source: str) -> None:
    await conn.execute(
        """
        INSERT INTO accruals (tenant, accrual_number, supplier_number, reference, reference_raw, amount, currency,
                              status, source, service_type, rates, assigned_document, assigned_revision,
                              assigned_line, last_sequence)
        VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14)
        ON CONFLICT (tenant, accrual_number) DO UPDATE SET
            supplier_number = EXCLUDED.supplier_number, reference = EXCLUDED.reference, amount = EXCLUDED.amount,
            currency = EXCLUDED.currency, status = EXCLUDED.status, source = EXCLUDED.source,
            service_type = EXCLUDED.service_type, rates = EXCLUDED.rates,
            assigned_document = EXCLUDED.assigned_document, assigned_revision = EXCLUDED.assigned_revision,
            assigned_line = EXCLUDED.assigned_line,
            assigned_at = CASE WHEN EXCLUDED.assigned_document IS NULL THEN NULL ELSE accruals.assigned_at END,
            last_sequence = EXCLUDED.last_sequence, updated_at = now()
        """,
        tenant, record.accrual_number, record.supplier_number, record.reference, record.amount, record.currency,
        record.status.value, source, record.service_type, _rates(record.rates), record.assigned_document,
        record.assigned_revision, record.assigned_line, record.last_sequence,
    )


# --- TMS events ------------------------------------------------------------------------------------


async def apply_event(conn: Connection, event: AccrualEventV1) -> tuple[EventState, list[str]]:
    """Record a TMS event once and apply it in its accrual's sequence, with every held successor it frees.

    Returns the event's state (applied, held, already-applied) and one note per event applied, held or refused.
    """
    tenant, number = event.tenant, event.accrual_number
    # one accrual's events one at a time, also before the accrual exists
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"accrual:{tenant}:{number}")
    existing = await conn.fetchrow(
        "SELECT event_id, state FROM accrual_events WHERE tenant = $1 AND accrual_number = $2 AND sequence = $3",
        tenant, number, event.sequence)
    if existing is not None:
        if existing["event_id"] != event.event_id:
            raise PermanentError(f"accrual {number} event {event.sequence}: another event "
                                 f"({existing['event_id']}) holds this sequence number; {event.event_id} refused")
        return "already-applied", [f"accrual {number} event {event.sequence}: already {existing['state']}"]
    current = await get_accrual(conn, tenant, number, lock=True)
    step = domain.event_step(current.last_sequence if current else 0, event)
    if step is domain.EventStep.ALREADY_APPLIED:
        return "already-applied", [f"accrual {number} event {event.sequence}: older than the accrual's state, ignored"]
    if step is domain.EventStep.HOLD:
        await _insert_event(conn, event, "held", "waiting for the events before it")
        return "held", [f"accrual {number} event {event.sequence}: held until event "
                        f"{(current.last_sequence if current else 0) + 1} arrives"]
    notes = []
    creditors = await _creditors_of(conn, event)
    record, note = domain.apply_event(current, event, creditors)
    await _save(conn, tenant, record, f"tms-event:{event.event_id}")
    await _insert_event(conn, event, "applied", note)
    notes.append(f"accrual {number} event {event.sequence}: {note}")
    # successors that arrived early apply now, in order; one that cannot apply stops the chain
    while True:
        row = await conn.fetchrow(
            "SELECT payload FROM accrual_events WHERE tenant = $1 AND accrual_number = $2 AND sequence = $3 "
            "AND state = 'held'", tenant, number, record.last_sequence + 1)
        if row is None:
            break
        held = AccrualEventV1.model_validate_json(row["payload"])
        try:
            record, note = domain.apply_event(record, held, await _creditors_of(conn, held))
        except AccrualEventRefusedError as exc:
            await _set_event(conn, held, "refused", exc.detail)
            notes.append(f"accrual {number} event {held.sequence}: refused: {exc.detail}")
            break
        await _save(conn, tenant, record, f"tms-event:{held.event_id}")
        await _set_event(conn, held, "applied", note)
        notes.append(f"accrual {number} event {held.sequence}: {note}")
    return "applied", notes


async def _creditors_of(conn: Connection, event: AccrualEventV1) -> set[str]:
    if event.accrual is None:
        return set()
    return await known_creditors(conn, event.tenant, [event.accrual.supplier_number])


async def _insert_event(conn: Connection, event: AccrualEventV1, state: str, note: str) -> None:
    await conn.execute(
        "INSERT INTO accrual_events (tenant, accrual_number, sequence, event_id, kind, payload, state, note, "
        "applied_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, CASE WHEN $7 = 'applied' THEN now() END)",
        event.tenant, event.accrual_number, event.sequence, event.event_id, event.kind.value,
        event.model_dump_json(), state, note,
    )


async def _set_event(conn: Connection, event: AccrualEventV1, state: str, note: str) -> None:
    await conn.execute(
        "UPDATE accrual_events SET state = $4, note = $5, applied_at = CASE WHEN $4 = 'applied' THEN now() END "
        "WHERE tenant = $1 AND accrual_number = $2 AND sequence = $3",
        event.tenant, event.accrual_number, event.sequence, state, note,
    )


async def accrual_events(conn: Connection, tenant: str, accrual_number: str) -> list[tuple[int, str, str]]:
    """(sequence, state, note) of an accrual's events."""
    rows = await conn.fetch(
        "SELECT sequence, state, note FROM accrual_events WHERE tenant = $1 AND accrual_number = $2 ORDER BY sequence",
        tenant, accrual_number)
    return [(r["sequence"], r["state"], r["note"] or "") for r in rows]
