"""The tenant's own companies: imported like suppliers, the recipient of an invoice matched to one of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from nats.aio.client import Client as NATS

from belegflow_contracts.messages import MatchedV1, TmsExportV2
from belegflow_contracts.xsd import TMS_TRANSFER_V2_NAMESPACE
from belegflow_ops import processes, stack
from belegflow_ops.masterdata import import_file
from tests.conftest import SAMPLES, import_masterdata, stream_messages, upload

pytestmark = pytest.mark.e2e
COMPANIES = ("company_number,name,aliases,vat_id,street,postal_code,city,country\n"
             "10,Nordwest Logistik GmbH,NWL;Nordwest Logistik,DE136695976,Kai 1,28195,Bremen,DE\n"
             "20,Südost Spedition AG,,,,,,DE\n")


async def test_the_recipient_is_matched_to_one_of_the_tenants_companies(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN suppliers, accruals and two companies of the tenant
    await import_masterdata(stack_state, tenant)
    (tmp_path / "companies.csv").write_text(COMPANIES, encoding="utf-8")
    applied = await import_file("companies", tmp_path / "companies.csv", tenant=tenant,
                                nats_url=stack_state.nats_url, timeout_s=60)
    assert (applied.applied, applied.error) == (2, None)

    # WHEN an invoice addressed to "Nordwest Logistik GmbH" arrives
    assert upload(services, tenant, SAMPLES / "invoices" / "invoice-01-din.pdf").status_code == 201

    # THEN matching names company 10 as its recipient, and the TMS transfer version 2 carries it
    (msg,) = await stream_messages(nc, "DOCS", f"docs.{tenant}.matched.v1", expect=1, timeout_s=90)
    matched = MatchedV1.model_validate_json(msg.data)
    assert matched.invoice.recipient_company == "10"
    assert any("recipient company 10 (Nordwest Logistik GmbH) identified by the name" in e.message
               for e in matched.protocol)
    (export,) = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v2", expect=1, timeout_s=90)
    xml = etree.fromstring(TmsExportV2.model_validate_json(export.data).xml.encode())
    assert xml.findtext("t:header/t:recipientCompany", namespaces={"t": TMS_TRANSFER_V2_NAMESPACE}) == "10"


async def test_a_company_file_with_a_bad_row_is_refused_whole(stack_state: stack.StackState, tenant: str,
                                                              tmp_path: Path) -> None:
    from belegflow_contracts.masterdata import MasterDataFileError

    (tmp_path / "companies.csv").write_text("company_number,name,vat_id\n10,A GmbH,\n20,B GmbH,ATU13585626\n")
    with pytest.raises(MasterDataFileError, match="line 3") as caught:
        await import_file("companies", tmp_path / "companies.csv", tenant=tenant, nats_url=stack_state.nats_url)
    assert "check digit" in str(caught.value)
