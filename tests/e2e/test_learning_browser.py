"""Corrections teach, through the review page in a real browser: correct, approve, and the supplier's next invoices
come out right and touchless (also the one that was already waiting, read again in one action)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from belegflow_ingest.i18n import Texts
from belegflow_ops import processes, stack
from tests.conftest import add_user, upload
from tests.e2e.test_desk_browser import browser, local  # noqa: F401  (the browser fixture)
from tests.e2e.test_learning import (
    KEY_FIELDS,
    import_supplier,
    pdf,
    settled,
    truth_of,
    unseen_supplier,
    value,
    wait_learned,
)
from tests.e2e.test_review import wait_for

pytestmark = pytest.mark.e2e
PASSWORD = "learning desk 2024"
LABELS = {"invoice_number": "Invoice number", "invoice_date": "Invoice date", "due_date": "Due date",
          "net_amount": "Net amount", "tax_amount": "Tax amount", "gross_amount": "Gross amount"}


async def test_a_clerk_corrects_on_the_page_and_the_suppliers_next_invoices_are_right_and_touchless(
    services: processes.ServiceSet, stack_state: stack.StackState, browser: Any, tmp_path: Path  # noqa: F811
) -> None:
    from playwright.async_api import expect

    tenant = "learning"  # the production threshold (0.9), see tests/conftest.py
    user = "desk-learning"
    add_user(stack_state, user, PASSWORD, roles=["clerk", "approver"], tenants=[tenant])
    # GIVEN a supplier in master data with a layout the base extractor cannot read, and two of its invoices
    # waiting for review
    made, (first, second, third) = unseen_supplier(502, seed=12)
    await import_supplier(stack_state, tenant, made, tmp_path)
    one = upload(services, tenant, pdf(first, tmp_path, "learn-first.pdf")).json()["id"]
    waiting = upload(services, tenant, pdf(third, tmp_path, "learn-waiting.pdf")).json()["id"]
    doc = await settled(services, one)
    assert doc["status"] == "review"
    assert (await settled(services, waiting))["status"] == "review"
    wrong = [name for name in KEY_FIELDS if value(doc, name) != truth_of(first, name)]
    assert "invoice_number" in wrong

    # WHEN the clerk signs in, opens the first invoice and corrects what was read wrong
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{local(services)}/desk/login")
    await page.get_by_label("User name").fill(user)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{local(services)}/desk/documents/{one}")
    for name in wrong:
        await page.get_by_label(LABELS[name], exact=True).fill(truth_of(first, name))
    await page.get_by_role("button", name="Save corrections").click()
    await expect(page.get_by_role("status")).to_have_text("Corrections saved.")
    # AND approves it
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_have_text(re.compile("^Approved"))

    # THEN the page lists what was learned, from whose correction
    await wait_learned(services, tenant, made.number, fields=len(KEY_FIELDS))
    await page.get_by_role("link", name="learned").click()
    await expect(page.get_by_role("heading", name=re.compile(f"Supplier {made.number} "))).to_be_visible()
    await expect(page.get_by_role("row", name=re.compile(f"^invoice_number .* correction of {one} by user:{user}")))\
        .to_be_visible()

    # WHEN the clerk has the supplier's waiting invoices read again, from the first invoice's page
    await page.goto(f"{local(services)}/desk/documents/{one}")
    await page.get_by_role("button", name="Read this supplier's waiting invoices again").click()
    await expect(page.get_by_role("status")).to_have_text(
        f"1 waiting invoice(s) of supplier {made.number} are read again.")
    # THEN the one that was waiting is now right and approved touchless
    again = await wait_for(services, waiting, lambda d: d["status"] == "exported" or (
        d["revision"] > 1 and d["status"] in ("review", "failed", "rejected")))
    assert again["status"] == "exported", again.get("review")
    assert again["review"]["action"] == "touchless"
    assert {n: value(again, n) for n in KEY_FIELDS} == {n: truth_of(third, n) for n in KEY_FIELDS}

    # WHEN the supplier's next invoice is uploaded
    two = upload(services, tenant, pdf(second, tmp_path, "learn-next.pdf")).json()["id"]
    assert (await settled(services, two))["status"] == "exported"
    # THEN the page shows it exported touchless, every value right, and says where the values came from
    await page.goto(f"{local(services)}/desk/documents/{two}")
    await expect(page.get_by_text("Status exported")).to_be_visible()
    for name in KEY_FIELDS:
        # the page shows dates and amounts in its language's format (English: 03/09/2024, 1,234.50)
        kind = "date" if name.endswith("_date") else "amount" if name.endswith("_amount") else None
        await expect(page.get_by_label(LABELS[name], exact=True)).to_have_value(
            Texts("en").shown(kind, truth_of(second, name)))
    await expect(page.get_by_text(re.compile(
        f"invoice_number: {re.escape(truth_of(second, 'invoice_number'))} - learned from the correction of "
        f"document {one} by user:{user}"))).to_be_visible()
    await expect(page.get_by_role("region", name="Audit trail").get_by_text("approved automatically (touchless)"))\
        .to_be_visible()

    # WHEN the clerk forgets the layout on the page THEN it is gone from the list
    await page.get_by_role("link", name="learned").click()
    heading = page.get_by_role("heading", name=re.compile(f"Supplier {made.number} "))
    layout_id = (await heading.text_content() or "").rsplit(" ", 1)[-1]
    await page.get_by_role("button", name=f"Forget layout {layout_id}").click()
    await expect(page.get_by_role("status")).to_have_text(f"Forgotten: layout {layout_id} of supplier {made.number}.")
    await expect(heading).to_have_count(0)

    # WHEN the clerk pastes a line template that breaks the format THEN it is refused, naming the field
    from bench.learning.collective import creditor, template_of

    template = template_of(creditor(603, random.Random(3)))
    broken = {**template.model_dump(mode="json"), "columns": [{"name": "description", "x0": 10, "x1": 20},
                                                              {"name": "quantity", "x0": 30, "x1": 40}]}
    await page.get_by_label("Line template (JSON)").fill(json.dumps(broken))
    await page.get_by_role("button", name="Import line template").click()
    await expect(page.get_by_role("alert")).to_contain_text("a net_amount column is required")
    # AND a good one is imported, listed and offered for download
    await page.get_by_label("Line template (JSON)").fill(template.model_dump_json())
    await page.get_by_role("button", name="Import line template").click()
    await expect(page.get_by_role("status")).to_have_text(
        f"Line template of supplier {template.supplier_number} imported.")
    await expect(page.get_by_role("link", name=f"Download template of {template.supplier_number}")).to_be_visible()
