"""The desk's decisions and queue in a real browser (Debian's chromium through Playwright): approval limits and four
eyes, nobody approves their own correction, bulk approval within each person's limit, search and filters, the
keyboard flow, and axe-core finding no serious or critical accessibility violation on any desk page."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import httpx
import pytest

from belegflow_ops import processes, stack
from tests.conftest import REPO, SAMPLES, add_user, basic, import_masterdata, upload
from tests.e2e.test_desk_browser import browser, local  # noqa: F401  (the browser fixture)
from tests.e2e.test_desk_page_browser import PASSWORD, sign_in
from tests.e2e.test_review import wait_for

pytestmark = pytest.mark.e2e
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def limit(state: stack.StackState, user: str, *limits: str) -> str:
    """``belegflow users limit USER --approval-limit TENANT=AMOUNT``, as an operator sets it."""
    args = [sys.executable, "-m", "belegflow_ops", "users", "limit", user]
    for given in limits:
        args += ["--approval-limit", given]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "BELEGFLOW_HOME": state.home})
    assert done.returncode == 0, done.stderr
    return done.stdout


async def in_review(services: processes.ServiceSet, tenant: str, *names: str) -> list[str]:
    ids = [upload(services, tenant, SAMPLES / "invoices" / name).json()["id"] for name in names]
    for document_id in ids:
        assert (await wait_for(services, document_id, lambda d: d["status"] == "review"))["status"] == "review"
    return ids


def choose_supplier(services: processes.ServiceSet, tenant: str, user: str, document_id: str, number: str) -> None:
    """A clerk prepares an invoice over the API: chooses its supplier (which makes them one who changed it)."""
    version = httpx.get(f"{services.ingest_url}/v1/documents/{document_id}", headers=services.auth,
                        timeout=10).json()["review"]["version"]
    answer = httpx.post(f"{services.ingest_url}/v1/documents/{document_id}/review/supplier",
                        json={"expected_version": version, "supplier_number": number},
                        headers={"X-Tenant": tenant, **basic(user, PASSWORD)}, timeout=30)
    assert answer.status_code == 200, answer.text


async def test_above_a_limit_a_second_person_approves_and_nobody_approves_their_own_correction(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any  # noqa: F811
) -> None:
    from playwright.async_api import expect

    # GIVEN an invoice of 6,114.08 in review, and three people with approval limits in the tenant
    (document_id,) = await in_review(services, tenant, "invoice-01-din.pdf")
    await import_masterdata(stack_state, tenant)
    added = subprocess.run(
        [sys.executable, "-m", "belegflow_ops", "users", "add", f"anna-{tenant}", "--role", "clerk", "--role",
         "approver", "--tenant", tenant, "--approval-limit", f"{tenant}=10000"], input=f"{PASSWORD}\n",
        capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "BELEGFLOW_HOME": stack_state.home})
    assert added.returncode == 0, added.stderr
    assert f"approval limits {tenant} 10000.00" in added.stdout
    for user, amount in (("clara", "1000"), ("ben", "10000")):
        add_user(stack_state, f"{user}-{tenant}", PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
        assert f"{tenant} {amount}" in limit(stack_state, f"{user}-{tenant}", f"{tenant}={amount}")
    anna = await sign_in(browser, services, f"anna-{tenant}")
    await anna.goto(f"{local(services)}/desk/documents/{document_id}")
    # WHEN anna chooses the supplier and then approves
    await anna.get_by_label("Supplier number").fill("70001")
    await anna.get_by_role("button", name="Choose supplier").click()
    await expect(anna.get_by_role("status")).to_have_text("Supplier chosen.")
    await anna.get_by_role("button", name="Approve").click()
    # THEN it is refused: she changed the invoice, within her limit or not
    await expect(anna.get_by_role("alert")).to_contain_text("corrected this invoice")

    # WHEN clara, whose limit is 1,000, approves it
    clara = await sign_in(browser, services, f"clara-{tenant}")
    await clara.goto(f"{local(services)}/desk/documents/{document_id}")
    await clara.get_by_role("button", name="Approve").click()
    # THEN hers is the first approval; it waits for a second person, and she cannot give the second
    await expect(clara.get_by_role("status")).to_contain_text("First approval recorded")
    await expect(clara.get_by_text(re.compile(f"First approval by user:clara-{tenant}"))).to_be_visible()
    assert (await wait_for(services, document_id, lambda d: True))["status"] == "review"
    await clara.get_by_role("button", name="Approve").click()
    await expect(clara.get_by_role("alert")).to_contain_text("gave the first approval already")

    # AND over the API the same rules hold: anna's approval of her own change is refused there too
    version = (await wait_for(services, document_id, lambda d: True))["review"]["version"]
    refused = httpx.post(f"{services.ingest_url}/v1/documents/{document_id}/review/approve",
                         json={"expected_version": version},
                         headers={"X-Tenant": tenant, **basic(f"anna-{tenant}", PASSWORD)}, timeout=30)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "own-correction"

    # WHEN ben, whose limit covers it, approves
    ben = await sign_in(browser, services, f"ben-{tenant}")
    await ben.goto(f"{local(services)}/desk/documents/{document_id}")
    await ben.get_by_role("button", name="Approve").click()
    # THEN it is approved, and the audit trail shows both steps and who took them
    await expect(ben.get_by_role("status")).to_have_text(re.compile("^Approved"))
    await expect(ben.get_by_role("row", name=re.compile(f"first approval user:clara-{tenant}"))).to_be_visible()
    await expect(ben.get_by_role("row", name=re.compile(
        f"approved user:ben-{tenant} .*second approval, after the first by user:clara-{tenant}"))).to_be_visible()
    # AND it goes on
    doc = await wait_for(services, document_id, lambda d: d["status"] in ("approved", "exported"))
    assert doc["status"] in ("approved", "exported")


async def test_a_clerk_searches_filters_and_approves_in_bulk_within_the_limit_by_keyboard_too(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any  # noqa: F811
) -> None:
    from playwright.async_api import expect

    # GIVEN three invoices in review (6,524.42, 9,898.53 and 13,236.27), their suppliers chosen by a clerk
    ids = await in_review(services, tenant, "invoice-02-modern.pdf", "invoice-03-english.pdf",
                          "invoice-04-compact.pdf")
    await import_masterdata(stack_state, tenant)
    add_user(stack_state, f"erik-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    for document_id, number in zip(ids, ("70002", "70003", "70004"), strict=True):
        choose_supplier(services, tenant, f"erik-{tenant}", document_id, number)
    # AND an approver whose limit is 10,000
    add_user(stack_state, f"dora-{tenant}", PASSWORD, roles=["approver"], tenants=[tenant])
    limit(stack_state, f"dora-{tenant}", f"{tenant}=10000")
    page = await sign_in(browser, services, f"dora-{tenant}")
    rows = page.locator("table.queue tbody tr")

    # THEN the queue counts them and lists each with its supplier, number and amount
    await expect(page.get_by_role("link", name="review: 3")).to_be_visible()
    await expect(rows).to_have_count(3)
    # WHEN dora searches by supplier name, invoice number, amount (either format) and invoice date
    await page.get_by_label("Supplier", exact=True).fill("alpen")
    await page.get_by_role("button", name="Search").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("INV-2024-2196")
    await page.get_by_role("link", name="Clear search").click()
    await page.get_by_label("Invoice number").fill("2024442")
    await page.get_by_role("button", name="Search").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("13,236.27")
    await page.get_by_role("link", name="Clear search").click()
    await page.get_by_label("Gross amount").fill("6.524,42")
    await page.get_by_role("button", name="Search").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("RE-24-00696")
    await page.get_by_role("link", name="Clear search").click()
    # AND filters by reason, channel and duplicate suspicion, and sorts by amount
    await page.get_by_label("Reason for review").select_option("supplier")
    await page.get_by_label("Channel").select_option("upload")
    await page.get_by_label("Sort").select_option("amount")
    await page.get_by_role("button", name="Search").click()
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("20244420")
    await expect(rows.nth(2)).to_contain_text("RE-24-00696")
    await page.get_by_label("Suspected duplicates only").check()
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_text("Nothing here.")).to_be_visible()
    await page.get_by_role("link", name="Clear search").click()
    # the queue page loaded again, its script with it, before a key is pressed
    await expect(rows).to_have_count(3)
    await page.wait_for_load_state("load")

    # WHEN dora pages through the queue by keyboard: j opens the first (newest) document, j the next, k back
    await page.keyboard.press("j")
    await expect(page.get_by_role("heading", name="invoice-04-compact.pdf")).to_be_visible()
    await page.wait_for_load_state("load")
    await page.keyboard.press("j")
    await expect(page.get_by_role("heading", name="invoice-03-english.pdf")).to_be_visible()
    await page.wait_for_load_state("load")
    await page.keyboard.press("k")
    await expect(page.get_by_role("heading", name="invoice-04-compact.pdf")).to_be_visible()
    await page.get_by_role("link", name="Back to the queue").click()

    # WHEN dora selects all three and approves them at once
    for name in ("invoice-02-modern.pdf", "invoice-03-english.pdf", "invoice-04-compact.pdf"):
        await page.get_by_label(f"Select {name}").check()
    await page.get_by_role("button", name="Approve selected").click()
    # THEN the two within her limit are approved, the one above it waits for a second approval
    await expect(page.get_by_role("status")).to_have_text("2 approved; 1 wait for a second approval.")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("20244420")
    for document_id in ids[:2]:
        doc = await wait_for(services, document_id, lambda d: d["status"] in ("approved", "exported"))
        assert doc["status"] in ("approved", "exported")

    # WHEN dora works by keyboard: j opens the first document, n goes to a field, Esc leaves it, r to the reason
    await page.wait_for_load_state("load")
    await page.keyboard.press("j")
    await expect(page.get_by_role("heading", name="invoice-04-compact.pdf")).to_be_visible()
    await page.wait_for_load_state("load")
    await expect(page.get_by_role("complementary", name="Keys")).to_contain_text("next / previous document")
    await page.keyboard.press("n")
    await expect(page.get_by_label("Document type")).to_be_focused()
    await page.keyboard.press("Escape")
    await page.keyboard.press("r")
    await expect(page.get_by_label("Reason", exact=True)).to_be_focused()
    await page.keyboard.type("not ours")
    await page.keyboard.press("Enter")
    # THEN it is rejected
    await expect(page.get_by_role("status")).to_have_text(re.compile("^Rejected"))


async def test_axe_finds_no_serious_or_critical_violation_on_any_desk_page(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, browser: Any  # noqa: F811
) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: `make install` runs npm ci in tests/browser")
    # GIVEN a document in review and a clerk, in English and in German
    (document_id,) = await in_review(services, tenant, "invoice-05-din.pdf")
    add_user(stack_state, f"axe-{tenant}", PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
    for locale in ("en-GB", "de-DE"):
        # axe is injected into the page: the desk's CSP (rightly) refuses scripts it did not serve
        context = await browser.new_context(locale=locale, bypass_csp=True, viewport={"width": 1600, "height": 1000})
        page = await context.new_page()
        pages = ["/desk/login"]
        await page.goto(f"{local(services)}/desk/login")
        found = await _violations(page)
        await page.locator("#username").fill(f"axe-{tenant}")
        await page.locator("#password").fill(PASSWORD)
        await page.locator("form.login button[type=submit]").click()
        for path in ("/desk", "/desk?status=approved", f"/desk/documents/{document_id}", "/desk/learning",
                     "/desk?status=review&amount=oops"):
            await page.goto(f"{local(services)}{path}")
            pages.append(path)
            found += await _violations(page)
        # THEN none is serious or critical
        assert [v for v in found if v["impact"] in ("serious", "critical")] == [], (locale, pages)
        await context.close()


async def _violations(page: Any) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map("
        "v => ({id: v.id, impact: v.impact, help: v.help, where: location.pathname + location.search, "
        "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
    return found

