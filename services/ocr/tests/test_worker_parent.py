"""Recognition workers die with the service that started them, also when it is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = """
import asyncio, os, sys
from belegflow_ocr.worker import RecognitionPool

async def main() -> None:
    pool = RecognitionPool(workers=2, timeout_s=60, memory_mb=2048)
    try:
        await pool.recognize(b"not a document", filename="x.bin", media_type=None)
    except Exception:
        pass
    print("ready", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def _children(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_workers_die_when_the_service_is_killed() -> None:
    # GIVEN a service process whose recognition pool has started its workers
    service = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert service.stdout is not None
        assert service.stdout.readline().strip() == "ready"
        workers = [pid for pid in _children(service.pid) if "belegflow" in Path(f"/proc/{pid}/cmdline")
                   .read_bytes().decode(errors="replace") or "multiprocessing" in Path(f"/proc/{pid}/cmdline")
                   .read_bytes().decode(errors="replace")]
        assert workers, "the pool started no worker"
        # WHEN the service is killed with SIGKILL (no clean-up runs)
        os.kill(service.pid, signal.SIGKILL)
        service.wait(timeout=30)
        # THEN its workers are gone too
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        if service.poll() is None:
            service.kill()
