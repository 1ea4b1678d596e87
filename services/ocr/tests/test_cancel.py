"""Cancelling a recognition: the worker pool stops one job, and a cancelled recognition becomes manual capture."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from belegflow_contracts.messages import InvoiceFieldsV1, RecognitionCancelV1, RecognizedV1
from belegflow_contracts.types import ObjectRef
from belegflow_ocr.domain import MANUAL_READER, cancelled_work_product, recognize
from belegflow_ocr.worker import RecognitionCancelledError, RecognitionPool
from samples.generate import dense_pdf

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "invoices" / "invoice-01-din.pdf"
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def cancel_command(reason: str = "scan unreadable") -> RecognitionCancelV1:
    return RecognitionCancelV1(document_id=uuid.uuid4(), tenant="acme", revision=2, reason=reason,
                               requested_by="clerk:mmeyer", requested_at=AT)


def worker_pids(pool: RecognitionPool) -> list[int]:
    executor = pool._pool  # the processes of the pool's current executor
    return [p.pid for p in getattr(executor, "_processes", {}).values() if p.pid is not None]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child not yet reaped is a zombie: count it as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def running(pool: RecognitionPool, pids: list[int]) -> None:
    """Wait until a worker took a job: its CPU time grows (no wall-clock assertion, just a readiness wait)."""

    def cpu(pid: int) -> int:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().split(")")[-1].split()
        return int(fields[11]) + int(fields[12])

    start = {pid: cpu(pid) for pid in pids}
    for _ in range(200):
        await asyncio.sleep(0.05)
        if any(cpu(pid) > start[pid] + 5 for pid in pids):
            return
    raise AssertionError("no worker started the job")


# --- the pool ------------------------------------------------------------------------------------


async def test_cancel_kills_the_worker_running_the_job_and_the_pool_keeps_working() -> None:
    pool = RecognitionPool(workers=1, timeout_s=300, memory_mb=2048)
    try:
        # GIVEN a warm worker (its process exists) and a document that takes seconds to read
        sample = SAMPLE.read_bytes()
        await pool.recognize(sample, filename="warm.pdf", media_type="application/pdf")
        pids = worker_pids(pool)
        assert pids
        slow = asyncio.create_task(
            pool.recognize(dense_pdf(60), filename="slow.pdf", media_type="application/pdf", job="doc-1:r1"))
        await running(pool, pids)

        # WHEN that job is cancelled
        assert pool.cancel("doc-1:r1") is True

        # THEN the caller learns it was cancelled, the worker doing it is gone
        with pytest.raises(RecognitionCancelledError, match="doc-1:r1"):
            await slow
        for _ in range(100):
            if not any(alive(pid) for pid in pids):
                break
            await asyncio.sleep(0.05)
        assert not any(alive(pid) for pid in pids)
        # AND the next document is read by a new worker as usual
        again = await pool.recognize(sample, filename="again.pdf", media_type="application/pdf")
        assert again.reader == "pdf-text"
        assert again.fields.invoice_number is not None
    finally:
        pool.close()


async def test_cancelling_one_job_runs_the_other_job_of_the_killed_pool_again() -> None:
    pool = RecognitionPool(workers=2, timeout_s=300, memory_mb=2048)
    try:
        sample = SAMPLE.read_bytes()
        await asyncio.gather(*(pool.recognize(sample, filename=f"warm{i}.pdf", media_type=None) for i in range(2)))
        pids = worker_pids(pool)
        # GIVEN two slow documents in flight at once
        data = dense_pdf(25)
        doomed = asyncio.create_task(pool.recognize(data, filename="a.pdf", media_type=None, job="a"))
        innocent = asyncio.create_task(pool.recognize(data, filename="b.pdf", media_type=None, job="b"))
        await running(pool, pids)
        # WHEN one is cancelled (the pool's processes are killed)
        assert pool.cancel("a")
        # THEN that one reports the cancel and the other is read all the same, not blamed for the kill
        with pytest.raises(RecognitionCancelledError):
            await doomed
        result = await innocent
        assert result.reader == "pdf-text"
        assert len(result.words) > 1000
    finally:
        pool.close()


async def test_cancel_of_a_job_this_pool_does_not_run_says_so() -> None:
    pool = RecognitionPool(workers=1, timeout_s=60, memory_mb=2048)
    try:
        assert pool.cancel("unknown:r1") is False
        # a finished job is forgotten: cancelling it afterwards finds nothing
        await pool.recognize(SAMPLE.read_bytes(), filename="x.pdf", media_type=None, job="done:r1")
        assert pool.cancel("done:r1") is False
    finally:
        pool.close()


# --- the work product of a cancelled recognition -------------------------------------------------


def test_cancelled_before_anything_was_read_gives_empty_fields_for_manual_capture() -> None:
    product = cancelled_work_product(cancel_command("wrong document"), found=None, stage="skipped before it started",
                                     at=AT)
    assert product["manual"] is True
    assert product["manual_reason"] == "recognition cancelled: wrong document"
    assert product["reader"] == MANUAL_READER
    assert product["status"] == "cancelled"
    assert product["words"] == []
    assert product["lines"] == []
    fields = product["fields"]
    assert isinstance(fields, dict)
    assert all(value is None for value in fields.values())
    protocol = product["protocol"]
    assert isinstance(protocol, list)
    (entry,) = protocol
    assert entry["level"] == "warning"
    assert "clerk:mmeyer" in entry["message"]
    assert "wrong document" in entry["message"]
    assert entry["data"]["stage"] == "skipped before it started"
    # AND it is a valid recognized event's content, marked manual
    event = RecognizedV1(document_id=uuid.uuid4(), tenant="acme", revision=2,
                         original=ObjectRef(bucket="originals", key="k", sha256="0" * 64, size=1),
                         reader=str(product["reader"]), fields=InvoiceFieldsV1.model_validate(fields),
                         work_product=ObjectRef(bucket="work", key="w", sha256="0" * 64, size=1),
                         manual=True, manual_reason=str(product["manual_reason"]))
    assert event.manual


def test_cancelled_as_it_finished_keeps_what_was_read_for_the_clerk() -> None:
    found = recognize(SAMPLE.read_bytes(), filename="invoice-01-din.pdf")
    product = cancelled_work_product(cancel_command(), found=found, stage="finished as it was cancelled", at=AT)
    assert product["manual"] is True
    assert product["reader"] == "pdf-text"
    fields = product["fields"]
    assert isinstance(fields, dict)
    assert fields["invoice_number"]["value"] == "RE-24-08133"
    protocol = product["protocol"]
    assert isinstance(protocol, list)
    # recognition's own protocol first, the cancel last
    assert len(protocol) == len(found.protocol) + 1
    assert "recognition cancelled: scan unreadable" in protocol[-1]["message"]


def test_a_cancel_command_needs_a_reason_and_who_asked() -> None:
    with pytest.raises(ValueError, match="reason"):
        RecognitionCancelV1(document_id=uuid.uuid4(), tenant="acme", revision=1, reason="   ",
                            requested_by="clerk", requested_at=AT)
    with pytest.raises(ValueError, match="revision"):
        RecognitionCancelV1(document_id=uuid.uuid4(), tenant="acme", revision=0, reason="x",
                            requested_by="clerk", requested_at=AT)
