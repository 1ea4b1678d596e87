"""The gate on the real stack: review waits for a person, only approved revisions are exported, duplicates are held."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
from lxml import etree
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import DecisionV1, DocumentType, ReviewState, TmsExportV1, TmsExportV2
from belegflow_contracts.xsd import TMS_TRANSFER_V2_NAMESPACE, tms_transfer_v2_xsd
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, add_user, basic, import_masterdata, stream_messages, truth, upload
from tests.e2e.test_pipeline import NS, text, validate_against_xsd

pytestmark = pytest.mark.e2e
INVOICE = SAMPLES / "invoices" / "invoice-01-din.pdf"
PASSWORD = "correct horse battery"


def step(services: processes.ServiceSet, document_id: str, action: str, tenant: str | None,
         body: Any = None, *, raw: bytes | None = None, auth: dict[str, str] | None = None) -> httpx.Response:
    headers = {**(services.auth if auth is None else auth), **({"X-Tenant": tenant} if tenant is not None else {})}
    url = f"{services.ingest_url}/v1/documents/{document_id}/review/{action}"
    if raw is not None:
        return httpx.post(url, content=raw, headers={**headers, "content-type": "application/json"}, timeout=30)
    return httpx.post(url, json=body, headers=headers, timeout=30)


async def wait_for(services: processes.ServiceSet, document_id: str, done: Callable[[dict[str, Any]], bool],
                   *, timeout_s: float = 90) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        doc: dict[str, Any] = httpx.get(f"{services.ingest_url}/v1/documents/{document_id}",
                                        headers=services.auth, timeout=10).json()
        if done(doc) or loop.time() > deadline:
            return doc
        await asyncio.sleep(0.3)


async def exports(nc: NATS, tenant: str, *, expect: int) -> list[TmsExportV1]:
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=expect, timeout_s=90)
    return [TmsExportV1.model_validate_json(m.data) for m in msgs]


async def in_review(services: processes.ServiceSet, tenant: str, path: Any = INVOICE) -> str:
    """Upload ``path`` for a tenant without master data: no supplier is identified, so it waits for review."""
    response = upload(services, tenant, path)
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]
    doc = await wait_for(services, document_id, lambda d: d["status"] == "review")
    assert doc["status"] == "review", doc["status"]
    assert doc["review"]["version"] == 1
    assert "no supplier identified from master data" in doc["review"]["reasons"]
    return document_id


async def test_a_corrected_invoice_is_exported_once_with_the_corrected_value_after_approval(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    expected = truth(INVOICE)
    # GIVEN a clerk and an approver of the tenant
    add_user(stack_state, f"anna-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    add_user(stack_state, f"bert-{tenant}", PASSWORD, roles=["approver"], tenants=[tenant])
    anna, bert = basic(f"anna-{tenant}", PASSWORD), basic(f"bert-{tenant}", PASSWORD)
    # AND an invoice waiting for review (its supplier was not in master data when it arrived)
    document_id = await in_review(services, tenant)
    # AND nothing of it went on to accruals or export
    assert await exports(nc, tenant, expect=0) == []

    # WHEN a clerk approves it without a supplier THEN it is refused, naming what is missing
    refused = step(services, document_id, "approve", tenant, {"expected_version": 1}, auth=bert)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "incomplete"
    assert "supplier" in refused.json()["detail"]

    # WHEN the supplier arrives in master data and the clerk chooses it
    await import_masterdata(stack_state, tenant)
    chosen = step(services, document_id, "supplier", tenant,
                  {"expected_version": 1, "supplier_number": expected["supplier_number"]}, auth=anna)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["version"] == 2
    # a second clerk who still sees version 1 is refused
    stale = step(services, document_id, "supplier", tenant,
                 {"expected_version": 1, "supplier_number": expected["supplier_number"]}, auth=bert)
    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "stale-version"
    # a supplier master data does not know is refused
    unknown = step(services, document_id, "supplier", tenant,
                   {"expected_version": 2, "supplier_number": "99999"}, auth=anna)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown-supplier"

    # AND corrections that fail validation are refused, naming the field, and change nothing
    bad_amount = step(services, document_id, "correct", tenant, {"expected_version": 2, "gross_amount": "12,5x"})
    assert bad_amount.status_code == 422
    assert "gross_amount" in bad_amount.json()["detail"]
    bad_due = step(services, document_id, "correct", tenant, {"expected_version": 2, "due_date": "2024-01-01"})
    assert bad_due.status_code == 422
    assert bad_due.json()["detail"].startswith("due_date")
    nothing = step(services, document_id, "correct", tenant, {"expected_version": 2})
    assert nothing.status_code == 422

    # AND the clerk corrects the invoice number
    corrected = step(services, document_id, "correct", tenant,
                     {"expected_version": 2, "invoice_number": "RE-24-08133-K", "reason": "number misread"},
                     auth=anna)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["version"] == 3
    assert await exports(nc, tenant, expect=0) == []

    # AND the clerk may not approve it (that needs an approver)
    clerk_approves = step(services, document_id, "approve", tenant, {"expected_version": 3}, auth=anna)
    assert clerk_approves.status_code == 403, clerk_approves.text
    assert clerk_approves.json()["code"] == "forbidden"
    # AND an approver approves it
    approved = step(services, document_id, "approve", tenant, {"expected_version": 3}, auth=bert)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    assert approved.json()["version"] == 4

    # THEN it is exported exactly once, with the corrected number and the chosen supplier
    (export,) = await exports(nc, tenant, expect=1)
    doc_xml = validate_against_xsd(export.xml.encode())
    assert text(doc_xml, "t:header/t:invoiceNumber") == "RE-24-08133-K"
    assert text(doc_xml, "t:supplier/t:supplierNumber") == expected["supplier_number"]
    assert text(doc_xml, "t:decision") == "review"
    accruals = [e.text for e in doc_xml.findall("t:lines/t:line/t:accrualNumber", NS)]
    assert accruals == [line["accrual_number"] for line in expected["lines"]]

    # AND approving again is refused; the export stays the only one
    again = step(services, document_id, "approve", tenant, {"expected_version": 4})
    assert again.status_code == 409
    assert again.json()["code"] == "not-in-review"
    doc = await wait_for(services, document_id, lambda d: d["status"] == "exported")
    assert doc["status"] == "exported"
    assert doc["review"]["state"] == "approved"
    assert doc["review"]["by"] == f"user:bert-{tenant}"
    messages = [e["message"] for e in doc["protocol"] if e["step"] == "matching"]
    assert f"corrected by user:anna-{tenant}: invoice_number 'RE-24-08133' -> 'RE-24-08133-K'" in messages
    assert (f"supplier {expected['supplier_number']} (Spedition Nordlicht GmbH) chosen by user:anna-{tenant}"
            in messages)
    assert len(await exports(nc, tenant, expect=1)) == 1

    # AND matching's audit trail holds every step: who, what, old and new value, why
    conn = await asyncpg.connect(stack_state.database_url("matching"))
    try:
        rows = await conn.fetch("SELECT action, by_whom, reason, changes FROM matching.review_audit "
                                "WHERE document_id = $1 ORDER BY version", uuid.UUID(document_id))
    finally:
        await conn.close()
    assert [(r["action"], r["by_whom"]) for r in rows] == [
        ("review", "matching"), ("choose_supplier", f"user:anna-{tenant}"), ("correct", f"user:anna-{tenant}"),
        ("approve", f"user:bert-{tenant}")]
    assert rows[2]["reason"] == "number misread"
    assert '"old": "RE-24-08133"' in rows[2]["changes"]


async def test_a_rejected_invoice_is_never_exported(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN an invoice in review
    document_id = await in_review(services, tenant)
    # WHEN it is rejected without a reason THEN that is refused
    no_reason = step(services, document_id, "reject", tenant, {"expected_version": 1, "reason": " "})
    assert no_reason.status_code == 422
    # WHEN it is rejected with a reason
    rejected = step(services, document_id, "reject", tenant,
                    {"expected_version": 1, "reason": "not our invoice"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["state"] == "rejected"
    # THEN it shows as rejected, cannot be approved any more, and is never passed on or exported
    doc = await wait_for(services, document_id, lambda d: d["status"] == "rejected")
    assert doc["status"] == "rejected"
    assert doc["review"]["reason"] == "not our invoice"
    late = step(services, document_id, "approve", tenant, {"expected_version": 2})
    assert late.status_code == 409
    assert late.json()["code"] == "not-in-review"
    states = [DecisionV1.model_validate_json(m.data).state for m in
              await stream_messages(nc, "DOCS", f"docs.{tenant}.decision.v1", expect=2, timeout_s=30)]
    assert states == [ReviewState.REVIEW, ReviewState.REJECTED]
    assert await stream_messages(nc, "DOCS", f"docs.{tenant}.matched.v1", expect=0, timeout_s=1) == []
    assert await exports(nc, tenant, expect=0) == []


async def test_the_same_invoice_from_another_channel_with_other_bytes_is_held_as_a_duplicate(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN an invoice uploaded over HTTP and exported touchless
    await import_masterdata(stack_state, tenant)
    first = upload(services, tenant, INVOICE)
    assert first.status_code == 201
    first_id = first.json()["id"]
    assert len(await exports(nc, tenant, expect=1)) == 1

    # WHEN the same invoice arrives again through the watched folder, as other bytes (saved again)
    folder = services.inbox_dir / tenant
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / "invoice-again.pdf").write_bytes(INVOICE.read_bytes() + b"% saved again\n")

    # THEN it becomes a second document, held in review as a suspected duplicate of the first
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 90
    second: dict[str, Any] = {}
    while loop.time() < deadline:
        listed = httpx.get(f"{services.ingest_url}/v1/documents",
                           headers={"X-Tenant": tenant, **services.auth}, timeout=10).json()
        others = [d for d in listed if str(d["id"]) != first_id]
        if others and others[0]["status"] == "review":
            second = httpx.get(f"{services.ingest_url}/v1/documents/{others[0]['id']}",
                               headers=services.auth, timeout=10).json()
            break
        await asyncio.sleep(0.3)
    assert second, "the second copy did not reach review"
    assert second["source"] == "inbox"
    assert second["review"]["duplicate_of"] == first_id
    assert any(r.startswith(f"suspected duplicate of document {first_id}") for r in second["review"]["reasons"])
    # AND it is not exported: the first export stays the only one
    assert len(await exports(nc, tenant, expect=1)) == 1


@pytest.mark.parametrize(
    ("document_id", "tenant", "body", "status", "code"),
    [
        ("not-a-uuid", "acme", {"expected_version": 1}, 400, "invalid-document-id"),
        ("00000000-0000-0000-0000-000000000001", None, {"expected_version": 1}, 400, "missing-tenant"),
        ("00000000-0000-0000-0000-000000000001", "acme", {"expected_version": 1}, 404, "not-found"),
        ("00000000-0000-0000-0000-000000000001", "acme", {"expected_version": 0}, 422, "invalid"),
        ("00000000-0000-0000-0000-000000000001", "acme", {"expected_version": 1, "colour": "red"}, 422, "invalid"),
        ("00000000-0000-0000-0000-000000000001", "acme", b"{not json", 400, "invalid-body"),
        ("00000000-0000-0000-0000-000000000001", "acme", b"[1]", 400, "invalid-body"),
    ],
    ids=["bad-id", "no-tenant", "unknown", "version-0", "unknown-field", "not-json", "not-an-object"],
)
async def test_bad_review_requests_get_a_specific_error(
    services: processes.ServiceSet, document_id: str, tenant: str | None, body: Any, status: int, code: str
) -> None:
    raw = body if isinstance(body, bytes) else None
    response = step(services, document_id, "approve", tenant, None if raw else body, raw=raw)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["detail"]


async def test_another_tenants_document_cannot_be_reviewed(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    # GIVEN a document of one tenant in review
    document_id = await in_review(services, tenant)
    # WHEN another tenant approves it THEN it does not exist for them, and it stays in review
    response = step(services, document_id, "reject", "other-tenant", {"expected_version": 1, "reason": "mine now"})
    assert response.status_code == 404
    assert response.json()["code"] == "not-found"
    ok = step(services, document_id, "reject", tenant, {"expected_version": 1, "reason": "still version 1"})
    assert ok.status_code == 200, ok.text


async def test_a_tenants_own_policy_sends_large_and_unsure_invoices_to_review(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS
) -> None:
    # GIVEN the tenant "strict" (threshold 0.9, limit 5000) with its master data, and an invoice whose
    # date is read below 0.9 (a first invoice of its layout) and whose gross is 6524.42; other tenants take it
    # touchless (0.7)
    tenant = "strict"
    await import_masterdata(stack_state, tenant)
    response = upload(services, tenant, SAMPLES / "invoices" / "invoice-02-modern.pdf")
    assert response.status_code in (200, 201), response.text
    document_id = response.json()["id"]
    # THEN it waits for review, saying both why
    doc = await wait_for(services, document_id, lambda d: d["status"] == "review")
    assert doc["status"] == "review"
    reasons = doc["review"]["reasons"]
    assert "gross 6524.42 above the tenant's touchless limit 5000" in reasons
    assert any(re.fullmatch(r"invoice date read with confidence 0\.[0-8]\d < 0\.90", r) for r in reasons), reasons

    # AND above its four-eyes limit (1000) who changed the invoice may not approve it; someone else may
    add_user(stack_state, "multi-strict", PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
    multi = basic("multi-strict", PASSWORD)
    corrected = step(services, document_id, "correct", tenant, {"expected_version": 1, "gl_account": "4711"},
                     auth=multi)
    assert corrected.status_code == 200, corrected.text
    refused = step(services, document_id, "approve", tenant, {"expected_version": 2}, auth=multi)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "four-eyes"
    approved = step(services, document_id, "approve", tenant, {"expected_version": 2})
    assert approved.status_code == 200, approved.text
    (msg,) = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)
    assert text(validate_against_xsd(TmsExportV1.model_validate_json(msg.data).xml.encode()),
                "t:supplier/t:glAccount") == "4711"


async def test_an_approved_credit_note_goes_to_the_tms_as_a_credit_note(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN an EN 16931 credit note (UBL, type code 381) whose supplier master data does not know
    credit_note = SAMPLES / "einvoices" / "en16931-examples" / "ubl" / "examples" / "ubl-tc434-creditnote1.xml"
    document_id = await in_review(services, tenant, credit_note)
    doc = await wait_for(services, document_id, lambda d: d["review"] is not None)
    assert doc["review"]["invoice"]["document_type"] == "credit_note"
    # WHEN a clerk chooses the supplier and approves it
    await import_masterdata(stack_state, tenant)
    chosen = step(services, document_id, "supplier", tenant, {"expected_version": 1, "supplier_number": "70001"})
    assert chosen.status_code == 200, chosen.text
    approved = step(services, document_id, "approve", tenant, {"expected_version": 2})
    assert approved.status_code == 200, approved.text
    # THEN version 2 of the transfer says it is a credit note, amounts as the document states them
    (v2,) = [TmsExportV2.model_validate_json(m.data) for m in
             await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v2", expect=1, timeout_s=90)]
    assert v2.document_type is DocumentType.CREDIT_NOTE
    schema = etree.XMLSchema(etree.fromstring(tms_transfer_v2_xsd()))
    xml = etree.fromstring(v2.xml.encode())
    schema.assertValid(xml)
    v2ns = {"t": TMS_TRANSFER_V2_NAMESPACE}
    assert xml.findtext("t:header/t:documentType", namespaces=v2ns) == "creditNote"
    assert xml.findtext("t:header/t:grossAmount", namespaces=v2ns) == "100.11"
    assert xml.findtext("t:header/t:invoiceNumber", namespaces=v2ns) == "018304 / 28865"
    # AND version 1 is published too, unchanged, once
    (v1,) = await exports(nc, tenant, expect=1)
    validate_against_xsd(v1.xml.encode())
    assert (services.export_dir / tenant / "tms-v2" / f"{document_id}-r1.xml").read_text() == v2.xml


def review_cli(services: processes.ServiceSet, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BELEGFLOW_INGEST_URL": services.ingest_url, "BELEGFLOW_API_KEY": services.api_key}
    return subprocess.run([sys.executable, "-m", "belegflow_ops", "review", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


async def test_the_cli_lists_the_queue_and_takes_steps(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    # GIVEN an invoice in review
    document_id = await in_review(services, tenant)
    # THEN the queue lists it with its version and why
    listed = review_cli(services, "list", "--tenant", tenant)
    assert listed.returncode == 0, listed.stderr
    assert document_id in listed.stdout
    assert "version 1" in listed.stdout
    assert "no supplier identified from master data" in listed.stdout
    # AND an approval without a supplier is refused with ingest's reason and exit status 1
    refused = review_cli(services, "approve", document_id, "--tenant", tenant, "--version", "1")
    assert refused.returncode == 1
    assert "approve refused (422 incomplete)" in refused.stderr
    # AND a bad --set is refused before anything is sent
    bad = review_cli(services, "correct", document_id, "--tenant", tenant, "--version", "1", "--set", "nonsense")
    assert bad.returncode == 2
    # AND a correction and a rejection go through, each on the version the one before left
    corrected = review_cli(services, "correct", document_id, "--tenant", tenant, "--version", "1",
                           "--set", "invoice_number=RE-1", "--set", "gross_amount=6114.08")
    assert corrected.returncode == 0, corrected.stderr
    assert corrected.stdout.strip() == f"{document_id}: revision 1 review (version 2)"
    rejected = review_cli(services, "reject", document_id, "--tenant", tenant, "--version", "2", "--reason", "test")
    assert rejected.returncode == 0, rejected.stderr
    assert rejected.stdout.strip() == f"{document_id}: revision 1 rejected (version 3)"
