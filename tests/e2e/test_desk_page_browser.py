"""The desk a clerk would choose, in a real browser (Debian's chromium through Playwright): the page beside the
fields with the read boxes, a click on a word fills the focused field."""

from __future__ import annotations

from typing import Any

import pytest

from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, add_user, upload
from tests.e2e.test_desk_browser import browser, local  # noqa: F401  (the browser fixture)
from tests.e2e.test_review import wait_for

pytestmark = pytest.mark.e2e
PASSWORD = "desk page 2024"


async def sign_in(browser: Any, services: processes.ServiceSet, user: str, *,  # noqa: F811
                  locale: str = "en-GB") -> Any:
    from playwright.async_api import expect

    page = await (await browser.new_context(locale=locale, viewport={"width": 1600, "height": 1000})).new_page()
    await page.goto(f"{local(services)}/desk/login")
    await page.locator("#username").fill(user)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form.login button[type=submit]").click()
    await expect(page.locator("main h1")).to_be_visible()
    return page


def _box(attrs: dict[str, str]) -> tuple[float, float, float, float]:
    x, y = float(attrs["x"]), float(attrs["y"])
    return x, y, x + float(attrs["width"]), y + float(attrs["height"])


async def _attrs(locator: Any) -> dict[str, str]:
    found: dict[str, str] = await locator.evaluate(
        "e => Object.fromEntries(['x', 'y', 'width', 'height'].map(n => [n, e.getAttribute(n)]))")
    return found


async def test_the_page_shows_each_read_fields_box_and_a_click_on_a_word_fills_the_focused_field(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any  # noqa: F811
) -> None:
    from playwright.async_api import expect

    # GIVEN an invoice in review, read from its text layer, and a clerk
    document_id = upload(services, tenant, SAMPLES / "invoices" / "invoice-01-din.pdf").json()["id"]
    doc = await wait_for(services, document_id, lambda d: d["status"] == "review")
    read = doc["fields"]["fields"]["invoice_number"]
    add_user(stack_state, f"page-{tenant}", PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
    page = await sign_in(browser, services, f"page-{tenant}")

    # WHEN the clerk opens it
    await page.goto(f"{local(services)}/desk/documents/{document_id}")
    # THEN the first page is shown beside the fields, rendered by the server
    picture = page.get_by_role("img", name="Page 1 of 1")
    await expect(picture).to_be_visible()
    href = await page.locator(".sheet image").get_attribute("href")
    answer = await page.request.get(f"{local(services)}{href}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/png"
    # AND the invoice number's box is drawn where recognition read it, around the number's word on the page
    box = page.locator('.field-box[data-field="invoice_number"]')
    assert _box(await _attrs(box)) == pytest.approx(tuple(read["bbox"]), abs=0.01)
    word = page.locator(f'.word[data-text="{read["value"]}"]').first
    wx0, wy0, wx1, wy1 = _box(await _attrs(word))
    bx0, by0, bx1, by1 = _box(await _attrs(box))
    assert bx0 - 1 <= wx0 and wx1 <= bx1 + 1 and by0 - 1 <= wy0 and wy1 <= by1 + 1

    # WHEN the clerk focuses the invoice number field THEN its box lights up
    field = page.get_by_label("Invoice number", exact=True)
    await field.focus()
    await expect(box).to_have_class("field-box lit")
    # WHEN the clerk empties it and clicks the number's word on the page
    await field.fill("")
    await word.click(force=True)
    # THEN the word fills the focused field, which keeps the focus
    await expect(field).to_have_value(read["value"])
    await expect(field).to_be_focused()
    # AND the page can be zoomed
    await page.get_by_role("button", name="Zoom in").click()
    assert await page.locator(".sheet svg").get_attribute("data-zoom") == "2"
