"""The books on the real stack: approved invoices go to DATEV once, and the archive shows any tampering."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from lxml import etree

from belegflow_export.datev_check import check_extf
from belegflow_export.datev_documents import read_documents_zip
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, add_user, import_masterdata, truth
from tests.e2e.test_desk_browser import browser, local  # noqa: F401  # the browser fixture
from tests.e2e.test_review import in_review, step, wait_for

pytestmark = pytest.mark.e2e
PAGE_PASSWORD = "books page password 1"
MARCH = [SAMPLES / "invoices" / name for name in ("invoice-01-din.pdf", "invoice-02-modern.pdf",
                                                  "invoice-03-english.pdf")]


def belegflow(state: stack.StackState, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "belegflow_ops", *args], capture_output=True, text=True,
                          timeout=180, check=False, env={**os.environ, "BELEGFLOW_HOME": state.home})


def masterdata_without_gl_account(folder: Path, supplier_number: str) -> Path:
    """The sample master data, with one supplier's GL account left empty."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = list(csv.DictReader((SAMPLES / "masterdata" / "suppliers.csv").open(encoding="utf-8")))
    for row in rows:
        if row["supplier_number"] == supplier_number:
            row["gl_account"] = ""
    with (folder / "suppliers.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / "accruals.csv").write_bytes((SAMPLES / "masterdata" / "accruals.csv").read_bytes())
    return folder


async def approve_all(services: processes.ServiceSet, stack_state: stack.StackState, tenant: str,
                      invoices: list[Path], masterdata: Path) -> dict[str, str]:
    """Each invoice waits for review, then a person chooses its supplier and approves it; ``{id: file}``."""
    waiting = {await in_review(services, tenant, path): path for path in invoices}
    await import_masterdata(stack_state, tenant, masterdata)
    for document_id, path in waiting.items():
        chosen = step(services, document_id, "supplier", tenant,
                      {"expected_version": 1, "supplier_number": truth(path)["supplier_number"]})
        assert chosen.status_code == 200, chosen.text
        approved = step(services, document_id, "approve", tenant, {"expected_version": 2})
        assert approved.status_code == 200, approved.text
    for document_id in waiting:
        doc = await wait_for(services, document_id, lambda d: d["status"] == "exported", timeout_s=120)
        assert doc["status"] == "exported", doc["status"]
    return {document_id: path.name for document_id, path in waiting.items()}


async def test_approved_invoices_go_to_datev_once_with_their_images(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path
) -> None:
    # GIVEN three March invoices approved by a person; the third supplier has no GL account in master data
    md = masterdata_without_gl_account(tmp_path / "md", truth(MARCH[2])["supplier_number"])
    approved = await approve_all(services, stack_state, tenant, MARCH, md)
    no_gl = next(d for d, name in approved.items() if name == MARCH[2].name)

    # WHEN the DATEV export runs for March
    out = tmp_path / "out"
    run = belegflow(stack_state, "export", "datev", "--tenant", tenant, "--period", "2024-03", "--out", str(out),
                    "--by", "anna")
    assert run.returncode == 0, run.stderr

    # THEN the booking batch passes the checker and books the two invoices that have a GL account
    (extf,) = (out / tenant / "datev" / "2024-03").glob("EXTF_Buchungsstapel_*.csv")
    data = extf.read_bytes()
    assert check_extf(data) == []
    rows = data.decode("cp1252").split("\r\n")[2:-1]
    numbers = {truth(p)["fields"]["invoice_number"] for p in MARCH[:2]}
    assert {row.split(";")[10].strip('"') for row in rows} == numbers
    # AND the documents ZIP lists every booked invoice with its image, under the GUID the bookings link to
    (documents,) = (out / tenant / "datev" / "2024-03").glob("belege_*.zip")
    listed = read_documents_zip(documents.read_bytes())
    assert set(listed) == set(approved) - {no_gl}
    for row in rows:
        assert any(f'BEDI ""{guid}""' in row for guid in listed)
    # AND the invoice without GL account is named in the run's report with the reason
    assert f"not exported: {no_gl} {truth(MARCH[2])['fields']['invoice_number']}: no GL account" in run.stdout

    # AND each invoice's audit trail (API) shows every change, the one left out with the reason
    booked = next(iter(listed))
    trail = await audit(services, booked, until={"archived", "booked in DATEV"})
    events = [step["event"] for step in trail]
    assert set(events) == {"received", "recognised", "sent to review", "corrected", "approved", "exported",
                           "archived", "booked in DATEV"}, trail
    order = ["received", "recognised", "sent to review", "corrected", "approved", "exported", "booked in DATEV"]
    lifecycle = [e for e in events if e in order]
    assert lifecycle == sorted(lifecycle, key=order.index), trail
    approval = next(step for step in trail if step["event"] == "approved")
    assert approval["by"].startswith("key:"), approval
    assert "hash chain" in next(step for step in trail if step["event"] == "archived")["message"]
    left_out = await audit(services, no_gl, until={"not booked in DATEV"})
    assert any(step["event"] == "not booked in DATEV" and "no GL account" in step["message"] for step in left_out)

    # WHEN it runs again THEN nothing is exported twice, and the empty run says so
    again = belegflow(stack_state, "export", "datev", "--tenant", tenant, "--period", "2024-03", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "not exported" in again.stdout  # the one without GL account stays named
    assert "0 invoice(s), 0 booking(s)" in again.stdout
    # AND a period with nothing approved is an empty run, said as such
    empty = belegflow(stack_state, "export", "datev", "--tenant", tenant, "--period", "2023-01", "--out", str(out))
    assert empty.returncode == 0, empty.stderr
    assert f"DATEV {tenant} 2023-01: nothing to export" in empty.stdout

    # WHEN a person asks for a re-export without a reason THEN it is refused; with one, it is recorded
    first = next(d for d in listed)
    refused = belegflow(stack_state, "export", "datev", "--tenant", tenant, "--period", "2024-03", "--out", str(out),
                        "--reexport", first)
    assert refused.returncode == 2
    assert "a re-export needs a reason" in refused.stderr
    redo = belegflow(stack_state, "export", "datev", "--tenant", tenant, "--period", "2024-03", "--out", str(out),
                     "--reexport", first, "--reason", "DATEV import lost", "--by", "anna")
    assert redo.returncode == 0, redo.stderr
    assert "1 invoice(s), 1 booking(s)" in redo.stdout
    conn = await asyncpg.connect(stack_state.database_url("export"), server_settings={"search_path": "export"})
    try:
        recorded = await conn.fetch("SELECT reexport, reason, by FROM datev_exported WHERE document_id = $1 "
                                    "ORDER BY at", UUID(first))
    finally:
        await conn.close()
    assert [(r["reexport"], r["reason"], r["by"]) for r in recorded] == [(False, None, "anna"),
                                                                         (True, "DATEV import lost", "anna")]
    # AND bad input is refused with a clear reason
    bad = belegflow(stack_state, "export", "datev", "--tenant", tenant, "--period", "2024-13")
    assert bad.returncode == 2
    assert "is not a month written YYYY-MM" in bad.stderr

    # AND the archive holds it all, unaltered
    verified = belegflow(stack_state, "archive", "verify", "--tenant", tenant)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK" in verified.stdout

    # AND the tax auditor's export has the documents and a GDPdU index.xml
    today = datetime.now(UTC).date()
    auditor = belegflow(stack_state, "archive", "export", "--tenant", tenant, "--from", str(today - timedelta(days=1)),
                        "--to", str(today), "--out", str(tmp_path / "auditor"))
    assert auditor.returncode == 0, auditor.stderr
    index = etree.parse(str(tmp_path / "auditor" / tenant / "index.xml"))
    assert index.docinfo.system_url == "gdpdu-01-09-2004.dtd"  # type: ignore[union-attr]
    assert index.findtext("Media/Table/URL") == "archive.csv"
    table = (tmp_path / "auditor" / tenant / "archive.csv").read_text(encoding="cp1252").splitlines()
    kinds = {line.split(";")[2] for line in table}
    assert {"original", "fields", "protocol", "tms-transfer", "datev-batch", "datev-documents"} <= kinds
    for line in table:
        assert (tmp_path / "auditor" / tenant / line.split(";")[7]).is_file()


async def audit(services: processes.ServiceSet, document_id: str, *, until: set[str]) -> list[dict[str, Any]]:
    """``GET /v1/documents/ID/audit`` once its trail holds every event of ``until`` (they arrive as events)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while True:
        response = httpx.get(f"{services.ingest_url}/v1/documents/{document_id}/audit", headers=services.auth,
                             timeout=10)
        assert response.status_code == 200, response.text
        trail: list[dict[str, Any]] = response.json()["audit"]
        if until <= {step["event"] for step in trail} or loop.time() > deadline:
            return trail
        await asyncio.sleep(0.3)


async def test_invoices_approved_on_the_page_are_booked_and_their_audit_trail_shows_it(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path,
    browser: Any,  # noqa: F811  # the fixture of the review page's browser test
) -> None:
    from playwright.async_api import expect

    # GIVEN two March invoices waiting for review, and a clerk who may approve
    waiting = [await in_review(services, tenant, path) for path in MARCH[:2]]
    await import_masterdata(stack_state, tenant)
    add_user(stack_state, f"books-{tenant}", PAGE_PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{local(services)}/desk/login")
    await page.get_by_label("User name").fill(f"books-{tenant}")
    await page.get_by_label("Password").fill(PAGE_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    # WHEN the clerk chooses each supplier and approves on the page
    for document_id, path in zip(waiting, MARCH[:2], strict=True):
        await page.goto(f"{local(services)}/desk/documents/{document_id}")
        await page.get_by_label("Supplier number").fill(truth(path)["supplier_number"])
        await page.get_by_role("button", name="Choose supplier").click()
        await expect(page.get_by_role("status")).to_have_text("Supplier chosen.")
        await page.get_by_role("button", name="Approve").click()
        await expect(page.get_by_role("status")).to_have_text(re.compile("^Approved"))
    for document_id in waiting:
        assert (await wait_for(services, document_id, lambda d: d["status"] == "exported"))["status"] == "exported"
    # AND the DATEV export runs
    out = tmp_path / "out"
    run = belegflow(stack_state, "export", "datev", "--tenant", tenant, "--period", "2024-03", "--out", str(out))
    assert run.returncode == 0, run.stderr
    # THEN the file passes the checker, and the documents ZIP lists both invoices with their images
    folder = out / tenant / "datev" / "2024-03"
    (extf,) = folder.glob("EXTF_Buchungsstapel_*.csv")
    assert check_extf(extf.read_bytes()) == []
    (documents,) = folder.glob("belege_*.zip")
    assert set(read_documents_zip(documents.read_bytes())) == set(waiting)
    # AND the page's audit trail shows the approval, the archive and the booking
    await audit(services, waiting[0], until={"archived", "booked in DATEV"})
    await page.goto(f"{local(services)}/desk/documents/{waiting[0]}")
    trail = page.get_by_role("region", name="Audit trail")
    for event in ("received", "approved", "archived", "booked in DATEV"):
        await expect(trail.get_by_role("cell", name=event, exact=True)).to_be_visible()


async def test_the_schedule_exports_each_earlier_month_once(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path
) -> None:
    from belegflow_export import store
    from belegflow_export.books import due_periods, run_datev
    from belegflow_ops.books import export_settings, open_books

    # GIVEN an approved March invoice, never exported to DATEV
    await approve_all(services, stack_state, tenant, MARCH[:1], SAMPLES / "masterdata")
    settings = export_settings(stack_state.service_env("export"), tmp_path / "out")
    pool, objects, bucket = await open_books(settings)
    try:
        today = datetime.now(UTC).date()

        async def due() -> list[str]:
            async with pool.acquire() as conn:
                months = await store.datev_tenants_due(conn, today.replace(day=1))
            return [period.name for each, period in due_periods(today, months, day=1) if each == tenant]

        # WHEN the schedule looks THEN its month is due, and the scheduled run books it
        assert await due() == ["2024-03"]
        run = await run_datev(pool, objects, bucket, settings, tenant, "2024-03", trigger="schedule", by="schedule")
        assert len(run.invoices) == 1
        # AND the next look finds nothing more for the tenant
        assert await due() == []
        async with pool.acquire() as conn:
            trigger = await conn.fetchval("SELECT trigger FROM datev_batches WHERE batch_id = $1", run.batch_id)
        assert trigger == "schedule"
    finally:
        await pool.close()


def _s3(state: stack.StackState) -> Any:
    return boto3.client("s3", endpoint_url=state.archive_s3_url, aws_access_key_id=state.s3_access_key,
                        aws_secret_access_key=state.s3_secret_key, region_name="us-east-1")


async def test_verify_reports_every_deleted_overwritten_altered_or_extra_object_and_index_entry(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path
) -> None:
    # GIVEN two approved invoices in the archive, which verifies clean
    await approve_all(services, stack_state, tenant, MARCH[:2], SAMPLES / "masterdata")
    assert belegflow(stack_state, "archive", "verify", "--tenant", tenant).returncode == 0
    s3 = _s3(stack_state)
    conn = await asyncpg.connect(stack_state.database_url("export"), server_settings={"search_path": "export"})
    try:
        entries = [json.loads(r["body"]) for r in await conn.fetch(
            "SELECT body FROM archive_index WHERE tenant = $1 ORDER BY seq", tenant)]
        # the chain's second copy is append-only in the database too
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("UPDATE archive_index SET body = '{}' WHERE tenant = $1", tenant)
    finally:
        await conn.close()
    # each approval's entries lie in one index object, under the seq of its first entry
    listed = s3.list_objects_v2(Bucket="archive", Prefix=f"{tenant}/index/")["Contents"]
    index_objects = sorted(o["Key"] for o in listed)
    assert len(index_objects) == 2
    assert len(entries) >= 4
    assert index_objects[0] == f"{tenant}/index/{1:012d}.json"
    deleted, overwritten, index_altered, index_deleted = (entries[0]["key"], entries[1]["key"], *index_objects)
    locked = s3.get_object_lock_configuration(Bucket="archive")["ObjectLockConfiguration"]["ObjectLockEnabled"]
    assert locked == "Enabled"
    # WHEN someone deletes the locked version of an object THEN the server refuses (COMPLIANCE retention)
    version = s3.head_object(Bucket="archive", Key=deleted)["VersionId"]
    assert s3.head_object(Bucket="archive", Key=deleted)["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket="archive", Key=deleted, VersionId=version)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # WHEN they hide objects and entries behind delete markers, overwrite them, and slip in extra ones
    s3.delete_object(Bucket="archive", Key=deleted)
    s3.put_object(Bucket="archive", Key=overwritten, Body=b"tampered")
    step = s3.get_object(Bucket="archive", Key=index_altered)["Body"].read()
    s3.put_object(Bucket="archive", Key=index_altered, Body=step.replace(b'"by":"', b'"by":"x', 1))
    s3.delete_object(Bucket="archive", Key=index_deleted)
    s3.put_object(Bucket="archive", Key=f"{tenant}/objects/ff/{'f' * 64}.pdf", Body=b"extra")
    s3.put_object(Bucket="archive", Key=f"{tenant}/index/{999:012d}.json", Body=b"{}")
    # THEN verify reports each one, and fails
    report = belegflow(stack_state, "archive", "verify", "--tenant", tenant)
    assert report.returncode == 1, report.stdout
    out = report.stdout
    assert f"missing object: {deleted}" in out
    assert f"altered object: {overwritten}" in out
    assert f"altered index entry: {index_altered}" in out
    assert f"missing index entry: {index_deleted}" in out
    assert f"extra object: {tenant}/objects/ff/{'f' * 64}.pdf" in out
    assert f"extra index entry: {tenant}/index/{999:012d}.json" in out
    # AND the originals are still there under object lock: the overwritten key's first version is intact
    versions = s3.list_object_versions(Bucket="archive", Prefix=overwritten)["Versions"]
    first = min(versions, key=lambda v: v["LastModified"])
    original = s3.get_object(Bucket="archive", Key=overwritten, VersionId=first["VersionId"])["Body"].read()
    assert original != b"tampered"
