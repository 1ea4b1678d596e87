"""Edge batches, central side: ``capabilities.v1`` offers ``batch.v1``; a batch is answered by one batch receipt
with a receipt per document; bad input is refused with its reason and loses nothing that was good."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import boto3
import httpx
import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DeviceBatchDocumentV1,
    DeviceBatchReceiptV1,
    DeviceBatchV1,
    DeviceCapabilitiesRequestV1,
    DeviceCapabilitiesV1,
    DeviceCaptureV1,
    PairingResultV1,
    ReceiptStatus,
    SyncKind,
    SyncResult,
)
from belegflow_edge.store import Store
from belegflow_edge.sync import SyncOptions, run_sync
from belegflow_ops import processes, stack
from tests.conftest import connect_device, pair_device, stream_messages

pytestmark = pytest.mark.e2e


def pdf(label: str) -> bytes:
    """A distinct small PDF-shaped document (what admission checks: the type and the end marker)."""
    return f"%PDF-1.4\n% batch test {label} {uuid.uuid4()}\n".encode() + b"x" * 2000 + b"\n%%EOF\n"


def entry(sequence: int, data: bytes, *, sha256: str | None = None, size: int | None = None) -> DeviceBatchDocumentV1:
    capture = DeviceCaptureV1(document_type="receipt", captured_at=datetime.now(UTC), series="BE",
                              document_number=f"BE-{sequence:06d}")
    return DeviceBatchDocumentV1(sequence=sequence, sha256=sha256 or hashlib.sha256(data).hexdigest(),
                                 size=len(data) if size is None else size, filename=f"scan-{sequence}.pdf",
                                 capture=capture)


def body(batch_id: uuid.UUID, docs: list[tuple[DeviceBatchDocumentV1, bytes]]) -> bytes:
    manifest = DeviceBatchV1(batch_id=batch_id, documents=[e for e, _ in docs])
    return b"".join([manifest.model_dump_json().encode(), b"\n", *(d for _, d in docs)])


async def send(device: NATS, paired: PairingResultV1, payload: bytes, batch_id: uuid.UUID | str, *,
               timeout_s: float = 30) -> DeviceBatchReceiptV1:
    """Publish one batch as the device and wait for its batch receipt."""
    got: asyncio.Future[DeviceBatchReceiptV1] = asyncio.get_running_loop().create_future()

    async def on(msg: object) -> None:
        answer = DeviceBatchReceiptV1.model_validate_json(msg.data)  # type: ignore[attr-defined]
        if str(answer.batch_id) == str(batch_id) and not got.done():
            got.set_result(answer)

    sub = await device.subscribe(subjects.device_batch_receipt(paired.tenant, paired.device), cb=on)
    try:
        await device.jetstream().publish(subjects.device_batch(paired.tenant, paired.device), payload,
                                         headers={"Belegflow-Batch": str(batch_id)})
        return await asyncio.wait_for(got, timeout_s)
    finally:
        await sub.unsubscribe()


async def documents_of(state: stack.StackState, tenant: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(state.admin_dsn)
    try:
        return await conn.fetch("SELECT id, sha256, device_sequence, capture, bucket, object_key FROM ingest.documents "
                                "WHERE tenant = $1 ORDER BY device_sequence", tenant)
    finally:
        await conn.close()


async def test_central_offers_batches_to_a_device_that_can_send_them(
    services: processes.ServiceSet, paired_device: PairingResultV1, tenant: str
) -> None:
    device = await connect_device(paired_device)
    try:
        subject = subjects.device_capabilities(tenant, paired_device.device)
        offered = DeviceCapabilitiesV1.model_validate_json((await device.request(
            subject, DeviceCapabilitiesRequestV1(batch_versions=[1]).model_dump_json().encode(), timeout=10)).data)
        none = DeviceCapabilitiesV1.model_validate_json((await device.request(
            subject, DeviceCapabilitiesRequestV1().model_dump_json().encode(), timeout=10)).data)
        bad = DeviceCapabilitiesV1.model_validate_json((await device.request(subject, b"{", timeout=10)).data)
    finally:
        await device.close()
    assert offered.batch is not None
    assert offered.batch.version == 1
    assert offered.batch.max_documents >= 16
    assert offered.batch.max_bytes >= 1024 * 1024
    assert none.batch is None
    assert none.error is None
    assert bad.batch is None
    assert "not a valid DeviceCapabilitiesRequestV1" in (bad.error or "")


async def test_a_batch_gets_a_receipt_per_document_and_a_bad_one_is_rejected_alone(
    services: processes.ServiceSet, stack_state: stack.StackState, paired_device: PairingResultV1, tenant: str
) -> None:
    # GIVEN a batch of three good documents, one that is no document type central takes, one whose bytes do
    # not match the manifest's hash, and one empty
    good = [pdf(str(i)) for i in range(3)]
    not_a_pdf = b"just some text, no document"
    docs = [(entry(1, good[0]), good[0]), (entry(2, not_a_pdf), not_a_pdf),
            (entry(3, good[1], sha256="0" * 64), good[1]), (entry(4, good[2]), good[2]), (entry(5, b""), b""),
            (entry(6, good[1]), good[1])]
    batch_id = uuid.uuid4()
    device = await connect_device(paired_device)
    try:
        answer = await send(device, paired_device, body(batch_id, docs), batch_id)
    finally:
        await device.close()
    # THEN one receipt per document, in manifest order; the good ones are taken in, each bad one says why
    assert answer.error is None
    by_sequence = {r.sequence: r for r in answer.receipts}
    assert [r.sequence for r in answer.receipts] == [1, 2, 3, 4, 5, 6]
    assert [by_sequence[s].status for s in (1, 4, 6)] == [ReceiptStatus.ACCEPTED] * 3
    assert by_sequence[2].status is ReceiptStatus.REJECTED
    assert "unsupported document type" in (by_sequence[2].reason or "")
    assert by_sequence[3].status is ReceiptStatus.REJECTED
    assert "hash mismatch" in (by_sequence[3].reason or "")
    assert by_sequence[5].status is ReceiptStatus.REJECTED
    assert "empty" in (by_sequence[5].reason or "")
    stored = await documents_of(stack_state, tenant)
    assert [(r["device_sequence"], r["sha256"]) for r in stored] == [
        (1, hashlib.sha256(good[0]).hexdigest()), (4, hashlib.sha256(good[2]).hexdigest()),
        (6, hashlib.sha256(good[1]).hexdigest())]
    assert {r["id"] for r in stored} == {by_sequence[s].document_id for s in (1, 4, 6)}
    s3 = boto3.client("s3", endpoint_url=stack_state.s3_url, aws_access_key_id=stack_state.s3_access_key,
                      aws_secret_access_key=stack_state.s3_secret_key, region_name="us-east-1")
    for row, data in zip(stored, (good[0], good[2], good[1]), strict=True):
        assert s3.get_object(Bucket=row["bucket"], Key=row["object_key"])["Body"].read() == data
    doc = httpx.get(f"{services.ingest_url}/v1/documents/{by_sequence[4].document_id}", headers=services.auth,
                    timeout=30).json()
    assert doc["capture"]["document_number"] == "BE-000004"
    assert any("BE-000004" in e["message"] for e in doc["protocol"])


@pytest.mark.parametrize(("case", "reason"), [
    ("no manifest line", "without a manifest line"),
    ("manifest not JSON", "batch manifest is not a valid DeviceBatchV1"),
    ("bytes do not add up", "batch bytes do not add up"),
    ("a sequence twice", "sequence 1 appears more than once"),
    ("header names another batch", "is not the manifest's batch id"),
    ("too many documents", "batch too large: 65 documents"),
    ("too many bytes", "batch too large: 8388608 bytes"),
])
async def test_a_malformed_or_oversize_batch_is_refused_as_a_whole_with_its_reason(
    services: processes.ServiceSet, stack_state: stack.StackState, paired_device: PairingResultV1, tenant: str,
    case: str, reason: str,
) -> None:
    batch_id = uuid.uuid4()
    one = pdf("a")
    header: uuid.UUID | str = batch_id
    if case == "no manifest line":
        payload = b"x" * 100
    elif case == "manifest not JSON":
        payload = b'{"batch_id": "' + str(batch_id).encode() + b'", "documents": 5}\n' + one
    elif case == "bytes do not add up":
        payload = body(batch_id, [(entry(1, one), one)])[:-10]
    elif case == "a sequence twice":
        payload = body(batch_id, [(entry(1, one), one), (entry(1, one), one)])
    elif case == "header names another batch":
        payload = body(uuid.uuid4(), [(entry(1, one), one)])
    elif case == "too many documents":
        payload = body(batch_id, [(entry(i, d), d) for i, d in enumerate(pdf(str(i)) for i in range(65))])
    else:
        manifest = DeviceBatchV1(batch_id=batch_id, documents=[entry(1, one, size=8 * 1024 * 1024)])
        payload = manifest.model_dump_json().encode() + b"\n" + one
    device = await connect_device(paired_device)
    try:
        answer = await send(device, paired_device, payload, header)
    finally:
        await device.close()
    assert answer.batch_id == batch_id
    assert reason in (answer.error or ""), answer.error
    assert answer.receipts == []
    assert await documents_of(stack_state, tenant) == []


async def test_a_resent_half_acknowledged_batch_is_answered_the_same_and_takes_in_only_the_rest(
    services: processes.ServiceSet, stack_state: stack.StackState, paired_device: PairingResultV1, tenant: str
) -> None:
    a, b, c = pdf("a"), pdf("b"), pdf("c")
    device = await connect_device(paired_device)
    try:
        # GIVEN a batch of two taken in (the device crashed before it saved their receipts)
        first_id = uuid.uuid4()
        first = await send(device, paired_device, body(first_id, [(entry(1, a), a), (entry(2, b), b)]), first_id)
        # WHEN it sends them again with a third, and later the bytes of 1 under a new sequence, and other bytes
        # under sequence 2
        again_id = uuid.uuid4()
        again = await send(device, paired_device,
                           body(again_id, [(entry(1, a), a), (entry(2, b), b), (entry(3, c), c)]), again_id)
        other_id = uuid.uuid4()
        other = await send(device, paired_device, body(other_id, [(entry(4, a), a), (entry(2, c), c)]), other_id)
    finally:
        await device.close()
    assert [r.status for r in first.receipts] == [ReceiptStatus.ACCEPTED] * 2
    # THEN the resend is answered as before, and only the third is new
    assert [r.status for r in again.receipts] == [ReceiptStatus.ACCEPTED] * 3
    assert [r.document_id for r in again.receipts[:2]] == [r.document_id for r in first.receipts]
    assert other.receipts[0].status is ReceiptStatus.DUPLICATE
    assert other.receipts[0].document_id == first.receipts[0].document_id
    assert other.receipts[1].status is ReceiptStatus.REJECTED
    assert "never reused" in (other.receipts[1].reason or "")
    stored = await documents_of(stack_state, tenant)
    assert [r["device_sequence"] for r in stored] == [1, 2, 3]


async def test_a_batch_sent_twice_is_taken_in_once(
    services: processes.ServiceSet, stack_state: stack.StackState, paired_device: PairingResultV1, tenant: str,
    nc: NATS,
) -> None:
    # the same batch sent again (its receipt was lost): answered again, the same, and nothing taken in twice
    a, b = pdf("a"), pdf("b")
    batch_id = uuid.uuid4()
    payload = body(batch_id, [(entry(1, a), a), (entry(2, b), b)])
    device = await connect_device(paired_device)
    try:
        first = await send(device, paired_device, payload, batch_id)
        second = await send(device, paired_device, payload, batch_id)
    finally:
        await device.close()
    assert first.receipts == second.receipts
    assert len(await documents_of(stack_state, tenant)) == 2
    events = await stream_messages(nc, "DOCS", subjects.ingested(tenant), expect=3, timeout_s=3)
    assert len(events) == 2


async def test_the_agent_syncs_in_batches_and_an_older_agent_one_by_one(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str, nc: NATS, tmp_path: Path
) -> None:
    # GIVEN two devices with documents captured offline
    for name, batches in (("kasse-new", True), ("kasse-old", False)):
        paired = pair_device(services, tenant, name)
        store = Store(tmp_path / name)
        store.pair(paired, services.ingest_url)
        try:
            for i in range(40):
                store.capture_bytes(pdf(f"{name}-{i}"), filename=f"scan-{i}.pdf", document_type="receipt")
            session = await run_sync(store, SyncOptions(kind=SyncKind.DOCUMENTS, batches=batches))
        finally:
            store.close()
        # THEN all are accepted, the new agent's in batches, the older one's one by one
        assert session.result is SyncResult.SUCCESS, session.errors
        assert session.accepted == 40
        batch_messages = await stream_messages(nc, "EDGE", subjects.device_batch(tenant, paired.device),
                                               expect=100, timeout_s=2)
        assert (len(batch_messages) > 1) is batches
    stored = await documents_of(stack_state, tenant)
    assert len(stored) == 80
