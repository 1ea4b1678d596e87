"""Edge devices, central side: slots, pairing, number blocks, sync data, sessions and uploads from paired devices."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import asyncpg
import boto3
import httpx
import pytest
from nats.aio.client import Client as NATS

from belegflow_contracts import subjects
from belegflow_contracts.messages import (
    DeviceCaptureV1,
    DeviceConfigV1,
    DeviceMasterDataV1,
    DeviceReceiptV1,
    EdgeAckV1,
    NumberBlockReplyV1,
    NumberBlockRequestV1,
    PairingResultV1,
    ReceiptListV1,
    ReceiptQueryV1,
    ReceiptStatus,
    SyncDataReplyV1,
    SyncDataRequestV1,
    SyncResult,
    SyncSessionV1,
)
from belegflow_ops import processes, stack
from tests.conftest import (
    REPO,
    SAMPLES,
    connect_device,
    import_masterdata,
    pair_device,
    redeem_code,
    release_device,
    stream_messages,
)

pytestmark = pytest.mark.e2e


def devices_of(services: processes.ServiceSet, tenant: str) -> dict[str, dict[str, object]]:
    response = httpx.get(f"{services.ingest_url}/v1/devices", headers={"X-Tenant": tenant, **services.auth}, timeout=30)
    assert response.status_code == 200, response.text
    return {row["device"]: row for row in response.json()}


async def wait_for_snapshot(nc: NATS, tenant: str, *, timeout_s: float = 30) -> DeviceMasterDataV1:
    kv = await nc.jetstream().key_value("device-masterdata")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            entry = await kv.get(f"{tenant}.snapshot")
            return DeviceMasterDataV1.model_validate_json(entry.value or b"")
        except Exception:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.3)


async def test_release_and_pair_give_credentials_blocks_config_and_masterdata(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN supplier master data (matching writes the device snapshot) and a released slot
    await import_masterdata(stack_state, tenant)
    snapshot = await wait_for_snapshot(nc, tenant)
    released = release_device(services, tenant, "KASSE-03", ttl_s=3600)
    assert released["device"] == "kasse-03"
    assert len(released["code"]) == 14
    assert released["code"].count("-") == 2
    # WHEN a device pairs with the code
    response = redeem_code(services, released["code"].lower().replace("-", " "))
    # THEN it gets its own NATS user, its inbox prefix, first blocks per series, config and master data
    assert response.status_code == 200, response.text
    result = PairingResultV1.model_validate_json(response.content)
    assert (result.tenant, result.device, result.name) == (tenant, "kasse-03", "KASSE-03")
    assert result.credentials.user == f"{tenant}.kasse-03"
    assert result.credentials.inbox_prefix == f"_INBOX.{tenant}.kasse-03"
    assert all("@" not in url for url in result.credentials.servers)
    assert sorted(b.series for b in result.blocks) == sorted(set(result.config.series.values()))
    assert all(b.last - b.first + 1 == result.config.block_size for b in result.blocks)
    assert result.masterdata == snapshot
    assert {s.number for s in result.masterdata.suppliers} >= {"70001", "70002"}
    # AND the slot shows as paired; the code is kept only as a hash
    row = devices_of(services, tenant)["kasse-03"]
    assert row["state"] == "paired"
    assert row["paired_at"] is not None
    conn = await asyncpg.connect(stack_state.admin_dsn)
    try:
        stored = await conn.fetch("SELECT code_hash FROM ingest.pairing_codes WHERE tenant = $1", tenant)
        assert stored
        assert all(released["code"] not in r["code_hash"] for r in stored)
    finally:
        await conn.close()


def test_wrong_used_and_expired_codes_are_refused_with_their_reason(
    services: processes.ServiceSet, tenant: str
) -> None:
    # unknown code
    response = redeem_code(services, "ZZZZ-ZZZZ-ZZZZ")
    assert response.status_code == 404
    assert response.json()["code"] == "pairing_code_unknown"
    # used code
    code = release_device(services, tenant, "kasse-07")["code"]
    assert redeem_code(services, code).status_code == 200
    again = redeem_code(services, code)
    assert again.status_code == 409
    assert again.json()["code"] == "pairing_code_used"
    # a paired slot refuses to be released again (it needs a reset)
    refused = httpx.post(f"{services.ingest_url}/v1/devices", json={"name": "kasse-07"},
                         headers={"X-Tenant": tenant, **services.auth})
    assert refused.status_code == 409
    assert refused.json()["code"] == "device_already_paired"
    # malformed request
    bad = httpx.post(f"{services.ingest_url}/v1/devices/pair", json={"hostname": "x"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_request"
    assert "code" in bad.json()["detail"]
    # invalid slot name
    bad_name = httpx.post(f"{services.ingest_url}/v1/devices", json={"name": "kasse 03!"},
                          headers={"X-Tenant": tenant, **services.auth})
    assert bad_name.status_code == 400
    assert bad_name.json()["code"] == "invalid_device_name"


async def test_expired_code_is_refused(services: processes.ServiceSet, stack_state: stack.StackState,
                                       tenant: str) -> None:
    code = release_device(services, tenant, "kasse-08")["code"]
    conn = await asyncpg.connect(stack_state.admin_dsn)
    try:
        await conn.execute("UPDATE ingest.pairing_codes SET expires_at = now() - interval '1 minute' "
                           "WHERE tenant = $1", tenant)
    finally:
        await conn.close()
    response = redeem_code(services, code)
    assert response.status_code == 410
    assert response.json()["code"] == "pairing_code_expired"


def test_two_devices_racing_with_one_code_exactly_one_wins(services: processes.ServiceSet, tenant: str) -> None:
    code = release_device(services, tenant, "kasse-09")["code"]

    async def race() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(*(client.post(f"{services.ingest_url}/v1/devices/pair",
                                                         json={"code": code, "hostname": f"h{i}"}) for i in range(6)))
        return sorted(a.status_code for a in answers)

    statuses = asyncio.run(race())
    assert statuses == [200, 409, 409, 409, 409, 409]


async def test_reset_lets_a_new_device_pair_and_the_old_credentials_fail(
    services: processes.ServiceSet, tenant: str
) -> None:
    old = pair_device(services, tenant, "kasse-10")
    device = await connect_device(old)
    await device.close()
    reset = httpx.post(f"{services.ingest_url}/v1/devices/kasse-10/reset",
                       headers={"X-Tenant": tenant, **services.auth})
    assert reset.status_code == 200, reset.text
    assert devices_of(services, tenant)["kasse-10"]["state"] == "released"
    with pytest.raises(Exception, match="Authorization Violation"):
        await connect_device(old)
    new = redeem_code(services, reset.json()["code"])
    assert new.status_code == 200, new.text
    fresh = PairingResultV1.model_validate_json(new.content)
    assert fresh.credentials.password != old.credentials.password
    device = await connect_device(fresh)
    await device.close()
    # the new blocks do not overlap the old ones
    old_ranges = {(b.series, b.first, b.last) for b in old.blocks}
    for block in fresh.blocks:
        for series, first, last in old_ranges:
            assert series != block.series or block.last < first or block.first > last


async def test_revoked_credentials_cannot_connect(services: processes.ServiceSet, tenant: str) -> None:
    paired = pair_device(services, tenant, "kasse-11")
    closed = asyncio.Event()

    async def on_closed() -> None:
        closed.set()

    # GIVEN a device with an open connection
    device = await connect_device(paired, closed_cb=on_closed)
    # WHEN it is revoked
    revoke = httpx.post(f"{services.ingest_url}/v1/devices/kasse-11/revoke",
                        headers={"X-Tenant": tenant, **services.auth})
    assert revoke.status_code == 200, revoke.text
    assert revoke.json()["connections_closed"] == 1
    # THEN the server closes the open connection (long before its authorization would expire)
    await asyncio.wait_for(closed.wait(), timeout=30)
    assert device.is_closed
    with pytest.raises(Exception, match="Authorization Violation"):
        await connect_device(paired)
    assert devices_of(services, tenant)["kasse-11"]["state"] == "revoked"
    # a revoked slot's code is refused as revoked, and it cannot be released again without a reset
    again = httpx.post(f"{services.ingest_url}/v1/devices", json={"name": "kasse-11"},
                       headers={"X-Tenant": tenant, **services.auth})
    assert again.status_code == 403
    assert again.json()["code"] == "device_revoked"
    unknown = httpx.post(f"{services.ingest_url}/v1/devices/nope/revoke", headers={"X-Tenant": tenant, **services.auth})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "device_unknown"


async def test_a_device_may_only_use_its_own_subjects(
    services: processes.ServiceSet, nc: NATS, tenant: str
) -> None:
    mine = pair_device(services, tenant, "kasse-12")
    pair_device(services, tenant, "kasse-13")
    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:
        errors.append(exc)

    device = await connect_device(mine, error_cb=on_error)
    arrived: list[bytes] = []

    async def collect(msg: object) -> None:
        arrived.append(getattr(msg, "data", b""))

    spy = await nc.subscribe(f"edge.{tenant}.kasse-13.>", cb=collect)
    spy_docs = await nc.subscribe(f"docs.{tenant}.>", cb=collect)
    await nc.flush()
    try:
        # publishing as another device, or into the pipeline, is refused by the server
        await device.publish(subjects.device_upload(tenant, "kasse-13"), b"%PDF-1.4 forged")
        await device.publish(subjects.ingested(tenant), b"{}")
        await device.flush()
        # subscribing elsewhere is refused too
        await device.subscribe(f"edge.{tenant}.kasse-13.receipt.v1")
        await device.subscribe("docs.>")
        await device.flush()
        await asyncio.sleep(1.0)
        text = " | ".join(str(e) for e in errors)
        assert f'permissions violation for publish to "edge.{tenant}.kasse-13.upload.v1"' in text
        assert f'permissions violation for publish to "docs.{tenant}.ingested.v1"' in text
        assert f'permissions violation for subscription to "edge.{tenant}.kasse-13.receipt.v1"' in text
        assert 'permissions violation for subscription to "docs.>"' in text
        assert arrived == []
        # its own request subjects work
        reply = await device.request(subjects.device_sync(tenant, "kasse-12"),
                                     SyncDataRequestV1().model_dump_json().encode(), timeout=10)
        assert SyncDataReplyV1.model_validate_json(reply.data).error is None
    finally:
        await spy.unsubscribe()
        await spy_docs.unsubscribe()
        await device.close()


async def test_number_blocks_are_disjoint_also_under_concurrent_requests(
    services: processes.ServiceSet, stack_state: stack.StackState, tenant: str
) -> None:
    a = pair_device(services, tenant, "kasse-20")
    b = pair_device(services, tenant, "kasse-21")
    series = a.blocks[0].series
    devices = [await connect_device(a), await connect_device(b)]
    try:
        async def ask(i: int) -> NumberBlockReplyV1:
            paired = (a, b)[i % 2]
            reply = await devices[i % 2].request(subjects.device_numbers(tenant, paired.device),
                                                 NumberBlockRequestV1(series=series, remaining=3).model_dump_json()
                                                 .encode(), timeout=15)
            return NumberBlockReplyV1.model_validate_json(reply.data)

        replies = await asyncio.gather(*(ask(i) for i in range(16)))
        assert all(r.error is None and r.block is not None for r in replies), [r.error for r in replies]
        ranges = sorted([(r.block.first, r.block.last) for r in replies if r.block]
                        + [(blk.first, blk.last) for p in (a, b) for blk in p.blocks if blk.series == series])
        for (_, last), (first, _) in itertools.pairwise(ranges):
            assert last < first
        # a series the tenant does not use is refused with the reason
        bad = await devices[0].request(subjects.device_numbers(tenant, a.device),
                                       NumberBlockRequestV1(series="XX", remaining=0).model_dump_json().encode(),
                                       timeout=10)
        assert "not configured" in (NumberBlockReplyV1.model_validate_json(bad.data).error or "")
    finally:
        for d in devices:
            await d.close()
    # the database itself refuses an overlapping block of the same series
    conn = await asyncpg.connect(stack_state.admin_dsn)
    try:
        series_id = await conn.fetchval("SELECT id FROM ingest.number_series WHERE tenant = $1 AND series = $2",
                                        tenant, series)
        first = ranges[0][0]
        with pytest.raises(asyncpg.ExclusionViolationError):
            await conn.execute("INSERT INTO ingest.number_blocks (series_id, device, first, last) "
                               "VALUES ($1, 'forged', $2, $3)", series_id, first + 5, first + 10)
        # another series may use the same numbers
        await conn.execute("INSERT INTO ingest.number_series (tenant, series) VALUES ($1, 'ZZ')", tenant)
        other = await conn.fetchval("SELECT id FROM ingest.number_series WHERE tenant = $1 AND series = 'ZZ'", tenant)
        await conn.execute("INSERT INTO ingest.number_blocks (series_id, device, first, last) VALUES ($1, 'x', $2, $3)",
                           other, first + 5, first + 10)
    finally:
        await conn.close()


async def test_unpaired_devices_get_no_numbers_and_their_uploads_are_rejected(
    services: processes.ServiceSet, nc: NATS, tenant: str
) -> None:
    # the service user can publish anywhere; ingest still refuses what no paired device sent
    reply = await nc.request(subjects.device_numbers(tenant, "ghost"),
                             NumberBlockRequestV1(series="BE", remaining=0).model_dump_json().encode(), timeout=10)
    assert "not paired" in (NumberBlockReplyV1.model_validate_json(reply.data).error or "")
    pdf = (SAMPLES / "invoices" / "invoice-01-din.pdf").read_bytes()
    await nc.jetstream().publish(subjects.device_upload(tenant, "ghost"), pdf, headers={
        "Belegflow-Sequence": "1", "Belegflow-Sha256": hashlib.sha256(pdf).hexdigest()})
    receipts = await stream_messages(nc, "EDGE", subjects.device_receipt(tenant, "ghost"), expect=1, timeout_s=30)
    receipt = DeviceReceiptV1.model_validate_json(receipts[0].data)
    assert receipt.status is ReceiptStatus.REJECTED
    assert "not paired" in (receipt.reason or "")


async def _receipt(device: NATS, paired: PairingResultV1, sequence: int, *, timeout_s: float = 30) -> DeviceReceiptV1:
    reply = await device.request(subjects.device_receipts(paired.tenant, paired.device),
                                 ReceiptQueryV1(sequences=[sequence]).model_dump_json().encode(), timeout=10)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        found = ReceiptListV1.model_validate_json(reply.data).receipts
        if found or loop.time() > deadline:
            assert found, f"no receipt for sequence {sequence}"
            return found[0]
        await asyncio.sleep(0.3)
        reply = await device.request(subjects.device_receipts(paired.tenant, paired.device),
                                     ReceiptQueryV1(sequences=[sequence]).model_dump_json().encode(), timeout=10)


def _capture(number: str) -> str:
    return DeviceCaptureV1(document_type="receipt", description="Tankbeleg", captured_at=datetime.now(UTC),
                           series="BE", document_number=number).model_dump_json()


async def test_chunked_upload_of_a_large_document_arrives_byte_identical(
    services: processes.ServiceSet, stack_state: stack.StackState, paired_device: PairingResultV1, tenant: str
) -> None:
    # GIVEN a 2 MB PDF (a sample with padding before its end marker) sent in 512 KiB chunks by a paired device
    base = (SAMPLES / "invoices" / "invoice-01-din.pdf").read_bytes()
    size = 2 * 1024 * 1024 - 100
    data = base[: base.rindex(b"%%EOF")] + b"%" + b"x" * (size - len(base) - 8) + b"\n%%EOF\n"
    data = data[:size - 7] + b"\n%%EOF\n" if len(data) > size else data
    sha = hashlib.sha256(data).hexdigest()
    device = await connect_device(paired_device)
    js = device.jetstream()
    chunk = 512 * 1024
    count = -(-len(data) // chunk)
    headers = {"Belegflow-Sequence": "1", "Belegflow-Sha256": sha, "Belegflow-Filename": "gro%C3%9F.pdf",
               "Belegflow-Capture": _capture("BE-000001"), "Belegflow-Size": str(len(data))}
    try:
        for index in range(count):
            part = data[index * chunk:(index + 1) * chunk]
            await js.publish(subjects.device_chunk(tenant, paired_device.device), part,
                             headers={**headers, "Belegflow-Chunk": f"{index}/{count}"})
        receipt = await _receipt(device, paired_device, 1)
    finally:
        await device.close()
    # THEN it is accepted and stored byte for byte, with what the device recorded at capture
    assert receipt.status is ReceiptStatus.ACCEPTED, receipt.reason
    assert receipt.sha256 == sha
    doc = httpx.get(f"{services.ingest_url}/v1/documents/{receipt.document_id}",
                    headers=services.auth, timeout=30).json()
    assert doc["sha256"] == sha
    assert doc["size"] == len(data)
    assert doc["filename"] == "groß.pdf"
    assert doc["capture"]["document_number"] == "BE-000001"
    assert any("BE-000001" in e["message"] for e in doc["protocol"])
    s3 = boto3.client("s3", endpoint_url=stack_state.s3_url, aws_access_key_id=stack_state.s3_access_key,
                      aws_secret_access_key=stack_state.s3_secret_key, region_name="us-east-1")
    stored = s3.get_object(Bucket=doc["bucket"], Key=doc["object_key"])["Body"].read()
    assert stored == data


async def test_chunks_with_a_wrong_hash_are_a_rejected_receipt(
    services: processes.ServiceSet, paired_device: PairingResultV1, tenant: str
) -> None:
    data = (SAMPLES / "invoices" / "invoice-02-modern.pdf").read_bytes()
    device = await connect_device(paired_device)
    try:
        half = len(data) // 2
        headers = {"Belegflow-Sequence": "5", "Belegflow-Sha256": "0" * 64, "Belegflow-Size": str(len(data))}
        for index, part in enumerate((data[:half], data[half:])):
            await device.jetstream().publish(subjects.device_chunk(tenant, paired_device.device), part,
                                             headers={**headers, "Belegflow-Chunk": f"{index}/2"})
        receipt = await _receipt(device, paired_device, 5)
    finally:
        await device.close()
    assert receipt.status is ReceiptStatus.REJECTED
    assert "hash mismatch" in (receipt.reason or "")


async def test_a_resend_much_later_is_stored_once_with_the_same_document_id(
    services: processes.ServiceSet, stack_state: stack.StackState, paired_device: PairingResultV1, nc: NATS,
    tenant: str,
) -> None:
    data = (SAMPLES / "invoices" / "invoice-03-english.pdf").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    headers = {"Belegflow-Sequence": "2", "Belegflow-Sha256": sha, "Belegflow-Filename": "scan.pdf",
               "Belegflow-Capture": _capture("BE-000002")}
    device = await connect_device(paired_device)
    try:
        await device.jetstream().publish(subjects.device_upload(tenant, paired_device.device), data, headers=headers)
        first = await _receipt(device, paired_device, 2)
        # a week passes: nothing of the broker's duplicate window is left, only ingest's own record
        conn = await asyncpg.connect(stack_state.admin_dsn)
        try:
            await conn.execute("UPDATE ingest.device_receipts SET at = at - interval '7 days' WHERE tenant = $1",
                               tenant)
        finally:
            await conn.close()
        await device.jetstream().publish(subjects.device_upload(tenant, paired_device.device), data, headers=headers)
        # the same sequence with other bytes is refused
        other = (SAMPLES / "invoices" / "invoice-04-compact.pdf").read_bytes()
        await device.jetstream().publish(subjects.device_upload(tenant, paired_device.device), other, headers={
            **headers, "Belegflow-Sha256": hashlib.sha256(other).hexdigest()})
    finally:
        await device.close()
    receipts = await stream_messages(nc, "EDGE", subjects.device_receipt(tenant, paired_device.device), expect=3,
                                     timeout_s=30)
    answers = [DeviceReceiptV1.model_validate_json(m.data) for m in receipts]
    assert [a.status for a in answers] == [ReceiptStatus.ACCEPTED, ReceiptStatus.ACCEPTED, ReceiptStatus.REJECTED]
    assert answers[0].document_id == answers[1].document_id == first.document_id
    assert "never reused" in (answers[2].reason or "")
    listed = httpx.get(f"{services.ingest_url}/v1/documents",
                       headers={"X-Tenant": tenant, **services.auth}, timeout=30).json()
    assert [d["id"] for d in listed] == [str(first.document_id)]


async def test_a_device_paired_after_a_reset_numbers_from_1_again(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN a device that delivered document A as sequence 1
    a = (SAMPLES / "invoices" / "invoice-05-din.pdf").read_bytes()
    b = (SAMPLES / "invoices" / "invoice-02-modern.pdf").read_bytes()

    def headers(data: bytes, sequence: int) -> dict[str, str]:
        return {"Belegflow-Sequence": str(sequence), "Belegflow-Sha256": hashlib.sha256(data).hexdigest(),
                "Belegflow-Filename": "scan.pdf"}

    old = pair_device(services, tenant, "kasse-20")
    device = await connect_device(old)
    try:
        await device.jetstream().publish(subjects.device_upload(tenant, old.device), a, headers=headers(a, 1))
        first = await _receipt(device, old, 1)
    finally:
        await device.close()
    assert first.status is ReceiptStatus.ACCEPTED, first.reason
    # WHEN the operator resets the slot and a fresh agent pairs it and starts again at sequence 1 with B
    reset = httpx.post(f"{services.ingest_url}/v1/devices/kasse-20/reset",
                       headers={"X-Tenant": tenant, **services.auth})
    assert reset.status_code == 200, reset.text
    redeemed = redeem_code(services, reset.json()["code"])
    assert redeemed.status_code == 200, redeemed.text
    fresh = PairingResultV1.model_validate_json(redeemed.content)
    assert fresh.credentials.password != old.credentials.password
    device = await connect_device(fresh)
    try:
        # the new pairing knows no sequence yet: the old pairing's receipt does not count for it
        before = await device.request(subjects.device_receipts(tenant, fresh.device),
                                      ReceiptQueryV1(sequences=[1]).model_dump_json().encode(), timeout=10)
        assert ReceiptListV1.model_validate_json(before.data).receipts == []
        await device.jetstream().publish(subjects.device_upload(tenant, fresh.device), b, headers=headers(b, 1))
        second = await _receipt(device, fresh, 1)
        # a resend of B as sequence 1, and A (delivered by the earlier pairing) as sequence 2
        await device.jetstream().publish(subjects.device_upload(tenant, fresh.device), b, headers=headers(b, 1))
        await device.jetstream().publish(subjects.device_upload(tenant, fresh.device), a, headers=headers(a, 2))
        again = await _receipt(device, fresh, 2)
    finally:
        await device.close()
    # THEN B is accepted as a new document, the query answers with the new receipt, the resend gets the same id
    assert second.status is ReceiptStatus.ACCEPTED, second.reason
    assert second.sha256 == hashlib.sha256(b).hexdigest()
    assert second.document_id is not None
    assert second.document_id != first.document_id
    receipts = await stream_messages(nc, "EDGE", subjects.device_receipt(tenant, fresh.device), expect=4,
                                     timeout_s=30)
    answers = [DeviceReceiptV1.model_validate_json(m.data) for m in receipts]
    seen = [(r.sequence, r.status, r.document_id) for r in answers]
    assert seen[:2] == [(1, ReceiptStatus.ACCEPTED, first.document_id), (1, ReceiptStatus.ACCEPTED, second.document_id)]
    # the last two were sent together and may be answered in either order
    assert sorted(seen[2:], key=lambda r: r[0]) == [(1, ReceiptStatus.ACCEPTED, second.document_id),
                                                    (2, ReceiptStatus.DUPLICATE, first.document_id)]
    assert again.status is ReceiptStatus.DUPLICATE
    # document A stays stored and visible; the old pairing's receipt stays on record
    doc_a = httpx.get(f"{services.ingest_url}/v1/documents/{first.document_id}", headers=services.auth, timeout=30)
    assert doc_a.status_code == 200, doc_a.text
    assert doc_a.json()["sha256"] == hashlib.sha256(a).hexdigest()
    listed = httpx.get(f"{services.ingest_url}/v1/documents",
                       headers={"X-Tenant": tenant, **services.auth}, timeout=30).json()
    assert sorted(d["id"] for d in listed) == sorted([str(first.document_id), str(second.document_id)])
    conn = await asyncpg.connect(stack_state.admin_dsn)
    try:
        kept = await conn.fetch("SELECT pairing, sequence, sha256 FROM ingest.device_receipts WHERE tenant = $1 "
                                "AND device = 'kasse-20' ORDER BY pairing, sequence", tenant)
        pairings = await conn.fetchval("SELECT pairing FROM ingest.devices WHERE tenant = $1 AND device = 'kasse-20'",
                                       tenant)
    finally:
        await conn.close()
    assert [(r["pairing"], r["sequence"], r["sha256"]) for r in kept] == [
        (pairings - 1, 1, hashlib.sha256(a).hexdigest()),
        (pairings, 1, hashlib.sha256(b).hexdigest()),
        (pairings, 2, hashlib.sha256(a).hexdigest()),
    ]

async def test_the_pairing_migration_keeps_existing_receipts_and_chunks_in_the_current_pairing(
    stack_state: stack.StackState,
) -> None:
    # GIVEN a schema as it was before pairings were counted, with a receipt, a chunk and a device document
    every = sorted((REPO / "services/ingest/src/belegflow_ingest/migrations").glob("*.sql"))
    # the pairing migration and those before it (later ones are not this test's business)
    migrations = every[:[m.name for m in every].index("0005_device_pairings.sql") + 1]
    schema = f"m{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(stack_state.admin_dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute(f"SET search_path TO {schema}")
        for file in migrations[:-1]:
            await conn.execute(file.read_text(encoding="utf-8"))
        doc = uuid.uuid4()
        await conn.execute(
            "INSERT INTO devices (tenant, device, name, state, nats_user, password_hash, released_at) "
            "VALUES ('t1', 'kasse-01', 'Kasse', 'paired', 't1.kasse-01', 'x', now())")
        await conn.execute("INSERT INTO device_receipts (tenant, device, sequence, sha256, status, document_id) "
                           "VALUES ('t1', 'kasse-01', 1, $1, 'accepted', $2)", "a" * 64, doc)
        await conn.execute("INSERT INTO upload_chunks (tenant, device, sequence, sha256, index, count, size, data) "
                           "VALUES ('t1', 'kasse-01', 2, $1, 0, 2, 10, '\\x00')", "b" * 64)
        await conn.execute(
            "INSERT INTO documents (id, tenant, sha256, size, media_type, filename, source, device, device_sequence, "
            "bucket, object_key, status, received_at) VALUES ($1, 't1', $2, 1, 'application/pdf', 'a.pdf', 'device', "
            "'kasse-01', 1, 'originals', 'k', 'ingested', now())", doc, "a" * 64)
        # WHEN the pairing migration runs
        await conn.execute(migrations[-1].read_text(encoding="utf-8"))
        # THEN all of it belongs to the slot's current pairing, and the next pairing numbers on its own
        assert await conn.fetchval("SELECT pairing FROM devices") == 1
        assert await conn.fetchval("SELECT pairing FROM device_receipts WHERE sequence = 1") == 1
        assert await conn.fetchval("SELECT pairing FROM upload_chunks WHERE sequence = 2") == 1
        assert await conn.fetchval("SELECT device_pairing FROM documents WHERE id = $1", doc) == 1
        await conn.execute("INSERT INTO device_receipts (tenant, device, pairing, sequence, sha256, status) "
                           "VALUES ('t1', 'kasse-01', 2, 1, $1, 'accepted')", "c" * 64)
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("INSERT INTO device_receipts (tenant, device, pairing, sequence, sha256, status) "
                               "VALUES ('t1', 'kasse-01', 2, 1, $1, 'accepted')", "d" * 64)
        with pytest.raises(asyncpg.NotNullViolationError):
            await conn.execute("INSERT INTO device_receipts (tenant, device, sequence, sha256, status) "
                               "VALUES ('t1', 'kasse-01', 3, $1, 'accepted')", "e" * 64)
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()

async def test_sync_data_and_sessions_land_in_the_device_list(
    services: processes.ServiceSet, paired_device: PairingResultV1, tenant: str
) -> None:
    device = await connect_device(paired_device)
    session_id = uuid.uuid4()
    started = datetime.now(UTC)
    try:
        # what the device holds is current: nothing comes down
        reply = await device.request(subjects.device_sync(tenant, paired_device.device), SyncDataRequestV1(
            config_version=paired_device.config.version, masterdata_version=paired_device.masterdata.version,
            backlog=4).model_dump_json().encode(), timeout=10)
        answer = SyncDataReplyV1.model_validate_json(reply.data)
        assert (answer.config, answer.masterdata, answer.error) == (None, None, None)
        # an old version gets the current one
        reply = await device.request(subjects.device_sync(tenant, paired_device.device), SyncDataRequestV1(
            config_version=None, masterdata_version="old").model_dump_json().encode(), timeout=10)
        answer = SyncDataReplyV1.model_validate_json(reply.data)
        assert answer.config == paired_device.config
        assert answer.masterdata == paired_device.masterdata
        # a session reported at start and at end
        session = SyncSessionV1(session_id=session_id, tenant=tenant, device=paired_device.device, started_at=started,
                                backlog=4)
        ack = await device.request(subjects.device_session(tenant, paired_device.device),
                                   session.model_dump_json().encode(), timeout=10)
        assert EdgeAckV1.model_validate_json(ack.data).ok
        done = session.model_copy(update={"ended_at": datetime.now(UTC), "sent": 4, "accepted": 4,
                                          "result": SyncResult.SUCCESS})
        ack = await device.request(subjects.device_session(tenant, paired_device.device),
                                   done.model_dump_json().encode(), timeout=10)
        assert EdgeAckV1.model_validate_json(ack.data).ok
        # a session that names another device, and garbage, are refused with the reason
        forged = session.model_copy(update={"device": "kasse-99", "session_id": uuid.uuid4()})
        ack = await device.request(subjects.device_session(tenant, paired_device.device),
                                   forged.model_dump_json().encode(), timeout=10)
        refused = EdgeAckV1.model_validate_json(ack.data)
        assert not refused.ok
        assert "kasse-99" in (refused.error or "")
        ack = await device.request(subjects.device_session(tenant, paired_device.device), b"{nope", timeout=10)
        assert "not a valid SyncSessionV1" in (EdgeAckV1.model_validate_json(ack.data).error or "")
    finally:
        await device.close()
    row = devices_of(services, tenant)[paired_device.device]
    assert row["last_sync_id"] == str(session_id)
    assert row["last_sync_result"] == "success"
    assert row["backlog"] == 0  # what the session left unsynced: all 4 were accepted
    assert row["last_contact"] is not None
    detail = httpx.get(f"{services.ingest_url}/v1/devices/{paired_device.device}",
                       headers={"X-Tenant": tenant, **services.auth}).json()
    assert detail["sessions"][0]["accepted"] == 4
    assert json.dumps(detail)  # plain JSON all the way down


def test_operator_cli_releases_lists_resets_and_revokes(services: processes.ServiceSet, tenant: str) -> None:
    env = {**os.environ, "BELEGFLOW_INGEST_URL": services.ingest_url, "BELEGFLOW_API_KEY": services.api_key}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "belegflow_ops", "devices", *args, "--tenant", tenant],
                              capture_output=True, text=True, env=env, timeout=60, check=False)

    released = cli("release", "--name", "KASSE-30")
    assert released.returncode == 0, released.stderr
    code = released.stdout.split("pairing code: ")[1].split()[0]
    assert redeem_code(services, code).status_code == 200
    listed = cli("list")
    assert listed.returncode == 0, listed.stderr
    assert "KASSE-30" in listed.stdout
    assert "paired" in listed.stdout
    again = cli("release", "--name", "KASSE-30")
    assert again.returncode == 1
    assert "device_already_paired" in again.stderr
    reset = cli("reset", "--name", "KASSE-30")
    assert reset.returncode == 0, reset.stderr
    assert "pairing code: " in reset.stdout
    revoked = cli("revoke", "--name", "KASSE-30")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in cli("list").stdout
    unknown = cli("revoke", "--name", "nope")
    assert unknown.returncode == 1
    assert "device_unknown" in unknown.stderr


async def test_tenant_config_from_the_kv_bucket_reaches_pairing_and_sync(
    services: processes.ServiceSet, nc: NATS, tenant: str
) -> None:
    # GIVEN a tenant config with its own series and block size, and a device override for one slot
    kv = await nc.jetstream().key_value("device-config")
    tenant_config = DeviceConfigV1(version=7, series={"invoice": "RE", "receipt": "KB"}, block_size=50)
    await kv.put(tenant, tenant_config.model_dump_json().encode())
    override = tenant_config.model_copy(update={"version": 8, "block_size": 10})
    await kv.put(f"{tenant}.kasse-41", override.model_dump_json().encode())
    # WHEN devices pair
    plain = pair_device(services, tenant, "kasse-40")
    special = pair_device(services, tenant, "kasse-41")
    # THEN they number from the tenant's series with its block size (the override for its slot)
    assert plain.config == tenant_config
    assert sorted((b.series, b.last - b.first + 1) for b in plain.blocks) == [("KB", 50), ("RE", 50)]
    assert special.config == override
    assert sorted((b.series, b.last - b.first + 1) for b in special.blocks) == [("KB", 10), ("RE", 10)]
    # AND a changed config reaches the device on its next sync
    changed = tenant_config.model_copy(update={"version": 9, "sync_interval_s": 30.0})
    await kv.put(tenant, changed.model_dump_json().encode())
    device = await connect_device(plain)
    try:
        reply = await device.request(subjects.device_sync(tenant, plain.device), SyncDataRequestV1(
            config_version=7, masterdata_version=plain.masterdata.version).model_dump_json().encode(), timeout=10)
    finally:
        await device.close()
    answer = SyncDataReplyV1.model_validate_json(reply.data)
    assert answer.config == changed
    assert answer.masterdata is None
