"""One invoice travels upload → ingest → ocr → matching → accrual → export over real NATS, Postgres and S3."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import httpx
import pytest
from lxml import etree
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import TmsExportV1
from belegflow_contracts.xsd import tms_transfer_v1_xsd
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, dead_letters, import_masterdata, stream_messages, truth, upload

pytestmark = pytest.mark.e2e
NS = {"t": "urn:belegflow:tms-transfer:1"}


def validate_against_xsd(xml: bytes) -> etree._Element:
    schema = etree.XMLSchema(etree.fromstring(tms_transfer_v1_xsd()))
    doc = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    schema.assertValid(doc)
    return doc


def text(doc: etree._Element, path: str) -> str | None:
    found = doc.find(path, NS)
    return None if found is None else found.text


async def test_uploaded_pdf_arrives_as_tms_xml_on_the_export_subject(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN master data for the tenant and a born-digital invoice whose truth we know
    await import_masterdata(stack_state, tenant)
    pdf = SAMPLES / "invoices" / "invoice-01-din.pdf"
    expected = truth(pdf)

    # WHEN it is uploaded over HTTP
    response = upload(services, tenant, pdf)
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]

    # THEN exactly one TMS export arrives on export.<tenant>.tms.v1
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)
    assert len(msgs) == 1
    export = TmsExportV1.model_validate_json(msgs[0].data)
    assert str(export.document_id) == document_id

    # AND its XML is valid against the XSD and carries master data, the invoice and the accruals
    doc = validate_against_xsd(export.xml.encode())
    assert text(doc, "t:header/t:invoiceNumber") == expected["fields"]["invoice_number"]
    assert text(doc, "t:header/t:invoiceDate") == expected["fields"]["invoice_date"]
    assert text(doc, "t:header/t:grossAmount") == expected["fields"]["gross_amount"]
    assert text(doc, "t:supplier/t:supplierNumber") == expected["supplier_number"]
    assert text(doc, "t:supplier/t:name") == expected["fields"]["supplier_name"]
    accruals = [e.text for e in doc.findall("t:lines/t:line/t:accrualNumber", NS)]
    assert accruals == [line["accrual_number"] for line in expected["lines"]]

    # AND the document's status and protocol tell the same story over HTTP
    status = httpx.get(f"{services.ingest_url}/v1/documents/{document_id}", headers=services.auth, timeout=10).json()
    assert status["status"] == "exported"
    steps = {entry["step"] for entry in status["protocol"]}
    assert {"ingest", "ocr", "matching", "accrual", "export"} <= steps
    assert status["fields"]["fields"]["invoice_number"]["value"] == expected["fields"]["invoice_number"]

    # AND the file was written where integrators read it, identical to the published XML
    files = list((services.export_dir / tenant / "tms").glob(f"{document_id}-r1.xml"))
    assert len(files) == 1
    assert files[0].read_bytes() == export.xml.encode()


async def test_trace_travels_through_all_five_services(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN an upload whose trace id ingest reports
    await import_masterdata(stack_state, tenant)
    response = upload(services, tenant, SAMPLES / "invoices" / "invoice-02-modern.pdf")
    trace_id = response.json()["trace_id"]
    assert trace_id
    assert trace_id != "0" * 32

    # WHEN the export arrives THEN every event on the way carries the same trace in its headers
    await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)
    for stream, subject in [("DOCS", f"docs.{tenant}.ingested.v1"), ("DOCS", f"docs.{tenant}.recognized.v1"),
                            ("DOCS", f"docs.{tenant}.matched.v1"), ("DOCS", f"docs.{tenant}.accrued.v1"),
                            ("EXPORT", f"export.{tenant}.tms.v1")]:
        msgs = await stream_messages(nc, stream, subject, expect=1, timeout_s=10)
        assert len(msgs) == 1, subject
        traceparent = (msgs[0].headers or {}).get("traceparent", "")
        assert traceparent.split("-")[1] == trace_id, subject


async def test_supplier_found_by_vat_id_and_unknown_references_get_xxx(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN the invoices whose truth says a line has no accrual, or whose IBAN master data lacks
    await import_masterdata(stack_state, tenant)
    pdfs = sorted((SAMPLES / "invoices").glob("*.pdf"))
    expected = {truth(p)["fields"]["invoice_number"]: truth(p) for p in pdfs}
    assert any(line["accrual_number"] == "XXX" for t in expected.values() for line in t["lines"])

    # WHEN all samples are uploaded
    for pdf in pdfs:
        assert upload(services, tenant, pdf).status_code == 201

    # THEN each export names the supplier from master data and XXX exactly where no accrual exists
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=len(pdfs), timeout_s=120)
    assert len(msgs) == len(pdfs)
    for msg in msgs:
        doc = validate_against_xsd(TmsExportV1.model_validate_json(msg.data).xml.encode())
        want = expected[text(doc, "t:header/t:invoiceNumber") or ""]
        assert text(doc, "t:supplier/t:supplierNumber") == want["supplier_number"]
        got = [e.text for e in doc.findall("t:lines/t:line/t:accrualNumber", NS)]
        assert got == [line["accrual_number"] for line in want["lines"]]


async def test_same_bytes_twice_are_one_document(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    pdf = SAMPLES / "invoices" / "invoice-03-english.pdf"
    first = upload(services, tenant, pdf)
    second = upload(services, tenant, pdf)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["duplicate"] is True


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 400, "empty"),
        (b"just some words, not a document", 415, "unsupported-type"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n", 400, "rejected"),  # truncated: no %%EOF
        (b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024) + b"\n%%EOF\n", 413, "too-large"),
    ],
    ids=["empty", "not-a-document", "truncated-pdf", "over-the-limit"],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path,
    content: bytes, status: int, code: str,
) -> None:
    # GIVEN a file that is not an acceptable document
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    # WHEN it is uploaded
    response = upload(services, tenant, path)
    # THEN a specific 4xx comes back
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["detail"]
    # AND nothing was recorded or stored for the tenant
    conn = await asyncpg.connect(stack_state.database_url("ingest"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM ingest.documents WHERE tenant = $1", tenant) == 0
    finally:
        await conn.close()
    assert not (Path(stack_state.home) / "s3" / "originals" / tenant).exists()


async def test_upload_with_an_invalid_tenant_is_refused(services: processes.ServiceSet) -> None:
    path = SAMPLES / "invoices" / "invoice-01-din.pdf"
    response = upload(services, "Not A Tenant!", path)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid-tenant"


async def test_message_failing_its_contract_goes_to_the_dlq_and_the_consumer_keeps_going(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN a message on the recognized subject that does not satisfy RecognizedV1
    js = nc.jetstream()
    await js.publish(f"docs.{tenant}.recognized.v1", json.dumps({"document_id": "nope", "tenant": tenant}).encode(),
                     headers={"Nats-Msg-Id": f"bad-{tenant}"})
    # WHEN matching consumes it THEN a dead letter with the reason appears
    letters = await dead_letters(nc, "matching", tenant, expect=1, timeout_s=30)
    assert len(letters) == 1
    assert letters[0]["subject"] == f"docs.{tenant}.recognized.v1"
    assert "contract validation failed" in letters[0]["reason"]
    assert "document_id" in letters[0]["reason"]
    # AND the pipeline still processes a good invoice afterwards
    await import_masterdata(stack_state, tenant)
    assert upload(services, tenant, SAMPLES / "invoices" / "invoice-04-compact.pdf").status_code == 201
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)
    assert len(msgs) == 1


async def test_service_roles_cannot_touch_other_schemas(stack_state: stack.StackState) -> None:
    # GIVEN the matching role WHEN it reads ingest's documents THEN Postgres refuses
    conn = await asyncpg.connect(stack_state.database_url("matching"))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM ingest.documents")
    finally:
        await conn.close()
