"""Invalid e-invoices and hybrid PDFs whose picture disagrees with their XML wait in review, from every channel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from belegflow_ops import processes, stack
from tests.conftest import import_masterdata
from tests.e2e.test_einvoice_pipeline import CII, masterdata  # noqa: F401 - the fixture
from tests.e2e.test_mail_intake import Mail, mail, new_mail  # noqa: F401 - the fixture
from tests.e2e.test_review import wait_for

pytestmark = pytest.mark.e2e
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
HYBRID = SHARED / "corpora" / "real-layouts" / "invoices" / "VALENTINDML_facturx-cas-limites" / "CALC-001_facture.pdf"


def without_buyer_reference() -> bytes:
    """The XRechnung test suite's first CII invoice without its buyer reference (BT-10): BR-DE-15 fails."""
    xml = CII.read_text(encoding="utf-8")
    start, end = xml.index("<ram:BuyerReference>"), xml.index("</ram:BuyerReference>") + len("</ram:BuyerReference>")
    return (xml[:start] + xml[end:]).encode()


def upload_bytes(services: processes.ServiceSet, tenant: str, name: str, data: bytes, media_type: str
                 ) -> httpx.Response:
    return httpx.post(f"{services.ingest_url}/v1/documents", headers={**services.auth, "X-Tenant": tenant},
                      files={"file": (name, data, media_type)}, timeout=30)


def assert_held_for_rules(doc: dict[str, Any]) -> None:
    assert doc["status"] == "review", doc["status"]
    reasons = doc["review"]["reasons"]
    assert any(r.startswith("e-invoice invalid: BR-DE-15") for r in reasons), reasons
    check = doc["fields"]["einvoice"]
    assert check["verdict"] == "invalid"
    assert check["scenario"] == "EN16931 XRechnung (CII)"
    failed = {f["rule"]: f for f in check["failed"]}
    assert failed["BR-DE-15"]["flag"] == "fatal"
    assert failed["BR-DE-15"]["location"].startswith("/")
    section = [e for e in doc["protocol"] if e["step"] == "einvoice-validation"]
    assert section[0]["message"].startswith("einvoice validation: invalid")
    assert any(e["data"].get("rule") == "BR-DE-15" for e in section)


async def test_an_invalid_einvoice_uploaded_waits_in_review_with_its_rules(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, masterdata: Path,  # noqa: F811
) -> None:
    # GIVEN the seller in master data (so only the validation can hold the invoice back)
    await import_masterdata(stack_state, tenant, masterdata)
    # WHEN an XRechnung without its buyer reference is uploaded
    response = upload_bytes(services, tenant, "xrechnung.xml", without_buyer_reference(), "application/xml")
    assert response.status_code == 201, response.text
    # THEN it waits in review, the failed rule as the reason, in the contract field and in its own protocol section
    doc = await wait_for(services, response.json()["id"], lambda d: d["status"] in ("review", "approved", "exported"))
    assert_held_for_rules(doc)


async def test_a_hybrid_pdf_whose_picture_disagrees_waits_with_the_fields(
    services: processes.ServiceSet, tenant: str,
) -> None:
    # GIVEN a Factur-X PDF whose page prints a gross of 3042.00 while its XML says 3000.00
    if not HYBRID.is_file():
        pytest.skip("../shared/corpora/real-layouts is not beside the checkout")
    # WHEN it is uploaded
    response = upload_bytes(services, tenant, HYBRID.name, HYBRID.read_bytes(), "application/pdf")
    assert response.status_code == 201, response.text
    doc = await wait_for(services, response.json()["id"], lambda d: d["status"] in ("review", "approved", "exported"))
    # THEN it waits in review, the disagreeing field named with both values
    assert doc["status"] == "review"
    assert "picture and XML disagree on gross_amount: the XML says 3000.00, the page says 3042.00" in \
        doc["review"]["reasons"]
    check = doc["fields"]["einvoice"]
    assert check["picture_checked"] is True
    assert check["picture_differences"] == [{"field": "gross_amount", "xml": "3000.00", "page_value": "3042.00",
                                            "page": 1}]


async def test_an_invalid_einvoice_in_the_watched_folder_waits_in_review(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, masterdata: Path,  # noqa: F811
) -> None:
    await import_masterdata(stack_state, tenant, masterdata)
    folder = services.inbox_dir / tenant
    folder.mkdir(mode=0o700)  # as an operator makes it: the watched folder is its owner's alone
    (folder / "xrechnung.xml").write_bytes(without_buyer_reference())
    for _ in range(240):
        docs = httpx.get(f"{services.ingest_url}/v1/documents", headers={**services.auth, "X-Tenant": tenant},
                         timeout=10).json()
        if docs:
            break
        await asyncio.sleep(0.25)
    assert len(docs) == 1
    doc = await wait_for(services, str(docs[0]["id"]), lambda d: d["status"] in ("review", "approved", "exported"))
    assert doc["source"] == "inbox"
    assert_held_for_rules(doc)


async def test_an_invalid_einvoice_by_mail_waits_in_review(
    services: processes.ServiceSet, stack_state: stack.StackState, mail: Mail, masterdata: Path,  # noqa: F811
) -> None:
    await import_masterdata(stack_state, mail.tenant, masterdata)
    msg = new_mail("XRechnung 123456XX")
    msg.add_attachment(without_buyer_reference(), maintype="application", subtype="xml", filename="xrechnung.xml")
    message_id = mail.send(msg)
    assert mail.wait_filed(message_id) == "Processed"
    (found,) = [d for d in mail.documents() if d["filename"] == "xrechnung.xml"]
    doc = await wait_for(services, str(found["id"]), lambda d: d["status"] in ("review", "approved", "exported"))
    assert doc["source"] == "email"
    assert_held_for_rules(doc)
