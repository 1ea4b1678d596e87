"""Tests of the header references recognition passes on: an e-invoice's BT-13 and BT-18."""

from __future__ import annotations

from belegflow_contracts.messages import DocumentReferenceV1
from belegflow_ocr.domain import header_references


def test_purchase_order_and_object_identifier_of_an_e_invoice() -> None:
    product: dict[str, object] = {"reader": "einvoice-xml", "einvoice": {
        "order_reference": " PO-4711 ", "object_identifier": "MSCU5501845", "sales_order_reference": "SO-1"}}
    assert header_references(product) == [DocumentReferenceV1(term="BT-13", value="PO-4711"),
                                           DocumentReferenceV1(term="BT-18", value="MSCU5501845")]


def test_nothing_without_an_e_invoice_or_with_empty_terms() -> None:
    assert header_references({"reader": "pdf-text"}) == []
    assert header_references({"einvoice": {"order_reference": "  ", "object_identifier": None}}) == []
