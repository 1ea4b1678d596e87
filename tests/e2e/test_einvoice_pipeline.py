"""XRechnung e-invoices travel the whole pipeline: read exactly from the XML, matched by IBAN, exported."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import TmsExportV1
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, import_masterdata, stream_messages, upload
from tests.e2e.test_pipeline import NS, text, validate_against_xsd
from tests.e2e.test_review import wait_for

pytestmark = pytest.mark.e2e
CASES = SAMPLES / "einvoices" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard"
UBL = CASES / "01.01a-INVOICE_ubl.xml"
CII = CASES / "01.01a-INVOICE_uncefact.xml"

SUPPLIERS = (
    "supplier_number,name,street,postal_code,city,country,ibans,vat_id,gl_account,cost_center,tax_key,"
    "amount_tolerance\n"
    "80001,Seller GmbH,Hauptstraße 1,12345,Berlin,DE,DE79000000001234567890,,3800,1000,9,5.00\n"
)
ACCRUALS = "accrual_number,supplier_number,reference,amount,currency\nAC-E-0001,80001,MSCU5501845,10.00,EUR\n"


@pytest.fixture
def masterdata(tmp_path: Path) -> Path:
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    (tmp_path / "accruals.csv").write_text(ACCRUALS, encoding="utf-8")
    return tmp_path


async def test_ubl_and_cii_twins_are_exported_alike(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, masterdata: Path
) -> None:
    # GIVEN two tenants with the seller in master data, and the same invoice in both syntaxes
    tenants = {UBL: tenant, CII: f"{tenant}-cii"}
    for each in tenants.values():
        await import_masterdata(stack_state, each, masterdata)

    # WHEN each tenant gets one of the twins
    ids = {}
    for path, each in tenants.items():
        response = upload(services, each, path)
        assert response.status_code == 201, response.text
        assert response.json()["media_type"] == "application/xml"
        ids[each] = response.json()["id"]

    # THEN both are exported with the values the XML states, the supplier found by IBAN
    # (the sample's VAT ID fails the German check digit, so master data cannot hold it)
    headers = []
    for each, document_id in ids.items():
        (msg,) = await stream_messages(nc, "EXPORT", f"export.{each}.tms.v1", expect=1, timeout_s=90)
        export = TmsExportV1.model_validate_json(msg.data)
        assert str(export.document_id) == document_id
        doc = validate_against_xsd(export.xml.encode())
        header = {
            "number": text(doc, "t:header/t:invoiceNumber"),
            "date": text(doc, "t:header/t:invoiceDate"),
            "gross": text(doc, "t:header/t:grossAmount"),
            "supplier": text(doc, "t:supplier/t:supplierNumber"),
            "lines": len(doc.findall("t:lines/t:line", NS)),
        }
        headers.append(header)
        status = httpx.get(f"{services.ingest_url}/v1/documents/{document_id}",
                           headers=services.auth, timeout=10).json()
        assert status["status"] == "exported"
        assert any(e["step"] == "ocr" and "einvoice" in e["message"] for e in status["protocol"]), status["protocol"]
    assert headers[0] == {"number": "123456XX", "date": "2016-04-04", "gross": "336.90", "supplier": "80001",
                          "lines": 2}
    assert headers[1] == headers[0]

    # AND the other syntax of the same invoice, sent to the first tenant too, is held as its duplicate
    again = upload(services, tenant, CII)
    assert again.status_code == 201, again.text
    held = await wait_for(services, again.json()["id"], lambda d: d["status"] == "review")
    assert held["review"]["duplicate_of"] == ids[tenant]
    assert len(await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=5)) == 1
