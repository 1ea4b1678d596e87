"""The books: a DATEV run for a tenant and period, archiving an approved invoice, the schedule. Load, decide, save."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from belegflow_contracts import subjects
from belegflow_contracts.messages import AccruedV1, DatevResultV1, Level, ProtocolEntryV1
from belegflow_contracts.runtime import db
from belegflow_contracts.runtime.logging import get_logger
from belegflow_contracts.runtime.messaging import outgoing
from belegflow_contracts.runtime.storage import sha256_hex
from belegflow_export import store
from belegflow_export.archive import ArchiveBucket, ArchiveItem, ArchiveKind, append
from belegflow_export.datev import DatevClient, Period, bookings_for, parse_period, write_extf
from belegflow_export.datev_check import check_extf
from belegflow_export.datev_documents import DocumentImage, documents_zip
from belegflow_export.errors import DatevDataError, ExportError
from belegflow_export.files import write_atomically

if TYPE_CHECKING:
    from collections.abc import Sequence

    from belegflow_contracts.runtime.db import Connection
    from belegflow_contracts.runtime.storage import ObjectStore
    from belegflow_contracts.types import ObjectRef
    from belegflow_export.datev import Booking
    from belegflow_export.settings import Settings
    from belegflow_export.store import Pool

__all__ = ["DatevRun", "ReexportError", "archive_approved", "archive_bucket", "datev_client", "run_datev",
           "schedule_loop"]

log = get_logger(__name__)
EXPORTS = "exports"


class ReexportError(ExportError):
    """A re-export that cannot be: no reason given, or an invoice that is not exported in that period."""


def datev_client(settings: Settings, tenant: str) -> DatevClient:
    """The tenant's DATEV client (``BELEGFLOW_DATEV_CLIENTS``), else the installation's numbers."""
    own = settings.datev_clients.get(tenant)
    if own is None:
        return DatevClient(consultant_number=settings.datev_consultant_number,
                           client_number=settings.datev_client_number,
                           fiscal_year_start_month=settings.datev_fiscal_year_start_month,
                           account_length=settings.datev_account_length,
                           chart_of_accounts=settings.datev_chart_of_accounts)
    return DatevClient(consultant_number=own.consultant_number, client_number=own.client_number,
                       fiscal_year_start_month=own.fiscal_year_start_month or settings.datev_fiscal_year_start_month,
                       account_length=own.account_length or settings.datev_account_length,
                       chart_of_accounts=own.chart_of_accounts or settings.datev_chart_of_accounts)


def archive_bucket(settings: Settings) -> ArchiveBucket:
    return ArchiveBucket.connect(endpoint_url=settings.archive_s3_endpoint_url or settings.s3_endpoint_url,
                                 access_key_id=settings.s3_access_key_id,
                                 secret_access_key=settings.s3_secret_access_key, region=settings.s3_region,
                                 bucket=settings.archive_bucket)


@dataclass(slots=True)
class DatevRun:
    """What one run did: the batch, each invoice booked, each invoice left out and why."""

    tenant: str
    period: str
    trigger: str
    batch_id: UUID | None = None
    bookings: int = 0
    invoices: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    extf_key: str | None = None
    documents_key: str | None = None
    files: list[str] = field(default_factory=list)
    archived: int = 0

    @property
    def empty(self) -> bool:
        return not self.invoices

    def lines(self) -> list[str]:
        """The run's report, as the CLI prints it."""
        if self.empty and not self.skipped:
            return [f"DATEV {self.tenant} {self.period}: nothing to export (no approved invoice of this period "
                    "that was not exported before)"]
        out = [f"DATEV {self.tenant} {self.period}: {len(self.invoices)} invoice(s), {self.bookings} booking(s)"
               + (f", batch {self.batch_id}" if self.batch_id else "")]
        out += [f"  booking batch: {path}" for path in self.files[:1]]
        out += [f"  documents:     {path}" for path in self.files[1:2]]
        for item in self.skipped:
            out.append(f"  not exported: {item['document_id']} {item['invoice_number'] or '-'}: "
                       + "; ".join(item["reasons"]))
        return out


def _suffix(key: str) -> str:
    return PurePosixPath(key).suffix or ".bin"


async def _originals(objects: ObjectStore, originals: Sequence[ObjectRef]) -> dict[str, bytes]:
    """Each distinct original once (hash checked), eight at a time."""
    refs = {ref.key: ref for ref in originals}
    gate = asyncio.Semaphore(8)

    async def fetch(key: str) -> tuple[str, bytes]:
        async with gate:
            return key, await objects.get_verified(refs[key])

    return dict(await asyncio.gather(*(fetch(key) for key in refs)))


async def run_datev(pool: Pool, objects: ObjectStore, bucket: ArchiveBucket, settings: Settings, tenant: str,
                    period: Period | str, *, trigger: str = "on-demand", by: str,
                    reexport: Sequence[UUID] = (), reason: str | None = None,
                    now: datetime | None = None) -> DatevRun:
    """Export the tenant's approved, not yet exported invoices of ``period`` (and the re-exports asked for)."""
    period = parse_period(period) if isinstance(period, str) else period
    now = now or datetime.now(UTC)
    if reexport and not (reason or "").strip():
        raise ReexportError("a re-export needs a reason; it is recorded with who asked")
    run = DatevRun(tenant=tenant, period=period.name, trigger=trigger)
    client = datev_client(settings, tenant)
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_datev(conn, tenant)
        candidates = await store.approved_in_period(conn, tenant, period.first, period.last)
        wanted = set(reexport)
        known = {c.document_id: c.exported for c in candidates}
        for document_id in wanted:
            if not known.get(document_id):
                raise ReexportError(f"document {document_id} is no approved invoice of {tenant} in {period.name} "
                                    "that was exported before; only those can be exported again")
        booked: list[_Invoice] = []
        left_out: list[_Invoice] = []
        while candidates:  # consumed as it goes: a run of 100,000 keeps only what the batch needs
            candidate = candidates.pop()
            if candidate.exported and candidate.document_id not in wanted:
                continue
            event = AccruedV1.model_validate_json(candidate.accrued)
            invoice = _Invoice(document_id=event.document_id, revision=event.revision, original=event.original,
                               invoice_number=event.invoice.invoice_number,
                               invoice_date=event.invoice.invoice_date)
            try:
                invoice.bookings = bookings_for(event)
                booked.append(invoice)
            except DatevDataError as exc:
                invoice.reasons = list(exc.problems)
                left_out.append(invoice)
        booked.sort(key=lambda i: (i.invoice_date or period.first, str(i.document_id)))
        run.skipped = [{"document_id": str(i.document_id), "invoice_number": i.invoice_number,
                        "reasons": i.reasons} for i in left_out]
        run.batch_id = uuid4()
        extf_sha: str | None = None
        if booked:
            description = f"belegflow {tenant} {period.name}"
            rows = [b for invoice in booked for b in invoice.bookings]
            extf = write_extf(client, period, rows, created_at=now, description=description)
            problems = check_extf(extf)
            if problems:  # a writer bug: never hand DATEV a file it would refuse
                raise ExportError("DATEV file fails the checker: " + "; ".join(str(p) for p in problems[:5]))
            originals = await _originals(objects, [invoice.original for invoice in booked])
            images = [DocumentImage(document_id=invoice.document_id,
                                    filename=f"{invoice.document_id}{_suffix(invoice.original.key)}",
                                    data=originals[invoice.original.key],
                                    invoice_number=invoice.bookings[0].invoice_number)
                      for invoice in booked]
            archive = documents_zip(client, images, created_at=now, description=description)
            del images, originals
            stem = f"{tenant}/datev/{period.name}/EXTF_Buchungsstapel_{period.name}_{run.batch_id}"
            run.extf_key, run.documents_key = f"{stem}.csv", f"{tenant}/datev/{period.name}/belege_{run.batch_id}.zip"
            await objects.put(EXPORTS, run.extf_key, extf, content_type="text/csv; charset=windows-1252")
            await objects.put(EXPORTS, run.documents_key, archive, content_type="application/zip")
            for key, data in ((run.extf_key, extf), (run.documents_key, archive)):
                if settings.export_dir is not None:
                    path = await asyncio.to_thread(write_atomically, settings.export_dir, key, data)
                    run.files.append(str(path))
                else:
                    run.files.append(f"s3://{EXPORTS}/{key}")
            extf_sha = sha256_hex(extf)
            run.bookings = len(rows)
            items = [ArchiveItem(kind=ArchiveKind.DATEV_BATCH, data=extf, suffix=".csv", content_type="text/csv",
                                 event="datev-export", by=by, basis=now.date()),
                     ArchiveItem(kind=ArchiveKind.DATEV_DOCUMENTS, data=archive, suffix=".zip",
                                 content_type="application/zip", event="datev-export", by=by, basis=now.date())]
            run.archived = len(await append(conn, bucket, tenant, items, at=now,
                                            invoice_years=settings.archive_invoice_years,
                                            booking_years=settings.archive_booking_years))
        await store.record_datev_batch(
            conn, batch_id=run.batch_id, tenant=tenant, period=period.name, trigger=trigger, by=by, at=now,
            bookings=run.bookings, invoices=len(booked), skipped=json.dumps(run.skipped), extf_key=run.extf_key,
            extf_sha256=extf_sha, documents_key=run.documents_key)
        await store.record_datev_exports(conn, [
            (i.document_id, i.revision, tenant, run.batch_id, i.document_id in wanted,
             reason if i.document_id in wanted else None, by, now) for i in booked])
        for invoice in booked:
            again = invoice.document_id in wanted
            run.invoices.append({"document_id": str(invoice.document_id),
                                 "invoice_number": invoice.invoice_number or "", "reexport": "yes" if again else "no"})
            message = (f"DATEV: {len(invoice.bookings)} booking(s) in batch {run.batch_id} ({period.name}, {trigger})"
                       + (f"; re-export asked for by {by}: {reason}" if again else "")
                       + "".join(f"; {note}" for note in invoice.bookings[0].notes))
            await _result(conn, run, tenant, invoice, by=by, at=now, reexport=again,
                          reason=reason if again else None, message=message)
        for invoice in left_out:
            await _result(conn, run, tenant, invoice, by=by, at=now, reexport=False, reason=None,
                          message="not exported to DATEV: " + "; ".join(invoice.reasons))
    log.info("DATEV run", tenant=tenant, period=period.name, trigger=trigger, invoices=len(run.invoices),
             bookings=run.bookings, skipped=len(run.skipped))
    return run


@dataclass(slots=True)
class _Invoice:
    """What a run keeps of one invoice: its bookings, or why it was left out."""

    document_id: UUID
    revision: int
    original: ObjectRef
    invoice_number: str | None
    invoice_date: date | None
    bookings: list[Booking] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


async def _result(conn: Connection, run: DatevRun, tenant: str, invoice: _Invoice, *, by: str, at: datetime,
                  reexport: bool, reason: str | None, message: str) -> None:
    """The invoice's ``DatevResultV1``, through export's outbox: the service publishes what a CLI run committed."""
    assert run.batch_id is not None
    booked = bool(invoice.bookings)
    result = DatevResultV1(
        document_id=invoice.document_id, tenant=tenant, revision=invoice.revision, batch_id=run.batch_id,
        period=run.period, invoice_number=invoice.invoice_number, booked=booked, bookings=len(invoice.bookings),
        reasons=invoice.reasons, reexport=reexport, reason=reason, by=by, at=at,
        protocol=[ProtocolEntryV1(step="datev", at=at, level=Level.INFO if booked else Level.WARNING,
                                  message=message, data={"batch_id": str(run.batch_id), "period": run.period})])
    out = outgoing(subjects.datev_export(tenant), result, msg_id=f"{invoice.document_id}:datev:{run.batch_id}")
    await db.add_outbox(conn, out, source=f"datev:{run.batch_id}")


async def archive_approved(conn: Connection, objects: ObjectStore, bucket: ArchiveBucket, settings: Settings,
                           event: AccruedV1, *, approved_by: str, tms: Sequence[tuple[int, bytes]],
                           at: datetime, original: bytes | None = None) -> list[dict[str, Any]]:
    """Archive an approved revision: original (or e-invoice XML), recognised fields, protocol, TMS transfers.

    ``original``: its bytes when the caller read them already (hash checked), else they are read here."""
    if original is None:
        original = await objects.get_verified(event.original)
    suffix = _suffix(event.original.key)
    # GoBD counts from the end of the year the record arose in: for us the year it is approved and archived
    # (never the invoice date's year, which may lie so far back that the retention is over already)
    basis = at.date()
    common: dict[str, Any] = {"event": "approved", "by": approved_by, "basis": basis,
                              "document_id": event.document_id, "revision": event.revision}
    fields = {"document_id": str(event.document_id), "revision": event.revision,
              "invoice": event.invoice.model_dump(mode="json"),
              "supplier": event.supplier.model_dump(mode="json") if event.supplier else None,
              "decision": event.decision.value, "approved_by": approved_by,
              "assignments": [a.model_dump(mode="json") for a in event.assignments]}
    protocol = [entry.model_dump(mode="json") for entry in event.protocol]
    protocol.append({"step": "review", "at": at.isoformat(), "level": "info",
                     "message": f"approved by {approved_by}", "data": {"revision": str(event.revision)}})
    items = [
        ArchiveItem(kind=ArchiveKind.EINVOICE if suffix == ".xml" else ArchiveKind.ORIGINAL, data=original,
                    suffix=suffix, content_type="application/xml" if suffix == ".xml" else "application/octet-stream",
                    **common),
        ArchiveItem(kind=ArchiveKind.FIELDS, data=_json(fields), suffix=".json", content_type="application/json",
                    **common),
        ArchiveItem(kind=ArchiveKind.PROTOCOL, data=_json(protocol), suffix=".json",
                    content_type="application/json", **common),
        *(ArchiveItem(kind=ArchiveKind.TMS_TRANSFER, data=xml, suffix=f".tms-v{version}.xml",
                      content_type="application/xml", **{**common, "event": "exported"}) for version, xml in tms),
    ]
    return await append(conn, bucket, event.tenant, items, at=at, invoice_years=settings.archive_invoice_years,
                        booking_years=settings.archive_booking_years)


def _json(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False).encode()


def due_periods(today: date, months: list[tuple[str, date]], *, day: int) -> list[tuple[str, Period]]:
    """The (tenant, month) pairs the schedule exports on ``today``: months before the current one, once ``day``."""
    if day == 0 or today.day < day:
        return []
    current = today.replace(day=1)
    return [(tenant, parse_period(month.strftime("%Y-%m"))) for tenant, month in months if month < current]


async def schedule_loop(pool: Pool, objects: ObjectStore, bucket: ArchiveBucket, settings: Settings) -> None:
    """From ``datev_schedule_day`` on, export every earlier month with approved, never exported invoices."""
    while True:
        try:
            today = datetime.now(UTC).date()
            async with pool.acquire() as conn:
                months = await store.datev_tenants_due(conn, today.replace(day=1))
            for tenant, period in due_periods(today, months, day=settings.datev_schedule_day):
                run = await run_datev(pool, objects, bucket, settings, tenant, period, trigger="schedule",
                                      by="schedule")
                for line in run.lines():
                    log.info(line)
        except Exception:  # the schedule keeps running; the next look retries
            log.exception("DATEV schedule run failed")
        await asyncio.sleep(settings.datev_schedule_check_s)

