"""Resetting a device slot: never a 500 after the reset was committed, never stranding unsynced documents
without a word; the device list orders sessions by central's clock and shows what is still unsynced."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from belegflow_contracts import subjects
from belegflow_contracts.messages import EdgeAckV1, PairingResultV1, SyncResult, SyncSessionV1
from belegflow_ops import processes, stack
from tests.conftest import connect_device, pair_device, redeem_code

pytestmark = pytest.mark.e2e


def _reset(services: processes.ServiceSet, tenant: str, device: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{services.ingest_url}/v1/devices/{device}/reset", json=body or None,
                      headers={"X-Tenant": tenant, **services.auth}, timeout=60)


def _slot(services: processes.ServiceSet, tenant: str, device: str) -> dict[str, Any]:
    response = httpx.get(f"{services.ingest_url}/v1/devices/{device}", headers={"X-Tenant": tenant, **services.auth},
                         timeout=30)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def _report(paired: PairingResultV1, session: SyncSessionV1) -> None:
    nc = await connect_device(paired)
    try:
        reply = await nc.request(subjects.device_session(paired.tenant, paired.device),
                                 session.model_dump_json().encode(), timeout=10)
        assert EdgeAckV1.model_validate_json(reply.data).ok, reply.data
    finally:
        await nc.close()


def _session(paired: PairingResultV1, *, started_at: datetime, backlog: int, ended: bool = False,
             accepted: int = 0) -> SyncSessionV1:
    return SyncSessionV1(session_id=uuid.uuid4(), tenant=paired.tenant, device=paired.device, started_at=started_at,
                         ended_at=started_at + timedelta(seconds=5) if ended else None, backlog=backlog,
                         sent=accepted, accepted=accepted,
                         result=SyncResult.SUCCESS if ended else SyncResult.RUNNING)


async def test_reset_of_a_device_with_unsynced_documents_needs_force(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    # GIVEN a device that reported 3 documents it has not synced yet
    paired = pair_device(services, tenant, "kasse-20")
    await _report(paired, _session(paired, started_at=datetime.now(UTC), backlog=3))
    # WHEN the operator resets its slot THEN it is refused and says why
    refused = _reset(services, tenant, "kasse-20")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "device_has_unsynced_documents"
    assert "3 document(s)" in refused.json()["detail"]
    # AND the CLI says the same without a traceback; with --force it resets
    env = {**os.environ, "BELEGFLOW_HOME": stack_state.home, "BELEGFLOW_INGEST_URL": services.ingest_url}
    cli = [sys.executable, "-m", "belegflow_ops", "devices", "reset", "--tenant", tenant, "--name", "kasse-20"]
    result = subprocess.run(cli, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 1
    assert "device_has_unsynced_documents" in result.stderr
    assert "Traceback" not in result.stderr
    forced = subprocess.run([*cli, "--force"], capture_output=True, text=True, timeout=60, env=env, check=False)
    assert forced.returncode == 0, forced.stderr
    assert "pairing code" in forced.stdout


async def test_a_device_that_synced_everything_resets_without_force(
    services: processes.ServiceSet, tenant: str
) -> None:
    paired = pair_device(services, tenant, "kasse-21")
    now = datetime.now(UTC)
    await _report(paired, _session(paired, started_at=now, backlog=2))
    await _report(paired, _session(paired, started_at=now, backlog=2, ended=True, accepted=2))
    assert _slot(services, tenant, "kasse-21")["backlog"] == 0
    assert _reset(services, tenant, "kasse-21").status_code == 200


async def test_sessions_are_ordered_by_centrals_clock(services: processes.ServiceSet, tenant: str) -> None:
    # GIVEN a device whose clock jumped back between two sessions
    paired = pair_device(services, tenant, "kasse-22")
    first = _session(paired, started_at=datetime(2031, 1, 1, tzinfo=UTC), backlog=0, ended=True)
    second = _session(paired, started_at=datetime(2021, 1, 1, tzinfo=UTC), backlog=0, ended=True)
    await _report(paired, first)
    await _report(paired, second)
    # THEN the one central received last is the newest
    slot = _slot(services, tenant, "kasse-22")
    assert [s["session_id"] for s in slot["sessions"]] == [str(second.session_id), str(first.session_id)]
    assert slot["last_sync_id"] == str(second.session_id)


def _wait_healthy(services: processes.ServiceSet, *, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{services.ingest_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("ingest did not become healthy again")


async def test_reset_while_nats_is_down_answers_the_new_code(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    # GIVEN a paired device that had a connection open, and then NATS goes away
    paired = pair_device(services, tenant, "kasse-23")
    device = await connect_device(paired)
    await device.close()
    home = Path(stack_state.home)
    os.kill(stack_state.pids["nats"], signal.SIGKILL)
    while stack._alive(stack_state.pids["nats"]):
        await asyncio.sleep(0.05)
    try:
        # WHEN the slot is reset THEN the committed reset answers its new code (no 500)
        reset = await asyncio.to_thread(_reset, services, tenant, "kasse-23")
        assert reset.status_code == 200, reset.text
        code = reset.json()["code"]
    finally:
        stack_state.pids["nats"] = stack._start_nats(stack_state, home)
        stack.save_state(stack_state)
    await asyncio.to_thread(_wait_healthy, services)
    # AND the new code pairs a device, the old credentials are refused
    assert redeem_code(services, code).status_code == 200
    with pytest.raises(Exception, match="Authorization Violation"):
        await connect_device(paired)


def _agent(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "belegflow_edge", "--home", str(home), *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_an_agent_whose_slot_was_reset_says_so_and_can_save_its_documents(
    services: processes.ServiceSet, tenant: str, tmp_path: Path
) -> None:
    from tests.conftest import SAMPLES, release_device

    # GIVEN a paired agent holding one captured document it has not synced
    home = tmp_path / "agent"
    code = release_device(services, tenant, "kasse-24")["code"]
    assert _agent(home, "pair", "--server", services.ingest_url, "--code", code).returncode == 0
    invoice = SAMPLES / "invoices" / "invoice-01-din.pdf"
    captured = _agent(home, "capture", str(invoice), "--type", "invoice")
    assert captured.returncode == 0, captured.stderr
    # WHEN the operator resets its slot (forced: central does not know of the document yet)
    assert _reset(services, tenant, "kasse-24", force=True).status_code == 200
    # THEN the agent's next sync says it was reset and how to save its documents
    sync = _agent(home, "sync")
    assert sync.returncode == 3, (sync.stdout, sync.stderr)
    output = sync.stdout + sync.stderr
    assert "reset or revoked" in output
    assert "belegflow-edge export" in output
    assert "1 document(s) not yet synced" in output
    # AND export copies the document out, byte for byte, with a manifest
    out = tmp_path / "saved"
    exported = _agent(home, "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest) == 1
    assert (out / manifest[0]["file"]).read_bytes() == invoice.read_bytes()
