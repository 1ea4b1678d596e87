"""Accruals against the real thing: the database decides races, TMS events apply in sequence over NATS,
the per-tenant switch, the accrual export, the creditor's tolerance, and bad accrual input."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from nats.aio.client import Client as NATS

from belegflow_accrual import handlers, store
from belegflow_accrual.store import LostAssignmentError
from belegflow_contracts.messages import (
    NO_ACCRUAL,
    AccrualBatchV1,
    AccrualEventKind,
    AccrualEventResultV1,
    AccrualEventV1,
    AccrualMovementV1,
    AccrualStatus,
    AccrualV1,
    AccruedV1,
    Decision,
    InvoiceLineV1,
    InvoiceV1,
    MatchedV1,
    MatchKey,
    SupplierBatchV1,
    SupplierMatchV1,
    SupplierV1,
    TmsExportV1,
)
from belegflow_contracts.runtime import db
from belegflow_contracts.types import ObjectRef
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, dead_letters, import_masterdata, stream_messages, truth, upload
from tests.e2e.test_masterdata import cli
from tests.e2e.test_pipeline import NS, text, validate_against_xsd

pytestmark = pytest.mark.e2e
NOW = datetime(2024, 5, 17, 10, 0, tzinfo=UTC)
CONTAINER = "MSCU5501845"


# --- the database decides: store-level races on real Postgres ------------------------------------


@pytest.fixture
async def pool(stack_state: stack.StackState) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(stack_state.database_url("accrual"), "accrual", min_size=2, max_size=12)
    await db.migrate(pool, "accrual", db.migrations_of("belegflow_accrual"))
    try:
        yield pool
    finally:
        await pool.close()


async def _seed(pool: asyncpg.Pool, tenant: str, accruals: list[AccrualV1], tolerance: str = "5.00") -> None:
    async with pool.acquire() as conn, conn.transaction():
        await store.apply_creditors(conn, SupplierBatchV1(batch_id=uuid.uuid4(), tenant=tenant, source="test", records=[
            SupplierV1(supplier_number="70001", name="Spedition Nordlicht GmbH", amount_tolerance=Decimal(tolerance))]))
        await store.apply_accruals(conn, AccrualBatchV1(batch_id=uuid.uuid4(), tenant=tenant, source="test",
                                                        records=accruals))


def _matched(tenant: str, *lines: tuple[str, str], document_id: uuid.UUID | None = None) -> MatchedV1:
    return MatchedV1(
        document_id=document_id or uuid.uuid4(), tenant=tenant, revision=1,
        original=ObjectRef(bucket="originals", key=f"{tenant}/x.pdf", sha256="ab" * 32, size=1),
        invoice=InvoiceV1(invoice_number="RE-1", lines=[
            InvoiceLineV1(position=i, description="Seefracht", reference_text=ref, net_amount=Decimal(amount))
            for i, (ref, amount) in enumerate(lines, start=1)]),
        supplier=SupplierMatchV1(supplier_number="70001", name="Spedition Nordlicht GmbH", matched_by=MatchKey.IBAN,
                                 confidence=0.99),
        decision=Decision.TOUCHLESS,
    )


async def _accrue(pool: asyncpg.Pool, event: MatchedV1) -> AccruedV1:
    """What the handler does, retried as the error policy retries a lost assignment."""
    while True:
        try:
            async with pool.acquire() as conn, conn.transaction():
                return (await handlers.accrue_document(conn, event, default_send=True)).accrued
        except LostAssignmentError:
            continue


async def _status(pool: asyncpg.Pool, tenant: str, number: str) -> Any:
    async with pool.acquire() as conn:
        return await store.get_accrual(conn, tenant, number)


async def test_concurrent_invoices_take_one_accrual_once(pool: asyncpg.Pool, tenant: str) -> None:
    # GIVEN one open accrual and twelve invoices from different documents that all reference it
    await _seed(pool, tenant, [AccrualV1(accrual_number="AC-1", supplier_number="70001", reference=CONTAINER,
                                         amount=Decimal("100.00"))])
    events = [_matched(tenant, (f"Container {CONTAINER}", "100.00")) for _ in range(12)]
    # WHEN all are assigned at the same time on their own connections
    results = await asyncio.gather(*(_accrue(pool, e) for e in events))
    # THEN exactly one line took it; every other one says who has it
    winners = [r for r in results if r.assignments[0].accrual_number == "AC-1"]
    assert len(winners) == 1
    losers = [r for r in results if r is not winners[0]]
    assert all(r.assignments[0].accrual_number == NO_ACCRUAL for r in losers)
    assert all(f"already assigned to document {winners[0].document_id} line 1" in (r.assignments[0].reason or "")
               for r in losers)
    stored = await _status(pool, tenant, "AC-1")
    assert (stored.status, stored.assigned_document) == (AccrualStatus.ASSIGNED, winners[0].document_id)


async def test_the_database_refuses_a_second_taker_even_without_locks(pool: asyncpg.Pool, tenant: str) -> None:
    # GIVEN an accrual assigned to one document
    await _seed(pool, tenant, [AccrualV1(accrual_number="AC-1", supplier_number="70001", reference=CONTAINER,
                                         amount=Decimal("100.00")),
                               AccrualV1(accrual_number="AC-2", supplier_number="70001", reference="4909-5450",
                                         amount=Decimal("100.00")),
                               AccrualV1(accrual_number="AC-3", supplier_number="70001", reference="4909-5451",
                                         amount=Decimal("100.00"))])
    first, second = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await store.assign(conn, tenant, first, 1, [("AC-1", 1)])
    # WHEN another document writes its claim straight away, skipping the decision
    async with pool.acquire() as conn:
        with pytest.raises(LostAssignmentError, match="AC-1"):
            async with conn.transaction():
                await store.assign(conn, tenant, second, 1, [("AC-1", 3)])
        # AND when one line claims two accruals
        with pytest.raises(asyncpg.UniqueViolationError, match="accruals_one_per_line"):
            async with conn.transaction():
                await store.assign(conn, tenant, second, 1, [("AC-2", 1), ("AC-3", 1)])
    # THEN the first document keeps it
    stored = await _status(pool, tenant, "AC-1")
    assert (stored.assigned_document, stored.assigned_line) == (first, 1)
    assert [(await _status(pool, tenant, n)).status for n in ("AC-2", "AC-3")] == [AccrualStatus.OPEN] * 2


async def _wait_until_blocked(pool: asyncpg.Pool, application_name_hint: str) -> None:
    """Until a backend of the accrual role waits for a row lock (the racing resolution)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    async with pool.acquire() as conn:
        while loop.time() < deadline:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1",
                f"%{application_name_hint}%")
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the resolution never waited for the assignment's lock")


def _resolved(tenant: str, number: str, sequence: int = 1) -> AccrualEventV1:
    return AccrualEventV1(event_id=uuid.uuid4(), tenant=tenant, accrual_number=number, sequence=sequence,
                          kind=AccrualEventKind.RESOLVED, at=NOW)


async def test_a_resolution_racing_an_assignment_waits_and_says_what_it_closed(
    pool: asyncpg.Pool, tenant: str
) -> None:
    # GIVEN an invoice that has locked the accrual it is about to take
    await _seed(pool, tenant, [AccrualV1(accrual_number="AC-1", supplier_number="70001", reference=CONTAINER,
                                         amount=Decimal("100.00"))])
    event = _matched(tenant, (CONTAINER, "100.00"))
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        outcome = await handlers.accrue_document(conn, event, default_send=True)
        # WHEN the TMS resolves the accrual meanwhile
        resolution = asyncio.create_task(_apply_event(pool, _resolved(tenant, "AC-1")))
        await _wait_until_blocked(pool, "FROM accruals WHERE tenant")
        assert not resolution.done()
        await tx.commit()
    notes = await resolution
    # THEN the assignment stands as committed first, and the resolution names the line it closed
    assert outcome.taken == [("AC-1", 1)]
    assert notes == [f"accrual AC-1 event 1: resolved in the TMS (was assigned to document {event.document_id} "
                     "line 1)"]
    assert (await _status(pool, tenant, "AC-1")).status is AccrualStatus.RESOLVED


async def test_an_assignment_after_a_resolution_loses_visibly(pool: asyncpg.Pool, tenant: str) -> None:
    # GIVEN the TMS resolved the accrual first
    await _seed(pool, tenant, [AccrualV1(accrual_number="AC-1", supplier_number="70001", reference=CONTAINER,
                                         amount=Decimal("100.00"))])
    await _apply_event(pool, _resolved(tenant, "AC-1"))
    # WHEN an invoice for it arrives THEN it does not take it, and its protocol says why
    accrued = await _accrue(pool, _matched(tenant, (CONTAINER, "100.00")))
    assert accrued.assignments[0].accrual_number == NO_ACCRUAL
    assert "accrual AC-1 is resolved in the TMS and is never sent again" in (accrued.assignments[0].reason or "")


async def _apply_event(pool: asyncpg.Pool, event: AccrualEventV1) -> list[str]:
    async with pool.acquire() as conn, conn.transaction():
        _, notes = await store.apply_event(conn, event)
        return notes


# --- over NATS with the services -------------------------------------------------------------------


async def _publish(nc: NATS, subject: str, payload: bytes | str, msg_id: str) -> None:
    data = payload.encode() if isinstance(payload, str) else payload
    await nc.jetstream().publish(subject, data, headers={"Nats-Msg-Id": msg_id})


async def _until(check: Callable[[], Awaitable[bool]], *, timeout_s: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await check():
        if loop.time() > deadline:
            raise AssertionError("the expected state was not reached in time")
        await asyncio.sleep(0.2)


def _event(tenant: str, number: str, sequence: int, kind: AccrualEventKind, **values: Any) -> AccrualEventV1:
    return AccrualEventV1(event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{number}/{sequence}"), tenant=tenant,
                          accrual_number=number, sequence=sequence, kind=kind, at=NOW, **values)


async def test_tms_events_apply_in_sequence_once_whatever_order_they_arrive_in(
    services: processes.ServiceSet, stack_state: stack.StackState, pool: asyncpg.Pool, nc: NATS, tenant: str
) -> None:
    # GIVEN the tenant's creditors
    await import_masterdata(stack_state, tenant)
    created = _event(tenant, "EV-1", 1, AccrualEventKind.CREATED, accrual=AccrualV1(
        accrual_number="EV-1", supplier_number="70001", reference="4711-0815", amount=Decimal("10.00")))
    changed = _event(tenant, "EV-1", 2, AccrualEventKind.AMOUNT_CHANGED, amount=Decimal("12.50"))
    resolved = _event(tenant, "EV-1", 3, AccrualEventKind.RESOLVED)
    # WHEN the TMS's events arrive last first, and one of them twice under another message id
    subject = f"md.{tenant}.accrual-events.v1"
    for event in (resolved, changed, created):
        await _publish(nc, subject, event.model_dump_json(), f"ev:{event.event_id}")
    await _publish(nc, subject, changed.model_dump_json(), f"ev:{changed.event_id}:again")

    # THEN all three applied in sequence, once each
    async def all_applied() -> bool:
        async with pool.acquire() as conn:
            events = await store.accrual_events(conn, tenant, "EV-1")
        return [state for _, state, _ in events] == ["applied"] * 3

    await _until(all_applied)
    stored = await _status(pool, tenant, "EV-1")
    assert (stored.amount, stored.status, stored.last_sequence) == (Decimal("12.50"), AccrualStatus.RESOLVED, 3)
    async with pool.acquire() as conn:
        notes = [note for _, _, note in await store.accrual_events(conn, tenant, "EV-1")]
    assert notes == ["created: 10.00 EUR, reference 4711-0815", "amount 10.00 EUR -> 12.50 EUR", "resolved in the TMS"]
    # AND the TMS reads what each event did on md.<tenant>.accrual-events.applied.v1
    answers = await stream_messages(nc, "MD", f"md.{tenant}.accrual-events.applied.v1", expect=4, timeout_s=30)
    results = [AccrualEventResultV1.model_validate_json(m.data) for m in answers]
    assert [(r.sequence, r.state) for r in results] == [(3, "held"), (2, "held"), (1, "applied"),
                                                        (2, "already-applied")]
    assert results[2].notes == ["accrual EV-1 event 1: created: 10.00 EUR, reference 4711-0815",
                                "accrual EV-1 event 2: amount 10.00 EUR -> 12.50 EUR",
                                "accrual EV-1 event 3: resolved in the TMS"]


async def test_bad_tms_events_go_to_the_dlq_with_the_reason(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    await import_masterdata(stack_state, tenant)
    subject = f"md.{tenant}.accrual-events.v1"
    # an event for an accrual nobody created
    await _publish(nc, subject, _event(tenant, "NOPE-1", 1, AccrualEventKind.RESOLVED).model_dump_json(), "ev:nope")
    # an amount change to a negative amount, and an event that is no event at all
    bad_amount = json.loads(_event(tenant, "AC-2024-0001", 1, AccrualEventKind.AMOUNT_CHANGED,
                                   amount=Decimal(1)).model_dump_json())
    bad_amount["amount"] = "-5.00"
    await _publish(nc, subject, json.dumps(bad_amount), "ev:negative")
    await _publish(nc, subject, json.dumps({"tenant": tenant, "accrual_number": "AC-1"}), "ev:garbage")
    letters = await dead_letters(nc, "accrual", tenant, expect=3, timeout_s=60)
    reasons = sorted(letter["reason"] for letter in letters)
    assert len(reasons) == 3
    assert any("accrual NOPE-1 event 1 (resolved" in r and "the accrual is unknown" in r for r in reasons)
    assert any("contract validation failed" in r and "amount" in r and "greater than 0" in r for r in reasons)
    assert any("contract validation failed" in r and "event_id" in r for r in reasons)


async def test_the_switch_is_per_tenant_and_the_accrual_export_goes_out_either_way(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS
) -> None:
    # GIVEN two tenants with the same master data; one switched sending accrual numbers off
    quiet, loud = f"q{uuid.uuid4().hex[:10]}", f"l{uuid.uuid4().hex[:10]}"
    switched = cli(stack_state, "masterdata", "accrual-settings", "--tenant", quiet, "--no-send")
    assert switched.returncode == 0, switched.stderr
    pdf = SAMPLES / "invoices" / "invoice-01-din.pdf"
    expected = [line["accrual_number"] for line in truth(pdf)["lines"]]
    for tenant in (quiet, loud):
        await import_masterdata(stack_state, tenant)
        assert upload(services, tenant, pdf).status_code == 201
    # WHEN both are exported
    for tenant, sent in ((quiet, False), (loud, True)):
        (tms,) = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)
        doc = validate_against_xsd(TmsExportV1.model_validate_json(tms.data).xml.encode())
        numbers = [e.text for e in doc.findall("t:lines/t:line/t:accrualNumber", NS)]
        # THEN the TMS gets the numbers only where sending is on
        assert text(doc, "t:header/t:accrualsSent") == ("true" if sent else "false")
        assert numbers == (expected if sent else [])
        # AND the accrual export says which line took which accrual in both cases
        (moved,) = await stream_messages(nc, "EXPORT", f"export.{tenant}.accruals.v1", expect=1, timeout_s=30)
        movement = AccrualMovementV1.model_validate_json(moved.data)
        assert movement.accrual_numbers_sent is sent
        assert [line.accrual_number for line in movement.lines] == expected


async def test_out_of_tolerance_goes_to_review_and_a_resolved_accrual_is_never_sent_again(
    services: processes.ServiceSet, stack_state: stack.StackState, pool: asyncpg.Pool, nc: NATS, tenant: str,
    tmp_path: Path
) -> None:
    # GIVEN the sample master data, where the first line's accrual is 99,999.99 instead of its line amount
    pdf = SAMPLES / "invoices" / "invoice-01-din.pdf"
    expected = [line["accrual_number"] for line in truth(pdf)["lines"]]
    rows = (SAMPLES / "masterdata" / "accruals.csv").read_text().splitlines()
    rows = [",".join([*r.split(",")[:3], "99999.99", r.split(",")[4]]) if r.startswith(expected[0] + ",") else r
            for r in rows]
    (tmp_path / "accruals.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "suppliers.csv").write_text((SAMPLES / "masterdata" / "suppliers.csv").read_text())
    await import_masterdata(stack_state, tenant, tmp_path)
    # WHEN the invoice is processed
    response = upload(services, tenant, pdf)
    document_id = response.json()["id"]
    (first,) = await stream_messages(nc, "DOCS", f"docs.{tenant}.accrued.v1", expect=1, timeout_s=90)
    accrued = AccruedV1.model_validate_json(first.data)
    # THEN the first line is not assigned, with both amounts, and the invoice goes to review
    assert [a.accrual_number for a in accrued.assignments] == [NO_ACCRUAL, *expected[1:]]
    assert accrued.decision is Decision.REVIEW
    assert "(99999.99 EUR, allowed ±5.00" in accrued.reasons[0]

    # GIVEN the TMS then resolves the second line's accrual
    await _publish(nc, f"md.{tenant}.accrual-events.v1", _resolved(tenant, expected[1]).model_dump_json(),
                   f"ev:{tenant}:resolved")

    async def resolved() -> bool:
        return bool((await _status(pool, tenant, expected[1])).status is AccrualStatus.RESOLVED)

    await _until(resolved)
    # WHEN the invoice is recognised again (revision 2)
    repeat = httpx.post(f"{services.ingest_url}/v1/documents/{document_id}/recognition/repeat",
                        headers={**services.auth, "X-Tenant": tenant}, json={"reason": "test"}, timeout=10)
    assert repeat.status_code == 202, repeat.text
    msgs = await stream_messages(nc, "DOCS", f"docs.{tenant}.accrued.v1", expect=2, timeout_s=90)
    second = AccruedV1.model_validate_json(msgs[-1].data)
    # THEN the resolved accrual is not sent again, and the protocol says so
    assert second.revision == 2
    assert second.assignments[1].accrual_number == NO_ACCRUAL
    assert f"accrual {expected[1]} is resolved in the TMS" in (second.assignments[1].reason or "")
    assert [a.accrual_number for a in second.assignments][2:] == expected[2:]


async def test_an_accrual_batch_with_an_unknown_creditor_is_refused_whole(
    services: processes.ServiceSet, stack_state: stack.StackState, pool: asyncpg.Pool, tenant: str, tmp_path: Path
) -> None:
    from belegflow_ops.masterdata import import_file

    await import_masterdata(stack_state, tenant)
    bad = tmp_path / "accruals.csv"
    bad.write_text("accrual_number,supplier_number,reference,amount,currency\n"
                   "NEW-1,70001,4711-0001,10.00,EUR\nNEW-2,79999,4711-0002,10.00,EUR\n")
    applied = await import_file("accruals", bad, tenant=tenant, nats_url=stack_state.nats_url, timeout_s=60)
    assert applied.applied == 0
    assert applied.error is not None
    assert "accrual NEW-2: creditor 79999 is unknown in master data" in applied.error
    assert await _status(pool, tenant, "NEW-1") is None


async def test_an_e_invoices_purchase_order_assigns_its_accrual(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN the XRechnung seller as a creditor and an accrual filed under the invoice's purchase order (BT-13)
    invoice = (SAMPLES / "einvoices" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard"
               / "01.02a-INVOICE_ubl.xml")
    (tmp_path / "suppliers.csv").write_text(
        "supplier_number,name,ibans,amount_tolerance\n80001,Seller GmbH,DE79000000001234567890,0.50\n")
    (tmp_path / "accruals.csv").write_text(
        "accrual_number,supplier_number,reference,amount,currency\nAC-PO-1,80001,Dummywert,11.78,EUR\n")
    await import_masterdata(stack_state, tenant, tmp_path)
    # WHEN it is uploaded
    assert upload(services, tenant, invoice).status_code == 201
    # THEN its one line, which names no reference itself, takes the purchase order's accrual
    (msg,) = await stream_messages(nc, "DOCS", f"docs.{tenant}.accrued.v1", expect=1, timeout_s=90)
    accrued = AccruedV1.model_validate_json(msg.data)
    assert [r.model_dump() for r in accrued.invoice.references] == [{"term": "BT-13", "value": "Dummywert"}]
    assert [a.accrual_number for a in accrued.assignments] == ["AC-PO-1"]
