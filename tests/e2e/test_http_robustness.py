"""Ingest's HTTP API under hostile input and outages: a clear 4xx or a 503 with Retry-After, never a 500."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, upload

pytestmark = pytest.mark.e2e


def test_a_list_offset_beyond_int64_is_a_clear_400(services: processes.ServiceSet, tenant: str) -> None:
    for offset in (2**63, 10**30):
        response = httpx.get(f"{services.ingest_url}/v1/documents", params={"offset": offset},
                             headers={"X-Tenant": tenant, **services.auth}, timeout=30)
        assert response.status_code in (400, 422), response.text
        assert "offset" in response.text


def test_an_unknown_status_filter_is_a_clear_422(services: processes.ServiceSet, tenant: str) -> None:
    for status in ("bogus", "review\x00", "\x00"):
        response = httpx.get(f"{services.ingest_url}/v1/documents", params={"status": status},
                             headers={"X-Tenant": tenant, **services.auth}, timeout=30)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["invalid_params"][0]["name"] == "query.status"
    # a known one still lists
    listed = httpx.get(f"{services.ingest_url}/v1/documents", params={"status": "review"},
                       headers={"X-Tenant": tenant, **services.auth}, timeout=30)
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize(("method", "path", "params"), [
    ("GET", "/v1/learning", {"supplier": "700\x0001"}),
    ("DELETE", "/v1/learning", {"supplier": "\x00"}),
    ("POST", "/v1/learning/repeat", {"supplier": "70001\x00"}),
])
def test_a_nul_byte_in_a_supplier_is_a_clear_422(services: processes.ServiceSet, tenant: str, method: str,
                                                  path: str, params: dict[str, str]) -> None:
    response = httpx.request(method, f"{services.ingest_url}{path}", params=params,
                             headers={"X-Tenant": tenant, **services.auth}, timeout=60)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "supplier: printable characters only"


def test_a_layout_id_beyond_int64_is_a_clear_422(services: processes.ServiceSet, tenant: str) -> None:
    for layout_id in (2**63, 2**63 + 1, 10**30):
        response = httpx.delete(f"{services.ingest_url}/v1/learning/{layout_id}",
                                headers={"X-Tenant": tenant, **services.auth}, timeout=60)
        assert response.status_code == 422, response.text
        assert "layout_id" in response.text


def test_a_nul_byte_in_a_basic_user_name_is_refused_as_wrong_credentials(services: processes.ServiceSet,
                                                                          tenant: str) -> None:
    for user, password in (("anna\x00", "secret"), ("\x00", "x"), ("anna", "pass\x00word")):
        response = httpx.get(f"{services.ingest_url}/v1/documents", auth=(user, password),
                             headers={"X-Tenant": tenant}, timeout=30)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid-credentials"


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("path", [
    "/v1/devices", "/v1/devices/pair", "/v1/devices/kasse-01/reset",
    "/v1/documents/00000000-0000-4000-8000-000000000001/review/correct",
    "/v1/documents/00000000-0000-4000-8000-000000000001/recognition/repeat",
])
def test_deeply_nested_json_is_a_clear_400(services: processes.ServiceSet, tenant: str, path: str) -> None:
    for body in (_nested(100_000), b"[" * 200_000 + b"]" * 200_000):
        response = httpx.post(f"{services.ingest_url}{path}", content=body,
                              headers={"X-Tenant": tenant, "content-type": "application/json", **services.auth},
                              timeout=30)
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    # the service is still there
    assert httpx.get(f"{services.ingest_url}/healthz", timeout=10).status_code == 200



def test_upload_while_postgres_is_down_is_503_with_retry_after(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    home = Path(stack_state.home)
    sample = sorted((SAMPLES / "invoices").glob("*.pdf"))[0]
    # GIVEN Postgres is stopped
    stack._stop_postgres(home)
    try:
        # WHEN a document is uploaded (and a list read) THEN the answer says: unavailable, retry later
        for _ in range(3):
            response = upload(services, tenant, sample)
            assert response.status_code == 503, response.text
            assert int(response.headers["Retry-After"]) > 0
            assert response.json()["code"] == "unavailable"
        listing = httpx.get(f"{services.ingest_url}/v1/documents", headers={"X-Tenant": tenant, **services.auth},
                            timeout=30)
        assert listing.status_code == 503
    finally:
        stack_state.pids["postgres"] = stack._start_postgres(stack_state, home)
        stack.save_state(stack_state)
    # AND once Postgres is back, the same upload is taken in
    deadline = time.monotonic() + 60
    while True:
        response = upload(services, tenant, sample)
        if response.status_code in (200, 201) or time.monotonic() > deadline:
            break
        assert response.status_code == 503, response.text
        time.sleep(0.5)
    assert response.status_code in (200, 201), response.text


UBL = SAMPLES / "einvoices" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard" / \
    "01.01a-INVOICE_ubl.xml"


async def test_a_ubl_invoice_starting_with_an_xml_comment_is_taken_in_and_read(
    services: processes.ServiceSet, tenant: str, tmp_path: Path
) -> None:
    from tests.e2e.test_review import wait_for

    # GIVEN a valid UBL invoice whose prolog holds a comment before the first element (and no XML declaration)
    body = UBL.read_bytes()
    if body.startswith(b"<?xml"):
        body = body[body.index(b"?>") + 2:]
    path = tmp_path / "commented.xml"
    path.write_bytes(b"<!-- exported by ERP 7.1; do not edit -->\n<?xml-stylesheet href=\"x.xsl\"?>\n" + body)
    # WHEN it is uploaded THEN it is taken in as XML, as `belegflow extract` reads it
    response = upload(services, tenant, path)
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "application/xml"
    doc = await wait_for(services, response.json()["id"], lambda d: d.get("status") not in ("ingested", None))
    assert doc["status"] != "failed", doc
