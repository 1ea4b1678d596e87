"""Who is asking, on the real stack: local users, API keys and OIDC tokens; roles; the tenant from the credential."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, IdentityProvider, add_user, basic, upload

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough secret 7"
INVOICE = SAMPLES / "invoices" / "invoice-03-english.pdf"


def get(services: processes.ServiceSet, path: str, auth: dict[str, str], tenant: str | None = None) -> httpx.Response:
    headers = {**auth, **({"X-Tenant": tenant} if tenant else {})}
    return httpx.get(f"{services.ingest_url}{path}", headers=headers, timeout=30)


def send(services: processes.ServiceSet, path: str, auth: dict[str, str], *, tenant: str | None = None,
         file: Path | None = None, body: Any = None) -> httpx.Response:
    headers = {**auth, **({"X-Tenant": tenant} if tenant else {})}
    if file is not None:
        with file.open("rb") as fh:
            return httpx.post(f"{services.ingest_url}{path}", files={"file": (file.name, fh)}, headers=headers,
                              timeout=60)
    return httpx.post(f"{services.ingest_url}{path}", json=body, headers=headers, timeout=30)


def keys(state: stack.StackState, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "belegflow_ops", "keys", *args], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "BELEGFLOW_HOME": state.home})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def document(services: processes.ServiceSet, tenant: str) -> str:
    response = upload(services, tenant, INVOICE)
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]
    return document_id


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/documents/00000000-0000-0000-0000-000000000001"), ("GET", "/v1/documents"),
     ("POST", "/v1/documents"), ("POST", "/v1/documents/00000000-0000-0000-0000-000000000001/review/approve"),
     ("POST", "/v1/documents/00000000-0000-0000-0000-000000000001/recognition/repeat"),
     ("POST", "/v1/devices"), ("GET", "/v1/devices")],
)
def test_every_route_refuses_a_request_without_credentials(services: processes.ServiceSet, method: str,
                                                           path: str) -> None:
    response = httpx.request(method, f"{services.ingest_url}{path}", headers={"X-Tenant": "evil"}, timeout=30)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "unauthenticated"
    assert "Basic" in response.headers["www-authenticate"]


def test_a_users_tenant_comes_from_the_credential_and_another_tenants_document_is_not_found(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, document: str
) -> None:
    # GIVEN a clerk of the document's tenant and a clerk of another tenant
    add_user(stack_state, f"own-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    add_user(stack_state, f"other-{tenant}", PASSWORD, roles=["clerk"], tenants=["other"])
    own, other = basic(f"own-{tenant}", PASSWORD), basic(f"other-{tenant}", PASSWORD)
    # THEN the own clerk reads it without naming the tenant; it is theirs
    mine = get(services, f"/v1/documents/{document}", own)
    assert mine.status_code == 200, mine.text
    assert mine.json()["tenant"] == tenant
    listed = get(services, "/v1/documents", own)
    assert [d["id"] for d in listed.json()] == [document]
    # AND the other tenant's clerk gets 404, also when naming the document's tenant in the header (403)
    theirs = get(services, f"/v1/documents/{document}", other)
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "not-found"
    header = get(services, f"/v1/documents/{document}", other, tenant=tenant)
    assert header.status_code == 403
    assert header.json()["code"] == "tenant-not-granted"
    assert get(services, "/v1/documents", other).json() == []
    # AND an upload as the own clerk lands in the own tenant, whatever the header says
    assert send(services, "/v1/documents", own, tenant="evil", file=INVOICE).status_code == 403


def test_wrong_passwords_and_unknown_users_are_refused_alike(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    add_user(stack_state, f"carla-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    for auth in (basic(f"carla-{tenant}", PASSWORD + "x"), basic(f"nobody-{tenant}", PASSWORD),
                 {"Authorization": "Basic not-base64!"}, {"Authorization": "Digest x"}):
        response = get(services, "/v1/documents", auth)
        assert response.status_code == 401, auth
        assert response.json()["code"] in ("invalid-credentials", "unauthenticated")


def test_a_short_password_is_refused_by_the_cli(stack_state: stack.StackState, tenant: str) -> None:
    result = subprocess.run([sys.executable, "-m", "belegflow_ops", "users", "add", f"dora-{tenant}", "--role",
                             "clerk", "--tenant", tenant], input="short\n", capture_output=True, text=True,
                            timeout=60, check=False, env={**os.environ, "BELEGFLOW_HOME": stack_state.home})
    assert result.returncode == 2
    assert "at least 12 characters" in result.stderr


def test_roles_decide_what_a_credential_may_do(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, document: str
) -> None:
    # GIVEN an API key for an integrator (read only) and one for an operator, created with the CLI
    created = keys(stack_state, "create", f"erp-{tenant}", "--role", "integrator", "--tenant", tenant)
    assert created.returncode == 0, created.stderr
    integrator_key = created.stdout.strip()
    assert integrator_key.startswith("bfk_")
    operator_key = keys(stack_state, "create", f"ops-{tenant}", "--role", "operator", "--tenant", tenant).stdout.strip()
    integrator, operator = bearer(integrator_key), bearer(operator_key)
    add_user(stack_state, f"eve-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    clerk = basic(f"eve-{tenant}", PASSWORD)
    # THEN the integrator reads documents but uploads nothing
    assert get(services, f"/v1/documents/{document}", integrator).status_code == 200
    refused = send(services, "/v1/documents", integrator, file=INVOICE)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    # AND device slots are the operator's only
    slot = {"name": "kasse-01"}
    assert send(services, "/v1/devices", clerk, body=slot).status_code == 403
    assert send(services, "/v1/devices", integrator, body=slot).status_code == 403
    released = send(services, "/v1/devices", operator, body=slot)
    assert released.status_code == 201, released.text
    assert get(services, "/v1/devices", clerk).status_code == 403
    # AND a revoked key stops working at once
    key_id = integrator_key.split("_")[1]
    assert keys(stack_state, "revoke", key_id).returncode == 0
    gone = get(services, f"/v1/documents/{document}", integrator)
    assert gone.status_code == 401
    assert gone.json()["code"] == "invalid-credentials"
    # AND `keys list` names the keys without their secrets
    listed = keys(stack_state, "list").stdout
    assert key_id in listed
    assert "revoked" in listed
    assert integrator_key.split("_")[2] not in listed


def test_oidc_tokens_are_verified_against_the_issuers_keys(
    services: processes.ServiceSet, idp: IdentityProvider, tenant: str, document: str
) -> None:
    # GIVEN a token of the configured issuer for a clerk of the tenant THEN it reads the tenant's document
    good = idp.token(roles=["clerk"], tenants=[tenant])
    response = get(services, f"/v1/documents/{document}", bearer(good))
    assert response.status_code == 200, response.text
    # AND refuses each bad token with why
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "token-expired": idp.token(roles=["clerk"], tenants=[tenant], expires_in_s=-120),
        "wrong-audience": idp.token(roles=["clerk"], tenants=[tenant], audience="someone-else"),
        "invalid-token": idp.token(roles=["clerk"], tenants=[tenant], key=other_key),  # forged
    }
    for code, token in cases.items():
        refused = get(services, f"/v1/documents/{document}", bearer(token))
        assert refused.status_code == 401, code
        assert refused.json()["code"] == code
    # AND a token of another tenant finds nothing; one without a belegflow role is refused
    elsewhere = get(services, f"/v1/documents/{document}", bearer(idp.token(roles=["clerk"], tenants=["other"])))
    assert elsewhere.status_code == 404
    no_role = get(services, f"/v1/documents/{document}", bearer(idp.token(roles=["admin"], tenants=[tenant])))
    assert no_role.status_code == 403
    assert no_role.json()["code"] == "no-role"


def test_no_secret_reaches_the_logs(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, document: str
) -> None:
    # GIVEN requests with a password, an API key and a wrong password
    add_user(stack_state, f"fritz-{tenant}", PASSWORD, roles=["clerk"], tenants=[tenant])
    get(services, f"/v1/documents/{document}", basic(f"fritz-{tenant}", PASSWORD))
    get(services, f"/v1/documents/{document}", basic(f"fritz-{tenant}", "wrong " + PASSWORD))
    # THEN no log of any service holds the password or the bootstrap key
    logs = "".join(path.read_text(errors="replace") for path in (services.home / "logs").glob("*.log"))
    assert PASSWORD not in logs
    assert services.api_key.split("_", 2)[2] not in logs  # the token may hold "_" itself
