"""Probes, metrics and logs of the running services: what an on-call engineer and Kubernetes rely on."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client import REGISTRY

from belegflow_contracts.runtime.metrics import sample_jetstream
from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, SERVICE_ENV

pytestmark = pytest.mark.e2e


def _get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=5)


def _wait_for(predicate: object, *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout_s:.0f} s")


def test_every_service_is_live_and_ready(services: processes.ServiceSet) -> None:
    for service in stack.SERVICES:
        base = services.metrics_url(service)
        assert _get(f"{base}/livez").status_code == 200
        ready = _get(f"{base}/readyz")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert checks["nats"] == "ok"
        assert checks["subscribers"] == "ok"
        assert (checks.get("database") == "ok") == (service in stack.DB_SERVICES)
        assert "# TYPE belegflow_messages_total counter" in _get(f"{base}/metrics").text
    # ingest's HTTP port has them too, without a credential
    assert _get(f"{services.ingest_url}/livez").status_code == 200
    assert _get(f"{services.ingest_url}/readyz").json()["status"] == "ready"
    # every service has a port of its own
    assert len(set(services.metrics_ports.values())) == len(stack.SERVICES)


class HeldProxy:
    """A TCP proxy to NATS that accepts connections but passes nothing until released."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.released = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        self.released.wait()
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        except OSError:
            client.close()
            return
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def held_nats(stack_state: stack.StackState) -> Iterator[HeldProxy]:
    proxy = HeldProxy(stack_state.nats_port)
    try:
        yield proxy
    finally:
        proxy.close()


def test_a_worker_is_live_but_not_ready_until_nats_answers(stack_state: stack.StackState, held_nats: HeldProxy,
                                                          tmp_path: Path) -> None:
    # GIVEN a matching worker whose NATS does not answer yet
    nats_url = urlsplit(stack_state.service_env("matching")["BELEGFLOW_NATS_URL"])
    netloc = nats_url.netloc.rsplit(":", 1)[0] + f":{held_nats.port}"
    held_url = urlunsplit((nats_url.scheme, netloc, nats_url.path, "", ""))
    worker = processes.ServiceSet(home=tmp_path, ingest_port=stack.free_port(), export_dir=tmp_path / "out",
                                  inbox_dir=tmp_path / "inbox")
    processes.start_one(stack_state, worker, "matching", extra_env={**SERVICE_ENV, "BELEGFLOW_NATS_URL": held_url})
    base = worker.metrics_url("matching")
    try:
        def live() -> bool:
            try:
                return _get(f"{base}/livez").status_code == 200
            except httpx.HTTPError:
                return False

        # THEN it is live (do not restart it) but not ready (send it nothing), and says why
        _wait_for(live, timeout_s=30, what="matching answered /livez")
        for _ in range(5):
            answer = _get(f"{base}/readyz")
            assert answer.status_code == 503
            assert answer.json()["checks"]["nats"] == "not connected"
        # WHEN NATS answers
        held_nats.released.set()
        # THEN it becomes ready
        _wait_for(lambda: _get(f"{base}/readyz").status_code == 200, timeout_s=60, what="matching became ready")
    finally:
        processes.stop_all(worker)


def _metrics(services: processes.ServiceSet, service: str) -> str:
    return _get(f"{services.metrics_url(service)}/metrics").text


def test_metrics_name_subject_patterns_never_tenants(services: processes.ServiceSet, tenant: str) -> None:
    # GIVEN a document of a fresh tenant went through the pipeline
    upload = httpx.post(f"{services.ingest_url}/v1/documents", headers={**services.auth, "X-Tenant": tenant},
                        files={"file": ("a.pdf", (SAMPLES / "invoices" / "invoice-04-compact.pdf").read_bytes())},
                        timeout=30)
    assert upload.status_code == 201, upload.text

    def recognized() -> bool:
        return 'belegflow_ocr_seconds_per_page_count{reader=' in _metrics(services, "ocr") and \
            'subject="docs.*.recognized.v1"' in _metrics(services, "matching")

    _wait_for(recognized, timeout_s=120, what="recognition and matching counted")
    ocr = _metrics(services, "ocr")
    # THEN series are labelled by subject pattern, and the tenant appears in no series of any service
    assert 'belegflow_messages_total{result="ok",service="ocr",subject="docs.*.ingested.v1"}' in ocr
    for service in stack.SERVICES:
        assert tenant not in _metrics(services, service)
    # AND the OCR histogram's buckets reach beyond the OCR timeout (120 s by default)
    assert 'belegflow_ocr_seconds_per_page_bucket{le="300.0",reader=' in ocr
    # AND consumer lag and the outbox backlog are sampled from JetStream and the database
    _wait_for(lambda: 'belegflow_consumer_pending_messages{consumer="ocr-ingested",stream="DOCS"}'
              in _metrics(services, "ocr"), timeout_s=30, what="ocr's consumer lag sampled")
    # AND ingest's HTTP answers are counted by route template, never by document id
    document_id = upload.json()["id"]
    assert httpx.get(f"{services.ingest_url}/v1/documents/{document_id}", headers=services.auth).status_code == 200
    ingest = _metrics(services, "ingest")
    assert ('belegflow_http_requests_total{method="GET",route="/v1/documents/{document_id}",status="200"}'
            in ingest)
    assert document_id not in ingest
    _wait_for(lambda: 'belegflow_outbox_backlog{service="ingest"}' in _metrics(services, "ingest")
              and "belegflow_dlq_messages " in _metrics(services, "ingest"), timeout_s=30,
              what="outbox backlog and DLQ depth sampled")


async def test_consumer_lag_is_read_from_jetstream(nc: NATS, tenant: str) -> None:
    # GIVEN a durable consumer that fell 3 messages behind
    js = nc.jetstream()
    durable = f"lagprobe-{uuid.uuid4().hex[:8]}"
    subject = f"md.{tenant}.lagprobe.v1"
    await js.add_consumer("MD", ConsumerConfig(durable_name=durable, filter_subject=subject,
                                               ack_policy=AckPolicy.EXPLICIT))
    try:
        for n in range(3):
            await js.publish(subject, json.dumps({"n": n}).encode(), stream="MD")

        def pending() -> float | None:
            return REGISTRY.get_sample_value("belegflow_consumer_pending_messages",
                                             {"stream": "MD", "consumer": durable})

        await sample_jetstream(js, [("MD", durable)])
        assert pending() == 3
        # WHEN it takes and acknowledges one
        sub = await js.pull_subscribe(subject, durable=durable, stream="MD")
        (msg,) = await sub.fetch(1, timeout=5)
        await msg.ack_sync()
        await sample_jetstream(js, [("MD", durable)])
        # THEN the lag shrinks accordingly
        assert pending() == 2
        assert REGISTRY.get_sample_value("belegflow_consumer_ack_pending_messages",
                                         {"stream": "MD", "consumer": durable}) == 0
    finally:
        await js.delete_consumer("MD", durable)


def test_every_service_logs_one_json_object_per_line(services: processes.ServiceSet) -> None:
    for service in stack.SERVICES:
        log = Path(services.home) / "logs" / f"{service}.log"
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        assert lines, f"{service} logged nothing"
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                pytest.fail(f"{service} logged a line that is not JSON: {line[:300]}")
            assert isinstance(record, dict)


SPAN_SCRIPT = r"""
import asyncio, json, sys
import asyncpg
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from belegflow_contracts.runtime.settings import ServiceSettings
from belegflow_contracts.runtime.storage import ObjectStore
from belegflow_contracts.runtime.telemetry import configure_tracing

settings = ServiceSettings()
provider = configure_tracing("probe", settings)
memory = InMemorySpanExporter()
provider.add_span_processor(SimpleSpanProcessor(memory))

async def main() -> None:
    with trace.get_tracer("probe").start_as_current_span("handle message"):
        conn = await asyncpg.connect(sys.argv[1])
        await conn.fetchval("SELECT 1")
        await conn.close()
        objects = ObjectStore.from_settings(settings)
        await objects.get_bytes("work", "no/such/key")

asyncio.run(main())
spans = memory.get_finished_spans()
root = next(s for s in spans if s.name == "handle message")
print(json.dumps([{"name": s.name, "kind": str(s.kind), "attributes": dict(s.attributes or {}),
                   "child": s.parent is not None and s.parent.span_id == root.context.span_id} for s in spans]))
"""


def _spans(stack_state: stack.StackState, exporter: str) -> list[dict[str, Any]]:
    # as ocr, whose S3 key may read its work products (ingest's may only write originals)
    env = {**os.environ, **stack_state.service_env("ocr"), "BELEGFLOW_OTEL_EXPORTER": exporter}
    done = subprocess.run([sys.executable, "-c", SPAN_SCRIPT, stack_state.database_url("ocr")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    spans: list[dict[str, Any]] = json.loads(done.stdout.splitlines()[-1])
    return spans


def test_database_queries_and_s3_calls_have_spans(stack_state: stack.StackState) -> None:
    # spans go somewhere (console: stderr, as a collector would take them)
    spans = _spans(stack_state, "console")
    db = [s for s in spans if s["attributes"].get("db.system") == "postgresql"]
    s3 = [s for s in spans if s["attributes"].get("rpc.service") == "S3"]
    assert any("SELECT" in s["name"] and s["child"] for s in db), spans
    assert any(s["child"] for s in s3), spans


def test_without_an_exporter_queries_and_s3_calls_make_no_spans(stack_state: stack.StackState) -> None:
    # nothing would take them: the spans of a message stay (trace ids in the logs), no span per query or S3 call
    spans = _spans(stack_state, "none")
    assert [s["name"] for s in spans] == ["handle message"], spans
