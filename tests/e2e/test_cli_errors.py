"""The CLI answers expected failures with one line and an exit status, never a traceback; long work shows progress."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from belegflow_ops import processes, stack
from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e


def belegflow(*args: str, home: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "belegflow_ops", *args], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "BELEGFLOW_HOME": home, **(extra or {})})


def test_dlq_list_on_an_empty_dlq_and_redrive_of_an_unknown_sequence(tmp_path: Path) -> None:
    # GIVEN a fresh stack of its own, whose DLQ is empty
    home = tmp_path / "stack"
    up = belegflow("stack", "up", home=str(home))
    try:
        assert up.returncode == 0, up.stderr
        assert "starting nats-server" in up.stderr  # progress while it starts
        listing = belegflow("dlq", "list", home=str(home))
        assert listing.returncode == 0, listing.stderr
        assert listing.stdout.strip() == "the DLQ is empty"
        redrive = belegflow("dlq", "redrive", "4711", home=str(home))
        assert redrive.returncode == 1
        assert "no dead letter #4711" in redrive.stderr
        for result in (up, listing, redrive):
            assert "Traceback" not in result.stderr
    finally:
        belegflow("stack", "down", home=str(home))


def test_upload_while_ingest_is_down_says_so(tmp_path: Path) -> None:
    result = belegflow("upload", str(SAMPLES / "invoices" / "invoice-01-din.pdf"), "--tenant", "acme",
                       home=str(tmp_path), extra={"BELEGFLOW_INGEST_URL": f"http://127.0.0.1:{stack.free_port()}",
                                                  "BELEGFLOW_API_KEY": "bfk_x"})
    assert result.returncode == 1
    assert "does not answer" in result.stderr
    assert "Traceback" not in result.stderr


def test_upload_of_a_folder_with_jobs_and_wait_shows_progress(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path
) -> None:
    folder = tmp_path / "invoices"
    folder.mkdir()
    for pdf in sorted((SAMPLES / "invoices").glob("*.pdf")):
        (folder / pdf.name).write_bytes(pdf.read_bytes())
    invoices = len(list(folder.iterdir()))
    result = belegflow("upload", str(folder), "--tenant", tenant, "--jobs", "3", "--wait", "--timeout", "240",
                       home=stack_state.home, extra={"BELEGFLOW_INGEST_URL": services.ingest_url})
    assert f"uploaded: {invoices}/{invoices}" in result.stderr, result.stderr
    assert f"processed: {invoices}/{invoices}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == invoices


def test_masterdata_nested_100000_deep_is_one_line(stack_state: stack.StackState, tmp_path: Path) -> None:
    path = tmp_path / "suppliers.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = belegflow("masterdata", "import", "suppliers", str(path), "--tenant", "acme", home=stack_state.home)
    assert result.returncode == 1
    assert "nested too deeply" in result.stderr
    assert "Traceback" not in result.stderr
