"""Where a document's time goes in the running pipeline: per-hop waits, CPU per service, Postgres, S3, NATS.

Used by ``bench.pipeline``. Everything is read from outside the services, so the figures need no
instrumentation in them: the hop times from JetStream's own timestamps of each event, the CPU time and
memory from ``/proc`` (each service with its child processes), Postgres from its statistics views, S3 by
listing what the run wrote, encode/decode by timing the contracts on the very payloads of the run.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import BaseModel

from belegflow_contracts import messages
from belegflow_contracts.runtime.settings import nats_servers

# the events of an invoice's way, in order; the first hop starts at the HTTP upload
EVENTS: tuple[tuple[str, str, type[BaseModel]], ...] = (
    ("ingested", "ingest", messages.IngestedV1),
    ("recognized", "ocr", messages.RecognizedV1),
    ("matched", "matching", messages.MatchedV1),
    ("decision", "matching", messages.DecisionV1),
    ("accrued", "accrual", messages.AccruedV1),
    ("tms", "export", messages.TmsExportV1),
)
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


# --- processes ------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids[ppid].append(int(entry.name))
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the ocr service's recognition workers are its children)."""
    kids = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process tree: the living processes, and the children they reaped (a Postgres
    backend that ended counts with the postmaster that waited for it)."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])  # utime, stime, cutime, cstime
    return total / _TICK


def own_cpu_seconds() -> float:
    """User + system CPU of this process (the bench: uploads, subscribers), its threads included."""
    usage = os.times()
    return usage.user + usage.system


def rss_bytes(pid: int, *, children: bool = True) -> int:
    """Resident memory of the process tree now (of the process alone with ``children=False``)."""
    total = 0
    for p in tree(pid) if children else [pid]:
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * _PAGE
        except OSError:
            continue
    return total


@dataclass
class RssSampler:
    """Samples each service's resident memory every ``interval_s`` while a run goes on."""

    pids: dict[str, int]
    interval_s: float = 0.5
    alone: frozenset[str] = frozenset()
    """Names measured without their child processes (a bench process that started the stack)."""
    samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        self.samples.append((time.perf_counter(), {name: rss_bytes(pid, children=name not in self.alone)
                                                    for name, pid in self.pids.items()}))

    async def _run(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await asyncio.to_thread(self.sample)

    def table(self, progress: list[float], done: str = "done") -> list[str]:
        """RSS per service at the start, when each quarter of the documents was done, and its peak."""
        if not self.samples:
            return []
        marks: list[tuple[str, dict[str, int]]] = [("start", self.samples[0][1])]
        ordered = sorted(progress)
        for share in (0.25, 0.5, 0.75, 1.0):
            if not ordered:
                break
            at = ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
            sample = min(self.samples, key=lambda s: abs(s[0] - at))
            marks.append((f"{int(share * 100)} % {done}", sample[1]))
        names = list(self.pids)
        rows = [f"{'resident memory, MB':22}" + "".join(f"{n:>10}" for n in names)]
        for label, values in marks:
            rows.append(f"{label:22}" + "".join(f"{values.get(n, 0) / 1e6:10.0f}" for n in names))
        peak = {n: max(s[1].get(n, 0) for s in self.samples) for n in names}
        rows.append(f"{'peak':22}" + "".join(f"{peak[n] / 1e6:10.0f}" for n in names))
        return rows


# --- Postgres and S3 ------------------------------------------------------------------------------


async def pg_counters(admin_dsn: str) -> dict[str, float]:
    """Transactions of the database, and rows written and index/sequential scans per service schema."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        out: dict[str, float] = {}
        row = await conn.fetchrow("SELECT xact_commit, xact_rollback FROM pg_stat_database "
                                  "WHERE datname = current_database()")
        assert row is not None
        out["transactions"] = float(row["xact_commit"] + row["xact_rollback"])
        for r in await conn.fetch(
                "SELECT schemaname, sum(n_tup_ins + n_tup_upd + n_tup_del) AS written, "
                "sum(coalesce(idx_scan, 0) + coalesce(seq_scan, 0)) AS scans "
                "FROM pg_stat_user_tables GROUP BY schemaname"):
            out[f"rows written, {r['schemaname']}"] = float(r["written"] or 0)
            out[f"table reads, {r['schemaname']}"] = float(r["scans"] or 0)
        return out
    finally:
        await conn.close()


def s3_written(url: str, access_key: str, secret_key: str, tenant: str) -> tuple[int, int]:
    """(objects, bytes) in every bucket whose key names the tenant."""
    client = boto3.client("s3", endpoint_url=url, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                          region_name="us-east-1")
    count = size = 0
    for bucket in client.list_buckets().get("Buckets", []):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                if tenant in obj["Key"]:
                    count += 1
                    size += int(obj["Size"])
    return count, size


# --- events ---------------------------------------------------------------------------------------


@dataclass
class Event:
    kind: str
    document_id: str
    at: float
    """Seconds since the epoch, JetStream's timestamp of the stored message."""
    data: bytes


async def events_of(nats_url: str, tenant: str) -> list[Event]:
    """The pipeline events of ``tenant`` as JetStream stored them."""
    nc = await nats.connect(nats_servers(nats_url))
    js = nc.jetstream()
    out: list[Event] = []
    wanted = {f"docs.{tenant}.{kind}.v1": kind for kind, _, _ in EVENTS if kind != "tms"}
    wanted[f"export.{tenant}.tms.v1"] = "tms"
    try:
        for stream, subject in (("DOCS", f"docs.{tenant}.>"), ("EXPORT", f"export.{tenant}.tms.v1")):
            sub = await js.pull_subscribe(subject, stream=stream,
                                          config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL,
                                                                inactive_threshold=30.0))
            while True:
                try:
                    batch = await sub.fetch(256, timeout=1.0)
                except TimeoutError:  # nats' own and asyncio's (the client raises either): nothing more
                    break
                for msg in batch:
                    kind = wanted.get(msg.subject)
                    if kind is None:
                        continue
                    model = next(m for k, _, m in EVENTS if k == kind)
                    doc = model.model_validate_json(msg.data)
                    stamp: datetime = msg.metadata.timestamp
                    out.append(Event(kind, str(getattr(doc, "document_id", "")), stamp.timestamp(), msg.data))
            await sub.unsubscribe()
    finally:
        await nc.close()
    return out


def hop_table(events: list[Event], uploaded: dict[str, float]) -> list[str]:
    """Per hop: p50 of the time from the step before (upload for the first) to the event, over the documents."""
    per_doc: dict[str, dict[str, float]] = defaultdict(dict)
    for ev in events:
        per_doc[ev.document_id].setdefault(ev.kind, ev.at)
    hops: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    services = {kind: service for kind, service, _ in EVENTS}
    for doc, sent in uploaded.items():
        seen = per_doc.get(doc, {})
        prev_name, prev_at = "upload", sent
        for kind, at in sorted(seen.items(), key=lambda item: item[1]):  # as they happened
            hops[f"{prev_name} → {kind} ({services[kind]})"].append(at - prev_at)
            prev_name, prev_at = kind, at
        if "tms" in seen:
            totals.append(seen["tms"] - sent)
    rows = [f"{'hop':40} {'p50 ms':>8} {'p95 ms':>8} {'share':>7}"]
    whole = statistics.median(totals) if totals else 0.0
    for name, values in hops.items():
        values.sort()
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        rows.append(f"{name:40} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {p50 / whole if whole else 0:7.0%}")
    rows.append(f"{'upload → TMS export (whole way)':40} {whole * 1000:8.1f}")
    return rows


def codec_ms(events: list[Event], documents: int) -> float:
    """Milliseconds per document to decode and encode every event of its way once (what each hop does)."""
    models = {kind: model for kind, _, model in EVENTS}
    started = time.perf_counter()
    for ev in events:
        models[ev.kind].model_validate_json(ev.data).model_dump_json()
    return (time.perf_counter() - started) * 1000 / max(1, documents)


def per_document(before: dict[str, Any], after: dict[str, Any], documents: int) -> dict[str, float]:
    return {k: (after.get(k, 0) - before.get(k, 0)) / max(1, documents) for k in after}
