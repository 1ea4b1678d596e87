"""The README's integrator example replays the EXPORT stream against the running stack, as printed there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts.runtime.settings import nats_servers
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, import_masterdata, stream_messages, upload

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    found = re.search(r"<!-- integrator replay example[^>]*-->\n```python\n(.*?)```", README.read_text(), re.S)
    assert found is not None, "the README's integrator example is gone"
    return found.group(1)


async def test_the_readme_example_replays_every_tms_export_of_the_tenant(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str, tmp_path: Path
) -> None:
    # GIVEN a tenant with one exported invoice
    await import_masterdata(stack_state, tenant)
    document_id = upload(services, tenant, SAMPLES / "invoices" / "invoice-01-din.pdf").json()["id"]
    assert len(await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=90)) == 1
    script = tmp_path / "replay.py"
    script.write_text(readme_example())

    # WHEN an integrator runs the README's example, twice
    env = {**os.environ, "NATS_URL": nats_servers(stack_state.nats_url)[0], "TENANT": tenant}
    runs = [subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60,
                           check=False) for _ in range(2)]

    # THEN each run prints that export, once, with its message id, and ends by itself
    for run in runs:
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert len(lines) == 1, run.stdout
        msg_id, printed_id, revision, *_ = lines[0].split()
        assert (printed_id, revision) == (document_id, "1")
        assert document_id in msg_id
