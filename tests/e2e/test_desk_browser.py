"""The review page in a real browser (Debian's chromium through Playwright), and its guards over plain HTTP."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import TmsExportV1
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, add_user, import_masterdata, stream_messages, upload
from tests.e2e.test_review import wait_for

pytestmark = pytest.mark.e2e
PASSWORD = "desk password 2024"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def local(services: processes.ServiceSet) -> str:
    # the browser counts localhost as a secure origin, so it keeps the Secure session cookie over plain HTTP
    return f"http://localhost:{services.ingest_port}"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine: `make install` installs Debian's chromium where it runs as root")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def test_a_clerk_signs_in_corrects_approves_and_the_export_appears_and_a_rejection_never_exports(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, browser: Any
) -> None:
    from playwright.async_api import expect

    # GIVEN two invoices in review (their supplier was not in master data yet), and a clerk who may approve
    first = upload(services, tenant, SAMPLES / "invoices" / "invoice-01-din.pdf").json()["id"]
    second = upload(services, tenant, SAMPLES / "invoices" / "invoice-05-din.pdf").json()["id"]
    for document_id in (first, second):
        assert (await wait_for(services, document_id, lambda d: d["status"] == "review"))["status"] == "review"
    await import_masterdata(stack_state, tenant)
    add_user(stack_state, f"desk-{tenant}", PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
    page = await (await browser.new_context()).new_page()

    # WHEN the clerk signs in
    await page.goto(f"{local(services)}/desk/login")
    await page.get_by_label("User name").fill(f"desk-{tenant}")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Documents: review")).to_be_visible()

    # AND opens the first invoice from the queue
    await page.get_by_role("link", name="invoice-01-din.pdf").click()
    await expect(page.get_by_role("heading", name="invoice-01-din.pdf")).to_be_visible()

    # AND chooses the supplier, corrects the invoice number and approves
    await page.get_by_label("Supplier number").fill("70001")
    await page.get_by_role("button", name="Choose supplier").click()
    await expect(page.get_by_role("status")).to_have_text("Supplier chosen.")
    await page.get_by_label("Invoice number").fill("RE-24-08133-K")
    await page.get_by_role("button", name="Save corrections").click()
    await expect(page.get_by_role("status")).to_have_text("Corrections saved.")
    await expect(page.get_by_label("Invoice number")).to_have_value("RE-24-08133-K")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_have_text(re.compile("^Approved"))

    # THEN the TMS export appears, once, with the corrected number
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)
    (export,) = [TmsExportV1.model_validate_json(m.data) for m in msgs]
    assert str(export.document_id) == first
    assert export.invoice_number == "RE-24-08133-K"

    # WHEN the clerk rejects the second one with a reason
    await page.goto(f"{local(services)}/desk/documents/{second}")
    await page.get_by_label("Reason").fill("not ours")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.get_by_role("status")).to_have_text(re.compile("^Rejected"))
    # THEN it is never exported: the first export stays the only one
    assert len(await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=5)) == 1


async def test_the_page_guards_its_session_forms_and_output(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    base = services.ingest_url
    # GIVEN a clerk and a document whose file name carries markup
    add_user(stack_state, f"guard-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    data = (SAMPLES / "invoices" / "invoice-03-english.pdf").read_bytes()
    uploaded = httpx.post(f"{base}/v1/documents", files={"file": ("<img src=x onerror=alert(1)>.pdf", data)},
                          headers={"X-Tenant": tenant, **services.auth}, timeout=60)
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    # a wrong password is refused
    wrong = httpx.post(f"{base}/desk/login", data={"username": f"guard-{tenant}", "password": "nope"}, timeout=30)
    assert wrong.status_code == 401
    assert "Wrong user name or password" in wrong.text
    # WHEN the clerk signs in THEN the session cookie is Secure, HttpOnly and SameSite=Strict
    signed_in = httpx.post(f"{base}/desk/login", data={"username": f"guard-{tenant}", "password": PASSWORD},
                           timeout=30)
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert {"secure", "httponly", "samesite=strict"} <= {part.strip().lower() for part in cookie.split(";")}
    value = cookie.split(";")[0].split("=", 1)[1]
    session = {"Cookie": f"belegflow_session={value}"}
    # AND the markup in the file name is shown escaped, never run
    page = httpx.get(f"{base}/desk/documents/{document_id}", headers=session, timeout=30)
    assert page.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in page.text
    assert "<img src=x" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    # AND a form posted without the session's CSRF token changes nothing
    forged = httpx.post(f"{base}/desk/documents/{document_id}/reject", headers=session,
                        data={"expected_version": "1", "reason": "forged", "csrf": "guess"}, timeout=30)
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    # AND without a session the page sends the browser to sign in; a forged cookie is no session
    assert httpx.get(f"{base}/desk", timeout=30).headers.get("location") == "/desk/login"
    forged_cookie = {"Cookie": f"belegflow_session={value.replace('guard', 'admin')}"}
    assert httpx.get(f"{base}/desk", headers=forged_cookie, timeout=30).headers.get("location") == "/desk/login"
    # AND the page's assets are served by ingest itself
    css = httpx.get(f"{base}/static/desk.css", timeout=10)
    assert css.status_code == 200
    assert "font-family" in css.text


def test_the_api_description_page_needs_no_network_beyond_ingest(services: processes.ServiceSet) -> None:
    page = httpx.get(f"{services.ingest_url}/docs", timeout=10)
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert httpx.get(f"{services.ingest_url}/docs-assets/{asset}", timeout=10).status_code == 200
