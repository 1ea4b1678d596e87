"""Services killed mid-stream (SIGKILL, no goodbye) lose nothing and export nothing twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import TmsExportV1
from belegflow_ops import processes, stack
from samples.generate import generate
from tests.conftest import SERVICE_ENV, import_masterdata, stream_messages, upload

pytestmark = pytest.mark.e2e


async def _exports_so_far(nc: NATS, tenant: str) -> int:
    js = nc.jetstream()
    info = await js.stream_info("EXPORT", subjects_filter=f"export.{tenant}.tms.v1")
    return int((info.state.subjects or {}).get(f"export.{tenant}.tms.v1", 0))


async def test_killed_services_restart_and_every_document_is_exported_exactly_once(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN 40 invoices and their master data
    pdfs = generate(tmp_path / "invoices", seed=991, count=40, masterdata_dir=tmp_path / "md")
    await import_masterdata(stack_state, tenant, tmp_path / "md")

    def upload_all() -> set[str]:
        ids = set()
        for pdf in pdfs:
            response = upload(services, tenant, pdf)
            assert response.status_code == 201, response.text
            ids.add(response.json()["id"])
        return ids

    # WHEN they are uploaded while the four workers are killed with SIGKILL, twice each, and restarted
    uploading = asyncio.create_task(asyncio.to_thread(upload_all))
    kills = []
    for victim in ("ocr", "matching", "export", "accrual") * 2:
        await asyncio.sleep(0.4)
        processes.kill(services, victim, sig=signal.SIGKILL)
        kills.append((victim, await _exports_so_far(nc, tenant)))
        processes.start_one(stack_state, services, victim, extra_env=SERVICE_ENV)
    ids = await uploading
    # the kills really happened mid-stream, not after everything was done
    assert any(exported < len(pdfs) for _, exported in kills), kills

    # THEN every document is exported exactly once: one message each, one row each, one file each
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=len(pdfs), timeout_s=240)
    exported = [str(TmsExportV1.model_validate_json(m.data).document_id) for m in msgs]
    assert sorted(exported) == sorted(ids)
    conn = await asyncpg.connect(stack_state.database_url("export"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM export.tms_exports WHERE tenant = $1", tenant) == len(pdfs)
        # AND the archive took each original once, whatever the kills interrupted
        originals = await conn.fetch("SELECT document_id, count(*) AS n FROM export.archive_index "
                                     "WHERE tenant = $1 AND kind = 'original' GROUP BY document_id", tenant)
    finally:
        await conn.close()
    assert len(list((services.export_dir / tenant / "tms").glob("*.xml"))) == len(pdfs)
    assert sorted(str(r["document_id"]) for r in originals) == sorted(ids)
    assert {r["n"] for r in originals} == {1}
    # AND its hash chain and every object verify
    from belegflow_export.archive import ArchiveBucket, verify

    bucket = ArchiveBucket.connect(endpoint_url=stack_state.archive_s3_url, access_key_id=stack_state.s3_access_key,
                                   secret_access_key=stack_state.s3_secret_key, region="us-east-1", bucket="archive")
    conn = await asyncpg.connect(stack_state.database_url("export"), server_settings={"search_path": "export"})
    try:
        report = await verify(conn, bucket, tenant)
    finally:
        await conn.close()
    assert report.findings == []
    assert report.entries >= 4 * len(pdfs)
