"""Text that fonts hand over oddly (emoji as surrogate pairs, lone surrogates, NUL, control characters,
noncharacters) never fails a document: the pipeline reads, stores, reviews and exports every document that
`belegflow extract` reads, with the same values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import TmsExportV1
from belegflow_ops import processes, stack
from tests.conftest import add_user, basic, dead_letters, import_masterdata, stream_messages, upload
from tests.e2e.test_pipeline import NS, text, validate_against_xsd
from tests.e2e.test_review import step, wait_for
from tests.pdfs import odd_font_pdf

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"

# Spedition Nordlicht's invoice (samples/masterdata), printed with a font whose map sends, in turn: an emoji, ESC
# inside the invoice number, a lone high and a lone low surrogate on the line, a noncharacter after the total,
# NUL, ESC, a lone surrogate and an emoji in the footer.
ODD_INVOICE = [
    (b"Spedition Nordlicht GmbH \x81", 800), (b"Hafenstra\xdfe 12, 20457 Hamburg", 786),
    (b"Nordwest Logistik GmbH", 740), (b"Am Hafen 1, 28195 Bremen", 726),
    (b"Rechnung", 690), (b"Rechnungsnummer: RE-2026-0\x83815", 670), (b"Rechnungsdatum: 03.11.2026", 656),
    (b"Pos.  Beschreibung                                   Betrag", 620),
    (b"1     Seefracht MSCU5501845 \x84 Hamburg - Shanghai \x80       811,77 EUR", 600),
    (b"Nettobetrag 811,77 EUR", 500), (b"USt 19 % 154,24 EUR", 486), (b"Gesamtbetrag 966,01 EUR \x85", 472),
    (b"IBAN: DE34 2005 0550 1234 5678 90    USt-IdNr.: DE118654320", 100),
    (b"Hinweis \x82\x83 \x80 Vielen Dank \x81", 80),
]
KEY_FIELDS = ("invoice_number", "invoice_date", "net_amount", "tax_amount", "gross_amount", "supplier_iban")


def _extract(path: Path) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-m", "belegflow_ops", "extract", "--json", str(path)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    read: dict[str, Any] = json.loads(result.stdout)
    return read


async def test_a_pdf_with_odd_text_goes_the_whole_way_as_extract_reads_it(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN a born-digital invoice whose font maps glyphs to surrogates, NUL, ESC and noncharacters
    path = tmp_path / "odd-font.pdf"
    path.write_bytes(odd_font_pdf(ODD_INVOICE))
    # AND `belegflow extract` reads it: the number without the ESC, the line with what the font meant
    read = _extract(path)
    assert read["fields"]["invoice_number"]["value"] == "RE-2026-0815"
    assert read["fields"]["gross_amount"]["value"] == "966.01"
    (line,) = read["lines"]
    assert line["description"].startswith("Seefracht MSCU5501845 \ufffd Hamburg - Shanghai \ufffd")
    # AND the supplier is in master data, an approver works for the tenant
    await import_masterdata(stack_state, tenant)
    add_user(stack_state, f"bert-{tenant}", PASSWORD, roles=["approver"], tenants=[tenant])

    # WHEN it is uploaded
    response = upload(services, tenant, path)
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    doc = await wait_for(services, document_id, lambda d: d["status"] in ("review", "exported", "failed"))

    # THEN the pipeline read it as extract did and nothing went to a dead-letter queue
    assert doc["status"] in ("review", "exported"), doc["status"]
    stored = doc["fields"]["fields"]
    for name in KEY_FIELDS:
        assert stored[name]["value"] == read["fields"][name]["value"], name
    assert [ln["description"] for ln in doc["fields"]["lines"]] == [line["description"]]
    for service in ("ocr", "matching", "accrual", "export"):
        assert await dead_letters(nc, service, tenant, expect=0, timeout_s=1) == []

    # AND once approved (where the machine was unsure) it is exported with the odd line as valid XML
    if doc["status"] == "review":
        approved = step(services, document_id, "approve", tenant, {"expected_version": doc["review"]["version"]},
                        auth=basic(f"bert-{tenant}", PASSWORD))
        assert approved.status_code == 200, approved.text
        doc = await wait_for(services, document_id, lambda d: d["status"] in ("exported", "failed"))
    assert doc["status"] == "exported", doc["status"]
    (message,) = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)
    xml = validate_against_xsd(TmsExportV1.model_validate_json(message.data).xml.encode())
    assert text(xml, "t:header/t:invoiceNumber") == "RE-2026-0815"
    assert [e.text for e in xml.findall("t:lines/t:line/t:description", NS)] == [line["description"]]
