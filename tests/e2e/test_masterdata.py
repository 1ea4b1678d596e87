"""Master data over the CLI and over its subject: all rows or none, bad input named precisely."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, dead_letters, stream_messages

pytestmark = pytest.mark.e2e


def cli(state: stack.StackState, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BELEGFLOW_NATS_URL": state.nats_url}
    return subprocess.run([sys.executable, "-m", "belegflow_ops", *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


async def supplier_count(state: stack.StackState, tenant: str) -> int:
    conn = await asyncpg.connect(state.database_url("matching"))
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM matching.suppliers WHERE tenant = $1", tenant)
        return count
    finally:
        await conn.close()


async def test_a_file_with_a_bad_row_is_refused_whole_and_the_row_is_named(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path
) -> None:
    # GIVEN the sample suppliers with a broken IBAN in the third record
    rows = (SAMPLES / "masterdata" / "suppliers.csv").read_text().splitlines()
    fields = rows[3].split(",")
    fields[6] = "DE00123456789012345678"
    rows[3] = ",".join(fields)
    bad = tmp_path / "suppliers.csv"
    bad.write_text("\n".join(rows) + "\n")
    # WHEN importing it
    result = cli(stack_state, "masterdata", "import", "suppliers", str(bad), "--tenant", tenant)
    # THEN the command fails naming line 4 and nothing of the file is imported
    assert result.returncode == 1
    assert "line 4" in result.stderr
    assert "IBAN" in result.stderr
    assert await supplier_count(stack_state, tenant) == 0
    # AND the good file imports completely
    good = cli(stack_state, "masterdata", "import", "suppliers", str(SAMPLES / "masterdata" / "suppliers.csv"),
               "--tenant", tenant)
    assert good.returncode == 0, good.stderr
    assert await supplier_count(stack_state, tenant) == len(rows) - 1


async def test_a_batch_with_a_conflict_is_refused_whole_over_the_subject(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN a batch in which two suppliers claim the same IBAN
    iban = "DE89370400440532013000"
    batch = {"batch_id": str(uuid.uuid4()), "tenant": tenant, "source": "erp", "records": [
        {"supplier_number": "1", "name": "A GmbH", "ibans": [iban]},
        {"supplier_number": "2", "name": "B GmbH", "ibans": [iban]},
    ]}
    # WHEN an ERP publishes it on md.<tenant>.suppliers.v1
    await nc.jetstream().publish(f"md.{tenant}.suppliers.v1", json.dumps(batch).encode(),
                                 headers={"Nats-Msg-Id": batch["batch_id"]})
    # THEN the owner answers with a refusal that says why, and stores nothing
    answers = await stream_messages(nc, "MD", f"md.{tenant}.suppliers.applied.v1", expect=1, timeout_s=30)
    (answer,) = [json.loads(m.data) for m in answers]
    assert answer["applied"] == 0
    assert iban in answer["error"]
    assert await supplier_count(stack_state, tenant) == 0


async def test_dead_letters_are_listed_and_can_be_re_driven(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN a supplier batch that is not a valid SupplierBatchV1 (no records), dead-lettered by matching
    bad = {"batch_id": str(uuid.uuid4()), "tenant": tenant, "source": "erp"}
    await nc.jetstream().publish(f"md.{tenant}.suppliers.v1", json.dumps(bad).encode(),
                                 headers={"Nats-Msg-Id": f"bad-batch-{tenant}"})
    first = await dead_letters(nc, "matching", tenant, expect=1, timeout_s=30)
    # WHEN an operator lists and re-drives it
    listed = cli(stack_state, "dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert f"md.{tenant}.suppliers.v1" in listed.stdout
    seq = next(line.split()[0].lstrip("#") for line in listed.stdout.splitlines()
               if f"md.{tenant}.suppliers.v1" in line)
    redriven = cli(stack_state, "dlq", "redrive", seq)
    assert redriven.returncode == 0, redriven.stderr
    # THEN the same payload went back to its subject (and, still invalid, is dead-lettered again)
    again = await dead_letters(nc, "matching", tenant, expect=2, timeout_s=30)
    assert len(first) == 1
    assert len(again) == 2
    assert again[0]["payload"] == again[1]["payload"]
    assert "records" in again[1]["reason"]
