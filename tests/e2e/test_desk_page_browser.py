"""The desk a clerk would choose, in a real browser (Debian's chromium through Playwright): the page beside the
fields with the read boxes, a click on a word fills the focused field."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, add_user, import_masterdata, upload
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
    assert bx0 - 1 <= wx0 <= wx1 <= bx1 + 1
    assert by0 - 1 <= wy0 <= wy1 <= by1 + 1

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
    # WHEN the clerk drags a box around the word instead
    await field.fill("")
    around = await word.bounding_box()
    await page.mouse.move(around["x"] - 4, around["y"] - 3)
    await page.mouse.down()
    await page.mouse.move(around["x"] + around["width"] + 4, around["y"] + around["height"] + 3, steps=4)
    await page.mouse.up()
    # THEN the words inside it fill the field
    await expect(field).to_have_value(read["value"])
    # AND the README's picture of the desk is taken here (`make desk-screenshot`), with the field's box lit
    if folder := os.environ.get("BELEGFLOW_SCREENSHOT_DIR"):
        await page.get_by_role("heading", name="Page 1 of 1").evaluate("e => e.scrollIntoView()")
        await page.screenshot(path=str(Path(folder) / "desk.png"), full_page=False)
    # AND the page can be zoomed
    await page.get_by_role("button", name="Zoom in").click()
    assert await page.locator(".sheet svg").get_attribute("data-zoom") == "2"


async def test_a_german_browser_gets_the_german_desk_reads_german_amounts_and_can_switch_to_english(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any  # noqa: F811
) -> None:
    from playwright.async_api import expect

    # GIVEN an invoice in review and a clerk whose browser asks for German
    document_id = upload(services, tenant, SAMPLES / "invoices" / "invoice-03-english.pdf").json()["id"]
    await wait_for(services, document_id, lambda d: d["status"] == "review")
    add_user(stack_state, f"deutsch-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    page = await sign_in(browser, services, f"deutsch-{tenant}", locale="de-DE")
    # THEN the queue and the document speak German
    await expect(page.get_by_role("heading", name="Belege: Prüfung")).to_be_visible()
    await page.goto(f"{local(services)}/desk/documents/{document_id}")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.get_by_role("heading", name="Rechnung", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Korrekturen speichern")).to_be_visible()
    # WHEN the clerk types the gross amount and the date the German way and saves
    await page.get_by_label("Bruttobetrag").fill("1.234,50")
    await page.get_by_label("Rechnungsdatum").fill("17.03.2024")
    await page.get_by_role("button", name="Korrekturen speichern").click()
    # THEN they are saved as 1234.50 and 2024-03-17, and shown in German
    await expect(page.get_by_role("status")).to_have_text("Korrekturen gespeichert.")
    await expect(page.get_by_label("Bruttobetrag")).to_have_value("1.234,50")
    await expect(page.get_by_label("Rechnungsdatum")).to_have_value("17.03.2024")
    doc = await wait_for(services, document_id, lambda d: (d.get("review") or {}).get("version", 0) >= 2)
    assert doc["review"]["invoice"]["gross_amount"] == "1234.50"
    assert doc["review"]["invoice"]["invoice_date"] == "2024-03-17"

    # WHEN the clerk switches to English
    await page.get_by_role("link", name="English").click()
    # THEN the same page speaks English, with English formats, and typed English amounts are read as well
    await expect(page.get_by_role("heading", name="Invoice", exact=True)).to_be_visible()
    await expect(page.get_by_label("Gross amount")).to_have_value("1,234.50")
    await expect(page.get_by_label("Invoice date")).to_have_value("17/03/2024")
    await page.get_by_label("Gross amount").fill("1,234.56")
    await page.get_by_role("button", name="Save corrections").click()
    await expect(page.get_by_role("status")).to_have_text("Corrections saved.")
    await expect(page.get_by_label("Gross amount")).to_have_value("1,234.56")


async def test_a_clerk_corrects_a_line_and_saves_the_lines_as_the_suppliers_line_template(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any  # noqa: F811
) -> None:
    from playwright.async_api import expect

    # GIVEN a collective invoice in review whose supplier the clerk chose
    document_id = upload(services, tenant, SAMPLES / "invoices" / "invoice-01-din.pdf").json()["id"]
    await wait_for(services, document_id, lambda d: d["status"] == "review")
    await import_masterdata(stack_state, tenant)
    add_user(stack_state, f"lines-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    page = await sign_in(browser, services, f"lines-{tenant}")
    await page.goto(f"{local(services)}/desk/documents/{document_id}")
    await page.get_by_label("Supplier number").fill("70001")
    await page.get_by_role("button", name="Choose supplier").click()
    await expect(page.get_by_role("status")).to_have_text("Supplier chosen.")
    # THEN the lines read are in the table, each value editable
    await expect(page.get_by_label("Line 3: Net amount")).to_have_value("2,497.53")
    # WHEN the clerk adds the air waybill to line 2's references and corrects line 3's quantity
    references = page.get_by_label("Line 2: References")
    await references.fill(await references.input_value() + " MAWB 020-12345675")
    await page.get_by_label("Line 3: Quantity").fill("3")
    await page.get_by_role("button", name="Save lines").click()
    # THEN the lines are saved as a correction, in the audit trail
    await expect(page.get_by_role("status")).to_have_text("Lines saved.")
    await expect(page.get_by_label("Line 2: References")).to_have_value(re.compile("MAWB 020-12345675$"))
    doc = await wait_for(services, document_id, lambda d: len((d.get("review") or {}).get("changes") or []) > 0)
    assert doc["review"]["invoice"]["lines"][1]["reference_text"].endswith("MAWB 020-12345675")
    await expect(page.get_by_role("row", name=re.compile("corrected by .*: lines '"))).to_be_visible()

    # WHEN the clerk saves the lines as the supplier's line template
    await page.get_by_role("button", name="Save as the supplier's line template").click()
    # THEN it is the creditor's template, listed on the learned page
    await expect(page.get_by_role("status")).to_contain_text("Saved as the supplier's line template")
    await page.get_by_role("link", name="learned").click()
    await expect(page.get_by_text("Supplier 70001: table under 'Beschreibung', 5 columns")).to_be_visible()
