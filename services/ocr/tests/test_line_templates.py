"""Creditors' line templates: the file format's checks, and collective invoices read item by item with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from belegflow_contracts.messages import InvoiceFieldsV1, LineTemplateV1
from belegflow_ocr import learning
from belegflow_ocr.recognition.model import ProtocolLog
from belegflow_ocr.recognition.templates import read_lines
from samples.wordpages import extract, page

TEMPLATE: dict[str, Any] = {
    "format": "belegflow-line-template", "version": 1, "supplier_number": "70002",
    "supplier_keys": ["DE44 3705 0198 0022 3344 55"], "table_start": "Sendungsbezug", "table_end": ["Zwischenwert"],
    "columns": [{"name": "position", "x0": 50, "x1": 110}, {"name": "description", "x0": 110, "x1": 400},
                {"name": "net_amount", "x0": 440, "x1": 560}],
}


def collective_page() -> list[Any]:
    """Three items; two of them carry their MAWB and container on the rows under the first."""
    return page(
        (57, 200, "Auftr."), (120, 200, "Sendungsbezug"), (480, 200, "Wert"),
        (57, 220, "AKT100001"), (120, 220, "Luftfracht Hamburg - Chicago"), (480, 220, "1.200,00"),
        (120, 232, "MAWB 020-12345675"),
        (120, 244, "Container MSCU1234565"),
        (57, 262, "AKT100002"), (120, 262, "Zollabfertigung Import"), (480, 262, "300,50"),
        (57, 280, "AKT100003"), (120, 280, "Nachlauf LKW"), (480, 280, "99,50"),
        (120, 292, "MAWB 020-12345686 Container TGHU7654320"),
        (330, 320, "Zwischenwert"), (480, 320, "1.600,00"),
    )


def test_a_template_reads_multi_line_items_and_keeps_every_reference_with_its_item() -> None:
    template = LineTemplateV1.model_validate(TEMPLATE)
    lines = read_lines(template, collective_page())
    assert [line.net_amount for line in lines] == [Decimal("1200.00"), Decimal("300.50"), Decimal("99.50")]
    assert lines[0].reference_text == "AKT100001 Luftfracht Hamburg - Chicago MAWB 020-12345675 Container MSCU1234565"
    assert "MSCU1234565" not in lines[1].reference_text
    assert {"AKT100003", "020-12345686", "TGHU7654320"} <= set(lines[2].reference_text.split())
    assert [line.position for line in lines] == [1, 2, 3]  # file numbers are references, not positions


def test_the_base_extractor_does_not_know_this_table() -> None:
    _, lines, _ = extract(collective_page())
    assert len(lines) != 3 or "MSCU1234565" not in lines[0].reference_text


def test_applied_templates_say_so_and_check_the_sum() -> None:
    template = LineTemplateV1.model_validate(TEMPLATE)
    log = ProtocolLog()
    at = datetime(2024, 6, 1, tzinfo=UTC)
    fields = InvoiceFieldsV1.model_validate({"net_amount": {"value": "1700.00", "confidence": 0.95}})
    lines = learning.apply_templates([], fields, collective_page(), [(template, "user:anna", at)], log)
    assert len(lines) == 3
    messages = "\n".join(e.message for e in log.entries)
    assert "lines: 3 read by the line template of creditor 70002 (imported by user:anna on 2024-06-01; 0 before)" \
        in messages
    assert "lines: their sum 1600.00 differs from the net amount 1700.00" in messages


def test_a_template_whose_header_is_not_printed_leaves_the_lines_as_read() -> None:
    template = LineTemplateV1.model_validate({**TEMPLATE, "table_start": "Ganz anderer Kopf"})
    log = ProtocolLog()
    before = learning.apply_templates([], InvoiceFieldsV1(), collective_page(),
                                      [(template, "user:anna", datetime.now(UTC))], log)
    assert before == []
    assert "finds no table under 'Ganz anderer Kopf'" in log.entries[0].message


@pytest.mark.parametrize(("change", "message"), [
    ({"version": 2}, "version"),
    ({"format": "something-else"}, "format"),
    ({"supplier_keys": ["12345"]}, "'12345' is no IBAN or VAT ID"),
    ({"columns": [{"name": "description", "x0": 50, "x1": 400}, {"name": "quantity", "x0": 400, "x1": 450}]},
     "a net_amount column is required"),
    ({"columns": [{"name": "description", "x0": 50, "x1": 460}, {"name": "net_amount", "x0": 440, "x1": 560}]},
     "overlap"),
    ({"columns": [{"name": "net_amount", "x0": 300, "x1": 200}, {"name": "description", "x0": 50, "x1": 100}]},
     "must be right of x0"),
    ({"table_end": []}, "table_end"),
    ({"extra": 1}, "extra"),
])
def test_the_file_format_refuses_what_it_cannot_read(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        LineTemplateV1.model_validate_json(json.dumps({**TEMPLATE, **change}))


def test_keys_are_compared_as_printed_without_spaces() -> None:
    assert LineTemplateV1.model_validate(TEMPLATE).supplier_keys == ["DE44370501980022334455"]
