"""The daemon: watched folder in, sync when central is reachable, backoff with jitter while it is not."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from belegflow_edge.daemon import Backoff, DaemonOptions, run_daemon
from belegflow_edge.settings import SERVERS_ENV
from belegflow_edge.store import DocState, Store
from belegflow_edge.sync import SyncOptions
from edge.tests.conftest import FakeCentral, NatsServer, pdf


def test_backoff_grows_to_its_cap_with_full_jitter() -> None:
    random.seed(3)
    backoff = Backoff(base_s=1.0, cap_s=8.0)
    delays = [backoff.next_delay() for _ in range(200)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    assert max(delays[:1]) <= 1.0
    assert max(delays[3:]) > 4.0  # ceilings 8 s from the fourth attempt on
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, no two alike
    backoff.reset()
    assert backoff.next_delay() <= 1.0


async def _until(predicate: Callable[[], bool], timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_daemon_captures_from_its_folder_and_syncs_when_central_comes_back(
    paired_store: Store, central: FakeCentral, nats_server: NatsServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN central unreachable, and two scans dropped into the watched folder
    monkeypatch.setenv(SERVERS_ENV, "nats://127.0.0.1:9")
    inbox = tmp_path / "scans"
    inbox.mkdir()
    (inbox / "a.pdf").write_bytes(pdf(1))
    (inbox / "b.pdf").write_bytes(pdf(2))
    said: list[str] = []
    stop = asyncio.Event()
    options = DaemonOptions(watch=inbox, document_type="receipt", poll_s=0.05, backoff_base_s=0.1, backoff_cap_s=0.3,
                            interval_s=60.0, sync=SyncOptions(receipt_timeout_s=2.0, connect_timeout_s=0.5))
    task = asyncio.create_task(run_daemon(paired_store, options, said.append, stop))
    try:
        # THEN they are captured while offline, and the daemon keeps probing
        await _until(lambda: len(paired_store.documents()) == 2 and any("unreachable" in s for s in said))
        assert sorted(p.name for p in (inbox / ".done").iterdir()) == ["a.pdf", "b.pdf"]
        assert central.uploads == []
        # WHEN central is reachable again
        monkeypatch.setenv(SERVERS_ENV, nats_server.url)
        # THEN the backlog goes up without anyone asking
        await _until(lambda: {d.state for d in paired_store.documents()} == {DocState.ACCEPTED})
        assert sorted(seq for seq, _ in central.uploads) == [1, 2]
        assert any("central is reachable again" in s for s in said)
        # AND a scan dropped now is captured and sent at once, not after the 60 s interval
        (inbox / "c.pdf").write_bytes(pdf(3))
        await _until(lambda: len(central.uploads) == 3)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
