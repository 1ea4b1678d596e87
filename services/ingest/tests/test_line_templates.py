"""A creditor's line template made from a corrected line table and the page's words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from belegflow_ingest import line_templates, pages

PRODUCT: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "invoice-01-words.json").read_text())
KEYS = ["DE34200505501234567890"]


def test_the_columns_are_where_the_corrected_values_stand() -> None:
    # GIVEN invoice-01's three lines and its words (recognition's work product)
    words = pages.layout_of(PRODUCT).words
    # WHEN a template is made from the lines
    template = line_templates.derive(PRODUCT["lines"], words, supplier_number="70001", supplier_keys=KEYS)
    # THEN its columns are in page order, around their values, and the table lies between header and totals
    assert [c.name for c in template.columns] == ["position", "description", "quantity", "unit_price", "net_amount"]
    net = next(c for c in template.columns if c.name == "net_amount")
    totals = [max((w for w in words if w.text == text), key=lambda w: w.bbox[0]) for text in ("811,77", "2.497,53")]
    assert all(net.x0 <= (w.bbox[0] + w.bbox[2]) / 2 <= net.x1 for w in totals)
    unit = next(c for c in template.columns if c.name == "unit_price")
    assert unit.x1 <= net.x0
    assert (template.table_start, template.table_end) == ("Beschreibung", ["Nettobetrag"])
    assert template.new_item == "position"
    assert template.supplier_keys == KEYS


def test_a_corrected_amount_is_looked_for_as_corrected() -> None:
    # GIVEN the clerk corrected line 3's net amount to one the page does not print
    lines = [dict(line) for line in PRODUCT["lines"]]
    lines[2]["net_amount"] = "9999.99"
    template = line_templates.derive(lines, pages.layout_of(PRODUCT).words, supplier_number="70001",
                                     supplier_keys=KEYS)
    # THEN the other lines still place the columns
    assert "net_amount" in [c.name for c in template.columns]


@pytest.mark.parametrize(("lines", "keys", "why"), [
    (PRODUCT["lines"], [], "IBAN or VAT ID"),
    ([], KEYS, "no lines"),
    ([{"position": 1, "description": "x", "net_amount": "1.23"}], KEYS, "net amount was found"),
])
def test_what_is_missing_is_said(lines: list[dict[str, Any]], keys: list[str], why: str) -> None:
    with pytest.raises(line_templates.TemplateError, match=why):
        line_templates.derive(lines, pages.layout_of(PRODUCT).words, supplier_number="70001", supplier_keys=keys)
