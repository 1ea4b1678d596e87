"""The API description page (/docs) in a real browser: Swagger UI renders every operation of the OpenAPI 3.1
document, and "Try it out" with a user's Basic credentials answers."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from belegflow_ops import processes, stack
from tests.conftest import add_user
from tests.e2e.test_desk_browser import browser, local

pytestmark = pytest.mark.e2e
PASSWORD = "docs password 2024"
__all__ = ["browser"]  # the fixture, from the review page's browser test


async def test_docs_renders_every_operation_and_try_it_out_with_basic_credentials_answers(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any
) -> None:
    from playwright.async_api import expect

    doc = httpx.get(f"{services.ingest_url}/openapi.json", timeout=30).json()
    operations = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    add_user(stack_state, f"docs-{tenant}", PASSWORD, roles=["integrator"], tenants=[tenant])
    page = await (await browser.new_context()).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # WHEN someone opens /docs
    await page.goto(f"{local(services)}/docs")

    # THEN Swagger UI renders the document (no "Unable to render this definition") with every operation
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("belegflow ingest")
    await expect(page.locator(".opblock")).to_have_count(len(operations))
    shown = set()
    for block in await page.locator(".opblock").all():
        method = (await block.locator(".opblock-summary-method").inner_text()).strip().upper()
        path = (await block.locator(".opblock-summary-path").get_attribute("data-path")) or ""
        shown.add((method, path))
    assert shown == operations
    assert await page.get_by_text("Unable to render this definition").count() == 0
    assert not errors, errors

    # WHEN they authorise with a user's Basic credentials
    await page.locator(".auth-wrapper .authorize").click()
    basic = page.locator(".auth-container").filter(has_text="basic")
    await basic.locator("input[type=text]").fill(f"docs-{tenant}")
    await basic.locator("input[type=password]").fill(PASSWORD)
    await basic.locator("button.authorize").click()
    await expect(basic.get_by_role("button", name="Remove authorization")).to_be_visible()  # applied
    await page.locator(".modal-ux .close-modal").click()

    # AND try out the list of documents
    listing = page.locator(".opblock-get").filter(
        has=page.locator('.opblock-summary-path[data-path="/v1/documents"]'))
    await listing.locator(".opblock-summary").click()
    await listing.locator(".try-out__btn").click()
    await listing.locator('tr[data-param-name="X-Tenant"] input').fill(tenant)
    await listing.locator(".execute").click()

    # THEN the browser sent the credentials and ingest answered 200 with the tenant's (empty) list
    live = listing.locator(".live-responses-table .response .response-col_status")
    await expect(live.first).to_have_text(re.compile(r"^\s*200"), timeout=30_000)
    body = listing.locator(".live-responses-table td.response-col_description:not(.col_header)")
    await expect(body).to_contain_text("[]")
    curl = await listing.locator(".curl-command").inner_text()
    assert "Authorization: Basic" in curl
