"""Books bench: a DATEV run of 100,000 approved invoices (seconds, peak memory), and the archive's write and
``verify`` rates (objects per second), on the local stack's Postgres, S3 and archive server (SeaweedFS).

    python -m bench.books --invoices 100000 --archive 2000

The DATEV run is ``run_datev`` exactly as the CLI and the schedule call it: select the approved revisions,
book them, write and check the EXTF file, build the documents ZIP, store both, archive both, record the batch.
The invoices share one small original (3 KB), so the ZIP's size and the memory do not include real images.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from belegflow_contracts.messages import AccruedV1, Decision, InvoiceV1, MatchKey, SupplierMatchV1
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.storage import ObjectStore, connect
from belegflow_export import store
from belegflow_export.archive import ArchiveItem, ArchiveKind, append, verify
from belegflow_export.books import archive_bucket, run_datev
from belegflow_export.settings import Settings
from belegflow_ops import setup, stack
from belegflow_ops.books import export_settings

if TYPE_CHECKING:
    from collections.abc import Iterator


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="belegflow-books-bench-"))
    state = stack.up(home)
    try:
        await setup.init_all(setup.Targets(state.nats_url, state.admin_dsn, state.s3_url, state.s3_access_key,
                                           state.s3_secret_key, state.role_passwords))
        settings = export_settings(state.service_env("export"), home / "out")
        pool = await db.create_pool(state.database_url("export"), "export", max_size=4)
        try:
            await db.migrate(pool, "export", db.migrations_of("belegflow_export"))
            objects = ObjectStore.from_settings(settings)
            bucket = archive_bucket(settings)
            await asyncio.to_thread(bucket.ensure)
            # the invoices' shared original is ingest's to write: export's credentials only read originals
            ingest = ObjectStore(connect(state.s3_url, state.s3_access_key, state.s3_secret_key, "us-east-1"))
            await datev(pool, objects, ingest, bucket, settings, args.invoices)
            await archive(pool, bucket, settings, args.archive)
        finally:
            await pool.close()
    finally:
        stack.down(home)


async def datev(pool: object, objects: ObjectStore, ingest: ObjectStore, bucket: object, settings: Settings,
                count: int) -> None:
    tenant = "bench"
    original = await ingest.put_content_addressed("originals", tenant, b"%PDF-1.4 bench " + b"x" * 3000,
                                                   suffix=".pdf", content_type="application/pdf")
    supplier = SupplierMatchV1(supplier_number="70001", name="Spedition Nordlicht GmbH", gl_account="3800",
                               cost_center="1000", tax_key="9", matched_by=MatchKey.IBAN, confidence=1.0)
    def records() -> Iterator[tuple[uuid.UUID, int, str, str, str]]:
        """Approved revisions as export keeps them, made one by one so the bench holds none of them."""
        for i in range(count):
            net = Decimal(100 + i % 9000)
            tax = (net * Decimal("0.19")).quantize(Decimal("0.01"))
            event = AccruedV1(
                document_id=uuid.uuid4(), tenant=tenant, revision=1, original=original,
                invoice=InvoiceV1(invoice_number=f"RE-{i:08d}", invoice_date=date(2026, 11, 1 + i % 30),
                                  net_amount=net, tax_amount=tax, gross_amount=net + tax),
                supplier=supplier, decision=Decision.TOUCHLESS, assignments=[], send_accruals=True)
            yield event.document_id, 1, tenant, event.model_dump_json(), "approved"

    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        await conn.copy_records_to_table("revisions", records=records(), timeout=600,
                                         columns=("document_id", "revision", "tenant", "accrued", "state"))
    before = _rss_mb()
    started = time.perf_counter()
    run = await run_datev(pool, objects, bucket, settings, tenant, "2026-11", by="bench")  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    extf_mb, zip_mb = [size / 1e6 for size in await asyncio.gather(*(asyncio.to_thread(os.path.getsize, path)
                                                                    for path in run.files[:2]))]
    print(f"\nDATEV run of {len(run.invoices):,} approved invoices ({run.bookings:,} bookings)")
    print("| measure | value |\n|---|---:|")
    print(f"| seconds (select, book, write, check, ZIP, store, archive, record) | {seconds:.1f} |")
    print(f"| invoices per second | {len(run.invoices) / seconds:,.0f} |")
    print(f"| EXTF file | {extf_mb:.1f} MB |")
    print(f"| documents ZIP | {zip_mb:.1f} MB |")
    print(f"| peak RSS of the process | {_rss_mb():.0f} MB (before the run: {before:.0f} MB) |")


async def archive(pool: object, bucket: object, settings: Settings, count: int) -> None:
    tenant = "bench-archive"
    at = datetime.now(UTC)
    items = [ArchiveItem(kind=ArchiveKind.FIELDS, data=json.dumps({"n": i, "pad": "x" * 2000}).encode(),
                         suffix=".json", content_type="application/json", event="approved", by="bench",
                         basis=at.date(), document_id=uuid.uuid4(), revision=1) for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 50):
        async with pool.acquire() as conn, conn.transaction():  # type: ignore[attr-defined]
            await append(conn, bucket, tenant, items[start:start + 50], at=at,  # type: ignore[arg-type]
                         invoice_years=settings.archive_invoice_years, booking_years=settings.archive_booking_years)
    write_s = time.perf_counter() - started
    started = time.perf_counter()
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        report = await verify(conn, bucket, tenant)  # type: ignore[arg-type]
    verify_s = time.perf_counter() - started
    assert report.ok, report.findings[:3]
    async with pool.acquire() as conn:  # type: ignore[attr-defined]
        head = await store.archive_head(conn, tenant)
    print(f"\narchive: {count:,} objects of 2 KB, each with its index entry (object and entry written once, "
          f"under object lock: {getattr(bucket, 'object_lock', False)}); chain head {head}")
    print("| measure | objects per second |\n|---|---:|")
    print(f"| archive write (object + chained index entry, 50 per transaction) | {count / write_s:,.0f} |")
    print(f"| verify (both chain copies, every object read and hashed) | {report.objects / verify_s:,.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--archive", type=int, default=2_000, help="objects written to and verified in the archive")
    asyncio.run(main(parser.parse_args()))
