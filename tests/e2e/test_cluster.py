"""A three-node NATS cluster with R3 streams: one node is killed (SIGKILL) in the middle of a run of 1,000
documents, and every document goes through ingest, recognition and matching exactly once - 0 lost, 0 duplicated.

BELEGFLOW_CLUSTER_DOCS sets the number of documents (default 1,000; small e-invoices, so the run measures the
messaging, not OCR)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import nats
import pytest

from belegflow_contracts.runtime.settings import nats_servers
from belegflow_ops import processes, setup, stack
from tests.conftest import SAMPLES, SERVICE_ENV, stack_home, stream_messages

pytestmark = pytest.mark.e2e

DOCUMENTS = int(os.environ.get("BELEGFLOW_CLUSTER_DOCS", "1000"))
UBL = (SAMPLES / "einvoices" / "xrechnung-testsuite" / "src" / "test" / "business-cases" / "standard"
       / "01.01a-INVOICE_ubl.xml")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[stack.StackState, processes.ServiceSet]]:
    with stack_home("belegflow-cluster", tmp_path_factory) as home:
        state = stack.up(home, cluster=3)
        try:
            asyncio.run(setup.init_all(setup.Targets(state.nats_url, state.admin_dsn, state.s3_url,
                                                     state.s3_access_key, state.s3_secret_key, state.role_passwords,
                                                     nats_replicas=state.nats_replicas)))
            services = processes.start_all(state, export_dir=home / "out", inbox_dir=home / "inbox",
                                           extra_env=SERVICE_ENV)
            try:
                yield state, services
            finally:
                processes.stop_all(services)
        finally:
            stack.down(home)


def invoice(number: int) -> bytes:
    """The sample UBL invoice with its own invoice number: distinct bytes, a distinct document."""
    body = UBL.read_bytes()
    return re.sub(rb"<cbc:ID>[^<]*</cbc:ID>", f"<cbc:ID>CLUSTER-{number:06d}</cbc:ID>".encode(), body, count=1)


def upload_one(client: httpx.Client, services: processes.ServiceSet, tenant: str, number: int) -> str:
    """Upload, retrying what the API says may be retried (a 503 while NATS elects a new leader)."""
    for _ in range(60):
        try:
            response = client.post(f"{services.ingest_url}/v1/documents",
                                   files={"file": (f"inv-{number}.xml", invoice(number))},
                                   headers={"X-Tenant": tenant, **services.auth})
        except httpx.TransportError:
            time.sleep(1)
            continue
        if response.status_code in (200, 201):
            return str(response.json()["id"])
        assert response.status_code >= 500, response.text
        time.sleep(float(response.headers.get("Retry-After", "1")))
    raise AssertionError(f"document {number} was never taken in")


async def test_one_node_killed_during_a_run_loses_and_duplicates_nothing(
    cluster: tuple[stack.StackState, processes.ServiceSet], tenant: str
) -> None:
    state, services = cluster
    nc = await nats.connect(nats_servers(state.nats_url))
    try:
        js = nc.jetstream()
        for name in ("DOCS", "EDGE", "EXPORT", "MD", "DLQ"):
            assert (await js.stream_info(name)).config.num_replicas == 3
        killed = asyncio.Event()

        def run() -> list[str]:
            ids: list[str] = []
            with httpx.Client(timeout=60) as client, ThreadPoolExecutor(max_workers=4) as pool:
                for index, doc_id in enumerate(pool.map(lambda n: upload_one(client, services, tenant, n),
                                                        range(DOCUMENTS))):
                    ids.append(doc_id)
                    if index == DOCUMENTS // 3 and not killed.is_set():
                        # WHEN a node dies without a goodbye while documents stream in
                        os.kill(state.pids["nats-2"], signal.SIGKILL)
                        killed.set()
            return ids

        ids = await asyncio.to_thread(run)
        assert killed.is_set()
        assert len(set(ids)) == DOCUMENTS
        # THEN every document is ingested, recognised and matched exactly once, on the two nodes left
        timeout = 120 + DOCUMENTS * 0.6
        for event in ("ingested", "recognized", "decision"):
            msgs = await stream_messages(nc, "DOCS", f"docs.{tenant}.{event}.v1", expect=DOCUMENTS, timeout_s=timeout)
            seen = Counter(json.loads(m.data)["document_id"] for m in msgs)
            lost = set(ids) - set(seen)
            duplicated = {doc: n for doc, n in seen.items() if n > 1}
            assert not lost, f"{event}: {len(lost)} lost"
            assert not duplicated, f"{event}: {len(duplicated)} duplicated"
            assert set(seen) == set(ids)
        dead = await stream_messages(nc, "DLQ", "dlq.*.v1", expect=0, timeout_s=1)
        assert not [m for m in dead if json.loads(m.data).get("tenant") == tenant]
        # AND the killed node comes back and catches up with the stream
        state.pids["nats-2"] = stack._start_nats(state, Path(state.home), 2)
        stack.save_state(state)
        deadline = asyncio.get_running_loop().time() + 120
        while True:
            cluster_info = (await js.stream_info("DOCS")).cluster
            assert cluster_info is not None
            replicas = cluster_info.replicas or []
            if len(replicas) == 2 and all(r.current and not r.offline for r in replicas):
                break
            assert asyncio.get_running_loop().time() < deadline, replicas
            await asyncio.sleep(1)
    finally:
        await nc.close()
