"""Edge sync benchmark: a device's offline backlog synced after reconnect, beside raw JetStream.

Captures N documents of realistic sizes offline (mostly small scans, some large ones; the mix is
configurable), then restores the device's uplink and syncs them to a running ingest service on the
embedded stack. Prints documents/s and MB/s from connect to the last receipt, the time to the first
confirmed document after reconnect, and raw JetStream publish (with ack) of the same bytes with nats-py,
once before and once after the sync in the same run (the ratio to their mean is the figure), and the resident
memory of the device agent (this process) and of central's ingest service as each quarter of the backlog is
confirmed.

    python -m bench.edge --documents 10000
    python -m bench.edge --documents 500 --small-share 0.8 --small-kb 50 200 --large-kb 500 2048
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import nats
from nats.js.api import StreamConfig

from belegflow_contracts.messages import SyncKind
from belegflow_edge.pairing import request_pairing
from belegflow_edge.settings import SERVERS_ENV
from belegflow_edge.store import Store
from belegflow_edge.sync import SyncOptions, connect, run_sync
from belegflow_ops import processes, setup, stack
from bench.breakdown import RssSampler
from bench.edge.proxy import TcpProxy


@dataclass(frozen=True)
class Mix:
    small_share: float
    small_kb: tuple[int, int]
    large_kb: tuple[int, int]

    def sizes(self, count: int, rng: random.Random) -> list[int]:
        out = []
        for _ in range(count):
            low, high = self.small_kb if rng.random() < self.small_share else self.large_kb
            out.append(rng.randint(low * 1024, high * 1024))
        return out


def document(n: int, size: int, rng: random.Random) -> bytes:
    """A distinct PDF-shaped document of ``size`` bytes (incompressible filler, as a scan is)."""
    head = f"%PDF-1.4\n% bench document {n}\n%".encode()
    tail = b"\n%%EOF\n"
    return head + rng.randbytes(max(0, size - len(head) - len(tail))).replace(b"\n", b" ") + tail


CHUNK = 512 * 1024


def fmt_mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


async def raw_publish(url: str, files: list[Path], window: int) -> float:
    """Seconds to publish the same bytes (read from the files) to a JetStream stream with acks, ``window`` in
    flight, with nats-py; large ones in chunks of 512 KiB as the agent sends them."""
    nc = await nats.connect(url)
    js = nc.jetstream(timeout=30)
    await js.add_stream(StreamConfig(name="BENCHEDGE", subjects=["benchedge.>"]))
    slots = asyncio.Semaphore(window)

    async def one(i: int, path: Path) -> None:
        async with slots:
            data = path.read_bytes()  # noqa: ASYNC240 - read as the agent reads its files
            for offset in range(0, len(data), CHUNK):
                await js.publish(f"benchedge.{i % 16}", data[offset:offset + CHUNK])

    started = time.perf_counter()
    await asyncio.gather(*(one(i, p) for i, p in enumerate(files)))
    seconds = time.perf_counter() - started
    await js.delete_stream("BENCHEDGE")
    await nc.close()
    return seconds


async def first_receipt_watch(store_home: Path, started: float, stop: asyncio.Event) -> float | None:
    """Seconds from the reconnect until the first document is confirmed in the device's own store."""
    while not stop.is_set():
        db = sqlite3.connect(f"file:{store_home / 'edge.db'}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT COUNT(*) FROM documents WHERE state IN ('accepted', 'duplicate')").fetchone()
        finally:
            db.close()
        if row[0] > 0:
            return time.perf_counter() - started
        await asyncio.sleep(0.005)
    return None


def confirmed_times(store_home: Path) -> list[float]:
    """When each document was confirmed in the device's store (its receipt written), as Unix time."""
    db = sqlite3.connect(f"file:{store_home / 'edge.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT confirmed_at FROM documents WHERE confirmed_at IS NOT NULL").fetchall()
    finally:
        db.close()
    return [datetime.fromisoformat(row[0]).timestamp() for row in rows]


async def bench(args: argparse.Namespace, home: Path, state: stack.StackState, services: processes.ServiceSet) -> None:
    ingest_url = services.ingest_url
    rng = random.Random(args.seed)
    mix = Mix(args.small_share, (args.small_kb[0], args.small_kb[1]), (args.large_kb[0], args.large_kb[1]))
    sizes = mix.sizes(args.documents, rng)
    tenant = f"bench{int(time.time())}"
    # a device slot, paired through central
    async with httpx.AsyncClient(timeout=60) as http:
        released = await http.post(f"{ingest_url}/v1/devices", json={"name": "BENCH-01"},
                                   headers={"X-Tenant": tenant, "Authorization": f"Bearer {state.bootstrap_api_key}"})
        released.raise_for_status()
        result = await asyncio.to_thread(request_pairing, ingest_url, released.json()["code"])
        # central has been in service before the device comes back: one document through its intake first, so
        # the figures do not count a fresh stack's first write (the S3 server making its first volume)
        warm = await http.post(f"{ingest_url}/v1/documents",
                               files={"file": ("warm-up.pdf", document(-1, 60_000, random.Random(1)))},
                               headers={"X-Tenant": tenant, "Authorization": f"Bearer {state.bootstrap_api_key}"})
        warm.raise_for_status()
    if args.documents > result.config.block_size:
        print(f"note: {args.documents} documents exceed the first number block ({result.config.block_size}); "
              "capture fetches the next blocks with a short master-data sync (counted in the capture time)")
    agent_home = home / "agent"
    store = Store(agent_home)
    store.pair(result, ingest_url)
    # offline: captures, in blocks as central hands them out
    proxy = TcpProxy("127.0.0.1", state.nats_port)
    os.environ[SERVERS_ENV] = proxy.url
    total = 0
    capture_started = time.perf_counter()
    for n, size in enumerate(sizes):
        data = document(n, size, rng)
        total += len(data)
        if store.remaining()[store.series_for(store.device().config, "receipt")] == 0:
            await proxy.restore()
            await run_sync(store, SyncOptions(kind=SyncKind.MASTERDATA))
            await proxy.cut()
        store.capture_bytes(data, filename=f"scan-{n:05d}.pdf", document_type="receipt")
    capture_s = time.perf_counter() - capture_started
    count = len(sizes)
    print(f"documents: {count}, total {fmt_mb(total)} (mean {total / count / 1024:.0f} KB, "
          f"{sum(1 for s in sizes if s > CHUNK)} over the {CHUNK // 1024} KiB chunk size)")
    print(f"capture (offline, fsynced): {capture_s:.1f} s, {count / capture_s:.1f} documents/s, "
          f"{total / capture_s / 1e6:.1f} MB/s")

    # the raw baseline, once before the sync and once after it: on a busy machine the load moves between them
    files = [store.path_of(d) for d in store.documents()]
    raw_before_s = await raw_publish(state.nats_url, files, args.window)
    await asyncio.to_thread(os.sync)  # its writes settle before the sync's fsyncs are timed
    await asyncio.sleep(1.0)

    # reconnect: the uplink comes back, the device syncs its backlog
    await proxy.restore()
    stop = asyncio.Event()
    started = time.perf_counter()
    watcher = asyncio.create_task(first_receipt_watch(agent_home, started, stop))
    memory = RssSampler({"agent": os.getpid(), "ingest": services.pids["ingest"]}, alone=frozenset({"agent"}))
    memory.start()
    wall_started = time.time()
    session = await run_sync(store, SyncOptions(kind=SyncKind.DOCUMENTS, window=args.window,
                                                receipt_timeout_s=120.0, request_timeout_s=30.0))
    sync_s = time.perf_counter() - started
    stop.set()
    await memory.stop()
    first = await watcher
    confirmed = [started + at - wall_started for at in confirmed_times(agent_home)]
    connects = []
    for _ in range(5):  # what of the first receipt's wait is the connect and the auth callout alone
        t0 = time.perf_counter()
        nc = await connect(store.device())
        connects.append(time.perf_counter() - t0)
        await nc.close()
    await proxy.close()
    print(f"sync session: {session.result.value}, sent {session.sent}, accepted {session.accepted}, "
          f"duplicates {session.duplicates}, rejected {session.rejected}, failed {session.failed}")
    raw_after_s = await raw_publish(state.nats_url, files, args.window)
    raw_s = (raw_before_s + raw_after_s) / 2
    edge_dps, raw_dps = count / sync_s, count / raw_s
    print()
    print(f"{'run':44} {'seconds':>8} {'docs/s':>8} {'MB/s':>8}")
    print(f"{'edge sync after reconnect (to last receipt)':44} {sync_s:8.1f} {edge_dps:8.1f} "
          f"{total / sync_s / 1e6:8.1f}")
    for name, seconds in (("raw JetStream publish, same bytes (acked)", raw_s),
                          ("  of it: before the sync", raw_before_s), ("  of it: after the sync", raw_after_s)):
        print(f"{name:44} {seconds:8.1f} {count / seconds:8.1f} {total / seconds / 1e6:8.1f}")
    print(f"edge sync / raw publish: {edge_dps / raw_dps:.3f} (against the mean of the two raw runs)")
    print(f"time to first confirmed document after reconnect: "
          f"{'-' if first is None else f'{first * 1000:.0f} ms'} "
          f"(of it, a connect with the auth callout takes {statistics.median(connects) * 1000:.0f} ms, p50 of 5)")
    print("\n".join(memory.table(confirmed, done="confirmed")))
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.edge", description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--small-share", type=float, default=0.8, help="share of small documents (0..1)")
    parser.add_argument("--small-kb", type=int, nargs=2, default=[50, 200], metavar=("MIN", "MAX"))
    parser.add_argument("--large-kb", type=int, nargs=2, default=[500, 2048], metavar=("MIN", "MAX"))
    parser.add_argument("--window", type=int, default=32, help="documents in flight")
    parser.add_argument("--seed", type=int, default=20241121)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-edge-") as tmp:
        home = Path(tmp)
        state = stack.up(home / "stack", sync_interval="always")
        try:
            asyncio.run(setup.init_all(setup.Targets(state.nats_url, state.admin_dsn, state.s3_url,
                                                     state.s3_access_key, state.s3_secret_key,
                                                     state.role_passwords)))
            services = processes.ServiceSet(home=home, ingest_port=stack.free_port(), export_dir=home / "out",
                                            inbox_dir=home / "inbox")
            processes.start_one(state, services, "ingest", extra_env={"BELEGFLOW_OTEL_EXPORTER": "none",
                                                                     "BELEGFLOW_LOG_LEVEL": "WARNING"})
            processes.wait_ready(services)
            try:
                asyncio.run(bench(args, home, state, services))
            finally:
                processes.stop_all(services)
        finally:
            stack.down(home / "stack")


if __name__ == "__main__":
    main()
