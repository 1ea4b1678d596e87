"""Sync against a real NATS server and a stand-in for central: receipts decide, sessions tell the truth."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from belegflow_contracts.messages import (
    DeviceConfigV1,
    DeviceMasterDataV1,
    DeviceReceiptV1,
    DeviceSupplierV1,
    SyncKind,
    SyncResult,
)
from belegflow_edge.errors import SyncBusyError
from belegflow_edge.settings import SERVERS_ENV
from belegflow_edge.store import DocState, Store
from belegflow_edge.sync import SyncOptions, escape_filename, run_sync
from bench.edge.proxy import TcpProxy
from edge.tests.conftest import FakeCentral, NatsServer, pdf

FAST = SyncOptions(receipt_timeout_s=1.0, request_timeout_s=2.0, connect_timeout_s=1.0)


def _capture(store: Store, tmp_path: Path, count: int, *, size: int = 0, doc_type: str = "invoice",
             name: str = "scan") -> list[bytes]:
    contents = []
    for n in range(count):
        data = pdf(n, size)
        path = tmp_path / f"{name}-{n}.pdf"
        path.write_bytes(data)
        store.capture(path, document_type=doc_type, description=f"note {n}")
        contents.append(data)
    return contents


async def test_documents_go_up_and_only_receipts_mark_them_done(
    paired_store: Store, central: FakeCentral, tmp_path: Path
) -> None:
    # GIVEN three documents captured offline
    contents = _capture(paired_store, tmp_path, 3)
    # WHEN the device syncs
    session = await run_sync(paired_store, FAST)
    # THEN central got each once with its headers, and each is accepted locally with central's document id
    assert sorted(seq for seq, _ in central.uploads) == [1, 2, 3]
    assert [central.bodies[s] for s in (1, 2, 3)] == contents
    headers = central.headers[1]
    assert headers["Belegflow-Sha256"] == hashlib.sha256(contents[0]).hexdigest()
    capture = json.loads(headers["Belegflow-Capture"])
    assert capture["document_number"] == "ER-000001"
    assert capture["series"] == "ER"
    assert capture["description"] == "note 0"
    assert capture["session_id"] == str(session.session_id)
    docs = paired_store.documents()
    assert {d.state for d in docs} == {DocState.ACCEPTED}
    assert {d.document_id for d in docs} == {str(central.known[s].document_id) for s in (1, 2, 3)}
    # AND the session is a success with counts that match, kept locally and reported at start and end
    assert session.result is SyncResult.SUCCESS
    assert (session.backlog, session.sent, session.accepted, session.failed) == (3, 3, 3, 0)
    reports = [r for r in central.session_reports if r.session_id == session.session_id]
    assert [r.result for r in reports] == [SyncResult.RUNNING, SyncResult.SUCCESS]
    assert paired_store.sessions()[0].result is SyncResult.SUCCESS
    assert paired_store.sessions()[0].reported


async def test_nothing_to_do_is_said_as_nothing_new(paired_store: Store, central: FakeCentral, tmp_path: Path) -> None:
    _capture(paired_store, tmp_path, 1)
    assert (await run_sync(paired_store, FAST)).result is SyncResult.SUCCESS
    again = await run_sync(paired_store, FAST)
    assert again.result is SyncResult.NOTHING_NEW
    assert (again.sent, again.backlog) == (0, 0)
    assert len(central.uploads) == 1


async def test_large_documents_go_up_in_chunks(paired_store: Store, central: FakeCentral, tmp_path: Path) -> None:
    # GIVEN a 1.3 MB document and chunks of 512 KiB
    [data] = _capture(paired_store, tmp_path, 1, size=1_300_000)
    session = await run_sync(paired_store, FAST)
    # THEN it arrived in three chunks, reassembled byte for byte
    assert session.result is SyncResult.SUCCESS
    assert central.bodies[1] == data
    assert central.headers[1]["Belegflow-Chunk"] == "2/3"
    assert central.headers[1]["Belegflow-Size"] == str(len(data))


async def test_a_missed_receipt_is_asked_for_and_a_lost_upload_is_sent_again(
    paired_store: Store, central: FakeCentral, tmp_path: Path
) -> None:
    # GIVEN central swallows the first receipt, and drops the second upload entirely
    _capture(paired_store, tmp_path, 2)
    central.silent_receipts = 1
    central.forget = 0
    session = await run_sync(paired_store, FAST)
    assert session.result is SyncResult.SUCCESS
    assert len(central.uploads) == 2  # the missed receipt was asked for, not resent

    _capture(paired_store, tmp_path, 1, name="later")
    central.forget = 1
    session = await run_sync(paired_store, FAST)
    # THEN the dropped one was sent again and accepted: still one document centrally
    assert session.result is SyncResult.SUCCESS
    assert (session.sent, session.accepted) == (1, 1)
    assert paired_store.document(3).attempts == 2
    assert len(central.bodies) == 3


async def test_rejected_documents_stay_visible_and_make_the_session_partial(
    paired_store: Store, central: FakeCentral, tmp_path: Path
) -> None:
    _capture(paired_store, tmp_path, 3)
    central.reject = {2}
    session = await run_sync(paired_store, FAST)
    assert session.result is SyncResult.PARTIAL
    assert (session.accepted, session.rejected, session.failed) == (2, 1, 0)
    rejected = paired_store.documents(DocState.REJECTED)
    assert [(d.sequence, d.reason) for d in rejected] == [(2, "unsupported document type")]
    assert session.errors[0].document_number == "ER-000002"
    # a rejected document is done: the next sync has nothing new to send
    assert (await run_sync(paired_store, FAST)).result is SyncResult.NOTHING_NEW


async def test_all_rejected_is_a_failed_session(paired_store: Store, central: FakeCentral, tmp_path: Path) -> None:
    _capture(paired_store, tmp_path, 2)
    central.reject = {1, 2}
    session = await run_sync(paired_store, FAST)
    assert session.result is SyncResult.FAILED
    assert session.rejected == 2


async def test_a_corrupted_local_file_is_not_sent_and_shown_as_such(
    paired_store: Store, central: FakeCentral, tmp_path: Path
) -> None:
    _capture(paired_store, tmp_path, 2)
    victim = paired_store.document(1)
    paired_store.path_of(victim).write_bytes(b"%PDF-1.4 flipped bits %%EOF")
    session = await run_sync(paired_store, FAST)
    assert [seq for seq, _ in central.uploads] == [2]
    assert paired_store.document(1).state is DocState.CORRUPTED
    assert "corrupted" in (paired_store.document(1).reason or "")
    assert session.result is SyncResult.PARTIAL
    assert (session.accepted, session.failed) == (1, 1)


async def test_offline_sync_fails_truthfully_and_the_next_one_delivers(
    paired_store: Store, central: FakeCentral, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _capture(paired_store, tmp_path, 2)
    monkeypatch.setenv(SERVERS_ENV, "nats://127.0.0.1:9")
    offline = await run_sync(paired_store, FAST)
    assert offline.result is SyncResult.FAILED
    assert (offline.backlog, offline.sent, offline.failed) == (2, 0, 2)
    assert "unreachable" in offline.errors[0].reason
    assert not offline.reported
    monkeypatch.delenv(SERVERS_ENV)
    online = await run_sync(paired_store, FAST)
    assert online.result is SyncResult.SUCCESS
    # the failed session was reported to central once central could be reached
    assert central.sessions[str(offline.session_id)].result is SyncResult.FAILED


async def test_a_session_cut_off_by_a_crash_is_reported_failed_next_time(
    paired_store: Store, central: FakeCentral, tmp_path: Path
) -> None:
    crashed, _ = paired_store.start_session(SyncKind.FULL)  # what a SIGKILL mid-sync leaves
    _capture(paired_store, tmp_path, 1)
    session = await run_sync(paired_store, FAST)
    assert session.result is SyncResult.SUCCESS
    assert central.sessions[str(crashed.session_id)].result is SyncResult.FAILED
    assert [s.result for s in paired_store.sessions()] == [SyncResult.SUCCESS, SyncResult.FAILED]


async def test_one_sync_at_a_time(paired_store: Store, central: FakeCentral) -> None:
    with paired_store.sync_lock() as held:
        assert held
        with pytest.raises(SyncBusyError, match="a sync is already running"):
            await run_sync(paired_store, FAST)


async def test_config_master_data_and_number_blocks_come_down(
    paired_store: Store, central: FakeCentral, tmp_path: Path
) -> None:
    # GIVEN central has newer config and master data, and the device is below its block threshold
    central.config = DeviceConfigV1(version=2, block_size=50, block_threshold=980, chunk_bytes=64 * 1024)
    central.masterdata = DeviceMasterDataV1(version="md-2", suppliers=[DeviceSupplierV1(number="70001",
                                                                                        name="Nordlicht")])
    session = await run_sync(paired_store, SyncOptions(kind=SyncKind.MASTERDATA, request_timeout_s=2.0))
    assert session.result is SyncResult.SUCCESS
    assert session.config_updated
    assert session.masterdata_updated
    device = paired_store.device()
    assert device.config.version == 2
    assert device.masterdata.suppliers[0].name == "Nordlicht"
    # 1000 left in each series, threshold 980: nothing needed yet
    assert session.blocks_received == 0
    _capture(paired_store, tmp_path, 21)
    # now ER has 979 < 980: one block of 50 comes down, numbered where central says
    session = await run_sync(paired_store, SyncOptions(kind=SyncKind.DOCUMENTS, receipt_timeout_s=1.0))
    assert session.blocks_received == 1
    assert paired_store.remaining()["ER"] == 979 + 50
    again = await run_sync(paired_store, SyncOptions(kind=SyncKind.MASTERDATA))
    assert again.result is SyncResult.NOTHING_NEW


async def test_many_documents_flow_through_the_window(
    paired_store: Store, central: FakeCentral, tmp_path: Path
) -> None:
    _capture(paired_store, tmp_path, 120)
    session = await run_sync(paired_store, SyncOptions(window=16, receipt_timeout_s=5.0))
    assert session.result is SyncResult.SUCCESS
    assert session.accepted == 120
    assert paired_store.backlog() == 0
    await asyncio.sleep(0)


def test_file_names_travel_as_ascii() -> None:
    assert escape_filename("Rechnung März 100%.pdf") == "Rechnung M%C3%A4rz 100%25.pdf"
    assert escape_filename("plain-name_1.pdf") == "plain-name_1.pdf"


async def test_no_central_answering_is_a_failed_session(
    paired_store: Store, nats_server: NatsServer, tmp_path: Path
) -> None:
    # GIVEN the broker is up but nothing answers the device's subjects (ingest down)
    _capture(paired_store, tmp_path, 1)
    session = await run_sync(paired_store, FAST)
    assert session.result is SyncResult.FAILED
    assert "no responders" in session.errors[0].reason
    assert paired_store.document(1).state is DocState.CAPTURED


async def test_a_cut_uplink_mid_session_is_reconnected_and_the_session_finishes(
    paired_store: Store, central: FakeCentral, nats_server: NatsServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the device reaches the broker through a relay that will be cut while documents go up
    proxy = TcpProxy("127.0.0.1", nats_server.port)
    await proxy.restore()
    monkeypatch.setenv(SERVERS_ENV, proxy.url)
    _capture(paired_store, tmp_path, 150)

    async def cut_midway() -> None:
        while len(central.uploads) < 30:
            await asyncio.sleep(0.005)
        await proxy.cut()
        await asyncio.sleep(0.3)
        await proxy.restore()

    cutter = asyncio.create_task(cut_midway())
    try:
        session = await run_sync(paired_store, SyncOptions(window=4, receipt_timeout_s=2.0, request_timeout_s=2.0,
                                                           connect_timeout_s=1.0))
    finally:
        await cutter
        await proxy.close()
    # THEN the session connected again, delivered everything, and says so truthfully
    assert proxy.connections >= 2
    assert session.result is SyncResult.SUCCESS
    assert (session.backlog, session.sent, session.accepted, session.failed) == (150, 150, 150, 0)
    assert any("connection to central lost" in e.reason for e in session.errors)
    assert {seq for seq, _ in central.uploads} == set(range(1, 151))
    assert paired_store.backlog() == 0


async def test_a_link_that_stays_down_ends_the_session_partial(
    paired_store: Store, central: FakeCentral, nats_server: NatsServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = TcpProxy("127.0.0.1", nats_server.port)
    await proxy.restore()
    monkeypatch.setenv(SERVERS_ENV, proxy.url)
    _capture(paired_store, tmp_path, 100)

    async def cut_for_good() -> None:
        # cut once the agent has recorded 20 receipts (uploads central saw may still lack theirs)
        while paired_store.backlog() > 80:
            await asyncio.sleep(0.005)
        await proxy.cut()

    cutter = asyncio.create_task(cut_for_good())
    try:
        session = await run_sync(paired_store, SyncOptions(window=4, receipt_timeout_s=1.0, request_timeout_s=1.0,
                                                           connect_timeout_s=0.5, reconnects=2))
    finally:
        await cutter
        await proxy.close()
    assert session.result is SyncResult.PARTIAL
    assert session.connection_lost
    assert 20 <= session.accepted < 100
    assert session.accepted + session.failed == 100
    assert paired_store.backlog() == session.failed


# --- batches (central offers batch.v1) ---------------------------------------------------------------


async def test_small_documents_go_up_in_batches_when_central_offers_them(
    paired_store: Store, batch_central: FakeCentral, tmp_path: Path
) -> None:
    # GIVEN twenty small documents and one larger than a batch may carry (64 KiB at this central)
    contents = _capture(paired_store, tmp_path, 20, size=6000)
    big = _capture(paired_store, tmp_path, 1, size=100_000, name="big")
    session = await run_sync(paired_store, FAST)
    # THEN the first goes alone, the rest in batches within the limits, the big one alone over upload.v1
    assert session.result is SyncResult.SUCCESS, session.errors
    assert (session.sent, session.accepted) == (21, 21)
    assert batch_central.batches[0] == [1]
    assert sorted(s for b in batch_central.batches for s in b) == list(range(1, 21))
    assert all(len(b) <= 8 for b in batch_central.batches)
    assert [s for s, _ in batch_central.uploads if s == 21] == [21]
    assert [batch_central.bodies[s] for s in range(1, 22)] == [*contents, *big]
    assert {d.state for d in paired_store.documents()} == {DocState.ACCEPTED}


async def test_the_session_report_data_down_and_capabilities_are_asked_at_once(
    paired_store: Store, batch_central: FakeCentral, tmp_path: Path
) -> None:
    # GIVEN a backlog, and a central that answers none of the three questions of a session's start until all
    # three have arrived (a device asking one after the other would wait for its first answer in vain)
    contents = _capture(paired_store, tmp_path, 3, size=2000)
    batch_central.hold_until = 3
    # WHEN the device syncs
    session = await run_sync(paired_store, FAST)
    # THEN all three were asked before any was answered, and the session went on as usual: the first document
    # alone, then the others in a batch, each accepted once
    assert sorted(batch_central.held[:3]) == ["capabilities", "session", "sync"]
    assert (session.result, session.sent, session.accepted, batch_central.batches) == (
        SyncResult.SUCCESS, 3, 3, [[1], [2, 3]]), session.errors
    assert [batch_central.bodies[s] for s in range(1, 4)] == contents


async def test_a_batch_refused_as_a_whole_goes_up_again_one_by_one(
    paired_store: Store, batch_central: FakeCentral, tmp_path: Path
) -> None:
    _capture(paired_store, tmp_path, 5, size=3000)
    batch_central.refuse_batches = 1
    session = await run_sync(paired_store, FAST)
    assert session.result is SyncResult.SUCCESS, session.errors
    assert session.accepted == 5
    assert any("refused by central" in e.reason and "batch too large: test" in e.reason for e in session.errors)
    assert 1 in {s for s, _ in batch_central.uploads}


async def test_a_batch_whose_receipt_is_lost_is_asked_for_and_nothing_goes_twice(
    paired_store: Store, batch_central: FakeCentral, tmp_path: Path
) -> None:
    # GIVEN central takes in the first two batches but their receipts never come
    contents = _capture(paired_store, tmp_path, 12, size=3000)
    batch_central.silent_batches = 2
    session = await run_sync(paired_store, FAST)
    # THEN the device asks receipts.v1, learns they were taken in, and sends none of them again
    assert session.result is SyncResult.SUCCESS, session.errors
    assert session.accepted == 12
    assert sorted(s for b in batch_central.batches for s in b) == list(range(1, 13))
    assert [batch_central.bodies[s] for s in range(1, 13)] == contents


async def test_a_half_answered_batch_sends_only_the_unanswered_again(
    paired_store: Store, batch_central: FakeCentral, tmp_path: Path
) -> None:
    # GIVEN central forgets the first batch entirely and answers none of it; then it works again
    _capture(paired_store, tmp_path, 3, size=3000)
    batch_central.forget = 0
    original = batch_central._decide
    dropped: list[int] = []

    def forgetful(sequence: int, data: bytes, claimed: str) -> DeviceReceiptV1:
        receipt = original(sequence, data, claimed)
        if sequence == 3 and not dropped:  # the answer for 3 is lost once: central kept nothing of it
            dropped.append(sequence)
            batch_central.known.pop(sequence)
        return receipt

    batch_central._decide = forgetful  # type: ignore[method-assign]
    batch_central.silent_batches = 2
    session = await run_sync(paired_store, FAST)
    assert session.result is SyncResult.SUCCESS, session.errors
    assert session.accepted == 3
    sent = [s for b in batch_central.batches for s in b]
    assert sorted(set(sent)) == [1, 2, 3]
    assert sent.count(3) == 2
    assert sent.count(2) == 1


def test_documents_are_grouped_in_order_within_the_limits() -> None:
    from datetime import UTC, datetime

    from belegflow_contracts.messages import DeviceBatchLimitsV1
    from belegflow_edge.store import Document
    from belegflow_edge.sync import _Sync

    def doc(sequence: int, size: int) -> Document:
        return Document(sequence=sequence, captured_at=datetime.now(UTC), document_type="receipt", description="",
                        series="BE", number=sequence, document_number=f"BE-{sequence:06d}", filename="x.pdf",
                        stored_name="x", media_type="application/pdf", size=size, sha256="0" * 64,
                        state=DocState.CAPTURED, reason=None, document_id=None, attempts=0)

    docs = [doc(1, 10), doc(2, 40), doc(3, 40), doc(4, 500), doc(5, 30), doc(6, 10), doc(7, 10), doc(8, 10)]
    groups = list(_Sync.groups(docs, DeviceBatchLimitsV1(max_documents=3, max_bytes=100), 100))
    assert [[d.sequence for d in g] for g in groups] == [[1], [2, 3], [4], [5, 6, 7], [8]]


async def test_an_older_central_whose_server_refuses_batches_gets_every_document_alone(
    tmp_path: Path, device_name: str
) -> None:
    # GIVEN a broker that grants the device no capabilities.v1 or batch.v1 (an older central's auth callout)
    import socket
    import subprocess
    import time

    import nats
    from nats.js.api import StreamConfig

    from belegflow_contracts import subjects
    from belegflow_contracts.messages import DeviceBatchLimitsV1
    from edge.tests.conftest import TENANT, _free_port, _nats_server_bin, pairing_result

    port = _free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(
        f'listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{ store_dir: "{tmp_path}/js" }}\n'
        'authorization { users = [ {user: central, password: c}, '
        f'{{user: "device-{device_name}", password: secret, permissions: {{publish: {{deny: '
        '["edge.*.*.capabilities.v1", "edge.*.*.batch.v1"]}}} ] }\n'
    )
    proc = subprocess.Popen([_nats_server_bin(), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        url = f"nats://127.0.0.1:{port}"
        for _ in range(400):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            await asyncio.sleep(0.05)
        nc = await nats.connect(url, user="central", password="c", max_reconnect_attempts=0)
        spec = next(s for s in subjects.STREAMS if s.name == "EDGE")
        await nc.jetstream().add_stream(StreamConfig(name=spec.name, subjects=list(spec.subjects)))
        central = FakeCentral(nc=nc, tenant=TENANT, device=device_name,
                              config=DeviceConfigV1(version=1, block_size=1000, block_threshold=100),
                              masterdata=DeviceMasterDataV1(version="md-1"), next_number={"ER": 1001, "BE": 1001},
                              batch_limits=DeviceBatchLimitsV1(max_documents=8, max_bytes=64 * 1024))
        await central.start()
        store = Store(tmp_path / "agent")
        store.pair(pairing_result(url, device_name), "http://central.invalid")
        try:
            _capture(store, tmp_path, 3)
            started = time.monotonic()
            session = await run_sync(store, FAST)
            took = time.monotonic() - started
        finally:
            store.close()
            await central.stop()
            await nc.close()
        # THEN the agent does not wait for an answer that cannot come: it sends each document alone
        assert session.result is SyncResult.SUCCESS, session.errors
        assert central.batches == []
        assert sorted(s for s, _ in central.uploads) == [1, 2, 3]
        assert took < FAST.request_timeout_s
    finally:
        proc.terminate()
        proc.wait(timeout=10)
