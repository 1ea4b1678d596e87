"""Fixtures that start the real thing: NATS with JetStream, Postgres and S3 from packages, and the services."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import nats
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from nats.aio.client import Client as NATS
from nats.js.api import ConsumerConfig, DeliverPolicy

from belegflow_contracts.messages import PairingResultV1
from belegflow_contracts.runtime.settings import nats_servers
from belegflow_ops import processes, setup, stack

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
# The sample invoices are read right, but partly with calibrated confidences below the default touchless
# threshold (0.9); the pipeline tests want them touchless, the review tests make their own review cases.
SERVICE_ENV = {"BELEGFLOW_OTEL_EXPORTER": "none", "BELEGFLOW_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
               "BELEGFLOW_INBOX_POLL_S": "0.5", "BELEGFLOW_TOUCHLESS_MIN_CONFIDENCE": "0.7",
               # one tenant with its own, stricter policy (tests/e2e/test_review.py)
               "BELEGFLOW_TOUCHLESS_POLICIES":
                   '{"strict": {"min_confidence": 0.9, "max_gross": "5000", "four_eyes_above": "1000"}, '
                   # tests/e2e/test_learning.py: touchless at the production threshold
                   '"learning": {"min_confidence": 0.9}}',
               # every test asks from 127.0.0.1: the tests' deliberate failed sign-ins must not add up to a lock
               # of that one address (tests/e2e/test_sessions.py checks the limits on replicas of its own)
               "BELEGFLOW_LOCKOUT_FREE_FAILURES_ADDRESS": "100000"}


@contextlib.contextmanager
def stack_home(name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for a test stack outside pytest's temporary root; its logs are kept there when it is removed.

    As root, Postgres runs as its own user and passes through every folder above its data. pytest closes its root
    (``/tmp/pytest-of-<user>``) to 0700 whenever another pytest session of the same user starts: a stack under it
    would lose that passage while it runs, and Postgres would stop at its next checkpoint.
    """
    home = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    try:
        yield home
    finally:
        with contextlib.suppress(OSError):
            shutil.copytree(home / "logs", tmp_path_factory.getbasetemp() / f"{name}-logs", dirs_exist_ok=True)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def stack_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.StackState]:
    with stack_home("belegflow-stack", tmp_path_factory) as home:
        state = stack.up(home, sync_interval="always")
        try:
            asyncio.run(setup.init_all(setup.Targets(state.nats_url, state.admin_dsn, state.s3_url,
                                                     state.s3_access_key, state.s3_secret_key, state.role_passwords)))
            yield state
        finally:
            stack.down(home)


class IdentityProvider:
    """A local OIDC identity provider: an RSA key pair whose public half a local HTTP server offers as JWKS."""

    ISSUER = "https://idp.belegflow.test"
    AUDIENCE = "belegflow"

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        self.jwks = json.dumps({"keys": [{**jwk, "kid": "test-key", "use": "sig", "alg": "RS256"}]}).encode()
        jwks = self.jwks

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(jwks)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/jwks"

    def token(self, *, roles: list[str], tenants: list[str], sub: str = "anna@example.com", expires_in_s: int = 300,
              audience: str = AUDIENCE, key: rsa.RSAPrivateKey | None = None) -> str:
        now = int(time.time())
        claims = {"iss": self.ISSUER, "aud": audience, "sub": sub, "iat": now, "exp": now + expires_in_s,
                  "roles": roles, "tenants": tenants}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "test-key"})


@pytest.fixture(scope="session")
def idp() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    try:
        yield provider
    finally:
        provider.server.shutdown()


@pytest.fixture(scope="session")
def services(stack_state: stack.StackState, tmp_path_factory: pytest.TempPathFactory, idp: IdentityProvider
             ) -> Iterator[processes.ServiceSet]:
    out = tmp_path_factory.mktemp("out")
    inbox = tmp_path_factory.mktemp("inbox")
    running = processes.start_all(
        stack_state, export_dir=out, inbox_dir=inbox,
        extra_env={**SERVICE_ENV, "BELEGFLOW_OIDC_ISSUER": idp.ISSUER, "BELEGFLOW_OIDC_JWKS_URL": idp.jwks_url,
                   "BELEGFLOW_OIDC_AUDIENCE": idp.AUDIENCE},
    )
    try:
        yield running
    finally:
        processes.stop_all(running)


@pytest.fixture
def tenant() -> str:
    """Every test its own tenant: tests share the stack, never each other's data."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def nc(stack_state: stack.StackState) -> AsyncIterator[NATS]:
    client = await nats.connect(nats_servers(stack_state.nats_url))
    try:
        yield client
    finally:
        await client.close()


async def stream_messages(nc: NATS, stream: str, subject: str, *, expect: int, timeout_s: float) -> list[Any]:
    """All messages of ``subject`` in ``stream`` (from the start); waits until ``expect`` arrived or time is up."""
    js = nc.jetstream()
    sub = await js.subscribe(subject, stream=stream, ordered_consumer=True,
                             config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
    got: list[Any] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    try:
        while len(got) < expect and loop.time() < deadline:
            try:
                got.append(await sub.next_msg(timeout=max(0.1, min(1.0, deadline - loop.time()))))
            except nats.errors.TimeoutError:
                continue
        # anything beyond what was expected (a duplicate) shows up within a short grace period
        while True:
            try:
                got.append(await sub.next_msg(timeout=1.0))
            except nats.errors.TimeoutError:
                break
    finally:
        await sub.unsubscribe()
    return got


async def dead_letters(nc: NATS, service: str, tenant: str, *, expect: int, timeout_s: float) -> list[dict[str, Any]]:
    """The tenant's dead letters from ``dlq.<service>.v1``, once ``expect`` are there or time is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        msgs = await stream_messages(nc, "DLQ", f"dlq.{service}.v1", expect=10_000, timeout_s=0.2)
        mine = [letter for letter in (json.loads(m.data) for m in msgs) if letter.get("tenant") == tenant]
        if len(mine) >= expect or loop.time() > deadline:
            return mine
        await asyncio.sleep(0.3)


async def import_masterdata(state: stack.StackState, tenant: str, folder: Path = SAMPLES / "masterdata") -> None:
    from belegflow_ops.masterdata import import_file

    for kind in ("suppliers", "accruals"):
        applied = await import_file(kind, folder / f"{kind}.csv", tenant=tenant,
                                    nats_url=state.nats_url, timeout_s=60)
        assert applied.error is None, applied.error
        assert applied.applied > 0


def upload(services: processes.ServiceSet, tenant: str, path: Path) -> httpx.Response:
    with path.open("rb") as fh:
        return httpx.post(f"{services.ingest_url}/v1/documents", files={"file": (path.name, fh)},
                          headers={"X-Tenant": tenant, **services.auth}, timeout=60)


def truth(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.with_suffix(".truth.json").read_text())
    return data


# --- edge devices: release a slot, pair a device, connect as it -------------------------------------------


def release_device(
    services: processes.ServiceSet, tenant: str, name: str, *, ttl_s: int | None = None
) -> dict[str, Any]:
    """``POST /v1/devices``: the slot's one-time code and its expiry."""
    body: dict[str, Any] = {"name": name, **({"ttl_s": ttl_s} if ttl_s else {})}
    response = httpx.post(f"{services.ingest_url}/v1/devices", json=body,
                          headers={"X-Tenant": tenant, **services.auth}, timeout=30)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def redeem_code(services: processes.ServiceSet, code: str, *, hostname: str = "test-host") -> httpx.Response:
    """``POST /v1/devices/pair`` with a code, as a device does."""
    return httpx.post(f"{services.ingest_url}/v1/devices/pair", json={"code": code, "hostname": hostname,
                                                                       "agent_version": "test"}, timeout=30)


def pair_device(services: processes.ServiceSet, tenant: str, name: str = "kasse-01") -> PairingResultV1:
    """Release a slot and pair a device with its code: the device's credentials, blocks, config, master data."""
    code = release_device(services, tenant, name)["code"]
    response = redeem_code(services, code)
    assert response.status_code == 200, response.text
    return PairingResultV1.model_validate_json(response.content)


async def connect_device(paired: PairingResultV1, **options: Any) -> NATS:
    """A NATS connection as the paired device (its own user and inbox prefix); no reconnects."""
    creds = paired.credentials
    return await nats.connect(creds.servers, user=creds.user, password=creds.password,
                              inbox_prefix=creds.inbox_prefix.encode(), allow_reconnect=False,
                              max_reconnect_attempts=0, connect_timeout=5, **options)


@pytest.fixture
def paired_device(services: processes.ServiceSet, tenant: str) -> PairingResultV1:
    """A device paired with slot ``kasse-01`` of the test's tenant."""
    return pair_device(services, tenant)


def add_user(state: stack.StackState, name: str, password: str, *, roles: list[str], tenants: list[str]) -> None:
    """``belegflow users add`` with the password on standard input, as an operator does."""
    args = [sys.executable, "-m", "belegflow_ops", "users", "add", name]
    for role in roles:
        args += ["--role", role]
    for tenant in tenants:
        args += ["--tenant", tenant]
    result = subprocess.run(args, input=f"{password}\n", capture_output=True, text=True, timeout=60, check=False,
                            env={**os.environ, "BELEGFLOW_HOME": state.home})
    assert result.returncode == 0, result.stderr


def basic(name: str, password: str) -> dict[str, str]:
    """The Authorization header of a local user."""
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}
