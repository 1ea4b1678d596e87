"""Repeat and cancel a recognition over HTTP and the CLI, on the real stack (NATS, Postgres, S3, five services)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pypdfium2 as pdfium  # type: ignore[import-untyped, unused-ignore]
import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import (
    DeadLetterV1,
    DecisionV1,
    MatchedV1,
    RecognizedV1,
    ReviewState,
    TmsExportV1,
)
from belegflow_ops import processes, stack
from samples.generate import dense_pdf
from tests.conftest import SAMPLES, SERVICE_ENV, import_masterdata, stream_messages, upload

pytestmark = pytest.mark.e2e


def post(services: processes.ServiceSet, document_id: str, action: str, tenant: str | None,
         body: Any = None, *, raw: bytes | None = None) -> httpx.Response:
    headers = {**services.auth, **({"X-Tenant": tenant} if tenant is not None else {})}
    url = f"{services.ingest_url}/v1/documents/{document_id}/recognition/{action}"
    if raw is not None:
        return httpx.post(url, content=raw, headers={**headers, "content-type": "application/json"}, timeout=30)
    return httpx.post(url, json=body, headers=headers, timeout=30)


def document(services: processes.ServiceSet, document_id: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{services.ingest_url}/v1/documents/{document_id}",
                                     headers=services.auth, timeout=10).json()
    return body


async def wait_for(services: processes.ServiceSet, document_id: str, done: Callable[[dict[str, Any]], bool],
                   *, timeout_s: float = 90) -> dict[str, Any]:
    """The document's read model once ``done`` holds (or as it is when time is up)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        doc = document(services, document_id)
        if done(doc) or loop.time() > deadline:
            return doc
        await asyncio.sleep(0.3)


async def recognized(nc: NATS, tenant: str, *, expect: int) -> list[RecognizedV1]:
    msgs = await stream_messages(nc, "DOCS", f"docs.{tenant}.recognized.v1", expect=expect, timeout_s=90)
    return [RecognizedV1.model_validate_json(m.data) for m in msgs]


async def matched(nc: NATS, tenant: str, *, expect: int) -> list[MatchedV1]:
    msgs = await stream_messages(nc, "DOCS", f"docs.{tenant}.matched.v1", expect=expect, timeout_s=90)
    return [MatchedV1.model_validate_json(m.data) for m in msgs]


async def decisions(nc: NATS, tenant: str, *, expect: int) -> list[DecisionV1]:
    msgs = await stream_messages(nc, "DOCS", f"docs.{tenant}.decision.v1", expect=expect, timeout_s=90)
    return [DecisionV1.model_validate_json(m.data) for m in msgs]


async def exports(nc: NATS, tenant: str, *, expect: int) -> list[TmsExportV1]:
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=expect, timeout_s=90)
    return [TmsExportV1.model_validate_json(m.data) for m in msgs]


def ocr_entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in doc["protocol"] if e["step"] == "ocr"]


async def recognition_started(services: processes.ServiceSet, document_id: str, *, timeout_s: float = 60) -> None:
    """Wait until the ocr service logs that it started recognising the document."""
    log = services.home / "logs" / "ocr.log"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if document_id in line and "recognition started" in line:
                entry = json.loads(line)
                if entry.get("event") == "recognition started" and entry.get("document_id") == document_id:
                    return
        await asyncio.sleep(0.2)
    raise AssertionError(f"ocr did not start recognising {document_id} within {timeout_s:.0f} s")


# --- repeat --------------------------------------------------------------------------------------


async def test_repeat_gives_a_second_revision_with_its_own_recognition_and_export(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN an invoice that went all the way to its export
    await import_masterdata(stack_state, tenant)
    response = upload(services, tenant, SAMPLES / "invoices" / "invoice-01-din.pdf")
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    assert len(await exports(nc, tenant, expect=1)) == 1
    await wait_for(services, document_id, lambda d: d["status"] == "exported")

    # WHEN a clerk repeats its recognition (ocr held back for a moment, so revision 2 is seen waiting)
    processes.kill(services, "ocr", sig=signal.SIGTERM)
    try:
        answer = post(services, document_id, "repeat", tenant,
                      {"reason": "supplier sent a better copy", "requested_by": "clerk:anna"})
        # THEN a second revision starts
        assert answer.status_code == 202, answer.text
        assert answer.json()["revision"] == 2
        assert answer.json()["action"] == "repeat"
        waiting = document(services, document_id)
        assert (waiting["status"], waiting["revision"], waiting["fields"]) == ("ingested", 2, None)
        assert waiting["export"]["revision"] == 1  # the last export stays visible until revision 2 has its own

        # AND a late dead letter of revision 1 only adds to the protocol: it does not fail revision 2
        original = next(m for m in await stream_messages(nc, "DOCS", f"docs.{tenant}.accrued.v1", expect=1,
                                                         timeout_s=30) if json.loads(m.data)["revision"] == 1)
        letter = DeadLetterV1(service="export", subject=f"docs.{tenant}.accrued.v1",
                              reason="late trouble in revision 1", error_type="TransientError", deliveries=8,
                              payload=base64.b64encode(original.data).decode(), document_id=document_id,
                              tenant=tenant, at=datetime.now(UTC))
        await nc.jetstream().publish("dlq.export.v1", letter.model_dump_json().encode(),
                                     headers={"Nats-Msg-Id": f"late-{document_id}"})
        doc = await wait_for(services, document_id,
                             lambda d: any("late trouble in revision 1" in e["message"] for e in d["protocol"]))
        assert any("late trouble in revision 1" in e["message"] for e in doc["protocol"])
        assert (doc["status"], doc["revision"]) == ("ingested", 2)
    finally:
        processes.start_one(stack_state, services, "ocr", extra_env=SERVICE_ENV)

    # AND it is recognised again, with its own event, and exported once more under its own revision
    events = await recognized(nc, tenant, expect=2)
    assert [(str(e.document_id), e.revision) for e in events] == [(document_id, 1), (document_id, 2)]
    assert events[0].work_product.key != events[1].work_product.key
    assert not events[1].manual
    assert events[1].fields.invoice_number is not None
    assert events[1].fields.invoice_number.value == "RE-24-08133"
    published = await exports(nc, tenant, expect=2)
    assert sorted(e.revision for e in published) == [1, 2]
    assert {str(e.document_id) for e in published} == {document_id}
    assert sorted(p.name for p in (services.export_dir / tenant / "tms").glob("*.xml")) == [
        f"{document_id}-r1.xml", f"{document_id}-r2.xml"]
    # AND the read model shows revision 2, exported, and who asked why
    doc = await wait_for(services, document_id, lambda d: d["status"] == "exported" and d["export"]["revision"] == 2)
    assert doc["revision"] == 2
    assert doc["status"] == "exported"
    assert doc["export"]["revision"] == 2
    assert doc["fields"]["fields"]["invoice_number"]["value"] == "RE-24-08133"
    assert any("recognition repeated by clerk:anna: supplier sent a better copy" in e["message"]
               for e in doc["protocol"]), doc["protocol"]
    (request,) = doc["recognition_requests"]
    assert (request["action"], request["revision"], request["requested_by"], request["reason"]) == (
        "repeat", 2, "clerk:anna", "supplier sent a better copy")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed (make install-tesseract)")
async def test_repeat_with_an_engine_reads_the_scan_with_that_engine(
    services: processes.ServiceSet, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN a scanned invoice (a PNG, no text layer) recognised once with the configured engine
    page = pdfium.PdfDocument(str(SAMPLES / "invoices" / "invoice-01-din.pdf"))[0]
    path = tmp_path / "scan.png"
    page.render(scale=200 / 72).to_pil().save(path, format="PNG")
    response = upload(services, tenant, path)
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    (first,) = await recognized(nc, tenant, expect=1)
    assert first.reader == "ocr"
    # (no master data for this tenant: it waits in review, and only approved invoices are exported)
    await wait_for(services, document_id, lambda d: d["status"] == "review")

    # WHEN it is repeated naming tesseract
    answer = post(services, document_id, "repeat", tenant, {"engine": "Tesseract", "reason": "compare engines"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["engine"] == "tesseract"

    # THEN the new revision's ingested event carries the engine, and ocr read the scan with it
    ingested = await stream_messages(nc, "DOCS", f"docs.{tenant}.ingested.v1", expect=2, timeout_s=30)
    assert [json.loads(m.data).get("ocr_engine") for m in ingested] == [None, "tesseract"]
    (second,) = [e for e in await recognized(nc, tenant, expect=2) if e.revision == 2]
    engines = [e.message for e in second.protocol if e.message.startswith("ocr: engine ")]
    assert len(engines) == 1
    assert engines[0].startswith("ocr: engine tesseract ")
    assert second.fields.invoice_number is not None
    assert second.fields.invoice_number.value == "RE-24-08133"
    doc = await wait_for(services, document_id, lambda d: d["status"] == "review" and d["revision"] == 2)
    assert doc["status"] == "review"
    assert doc["export"] is None
    assert doc["recognition_requests"][0]["engine"] == "tesseract"
    assert any("(OCR engine: tesseract)" in e["message"] for e in doc["protocol"])


# --- cancel --------------------------------------------------------------------------------------


async def test_cancel_before_recognition_starts_ends_in_review_and_a_repeat_reads_it_again(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN an invoice uploaded while the ocr service is stopped, so its recognition waits
    await import_masterdata(stack_state, tenant)
    processes.kill(services, "ocr", sig=signal.SIGTERM)
    try:
        response = upload(services, tenant, SAMPLES / "invoices" / "invoice-02-modern.pdf")
        assert response.status_code == 201, response.text
        document_id = response.json()["id"]
        # a repeat while the recognition has not finished is refused
        busy = post(services, document_id, "repeat", tenant, {"reason": "too early"})
        assert busy.status_code == 409, busy.text
        assert busy.json()["code"] == "recognition-running"

        # WHEN its recognition is cancelled
        answer = post(services, document_id, "cancel", tenant,
                      {"reason": "wrong document type", "requested_by": "clerk:bob"})
        assert answer.status_code == 202, answer.text
        assert answer.json()["revision"] == 1
        # a second cancel of the same revision says it was requested already
        again = post(services, document_id, "cancel", tenant, {"reason": "still wrong"})
        assert again.status_code == 409
        assert again.json()["code"] == "already-cancelled"
    finally:
        processes.start_one(stack_state, services, "ocr", extra_env=SERVICE_ENV)

    # THEN ocr hands it to manual capture, matching sends it to review with the reason, and it waits there
    (event,) = await recognized(nc, tenant, expect=1)
    assert event.manual is True
    assert event.manual_reason == "recognition cancelled: wrong document type"
    (decision,) = await decisions(nc, tenant, expect=1)
    assert decision.state is ReviewState.REVIEW
    assert decision.reasons[0] == "recognition cancelled: wrong document type"
    doc = await wait_for(services, document_id, lambda d: d["status"] == "review")
    assert doc["fields"]["manual"] is True
    assert doc["fields"]["manual_reason"] == "recognition cancelled: wrong document type"
    assert doc["review"]["state"] == "review"
    assert doc["review"]["reasons"][0] == "recognition cancelled: wrong document type"
    # AND the empty invoice is neither passed on nor exported
    assert await matched(nc, tenant, expect=0) == []
    assert await exports(nc, tenant, expect=0) == []
    (cancelled,) = [e for e in ocr_entries(doc) if "recognition cancelled" in e["message"]]
    assert cancelled["data"]["requested_by"] == "clerk:bob"
    # which stage the cancel met depends on which of ocr's two consumers ran first after its start; each ends here
    assert cancelled["data"]["stage"] in ("skipped before it started", "stopped while running",
                                          "finished as it was cancelled; what it read is kept for the clerk")
    assert any("recognition cancel of revision 1 requested by clerk:bob: wrong document type" in e["message"]
               for e in doc["protocol"])

    # AND a cancel now, after the recognition finished, is refused with why
    late = post(services, document_id, "cancel", tenant, {"reason": "too late"})
    assert late.status_code == 409
    assert late.json()["code"] == "recognition-finished"
    assert "already finished" in late.json()["detail"]

    # AND repeating it reads the invoice this time, as revision 2, no longer for manual capture
    assert post(services, document_id, "repeat", tenant, {"reason": "it is an invoice"}).status_code == 202
    (again_read,) = [e for e in await recognized(nc, tenant, expect=2) if e.revision == 2]
    assert again_read.manual is False
    assert again_read.fields.invoice_number is not None
    assert again_read.fields.invoice_number.value == "RE-24-00696"
    (second,) = [m for m in await matched(nc, tenant, expect=1) if m.revision == 2]
    assert not any("recognition cancelled" in reason for reason in second.reasons), second.reasons
    doc = await wait_for(services, document_id, lambda d: d["status"] == "exported" and d["export"]["revision"] == 2)
    assert doc["revision"] == 2
    assert doc["fields"]["fields"]["invoice_number"]["value"] == "RE-24-00696"
    assert doc["fields"]["manual"] is False


async def test_cancel_during_a_slow_recognition_stops_it_a_waiting_one_is_skipped_and_ocr_keeps_working(
    services: processes.ServiceSet, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN a 200-page born-digital PDF full of text, whose recognition takes many seconds, being recognised
    path = tmp_path / "ledger.pdf"
    path.write_bytes(dense_pdf(200))
    response = upload(services, tenant, path)
    assert response.status_code == 201, response.text
    slow_id = response.json()["id"]
    await recognition_started(services, slow_id)
    # AND an invoice waiting behind it
    waiting = upload(services, tenant, SAMPLES / "invoices" / "invoice-05-din.pdf")
    assert waiting.status_code == 201, waiting.text
    waiting_id = waiting.json()["id"]

    # WHEN both are cancelled, the waiting one first
    answer = post(services, waiting_id, "cancel", tenant, {"reason": "sent twice"})
    assert answer.status_code == 202, answer.text
    answer = post(services, slow_id, "cancel", tenant, {"reason": "someone uploaded the whole ledger"})
    assert answer.status_code == 202, answer.text

    # THEN the running recognition is stopped, the waiting one never starts, and both go to review with nothing read
    events = {str(e.document_id): e for e in await recognized(nc, tenant, expect=2)}
    assert set(events) == {slow_id, waiting_id}
    for event in events.values():
        assert event.manual is True
        assert event.reader == "manual"
        assert event.fields.invoice_number is None
    reasons = {str(d.document_id): (d.state, d.reasons[0]) for d in await decisions(nc, tenant, expect=2)}
    assert reasons == {slow_id: (ReviewState.REVIEW, "recognition cancelled: someone uploaded the whole ledger"),
                       waiting_id: (ReviewState.REVIEW, "recognition cancelled: sent twice")}
    for document_id, stage in ((slow_id, "stopped while running"), (waiting_id, "skipped before it started")):
        doc = await wait_for(services, document_id, lambda d: d["status"] == "review")
        assert doc["status"] == "review"
        (cancelled,) = [e for e in ocr_entries(doc) if "recognition cancelled" in e["message"]]
        assert cancelled["data"]["stage"] == stage

    # AND the next document is recognised as usual by a fresh worker
    other = upload(services, tenant, SAMPLES / "invoices" / "invoice-03-english.pdf")
    assert other.status_code == 201
    events = {str(e.document_id): e for e in await recognized(nc, tenant, expect=3)}
    fresh = events[other.json()["id"]]
    assert not fresh.manual
    assert fresh.reader == "pdf-text"


# --- bad input -----------------------------------------------------------------------------------


@pytest.fixture
async def uploaded(services: processes.ServiceSet, tenant: str) -> str:
    response = upload(services, tenant, SAMPLES / "invoices" / "invoice-05-din.pdf")
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]
    return document_id


@pytest.mark.parametrize(
    ("action", "target", "tenant_header", "body", "raw", "status", "code"),
    [
        ("repeat", "doc", "own", {"engine": "abbyy"}, None, 400, "unknown-engine"),
        ("repeat", "doc", "own", {"engine": 7}, None, 400, "invalid-body"),
        ("repeat", "unknown", "own", None, None, 404, "not-found"),
        ("cancel", "unknown", "own", {"reason": "x"}, None, 404, "not-found"),
        ("repeat", "not-a-uuid", "own", None, None, 400, "invalid-document-id"),
        ("cancel", "not-a-uuid", "own", {"reason": "x"}, None, 400, "invalid-document-id"),
        ("repeat", "doc", "other", None, None, 404, "not-found"),
        ("cancel", "doc", "other", {"reason": "x"}, None, 404, "not-found"),
        ("cancel", "doc", None, {"reason": "x"}, None, 400, "missing-tenant"),
        ("cancel", "doc", "Not A Tenant!", {"reason": "x"}, None, 400, "invalid-tenant"),
        ("cancel", "doc", "own", None, None, 400, "invalid-body"),
        ("cancel", "doc", "own", {"reason": "   "}, None, 400, "invalid-body"),
        ("cancel", "doc", "own", {"reason": "x", "force": True}, None, 400, "invalid-body"),
        ("cancel", "doc", "own", None, b"{reason: x", 400, "invalid-body"),
    ],
    ids=["unknown-engine", "engine-not-a-string", "repeat-unknown-document", "cancel-unknown-document",
         "repeat-bad-uuid", "cancel-bad-uuid", "repeat-other-tenant", "cancel-other-tenant", "no-tenant",
         "invalid-tenant", "cancel-without-body", "cancel-blank-reason", "cancel-unknown-field", "body-not-json"],
)
async def test_bad_requests_get_a_specific_error_and_change_nothing(
    services: processes.ServiceSet, tenant: str, uploaded: str, action: str, target: str,
    tenant_header: str | None, body: Any, raw: bytes | None, status: int, code: str,
) -> None:
    document_id = {"doc": uploaded, "unknown": str(uuid.uuid4())}.get(target, target)
    header = {"own": tenant, "other": f"{tenant}x"}.get(tenant_header or "", tenant_header)
    before = document(services, uploaded)
    response = post(services, document_id, action, header, body, raw=raw)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["detail"]
    after = document(services, uploaded)
    assert after["revision"] == before["revision"] == 1
    assert after["recognition_requests"] == []


async def test_unknown_engine_is_named_in_the_error(
    services: processes.ServiceSet, tenant: str, uploaded: str
) -> None:
    response = post(services, uploaded, "repeat", tenant, {"engine": "abbyy"})
    assert response.status_code == 400
    assert "'abbyy'" in response.json()["detail"]
    assert "tesseract" in response.json()["detail"]


# --- CLI -----------------------------------------------------------------------------------------


def cli(services: processes.ServiceSet, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BELEGFLOW_INGEST_URL": services.ingest_url, "BELEGFLOW_API_KEY": services.api_key}
    return subprocess.run([sys.executable, "-m", "belegflow_ops", "recognition", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_cli_repeats_and_refuses_a_late_cancel(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN an exported invoice
    await import_masterdata(stack_state, tenant)
    response = upload(services, tenant, SAMPLES / "invoices" / "invoice-04-compact.pdf")
    document_id = response.json()["id"]
    assert len(await exports(nc, tenant, expect=1)) == 1
    await wait_for(services, document_id, lambda d: d["status"] == "exported")

    # WHEN the operator repeats its recognition from the command line
    result = cli(services, "repeat", document_id, "--tenant", tenant, "--reason", "new OCR models",
                 "--by", "ops:kim", cwd=tmp_path)
    # THEN revision 2 starts and is exported
    assert result.returncode == 0, result.stderr
    assert f"{document_id}: revision 2 started" in result.stdout
    assert sorted(e.revision for e in await exports(nc, tenant, expect=2)) == [1, 2]
    doc = await wait_for(services, document_id, lambda d: d["status"] == "exported" and d["export"]["revision"] == 2)
    assert doc["recognition_requests"][0]["requested_by"] == "ops:kim"

    # AND a cancel after that recognition finished fails with ingest's reason
    late = cli(services, "cancel", document_id, "--tenant", tenant, "--reason", "oops", cwd=tmp_path)
    assert late.returncode == 1
    assert "409 recognition-finished" in late.stderr
    assert "revision 2 has already finished" in late.stderr


@pytest.mark.parametrize(
    ("args", "returncode", "message"),
    [
        (("repeat", "not-a-uuid", "--tenant", "acme"), 2, "'not-a-uuid' is not a document id"),
        (("repeat", str(uuid.UUID(int=7)), "--tenant", "acme", "--engine", "abbyy"), 2, "unknown OCR engine 'abbyy'"),
        (("cancel", str(uuid.UUID(int=7)), "--tenant", "acme", "--reason", " "), 2, "--reason must not be empty"),
        (("cancel", str(uuid.UUID(int=7)), "--tenant", "acme"), 1, "404 not-found"),
        (("repeat", str(uuid.UUID(int=7)), "--tenant", "acme"), 1, "404 not-found"),
    ],
    ids=["bad-uuid", "unknown-engine", "blank-reason", "cancel-unknown-document", "repeat-unknown-document"],
)
async def test_cli_bad_input_is_named(
    services: processes.ServiceSet, tmp_path: Path, args: tuple[str, ...], returncode: int, message: str
) -> None:
    result = cli(services, *args, cwd=tmp_path)
    assert result.returncode == returncode, result.stderr
    assert message in result.stderr


def test_cli_without_an_ingest_url_says_how_to_get_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BELEGFLOW_INGEST_URL"}
    result = subprocess.run([sys.executable, "-m", "belegflow_ops", "recognition", "cancel", str(uuid.UUID(int=7)),
                             "--tenant", "acme"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 2
    assert "no ingest URL" in result.stderr
