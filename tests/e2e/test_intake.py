"""The other ways in: a device's own subject and the watched inbox folder."""

from __future__ import annotations

import asyncio
import hashlib
import json

import pytest
from nats.aio.client import Client as NATS

from belegflow_ops import processes, stack
from tests.conftest import SAMPLES, import_masterdata, pair_device, stream_messages

pytestmark = pytest.mark.e2e


async def send_from_device(nc: NATS, tenant: str, device: str, sequence: int, data: bytes,
                           *, sha256: str | None = None) -> None:
    headers = {"Belegflow-Sequence": str(sequence), "Belegflow-Filename": f"scan-{sequence}.pdf",
               "Belegflow-Sha256": sha256 or hashlib.sha256(data).hexdigest(),
               "Nats-Msg-Id": f"{device}:{sequence}:{hashlib.sha256(data).hexdigest()}"}
    await nc.jetstream().publish(f"edge.{tenant}.{device}.upload.v1", data, headers=headers)


async def test_device_upload_is_answered_accepted_then_duplicate_then_rejected(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    pdf = (SAMPLES / "invoices" / "invoice-05-din.pdf").read_bytes()
    # GIVEN two paired devices (uploads of a device that is not paired are rejected)
    pair_device(services, tenant, "kasse-03")
    pair_device(services, tenant, "kasse-04")
    # AND a device that sends an invoice, sends it again as a resend, and another device sends the same bytes
    await send_from_device(nc, tenant, "kasse-03", 7, pdf)
    await send_from_device(nc, tenant, "kasse-04", 1, pdf)
    # AND a document whose hash header does not match its bytes, and a text file
    await send_from_device(nc, tenant, "kasse-03", 8, pdf[:-10] + b"\n%%EOF\n", sha256=hashlib.sha256(pdf).hexdigest())
    await send_from_device(nc, tenant, "kasse-03", 9, b"hello")
    # THEN each gets its own receipt with the truth
    receipts = await stream_messages(nc, "EDGE", f"edge.{tenant}.*.receipt.v1", expect=4, timeout_s=30)
    by_key = {(r["device"], r["sequence"]): r for r in (json.loads(m.data) for m in receipts)}
    # the two devices' uploads are taken in at once: whichever is first is accepted, the other is its duplicate
    same = [by_key[("kasse-03", 7)], by_key[("kasse-04", 1)]]
    assert sorted(r["status"] for r in same) == ["accepted", "duplicate"]
    assert same[0]["document_id"] == same[1]["document_id"]
    assert by_key[("kasse-03", 8)]["status"] == "rejected"
    assert "hash mismatch" in by_key[("kasse-03", 8)]["reason"]
    assert by_key[("kasse-03", 9)]["status"] == "rejected"
    assert "unsupported document type" in by_key[("kasse-03", 9)]["reason"]


async def test_inbox_folder_takes_documents_in_and_sets_bad_ones_aside(
    services: processes.ServiceSet, stack_state: stack.StackState, nc: NATS, tenant: str
) -> None:
    # GIVEN master data, and a PDF and a text file dropped into <inbox>/<tenant>/
    await import_masterdata(stack_state, tenant)
    folder = services.inbox_dir / tenant
    folder.mkdir(mode=0o700)
    (folder / "rechnung.pdf").write_bytes((SAMPLES / "invoices" / "invoice-06-modern.pdf").read_bytes())
    (folder / "notes.txt").write_text("not an invoice")
    # THEN the PDF is exported and moved to .done; the text file lands in .rejected with its reason
    msgs = await stream_messages(nc, "EXPORT", f"export.{tenant}.tms.v1", expect=1, timeout_s=60)
    assert len(msgs) == 1
    for _ in range(40):
        if (folder / ".rejected" / "notes.txt.reason.txt").exists():
            break
        await asyncio.sleep(0.25)
    assert (folder / ".done" / "rechnung.pdf").exists()
    assert "unsupported-type" in (folder / ".rejected" / "notes.txt.reason.txt").read_text()
    assert sorted(p.name for p in folder.iterdir()) == [".done", ".rejected"]
