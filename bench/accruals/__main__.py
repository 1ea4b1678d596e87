"""Accrual bench: precision and recall of assignments on a generated set with truth, and the time to assign a
200-line collective invoice against 1,000,000 open accruals, on the real Postgres of the local stack.

    python -m bench.accruals --invoices 300 --accruals 1000000

Assignment runs exactly as the service runs it (``accrue_document``: lock, decide, write, in one
transaction). Timed runs are rolled back, so each one finds the same open accruals.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg

from belegflow_accrual import handlers, store
from belegflow_accrual.references import normalize_reference
from belegflow_contracts.messages import (
    NO_ACCRUAL,
    Decision,
    InvoiceLineV1,
    InvoiceV1,
    MatchedV1,
    MatchKey,
    SupplierBatchV1,
    SupplierMatchV1,
    SupplierV1,
)
from belegflow_contracts.runtime import db
from belegflow_contracts.types import ObjectRef
from belegflow_ops import setup, stack
from bench.accruals import dataset

COLUMNS = ("tenant", "accrual_number", "supplier_number", "reference", "reference_raw", "amount", "currency",
           "status", "source")


async def load(pool: asyncpg.Pool, tenant: str, creditors: dict[str, Decimal], accruals: list[dataset.Accrual]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await store.apply_creditors(conn, SupplierBatchV1(
            batch_id=uuid.uuid4(), tenant=tenant, source="bench",
            records=[SupplierV1(supplier_number=n, name=f"Creditor {n}", amount_tolerance=t)
                     for n, t in creditors.items()]))
        for start in range(0, len(accruals), 100_000):
            await conn.copy_records_to_table("accruals", columns=COLUMNS, timeout=600, records=[
                (tenant, a.number, a.creditor, normalize_reference(a.reference), a.reference, a.amount, "EUR",
                 a.status, "bench") for a in accruals[start:start + 100_000]])


def matched(tenant: str, invoice: dataset.Invoice) -> MatchedV1:
    return MatchedV1(
        document_id=invoice.document_id, tenant=tenant, revision=1,
        original=ObjectRef(bucket="originals", key=f"{tenant}/bench.pdf", sha256="ab" * 32, size=1),
        invoice=InvoiceV1(invoice_number=f"RE-{invoice.document_id.hex[:8]}", lines=[
            InvoiceLineV1(position=ln.position, description=ln.description, reference_text=ln.reference_text,
                          net_amount=ln.amount) for ln in invoice.lines]),
        supplier=SupplierMatchV1(supplier_number=invoice.creditor, name=f"Creditor {invoice.creditor}",
                                 matched_by=MatchKey.IBAN, confidence=0.99),
        decision=Decision.TOUCHLESS,
    )


async def quality(pool: asyncpg.Pool, data: dataset.Dataset) -> None:
    tenant = "benchset"
    await load(pool, tenant, data.creditors, data.accruals)
    assigned = correct = expected = 0
    wrong: list[str] = []
    for invoice in data.invoices:
        async with pool.acquire() as conn, conn.transaction():
            outcome = await handlers.accrue_document(conn, matched(tenant, invoice), default_send=True)
        for line, got in zip(invoice.lines, outcome.accrued.assignments, strict=True):
            expected += line.truth != NO_ACCRUAL
            if got.accrual_number != NO_ACCRUAL:
                assigned += 1
                if got.accrual_number == line.truth:
                    correct += 1
                else:
                    wrong.append(f"{line.reference_text!r} {line.amount}: got {got.accrual_number}, truth {line.truth}")
    lines = sum(len(i.lines) for i in data.invoices)
    print(f"set: {len(data.invoices)} invoices, {lines} lines ({max(len(i.lines) for i in data.invoices)} at most), "
          f"{len(data.accruals)} accruals, {data.misreads} misread references, {expected} lines with an accrual "
          "to find")
    print("| measure | value |\n|---|---:|")
    print(f"| precision (assignments that are right) | {correct / assigned * 100:.2f} % ({correct}/{assigned}) |")
    print(f"| recall (lines with an accrual that got it) | {correct / expected * 100:.2f} % ({correct}/{expected}) |")
    for miss in wrong[:20]:
        print("wrong:", miss)


async def speed(pool: asyncpg.Pool, total: int, runs: int, seed: int) -> None:
    tenant = "bench1m"
    data = dataset.generate(seed, 1, lines=200)
    (invoice,) = data.invoices
    fill = dataset.filler(total - len(data.accruals), seed, sorted(data.creditors))
    started = time.perf_counter()
    await load(pool, tenant, data.creditors, [*data.accruals, *fill])
    loaded = time.perf_counter() - started
    async with pool.acquire() as conn:
        await conn.execute("ANALYZE accruals")
        count = await conn.fetchval("SELECT count(*) FROM accruals WHERE tenant = $1 AND status = 'open'", tenant)
    event = matched(tenant, invoice)
    timings = []
    assigned = 0
    for _ in range(runs):
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            t0 = time.perf_counter()
            outcome = await handlers.accrue_document(conn, event, default_send=True)
            timings.append(time.perf_counter() - t0)
            await tx.rollback()
        assigned = len(outcome.taken)
    ordered = sorted(timings)
    print(f"\n{count} open accruals of tenant {tenant} (loaded in {loaded:.0f} s); a 200-line invoice, {runs} runs, "
          f"{assigned} lines assigned each run")
    print("| run | ms |\n|---|---:|")
    print(f"| first (cold) | {timings[0] * 1000:.1f} |")
    print(f"| median | {statistics.median(timings) * 1000:.1f} |")
    print(f"| p95 | {ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000:.1f} |")


async def main(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="belegflow-accrual-bench-"))
    state = stack.up(home)
    try:
        await setup.init_database(state.admin_dsn, state.role_passwords)
        pool = await db.create_pool(state.database_url("accrual"), "accrual", max_size=4)
        try:
            await db.migrate(pool, "accrual", db.migrations_of("belegflow_accrual"))
            await quality(pool, dataset.generate(args.seed, args.invoices))
            await speed(pool, args.accruals, args.runs, args.seed + 1)
        finally:
            await pool.close()
    finally:
        stack.down(home)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--accruals", type=int, default=1_000_000, help="open accruals for the speed run")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--seed", type=int, default=11)
    asyncio.run(main(parser.parse_args()))
