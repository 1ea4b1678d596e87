"""The edge agent killed (SIGKILL) at random points of capture and sync, its uplink cut and restored.

Every agent step is its own process (``python -m belegflow_edge ...``) killed after a random delay, so
kills land in imports, in the middle of a capture (file written, row not yet committed), between an
upload and its receipt, and while a session is being reported. The broker connection runs through a
TCP relay the test cuts and restores. At the end every document the agent said it captured is stored
centrally exactly once and byte for byte, and every sync session's result is the truth.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import pytest

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DeviceConfigV1,
    DeviceMasterDataV1,
    NatsCredentialsV1,
    NumberBlockV1,
    PairingResultV1,
)
from belegflow_edge.store import Store
from belegflow_ops import processes, stack
from bench.edge.proxy import TcpProxy
from samples.generate import generate
from tests.conftest import release_device

pytestmark = pytest.mark.e2e

# kills across this file: capture-only test + capture and sync kills of the full test (>= 200 by default)
CAPTURE_KILLS = int(os.environ.get("BELEGFLOW_EDGE_CAPTURE_KILLS", "120"))
FULL_CAPTURE_KILLS = int(os.environ.get("BELEGFLOW_EDGE_FULL_CAPTURE_KILLS", "20"))
SYNC_KILLS = int(os.environ.get("BELEGFLOW_EDGE_SYNC_KILLS", "60"))

CAPTURED = re.compile(r"^captured (\S+) sequence=(\d+) sha256=([0-9a-f]{64}) size=(\d+) file=(.+)$")


@dataclass
class AgentRun:
    rc: int | None
    out: list[str]
    err: str
    killed: bool
    seconds: float


@dataclass
class Agent:
    home: Path
    env: dict[str, str]
    kills: int = 0
    runs: list[AgentRun] = field(default_factory=list)
    in_process: dict[str, tuple[int, str]] = field(default_factory=dict)

    async def run(self, *args: str, kill_after: float | None = None, kill_when: Callable[[], bool] | None = None,
                  then: float = 0.0) -> AgentRun:
        """Run one agent process; SIGKILL it ``kill_after`` seconds after its start, or ``then`` seconds after
        ``kill_when`` became true (its first capture committed, its session started)."""
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "belegflow_edge", "--home", str(self.home), *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=self.env)
        assert proc.stdout is not None
        assert proc.stderr is not None
        lines: list[str] = []

        async def read_out() -> None:
            assert proc.stdout is not None
            async for line in proc.stdout:
                lines.append(line.decode().rstrip("\n"))

        reader = asyncio.create_task(read_out())
        err_reader = asyncio.create_task(proc.stderr.read())
        killed = False
        waiter = asyncio.create_task(proc.wait())
        if kill_when is not None:
            while not waiter.done() and not kill_when():
                await asyncio.wait({waiter}, timeout=0.005)
            deadline = then
        else:
            deadline = kill_after if kill_after is not None else 600
        await asyncio.wait({waiter}, timeout=deadline)
        if not waiter.done():
            try:
                proc.kill()  # SIGKILL: no goodbye
            except ProcessLookupError:
                pass  # it ended in the same instant
            else:
                killed = True
                self.kills += 1
        await waiter
        await reader
        run = AgentRun(None if killed else proc.returncode, lines, (await err_reader).decode(), killed,
                       time.monotonic() - started)
        self.runs.append(run)
        return run

    def rows(self) -> list[sqlite3.Row]:
        db = sqlite3.connect(f"file:{self.home / 'edge.db'}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        try:
            return db.execute("SELECT * FROM documents ORDER BY sequence").fetchall()
        finally:
            db.close()

    def count(self, table: str) -> int:
        db = sqlite3.connect(f"file:{self.home / 'edge.db'}?mode=ro", uri=True)
        try:
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        finally:
            db.close()

    def grew(self, table: str) -> Callable[[], bool]:
        """True once ``table`` has more rows than now."""
        before = self.count(table)
        return lambda: self.count(table) > before

    def sessions(self) -> dict[str, sqlite3.Row]:
        db = sqlite3.connect(f"file:{self.home / 'edge.db'}?mode=ro", uri=True)
        db.row_factory = sqlite3.Row
        try:
            return {row["session_id"]: row for row in db.execute("SELECT * FROM sessions")}
        finally:
            db.close()


def _reported(runs: list[AgentRun]) -> dict[str, tuple[int, str]]:
    """file -> (sequence, sha256) of every capture an agent reported, killed or not."""
    seen: dict[str, tuple[int, str]] = {}
    for run in runs:
        for line in run.out:
            match = CAPTURED.match(line)
            if match:
                seen[match.group(5)] = (int(match.group(2)), match.group(3))
    return seen


async def _capture_with_kills(agent: Agent, files: list[Path], kills: int, startup_s: float, doc_type: str,
                              rng: random.Random, *, batch: int = 10,
                              more: Callable[[], list[Path]] | None = None, min_mid_batch: int = 0) -> int:
    """Capture ``files`` in small batches, killing agents at random, until ``kills`` kills and at least
    ``min_mid_batch`` of them in the middle of a capture loop (at most three times ``kills`` in all); returns the
    mid-batch kills. A kill that came after the loop had finished aims the next ones earlier: the loop's length
    measured at the start no longer holds when the machine gets busier."""
    mid_batch = 0
    target = agent.kills + kills
    cap = agent.kills + 3 * kills
    # one batch without a kill tells how long the capture loop itself runs on this machine
    calibration = await agent.run("capture", *map(str, files[:batch]), "--type", doc_type)
    assert calibration.rc == 0, calibration.err
    loop_s = max(0.05, calibration.seconds - startup_s)
    while agent.kills < target or (mid_batch < min_mid_batch and agent.kills < cap):
        known = {row["filename"] for row in agent.rows()}
        todo = [f for f in files if f.name not in known][:batch]
        if not todo and more is not None:
            files.extend(more())
            todo = [f for f in files if f.name not in known][:batch]
        if not todo:
            break
        if rng.random() < 0.25:
            # during start-up or the first capture
            run = await agent.run("capture", *map(str, todo), "--type", doc_type,
                                  kill_after=startup_s * rng.uniform(0.5, 1.3))
        else:
            # at a random point of the capture loop, once the first capture of this run committed
            run = await agent.run("capture", *map(str, todo), "--type", doc_type,
                                  kill_when=agent.grew("documents"), then=rng.uniform(0.0, loop_s))
        done = sum(1 for line in run.out if CAPTURED.match(line))
        if run.killed and 0 < done < len(todo):
            mid_batch += 1
        elif not run.killed or done >= len(todo):
            loop_s = max(0.05, loop_s * 0.8)
    # whatever is left is captured without a kill
    known = {row["filename"] for row in agent.rows()}
    rest = [f for f in files if f.name not in known]
    if rest:
        run = await agent.run("capture", *map(str, rest), "--type", doc_type)
        assert run.rc == 0, run.err
    return mid_batch


def _assert_store_whole(home: Path) -> list[sqlite3.Row]:
    """Every row has its file with the recorded hash and size; no file without a row; numbers never reused."""
    with Store(home):  # a start: removes what a crash left half done
        pass
    db = sqlite3.connect(home / "edge.db")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT * FROM documents ORDER BY sequence").fetchall()
    db.close()
    files = {p.name for p in (home / "documents").iterdir()}
    assert files == {row["stored_name"] for row in rows}
    for row in rows:
        data = (home / "documents" / row["stored_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"], row["sequence"]
        assert len(data) == row["size"]
    sequences = [row["sequence"] for row in rows]
    assert sequences == list(range(1, len(rows) + 1))
    assert len({row["document_number"] for row in rows}) == len(rows)
    assert len({row["filename"] for row in rows}) == len(rows), "a file was captured twice"
    return rows


async def _startup_seconds(agent: Agent) -> float:
    runs = [await agent.run("status", "--no-probe") for _ in range(2)]
    return max(r.seconds for r in runs)


def _distinct_pdfs(folder: Path, count: int, rng: random.Random, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        filler = rng.randbytes(rng.randint(1_000, 100_000)).hex().encode()
        path = folder / f"beleg-{n:04d}.pdf"
        path.write_bytes(b"%PDF-1.4\n% " + uuid.uuid4().hex.encode() + b"\n%" + filler + b"\n%%EOF\n")
        paths.append(path)
    return paths


async def test_killed_captures_never_leave_half_a_capture(tmp_path: Path) -> None:
    # GIVEN an agent (paired offline from a stored answer: capture needs no central) and plenty of documents
    rng = random.Random(20241121)
    home = tmp_path / "agent"
    with Store(home) as store:
        store.pair(PairingResultV1(
            tenant="faults", device="kasse-k", name="KASSE-K",
            credentials=NatsCredentialsV1(servers=["nats://127.0.0.1:9"], user="u", password="p",
                                          inbox_prefix=subjects.device_inbox("faults", "kasse-k")),
            blocks=[NumberBlockV1(series="BE", first=1, last=10_000)], config=DeviceConfigV1(version=1),
            masterdata=DeviceMasterDataV1(version="0")), "http://central.invalid")
    agent = Agent(home, {**os.environ})
    files = _distinct_pdfs(tmp_path / "in", 400, rng)

    def more() -> list[Path]:
        return _distinct_pdfs(tmp_path / "in", 200, rng, start=len(files))

    startup = await _startup_seconds(agent)
    # WHEN capture processes are killed at random points, many times
    mid_batch = await _capture_with_kills(agent, files, CAPTURE_KILLS, startup, "receipt", rng, more=more,
                                          min_mid_batch=CAPTURE_KILLS // 10)
    print(f"capture kills: {agent.kills}, in the middle of a capture loop: {mid_batch}")
    # THEN the kills happened, many of them in the middle of a capture loop
    assert agent.kills >= CAPTURE_KILLS
    assert mid_batch >= CAPTURE_KILLS // 10, (mid_batch, agent.kills)
    # AND the store holds whole captures only, and every capture the agent reported is one of them
    rows = _assert_store_whole(home)
    by_file = {row["filename"]: (row["sequence"], row["sha256"]) for row in rows}
    for path, (sequence, sha) in _reported(agent.runs).items():
        assert by_file[Path(path).name] == (sequence, sha)
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha


def _large_xml(path: Path, size: int) -> Path:
    body = "".join(f"<line n=\"{i}\">{uuid.uuid4().hex}</line>\n" for i in range(size // 60))
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<notes>\n{body}</notes>\n')
    return path


async def test_agent_killed_and_cut_off_loses_nothing_and_duplicates_nothing(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, tmp_path: Path
) -> None:
    rng = random.Random(7)
    proxy = TcpProxy("127.0.0.1", stack_state.nats_port)  # the uplink: down until the test restores it
    agent = Agent(tmp_path / "agent", {**os.environ, "BELEGFLOW_EDGE_NATS_SERVERS": proxy.url})
    # GIVEN a device paired through central with an operator's code
    code = release_device(services, tenant, "KASSE-F")["code"]
    paired = await agent.run("pair", "--server", services.ingest_url, "--code", code)
    assert paired.rc == 0, paired.err
    # AND invoices (one of them large enough to travel in chunks)
    pdfs = generate(tmp_path / "invoices", seed=4242, count=FULL_CAPTURE_KILLS * 5, masterdata_dir=tmp_path / "md")
    pdfs.append(_large_xml(tmp_path / "invoices" / "gross.xml", 700_000))
    later = []
    for path in generate(tmp_path / "later", seed=4343, count=SYNC_KILLS * 5 + 10, masterdata_dir=tmp_path / "md2"):
        later.append(path.rename(path.with_name(f"later-{path.name}")))
    later_count = len(later)
    extra_rounds = iter(range(1000))

    def more() -> list[Path]:
        # a fast machine may capture everything before enough kills landed: then there is more to capture
        n = next(extra_rounds)
        fresh = generate(tmp_path / f"extra-{n}", seed=5000 + n, count=15, masterdata_dir=tmp_path / f"md-extra-{n}")
        return [path.rename(path.with_name(f"extra{n}-{path.name}")) for path in fresh]

    startup = await _startup_seconds(agent)
    print(f"agent start-up: {startup:.2f} s")
    # one sync without faults tells how long a session takes per document here
    await proxy.restore()
    _capture_in_process(agent, later, 3)
    calibration = await agent.run("sync", "--json")
    assert calibration.rc == 0, calibration.err
    told = json.loads(calibration.out[-1])
    assert (told["result"], told["accepted"]) == ("success", 3), told
    per_document_s = (datetime.fromisoformat(told["ended_at"]) -
                      datetime.fromisoformat(told["started_at"])).total_seconds() / 3
    print(f"session time per document: {per_document_s * 1000:.0f} ms")
    await proxy.cut()

    # WHEN they are captured offline while capture processes are killed at random
    await _capture_with_kills(agent, pdfs, FULL_CAPTURE_KILLS, startup, "invoice", rng, batch=3, more=more)
    assert agent.kills >= FULL_CAPTURE_KILLS
    capture_kills = agent.kills
    total = len(pdfs) + later_count  # the capture loop may have added documents to pdfs
    print(f"capture kills: {capture_kills}")
    # AND sync processes are killed at random, and the uplink is cut in the middle of syncs
    await proxy.restore()
    try:
        await _sync_with_faults(agent, proxy, later, per_document_s, capture_kills, rng)
    finally:
        await proxy.close()
    await proxy.restore()
    try:
        await _settle_and_check(agent, stack_state, tenant, later, total)
    finally:
        await proxy.close()


async def _sync_with_faults(agent: Agent, proxy: TcpProxy, later: list[Path], per_document_s: float,
                            capture_kills: int, rng: random.Random) -> None:
    finished_sessions: dict[str, str] = {}
    killed_runs: list[tuple[set[str], AgentRun]] = []
    iteration = 0
    while agent.kills - capture_kills < SYNC_KILLS:
        iteration += 1
        # the device keeps capturing while it syncs, so every session has work to be killed in
        assert len(later) > 3, f"ran out of documents after {agent.kills - capture_kills} sync kills"
        _capture_in_process(agent, later, rng.randint(1, 2))
        before = set(agent.sessions())
        # a session runs about this long with the documents waiting now
        session_s = 0.05 + per_document_s * sum(1 for r in agent.rows() if r["state"] in ("captured", "sent"))
        if iteration % 7 == 0:
            task = asyncio.create_task(agent.run("sync", "--json", "--receipt-timeout", "5"))
            while not task.done() and len(agent.sessions()) == len(before):
                await asyncio.sleep(0.005)
            await asyncio.sleep(rng.uniform(0.0, session_s))
            await proxy.cut()
            await asyncio.sleep(rng.uniform(0.2, 1.5))
            await proxy.restore()
            run = await task
        elif iteration % 5 == 0:
            # a kill during start-up, connect or the first steps
            run = await agent.run("sync", "--json", "--receipt-timeout", "5",
                                  kill_after=rng.uniform(0.2, 1.0))
        else:
            # a kill at a random point of the session itself
            run = await agent.run("sync", "--json", "--receipt-timeout", "5",
                                  kill_when=agent.grew("sessions"), then=rng.uniform(0.0, session_s * 1.2))
        if run.killed:
            killed_runs.append((set(agent.sessions()) - before, run))
        for line in run.out:
            if line.startswith("{"):
                told = json.loads(line)
                finished_sessions[told["session_id"]] = told["result"]
    print(f"sync runs: {iteration}, killed: {agent.kills - capture_kills}, uplink cuts: {proxy.cuts}, "
          f"sessions that ended: {len(finished_sessions)}")
    assert proxy.cuts >= SYNC_KILLS // 7
    _check_sessions(agent, finished_sessions, killed_runs)


def _capture_in_process(agent: Agent, pool: list[Path], count: int) -> None:
    """Captures through the library while no agent runs (keeps three documents for the last session)."""
    with Store(agent.home) as store:
        for _ in range(min(count, len(pool) - 3)):
            path = pool.pop()
            doc = store.capture(path, document_type="invoice")
            agent.in_process[str(path)] = (doc.sequence, doc.sha256)


def _check_sessions(agent: Agent, finished_sessions: dict[str, str],
                    killed_runs: list[tuple[set[str], AgentRun]]) -> None:
    """Sessions of killed agents are never a success unless they ended before the kill, and never stay running."""
    agent_sessions = agent.sessions()
    for new, _ in killed_runs:
        for session_id in new:
            row = agent_sessions[session_id]
            if session_id in finished_sessions:
                assert row["result"] == finished_sessions[session_id]
            elif row["result"] not in ("running", "failed"):
                # it ended before the kill (the kill hit the goodbye): an ordinary end, not a cut-off one
                assert row["ended_at"] is not None
                assert "interrupted" not in row["errors"]
    for session_id, result in finished_sessions.items():
        assert agent_sessions[session_id]["result"] == result


async def _settle_and_check(agent: Agent, stack_state: stack.StackState, tenant: str, later: list[Path],
                            total: int) -> None:
    # THEN, after a last capture and a sync without faults,
    assert later
    for extra in later:
        run = await agent.run("capture", str(extra), "--type", "invoice")
        assert run.rc == 0, run.err
    waiting = sum(1 for row in agent.rows() if row["state"] in ("captured", "sent"))
    assert waiting > 0
    final = await agent.run("sync", "--json")
    assert final.rc == 0, [*final.out, final.err]
    last: dict[str, Any] = json.loads(final.out[-1])
    # the last session is a success whose counts match what was waiting
    assert last["result"] == "success"
    assert (last["backlog"], last["accepted"], last["duplicates"], last["rejected"], last["failed"]) == \
        (waiting, waiting, 0, 0, 0)

    # every document the agent captured is stored centrally exactly once, byte for byte
    rows = _assert_store_whole(agent.home)
    assert {row["state"] for row in rows} == {"accepted"}
    assert len(rows) == total
    reported = {**_reported(agent.runs), **agent.in_process}
    conn = await asyncpg.connect(stack_state.database_url("ingest"))
    try:
        central = await conn.fetch(
            "SELECT id, sha256, size, bucket, object_key, device, device_sequence FROM ingest.documents"
            " WHERE tenant = $1", tenant)
        central_sessions = {str(r["session_id"]): r["result"] for r in await conn.fetch(
            "SELECT session_id, result FROM ingest.device_sessions WHERE tenant = $1", tenant)}
    finally:
        await conn.close()
    local = {(row["sequence"], row["sha256"]) for row in rows}
    assert sorted((r["device_sequence"], r["sha256"]) for r in central) == sorted(local)
    assert {str(r["id"]) for r in central} == {row["document_id"] for row in rows}
    for file, (sequence, sha) in reported.items():
        assert (sequence, sha) in local, file
    s3 = boto3.client("s3", endpoint_url=stack_state.s3_url, aws_access_key_id=stack_state.s3_access_key,
                      aws_secret_access_key=stack_state.s3_secret_key, region_name="us-east-1")
    by_sequence = {row["sequence"]: row for row in rows}
    for r in central:
        stored = s3.get_object(Bucket=r["bucket"], Key=r["object_key"])["Body"].read()
        mine = (agent.home / "documents" / by_sequence[r["device_sequence"]]["stored_name"]).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(mine).hexdigest() == r["sha256"]

    # and the sessions tell the truth, on the device and centrally
    sessions = agent.sessions()
    assert all(s["result"] != "running" for s in sessions.values())
    for s in sessions.values():
        assert s["accepted"] + s["duplicates"] + s["rejected"] + s["failed"] == s["backlog"], dict(s)
        if s["result"] == "success":
            assert s["failed"] == 0
            assert s["rejected"] == 0
    interrupted = [s for s in sessions.values() if s["result"] == "failed" and "interrupted" in s["errors"]]
    assert interrupted
    assert central_sessions == {sid: s["result"] for sid, s in sessions.items()}
