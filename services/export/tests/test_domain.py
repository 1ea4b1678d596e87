"""Tests of the TMS transfer XML: building, validating against the XSD, refusing bad input, naming."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from lxml import etree

from belegflow_contracts.messages import (
    NO_ACCRUAL,
    AccruedV1,
    Decision,
    DocumentType,
    InvoiceLineV1,
    InvoiceV1,
    LineAssignmentV1,
    MatchKey,
    SupplierMatchV1,
    document_type_of,
)
from belegflow_contracts.types import ObjectRef
from belegflow_contracts.xsd import TMS_TRANSFER_V1_NAMESPACE, TMS_TRANSFER_V2_NAMESPACE
from belegflow_export.domain import build_tms_xml, export_key, validate_tms_xml
from belegflow_export.errors import TmsDataError, TmsXmlInvalidError

NS = {"t": TMS_TRANSFER_V1_NAMESPACE}
DOC_ID = UUID("3f2b8c1e-0d4a-4e5b-9c6d-7e8f9a0b1c2d")
EXPORTED_AT = datetime(2024, 5, 17, 10, 30, 0, tzinfo=UTC)


def _supplier(**changes: Any) -> SupplierMatchV1:
    values: dict[str, Any] = {
        "supplier_number": "70001",
        "name": "Spedition Muster GmbH",
        "street": "Hafenstraße 1",
        "postal_code": "20457",
        "city": "Hamburg",
        "country": "DE",
        "vat_id": "DE136695976",
        "iban": "DE89 3704 0044 0532 0130 00",
        "gl_account": "3400",
        "cost_center": "100",
        "tax_key": "9",
        "matched_by": MatchKey.IBAN,
        "confidence": 0.99,
    }
    values.update(changes)
    return SupplierMatchV1(**values)


def _event(**changes: Any) -> AccruedV1:
    values: dict[str, Any] = {
        "document_id": DOC_ID,
        "tenant": "acme",
        "revision": 2,
        "original": ObjectRef(bucket="originals", key="acme/ab/ab.pdf", sha256="ab" * 32, size=1234),
        "invoice": InvoiceV1(
            invoice_number="RE-2024-0815",
            invoice_date=date(2024, 5, 2),
            due_date=date(2024, 6, 1),
            currency="EUR",
            net_amount=Decimal("1000.10"),
            tax_amount=Decimal("190.02"),
            gross_amount=Decimal("1190.12"),
            lines=[
                InvoiceLineV1(
                    position=1,
                    description="Seefracht HAM-SHA",
                    net_amount=Decimal("800.10"),
                ),
                InvoiceLineV1(position=2, description="THC", net_amount=Decimal(200)),
            ],
        ),
        "supplier": _supplier(),
        "decision": Decision.TOUCHLESS,
        "assignments": [
            LineAssignmentV1(
                position=1,
                reference="MSCU1234565",
                accrual_number="A-4711",
                amount=Decimal("800.10"),
            ),
            LineAssignmentV1(position=2, reference=None, accrual_number=NO_ACCRUAL),
        ],
        "send_accruals": True,
    }
    values.update(changes)
    return AccruedV1(**values)


def _root(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _texts(xml: bytes, xpath: str) -> list[str]:
    return [str(node.text) for node in _root(xml).iterfind(xpath, NS)]


# --- valid transfers -------------------------------------------------------------------------


def test_touchless_invoice_builds_valid_xml() -> None:
    # GIVEN a complete touchless event
    # WHEN it is built and validated
    xml = build_tms_xml(_event(), exported_at=EXPORTED_AT)
    validate_tms_xml(xml)
    # THEN it is UTF-8 with a declaration, in the TMS namespace, with header, supplier, lines, decision
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = _root(xml)
    assert root.tag == f"{{{TMS_TRANSFER_V1_NAMESPACE}}}tmsTransfer"
    assert _texts(xml, "t:header/t:documentId") == [str(DOC_ID)]
    assert _texts(xml, "t:header/t:revision") == ["2"]
    assert _texts(xml, "t:header/t:exportedAt") == ["2024-05-17T10:30:00Z"]
    assert _texts(xml, "t:header/t:invoiceDate") == ["2024-05-02"]
    assert _texts(xml, "t:supplier/t:iban") == ["DE89370400440532013000"]
    assert _texts(xml, "t:supplier/t:address/t:city") == ["Hamburg"]
    assert _texts(xml, "t:decision") == ["touchless"]
    assert "Hafenstraße".encode() in xml


def test_output_is_deterministic() -> None:
    assert build_tms_xml(_event(), exported_at=EXPORTED_AT) == build_tms_xml(_event(), exported_at=EXPORTED_AT)


def test_exported_at_is_written_in_utc() -> None:
    berlin = datetime(2024, 5, 17, 12, 30, 0, tzinfo=timezone(timedelta(hours=2)))
    xml = build_tms_xml(_event(), exported_at=berlin)
    assert _texts(xml, "t:header/t:exportedAt") == ["2024-05-17T10:30:00Z"]


def test_amounts_are_exact_decimals_with_two_places() -> None:
    # GIVEN amounts with one, two and no written decimal places
    xml = build_tms_xml(_event(), exported_at=EXPORTED_AT)
    # THEN each is written with exactly two places and reads back to the same Decimal
    assert _texts(xml, "t:header/t:netAmount") == ["1000.10"]
    assert _texts(xml, "t:header/t:grossAmount") == ["1190.12"]
    assert _texts(xml, "t:lines/t:line/t:netAmount") == ["800.10", "200.00"]
    header = [Decimal(_texts(xml, f"t:header/t:{name}")[0]) for name in ("netAmount", "taxAmount", "grossAmount")]
    assert header == [Decimal("1000.10"), Decimal("190.02"), Decimal("1190.12")]


def test_amount_with_more_than_two_places_is_refused_not_rounded() -> None:
    invoice = _event().invoice.model_copy(update={"tax_amount": Decimal("190.015")})
    event = _event(invoice=invoice, decision=Decision.REVIEW)
    with pytest.raises(TmsDataError) as caught:
        build_tms_xml(event, exported_at=EXPORTED_AT)
    places = [p for p in caught.value.problems if p.field == "invoice.tax_amount"]
    assert len(places) == 1
    assert "190.015" in places[0].reason


def test_trailing_zeros_beyond_cents_are_accepted() -> None:
    invoice = _event().invoice.model_copy(update={"net_amount": Decimal("1000.1000")})
    xml = build_tms_xml(_event(invoice=invoice), exported_at=EXPORTED_AT)
    assert _texts(xml, "t:header/t:netAmount") == ["1000.10"]


def test_lines_carry_accrual_numbers_and_xxx() -> None:
    xml = build_tms_xml(_event(), exported_at=EXPORTED_AT)
    validate_tms_xml(xml)
    assert _texts(xml, "t:header/t:accrualsSent") == ["true"]
    assert _texts(xml, "t:lines/t:line/t:accrualNumber") == ["A-4711", "XXX"]
    assert _texts(xml, "t:lines/t:line/t:reference") == ["MSCU1234565"]


def test_line_without_assignment_gets_xxx() -> None:
    event = _event(assignments=[LineAssignmentV1(position=1, reference=None, accrual_number="A-1")])
    xml = build_tms_xml(event, exported_at=EXPORTED_AT)
    validate_tms_xml(xml)
    assert _texts(xml, "t:lines/t:line/t:accrualNumber") == ["A-1", NO_ACCRUAL]


def test_accrual_numbers_are_omitted_when_sending_is_off() -> None:
    # GIVEN a tenant that switched sending accrual numbers off
    xml = build_tms_xml(_event(send_accruals=False), exported_at=EXPORTED_AT)
    # THEN no line carries one, the header says so, and the XML is still valid
    validate_tms_xml(xml)
    assert _texts(xml, "t:lines/t:line/t:accrualNumber") == []
    assert _texts(xml, "t:header/t:accrualsSent") == ["false"]
    assert _texts(xml, "t:lines/t:line/t:reference") == ["MSCU1234565"]


def test_assignment_without_invoice_line_is_kept() -> None:
    # GIVEN an invoice read without line items, assigned as a whole
    invoice = _event().invoice.model_copy(update={"lines": []})
    assignments = [
        LineAssignmentV1(
            position=1,
            reference="MAWB 020-12345675",
            accrual_number="A-9",
            amount=Decimal("1000.10"),
        )
    ]
    xml = build_tms_xml(_event(invoice=invoice, assignments=assignments), exported_at=EXPORTED_AT)
    validate_tms_xml(xml)
    assert _texts(xml, "t:lines/t:line/t:accrualNumber") == ["A-9"]
    assert _texts(xml, "t:lines/t:line/t:netAmount") == ["1000.10"]


def test_reviewed_invoice_without_net_and_tax_is_valid() -> None:
    # GIVEN an invoice a person approved in review, on which no net and tax amounts were read
    invoice = _event().invoice.model_copy(update={"net_amount": None, "tax_amount": None, "currency": "eur"})
    event = _event(invoice=invoice, decision=Decision.REVIEW, assignments=[])
    xml = build_tms_xml(event, exported_at=EXPORTED_AT)
    validate_tms_xml(xml)
    assert _texts(xml, "t:header/t:netAmount") == []
    assert _texts(xml, "t:header/t:currency") == ["EUR"]
    assert _texts(xml, "t:decision") == ["review"]


@pytest.mark.parametrize("decision", [Decision.TOUCHLESS, Decision.REVIEW])
def test_nothing_without_supplier_number_date_or_gross_is_ever_written(decision: Decision) -> None:
    # GIVEN an empty invoice (its recognition was cancelled), whatever the decision says
    event = _event(invoice=InvoiceV1(), supplier=None, decision=decision, assignments=[])
    # WHEN its transfer is built THEN it is refused, naming everything a booking needs
    with pytest.raises(TmsDataError) as caught:
        build_tms_xml(event, exported_at=EXPORTED_AT)
    fields = {p.field for p in caught.value.problems}
    assert {"supplier", "invoice.invoice_number", "invoice.invoice_date", "invoice.gross_amount"} <= fields


def test_control_characters_from_ocr_do_not_break_the_xml() -> None:
    invoice = _event().invoice.model_copy(
        update={"lines": [InvoiceLineV1(position=1, description="Fracht\x0cSeite 2", net_amount=Decimal(1))]}
    )
    event = _event(invoice=invoice, decision=Decision.REVIEW, assignments=[])
    xml = build_tms_xml(event, exported_at=EXPORTED_AT)
    validate_tms_xml(xml)
    assert _texts(xml, "t:lines/t:line/t:description") == ["Fracht Seite 2"]


# --- events that cannot become a transfer ----------------------------------------------------


def test_touchless_without_supplier_and_invoice_number_is_refused() -> None:
    invoice = _event().invoice.model_copy(update={"invoice_number": None})
    with pytest.raises(TmsDataError) as caught:
        build_tms_xml(_event(invoice=invoice, supplier=None), exported_at=EXPORTED_AT)
    assert {p.field for p in caught.value.problems} == {
        "supplier",
        "invoice.invoice_number",
    }
    assert caught.value.document_id == str(DOC_ID)


def test_touchless_with_inconsistent_sums_is_refused() -> None:
    invoice = _event().invoice.model_copy(update={"gross_amount": Decimal("1190.13")})
    with pytest.raises(TmsDataError, match=r"net 1000.10 \+ tax 190.02 != gross 1190.13"):
        build_tms_xml(_event(invoice=invoice), exported_at=EXPORTED_AT)


def test_bad_iban_is_refused_with_its_field() -> None:
    event = _event(supplier=_supplier(iban="DE00370400440532013000"))
    with pytest.raises(TmsDataError) as caught:
        build_tms_xml(event, exported_at=EXPORTED_AT)
    assert [p.field for p in caught.value.problems] == ["supplier.iban"]


def test_duplicate_assignment_positions_are_refused() -> None:
    assignments = [
        LineAssignmentV1(position=1, reference=None, accrual_number="A-1"),
        LineAssignmentV1(position=1, reference=None, accrual_number="A-2"),
    ]
    with pytest.raises(TmsDataError, match="position occurs more than once"):
        build_tms_xml(_event(assignments=assignments), exported_at=EXPORTED_AT)


def test_naive_exported_at_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_tms_xml(_event(), exported_at=datetime(2024, 5, 17, 10, 30))


# --- validating XML from elsewhere -----------------------------------------------------------


def _without(xml: bytes, xpath: str) -> bytes:
    root = _root(xml)
    for node in root.iterfind(xpath, NS):
        parent = node.getparent()
        assert parent is not None
        parent.remove(node)
    result: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return result


def test_missing_required_element_fails_with_its_place() -> None:
    # GIVEN a transfer whose header lost its currency
    broken = _without(build_tms_xml(_event(), exported_at=EXPORTED_AT), "t:header/t:currency")
    # WHEN it is validated
    with pytest.raises(TmsXmlInvalidError) as caught:
        validate_tms_xml(broken)
    # THEN the error names the element the XSD expected, with line and path
    errors = caught.value.errors
    assert len(errors) == 1
    assert "currency" in errors[0].message
    assert errors[0].line > 1
    assert errors[0].path == "/tmsTransfer/header/netAmount"
    assert "currency" in str(caught.value)


def test_missing_decision_fails() -> None:
    broken = _without(build_tms_xml(_event(), exported_at=EXPORTED_AT), "t:decision")
    with pytest.raises(TmsXmlInvalidError, match="decision"):
        validate_tms_xml(broken)


@pytest.mark.parametrize(
    ("xpath", "bad_value"),
    [
        ("t:header/t:netAmount", "1000.101"),
        ("t:header/t:netAmount", "1e3"),
        ("t:header/t:currency", "euro"),
        ("t:supplier/t:iban", "DE89 3704"),
        ("t:lines/t:line/t:accrualNumber", ""),
        ("t:header/t:documentId", "not-a-uuid"),
        ("t:header/t:exportedAt", "2024-05-17T10:30:00"),
        ("t:decision", "maybe"),
    ],
)
def test_bad_values_fail_validation(xpath: str, bad_value: str) -> None:
    root = _root(build_tms_xml(_event(), exported_at=EXPORTED_AT))
    node = root.find(xpath, NS)
    assert node is not None
    node.text = bad_value
    with pytest.raises(TmsXmlInvalidError):
        validate_tms_xml(etree.tostring(root))


def test_error_path_names_the_line() -> None:
    root = _root(build_tms_xml(_event(), exported_at=EXPORTED_AT))
    amounts = root.findall("t:lines/t:line/t:netAmount", NS)
    amounts[1].text = "200.001"
    with pytest.raises(TmsXmlInvalidError) as caught:
        validate_tms_xml(etree.tostring(root))
    assert [e.path for e in caught.value.errors] == ["/tmsTransfer/lines/line[2]/netAmount"]


def test_duplicate_line_positions_fail_validation() -> None:
    root = _root(build_tms_xml(_event(), exported_at=EXPORTED_AT))
    positions = root.findall("t:lines/t:line/t:position", NS)
    positions[1].text = positions[0].text
    with pytest.raises(TmsXmlInvalidError, match=r"[Dd]uplicate"):
        validate_tms_xml(etree.tostring(root))


@pytest.mark.parametrize("payload", [b"", b"<tmsTransfer", b"\xff\xfe garbage"])
def test_not_well_formed_xml_fails(payload: bytes) -> None:
    with pytest.raises(TmsXmlInvalidError) as caught:
        validate_tms_xml(payload)
    assert len(caught.value.errors) == 1


def test_wrong_namespace_fails() -> None:
    with pytest.raises(TmsXmlInvalidError, match="tmsTransfer"):
        validate_tms_xml(b"<tmsTransfer xmlns='urn:other'/>")


def test_xxe_is_refused_without_reading_the_file(tmp_path: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<tmsTransfer xmlns="{TMS_TRANSFER_V1_NAMESPACE}"><decision>&x;</decision></tmsTransfer>'
    ).encode()
    with pytest.raises(TmsXmlInvalidError, match="DOCTYPE") as caught:
        validate_tms_xml(xml)
    assert "TOP-SECRET" not in str(caught.value)


def test_entity_expansion_bomb_is_refused() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><t>&b;</t>'
    )
    with pytest.raises(TmsXmlInvalidError, match="DOCTYPE"):
        validate_tms_xml(xml)


def test_external_doctype_is_refused() -> None:
    xml = b'<!DOCTYPE t SYSTEM "http://127.0.0.1:9/t.dtd"><t/>'
    with pytest.raises(TmsXmlInvalidError, match="DOCTYPE"):
        validate_tms_xml(xml)


# --- naming ----------------------------------------------------------------------------------


def test_export_key_is_per_tenant_document_and_revision() -> None:
    assert export_key("ACME", DOC_ID, 3) == f"acme/tms/{DOC_ID}-r3.xml"
    assert export_key("acme", str(DOC_ID).upper(), 1) == f"acme/tms/{DOC_ID}-r1.xml"


@pytest.mark.parametrize(
    ("tenant", "document_id", "revision", "message"),
    [
        ("acme", DOC_ID, 0, "revision"),
        ("acme", "../../etc/passwd", 1, "not a UUID"),
        ("ac/me", DOC_ID, 1, "tenant"),
    ],
)
def test_export_key_rejects_bad_input(tenant: str, document_id: Any, revision: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        export_key(tenant, document_id, revision)


# --- version 2: the document type (invoice, credit note, correction) beside an unchanged version 1 ----------


@pytest.mark.parametrize(
    ("document_type", "written"),
    [(DocumentType.INVOICE, "invoice"), (DocumentType.CREDIT_NOTE, "creditNote"),
     (DocumentType.CORRECTION, "correction"), (DocumentType.RECEIPT, "receipt")],
)
def test_version_2_carries_the_document_type_and_is_valid(document_type: DocumentType, written: str) -> None:
    # GIVEN an accrued revision of the given type
    event = _event(invoice=_event().invoice.model_copy(update={"document_type": document_type}))
    # WHEN its transfer version 2 is built
    xml = build_tms_xml(event, exported_at=EXPORTED_AT, version=2)
    # THEN it is valid against tms-transfer-v2.xsd and says what the document is; amounts keep their sign
    validate_tms_xml(xml, version=2)
    root = etree.fromstring(xml)
    ns = {"t": TMS_TRANSFER_V2_NAMESPACE}
    assert root.findtext("t:header/t:documentType", namespaces=ns) == written
    assert root.findtext("t:header/t:grossAmount", namespaces=ns) == "1190.12"


def test_version_1_stays_as_it_was() -> None:
    event = _event(invoice=_event().invoice.model_copy(update={"document_type": DocumentType.CREDIT_NOTE}))
    xml = build_tms_xml(event, exported_at=EXPORTED_AT)
    validate_tms_xml(xml)
    root = etree.fromstring(xml)
    assert etree.QName(root).namespace == TMS_TRANSFER_V1_NAMESPACE
    assert root.find("{*}header/{*}documentType") is None
    # AND neither version passes for the other
    with pytest.raises(TmsXmlInvalidError):
        validate_tms_xml(xml, version=2)
    with pytest.raises(TmsXmlInvalidError):
        validate_tms_xml(build_tms_xml(event, exported_at=EXPORTED_AT, version=2))


def test_each_version_has_its_own_file() -> None:
    doc = "4f0c2a52-5a55-4ac6-9d2e-1d2e3f405060"
    assert export_key("acme", doc, 2) == f"acme/tms/{doc}-r2.xml"
    assert export_key("acme", doc, 2, version=2) == f"acme/tms-v2/{doc}-r2.xml"


@pytest.mark.parametrize(("code", "kind"), [("380", DocumentType.INVOICE), ("381", DocumentType.CREDIT_NOTE),
                                            ("384", DocumentType.CORRECTION), (None, DocumentType.INVOICE)])
def test_type_codes_name_the_document_type(code: str | None, kind: DocumentType) -> None:
    assert document_type_of(code) is kind


def test_version_2_names_the_recipient_company_when_known() -> None:
    invoice = _event().invoice.model_copy(update={"recipient_company": "10"})
    xml = build_tms_xml(_event(invoice=invoice), exported_at=EXPORTED_AT, version=2)
    validate_tms_xml(xml, version=2)
    ns = {"t": TMS_TRANSFER_V2_NAMESPACE}
    assert etree.fromstring(xml).findtext("t:header/t:recipientCompany", namespaces=ns) == "10"
    assert etree.fromstring(build_tms_xml(_event(), exported_at=EXPORTED_AT, version=2)).find(
        "t:header/t:recipientCompany", ns) is None
