"""A tiny run of ``python -m bench.edge`` against the test stack: it must deliver and print its figures."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from belegflow_ops import processes, stack
from bench.edge.__main__ import bench

pytestmark = pytest.mark.e2e


async def test_edge_bench_smoke(services: processes.ServiceSet, stack_state: stack.StackState, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BELEGFLOW_EDGE_NATS_SERVERS", "")  # bench points it at its relay; restored afterwards
    args = argparse.Namespace(documents=6, small_share=0.5, small_kb=[50, 60], large_kb=[600, 700], window=4,
                              seed=1)
    await bench(args, tmp_path, stack_state, services)
    out = capsys.readouterr().out
    assert "sync session: success, sent 6, accepted 6, duplicates 0, rejected 0, failed 0" in out
    assert "edge sync / raw publish:" in out
    assert "time to first confirmed document after reconnect: " in out
    assert "time to first confirmed document after reconnect: -" not in out
    # AND the memory of the agent and of ingest, at the start, per quarter of the backlog confirmed, and at the peak
    memory = out[out.index("resident memory, MB"):].splitlines()
    assert memory[0].split()[-2:] == ["agent", "ingest"]
    assert [line.split()[0] for line in memory[1:7]] == ["start", "25", "50", "75", "100", "peak"]
    assert all(float(value) > 0 for line in memory[1:7] for value in line.split()[-2:])
