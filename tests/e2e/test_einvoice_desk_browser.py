"""The desk shows an e-invoice as a document (the official XRechnung visualisation) beside its failed rules and
the fields where a hybrid PDF's picture disagrees with its XML (Debian's chromium through Playwright)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from belegflow_ops import processes, stack
from tests.conftest import add_user, import_masterdata
from tests.e2e.test_desk_browser import PASSWORD, browser, local  # noqa: F401 - the fixture
from tests.e2e.test_einvoice_pipeline import masterdata  # noqa: F401 - the fixture
from tests.e2e.test_einvoice_validation import HYBRID, upload_bytes, without_buyer_reference
from tests.e2e.test_review import wait_for

pytestmark = pytest.mark.e2e


async def _sign_in(page: Any, services: processes.ServiceSet, user: str) -> None:
    from playwright.async_api import expect

    await page.goto(f"{local(services)}/desk/login")
    await page.get_by_label("User name").fill(user)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Documents: review")).to_be_visible()


async def test_the_desk_shows_the_einvoice_its_failed_rules_and_the_disagreeing_fields(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any,  # noqa: F811
    masterdata: Path,  # noqa: F811
) -> None:
    from playwright.async_api import expect

    # GIVEN an XRechnung without its buyer reference and a Factur-X PDF whose page disagrees with its XML, in review
    await import_masterdata(stack_state, tenant, masterdata)
    invalid = upload_bytes(services, tenant, "xrechnung.xml", without_buyer_reference(), "application/xml")
    assert invalid.status_code == 201, invalid.text
    hybrid = upload_bytes(services, tenant, HYBRID.name, HYBRID.read_bytes(), "application/pdf")
    assert hybrid.status_code == 201, hybrid.text
    for answer in (invalid, hybrid):
        doc = await wait_for(services, answer.json()["id"], lambda d: d["status"] == "review")
        assert doc["status"] == "review"
    add_user(stack_state, f"desk-{tenant}", PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
    page = await (await browser.new_context()).new_page()
    await _sign_in(page, services, f"desk-{tenant}")

    # WHEN the clerk opens the invalid e-invoice
    await page.goto(f"{local(services)}/desk/documents/{invalid.json()['id']}")
    # THEN the verdict and the failed rule stand beside the e-invoice shown as a document
    await expect(page.get_by_role("heading", name="E-invoice", exact=True)).to_be_visible()
    await expect(page.get_by_text("invalid", exact=True)).to_be_visible()
    rules = page.get_by_role("table", name="Failed rules")
    await expect(rules.get_by_role("row").filter(has_text="BR-DE-15")).to_contain_text("Buyer reference")
    frame = page.frame_locator("iframe[title='E-invoice as a document']")
    await expect(frame.get_by_text("123456XX").first).to_be_visible()
    # (KoSIT's page, framed by the desk only, nothing loaded from elsewhere)
    view = await page.request.get(f"{local(services)}/desk/documents/{invalid.json()['id']}/einvoice?lang=en")
    assert view.status == 200
    policy = view.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in policy
    assert "default-src 'none'" in policy
    # AND the validation has its own protocol section, and the review reason names the rule
    await expect(page.get_by_role("heading", name="E-invoice validation")).to_be_visible()
    await expect(page.get_by_role("region", name="Why it needs review")).to_contain_text("BR-DE-15")

    # WHEN the clerk opens the hybrid PDF
    await page.goto(f"{local(services)}/desk/documents/{hybrid.json()['id']}")
    # THEN the field where the page and the XML disagree is named with both values
    picture = page.get_by_role("table", name="Picture against XML")
    row = picture.get_by_role("row").filter(has_text="gross_amount")
    await expect(row).to_contain_text("3000.00")
    await expect(row).to_contain_text("3042.00")
    await expect(page.frame_locator("iframe[title='E-invoice as a document']").get_by_text("FA-2026-0001").first
                 ).to_be_visible()


async def test_the_visualisation_needs_a_signed_in_clerk(services: processes.ServiceSet) -> None:
    with httpx.Client(base_url=local(services), timeout=30) as client:
        answer = client.get("/desk/documents/3f2b8c1e-0d4a-4e5b-9c6d-7e8f9a0b1c2d/einvoice")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/desk/login"
