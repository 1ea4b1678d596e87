"""`belegflow export datev` and `belegflow archive verify|export`: the books, run against export's schema and S3.

They run export's code in this process: it is imported inside them, and needs belegflow-ops[books].
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer

from belegflow_ops import extras

if TYPE_CHECKING:
    from belegflow_export.settings import Settings

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="tenant (Mandant)")]


def export_settings(env: dict[str, str], out: Path | None) -> Settings:
    """Export's settings from a service environment (``BELEGFLOW_*`` names), with the folder files go to."""
    from belegflow_export.settings import Settings

    values: dict[str, Any] = {k.removeprefix("BELEGFLOW_").lower(): v for k, v in env.items()}
    if out is not None:
        values["export_dir"] = out
    return Settings(**values)


def _quiet() -> None:
    """The CLI prints its own report; the library's info lines would only repeat it."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
                        logger_factory=structlog.PrintLoggerFactory(sys.stderr))


async def open_books(settings: Settings) -> tuple[Any, Any, Any]:
    """Export's pool (schema migrated), object store and archive bucket, as the service holds them."""
    from belegflow_contracts.runtime import db
    from belegflow_contracts.runtime.storage import ObjectStore
    from belegflow_export.books import archive_bucket

    _quiet()
    pool = await db.create_pool(settings.database_url, "export")
    await db.migrate(pool, "export", db.migrations_of("belegflow_export"))
    bucket = archive_bucket(settings)
    await asyncio.to_thread(bucket.ensure)
    return pool, ObjectStore.from_settings(settings), bucket


async def datev_run(settings: Settings, tenant: str, period: str, *, by: str, reexport: list[UUID],
                    reason: str | None) -> list[str]:
    from belegflow_export.books import run_datev

    pool, objects, bucket = await open_books(settings)
    try:
        run = await run_datev(pool, objects, bucket, settings, tenant, period, by=by, reexport=reexport,
                              reason=reason)
    finally:
        await pool.close()
    return run.lines()


async def verify_archive(settings: Settings, tenant: str | None) -> list[Any]:
    from belegflow_export import store
    from belegflow_export.archive import verify

    pool, _, bucket = await open_books(settings)
    try:
        async with pool.acquire() as conn:
            tenants = [tenant] if tenant else await store.archive_tenants(conn)
            return [await verify(conn, bucket, t) for t in tenants]
    finally:
        await pool.close()


async def auditor_export(settings: Settings, tenant: str, first: date, last: date, out: Path) -> Any:
    from belegflow_export.gdpdu import export_for_auditor

    pool, _, bucket = await open_books(settings)
    try:
        return await export_for_auditor(pool, bucket, tenant, first, last, out)
    finally:
        await pool.close()


def build_apps(settings_of: Callable[[Path | None], Settings]) -> tuple[typer.Typer, typer.Typer]:
    """The ``export`` and ``archive`` command groups; ``settings_of(out)`` gives export's settings."""
    export_app = typer.Typer(no_args_is_help=True, help="exports on demand (DATEV)")
    archive_app = typer.Typer(no_args_is_help=True, help="the GoBD archive: verify it, export it for a tax auditor")

    @export_app.command("datev")
    def datev(
        tenant: TenantOpt,
        period: Annotated[str, typer.Option(help="booking period, a month: 2026-11")],
        out: Annotated[Path, typer.Option(help="folder the files are written to")] = Path("out"),
        reexport: Annotated[list[str] | None, typer.Option(
            "--reexport", help="document id exported before that goes out again (repeatable)")] = None,
        reason: Annotated[str | None, typer.Option(help="why the re-export (required with --reexport)")] = None,
        by: Annotated[str, typer.Option(help="who asks (recorded)")] = "operator",
    ) -> None:
        """Approved invoices of the period not exported before: EXTF booking batch and documents ZIP."""
        extras.require("books")
        from belegflow_export.errors import ExportError

        try:
            ids = [UUID(value) for value in reexport or []]
        except ValueError as exc:
            typer.echo(f"--reexport needs document ids (UUIDs): {exc}", err=True)
            raise typer.Exit(2) from exc
        try:
            lines = asyncio.run(datev_run(settings_of(out), tenant, period, by=by, reexport=ids, reason=reason))
        except ExportError as exc:
            typer.echo(f"refused: {exc.reason}", err=True)
            raise typer.Exit(2) from exc
        for line in lines:
            typer.echo(line)

    @archive_app.command("verify")
    def archive_verify(
        tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="one tenant; all when left out")] = None,
    ) -> None:
        """Check every index entry's chain and every archived object; exit 1 on any finding."""
        extras.require("books")
        reports = asyncio.run(verify_archive(settings_of(None), tenant))
        bad = False
        for report in reports:
            typer.echo(f"archive {report.tenant}: {report.entries} index entries, {report.objects} objects checked, "
                       f"{'OK' if report.ok else f'{len(report.findings)} finding(s)'}")
            for finding in report.findings:
                typer.echo(f"  {finding}")
            bad = bad or not report.ok
        if not reports:
            typer.echo("archive: nothing archived yet")
        if bad:
            raise typer.Exit(1)

    @archive_app.command("export")
    def archive_export(
        tenant: TenantOpt,
        first: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
        last: Annotated[str, typer.Option("--to", help="last day, YYYY-MM-DD")],
        out: Annotated[Path, typer.Option(help="folder for the auditor (index.xml, tables, documents)")] = Path(
            "out/auditor"),
    ) -> None:
        """The archive of a date range for the tax auditor: documents and a GDPdU index.xml."""
        extras.require("books")
        try:
            day_from, day_to = date.fromisoformat(first), date.fromisoformat(last)
        except ValueError as exc:
            typer.echo(f"--from and --to are dates YYYY-MM-DD: {exc}", err=True)
            raise typer.Exit(2) from exc
        if day_from > day_to:
            typer.echo(f"--from {day_from} is after --to {day_to}", err=True)
            raise typer.Exit(2)
        result = asyncio.run(auditor_export(settings_of(None), tenant, day_from, day_to, out))
        typer.echo(result.summary())

    return export_app, archive_app
