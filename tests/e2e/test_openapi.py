"""Ingest's API description as tools read it, its problem answers, and a bounded fuzz run that finds no 5xx."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from belegflow_ops import processes, stack
from tests.conftest import add_user, basic

pytestmark = pytest.mark.e2e
PROBLEM_JSON = "application/problem+json"
PASSWORD = "fuzz password 2024"
# examples per operation and mode (valid, invalid): bounded, a minute or two on two cores
FUZZ_EXAMPLES = 10


def _openapi(services: processes.ServiceSet) -> dict[str, Any]:
    response = httpx.get(f"{services.ingest_url}/openapi.json", timeout=30)
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    return doc


def _is_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON, response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:belegflow:problem:{body['code']}"
    assert body["title"]
    assert body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


def test_the_description_is_openapi_3_1_with_credentials_roles_and_problems_per_operation(
    services: processes.ServiceSet,
) -> None:
    doc = _openapi(services)
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    assert schemes["basic"] == {"type": "http", "scheme": "basic", "description": schemes["basic"]["description"]}
    assert schemes["apiKey"]["scheme"] == "bearer"
    # the test stack names an issuer: tools find its discovery document
    assert schemes["oidc"]["type"] == "openIdConnect"
    assert schemes["oidc"]["openIdConnectUrl"].endswith("/.well-known/openid-configuration")
    operations = [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 20
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        if path in ("/livez", "/readyz", "/healthz", "/v1/devices/pair"):
            assert op["security"] == [], where
        else:
            assert op["security"] == [{"basic": []}, {"apiKey": []}, {"oidc": []}], where
            assert "Roles: " in op["description"], where
            assert {"401", "403"} <= set(op["responses"]), where
        # every answer typed: a success with its schema, every error a problem
        for status, answer in op["responses"].items():
            if status.startswith("2") and status != "204":
                assert answer["content"]["application/json"]["schema"], where
            if int(status) >= 400 and not (path == "/readyz" and status == "503"):
                assert answer["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}, \
                    (where, status)
    document = doc["paths"]["/v1/documents/{document_id}"]["get"]["responses"]["200"]
    assert document["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/DocumentView"
    status = next(p for p in doc["paths"]["/v1/documents"]["get"]["parameters"] if p["name"] == "status")
    assert "received" not in json.dumps(status)  # the enum is the lifecycle's, referenced
    assert doc["components"]["schemas"]["Status"]["enum"][:3] == ["ingested", "recognized", "review"]
    # no reference into a schema's own $defs is left dangling at the document's root
    assert "#/$defs/" not in json.dumps(doc)


def test_every_error_is_a_problem_validation_and_unknown_routes_included(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str,
) -> None:
    url = services.ingest_url
    # no credentials
    problem = _is_problem(httpx.get(f"{url}/v1/documents", timeout=30), 401, "unauthenticated")
    assert problem["detail"].startswith("no credentials")
    # an upload without X-Tenant by a user of two tenants: FastAPI's own validation, as a problem
    add_user(stack_state, f"two-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant, f"{tenant}b"])
    response = httpx.post(f"{url}/v1/documents", files={"file": ("a.pdf", b"%PDF-1.7\n")},
                          headers=basic(f"two-{tenant}", PASSWORD), timeout=30)
    problem = _is_problem(response, 422, "invalid")
    assert {"name": "header.X-Tenant", "reason": "Field required"} in problem["invalid_params"]
    # a query parameter outside its enum or int64, before any query
    auth = {"X-Tenant": tenant, **services.auth}
    problem = _is_problem(httpx.get(f"{url}/v1/documents", params={"status": "bogus"}, headers=auth, timeout=30),
                          422, "invalid")
    assert problem["invalid_params"][0]["name"] == "query.status"
    _is_problem(httpx.get(f"{url}/v1/documents", params={"offset": 2**63}, headers=auth, timeout=30), 422)
    # a NUL byte in a path parameter never travels on
    problem = _is_problem(httpx.get(f"{url}/v1/learning/templates/70%0001", headers=auth, timeout=30), 422)
    assert problem["detail"] == "supplier: printable characters only"
    # a route's own refusal, and an unknown route
    _is_problem(httpx.get(f"{url}/v1/documents/not-a-uuid", headers=auth, timeout=30), 400, "invalid-document-id")
    _is_problem(httpx.get(f"{url}/v1/nothing-here", headers=auth, timeout=30), 404, "not-found")
    _is_problem(httpx.get(f"{url}/no-such-page", timeout=30), 401)


@pytest.fixture(scope="module")
def fuzz_user(stack_state: stack.StackState) -> dict[str, str]:
    """A local user with every role, for a tenant of its own (Basic, as an integrator would sign in)."""
    tenant = f"t{uuid.uuid4().hex[:10]}"
    name = f"fuzz-{tenant}"
    add_user(stack_state, name, PASSWORD, roles=["clerk", "approver", "operator", "integrator"], tenants=[tenant])
    return {**basic(name, PASSWORD), "X-Tenant": tenant}


def _fuzz(operation: Any, mode: GenerationMode, user: dict[str, str], answered: Counter[int],
          failures: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        # the tenant is the credential's (the gate refuses any other before a route runs): fuzz what lies behind it
        case.headers.update(user)
        response = case.call(timeout=60)
        answered[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} ({mode.value}): {response.status_code} "
                            f"{response.text[:300]}\n{case.as_curl_command()}")

    try:
        fuzz()
    except Unsatisfiable:
        # nothing of the operation can be made invalid (no parameters, no body)
        assert mode is GenerationMode.NEGATIVE, operation.label


def test_the_fuzzer_finds_no_server_error(services: processes.ServiceSet, fuzz_user: dict[str, str]) -> None:
    """Schemathesis generates valid and invalid requests for every operation from the description; none is a 5xx."""
    api = schemathesis.openapi.from_url(f"{services.ingest_url}/openapi.json")
    failures: list[str] = []
    answered: Counter[int] = Counter()
    operations = []
    for result in api.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 20
    for operation in operations:
        for mode in GenerationMode:
            _fuzz(operation, mode, fuzz_user, answered, failures)
    assert sum(answered.values()) >= len(operations) * FUZZ_EXAMPLES, answered
    # it got past the credential check: valid requests were answered with a success
    assert sum(n for status, n in answered.items() if status < 300) >= len(operations), answered
    assert not failures, "\n".join(failures[:10])
